"""`make bench`'s load search and verdicts: which N counts as sustained, where the search stops, and how the issue
#13 targets are judged (logic only: the load itself is measured, never asserted)."""

from __future__ import annotations

from benchmarks import load, report
from benchmarks.__main__ import TARGETS


def row(n: int, p95: float | None = 0.8, **overrides) -> dict:
    cfg = load.Config()
    base = {
        "n": n,
        "p95_upload_to_visible_s": p95,
        "lost_frames": 0,
        "pending_at_end": 0,
        "errors": 0,
        "errors_by_kind": {},
        "two_face_frames_without_violation": 0,
        "frames_uploaded": load.offered_frames([0.0] * n, cfg),
        "offered_frames": load.offered_frames([0.0] * n, cfg),
    }
    return {**base, **overrides}


def test_a_run_is_sustained_only_when_every_criterion_holds():
    assert load.sustained(row(100)) == (True, [])
    assert load.offered_frames([0.0] * 100, load.Config(duration_s=60)) == 1200
    # a page whose first capture comes 7.5 s in captures at 7.5, 12.5 ... 57.5: 11 frames
    assert load.offered_frames([0.0, 7.5, 5.0], load.Config(duration_s=60)) == 12 + 11 + 11
    for overrides, words in (
        ({"p95_upload_to_visible_s": 1.51}, "p95"),
        ({"p95_upload_to_visible_s": None}, "p95"),
        ({"lost_frames": 1}, "lost"),
        ({"pending_at_end": 3}, "queued"),
        ({"errors": 2, "errors_by_kind": {"presign": 2}}, "errors"),
        ({"two_face_frames_without_violation": 1}, "without their violation"),
        ({"frames_uploaded": 1100}, "uploaded 1100 of 1200"),  # a closed-loop client held up by the API
    ):
        ok, why = load.sustained(row(100, **overrides))
        assert not ok and any(words in reason for reason in why), (overrides, why)
    assert load.sustained(row(100, frames_uploaded=1140))[0]  # 95 % of the offered frames is enough


def test_the_search_climbs_by_the_step_and_stops_at_the_first_failure(monkeypatch):
    tried = []

    def fake_run(n, cfg, frames):
        tried.append(n)
        result = row(n, p95=0.5 if n <= 150 else 4.0)
        result["sustained"], result["why_not_sustained"] = load.sustained(result)
        result["cpu_cores_during_load"], result["other_work_cores"], result["p95_api_s"] = {}, 0.0, 0.1
        result["drain_s"] = 1.0
        return result

    monkeypatch.setattr(load, "run_n", fake_run)
    found = load.search(load.Config(search_start=50, search_step=50), frames={})
    assert tried == [50, 100, 150, 200] and found["sustained_candidates"] == 150
    assert found["first_failure"]["n"] == 200 and "p95" in found["first_failure"]["why"][0]
    assert [r["n"] for r in found["rows"]] == tried

    tried.clear()
    nothing = load.search(load.Config(search_start=200, search_step=50), frames={})
    assert tried == [200] and nothing["sustained_candidates"] == 0


def test_targets_are_issue_13s_and_judged_in_the_right_direction():
    assert TARGETS["analyzer_cpu_fps_per_core"] == 60 and TARGETS["sustained_candidates"] == 200
    assert TARGETS["p95_upload_to_visible_s"] == 1.5 and TARGETS["cost_per_exam_hour_usd"] == 0.01
    assert TARGETS["first_hard_limit_headroom"] == 1 and TARGETS["lost_frames"] == 0
    result = {
        "analyzer": {"analyzer_cpu_fps_per_core": 61.0},
        "sustained_candidates": 150,
        "load": [row(100, p95=0.7), row(150, p95=1.2), row(200, p95=3.0)],
        "cost_per_exam_hour_usd": 0.0123,
        "capacity_100k": {"first_hard_limit_headroom": 1.5},
    }
    verdicts = {v["key"]: (v["value"], v["met"]) for v in report.verdicts(result, TARGETS)}
    assert verdicts["analyzer_cpu_fps_per_core"] == (61.0, True)
    assert verdicts["sustained_candidates"] == (150, False)
    assert verdicts["p95_upload_to_visible_s"] == (1.2, True)  # at the sustained N, not at the failed one
    assert verdicts["cost_per_exam_hour_usd"] == (0.0123, False)
    assert verdicts["first_hard_limit_headroom"] == (1.5, True)
    assert verdicts["lost_frames"] == (0, True)
    none = {v["key"]: v["met"] for v in report.verdicts({}, TARGETS)}
    assert set(none.values()) == {None}  # not measured is neither met nor missed


def test_the_cost_inputs_follow_the_code(monkeypatch):
    """Forms per minute, the inbox mark on the heartbeat and Arm are read from the code, so the cost figure moves
    with it: built here, modelled when taken away."""
    from benchmarks import __main__ as bench
    from chalicelib import openapi_spec
    from chalicelib.media import uploads

    facts = bench.code_facts()
    assert facts["arm"][:2] == (True, "built")
    assert facts["forms"][:2] == (float(uploads.WINDOW_S), "built")
    assert facts["inbox"][:2] == (None, "built")

    monkeypatch.delattr(uploads, "WINDOW_S")
    assert bench.code_facts()["forms"][:2] == (None, "modelled (not in this code)")
    document = openapi_spec.document()
    schemas = {**document["components"]["schemas"], "HeartbeatStatus": {"type": "object", "properties": {}}}
    without = {**document, "components": {**document["components"], "schemas": schemas}}
    monkeypatch.setattr(openapi_spec, "document", lambda: without)
    polled = bench.code_facts()["inbox"]
    assert polled[1] == "modelled (not in this code)" and polled[0] is not None and polled[0] > 0
    monkeypatch.undo()

    model, inputs = bench.model_from({})
    assert model.workload.inbox_poll_every_s is None and model.workload.form_window_s == float(uploads.WINDOW_S)
    assert model.compute.arm and inputs["code"]["arm"][1] == "built"
