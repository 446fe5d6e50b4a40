"""Each agency's price plans over time: a plan applies from its effective month until a later plan's month.

A plan cannot be set for a month that has begun before the current one, so a statement of a past month never
changes after the fact; the current month may still be corrected (its statement is not final until it ends).
"""

from __future__ import annotations

from typing import Any

from chalicelib.billing.metering import month_of, parse_month
from chalicelib.billing.models import PlanRecord
from chalicelib.billing.plans import DEFAULT_PLAN, PricePlan, parse_plan
from chalicelib.core.clock import Clock, iso
from chalicelib.core.errors import InvalidInput
from chalicelib.core.principal import Principal

PLAN_FIELDS = {"unit", "currency", "tiers", "effective_month"}


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(
        "billing.invalid_plan", f"Price plan field '{field}': {problem}.", details={"field": field, "problem": problem}
    )


class PlanBook:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def plan_for(self, agency_id: str, month: str) -> tuple[PricePlan, PlanRecord | None]:
        """The plan in force in the month (the newest one effective at or before it), or the default plan."""
        newest = next(
            iter(
                PlanRecord.query(
                    agency_id,
                    PlanRecord.effective_month <= month,
                    scan_index_forward=False,
                    limit=1,
                    consistent_read=True,
                )
            ),
            None,
        )
        return (parse_plan(newest.plan.as_dict()) if newest else DEFAULT_PLAN), newest

    def view(self, agency_id: str) -> dict[str, Any]:
        current_month = month_of(self._clock.now())
        plan, record = self.plan_for(agency_id, current_month)
        history = [plan_view(r) for r in PlanRecord.query(agency_id, scan_index_forward=False, consistent_read=True)]
        return {
            "agency_id": agency_id,
            "month": current_month,
            "plan": plan.as_dict(),
            "effective_month": record.effective_month if record else None,
            "default": record is None,
            "history": history,  # newest first; a future month's plan is listed before it takes effect
        }

    def set(self, operator: Principal, agency_id: str, body: Any) -> dict[str, Any]:
        """Store a plan from `effective_month` (default: the current month) on; it replaces one of the same month."""
        if not isinstance(body, dict):
            raise _invalid("plan", "an object")
        unknown = sorted(set(body) - PLAN_FIELDS)
        if unknown:
            raise _invalid(unknown[0], "not a plan field")
        plan = parse_plan(body)
        now = self._clock.now()
        current_month = month_of(now)
        effective = body.get("effective_month", current_month)
        try:
            effective = parse_month(effective)
        except InvalidInput:
            raise _invalid("effective_month", "a month written YYYY-MM") from None
        if effective < current_month:
            raise _invalid("effective_month", "not before the current month (past statements do not change)")
        record = PlanRecord(agency_id, effective, plan=plan.as_dict(), changed_at=now, changed_by=operator.user_id)
        record.save()
        return plan_view(record) | {"agency_id": agency_id}


def plan_view(record: PlanRecord) -> dict[str, Any]:
    return {
        "effective_month": record.effective_month,
        "plan": parse_plan(record.plan.as_dict()).as_dict(),
        "changed_at": iso(record.changed_at),
        "changed_by": record.changed_by,
    }
