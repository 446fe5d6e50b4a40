"""Who is calling: the one fact about identity that every context needs, so it lives on the ground floor."""

from __future__ import annotations

from dataclasses import dataclass

OPERATOR = "operator"  # platform staff: creates and suspends agencies; belongs to the reserved agency "platform"


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str  # candidate | proctor | admin | operator
    agency_id: str
    # A proctor limited to some exams: only these exams' sessions, enrollments and reviews. None: every exam of the
    # agency (every other role, and proctors without a limit). Read from the account with the token version.
    exam_ids: tuple[str, ...] | None = None

    def may_see_exam(self, exam_id: str) -> bool:
        return self.exam_ids is None or exam_id in self.exam_ids
