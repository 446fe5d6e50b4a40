"""The analyzer's claim of one uploaded object under its form (the form's row in media-objects, models.py).

One conditional UpdateItem per object: the form row of the key's session, kind and minute must exist with the key's
nonce, the upload must come before the form's expiry (nothing can come before its issue, which drew the nonce), the
object's name must not be claimed yet and the form must hold fewer than `max_objects` claimed objects; then the name
is recorded (`record_entry`: the version read, or the etag where the endpoint keeps no versions, and the sha256) and
the form's `used` count grows by one. When the condition fails, one consistent GetItem of the form tells why:

- no form for that session, kind and minute, or one with another nonce → `not_issued` (a key never issued);
- the name already holds this very version → a redelivery (`False`);
- the name holds another version → a re-upload (`None`): the first version stays the evidence;
- the upload came after the form's expiry → `form_expired`;
- the form already carries `max_objects` objects → `too_many_in_window` (counted on the form: `overflow`).

S3 enforces the form's prefix, content type, size range and expiry itself; it cannot count objects, and endpoints
that ignore POST policies enforce nothing, so everything above is checked here whatever the endpoint.

Each object's entry is as small as these checks need, so a minute's row stays under 1 KB (one write unit per claim)
at 6 objects a minute and the claims of a minute cost one write unit each: the map key is 11 characters of a hash of
the object's name (`slot`), the value one binary attribute: a format byte, the sha256 (32 bytes, read by the
analyzer on a re-upload: "the same bytes again" and the original's evidence), then the version id, or the etag
(16 bytes) where the endpoint keeps no versions; a version identifies its bytes, so the etag adds nothing to it.
Rows the old code wrote ({name: {"v", "s", "e"}}) are still read, and their names stay claimed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist

from chalicelib.media.models import UploadFormRecord
from chalicelib.media.uploads import MediaKey, window_start

CLOCK_SKEW = timedelta(seconds=30)  # between S3's event time and the API's clock that set the form's validity
SLOT_BYTES = 8  # of the name's sha256, as the map key: two names of one form share a slot with odds 2**-64 a pair
WITH_SHA256, VERSION, ETAG_HEX, ETAG_TEXT = 0x10, 1, 2, 3  # the entry's format byte: flag | what follows the sha256
HEX32 = re.compile(r"^[0-9a-f]{32}$")


class Refused(Exception):
    """The object is not one its form admits; the message is a stable reason code."""


@dataclass(frozen=True)
class Claimed:
    """What a form row records for one object name: the evidence's version, sha256 and etag."""

    version_id: str | None
    sha256: str | None
    etag: str | None  # None where a version is recorded (it identifies the bytes)

    def same_object(self, version_id: str | None, etag: str) -> bool:
        """The very object version claimed before (a redelivery), not another one under the name (a re-upload)."""
        if self.version_id or version_id:
            return (self.version_id or None) == (version_id or None)
        return self.etag == etag


def slot(name: str) -> str:
    """The form row's map key for an object name (11 characters instead of the 36 of a name)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()[:SLOT_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def record_entry(version_id: str | None, sha256: str | None, etag: str) -> bytes:
    """What the form row keeps for one claimed object (see the module's docstring)."""
    head, body = 0, b""
    if sha256 and re.fullmatch(r"[0-9a-f]{64}", sha256):
        head, body = WITH_SHA256, bytes.fromhex(sha256)
    if version_id:
        return bytes([head | VERSION]) + body + version_id.encode("utf-8")
    if HEX32.match(etag):
        return bytes([head | ETAG_HEX]) + body + bytes.fromhex(etag)
    return bytes([head | ETAG_TEXT]) + body + etag.encode("utf-8")


def read_entry(entry: bytes) -> Claimed:
    head, rest = entry[0], entry[1:]
    sha256 = None
    if head & WITH_SHA256:
        sha256, rest = rest[:32].hex(), rest[32:]
    kind = head & 0x0F
    if kind == VERSION:
        return Claimed(rest.decode("utf-8"), sha256, None)
    return Claimed(None, sha256, rest.hex() if kind == ETAG_HEX else rest.decode("utf-8"))


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
    request = {
        "TableName": _table(),
        "Key": {"object_id": {"S": media_key.form_id}},
        "UpdateExpression": "SET #objects.#slot = :entry ADD #used :one",
        "ConditionExpression": (
            "#session = :session AND #kind = :kind AND #nonce = :nonce"
            " AND attribute_not_exists(#objects.#slot) AND attribute_not_exists(#objects.#name) AND #used < #max"
            " AND #until >= :early"
        ),
        "ExpressionAttributeNames": {
            "#objects": "objects",
            "#slot": slot(media_key.name),
            "#name": media_key.name,  # a row the old code wrote keys its entries by name
            "#used": "used",
            "#max": "max_objects",
            "#session": "session_id",
            "#kind": "kind",
            "#nonce": "nonce",
            "#until": "valid_until_s",
        },
        "ExpressionAttributeValues": {
            ":entry": {"B": record_entry(version_id, sha256, etag)},
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
        return False if held.same_object(version_id, etag) else None
    if uploaded_at.timestamp() > int(form.valid_until_s) + CLOCK_SKEW.total_seconds():
        raise Refused("form_expired")
    if int(form.used or 0) >= int(form.max_objects):
        UploadFormRecord(form.object_id).update(actions=[UploadFormRecord.overflow.add(1)])
        raise Refused("too_many_in_window")
    # The condition failed, yet nothing above explains it: another object took the last place meanwhile.
    raise Refused("too_many_in_window")


def claimed(form: UploadFormRecord, name: str) -> Claimed | None:
    """The evidence recorded for one object name under the form, if any."""
    objects = form.objects.as_dict() if hasattr(form.objects, "as_dict") else dict(form.objects or {})
    entry = objects.get(slot(name))
    if entry:
        return read_entry(bytes(entry))
    raw = objects.get(name)  # as the old code wrote it
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
