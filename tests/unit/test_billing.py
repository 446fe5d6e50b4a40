"""Price plans, statement arithmetic and the statement files: totals always recompute from the usage records."""

from __future__ import annotations

import csv
import io
import random
from decimal import Decimal

import pytest

from chalicelib.billing.exports import statement_csv, statement_pdf
from chalicelib.billing.plans import DEFAULT_PLAN, PER_EXAM_HOUR, parse_plan
from chalicelib.billing.statements import Usage, build_statement
from chalicelib.core.errors import InvalidInput

HOURLY = {
    "unit": PER_EXAM_HOUR,
    "currency": "KZT",
    "tiers": [{"up_to": 100, "unit_price": "900.00"}, {"up_to": None, "unit_price": "700.50"}],
}


def usage(session: int, exam: str, minutes: str, month: str = "2026-11", agency: str = "ag-1") -> Usage:
    return Usage(
        session_id=f"s{session}",
        agency_id=agency,
        exam_id=exam,
        exam_title=f"Exam {exam}",
        month=month,
        proctored_minutes=Decimal(minutes),
        media_objects=100,
        media_bytes=4_000_000,
        analyzer_ms=5000,
        identity_checks=1,
    )


def test_volume_tier_prices_every_unit_of_the_month():
    assert DEFAULT_PLAN.unit_price(Decimal(10000)) == Decimal("1500.00")
    assert DEFAULT_PLAN.unit_price(Decimal(10001)) == Decimal("1200.00")
    plan = parse_plan(HOURLY)
    assert plan.unit_price(Decimal("99.9999")) == Decimal("900.00")
    assert plan.unit_price(Decimal("100.0001")) == Decimal("700.50")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"unit": "minute"}, "unit"),
        ({"currency": "XXX"}, "currency"),
        ({"tiers": []}, "tiers"),
        ({"tiers": [{"up_to": 10, "unit_price": "1"}]}, "tiers[0].up_to"),
        ({"tiers": [{"up_to": None, "unit_price": "1.001"}]}, "tiers[0].unit_price"),
        ({"tiers": [{"up_to": None, "unit_price": 1.5}]}, "tiers[0].unit_price"),
        ({"tiers": [{"up_to": None, "unit_price": "-1"}]}, "tiers[0].unit_price"),
        ({"tiers": [{"up_to": None, "unit_price": "NaN"}]}, "tiers[0].unit_price"),
        (
            {"tiers": [{"up_to": 10, "unit_price": "2"}, {"up_to": 5, "unit_price": "1"}, {"unit_price": "1"}]},
            "tiers[1].up_to",
        ),
        ({"tiers": [{"up_to": True, "unit_price": "2"}, {"unit_price": "1"}]}, "tiers[0].up_to"),
        ({"tiers": [{"up_to": 10**40, "unit_price": "2"}, {"unit_price": "1"}]}, "tiers[0].up_to"),
        ({"tiers": [{"up_to": 0, "unit_price": "2"}, {"unit_price": "1"}]}, "tiers[0].up_to"),
    ],
)
def test_bad_plans_name_the_field(change, field):
    with pytest.raises(InvalidInput) as raised:
        parse_plan({**HOURLY, **change})
    assert raised.value.code == "billing.invalid_plan"
    assert raised.value.details["field"] == field


def test_per_exam_statement_lines_and_total():
    records = [usage(i, "b", "60") for i in range(3)] + [usage(10 + i, "a", "25.5") for i in range(2)]
    statement = build_statement("ag-1", "2026-11", DEFAULT_PLAN, records)
    assert [(line.exam_id, line.sittings, line.amount) for line in statement.lines] == [
        ("a", 2, Decimal("3000.00")),
        ("b", 3, Decimal("4500.00")),
    ]
    assert statement.total == Decimal("7500.00") and statement.total_units == 5
    assert statement.usage == {
        "media_objects": 500,
        "media_bytes": 20_000_000,
        "analyzer_ms": 25000,
        "identity_checks": 5,
    }


def test_hourly_statement_recomputes_from_records():
    rng = random.Random(7)
    records = [usage(i, rng.choice("xyz"), str(rng.randint(1, 240))) for i in range(300)]
    plan = parse_plan(HOURLY)
    statement = build_statement("ag-1", "2026-11", plan, records)
    hours = sum((r.proctored_minutes / 60).quantize(Decimal("0.0001")) for r in records)
    assert statement.total_units == hours
    price = Decimal("900.00") if hours <= 100 else Decimal("700.50")
    assert statement.unit_price == price
    assert statement.total == sum(line.amount for line in statement.lines)
    assert abs(statement.total - hours * price) <= Decimal("0.01") * len(statement.lines)
    assert sum(line.sittings for line in statement.lines) == 300


def test_records_of_another_agency_or_month_are_refused():
    with pytest.raises(ValueError):
        build_statement("ag-1", "2026-11", DEFAULT_PLAN, [usage(1, "a", "10", agency="ag-2")])
    with pytest.raises(ValueError):
        build_statement("ag-1", "2026-11", DEFAULT_PLAN, [usage(1, "a", "10", month="2026-10")])


def test_csv_has_every_line_and_the_total():
    statement = build_statement("ag-1", "2026-11", DEFAULT_PLAN, [usage(1, "a", "30"), usage(2, "b", "45")])
    text = statement_csv(statement, "Агенттік", "kk").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Ұйым", "Агенттік"]
    assert rows[-1][1] == "Барлығы" and rows[-1][-1] == "3000.00"
    assert [row[0] for row in rows[5:-1]] == ["a", "b"]


def test_pdf_is_a_pdf_with_embedded_cyrillic_font():
    statement = build_statement("ag-1", "2026-11", DEFAULT_PLAN, [usage(1, "a", "30")])
    data = statement_pdf(statement, "Мемлекеттік қызмет істері агенттігі", "kk")
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in data  # the TrueType font is embedded, so қ and ә render anywhere


def test_every_agencys_csv_has_a_row_per_exam_and_a_total_per_agency():
    from chalicelib.billing.exports import statements_csv

    first = build_statement("ag-1", "2026-11", DEFAULT_PLAN, [usage(1, "a", "30"), usage(2, "b", "45")])
    second = build_statement("ag-2", "2026-11", parse_plan(HOURLY), [usage(3, "c", "90", agency="ag-2")])
    rows = list(csv.reader(io.StringIO(statements_csv([first, second], "ru").decode("utf-8-sig"))))
    assert [(row[0], row[4], row[-1]) for row in rows[1:]] == [
        ("ag-1", "a", "1500.00"),
        ("ag-1", "b", "1500.00"),
        ("ag-1", "", "3000.00"),
        ("ag-2", "c", "1350.00"),
        ("ag-2", "", "1350.00"),
    ]
    assert rows[3][5] == "Итого"


def test_media_counts_only_the_sessions_own_keys_by_kind():
    from chalicelib.billing.metering import media_by_kind

    session = "0" * 32
    other = "1" * 32
    keys = [
        (f"sessions/{session}/webcam/20261129T1010Z-0123456789abcdef/20261129T101010123Z-0123456789ab.jpg", 1000),
        (f"sessions/{session}/webcam/20261129T1010Z-0123456789abcdef/20261129T101015123Z-0123456789ac.jpg", 1500),
        (f"sessions/{session}/screen/20261129T1010Z-0123456789abcdef/20261129T101015123Z-0123456789ad.jpg", 7000),
        (f"sessions/{session}/audio/20261129T1010Z-0123456789abcdef/20261129T101015123Z-0123456789ae.wav", 32000),
        (
            f"sessions/{other}/audio/20261129T1010Z-0123456789abcdef/20261129T101015123Z-0123456789af.wav",
            32000,
        ),  # another session's
        (f"sessions/{session}/webcam/not-a-key-we-issued.jpg", 99),
    ]
    assert media_by_kind(keys, session) == {
        "webcam": {"objects": 2, "bytes": 2500},
        "audio": {"objects": 1, "bytes": 32000},
        "screen": {"objects": 1, "bytes": 7000},
    }


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-11", "2026-1", "2026-11 ", "2026-11\n", None, 202611])
def test_a_month_is_yyyy_mm(month):
    from chalicelib.billing.metering import parse_month

    with pytest.raises(InvalidInput) as raised:
        parse_month(month)
    assert raised.value.code == "billing.invalid_month"
    assert parse_month("2026-11") == "2026-11"
