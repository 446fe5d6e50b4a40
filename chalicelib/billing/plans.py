"""Price plans: what an agency pays per proctored exam or per proctored exam-hour, with volume tiers.

Volume tiers, not graduated ones: the month's total units pick one tier, and that tier's unit price applies to every
unit of the month. Each exam's line is then simply its units × the month's unit price, so a statement's lines add
up to its total and an agency can check any line by hand. Money is Decimal in the plan's currency, rounded half-up
to 2 places per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.core.errors import InvalidInput

PER_EXAM = "exam"  # one unit per proctored sitting (a session that started)
PER_EXAM_HOUR = "exam_hour"  # proctored minutes / 60
UNITS = (PER_EXAM, PER_EXAM_HOUR)
CURRENCIES = ("KZT", "USD", "EUR", "RUB")
MAX_TIERS = 10
MAX_PRICE = Decimal("1000000")
MAX_UP_TO = 10**12  # units in a month; also keeps the number within what DynamoDB stores (38 digits)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Tier:
    up_to: int | None  # units in the month up to and including this many; None = no upper bound (the last tier)
    unit_price: Decimal


@dataclass(frozen=True)
class PricePlan:
    unit: str
    currency: str
    tiers: tuple[Tier, ...]

    def unit_price(self, month_units: Decimal) -> Decimal:
        """The price of every unit in a month with this many units: the first tier whose bound covers the total."""
        for tier in self.tiers:
            if tier.up_to is None or month_units <= tier.up_to:
                return tier.unit_price
        raise AssertionError("the last tier is unbounded")  # parse_plan guarantees it

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "currency": self.currency,
            "tiers": [{"up_to": t.up_to, "unit_price": str(t.unit_price)} for t in self.tiers],
        }


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(
        "billing.invalid_plan",
        f"Price plan field '{field}': {problem}.",
        details={"field": field, "problem": problem},
    )


def _price(raw: Any, field: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _invalid(field, 'a decimal number as text, e.g. "1500.00"')
    try:
        price = Decimal(str(raw))
    except InvalidOperation:
        raise _invalid(field, "not a number") from None
    if not price.is_finite() or price < 0 or price > MAX_PRICE or price != price.quantize(CENT):
        raise _invalid(field, f"between 0 and {MAX_PRICE} with at most 2 decimals")
    return price


def parse_plan(body: Any) -> PricePlan:
    """A plan from its JSON form; tiers ascend strictly and the last one is unbounded."""
    if not isinstance(body, dict):
        raise _invalid("plan", "an object")
    unit, currency, tiers = body.get("unit"), body.get("currency", "KZT"), body.get("tiers")
    if unit not in UNITS:
        raise _invalid("unit", f"one of {', '.join(UNITS)}")
    if currency not in CURRENCIES:
        raise _invalid("currency", f"one of {', '.join(CURRENCIES)}")
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= MAX_TIERS:
        raise _invalid("tiers", f"a list of 1 to {MAX_TIERS} tiers")
    parsed: list[Tier] = []
    for position, raw in enumerate(tiers):
        field = f"tiers[{position}]"
        if not isinstance(raw, dict):
            raise _invalid(field, "an object with up_to and unit_price")
        up_to = raw.get("up_to")
        last = position == len(tiers) - 1
        if last and up_to is not None:
            raise _invalid(f"{field}.up_to", "null on the last tier (it covers everything above)")
        if not last:
            if isinstance(up_to, bool) or not isinstance(up_to, int) or not 1 <= up_to <= MAX_UP_TO:
                raise _invalid(f"{field}.up_to", f"a whole number from 1 to {MAX_UP_TO}")
            if parsed and parsed[-1].up_to is not None and up_to <= parsed[-1].up_to:
                raise _invalid(f"{field}.up_to", "greater than the previous tier's")
        parsed.append(Tier(up_to, _price(raw.get("unit_price"), f"{field}.unit_price")))
    return PricePlan(unit, currency, tuple(parsed))


# What a new agency gets until the operator sets its plan: per sitting, cheaper from the 10,001st in a month.
DEFAULT_PLAN = parse_plan(
    {
        "unit": PER_EXAM,
        "currency": "KZT",
        "tiers": [{"up_to": 10000, "unit_price": "1500.00"}, {"up_to": None, "unit_price": "1200.00"}],
    }
)
