"""A candidate's biometric data: enrollment records expire with the photos, and an agency admin erases it on request."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests

from tests.helpers import DOCUMENT, SELFIE, assert_error, ok, put_photo, upload, verify, wait_for


def json_lines(path) -> list[dict]:
    """The JSON lines of a process log (chalice local also prints plain text)."""
    lines = []
    for text in path.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:
            continue
    return [line for line in lines if isinstance(line, dict)]


def in_process():
    from chalicelib import wiring

    wiring.settings()
    return wiring


def versions_under(prefix: str) -> list[dict]:
    """Every object version and delete marker under prefix in the media bucket (the bucket is versioned)."""
    wiring = in_process()
    page = wiring.s3().list_object_versions(Bucket=wiring.settings().media_bucket, Prefix=prefix)
    return [*page.get("Versions", []), *page.get("DeleteMarkers", [])]


def enrollment_folder(ctx) -> str:
    from chalicelib.identity.enrollment import enrollment_prefix

    return f"{enrollment_prefix(ctx['exam_id'], ctx['candidate_id'])}/"


@pytest.fixture
def enrolled(api, make_exam):
    """A candidate who passed the identity check, re-sent one photo over an old form, and started the exam."""
    ctx = make_exam(require_identity=True)
    assert ok(verify(api, ctx, SELFIE.read_bytes(), DOCUMENT.read_bytes()))["status"] == "approved"
    form = ok(
        api.call("POST", f"/exams/{ctx['exam_id']}/enrollment/uploads", ctx["candidate"], json={"kind": "selfie"})
    )
    upload(form, SELFIE.read_bytes()).raise_for_status()
    upload(form, DOCUMENT.read_bytes()).raise_for_status()  # the same key again: a second version
    ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={"language": "ru"}))
    return ctx


def test_an_enrollment_record_expires_with_the_photos(api, enrolled):
    from chalicelib.identity.models import EnrollmentRecord
    from infra.definitions import MEDIA_RETENTION_DAYS

    in_process()
    record = EnrollmentRecord.get(enrolled["candidate_id"], enrolled["exam_id"])
    lifetime = record.expires_at - record.decided_at  # TTL is kept in whole seconds
    assert timedelta(days=MEDIA_RETENTION_DAYS, seconds=-1) < lifetime <= timedelta(days=MEDIA_RETENTION_DAYS)


def test_erasure_deletes_every_photo_version_the_templates_and_their_copies_and_the_next_check_starts_afresh(
    api, stack, enrolled
):
    from chalicelib.exam.models import SessionRecord
    from chalicelib.exam.sessions import session_id_for
    from chalicelib.identity.models import EnrollmentRecord

    ctx, folder = enrolled, enrollment_folder(enrolled)
    login = ctx["login"]
    stored = versions_under(folder)
    assert len(stored) == 4  # the two checked photos, and two versions of the re-sent one
    in_process()
    assert SessionRecord.get(session_id_for(ctx["exam_id"], ctx["candidate_id"])).reference_vector is not None

    # When the agency's admin erases the candidate's biometric data
    erased = ok(api.call("DELETE", f"/admin/candidates/{login}/biometrics", ctx["admin"]))

    # Then every version is gone (no delete marker left either), the record with its template, the session's copy
    assert erased["login"] == login and erased["candidate_id"] == ctx["candidate_id"]
    assert (erased["enrollments_deleted"], erased["photo_versions_deleted"], erased["sessions_cleared"]) == (1, 4, 1)
    assert versions_under(folder) == []
    assert EnrollmentRecord.find(ctx["candidate_id"], ctx["exam_id"]) is None
    session = SessionRecord.get(session_id_for(ctx["exam_id"], ctx["candidate_id"]))
    assert (session.reference_vector, session.reference_image_key, session.reference_regions) == (None, None, None)
    # a link to a photo signed before (or after) the erasure serves nothing, and the proctor finds no check
    link = in_process().presigner().download_url(stored[0]["Key"])
    assert requests.get(link, timeout=10).status_code in (403, 404)  # 403: the endpoint does not say "missing"
    path = f"/proctor/enrollments/{ctx['exam_id']}/{ctx['candidate_id']}"
    assert_error(api.call("GET", path, ctx["proctor"]), 404, "enrollment.not_found")

    # and the API log has the audit line: who erased whose data, and how much
    def audit():
        return [
            line
            for line in json_lines(stack.log_dir / "api.log")
            if line.get("audit") == "biometric_erasure" and line.get("candidate_id") == erased["candidate_id"]
        ]

    (line,) = wait_for(audit)
    assert line["message"] == "biometric data erased" and line["by"].endswith(f"~admin-{ctx['agency_id']}")
    assert line["photo_versions_deleted"] == 4

    # And the candidate's next identity check starts afresh: no check on record, the first attempt again
    assert_error(api.call("GET", f"/exams/{ctx['exam_id']}/enrollment", ctx["candidate"]), 404, "enrollment.not_found")
    again = ok(verify(api, ctx, SELFIE.read_bytes(), DOCUMENT.read_bytes()))
    assert (again["status"], again["attempts"]) == ("approved", 1)


def test_erasure_reaches_photos_uploaded_but_never_checked(api, make_exam):
    ctx = make_exam(require_identity=True)
    put_photo(api, ctx, "selfie", SELFIE.read_bytes())
    assert len(versions_under(enrollment_folder(ctx))) == 1

    erased = ok(api.call("DELETE", f"/admin/candidates/{ctx['login']}/biometrics", ctx["admin"]))

    assert (erased["enrollments_deleted"], erased["photo_versions_deleted"]) == (0, 1)
    assert versions_under(enrollment_folder(ctx)) == []


def test_only_the_candidates_own_agency_admin_can_erase(api, enrolled, other_agency):
    ctx = enrolled
    others_admin = api.login(other_agency["admin"], "correct-horse-battery")
    path = f"/admin/candidates/{ctx['login']}/biometrics"

    assert_error(api.call("DELETE", path, others_admin), 404, "candidate.not_found")
    assert_error(api.call("DELETE", path, ctx["proctor"]), 403, "auth.forbidden_role")
    assert_error(api.call("DELETE", path, ctx["candidate"]), 403, "auth.forbidden_role")
    assert_error(
        api.call("DELETE", "/admin/candidates/nobody-at-all/biometrics", ctx["admin"]), 404, "candidate.not_found"
    )

    # Nothing was erased by the refused calls
    assert len(versions_under(enrollment_folder(ctx))) == 4
    assert ok(api.call("GET", f"/exams/{ctx['exam_id']}/enrollment", ctx["candidate"]))["status"] == "approved"
