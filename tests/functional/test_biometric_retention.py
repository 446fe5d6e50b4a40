"""A session keeps its copy of the candidate's face template only while the exam runs: results outlive biometrics."""

from __future__ import annotations

from chalicelib.exam.models import SessionRecord
from tests.helpers import ok


def test_a_finished_session_no_longer_holds_the_face_template(api, started):
    # Given a session in progress holding the template an identity check copied onto it
    session_id = started["session"]["session_id"]
    SessionRecord(session_id).update(
        actions=[
            SessionRecord.reference_engine.set("opencv"),
            SessionRecord.reference_vector.set(b"\x01" * 512),
            SessionRecord.reference_regions.set(b"\x02" * 1024),
            SessionRecord.reference_image_key.set(f"enrollment/x/{session_id}/selfie.jpg"),
        ]
    )
    # When the candidate submits
    ok(api.call("POST", f"/sessions/{session_id}/submit", started["candidate"]))
    # Then the template copy is gone and the result is kept
    record = SessionRecord.get(session_id, consistent_read=True)
    assert (record.reference_vector, record.reference_regions, record.reference_image_key) == (None, None, None)
    assert record.status == "submitted" or record.status == "awaiting_review"
    assert record.score is not None
