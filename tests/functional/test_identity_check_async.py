"""The identity check is asynchronous: the API records a pending check and queues a job, the identity checker
(functions/identity_checker/, run by the local dispatcher from the identity queue) decides it. Real HTTP, real queue.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers import DOCUMENT, IMPOSTOR, SELFIE, decision, put_photo, request_verification, wait_for

# PIL is not among them: fpdf2 (statement PDFs) depends on Pillow, so the API package carries it; numpy it only
# imports when present, and the API keeps it out (chalicelib/core/optional_imports.py), as on Lambda.
FACE_LIBRARIES = ("cv2", "onnxruntime", "numpy")


@pytest.fixture
def exam(make_exam):
    return make_exam(require_identity=True)


def in_process():
    from chalicelib import wiring

    wiring.settings()
    return wiring


def record_of(ctx):
    from chalicelib.identity.models import EnrollmentRecord

    in_process()
    return EnrollmentRecord.get(ctx["candidate_id"], ctx["exam_id"], consistent_read=True)


def start(api, ctx):
    return api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={})


def pending_record(ctx, *, requested_ago: timedelta = timedelta(0), keys: tuple[str, str] | None = None):
    """A pending check written straight to the table, with a job id no queued message carries."""
    from chalicelib.identity.enrollment import enrollment_prefix
    from chalicelib.identity.models import EnrollmentRecord

    wiring = in_process()
    now = wiring.clock().now()
    prefix = enrollment_prefix(ctx["exam_id"], ctx["candidate_id"])
    selfie, document = keys or (
        f"{prefix}/selfie/20260101T000000000Z-{'0' * 12}.jpg",
        f"{prefix}/id_document/20260101T000000000Z-{'0' * 12}.jpg",
    )
    record = EnrollmentRecord(
        candidate_id=ctx["candidate_id"],
        exam_id=ctx["exam_id"],
        agency_id=ctx["candidate_id"].split("~", 1)[0],
        status="pending",
        selfie_key=selfie,
        document_key=document,
        attempts=1,
        requested_at=now - requested_ago,
        job_id=uuid.uuid4().hex,
        expires_at=now + timedelta(days=30),
    )
    record.save()
    return record


def sqs_event(body: dict) -> dict:
    """One SQS record as Lambda's event source delivers it."""
    return {
        "Records": [
            {
                "messageId": uuid.uuid4().hex,
                "receiptHandle": "r",
                "body": json.dumps(body),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:proctor-local-identity",
                "awsRegion": "us-east-1",
            }
        ]
    }


def test_verify_answers_pending_at_once_then_the_check_is_decided(api, exam):
    response = request_verification(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes())
    # The API answers before any model ran: 202 with the pending check
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending" and body["reasons"] == [] and body["decided_at"] is None
    assert body["attempts"] == 1 and body["requested_at"]
    # The checker decides it; the candidate sees the decision on GET
    decided = decision(api, exam).json()
    assert decided["status"] == "approved" and decided["attempts"] == 1
    assert decided["scores"]["similarity"] >= decided["scores"]["threshold"] and decided["decided_at"]
    assert start(api, exam).status_code == 201
    # Asking again after a pass answers the pass, queues nothing and counts nothing
    again = request_verification(api, exam, SELFIE.read_bytes(), IMPOSTOR.read_bytes())
    assert again.status_code == 200 and again.json()["status"] == "approved" and again.json()["attempts"] == 1


def test_a_pending_check_does_not_let_the_candidate_start(api, exam):
    pending_record(exam)
    refused = start(api, exam)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "identity.not_verified"
    status = api.call("GET", f"/exams/{exam['exam_id']}/enrollment", exam["candidate"]).json()
    assert status["status"] == "pending" and status["reidentification"] is False


def test_asking_again_while_pending_answers_the_same_check_and_counts_one_attempt(api, exam):
    record = pending_record(exam)
    response = request_verification(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes())
    assert response.status_code == 202 and response.json()["attempts"] == 1
    stored = record_of(exam)
    assert stored.job_id == record.job_id and stored.status == "pending" and int(stored.attempts) == 1


def test_a_stale_pending_check_is_queued_again_without_counting_an_attempt(api, exam):
    # Its job was given up on (dead-lettered): after PENDING_RETRY_AFTER the candidate may ask again
    record = pending_record(exam, requested_ago=timedelta(minutes=11))
    response = request_verification(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes())
    assert response.status_code == 202 and response.json()["attempts"] == 1
    assert record_of(exam).job_id != record.job_id
    assert decision(api, exam).json()["status"] == "approved"
    assert int(record_of(exam).attempts) == 1


def test_a_redelivered_job_is_decided_once_and_never_counts_an_attempt(api, exam):
    from functions.identity_checker.handler import lambda_handler

    selfie = put_photo(api, exam, "selfie", SELFIE.read_bytes())
    document = put_photo(api, exam, "id_document", IMPOSTOR.read_bytes())
    record = pending_record(exam, keys=(selfie, document))
    job = {"candidate_id": exam["candidate_id"], "exam_id": exam["exam_id"], "job_id": record.job_id}
    # First delivery decides
    assert lambda_handler(sqs_event(job), None) == {"batchItemFailures": []}
    first = record_of(exam)
    assert first.status == "rejected" and first.reasons == ["id_document.face_mismatch"]
    assert int(first.attempts) == 1 and first.decided_at is not None
    # The same job again (SQS delivers at least once): nothing changes
    assert lambda_handler(sqs_event(job), None) == {"batchItemFailures": []}
    second = record_of(exam)
    assert (second.status, int(second.attempts), second.decided_at) == ("rejected", 1, first.decided_at)
    # Through the real queue too: the dispatcher delivers it to the checker, which writes nothing
    wiring = in_process()
    queue_url = wiring.settings().identity_queue_url
    wiring.sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps(job))

    def drained():
        attributes = wiring.sqs().get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return all(int(v) == 0 for v in attributes.values())

    wait_for(drained, timeout_s=30)
    third = record_of(exam)
    assert (third.status, int(third.attempts), third.decided_at) == ("rejected", 1, first.decided_at)
    # A new request after the rejection is the second attempt, and the old job cannot overwrite its decision
    again = request_verification(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes())
    assert again.status_code == 202 and again.json()["attempts"] == 2
    assert decision(api, exam).json()["status"] == "approved"
    assert lambda_handler(sqs_event(job), None) == {"batchItemFailures": []}
    final = record_of(exam)
    assert final.status == "approved" and int(final.attempts) == 2


def test_photos_that_are_gone_when_the_job_runs_are_a_rejection_not_a_retry(api, exam):
    from functions.identity_checker.handler import lambda_handler

    record = pending_record(exam)  # keys under the candidate's folder, never uploaded (or erased meanwhile)
    job = {"candidate_id": exam["candidate_id"], "exam_id": exam["exam_id"], "job_id": record.job_id}
    assert lambda_handler(sqs_event(job), None) == {"batchItemFailures": []}
    body = api.call("GET", f"/exams/{exam['exam_id']}/enrollment", exam["candidate"]).json()
    assert body["status"] == "rejected"
    reasons = [(r["photo"], r["code"]) for r in body["reasons"]]
    assert reasons == [("selfie", "unreadable"), ("id_document", "unreadable")]
    assert set(body["reasons"][0]["message"]) == {"kk", "ru", "en"}


def test_a_malformed_job_fails_only_its_own_message(stack):
    from functions.identity_checker.handler import lambda_handler

    unknown = sqs_event({"candidate_id": "nobody~x", "exam_id": "none", "job_id": "j"})["Records"][0]
    malformed = sqs_event({"candidate_id": "x"})["Records"][0]
    failures = lambda_handler({"Records": [unknown, malformed]}, None)["batchItemFailures"]
    assert failures == [{"itemIdentifier": malformed["messageId"]}]


def _mapped_files(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


def _tree(pid: int) -> list[int]:
    """The process and its descendants (chalice local may serve from a child)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = Path(f"/proc/{pid}/task/{task.name}/children")
        if children.exists():
            for child in children.read_text().split():
                found.extend(_tree(int(child)))
    return found


def test_the_running_api_never_loads_the_face_stack(api, exam, stack):
    # A whole identity check through the live API process: verify, status, the proctor's review
    assert request_verification(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes()).status_code == 202
    assert decision(api, exam).json()["status"] == "approved"
    review = api.call("GET", f"/proctor/enrollments?exam_id={exam['exam_id']}", exam["proctor"])
    assert review.status_code == 200
    api_process = stack._services["api"].process
    maps = "".join(_mapped_files(pid) for pid in _tree(api_process.pid))
    assert "python" in maps  # we are looking at a live interpreter
    loaded = [name for name in FACE_LIBRARIES if f"/{name}/" in maps or f"/{name}.libs/" in maps]
    assert loaded == [], f"the API process mapped libraries of {loaded}"
    # The same look at the dispatcher, which ran the checker, finds them: the probe can see a loaded face stack
    checker_maps = "".join(_mapped_files(pid) for pid in _tree(stack._services["dispatcher"].process.pid))
    assert "/cv2/" in checker_maps and "/onnxruntime/" in checker_maps


def test_a_check_that_cannot_be_queued_leaves_no_pending_record(api, exam):
    from chalicelib.core.principal import Principal
    from chalicelib.identity.enrollment import EnrollmentService
    from chalicelib.identity.models import EnrollmentRecord

    wiring = in_process()
    selfie = put_photo(api, exam, "selfie", SELFIE.read_bytes())
    document = put_photo(api, exam, "id_document", DOCUMENT.read_bytes())

    def queue_down(job):
        raise ConnectionError("the queue is unreachable")

    service = EnrollmentService(
        wiring.s3(),
        wiring.settings().media_bucket,
        wiring.presigner(),
        wiring.clock(),
        wiring.settings().max_photo_bytes,
        require_consent=lambda *_: None,
        enqueue=queue_down,
    )
    candidate = Principal(user_id=exam["candidate_id"], role="candidate", agency_id=exam["agency_id"])
    with pytest.raises(ConnectionError):
        service.verify(candidate, exam["exam_id"], selfie, document)
    assert EnrollmentRecord.find(exam["candidate_id"], exam["exam_id"]) is None
    # Asking again (the queue is back) queues the check at once, as the first attempt
    response = request_verification(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes())
    assert response.status_code == 202 and response.json()["attempts"] == 1
    assert decision(api, exam).json()["status"] == "approved"
