"""Who is calling: the one fact about identity that every context needs, so it lives on the ground floor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str  # candidate | proctor | admin
    agency_id: str
