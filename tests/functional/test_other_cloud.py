"""The same code against another S3/DynamoDB-compatible cloud: only endpoint, region and credentials differ.

A second endpoint process stands in for an in-country provider (Law 94-V, Art. 12: personal data stays in
Kazakhstan). The whole flow runs against it over HTTP: login, consent, start, presigned upload, analysis,
proctor timeline, submit and the state machine's move to review.
"""

from __future__ import annotations

import uuid

import pytest

from local.stack import LocalStack
from tests.api_client import ApiClient
from tests.helpers import PASSWORD, exam_payload, upload, wait_for
from tests.paths import FACES_DIR


@pytest.fixture(scope="module")
def other_cloud(stack, tmp_path_factory):
    """A second, independent stack: other port, region, credentials and stage; the first stack's env is restored."""
    from chalicelib import wiring

    patch = pytest.MonkeyPatch()
    cloud = LocalStack(
        stage="kzcloud",
        region="eu-central-1",
        credentials=("kz-access-key", "kz-secret-key"),
        log_dir=tmp_path_factory.mktemp("other-cloud-logs"),
    )
    try:
        cloud.start_endpoint(setenv=patch.setenv)
        wiring.reset()
        cloud.start_services()
        yield cloud
    finally:
        cloud.stop()
        patch.undo()
        wiring.reset()
        wiring.settings()  # bind the models back to the first stack's tables


def test_the_whole_flow_runs_on_another_compatible_cloud(other_cloud, stack):
    from local.seed import create_user, demo_bank

    assert other_cloud.endpoint_url != stack.endpoint_url
    assert other_cloud.env["AWS_REGION"] == "eu-central-1"
    api = ApiClient(other_cloud.api_url)
    agency = f"kz-agency-{uuid.uuid4().hex[:6]}"
    create_user(f"admin-{agency}", "admin", "Admin", PASSWORD, agency_id=agency)
    create_user(f"proctor-{agency}", "proctor", "Proctor", PASSWORD, agency_id=agency)
    admin = api.login(f"admin-{agency}", PASSWORD)
    exam = api.call(
        "POST", "/admin/exams", admin, json=exam_payload(analysis={"persistence": {"multiple_faces": 1}})
    ).json()
    api.call("POST", f"/admin/exams/{exam['exam_id']}/questions", admin, json=demo_bank(4)).raise_for_status()
    api.call(
        "POST",
        f"/admin/exams/{exam['exam_id']}/roster",
        admin,
        json={"candidates": [{"user_id": f"cand-{agency}", "full_name": "C", "password": PASSWORD}]},
    ).raise_for_status()
    candidate = api.login(f"cand-{agency}", PASSWORD)
    api.call(
        "POST", f"/exams/{exam['exam_id']}/consent", candidate, json={"accepted": True, "language": "kk"}
    ).raise_for_status()
    session = api.call("POST", f"/exams/{exam['exam_id']}/sessions", candidate, json={"language": "kk"}).json()

    post = api.call("POST", f"/sessions/{session['session_id']}/media", candidate, json={"kind": "webcam"}).json()
    assert post["url"].startswith(other_cloud.endpoint_url)
    upload(post, (FACES_DIR / "group__two_people.jpg").read_bytes()).raise_for_status()
    proctor = api.login(f"proctor-{agency}", PASSWORD)

    def violations():
        timeline = api.call("GET", f"/proctor/sessions/{session['session_id']}/timeline", proctor).json()
        return [v["type"] for v in timeline["violations"]]

    assert wait_for(violations) == ["multiple_faces"]
    api.call("POST", f"/sessions/{session['session_id']}/submit", candidate).raise_for_status()
    wait_for(
        lambda: api.call("GET", f"/sessions/{session['session_id']}", candidate).json()["status"] == "awaiting_review"
    )


def open_session(cloud: LocalStack) -> tuple[ApiClient, str, str]:
    """A candidate writing an exam on this cloud: (its API, the candidate's token, the session id)."""
    from local.seed import create_user, demo_bank

    api = ApiClient(cloud.api_url)
    agency = f"kz-agency-{uuid.uuid4().hex[:6]}"
    create_user(f"admin-{agency}", "admin", "Admin", PASSWORD, agency_id=agency)
    admin = api.login(f"admin-{agency}", PASSWORD, agency=agency)
    exam_id = api.call("POST", "/admin/exams", admin, json=exam_payload()).json()["exam_id"]
    api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=demo_bank(4)).raise_for_status()
    roster = {"candidates": [{"user_id": f"cand-{agency}", "full_name": "C", "password": PASSWORD}]}
    api.call("POST", f"/admin/exams/{exam_id}/roster", admin, json=roster).raise_for_status()
    candidate = api.login(f"cand-{agency}", PASSWORD, agency=agency)
    consent = {"accepted": True, "language": "kk"}
    api.call("POST", f"/exams/{exam_id}/consent", candidate, json=consent).raise_for_status()
    session = api.call("POST", f"/exams/{exam_id}/sessions", candidate, json={"language": "kk"}).json()
    return api, candidate, session["session_id"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (
            {"data": b"\xff\xd8" + b"x" * (1100 * 1024)},
            400,
            "EntityTooLarge",
        ),  # over the form's size range (a pair: 2 x 512 KB)
        ({"content_type": "text/html"}, 403, "AccessDenied"),  # not the type the form names
        ({"key": "other"}, 403, "AccessDenied"),  # into another session's prefix
    ],
)
def test_the_endpoint_enforces_upload_forms_as_s3_does(other_cloud, change, status, code):
    """Like S3 (and unlike moto), the local endpoint refuses what the form does not allow and stores nothing.

    Clouds that accept such uploads are still covered: the analyzer checks size, type, decoding and the key itself
    (tests/functional/test_analyzer.py puts such objects straight into the bucket).
    """
    import boto3

    api, candidate, session_id = open_session(other_cloud)
    form = api.call("POST", f"/sessions/{session_id}/media", candidate, json={"kind": "webcam"}).json()
    if change.get("key"):
        form["fields"]["key"] = form["fields"]["key"].replace(session_id, uuid.uuid4().hex)
    data = change.get("data", (FACES_DIR / "obama__obama.jpg").read_bytes())
    response = upload(form, data, change.get("content_type", "image/jpeg"))
    assert response.status_code == status, response.text
    assert f"<Code>{code}</Code>" in response.text
    s3 = boto3.client("s3", endpoint_url=other_cloud.endpoint_url, region_name=other_cloud.region)
    stored = s3.list_objects_v2(Bucket=other_cloud.env["PROCTOR_MEDIA_BUCKET"], Prefix=form["fields"]["key"])
    assert stored.get("KeyCount", 0) == 0
