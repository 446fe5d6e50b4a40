"""The credibility score: 100 minus a weighted count of the session's violations, with its breakdown.

Deliberately simple, so a proctor and a candidate's appeal can both recompute it: every violation type has a
weight in points (its severity's by default; an exam may set its own in `analysis.credibility_weights`), and each
violation of that type costs its weight once. The breakdown also shows how long each type lasted in total, to help
the reviewer judge; durations inform, they do not enter the score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.violations.catalog import ANALYZER_TYPES, BROWSER_TYPES, SERVER_TYPES

SEVERITY_POINTS = {"low": 2, "medium": 5, "high": 12}
DEFAULT_WEIGHTS = {
    violation: SEVERITY_POINTS[severity]
    for catalog in (ANALYZER_TYPES, BROWSER_TYPES, SERVER_TYPES)
    for violation, severity in catalog.items()
}


def weights_for(overrides: Mapping[str, float] | None) -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **(overrides or {})}


def score(counts: Mapping[str, int], overrides: Mapping[str, float] | None = None) -> int:
    """0 (no trust) to 100 (nothing seen), from the violation counts the session keeps."""
    weights = weights_for(overrides)
    penalty = sum(weights.get(violation, SEVERITY_POINTS["medium"]) * int(n) for violation, n in counts.items())
    return max(0, round(100 - penalty))


def breakdown(
    counts: Mapping[str, int], violations: Iterable[Any], overrides: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """Why this score: per type its count, weight, penalty and total duration (longest first by penalty)."""
    weights = weights_for(overrides)
    seconds: dict[str, float] = {}
    for violation in violations:
        if violation.ended_at is not None:
            lasted = (violation.ended_at - violation.occurred_at).total_seconds()
            seconds[violation.type] = seconds.get(violation.type, 0.0) + max(0.0, lasted)
    lines = [
        {
            "type": violation,
            "count": int(n),
            "weight": weights.get(violation, SEVERITY_POINTS["medium"]),
            "penalty": weights.get(violation, SEVERITY_POINTS["medium"]) * int(n),
            "duration_s": round(seconds.get(violation, 0.0)),
        }
        for violation, n in counts.items()
        if int(n) > 0
    ]
    lines.sort(key=lambda line: (-line["penalty"], line["type"]))
    return {
        "score": score(counts, overrides),
        "formula": "100 - sum(weight x count), floored at 0",
        "lines": lines,
    }
