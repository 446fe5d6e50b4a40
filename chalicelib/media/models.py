"""The upload forms the API handed out, and the objects uploaded through them: rows in the media-objects table.

One form row per session, kind and clock minute (`form#<session>/<kind>/<window>`). It records the key prefix the
form's POST policy allows (`starts-with $key`: `sessions/<session>/<kind>/<window>-<nonce>/`; the nonce is drawn by
the first request, so nobody can name another session's prefix from its id and the time), the form's validity (the
minute plus a little slack), how often the browser asked for it (the abuse quota), how many objects it may carry
(`max_objects`) and, per object name under the prefix, what the analyzer claimed (`objects`: keyed by a short hash of
the name, the sha256 and the version id, or the etag where there are no versions, packed in one binary value; see
media/claims.py). The analyzer accepts an object only under a prefix recorded here for the key's session and kind,
uploaded within the form's validity, at most `max_objects` per form (media/claims.py). Form ids never contain an
object key, so they never look like the analyzer's outcome rows (`<bucket>/<key>#<etag>`).
"""

from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

FORM_PREFIX = "form#"


def form_id(session_id: str, kind: str, window: str) -> str:
    """The form row of a session's kind and minute (no object key in it, so a form id and an outcome row's id never
    collide)."""
    return f"{FORM_PREFIX}{session_id}/{kind}/{window}"


class UploadFormRecord(Model):
    """One upload form: a key prefix issued to one session for one kind and minute."""

    TABLE_SUFFIX = "media-objects"

    class Meta:
        table_name = "media-objects"

    object_id = UnicodeAttribute(hash_key=True)  # form#<session>/<kind>/<window>
    session_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    window = UnicodeAttribute()  # YYYYMMDDTHHMMZ, the clock minute the form is for
    nonce = UnicodeAttribute()  # 16 hex digits: the prefix is sessions/<session>/<kind>/<window>-<nonce>/
    issued_at = UTCDateTimeAttribute()  # the first request for it
    valid_from_s = NumberAttribute()  # epoch seconds: the minute's start
    valid_until_s = NumberAttribute()  # epoch seconds: the POST policy's expiration (the minute's end + slack)
    requests = NumberAttribute(default=0)  # how often the browser asked for it (the abuse quota counts these)
    max_objects = NumberAttribute()  # objects the analyzer accepts under it: twice the cadence's need + slack
    used = NumberAttribute(default=0)  # objects claimed under it so far
    objects = MapAttribute(default=dict)  # claims.slot(<name>.<ext>) -> claims.record_entry(version, sha256, etag)
    overflow = NumberAttribute(default=0)  # objects refused beyond max_objects (too_many_in_window)
    reuploads = NumberAttribute(default=0)  # other versions that arrived later under a used key
    last_reupload_version = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class UploadQuotaRecord(Model):
    """Speed probes per candidate, exam and minute (monitoring forms count their requests on their own row)."""

    TABLE_SUFFIX = "media-objects"

    class Meta:
        table_name = "media-objects"

    object_id = UnicodeAttribute(hash_key=True)  # quota#<exam>#<candidate>#<minute>
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute()
