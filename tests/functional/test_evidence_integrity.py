"""Evidence cannot be swapped or planted, and upload forms are rationed: against the real local stack. Where the
local endpoint enforces POST policies as S3 does, objects a lax S3-compatible endpoint would accept are stored
directly, so the analyzer's own checks are what the tests see."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import requests

from chalicelib import wiring
from chalicelib.media.models import UploadFormRecord, form_id
from chalicelib.violations.models import MediaObjectRecord, ViolationRecord
from tests.helpers import assert_error, ok, presign, timeline, upload, wait_for
from tests.paths import FACES_DIR

TWO_PEOPLE = (FACES_DIR / "group__two_people.jpg").read_bytes()
ONE_PERSON = (FACES_DIR / "obama__obama.jpg").read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start(api, make_exam, **analysis) -> dict:
    ctx = make_exam(analysis={"persistence": {"multiple_faces": 1, "no_face": 1}, **analysis})
    ctx["session"] = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}))
    return ctx


def ledger_rows(key: str) -> list[MediaObjectRecord]:
    prefix = f"{wiring.settings().media_bucket}/{key}#"
    return [r for r in MediaObjectRecord.scan() if r.object_id.startswith(prefix)]


def test_a_second_upload_under_an_analysed_key_never_replaces_the_evidence(api, make_exam):
    # Given a two-person frame analysed into a multiple_faces violation
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    upload(post, TWO_PEOPLE).raise_for_status()
    [found] = wait_for(lambda: [v for v in timeline(api, ctx)["violations"] if v["type"] == "multiple_faces"])
    assert found["evidence_key"] == post["key"] and found["evidence_sha256"] == sha256(TWO_PEOPLE)
    assert found["evidence_version"]

    # When the candidate sends other bytes through the same, still valid form (same key)
    upload(post, ONE_PERSON).raise_for_status()

    # Then the re-upload is recorded as media_reupload, naming both versions
    [reupload] = wait_for(lambda: [v for v in timeline(api, ctx)["violations"] if v["type"] == "media_reupload"])
    assert reupload["severity"] == "high"
    assert reupload["details"]["reupload_sha256"] == sha256(ONE_PERSON)
    assert reupload["details"]["evidence_sha256"] == sha256(TWO_PEOPLE)
    # and the proctor's links still serve exactly the analysed bytes
    view = timeline(api, ctx)
    [evidence] = [v for v in view["violations"] if v["type"] == "multiple_faces"]
    for url in (evidence["evidence_url"], reupload["evidence_url"], view["latest_frame_url"]):
        response = requests.get(url, timeout=10)
        assert response.status_code == 200 and sha256(response.content) == sha256(TWO_PEOPLE)
    # the key's form keeps the first version as the evidence; the second is in the ledger as a rejected re-upload
    form = UploadFormRecord.get(form_id(post["key"]))
    assert (form.state, form.sha256, int(form.reuploads)) == ("used", sha256(TWO_PEOPLE), 1)
    reasons = sorted((r.outcome, r.reason) for r in ledger_rows(post["key"]))
    assert reasons == [("analyzed", None), ("rejected", "reupload")]
    # and the session counted one multiple_faces, not two
    assert [v.type for v in ViolationRecord.query(ctx["session"]["session_id"])].count("multiple_faces") == 1


def test_the_same_bytes_sent_again_through_a_form_are_no_violation(api, make_exam):
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    upload(post, ONE_PERSON).raise_for_status()
    wait_for(lambda: [r for r in ledger_rows(post["key"]) if r.outcome == "analyzed"])
    upload(post, ONE_PERSON).raise_for_status()  # a retried POST whose first answer was lost
    wait_for(lambda: int(UploadFormRecord.get(form_id(post["key"])).reuploads) == 1)
    assert timeline(api, ctx)["violations"] == []


def test_a_frame_planted_under_another_sessions_prefix_is_rejected(api, make_exam):
    # Given two candidates writing exams; A holds a valid webcam form for its own session
    victim = start(api, make_exam)
    attacker = start(api, make_exam)
    victim_id = victim["session"]["session_id"]
    post = presign(api, attacker)
    # When A edits the key in its form to a fresh name under B's prefix (an endpoint without POST policies takes it)
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    planted = f"sessions/{victim_id}/webcam/{stamp}-{uuid.uuid4().hex[:12]}.jpg"
    fields = {**post["fields"], "key": planted, "Content-Type": "image/jpeg"}
    response = requests.post(post["url"], data=fields, files={"file": ("f", TWO_PEOPLE, "image/jpeg")}, timeout=10)
    if response.status_code >= 400:
        # An endpoint that enforces POST policies (S3, the local endpoint) refuses it outright; the analyzer must
        # still hold on one that does not: the object arrives as such an endpoint would store it
        assert response.status_code == 403, response.text
        lax_put(planted, TWO_PEOPLE)
    # Then the analyzer rejects it as never issued, and nothing is recorded for B
    [row] = wait_for(lambda: ledger_rows(planted))
    assert (row.outcome, row.reason, row.session_id) == ("rejected", "not_issued", None)
    view = timeline(api, victim)
    assert view["violations"] == [] and view["latest_frame_url"] is None
    assert view["session"]["media"]["frames_received"] == 0
    assert view["session"]["media"]["frames_rejected"] == 0
    assert view["session"]["violation_counts"] == {}


def lax_put(key: str, data: bytes) -> None:
    """Store an object the way an endpoint that ignores POST policies would take it from a browser."""
    wiring.s3().put_object(Bucket=wiring.settings().media_bucket, Key=key, Body=data, ContentType="image/jpeg")


def test_an_upload_after_its_form_expired_is_rejected(api, make_exam):
    # Given a webcam form issued to the candidate whose expiry has passed (S3 refuses the POST then, a lax one not)
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    form = UploadFormRecord.get(form_id(post["key"]))
    form.update(actions=[UploadFormRecord.form_expires_at.set(datetime.now(UTC) - timedelta(minutes=10))])
    # When the object arrives anyway
    lax_put(post["key"], TWO_PEOPLE)
    # Then the analyzer refuses it as expired: no frame counted, no violation, the form still unused
    [row] = wait_for(lambda: ledger_rows(post["key"]))
    assert (row.outcome, row.reason) == ("rejected", "form_expired")
    view = timeline(api, ctx)
    assert view["violations"] == [] and view["session"]["media"]["frames_received"] == 0
    assert UploadFormRecord.get(form_id(post["key"])).state == "issued"


def test_upload_forms_beyond_the_cadence_allowance_are_refused_with_429(api, make_exam):
    # Given an exam that wants a screen snapshot every 5 minutes: 1 a minute, allowance 2 x 1 + 6 = 8 a minute
    ctx = start(api, make_exam, screen_every_s=300)
    session_id = ctx["session"]["session_id"]
    limit = 8
    # When the candidate keeps asking for screen forms
    answers = [api.call("POST", f"/sessions/{session_id}/media", ctx["candidate"], json={"kind": "screen"})]
    while answers[-1].status_code == 201 and len(answers) <= 2 * limit + 1:
        answers.append(api.call("POST", f"/sessions/{session_id}/media", ctx["candidate"], json={"kind": "screen"}))
    # Then after the allowance (one minute, or two when a minute turned meanwhile) the answer is 429
    error = assert_error(answers[-1], 429, "media.too_many_uploads")
    assert limit <= len(answers) - 1 <= 2 * limit
    assert 1 <= error["details"]["retry_after_s"] <= 60 and error["details"]["limit_per_minute"] == limit
    # and other kinds have their own allowance
    assert api.call("POST", f"/sessions/{session_id}/media", ctx["candidate"], json={"kind": "webcam"}).ok


def test_every_issued_form_is_recorded_for_its_session(api, make_exam):
    ctx = start(api, make_exam)
    post = presign(api, ctx, kind="audio")
    form = UploadFormRecord.get(form_id(post["key"]))
    assert (form.session_id, form.kind, form.state) == (ctx["session"]["session_id"], "audio", "issued")
    assert form.form_expires_at > form.issued_at
