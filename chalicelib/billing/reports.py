"""Usage per agency, exam and month, and the monthly statements, read from the usage records only.

An agency's month is one query of the `by_agency_month` index (per exam: its range key); every agency's month is
one query of `by_month`. Statements are `statements.build_statement` over exactly those records and the plan in
force in that month, so anyone holding the records can recompute every figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from chalicelib.billing.metering import MINUTE_PLACES
from chalicelib.billing.models import UsageRecord
from chalicelib.billing.plan_book import PlanBook
from chalicelib.billing.statements import Statement, Usage, build_statement
from chalicelib.exam.models import ExamRecord

FIGURES = ("proctored_minutes", "media_objects", "media_bytes", "analyzer_ms", "identity_checks")
BATCH_GET_LIMIT = 100


def agency_records(agency_id: str, month: str, exam_id: str | None = None) -> list[UsageRecord]:
    condition = UsageRecord.exam_id == exam_id if exam_id else None
    return list(UsageRecord.by_agency_month.query(f"{agency_id}#{month}", condition))


def month_records(month: str) -> list[UsageRecord]:
    return list(UsageRecord.by_month.query(month))


def exam_titles(exam_ids: Iterable[str], language: str) -> dict[str, str]:
    """Each exam's title in the language (else any it has); an exam that is gone keeps its id as title."""
    ids = sorted(set(exam_ids))
    titles = {exam_id: exam_id for exam_id in ids}
    for start in range(0, len(ids), BATCH_GET_LIMIT):
        for exam in ExamRecord.batch_get(ids[start : start + BATCH_GET_LIMIT], attributes_to_get=["exam_id", "title"]):
            title = exam.title.as_dict() if exam.title else {}
            titles[exam.exam_id] = title.get(language) or next(iter(title.values()), exam.exam_id)
    return titles


def as_usage(record: UsageRecord, title: str) -> Usage:
    return Usage(
        session_id=record.session_id,
        agency_id=record.agency_id,
        exam_id=record.exam_id,
        exam_title=title,
        month=record.month,
        proctored_minutes=Decimal(str(record.proctored_minutes)),
        media_objects=int(record.media_objects),
        media_bytes=int(record.media_bytes),
        analyzer_ms=int(record.analyzer_ms),
        identity_checks=int(record.identity_checks),
    )


def usage_summary(agency_id: str, month: str, records: list[UsageRecord], language: str) -> dict[str, Any]:
    """Per exam: sittings and the sum of every metered figure; the month's totals."""
    titles = exam_titles((r.exam_id for r in records), language)
    exams: dict[str, dict[str, Any]] = {}
    totals: dict[str, Any] = {"sittings": 0, **{f: Decimal(0) if f == "proctored_minutes" else 0 for f in FIGURES}}
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"objects": 0, "bytes": 0})
    for record in records:
        row = exams.setdefault(
            record.exam_id,
            {"exam_id": record.exam_id, "exam_title": titles[record.exam_id], "sittings": 0}
            | {f: Decimal(0) if f == "proctored_minutes" else 0 for f in FIGURES},
        )
        for target in (row, totals):
            target["sittings"] += 1
            target["proctored_minutes"] += Decimal(str(record.proctored_minutes))
            for figure in FIGURES[1:]:
                target[figure] += int(getattr(record, figure))
        for kind, counts in (record.media_by_kind.as_dict() if record.media_by_kind else {}).items():
            by_kind[kind]["objects"] += int(counts.get("objects", 0))
            by_kind[kind]["bytes"] += int(counts.get("bytes", 0))
    rows = sorted(exams.values(), key=lambda r: (r["exam_title"], r["exam_id"]))
    for row in (*rows, totals):
        row["proctored_minutes"] = str(Decimal(row["proctored_minutes"]).quantize(MINUTE_PLACES))
    return {"agency_id": agency_id, "month": month, "exams": rows, "totals": totals, "media_by_kind": dict(by_kind)}


class Reports:
    def __init__(self, plans: PlanBook) -> None:
        self._plans = plans

    def usage(self, agency_id: str, month: str, exam_id: str | None, language: str) -> dict[str, Any]:
        return usage_summary(agency_id, month, agency_records(agency_id, month, exam_id), language)

    def statement(self, agency_id: str, month: str, language: str) -> Statement:
        return self._statement(agency_id, month, agency_records(agency_id, month), language)

    def _statement(self, agency_id: str, month: str, records: list[UsageRecord], language: str) -> Statement:
        titles = exam_titles((r.exam_id for r in records), language)
        plan, _ = self._plans.plan_for(agency_id, month)
        return build_statement(agency_id, month, plan, (as_usage(r, titles[r.exam_id]) for r in records))

    def all_statements(self, month: str, language: str) -> list[Statement]:
        """Every agency with usage in the month, by agency id."""
        by_agency: dict[str, list[UsageRecord]] = defaultdict(list)
        for record in month_records(month):
            by_agency[record.agency_id].append(record)
        return [self._statement(a, month, by_agency[a], language) for a in sorted(by_agency)]
