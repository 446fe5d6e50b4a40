"""Presigned browser uploads of webcam frames, screen snapshots and audio chunks: one form per session, kind and minute.

A form is a POST policy for a key prefix, `sessions/<session>/<kind>/<window>/` (`starts-with $key`), valid from the
clock minute it names until the minute's end plus FORM_SLACK_S, with the kind's content type and size range. The
browser asks once a minute per kind and uploads every object of that minute through the same form, each under a name
of its own. Asking again in the same minute answers the same prefix and expiry (idempotent); each request is counted
on the form's row and more than FORM_REQUESTS_PER_WINDOW in a minute is refused (429), which no well-behaved client
reaches. The row also records how many objects the analyzer accepts under the prefix (twice the cadence's need over
the form's validity, plus slack): S3 enforces prefix, type, size and expiry, the analyzer enforces the count and
claims each object once (media/claims.py).

Webcam objects hold WEBCAM_FRAMES_PER_OBJECT frames: the browser captures a frame every `webcam_every_s` and uploads
every second capture as one JPEG of the two frames stacked vertically (earlier on top), named `<name>.f2.jpg`; a
frame left over when the test ends, pauses or the page is hidden goes alone as `<name>.jpg` (as older clients send
every frame). One object per two frames halves the S3 PUTs, SQS messages, GetObjects, claims and state writes per
frame. The form covers both names, so its size range is the two-frame object's; the analyzer checks each object
against the limit its name implies (object_max_bytes, object_frames) and splits a pair into its two frames.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import UpdateError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, TooManyAttempts
from chalicelib.core.presigned import MediaKind, Presigner
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.media.models import UploadFormRecord, UploadQuotaRecord, form_id

PROBE_PREFIX = "probes"  # upload-speed probes of the system check: outside sessions/, so nothing analyses them
PROBE = MediaKind("probe", "application/octet-stream", "bin", 2 * 1024 * 1024)
EXTENSIONS = {"webcam": "jpg", "screen": "jpg", "audio": "wav"}
WEBCAM_FRAMES_PER_OBJECT = 2  # webcam frames in one uploaded object (stacked vertically, earlier on top)
FRAMES_MARK = {1: "", WEBCAM_FRAMES_PER_OBJECT: f".f{WEBCAM_FRAMES_PER_OBJECT}"}  # in the name, before the extension
KEY_PATTERN = re.compile(
    r"^sessions/(?P<session>[0-9a-f]{32})/(?P<kind>webcam|audio|screen)/(?P<window>[0-9]{8}T[0-9]{4}Z)-(?P<nonce>[0-9a-f]{16})/"
    r"(?P<name>[0-9]{8}T[0-9]{9}Z-[0-9a-f]{12})(?P<frames>\.f[0-9]+)?\.(?P<ext>jpg|wav)$"
)
LEDGER_RETENTION = timedelta(days=30)  # the media's own retention
WINDOW_S = 60  # one form per session, kind and clock minute
FORM_SLACK_S = 20  # a form stays valid this long after its minute: the browser switches to the next one meanwhile
FORM_VALID_S = WINDOW_S + FORM_SLACK_S
RETRY_SLACK = 6  # objects per form beyond twice the cadence: retries after a lost response, a re-shared screen
FORM_REQUESTS_PER_WINDOW = 10  # requests for the same form in its minute; a browser needs 1 (2 after a refusal)
PROBES_PER_WINDOW = 10  # the system check times a handful of probes; a retry or two on top


@dataclass(frozen=True)
class MediaKey:
    session_id: str
    kind: str
    window: str = ""  # YYYYMMDDTHHMMZ: the form's minute
    nonce: str = ""  # the form's random part: a prefix cannot be guessed from the session id and the time
    name: str = ""  # the object's name under the form's prefix, with its extension

    @property
    def prefix(self) -> str:
        return f"sessions/{self.session_id}/{self.kind}/{self.window}-{self.nonce}/"

    @property
    def form_id(self) -> str:
        return form_id(self.session_id, self.kind, self.window)

    @property
    def frames(self) -> int:
        """Webcam frames the object holds by its name: 2 for `<name>.f2.jpg`, else 1."""
        return object_frames(self.name)


def object_frames(name: str) -> int:
    """Frames an object name says it holds: `.f2.jpg` → WEBCAM_FRAMES_PER_OBJECT, a plain name → 1."""
    mark = FRAMES_MARK[WEBCAM_FRAMES_PER_OBJECT]
    return WEBCAM_FRAMES_PER_OBJECT if name.endswith(f"{mark}.jpg") else 1


def frames_name(name: str, frames: int) -> str:
    """An object name with the mark for the frames it holds: `<stamp>-<random>.jpg` → `<stamp>-<random>.f2.jpg`."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}{FRAMES_MARK[frames]}{dot}{ext}"


def object_max_bytes(kind: MediaKind, frames: int) -> int:
    """The size limit of one object of this kind holding this many frames (the kind's limit is per frame)."""
    return kind.max_bytes * frames


def form_kind(kind: MediaKind) -> MediaKind:
    """The kind as its upload form states it: a webcam form admits two-frame objects, so its size range is theirs."""
    if kind.name != "webcam":
        return kind
    return replace(kind, max_bytes=object_max_bytes(kind, WEBCAM_FRAMES_PER_OBJECT))


def parse_media_key(key: str) -> MediaKey | None:
    """The session, kind, form window and object name an object key claims, or None for any key not of the shape
    the forms allow (the extension must be the kind's; only a webcam name may carry the two-frame mark `.f2`)."""
    match = KEY_PATTERN.match(key)
    if match is None or EXTENSIONS[match["kind"]] != match["ext"]:
        return None
    mark = match["frames"]
    if mark is not None and (match["kind"] != "webcam" or mark != FRAMES_MARK[WEBCAM_FRAMES_PER_OBJECT]):
        return None
    if window_start(match["window"]) is None:
        return None
    name = f"{match['name']}{match['frames'] or ''}.{match['ext']}"
    return MediaKey(match["session"], match["kind"], match["window"], match["nonce"], name)


@dataclass(frozen=True)
class FormWindow:
    """One clock minute of forms: starts at start_s (epoch seconds, a multiple of WINDOW_S)."""

    start_s: int

    @property
    def label(self) -> str:
        return datetime.fromtimestamp(self.start_s, UTC).strftime("%Y%m%dT%H%MZ")

    @property
    def valid_until_s(self) -> int:
        """The POST policy's expiration: the minute's end plus the slack."""
        return self.start_s + FORM_VALID_S

    @property
    def valid_until(self) -> datetime:
        return datetime.fromtimestamp(self.valid_until_s, UTC)

    def expired(self, moment: datetime, skew: timedelta = timedelta(0)) -> bool:
        """Whether an upload at this moment came after the form's expiry (beyond the clocks' skew). There is no lower
        bound to check: the prefix's nonce exists only once the form was issued."""
        return moment.timestamp() > self.valid_until_s + skew.total_seconds()


def window_at(moment: datetime) -> FormWindow:
    """The form window a request at this moment gets: its clock minute."""
    return FormWindow(int(moment.timestamp()) // WINDOW_S * WINDOW_S)


def window_start(label: str) -> FormWindow | None:
    """The window a key's label names, or None for a label that is no minute."""
    try:
        moment = datetime.strptime(label, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return FormWindow(int(moment.timestamp()))


def key_prefix(session_id: str, kind: str, window: FormWindow, nonce: str) -> str:
    return f"sessions/{session_id}/{kind}/{window.label}-{nonce}/"


def every_s(policy: AnalysisPolicy, kind: str) -> int:
    """How often the browser sends one upload of this kind under the policy (a webcam object every
    WEBCAM_FRAMES_PER_OBJECT captures)."""
    return {
        "webcam": policy.webcam_every_s * WEBCAM_FRAMES_PER_OBJECT,
        "audio": policy.audio_chunk_s,
        "screen": policy.screen_every_s,
    }[kind]


def objects_per_form(policy: AnalysisPolicy, kind: str) -> int:
    """Objects (not frames) the analyzer accepts under one form: twice what the cadence needs over the form's
    validity (an outbox drains a backlog at double speed), plus slack for retries and a frame sent alone."""
    return 2 * math.ceil(FORM_VALID_S / every_s(policy, kind)) + RETRY_SLACK


def retry_after_s(now: datetime) -> int:
    return max(1, window_at(now).start_s + WINDOW_S - int(now.timestamp()))


def record_form(
    session_id: str, kind: str, max_objects: int, now: datetime, limit: int | None = FORM_REQUESTS_PER_WINDOW
) -> tuple[FormWindow, str]:
    """Record (or find) the session's form for this kind and minute and count the request: one conditional
    UpdateItem, which answers the form's nonce (drawn by the first request). 429 beyond FORM_REQUESTS_PER_WINDOW
    requests for the same form."""
    window = window_at(now)
    form = UploadFormRecord(form_id(session_id, kind, window.label))
    try:
        form.update(
            actions=[
                UploadFormRecord.requests.add(1),
                UploadFormRecord.session_id.set(session_id),
                UploadFormRecord.kind.set(kind),
                UploadFormRecord.window.set(window.label),
                UploadFormRecord.valid_from_s.set(window.start_s),
                UploadFormRecord.valid_until_s.set(window.valid_until_s),
                UploadFormRecord.issued_at.set(UploadFormRecord.issued_at | now),
                UploadFormRecord.nonce.set(UploadFormRecord.nonce | secrets.token_hex(8)),
                UploadFormRecord.max_objects.set(UploadFormRecord.max_objects | max_objects),
                UploadFormRecord.used.set(UploadFormRecord.used | 0),
                UploadFormRecord.objects.set(UploadFormRecord.objects | {}),
                UploadFormRecord.expires_at.set(now + LEDGER_RETENTION),
            ],
            condition=None
            if limit is None
            else UploadFormRecord.requests.does_not_exist() | (UploadFormRecord.requests < limit),
        )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
        raise too_many(now, limit or FORM_REQUESTS_PER_WINDOW) from exc
    return window, str(form.nonce)  # the update answers the item as written (ALL_NEW)


def too_many(now: datetime, limit: int) -> TooManyAttempts:
    retry_after = retry_after_s(now)
    return TooManyAttempts(
        "media.too_many_uploads",
        f"More upload forms than a browser needs; try again in {retry_after} s.",
        details={"retry_after_s": retry_after, "limit_per_minute": limit},
    )


class MediaUploads:
    def __init__(
        self, presigner: Presigner, kinds: dict[str, MediaKind], clock: Clock, connection: Connection, expiry_s: int
    ) -> None:
        self._presigner = presigner
        self.kinds = kinds
        self._clock = clock
        self._connection = connection  # kept for the wiring's signature; every write here is a single item
        self._expiry_s = expiry_s

    def presign(self, session: SessionRecord, kind: str) -> dict[str, Any]:
        """The session's upload form for this kind and minute: a POST policy for its key prefix, recorded as issued."""
        if session.status != rules.IN_PROGRESS:
            raise Conflict("session.not_in_progress", "Uploads are accepted only while the exam is in progress.")
        policy = AnalysisPolicy.from_dict(session.analysis.as_dict() or None)
        now = self._clock.now()
        max_objects = objects_per_form(policy, kind)
        window, nonce = record_form(session.session_id, kind, max_objects, now)
        prefix = key_prefix(session.session_id, kind, window, nonce)
        answer = self._presigner.prefix_policy(prefix, form_kind(self.kinds[kind]), window.valid_until)
        return {**answer, "expires_at": iso(window.valid_until), "max_objects": max_objects}

    def probe(self, exam_id: str, candidate_id: str) -> dict[str, Any]:
        """A presigned POST the system check times to measure the candidate's upload speed on the real path."""
        now = self._clock.now()
        quota = UploadQuotaRecord(f"quota#probe#{exam_id}#{candidate_id}#{window_at(now).start_s // WINDOW_S}")
        try:
            quota.update(
                actions=[
                    UploadQuotaRecord.count.add(1),
                    UploadQuotaRecord.expires_at.set(now + timedelta(seconds=2 * WINDOW_S)),
                ],
                condition=UploadQuotaRecord.count.does_not_exist() | (UploadQuotaRecord.count < PROBES_PER_WINDOW),
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            raise too_many(now, PROBES_PER_WINDOW) from exc
        return self._presigner.post_policy(f"{PROBE_PREFIX}/{exam_id}", PROBE)


def issue_prefix(session_id: str, kind: str, max_objects: int, now: datetime) -> str:
    """Record the session's form for this kind and minute as the API does and answer its key prefix; for benchmarks
    that put objects straight into the bucket instead of a browser (the analyzer accepts them under the prefix
    until the minute's end + FORM_SLACK_S, at most max_objects, if the form was first recorded by this call). Not
    rationed: a benchmark asks once per object."""
    window, nonce = record_form(session_id, kind, max_objects, now, limit=None)
    return key_prefix(session_id, kind, window, nonce)
