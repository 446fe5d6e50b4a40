"""The identity-check review list of a big exam: filters run in the query, so no rejected check is pushed out."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.identity.models import EnrollmentRecord
from tests.helpers import ok


def test_a_rejected_check_after_a_thousand_approved_ones_is_listed(api, make_exam, agency):
    # Given an exam with 1,200 approved identity checks sorted before one rejected check
    ctx = make_exam(require_identity=True)
    exam_id, now = ctx["exam_id"], datetime.now(UTC)

    def check(candidate: str, status: str) -> EnrollmentRecord:
        return EnrollmentRecord(
            candidate_id=f"{agency['agency_id']}~{candidate}",
            exam_id=exam_id,
            agency_id=agency["agency_id"],
            status=status,
            selfie_key="enrollment/x/selfie.jpg",
            document_key="enrollment/x/document.jpg",
            decided_at=now,
        )

    with EnrollmentRecord.batch_write() as batch:
        for n in range(1200):
            batch.save(check(f"a-{n:05d}", "approved"))
        batch.save(check("z-late", "rejected"))
    # When the proctor opens the rejected checks, and the whole list
    rejected = ok(
        api.call("GET", "/proctor/enrollments", ctx["proctor"], params={"exam_id": exam_id, "status": "rejected"})
    )
    everything = ok(api.call("GET", "/proctor/enrollments", ctx["proctor"], params={"exam_id": exam_id}))
    # Then the rejected one is there, and first in the full list
    assert [e["login"] for e in rejected["enrollments"]] == ["z-late"]
    assert everything["enrollments"][0]["login"] == "z-late" and len(everything["enrollments"]) == 1201
