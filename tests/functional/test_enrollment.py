"""Identity check before the exam and re-identification during it, with real face photos over HTTP."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.helpers import (
    DOCUMENT,
    IMPOSTOR,
    SELFIE,
    WEBCAM,
    analyzed,
    presign,
    put_photo,
    timeline,
    upload,
    verify,
    wait_for,
)
from tests.paths import FACES_DIR


def jpeg(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def darkened(path) -> bytes:
    return jpeg((cv2.imread(str(path)).astype(np.float32) * 0.12).astype(np.uint8))


def blurred(path) -> bytes:
    return jpeg(cv2.GaussianBlur(cv2.imread(str(path)), (0, 0), 9))


def start(api, ctx):
    return api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={})


@pytest.fixture
def exam(make_exam):
    return make_exam(require_identity=True, analysis={"reid_every_n": 1})


def test_a_matching_selfie_and_document_pass_and_unlock_the_exam(api, exam):
    # Given an exam that requires the identity check, the candidate cannot start before it
    refused = start(api, exam)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "identity.not_verified"
    # When the candidate sends their own face photo and their document photo
    result = verify(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes())
    # Then the check passes with its similarity recorded, and the exam can start
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["status"] == "approved" and body["reasons"] == []
    assert body["scores"]["similarity"] >= body["scores"]["threshold"]
    assert body["reidentification"] is True
    assert start(api, exam).status_code == 201


@pytest.mark.parametrize(
    ("selfie", "document", "expected"),
    [
        (FACES_DIR / "group__two_people.jpg", DOCUMENT, "selfie.multiple_faces"),
        (FACES_DIR / "noface__horses.jpg", DOCUMENT, "selfie.no_face"),
        ("dark", DOCUMENT, "selfie.too_dark"),
        ("blur", DOCUMENT, "selfie.blurry"),
        (SELFIE, IMPOSTOR, "id_document.face_mismatch"),
    ],
)
def test_bad_photos_are_rejected_with_a_reason_in_every_language(api, exam, selfie, document, expected):
    selfie_bytes = {"dark": lambda: darkened(SELFIE), "blur": lambda: blurred(SELFIE)}.get(
        selfie, lambda: selfie.read_bytes()
    )()
    result = verify(api, exam, selfie_bytes, document.read_bytes())
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["status"] == "rejected"
    codes = [f"{r['photo']}.{r['code']}" for r in body["reasons"]]
    assert expected in codes
    assert all(set(r["message"]) == {"kk", "ru", "en"} and all(r["message"].values()) for r in body["reasons"])
    assert start(api, exam).json()["error"]["code"] == "identity.not_verified"


def test_a_proctor_can_override_a_rejection_with_a_reason(api, exam):
    verify(api, exam, SELFIE.read_bytes(), IMPOSTOR.read_bytes())
    path = f"/proctor/enrollments/{exam['exam_id']}/{exam['candidate_id']}"
    seen = api.call("GET", path, exam["proctor"]).json()
    assert seen["status"] == "rejected" and seen["selfie_url"].startswith("http")
    no_reason = api.call("POST", f"{path}/override", exam["proctor"], json={})
    assert no_reason.status_code == 400
    overridden = api.call("POST", f"{path}/override", exam["proctor"], json={"reason": "old passport photo"})
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["status"] == "overridden"
    assert overridden.json()["override_by"].startswith("proctor-")
    assert overridden.json()["override_reason"] == "old passport photo"
    assert start(api, exam).status_code == 201
    again = api.call("POST", f"{path}/override", exam["proctor"], json={"reason": "twice"})
    assert again.status_code == 409


def test_no_biometric_processing_before_consent(api, make_exam):
    ctx = make_exam(require_identity=True, consent=False)
    presigned = api.call(
        "POST", f"/exams/{ctx['exam_id']}/enrollment/uploads", ctx["candidate"], json={"kind": "selfie"}
    )
    assert presigned.status_code == 403 and presigned.json()["error"]["code"] == "consent.required"
    verified = api.call(
        "POST",
        f"/exams/{ctx['exam_id']}/enrollment/verify",
        ctx["candidate"],
        json={"selfie_key": "x", "id_document_key": "y"},
    )
    assert verified.status_code == 403 and verified.json()["error"]["code"] == "consent.required"


def test_photos_of_someone_elses_prefix_are_refused(api, exam, make_exam):
    other = make_exam(require_identity=True)
    foreign = put_photo(api, other, "selfie", SELFIE.read_bytes())
    own = put_photo(api, exam, "id_document", DOCUMENT.read_bytes())
    response = api.call(
        "POST",
        f"/exams/{exam['exam_id']}/enrollment/verify",
        exam["candidate"],
        json={"selfie_key": foreign, "id_document_key": own},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "enrollment.foreign_key"


def test_an_impostor_during_the_exam_yields_one_face_mismatch_episode(api, exam):
    # Given an enrolled candidate writing the exam
    assert verify(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes()).json()["status"] == "approved"
    exam["session"] = start(api, exam).json()
    # When the candidate's own face shows, then someone else for three frames, then the candidate again
    frames = [WEBCAM, IMPOSTOR, IMPOSTOR, IMPOSTOR, WEBCAM]
    for frame in frames:
        upload(presign(api, exam), frame.read_bytes()).raise_for_status()
    wait_for(lambda: analyzed(exam) == len(frames), timeout_s=20)
    # Then there is exactly one closed face_mismatch episode covering the three impostor frames
    mismatches = [v for v in timeline(api, exam)["violations"] if v["type"] == "face_mismatch"]
    assert len(mismatches) == 1
    assert (mismatches[0]["frames"], mismatches[0]["open"]) == (3, False)
    assert mismatches[0]["details"]["similarity"] < mismatches[0]["details"]["threshold"]


def masked(path) -> bytes:
    """The photo with a cloth-coloured cover over nose and mouth, placed from the detected landmarks."""
    from benchmarks.occlusion import cover_lower_face
    from chalicelib.identity.face_engine import OpenCvFaceEngine

    image = cv2.imread(str(path))
    return jpeg(cover_lower_face(image, OpenCvFaceEngine().observe(image)[0]))


def test_a_covered_face_yields_face_covered_not_face_mismatch(api, exam):
    assert verify(api, exam, SELFIE.read_bytes(), DOCUMENT.read_bytes()).json()["status"] == "approved"
    exam["session"] = start(api, exam).json()
    cover = masked(WEBCAM)
    frames = [WEBCAM.read_bytes(), cover, cover, WEBCAM.read_bytes()]
    for frame in frames:
        upload(presign(api, exam), frame).raise_for_status()
    wait_for(lambda: analyzed(exam) == len(frames), timeout_s=20)
    types = [v["type"] for v in timeline(api, exam)["violations"]]
    assert types == ["face_covered"]
    [episode] = timeline(api, exam)["violations"]
    assert (episode["frames"], episode["open"]) == (2, False)
    assert episode["details"]["lower_similarity"] < 0.46


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("uploads", {"kind": "passport_scan"}, 400, "request.invalid_field"),
        ("uploads", [], 400, "request.body_not_object"),
        ("verify", {"selfie_key": "x"}, 400, "request.invalid_field"),
        ("verify", {"selfie_key": 5, "id_document_key": "y"}, 400, "request.invalid_field"),
        ("verify", {"selfie_key": "x", "id_document_key": "y"}, 400, "enrollment.foreign_key"),
    ],
)
def test_bad_identity_check_requests_get_a_clear_4xx(api, exam, path, body, status, code):
    response = api.call("POST", f"/exams/{exam['exam_id']}/enrollment/{path}", exam["candidate"], json=body)
    assert response.status_code == status and response.json()["error"]["code"] == code


def test_a_png_selfie_is_refused_jpeg_only(api, exam):
    ok, encoded = cv2.imencode(".png", cv2.imread(str(SELFIE)))
    assert ok
    selfie = put_photo(api, exam, "selfie", encoded.tobytes())  # labelled image/jpeg by the upload form
    document = put_photo(api, exam, "id_document", DOCUMENT.read_bytes())
    body = {"selfie_key": selfie, "id_document_key": document}
    refused = api.call("POST", f"/exams/{exam['exam_id']}/enrollment/verify", exam["candidate"], json=body)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "enrollment.photo_rejected"


def test_an_unknown_or_corrupt_photo_is_refused_without_a_decision(api, exam):
    own_prefix = put_photo(api, exam, "selfie", b"\xff\xd8 not really a jpeg \xff\xd9")
    document = put_photo(api, exam, "id_document", DOCUMENT.read_bytes())
    corrupt = api.call(
        "POST",
        f"/exams/{exam['exam_id']}/enrollment/verify",
        exam["candidate"],
        json={"selfie_key": own_prefix, "id_document_key": document},
    )
    assert corrupt.status_code == 422 and corrupt.json()["error"]["code"] == "enrollment.photo_unreadable"
    never_uploaded = own_prefix.rsplit("/", 1)[0] + "/20260101T000000000Z-000000000000.jpg"
    missing = api.call(
        "POST",
        f"/exams/{exam['exam_id']}/enrollment/verify",
        exam["candidate"],
        json={"selfie_key": never_uploaded, "id_document_key": document},
    )
    assert missing.status_code == 409 and missing.json()["error"]["code"] == "enrollment.photo_missing"
    status = api.call("GET", f"/exams/{exam['exam_id']}/enrollment", exam["candidate"])
    assert status.status_code == 404 and status.json()["error"]["code"] == "enrollment.not_found"
