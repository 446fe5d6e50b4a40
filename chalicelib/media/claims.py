"""The analyzer's claim of one uploaded object under its form (the form's row in media-objects, models.py).

One conditional UpdateItem per object: the form row of the key's session, kind and minute must exist with the key's
nonce, the upload must come before the form's expiry (nothing can come before its issue, which drew the nonce), the
object's name must not be claimed yet and the form must hold fewer than `max_objects` claimed objects; then the name
is recorded with the version read, its sha256 and etag, and the form's `used` count grows by one. When the condition
fails, one consistent GetItem of the form tells why:

- no form for that session, kind and minute, or one with another nonce → `not_issued` (a key never issued);
- the name already holds this very version → a redelivery (`False`);
- the name holds another version → a re-upload (`None`): the first version stays the evidence;
- the upload came after the form's expiry → `form_expired`;
- the form already carries `max_objects` objects → `too_many_in_window` (counted on the form: `overflow`).

S3 enforces the form's prefix, content type, size range and expiry itself; it cannot count objects, and endpoints
that ignore POST policies enforce nothing, so everything above is checked here whatever the endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist

from chalicelib.media.models import UploadFormRecord
from chalicelib.media.uploads import MediaKey, window_start

CLOCK_SKEW = timedelta(seconds=30)  # between S3's event time and the API's clock that set the form's validity


class Refused(Exception):
    """The object is not one its form admits; the message is a stable reason code."""


@dataclass(frozen=True)
class Claimed:
    """What a form row records for one object name: the evidence's version, sha256 and etag."""

    version_id: str | None
    sha256: str | None
    etag: str | None


def _connection() -> Any:
    return UploadFormRecord._get_connection().connection


def _table() -> str:
    return UploadFormRecord.Meta.table_name


def claim(
    media_key: MediaKey, version_id: str | None, sha256: str | None, etag: str, uploaded_at: datetime
) -> bool | None:
    """Claim the object's name under its form: True the first time, False when this same version was claimed before
    (a redelivery), None when another version holds the name (a re-upload). Refused(reason) otherwise."""
    window = window_start(media_key.window)
    if window is None:
        raise Refused("not_issued")
    skew = int(CLOCK_SKEW.total_seconds())
    uploaded_s = int(uploaded_at.timestamp())
    entry = {"v": {"S": version_id or ""}, "s": {"S": sha256 or ""}, "e": {"S": etag}}
    request = {
        "TableName": _table(),
        "Key": {"object_id": {"S": media_key.form_id}},
        "UpdateExpression": "SET #objects.#name = :entry ADD #used :one",
        "ConditionExpression": (
            "#session = :session AND #kind = :kind AND #nonce = :nonce"
            " AND attribute_not_exists(#objects.#name) AND #used < #max"
            " AND #until >= :early"
        ),
        "ExpressionAttributeNames": {
            "#objects": "objects",
            "#name": media_key.name,
            "#used": "used",
            "#max": "max_objects",
            "#session": "session_id",
            "#kind": "kind",
            "#nonce": "nonce",
            "#until": "valid_until_s",
        },
        "ExpressionAttributeValues": {
            ":entry": {"M": entry},
            ":one": {"N": "1"},
            ":session": {"S": media_key.session_id},
            ":kind": {"S": media_key.kind},
            ":nonce": {"S": media_key.nonce},
            ":early": {"N": str(uploaded_s - skew)},
        },
    }
    try:
        _connection().dispatch("UpdateItem", request)
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
    return _why_not(media_key, version_id, etag, uploaded_at)


def _why_not(media_key: MediaKey, version_id: str | None, etag: str, uploaded_at: datetime) -> bool | None:
    try:
        form = UploadFormRecord.get(media_key.form_id, consistent_read=True)
    except DoesNotExist:
        raise Refused("not_issued") from None
    if form.session_id != media_key.session_id or form.kind != media_key.kind or form.nonce != media_key.nonce:
        raise Refused("not_issued")
    held = claimed(form, media_key.name)
    if held is not None:
        same = held.etag == etag and (held.version_id or None) == (version_id or None)
        return False if same else None
    if uploaded_at.timestamp() > int(form.valid_until_s) + CLOCK_SKEW.total_seconds():
        raise Refused("form_expired")
    if int(form.used or 0) >= int(form.max_objects):
        UploadFormRecord(form.object_id).update(actions=[UploadFormRecord.overflow.add(1)])
        raise Refused("too_many_in_window")
    # The condition failed, yet nothing above explains it: another object took the last place meanwhile.
    raise Refused("too_many_in_window")


def claimed(form: UploadFormRecord, name: str) -> Claimed | None:
    """The evidence recorded for one object name under the form, if any."""
    raw = (form.objects.as_dict() if hasattr(form.objects, "as_dict") else dict(form.objects or {})).get(name)
    if not raw:
        return None
    return Claimed(raw.get("v") or None, raw.get("s") or None, raw.get("e") or None)


def note_reupload(media_key: MediaKey, version_id: str | None) -> Claimed:
    """Count another version under a used name on its form; answers the evidence (the first version) it keeps."""
    form = UploadFormRecord.get(media_key.form_id, consistent_read=True)
    UploadFormRecord(form.object_id).update(
        actions=[
            UploadFormRecord.reuploads.add(1),
            UploadFormRecord.last_reupload_version.set(version_id or ""),
        ]
    )
    return claimed(form, media_key.name) or Claimed(None, None, None)
