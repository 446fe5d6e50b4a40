"""Retention tiers against the real local stack: monitoring uploads are stored tagged retention=transient by their
form, the analyzer retags exactly the version a violation uses retention=evidence before it records the violation,
and a retag that fails leaves no violation behind (chalicelib/media/retention.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import requests
from botocore.exceptions import ClientError

from chalicelib import wiring
from chalicelib.exam.models import SessionRecord
from chalicelib.media.retention import TRANSIENT_TAGGING_XML, retention_tag
from chalicelib.violations.models import ViolationRecord
from chalicelib.violations.recorder import Evidence, Violation, derived_violation_id
from tests.helpers import ok, presign, timeline, upload, wait_for
from tests.paths import FACES_DIR, REPO_ROOT

TWO_PEOPLE = (FACES_DIR / "group__two_people.jpg").read_bytes()
ONE_PERSON = (FACES_DIR / "obama__obama.jpg").read_bytes()
SPEECH = (REPO_ROOT / "tests" / "fixtures" / "audio" / "speech_dialog_ru.wav").read_bytes()


def start(api, make_exam) -> dict:
    ctx = make_exam(analysis={"persistence": {"multiple_faces": 1, "no_face": 1}})
    ctx["session"] = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}))
    return ctx


def tag_of(key: str, version_id: str | None = None) -> str | None:
    return retention_tag(wiring.s3(), wiring.settings().media_bucket, key, version_id)


def versions_of(key: str) -> list[str]:
    listed = wiring.s3().list_object_versions(Bucket=wiring.settings().media_bucket, Prefix=key)
    return [v["VersionId"] for v in listed.get("Versions", []) if v["Key"] == key]


def name_under(post: dict, extension: str = "jpg") -> str:
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    return f"{post['key_prefix']}{stamp}-{uuid.uuid4().hex[:12]}.{extension}"


def post_form(post: dict, fields: dict, data: bytes, content_type: str = "image/jpeg") -> requests.Response:
    return requests.post(post["url"], data=fields, files={"file": ("f", data, content_type)}, timeout=10)


@pytest.mark.parametrize(
    ("kind", "content_type", "data"), [("webcam", "image/jpeg", ONE_PERSON), ("audio", "audio/wav", SPEECH)]
)
def test_an_upload_through_its_form_is_stored_tagged_transient(api, make_exam, kind, content_type, data):
    # Given a monitoring upload form: it carries the tagging field, fixed by its policy
    ctx = start(api, make_exam)
    post = presign(api, ctx, kind)
    assert post["fields"]["tagging"] == TRANSIENT_TAGGING_XML
    assert TRANSIENT_TAGGING_XML == (
        "<Tagging><TagSet><Tag><Key>retention</Key><Value>transient</Value></Tag></TagSet></Tagging>"
    )
    # When the browser posts every field of it, as given, with the file
    response = upload(post, data, content_type=content_type)
    response.raise_for_status()
    # Then S3 stored the object version with retention=transient
    version = response.headers.get("x-amz-version-id")
    assert version and tag_of(post["key"], version) == "transient"


def test_the_form_refuses_an_upload_without_its_tag_or_with_another(api, make_exam):
    # Given a webcam form
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    fields = {**post["fields"], "Content-Type": "image/jpeg"}
    # When a client drops the tagging field, or sets another tag (evidence: to escape the short tier)
    dropped = {k: v for k, v in fields.items() if k != "tagging"} | {"key": name_under(post)}
    evidence = {**fields, "key": name_under(post), "tagging": TRANSIENT_TAGGING_XML.replace("transient", "evidence")}
    # Then the endpoint refuses both (the policy's condition), and stores nothing
    for changed in (dropped, evidence):
        response = post_form(post, changed, ONE_PERSON)
        assert response.status_code == 403, response.text
        assert versions_of(changed["key"]) == []


def test_enrollment_photo_forms_carry_no_retention_tag(api, make_exam):
    ctx = make_exam(require_identity=True)
    response = api.call(
        "POST", f"/exams/{ctx['exam_id']}/enrollment/uploads", ctx["candidate"], json={"kind": "selfie"}
    )
    assert response.status_code == 201, response.text
    post = response.json()
    assert "tagging" not in post["fields"]
    upload(post, ONE_PERSON).raise_for_status()
    assert tag_of(post["key"]) is None


def test_evidence_is_retagged_on_exactly_its_version_and_a_quiet_frame_stays_transient(api, make_exam):
    # Given a session whose webcam form took a two-person frame (a multiple_faces violation) and a one-person frame
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    upload(post, TWO_PEOPLE).raise_for_status()
    [found] = wait_for(lambda: [v for v in timeline(api, ctx)["violations"] if v["type"] == "multiple_faces"])
    assert found["evidence_key"] == post["key"] and found["evidence_version"]
    # Then the violation's evidence is kept: retention=evidence on the analysed version
    assert tag_of(post["key"], found["evidence_version"]) == "evidence"

    # When other bytes are uploaded under the same key (a second version: media_reupload, the first stays evidence)
    second = upload(post, ONE_PERSON)
    second.raise_for_status()
    reupload_version = second.headers["x-amz-version-id"]
    wait_for(lambda: [v for v in timeline(api, ctx)["violations"] if v["type"] == "media_reupload"])
    # Then only the evidence version is evidence; the re-upload, which no violation shows, stays transient
    assert reupload_version != found["evidence_version"]
    assert tag_of(post["key"], found["evidence_version"]) == "evidence"
    assert tag_of(post["key"], reupload_version) == "transient"


def test_a_frame_that_raised_nothing_stays_transient(api, make_exam):
    from chalicelib.violations.models import MediaObjectRecord

    # Given a one-person frame analysed in a session of its own
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    response = upload(post, ONE_PERSON)
    response.raise_for_status()
    prefix = f"{wiring.settings().media_bucket}/{post['key']}#"
    wait_for(
        lambda: [r for r in MediaObjectRecord.scan() if r.object_id.startswith(prefix) and r.outcome], timeout_s=20
    )
    # Then no violation uses it, and it keeps the short tier
    assert not [v for v in timeline(api, ctx)["violations"] if v["evidence_key"] == post["key"]]
    assert tag_of(post["key"], response.headers["x-amz-version-id"]) == "transient"


def test_audio_evidence_is_retagged(api, make_exam):
    ctx = start(api, make_exam)
    post = presign(api, ctx, kind="audio")
    upload(post, SPEECH, content_type="audio/wav").raise_for_status()
    [found] = wait_for(lambda: [v for v in timeline(api, ctx)["violations"] if v["type"] == "speech_detected"])
    assert found["evidence_key"] == post["key"]
    assert tag_of(post["key"], found["evidence_version"]) == "evidence"


def violation_count(session_id: str, violation_type: str) -> int:
    counts = SessionRecord.get(session_id, consistent_read=True).violation_counts
    return int((counts.as_dict() if counts else {}).get(violation_type, 0))


def two_versions_the_first_gone() -> tuple[str, str, str]:
    """An object with two versions whose first was then deleted: (key, the gone version, the current version). Under
    a prefix no notification covers, so only the test's own recorder acts on it."""
    s3, bucket = wiring.s3(), wiring.settings().media_bucket
    key = f"retention-tests/{uuid.uuid4().hex}.jpg"
    gone = s3.put_object(Bucket=bucket, Key=key, Body=TWO_PEOPLE, ContentType="image/jpeg")["VersionId"]
    current = s3.put_object(Bucket=bucket, Key=key, Body=ONE_PERSON, ContentType="image/jpeg")["VersionId"]
    s3.delete_object(Bucket=bucket, Key=key, VersionId=gone)
    return key, gone, current


def episode(session_id: str, evidence: Evidence) -> Violation:
    at = datetime.now(UTC)
    return Violation(
        session_id=session_id,
        violation_id=derived_violation_id("retention-test", evidence.key, evidence.version_id or "", uuid.uuid4().hex),
        type="multiple_faces",
        severity="high",
        source="analyzer",
        occurred_at=at,
        evidence=evidence,
        ended_at=at,
        peak_score=0.5,
        frames=1,
        open=True,
    )


def test_a_retag_that_fails_records_no_violation_and_raises(api, make_exam):
    # Given a session, and an object version that is gone while its key is still there
    ctx = start(api, make_exam)
    session_id = ctx["session"]["session_id"]
    key, gone, _ = two_versions_the_first_gone()
    violation = episode(session_id, Evidence(key, gone, "0" * 64))
    before = violation_count(session_id, "multiple_faces")
    # When the analyzer's recorder is asked to record a violation with that version as evidence
    with pytest.raises(ClientError) as raised:
        wiring.recorder().record(ctx["agency_id"], violation)
    # Then it raised (the analyzer's SQS message fails and is delivered again) and nothing was written
    assert raised.value.response["Error"]["Code"] == "NoSuchVersion"
    with pytest.raises(ViolationRecord.DoesNotExist):
        ViolationRecord.get(session_id, violation.violation_id, consistent_read=True)
    assert violation_count(session_id, "multiple_faces") == before


def test_an_extension_whose_new_evidence_cannot_be_kept_changes_nothing(api, make_exam):
    # Given a recorded episode whose evidence was kept
    ctx = start(api, make_exam)
    session_id = ctx["session"]["session_id"]
    key, gone, current = two_versions_the_first_gone()
    violation = episode(session_id, Evidence(key, current, "1" * 64))
    assert wiring.recorder().record(ctx["agency_id"], violation)
    assert tag_of(key, current) == "evidence"
    # When the episode grows with a new peak frame whose version is gone
    with pytest.raises(ClientError):
        wiring.recorder().extend(
            session_id,
            violation.violation_id,
            ended_at=datetime.now(UTC),
            peak_score=0.9,
            frames=2,
            still_open=True,
            evidence=Evidence(key, gone, "2" * 64),
        )
    # Then the episode and its evidence are unchanged
    stored = ViolationRecord.get(session_id, violation.violation_id, consistent_read=True)
    assert (stored.evidence_version, int(stored.frames)) == (current, 1)


def test_a_retag_writes_tags_on_the_version_and_makes_no_new_version():
    """Versioning: tags belong to a version; a retag creates none, so NoncurrentVersionExpiration never starts."""
    s3, bucket = wiring.s3(), wiring.settings().media_bucket
    key, _, current = two_versions_the_first_gone()
    from chalicelib.media.retention import keep_as_evidence

    assert keep_as_evidence(s3, bucket, key, current) and keep_as_evidence(s3, bucket, key, current)  # idempotent
    assert versions_of(key) == [current] and tag_of(key, current) == "evidence"
    assert s3.head_object(Bucket=bucket, Key=key)["VersionId"] == current
