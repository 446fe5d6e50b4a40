"""A monthly statement per agency, computed only from usage records and the agency's price plan.

Nothing else feeds the numbers, so the same records always give the same statement (a test recomputes totals from
the records it wrote).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.billing.plans import CENT, PER_EXAM, PricePlan

HOUR = Decimal(60)
UNIT_PLACES = Decimal("0.0001")  # exam-hours are kept to 4 decimals before pricing


@dataclass(frozen=True)
class Usage:
    """One session's metered usage (one record per session, written once by the lifecycle)."""

    session_id: str
    agency_id: str
    exam_id: str
    exam_title: str
    month: str  # YYYY-MM of the session's start, UTC
    proctored_minutes: Decimal
    media_objects: int
    media_bytes: int
    analyzer_ms: int
    identity_checks: int


@dataclass(frozen=True)
class StatementLine:
    exam_id: str
    exam_title: str
    sittings: int
    proctored_hours: Decimal
    units: Decimal
    unit_price: Decimal
    amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "exam_id": self.exam_id,
            "exam_title": self.exam_title,
            "sittings": self.sittings,
            "proctored_hours": str(self.proctored_hours),
            "units": str(self.units),
            "unit_price": str(self.unit_price),
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class Statement:
    agency_id: str
    month: str
    plan: PricePlan
    lines: tuple[StatementLine, ...]
    unit_price: Decimal
    total_units: Decimal
    total: Decimal
    usage: dict[str, int]  # what the platform measured: media objects and bytes, analyzer ms, identity checks

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency_id": self.agency_id,
            "month": self.month,
            "plan": self.plan.as_dict(),
            "currency": self.plan.currency,
            "unit": self.plan.unit,
            "unit_price": str(self.unit_price),
            "total_units": str(self.total_units),
            "total": str(self.total),
            "lines": [line.as_dict() for line in self.lines],
            "usage": dict(self.usage),
        }


def units_of(record: Usage, unit: str) -> Decimal:
    if unit == PER_EXAM:
        return Decimal(1)
    return (record.proctored_minutes / HOUR).quantize(UNIT_PLACES, rounding=ROUND_HALF_UP)


def build_statement(agency_id: str, month: str, plan: PricePlan, records: Iterable[Usage]) -> Statement:
    """Lines per exam (sittings, hours, units, the month's unit price, amount), sorted by exam title then id."""
    by_exam: dict[str, list[Usage]] = defaultdict(list)
    totals = {"media_objects": 0, "media_bytes": 0, "analyzer_ms": 0, "identity_checks": 0}
    for record in records:
        if record.agency_id != agency_id or record.month != month:
            raise ValueError(f"usage record {record.session_id} is not {agency_id}'s for {month}")
        by_exam[record.exam_id].append(record)
        for key in totals:
            totals[key] += int(getattr(record, key))
    units = {exam_id: sum((units_of(r, plan.unit) for r in rows), Decimal(0)) for exam_id, rows in by_exam.items()}
    total_units = sum(units.values(), Decimal(0))
    unit_price = plan.unit_price(total_units)
    lines = tuple(
        sorted(
            (
                StatementLine(
                    exam_id=exam_id,
                    exam_title=rows[0].exam_title,
                    sittings=len(rows),
                    proctored_hours=(sum((r.proctored_minutes for r in rows), Decimal(0)) / HOUR).quantize(
                        UNIT_PLACES, rounding=ROUND_HALF_UP
                    ),
                    units=units[exam_id],
                    unit_price=unit_price,
                    amount=(units[exam_id] * unit_price).quantize(CENT, rounding=ROUND_HALF_UP),
                )
                for exam_id, rows in by_exam.items()
            ),
            key=lambda line: (line.exam_title, line.exam_id),
        )
    )
    return Statement(
        agency_id=agency_id,
        month=month,
        plan=plan,
        lines=lines,
        unit_price=unit_price,
        total_units=total_units,
        total=sum((line.amount for line in lines), Decimal(0)),
        usage=totals,
    )
