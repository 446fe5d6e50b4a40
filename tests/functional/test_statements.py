"""Usage, plans and monthly statements over real HTTP: arithmetic with volume tiers across exams and a month boundary,
totals recomputed from the usage table, CSV and PDF downloads, who may see what, and bad input."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from chalicelib import wiring
from chalicelib.billing.models import UsageRecord
from chalicelib.exam.models import SessionRecord
from tests.api_client import ApiClient
from tests.helpers import PASSWORD, admit, assert_error, exam_payload, ok

HOURLY = {
    "unit": "exam_hour",
    "currency": "KZT",
    "tiers": [{"up_to": 2, "unit_price": "900.00"}, {"up_to": None, "unit_price": "700.50"}],
}
UNBOUNDED = {"up_to": None, "unit_price": "1"}


def month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def months() -> tuple[str, str, str, datetime]:
    """(previous, current, next) month of today (UTC) and the start of the current one."""
    start = month_start(datetime.now(UTC))
    previous = month_start(start - timedelta(days=1))
    following = month_start(start + timedelta(days=32))
    return previous.strftime("%Y-%m"), start.strftime("%Y-%m"), following.strftime("%Y-%m"), start


def new_exam(api: ApiClient, admin: str, titles: tuple[str, str, str]) -> str:
    payload = exam_payload()
    payload["title"] = dict(zip(("kk", "ru", "en"), titles, strict=True))
    return ok(api.call("POST", "/admin/exams", admin, json=payload))["exam_id"]


def sitting(agency_id: str, exam_id: str, start: datetime, minutes: int, paused_min: int = 0, **extra: Any) -> str:
    """A session of the exam that ended after `minutes` of writing (plus a proctor's pause), metered by the very hook
    the lifecycle calls."""
    session = SessionRecord(
        uuid.uuid4().hex,
        exam_id=exam_id,
        candidate_id=f"{agency_id}~cand-{uuid.uuid4().hex[:8]}",
        agency_id=agency_id,
        status="awaiting_review",
        language="ru",
        started_at=start,
        deadline_at=start + timedelta(minutes=90 + paused_min),
        submitted_at=start + timedelta(minutes=minutes + paused_min),
        paused_total_s=paused_min * 60,
        items=[],
        **extra,
    )
    session.save()
    assert wiring.metering().close(session)
    return session.session_id


def operator_token(api: ApiClient, agency: str = "platform") -> str:
    from local.seed import create_user

    account = create_user(f"operator-{uuid.uuid4().hex[:8]}", "operator", "Operator", PASSWORD, agency_id=agency)
    return api.login(account, PASSWORD)


@pytest.fixture(scope="module")
def world(api: ApiClient, stack) -> dict[str, Any]:
    """Agency A with two exams and sittings in two months (one across the boundary), agency B with one sitting."""
    from local.seed import create_agency

    previous, current, following, start = months()
    a, b = create_agency("bill", PASSWORD), create_agency("bill", PASSWORD)
    admin_a, admin_b = api.login(a["admin"], PASSWORD), api.login(b["admin"], PASSWORD)
    exam_x = new_exam(api, admin_a, ("Құқық", "Право", "Law"))
    exam_y = new_exam(api, admin_a, ("Әдеп", "Этика", "Ethics"))
    exam_b = new_exam(api, admin_b, ("Б", "Б", "B exam"))
    operator = operator_token(api)
    # A, current month, per exam-hour with tiers: X 3 × 45 min = 2.25 h; Y 30 min + (45 min with 15 paused) = 1 h
    ok(api.call("PUT", f"/operator/agencies/{a['agency_id']}/plan", operator, json={**HOURLY}))
    later = {**HOURLY, "tiers": [{"up_to": None, "unit_price": "1.00"}], "effective_month": following}
    ok(api.call("PUT", f"/operator/agencies/{a['agency_id']}/plan", operator, json=later))  # not yet in force
    for n in range(3):
        sitting(a["agency_id"], exam_x, start + timedelta(hours=2 + n), 45)
    sitting(a["agency_id"], exam_y, start + timedelta(hours=3), 30)
    sitting(a["agency_id"], exam_y, start + timedelta(hours=4), 30, paused_min=15)
    # A, previous month (default plan, per sitting): Y on its last day, and X from 23:40 into the current month
    sitting(a["agency_id"], exam_y, start - timedelta(hours=5), 30)
    sitting(a["agency_id"], exam_x, start - timedelta(minutes=20), 40)
    sitting(b["agency_id"], exam_b, start + timedelta(hours=1), 60)
    _, candidate = admit(api, admin_a, exam_x, consent=False)
    return {
        "months": (previous, current, following),
        "a": a,
        "b": b,
        "exams": (exam_x, exam_y, exam_b),
        "tokens": {
            "admin_a": admin_a,
            "admin_b": admin_b,
            "proctor_a": api.login(a["proctor"], PASSWORD),
            "candidate_a": candidate,
            "operator": operator,
        },
    }


def lines_of(statement: dict[str, Any]) -> dict[str, tuple[int, str, str, str]]:
    return {
        line["exam_id"]: (line["sittings"], line["units"], line["unit_price"], line["amount"])
        for line in statement["lines"]
    }


def test_tiers_price_every_unit_of_the_month_and_lines_add_up(api, world):
    _, current, _ = world["months"]
    exam_x, exam_y, _ = world["exams"]
    statement = ok(api.call("GET", f"/admin/statements/{current}", world["tokens"]["admin_a"]))
    # 3.25 h is over the first tier's 2 h: every hour at 700.50; 2.25 × 700.50 = 1576.125 → 1576.13 (half up)
    assert lines_of(statement) == {
        exam_x: (3, "2.2500", "700.50", "1576.13"),
        exam_y: (2, "1.0000", "700.50", "700.50"),
    }
    assert (statement["unit"], statement["currency"], statement["total_units"]) == ("exam_hour", "KZT", "3.2500")
    assert statement["total"] == "2276.63"
    assert [line["exam_title"] for line in statement["lines"]] == ["Ethics", "Law"]  # by title


def test_a_session_is_billed_in_the_month_it_started_under_that_months_plan(api, world):
    previous, _, _ = world["months"]
    exam_x, exam_y, _ = world["exams"]
    statement = ok(api.call("GET", f"/admin/statements/{previous}", world["tokens"]["admin_a"]))
    assert statement["unit"] == "exam"  # no plan was in force then: the default plan
    assert lines_of(statement) == {exam_x: (1, "1", "1500.00", "1500.00"), exam_y: (1, "1", "1500.00", "1500.00")}
    assert statement["total"] == "3000.00"


def recompute(records: list[UsageRecord], plan: dict[str, Any]) -> tuple[dict[str, Decimal], Decimal]:
    """The statement's arithmetic written out again, independently: units per record, one tier for the month."""
    units: dict[str, Decimal] = defaultdict(Decimal)
    for record in records:
        minutes = Decimal(str(record.proctored_minutes))
        hours = (minutes / 60).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        units[record.exam_id] += Decimal(1) if plan["unit"] == "exam" else hours
    total_units = sum(units.values(), Decimal(0))
    price = next(Decimal(t["unit_price"]) for t in plan["tiers"] if t["up_to"] is None or total_units <= t["up_to"])
    amounts = {e: (u * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for e, u in units.items()}
    return amounts, sum(amounts.values(), Decimal(0))


def test_statement_totals_recompute_from_the_usage_table(api, world):
    agency_id = world["a"]["agency_id"]
    stored = [r for r in UsageRecord.scan(UsageRecord.agency_id == agency_id, consistent_read=True)]
    assert len(stored) == 7  # one record per sitting, nothing counted twice
    for month in world["months"][:2]:
        statement = ok(api.call("GET", f"/admin/statements/{month}", world["tokens"]["admin_a"]))
        records = [r for r in stored if r.month == month]
        amounts, total = recompute(records, statement["plan"])
        assert {line["exam_id"]: Decimal(line["amount"]) for line in statement["lines"]} == amounts
        assert Decimal(statement["total"]) == total
        assert sum(line["sittings"] for line in statement["lines"]) == len(records)
        assert statement["usage"]["media_objects"] == sum(int(r.media_objects) for r in records)


def test_usage_is_aggregated_per_exam_and_filtered_by_exam(api, world):
    _, current, _ = world["months"]
    exam_x, exam_y, _ = world["exams"]
    usage = ok(api.call("GET", f"/admin/usage?month={current}&language=ru", world["tokens"]["admin_a"]))
    rows = {row["exam_id"]: row for row in usage["exams"]}
    assert (rows[exam_x]["sittings"], rows[exam_x]["proctored_minutes"], rows[exam_x]["exam_title"]) == (
        3,
        "135.00",
        "Право",
    )
    assert (rows[exam_y]["sittings"], Decimal(rows[exam_y]["proctored_minutes"])) == (2, Decimal(60))
    assert (usage["totals"]["sittings"], Decimal(usage["totals"]["proctored_minutes"])) == (5, Decimal(195))
    only_y = ok(api.call("GET", f"/admin/usage?month={current}&exam_id={exam_y}", world["tokens"]["admin_a"]))
    assert [row["exam_id"] for row in only_y["exams"]] == [exam_y]


def test_statement_csv_download(api, world):
    _, current, _ = world["months"]
    response = api.call("GET", f"/admin/statements/{current}?format=csv&language=ru", world["tokens"]["admin_a"])
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    assert f"statement-{world['a']['agency_id']}-{current}.csv" in response.headers["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())  # Excel reads the BOM as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["Месяц", current]
    assert sorted(row[1] for row in rows[5:-1]) == ["Право", "Этика"]
    assert rows[-1][1] == "Итого" and rows[-1][-1] == "2276.63"


def test_statement_pdf_download_opens_and_reads_back(api, world):
    _, current, _ = world["months"]
    response = api.call("GET", f"/admin/statements/{current}?format=pdf&language=kk", world["tokens"]["admin_a"])
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in ("Шот-үзінді", current, "Құқық", "Әдеп", "1576.13", "700.50", "2276.63", "Барлығы"):
        assert expected in text, f"{expected!r} not in the PDF's text: {text!r}"


def test_the_operator_sees_one_agency_and_all_agencies(api, world):
    _, current, _ = world["months"]
    operator, a, b = world["tokens"]["operator"], world["a"]["agency_id"], world["b"]["agency_id"]
    own = ok(api.call("GET", f"/admin/statements/{current}", world["tokens"]["admin_a"]))
    assert ok(api.call("GET", f"/operator/agencies/{a}/statements/{current}", operator)) == own
    pdf = api.call("GET", f"/operator/agencies/{b}/statements/{current}?format=pdf", operator)
    assert "1500.00" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    everyone = ok(api.call("GET", f"/operator/statements/{current}", operator))
    totals = {s["agency_id"]: s["total"] for s in everyone["statements"]}
    assert (totals[a], totals[b]) == ("2276.63", "1500.00")
    assert Decimal(everyone["totals"]["KZT"]) == sum((Decimal(s["total"]) for s in everyone["statements"]), Decimal(0))
    sheet = api.call("GET", f"/operator/statements/{current}?format=csv", operator)
    assert sheet.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert [row[-1] for row in rows if row[0] == a and row[5] == "Total"] == ["2276.63"]
    assert [row[-1] for row in rows if row[0] == b and row[5] == "Total"] == ["1500.00"]


def test_plans_apply_from_their_month_with_history(api, world):
    _, current, following = world["months"]
    view = ok(api.call("GET", f"/operator/agencies/{world['a']['agency_id']}/plan", world["tokens"]["operator"]))
    assert (view["effective_month"], view["plan"]["unit"], view["default"]) == (current, "exam_hour", False)
    assert [h["effective_month"] for h in view["history"]] == [following, current]
    assert view["plan"]["tiers"] == HOURLY["tiers"]
    fresh = ok(api.call("GET", f"/operator/agencies/{world['b']['agency_id']}/plan", world["tokens"]["operator"]))
    assert (fresh["default"], fresh["effective_month"], fresh["history"]) == (True, None, [])


# Authorization: role, tenant


@pytest.mark.parametrize("who", ["proctor_a", "candidate_a", "operator"])
@pytest.mark.parametrize("path", ["/admin/usage", "/admin/statements/{current}"])
def test_only_admins_read_agency_usage_and_statements(api, world, who, path):
    url = path.format(current=world["months"][1])
    assert_error(api.call("GET", url, world["tokens"][who]), 403, "auth.forbidden_role")
    assert_error(api.call("GET", url), 401, "auth.missing_token")


OPERATOR_CALLS = [
    ("GET", "/operator/agencies/{a}/plan", None),
    ("PUT", "/operator/agencies/{a}/plan", HOURLY),
    ("GET", "/operator/agencies/{a}/statements/{current}", None),
    ("GET", "/operator/statements/{current}", None),
]


@pytest.mark.parametrize("who", ["admin_a", "admin_b", "proctor_a", "candidate_a", "operator_elsewhere"])
@pytest.mark.parametrize("method, path, body", OPERATOR_CALLS, ids=[f"{m} {p}" for m, p, _ in OPERATOR_CALLS])
def test_only_platform_operators_use_the_operator_routes(api, world, who, method, path, body):
    if who == "operator_elsewhere":  # the operator role in an ordinary agency is not the platform's
        if "operator_elsewhere" not in world:
            world["operator_elsewhere"] = operator_token(api, world["b"]["agency_id"])
        token = world["operator_elsewhere"]
    else:
        token = world["tokens"][who]
    url = path.format(a=world["a"]["agency_id"], current=world["months"][1])
    before = ok(api.call("GET", f"/operator/agencies/{world['a']['agency_id']}/plan", world["tokens"]["operator"]))
    assert_error(api.call(method, url, token, json=body), 403, "auth.forbidden_role")
    after = ok(api.call("GET", f"/operator/agencies/{world['a']['agency_id']}/plan", world["tokens"]["operator"]))
    assert after == before


def test_an_admin_never_sees_another_agencys_usage_or_statement(api, world):
    previous, current, _ = world["months"]
    exam_x, _, exam_b = world["exams"]
    admin_b = world["tokens"]["admin_b"]
    for month in (previous, current):
        statement = ok(api.call("GET", f"/admin/statements/{month}", admin_b))
        assert statement["agency_id"] == world["b"]["agency_id"]
        assert {line["exam_id"] for line in statement["lines"]} <= {exam_b}
    assert ok(api.call("GET", f"/admin/usage?month={current}&exam_id={exam_x}", admin_b))["exams"] == []
    usage = ok(api.call("GET", f"/admin/usage?month={current}", admin_b))
    assert [row["exam_id"] for row in usage["exams"]] == [exam_b]
    sheet = api.call("GET", f"/admin/statements/{current}?format=csv", admin_b).content.decode("utf-8-sig")
    assert exam_x not in sheet and "2276.63" not in sheet


# Bad input


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "202611", "abcd-ef", "2026-11-01"])
def test_a_malformed_month_is_refused(api, world, month):
    tokens, a = world["tokens"], world["a"]["agency_id"]
    assert_error(api.call("GET", f"/admin/statements/{month}", tokens["admin_a"]), 400, "billing.invalid_month")
    assert_error(api.call("GET", f"/admin/usage?month={month}", tokens["admin_a"]), 400, "billing.invalid_month")
    assert_error(api.call("GET", f"/operator/statements/{month}", tokens["operator"]), 400, "billing.invalid_month")
    url = f"/operator/agencies/{a}/statements/{month}"
    assert_error(api.call("GET", url, tokens["operator"]), 400, "billing.invalid_month")


def test_a_malformed_exam_filter_is_refused(api, world):
    for exam_id in ("", "../x", "a" * 200, "exam id"):
        url = f"/admin/usage?month={world['months'][1]}&exam_id={exam_id}"
        error = assert_error(api.call("GET", url, world["tokens"]["admin_a"]), 400, "request.invalid_field")
        assert error["details"]["field"] == "exam_id"


@pytest.mark.parametrize("query, field", [("format=xml", "format"), ("language=de", "language"), ("x=1", "x")])
def test_unknown_formats_languages_and_parameters_are_refused(api, world, query, field):
    url = f"/admin/statements/{world['months'][1]}?{query}"
    error = assert_error(api.call("GET", url, world["tokens"]["admin_a"]), 400, "request.invalid_field")
    assert error["details"]["field"] == field
    pdf = api.call("GET", f"/operator/statements/{world['months'][1]}?format=pdf", world["tokens"]["operator"])
    assert_error(pdf, 400, "request.invalid_field")  # every agency at once: JSON or CSV


@pytest.mark.parametrize("agency", ["no-such-agency", "platform", "UPPER-case", "ab"])
def test_an_unknown_agency_is_not_found(api, world, agency):
    operator, current = world["tokens"]["operator"], world["months"][1]
    for method, path, body in OPERATOR_CALLS[:3]:
        response = api.call(method, path.format(a=agency, current=current), operator, json=body)
        assert_error(response, 404, "agency.not_found")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"unit": "minute"}, "unit"),
        ({"currency": "XXX"}, "currency"),
        ({"tiers": []}, "tiers"),
        ({"tiers": [{"up_to": 5, "unit_price": "2"}, {"up_to": 3, "unit_price": "1"}, UNBOUNDED]}, "tiers[1].up_to"),
        ({"tiers": [{"up_to": None, "unit_price": "-1"}]}, "tiers[0].unit_price"),
        ({"effective_month": "2020-01"}, "effective_month"),
        ({"effective_month": "2026-13"}, "effective_month"),
        ({"discount": "10%"}, "discount"),
    ],
)  # fmt: skip
def test_an_invalid_plan_is_refused_and_changes_nothing(api, world, change, field):
    operator, url = world["tokens"]["operator"], f"/operator/agencies/{world['a']['agency_id']}/plan"
    before = ok(api.call("GET", url, operator))
    error = assert_error(api.call("PUT", url, operator, json={**HOURLY, **change}), 400, "billing.invalid_plan")
    assert error["details"]["field"] == field
    assert ok(api.call("GET", url, operator)) == before


def test_a_plan_that_is_not_an_object_is_refused(api, world):
    url = f"/operator/agencies/{world['a']['agency_id']}/plan"
    assert_error(api.call("PUT", url, world["tokens"]["operator"], json=[HOURLY]), 400, "billing.invalid_plan")
    assert_error(api.call("PUT", url, world["tokens"]["operator"]), 400, "request.body_required")


def test_a_plan_change_is_in_the_agencys_audit_log_and_not_in_anothers(api, world):
    """The operator's plan changes are audited under the agency they priced, so its admins see who changed what."""
    entries = ok(api.call("GET", "/admin/audit", world["tokens"]["admin_a"], params={"action": "plan.changed"}))
    changes = entries["entries"]
    assert len(changes) == 2 and {e["actor"]["role"] for e in changes} == {"operator"}
    assert {e["target"] for e in changes} == {world["a"]["agency_id"]}
    assert {e["details"]["plan"]["effective_month"] for e in changes} == set(world["months"][1:])
    other = ok(api.call("GET", "/admin/audit", world["tokens"]["admin_b"], params={"action": "plan.changed"}))
    assert other["entries"] == []
