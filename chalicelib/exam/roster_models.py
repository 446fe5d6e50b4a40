"""Roster rows at scale: one entry per admitted candidate and exam (language, booked slot, the import that
admitted it) and one record per imported part of a batch (what makes a re-sent part idempotent)."""

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model


class RosterEntryRecord(Model):
    """What the roster knows of one admission beyond AdmissionRecord: no personal data (the name stays on the
    account, so erasure has one place to pseudonymise)."""

    TABLE_SUFFIX = "roster-entries"

    class Meta:
        table_name = "roster-entries"

    candidate_id = UnicodeAttribute(hash_key=True)  # the account id `<agency>~<login>`
    exam_id = UnicodeAttribute(range_key=True)
    agency_id = UnicodeAttribute()
    language = UnicodeAttribute(null=True)  # as the roster gave it; the candidate still chooses at start
    slot_id = UnicodeAttribute(null=True)  # the booked slot (slots.py keeps the slot's counter in step)
    booked_at = UTCDateTimeAttribute(null=True)
    batch = UnicodeAttribute(null=True)  # the import `?batch=` that admitted the candidate, and its part
    part = NumberAttribute(null=True)


class RosterPartRecord(Model):
    """One part of one import batch: who sent it, a digest of its rows, and its result once done."""

    TABLE_SUFFIX = "roster-imports"

    class Meta:
        table_name = "roster-imports"

    import_key = UnicodeAttribute(hash_key=True)  # "<agency>#<exam>#<batch uuid>"
    part = NumberAttribute(range_key=True)
    owner = UnicodeAttribute()  # the admin's account id: only they ever get the part's passwords
    digest = UnicodeAttribute()  # sha-256 of the parsed rows: a different part under the same number is refused
    status = UnicodeAttribute()  # in_progress | done
    started_at = UTCDateTimeAttribute()
    result = MapAttribute(null=True)  # {admitted, already_admitted, errors}
    created = ListAttribute(of=UnicodeAttribute, null=True)  # logins whose accounts this part created
    expires_at = TTLAttribute()  # a batch can be resumed for this long
