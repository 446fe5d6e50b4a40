"""The upload forms the API handed out, and how many per minute: rows in the media-objects table.

Form rows (`form#<session>/<kind>/<file>`) are the ledger of issued keys: the analyzer accepts an object only when
its key has one, and claims it once (the version it analysed, with its sha256). Quota rows count forms per session,
kind and minute. Neither id contains the object key itself, so they never look like the analyzer's outcome rows
(`<bucket>/<key>#<etag>`).
"""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

FORM_PREFIX = "form#"
SESSIONS_PREFIX = "sessions/"


def form_id(key: str) -> str:
    """The form row of an object key under sessions/ (the key without that prefix, so the two never collide)."""
    return FORM_PREFIX + key.removeprefix(SESSIONS_PREFIX)


class UploadFormRecord(Model):
    TABLE_SUFFIX = "media-objects"

    class Meta:
        table_name = "media-objects"

    object_id = UnicodeAttribute(hash_key=True)  # form#<session>/<kind>/<file>
    session_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    state = UnicodeAttribute()  # issued | used (an upload was claimed)
    issued_at = UTCDateTimeAttribute()
    form_expires_at = UTCDateTimeAttribute()  # S3 refuses the form after this (where the endpoint enforces it)
    version_id = UnicodeAttribute(null=True)  # the object version the analyzer claimed: the evidence
    sha256 = UnicodeAttribute(null=True)
    etag = UnicodeAttribute(null=True)
    used_at = UTCDateTimeAttribute(null=True)
    claims = NumberAttribute(default=0)  # >1: the same version was processed again (a redelivery)
    reuploads = NumberAttribute(default=0)  # other versions that arrived later under the same key
    last_reupload_version = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class UploadQuotaRecord(Model):
    TABLE_SUFFIX = "media-objects"

    class Meta:
        table_name = "media-objects"

    object_id = UnicodeAttribute(hash_key=True)  # quota#<session or exam/candidate>#<kind>#<minute>
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute()
