"""Markdown for the three benchmark sections of docs/BENCHMARKS.md, and their refresh between markers.

Only the text between <!-- bench:NAME --> and <!-- /bench:NAME --> is rewritten; a section missing from the file
is appended at its end with its heading. Everything else in the file stays as it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from benchmarks import common

TARGET_FPS = 40  # analyzer frames per second per core, end to end (the first goal)
TARGET_CPU_FPS = 60  # issue #13: analyzer frames per CPU-second

DOC = common.REPO_ROOT / "docs" / "BENCHMARKS.md"
SECTIONS = (
    ("analyzer", "## Analyzer throughput"),
    ("load", "## Load"),
    ("cost", "## Cost and capacity"),
    ("targets", "## Issue #13 targets"),
)


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join("—" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _f(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def measured_on(result: dict[str, Any]) -> str:
    return (
        f"Measured {result['date']} on {common.machine_line(result['machine'])}; command "
        f"`{result.get('command', 'make bench')}`. Other work on the machine just before the start: "
        f"{_pct(result.get('background_cpu_busy'))} of all cores."
    )


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f} %"


# --------------------------------------------------------------------------------------------- analyzer


def analyzer_section(result: dict[str, Any]) -> str:
    a = result.get("analyzer")
    if not a:
        return "_Not run in the last `make bench` (skipped)._"
    runs = a["runs"]
    by = {r["name"]: r for r in runs}
    best, naive = by["optimised"], by["naive"]
    out = [
        measured_on(result),
        "",
        f"**`analyzer_cpu_fps_per_core` {a['analyzer_cpu_fps_per_core']}** frames per CPU-second of the analyzer "
        f"process (issue #13 target ≥ {TARGET_CPU_FPS}: "
        f"{'met' if a['analyzer_cpu_fps_per_core'] >= TARGET_CPU_FPS else '**missed**'}); "
        f"{a['analyzer_fps_per_core']} frames/s per core end to end (wall clock); "
        f"**{a['analyzer_speedup_vs_naive']}× faster than the naive pipeline**. "
        f"Method: {a['method']}. Each run: {best['frames']} frames, ~80 % the enrolled candidate alone, ~10 % "
        "an empty scene, ~10 % two people, letterboxed from `../shared/datasets/faces` (a few pixels of shake and "
        "exposure jitter per frame), JPEG quality 90.",
        "",
    ]
    busy = max((r.get("machine_cpu_busy") or 0) for r in runs)
    if busy > 0.7:
        out += [
            f"⚠ Other processes shared the machine during these runs (up to {_pct(busy)} of both cores busy; "
            "this single-threaded loop plus the endpoint alone keeps it near 50-55 %): the wall-clock rates are "
            "pessimistic, the CPU ms/frame column much less so.",
            "",
        ]
    out.append(
        table(
            [
                "run",
                "frame size",
                "detect at",
                "re-id every",
                "KB/frame",
                "ms/frame mean (p95)",
                "CPU ms/frame",
                "frames/s (wall)",
                "frames/CPU-s",
                "compute-only frames/s",
                "machine busy",
            ],
            [
                [
                    f"`{r['name']}`",
                    r["frame_size"],
                    r["detect_side"],
                    r["reid_every_n"],
                    r["frame_kb_mean"],
                    f"{r['ms_per_frame']['mean']:.1f} ({r['ms_per_frame']['p95']:.1f})",
                    r["cpu_ms_per_frame"],
                    r["fps"],
                    r["cpu_fps"],
                    r["compute_fps"],
                    _pct(r.get("machine_cpu_busy")),
                ]
                for r in runs
            ],
        )
    )
    out += [
        "",
        "Milliseconds per frame by stage (wall clock, mean over all frames; each column adds one "
        "optimisation to the one on its left):",
        "",
    ]
    names = [r["name"] for r in runs]
    rows = [
        [stage] + [r["stage_ms"][stage] for r in runs]
        for stage in ("s3", "decode", "detect", "face_features", "align", "embed", "dynamodb", "other")
    ]
    rows.append(["SFace passes per frame"] + [r["sface_passes_per_frame"] for r in runs])
    rows.append(["**total**"] + [f"**{r['ms_per_frame']['mean']:.1f}**" for r in runs])
    out.append(table(["stage"] + [f"`{n}`" for n in names], rows))
    calls = ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in best["calls_per_frame"].items())
    out += [
        "",
        f"Stages: `s3` one GetObject (body read), `decode` the JPEG (Pillow header check + "
        "cv2.imdecode), `detect` YuNet (ONNX Runtime), `face_features` head pose + face lighting/sharpness, "
        "`align` the 5-point warp to 112×112, `embed` SFace forward passes (re-identification: whole face + "
        "upper half + lower half for the cover check = 3 passes), `dynamodb` every PynamoDB call, `other` Python "
        "around them. "
        f"Calls per frame (`optimised`): {calls}.",
        f"Outcomes: {best['outcomes']}; flags by scene: {best['flags']}.",
    ]
    cap = result.get("dispatcher_capacity") or []
    if cap:
        out += [
            "",
            "The local dispatcher with `PROCTOR_DISPATCH_WORKERS` media workers, fed a burst of "
            f"{cap[0]['frames']} frames straight into S3 (no API load), from the first PUT until every frame "
            "is in the ledger:",
            "",
            table(
                ["workers", "frames/s", "dispatcher CPU ms/frame", "endpoint CPU ms/frame", "machine busy"],
                [
                    [
                        c["workers"],
                        c["frames_per_s"],
                        c["cpu_ms_per_frame"].get("dispatcher"),
                        c["cpu_ms_per_frame"].get("endpoint"),
                        _pct(c.get("machine_cpu_busy")),
                    ]
                    for c in cap
                ],
            ),
        ]
    detect, embed = best["stage_ms"]["detect"], best["stage_ms"]["embed"]
    per_pass = embed / best["sface_passes_per_frame"] if best["sface_passes_per_frame"] else 0
    reachable = best["compute_fps"] >= TARGET_FPS
    small_ms = (result.get("faces") or {}).get("detect_320_ms_median", "~4")
    out += [
        "",
        "What limits it and what would lift it:",
        f"- The two networks alone cost {detect + embed:.0f} ms per frame here (detection {detect:.0f} ms at "
        f"640×480, SFace {per_pass:.0f} ms per pass × {best['sface_passes_per_frame']} passes per frame), so "
        f"even with free I/O one core tops out near {best['compute_fps']} frames/s: **{TARGET_FPS} frames/s per "
        f"core is {'within reach' if reachable else 'not reachable with these networks on one core of this CPU'}"
        f"**. Detection at 640 alone allows ~{1000 / detect:.0f} frames/s."
        if detect
        else "",
        f"- The endpoint: DynamoDB and S3 calls take {best['stage_ms']['dynamodb'] + best['stage_ms']['s3']:.0f}"
        " ms of every frame against the local endpoint (a Python emulator on these 2 cores); AWS answers a GetItem in "
        "a few ms, so on Lambda the I/O share is smaller (the cost model assumes 40 ms per object).",
        "- Configuration, not code: frames from the browser at 640×480 instead of 1280×960, and the policy's "
        "`reid_every_n` — raising it from 3 to 6 (re-identify every 30 s) halves the embedding cost.",
        "- Levers taken: the cover check embeds the whole face and the lower half in one batch (the whole-face "
        "match stands in for the upper half: one SFace pass in three saved), and two-pass detection (a 320 pass "
        "that stands only on frames where it is enough, the full pass on the first, every 5th, re-identified or "
        f"ambiguous frames; faces benchmark: {small_ms} ms at 320). Not yet: Arm (Graviton) Lambdas, 20 % cheaper "
        "per GB-s; fewer DynamoDB calls per frame. Tried and not a lever: static int8 quantization (ONNX "
        "Runtime's QLinearConv has no NCHWc path and ran YuNet slower than float, see Faces).",
    ]
    _ = naive
    return "\n".join(line for line in out if line is not None)


# --------------------------------------------------------------------------------------------- load


CPU_ROLES = ("endpoint", "api", "dispatcher", "media workers", "load generator")
BUSY_OTHER_CORES = 0.3  # other work on the machine during a load window worth a warning


def load_section(result: dict[str, Any]) -> str:
    runs = result.get("load")
    if not runs:
        return "_Not run in the last `make bench` (skipped)._"
    cfg = result.get("load_config", {})
    search = result.get("load_search")
    window = cfg.get("duration_s", 60)
    out = [
        measured_on(result),
        "",
        f"{window:.0f} s of load per N, then up to {cfg.get('drain_timeout_s', 60):.0f} s for the queue to drain; "
        f"media workers `PROCTOR_DISPATCH_WORKERS={runs[0]['media_workers']}`, media batches of "
        f"{runs[0].get('media_batch', 10)} (`PROCTOR_DISPATCH_BATCH`); everything on 127.0.0.1 (the local endpoint, "
        "chalice local, the dispatcher and the load generator share the 2 cores). Each simulated candidate (one "
        "thread, like a browser tab): a webcam frame every 5 s, every second capture uploaded with the one before as "
        "one 640×960 JPEG of two frames (its upload form from the API once a minute, `request_form`, then the "
        f"multipart POST to S3), a heartbeat every {cfg.get('heartbeat_every_s', 20):.0f} s (an unwatched page), an "
        "answer save every 30 s; every 6th "
        "frame shows two people and, with the exam's persistence `multiple_faces: 1`, opens a violation. "
        "**upload → visible** runs from the moment the S3 POST returned to the commit of the violation that frame "
        "opened (its `recorded_at`, written in the transaction the proctor timeline reads). **Lost** = uploaded "
        "(S3 answered 204) but neither in the ledger nor in the queue; **pending** = still queued when the drain "
        "timed out (late, not lost).",
        "",
    ]
    if search:
        n = search["sustained_candidates"]
        crit = search["criteria"]
        out += [
            f"**`sustained_candidates` = {n}** (issue #13 target ≥ 200: {'met' if n >= 200 else '**missed**'}). "
            f"Search: N = {crit['ns']}, a fresh stack each, stopping at the first N that misses: p95 upload → "
            f"visible ≤ {crit['p95_upload_to_visible_s']} s, no frame lost or left queued, no errors, every "
            "two-person frame's violation opened, and at least "
            f"{crit['min_uploaded_share_of_offered'] * 100:.0f} % of the offered frames uploaded (the client is "
            f"closed-loop: a slow API makes it offer less). The search took {search['search_s']:.0f} s"
            + (
                f"; N = {search['first_failure']['n']} missed: {'; '.join(search['first_failure']['why'])}."
                if search.get("first_failure")
                else "."
            ),
            "",
        ]
    busy = [r for r in runs if (r.get("other_work_cores") or 0) > BUSY_OTHER_CORES]
    if busy:
        out += [
            "⚠ Other work shared the machine during "
            + ", ".join(f"N = {r['n']} ({r['other_work_cores']:.2f} cores)" for r in busy)
            + ": those runs had that much less of the 2 cores, so their latencies (and the search's answer) are "
            "pessimistic; the CPU ms per frame below are steadier.",
            "",
        ]
    rows = []
    for r in runs:
        mark = "≥ " if r.get("latency_is_lower_bound") else ""
        rows.append(
            [
                r["n"],
                "yes" if r.get("sustained") else "**no**",
                f"{r['frames_uploaded']} / {r.get('offered_frames', '—')}",
                f"{mark}{_f(r['p50_upload_to_visible_s'])} / {mark}{_f(r['p95_upload_to_visible_s'])} / "
                f"{mark}{_f(r['p99_upload_to_visible_s'])} (n={r['upload_to_visible_s']['n']})",
                _f(r["upload_to_analysis_start_s"]["p95"]),
                f"{_f(r['p50_api_s'], 3)} / {_f(r['p95_api_s'], 3)}",
                f"{r['errors']} / {r['lost_frames']} / {r.get('pending_at_end', 0)}",
                f"{r['analyzed_during_load_per_s']} of {r['upload_rate_per_s']}",
                r["max_queue_depth"],
                _pct(r.get("machine_cpu_busy")),
            ]
        )
    out.append(
        table(
            [
                "N",
                "sustained",
                "frames up / offered",
                "upload → visible p50 / p95 / p99 s",
                "upload → analysis start p95 s",
                "API p50 / p95 s",
                "errors / lost / pending",
                "analyzed/s of uploaded/s",
                "max queue",
                "machine busy",
            ],
            rows,
        )
    )
    out += [
        "",
        "Where the CPU went during each load window, in cores (CPU-seconds / window, from /proc per process; "
        "`media workers` are the analyzer processes, `other work` is what the rest of the machine used meanwhile), "
        "and in CPU ms per uploaded frame (heartbeats and answers included):",
        "",
        table(
            ["N", *CPU_ROLES, "other work", "ours, ms per frame: " + " + ".join(CPU_ROLES)],
            [
                [
                    r["n"],
                    *[_f((r.get("cpu_cores_during_load") or {}).get(role)) for role in CPU_ROLES],
                    _f(r.get("other_work_cores")),
                    " + ".join(f"{(r.get('cpu_ms_per_frame') or {}).get(role, 0):.0f}" for role in CPU_ROLES)
                    + f" = {sum((r.get('cpu_ms_per_frame') or {}).get(role, 0) for role in CPU_ROLES):.0f}",
                ]
                for r in runs
            ],
        ),
    ]
    last = runs[-1]
    out += [
        "",
        f"API latency by call at N = {last['n']} (seconds):",
        "",
        table(
            ["call", "n", "p50", "p95", "p99"],
            [[k, v["n"], _f(v["p50"], 3), _f(v["p95"], 3), _f(v["p99"], 3)] for k, v in last["api_s_by_kind"].items()],
        ),
        "",
        "Other checks: "
        + "; ".join(
            f"N={r['n']}: {r['violations_visible']}/{r['two_face_frames']} two-person frames had opened their "
            f"violation by the end, rejected {r['rejected'] or 0}, DLQ {r['dlq_messages']}, drain {r['drain_s']} s"
            + (f", errors {r['errors_by_kind']}" if r["errors"] else "")
            for r in runs
        )
        + ".",
    ]
    out += ["", "What limits N on this machine:", *_limits(result, runs)]
    return "\n".join(out)


def _limits(result: dict[str, Any], runs: list[dict[str, Any]]) -> list[str]:
    """The arithmetic of the 2 cores, from the CPU each process used per frame in the runs."""
    measured = [r for r in runs if r.get("cpu_ms_per_frame")]
    lines = []
    if measured:
        ref = measured[-1]
        per_frame = {role: (ref["cpu_ms_per_frame"] or {}).get(role, 0.0) for role in CPU_ROLES}
        total = sum(per_frame.values())
        top = sorted(per_frame.items(), key=lambda kv: -kv[1])
        cores = os_cores(result)
        ceiling = cores * 1000 / (total * 0.2) if total else None
        lines.append(
            f"- CPU first: a candidate uploads a frame every 5 s, so N candidates are N / 5 frames/s. At N = "
            f"{ref['n']} the stack spent {total:.0f} ms of CPU per frame (heartbeats and answers included): "
            + ", ".join(f"{role} {ms:.0f}" for role, ms in top)
            + f". {cores} cores at 100 % would carry N ≈ {ceiling:.0f} at that cost; queueing keeps p95 within "
            "1.5 s only well below full load (≈ 70-80 %), and other work on the machine "
            f"({_f(ref.get('other_work_cores'))} cores during that run) comes off the top. The largest share is "
            f"what to cut first: **{top[0][0]}**."
        )
    lines += [
        "- The analyzer (`media workers`) is the per-frame model work plus its endpoint calls (Analyzer throughput "
        "above); the endpoint answers every S3, SQS and DynamoDB call of the uploads, the API and the analyzer; "
        "the API is `chalice local` (one Python process, every request through Chalice's local gateway); the load "
        "generator stands in for the browsers, which on AWS run on the candidates' machines.",
        "- Below the limit, latency is the dispatcher's: a worker analyses the frames of its batch one after "
        "another, so the dispatcher takes small batches (`PROCTOR_DISPATCH_BATCH`, default 2) and a burst is shared "
        "by both workers instead of ten frames waiting in one.",
        "- Above it, the media queue grows for the whole window and upload → visible is the wait in it (it grows "
        "with the window's length); nothing is lost: SQS keeps the backlog and the drain analyses it.",
        "- On AWS none of these share a machine: the analyzer runs as Lambda behind the SQS event source, each batch "
        "on its own instance, so upload → visible stays near one frame's analysis plus ~0.1 s of S3 → SQS → poll "
        "while concurrency keeps up (Cost and capacity).",
    ]
    return lines


def os_cores(result: dict[str, Any]) -> int:
    return int((result.get("machine") or {}).get("cores") or 2)


# --------------------------------------------------------------------------------------------- cost


def cost_section(result: dict[str, Any]) -> str:
    cost, cap = result.get("cost"), result.get("capacity_100k")
    if not cost:
        return "_Not computed._"
    from benchmarks import cost as model_module

    total = cost["total_usd"]
    inputs = cost["inputs"]
    out = [
        measured_on(result),
        "",
        f"Model: `benchmarks/cost.py` (pure functions; formulas and unit prices in its docstring: AWS list "
        f"prices, {model_module.REGION}, checked {model_module.PRICES_CHECKED}; re-check before use). "
        "Arithmetic is unit-tested in `tests/unit/test_cost_model.py`.",
        "",
        f"**${total:.4f} per proctored exam-hour** (one candidate, one hour; target ≤ $0.01: "
        f"{'met' if total <= 0.01 else '**missed**'}).",
        "",
    ]
    counts = cost["counts"]
    out.append(
        table(
            ["service", "USD per exam-hour", "share"],
            [
                [k, f"{v:.5f}", f"{v / total * 100:.0f} %"]
                for k, v in sorted(cost["by_service_usd"].items(), key=lambda kv: -kv[1])
            ]
            + [["**total**", f"**{total:.5f}**", "100 %"]],
        )
    )
    out += [
        "",
        "Per candidate-hour: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.0f}" for k, v in counts.items())
        + f"; analyzer {cost['analyzer_gb_s']:.1f} GB-s, API {cost['api_gb_s']:.2f} GB-s, "
        f"{cost['uploaded_gb'] * 1000:.0f} MB uploaded, DynamoDB {cost['dynamodb']['wru']:.0f} WRU + "
        f"{cost['dynamodb']['rru']:.0f} RRU.",
        "",
        "Inputs — measured here: "
        + ", ".join(f"{k} {v}" for k, v in inputs["measured"].items())
        + ". Assumed: "
        + ", ".join(f"{k} {v}" for k, v in inputs["assumed"].items())
        + ".",
        "",
        "The issue #13 levers, each applied on top of the ones above it, from the design before them, on the "
        "same measured inputs and the same detection cadence (a frame every 5 s, audio every 10 s). Status: "
        "*built* = the code in this checkout does it (found in the code by `benchmarks/__main__.py` `code_facts`, "
        "so the figure above includes it); anything else is modelled only:",
        "",
        table(
            ["lever", "status", "USD per exam-hour after it", "change"],
            [
                [
                    r["lever"],
                    r.get("status", ""),
                    f"{r['total_usd']:.4f}",
                    "" if i == 0 else f"{r['total_usd'] - cost['levers'][i - 1]['total_usd']:+.4f}",
                ]
                for i, r in enumerate(cost["levers"])
            ],
        ),
    ]
    built = [r for r in cost["levers"][1:] if r.get("status") == "built"]
    out += [
        "",
        f"As built: **${total:.4f}** ({', '.join(r['name'] for r in built) or 'none of them'} built); with every "
        f"lever in the table: ${cost['levers'][-1]['total_usd']:.4f}.",
    ]
    if cost.get("model"):
        before = model_module.cost_per_exam_hour(
            model_module.with_changes(model_module.from_dict(cost["model"]), model_module.BEFORE_PRESENCE)
        )["total_usd"]
        out += [
            "",
            f"Also built (issue #13), so already in the figure above: heartbeats on a small presence item and "
            f"KEYS_ONLY status indexes; the sessions' design before it (heartbeats rewriting the session item, three "
            f"ALL-projection indexes copying every update) costs ${before:.4f} per exam-hour with the same inputs "
            f"(−${before - total:.4f}).",
        ]
    if total > 0.01:
        reach = next((r["lever"] for r in cost["levers"] if r["total_usd"] <= 0.01), None)
        top = sorted(cost["by_service_usd"].items(), key=lambda kv: -kv[1])[:3]
        puts = counts["uploads"] * model_module.Prices().s3_put
        out += [
            "",
            f"Why the target is missed: the biggest lines are "
            f"{', '.join(f'{k} ${v:.4f}' for k, v in top)}. One S3 PUT per upload is ${puts:.4f} a "
            f"candidate-hour on its own ({counts['uploads']:.0f} uploads at $0.005 per 1,000), whatever else is "
            "done. "
            + (
                f"The cumulative levers reach ≤ $0.01 at: {reach}."
                if reach
                else "Even all listed levers together stay above $0.01."
            ),
        ]
    last = cost["levers"][-1] if cost.get("levers") else None
    if last and last.get("by_service_usd"):
        left = sorted(last["by_service_usd"].items(), key=lambda kv: -kv[1])[:4]
        out += [
            "",
            f"With every lever in the table (${last['total_usd']:.4f}) the biggest lines left are "
            + ", ".join(f"{k} ${v:.4f}" for k, v in left)
            + ".",
        ]
    if cap:
        out += [
            "",
            f"### Capacity for {cap['candidates']:,} concurrent candidates",
            "",
            f"Rates: {cap['rates_per_s']['frames']:,.0f} frames/s + {cap['rates_per_s']['audio_chunks']:,.0f} "
            f"audio chunks/s, {cap['rates_per_s']['api_calls']:,.0f} API requests/s, DynamoDB "
            f"{cap['dynamodb_wru_per_s']:,} WRU/s and {cap['dynamodb_rru_per_s']:,} RRU/s. Lambda concurrency "
            f"needed: analyzer {cap['lambda_concurrency']['analyzer']:,} + API {cap['lambda_concurrency']['api']:,}"
            f" = {cap['lambda_concurrency']['total']:,} (account default 1,000); ramp at 1,000 per 10 s per "
            f"function ≈ {cap['lambda_ramp_s']:.0f} s; the SQS event source adds 300 concurrent batches a minute "
            f"from 5 (≈ {cap['sqs_esm_ramp_s']:.0f} s to its standard-mode maximum of 1,250). Starting 100,000 "
            f"executions at 300/s takes {cap['sfn_start_wave_s']:.0f} s. New on-demand tables start at ~4,000 "
            f"WRU/s (headroom {cap['dynamodb_new_table_headroom']}): set warm throughput before the first exam.",
            "",
            f"**Bottleneck: {cap['bottleneck']} — headroom {cap['headroom']}× ({cap['bottleneck_kind']}).**",
            "",
            table(
                ["constraint", "demand", "limit", "headroom (limit/demand)", "kind"],
                [
                    [r["constraint"], f"{r['demand']:,}", f"{r['limit']:,}", r["headroom"], r["kind"]]
                    for r in sorted(cap["constraints"], key=lambda r: r["headroom"] or 0)
                ],
            ),
            "",
            f"First hard limit (only a design change lifts it): {cap['first_hard_limit']} — headroom "
            f"{cap['first_hard_limit_headroom']}×. Every other row below 1 is a quota to request or a setting.",
            "",
            "The sessions' indexes as built: status keys `<exam or agency>#<status>#<shard>` over "
            f"{cap.get('index_shards', '?')} shards (by a hash of the session id), KEYS_ONLY, so only a status "
            "change writes them; the busiest key is `#submitted`, which every session enters and leaves within the "
            "finish wave. Heartbeats write a ~175-byte presence item per session (spread over the table by session "
            "id), never the session item. A page merges the status's shards newest first (up to a "
            "page of keys from each) and batch-gets the page's sessions, presence and signal-state items.",
            "",
            'How to lift the rest before exam day (docs/DEPLOY.md, "Before a national exam"): (1) ask for '
            "Lambda concurrency (≥ 10,000), API Gateway RPS, DynamoDB per-table throughput (sessions reads, "
            "signal-states writes) and Step Functions StartExecution quota increases; (2) switch the analyzer's "
            "SQS event source to provisioned mode (MaximumPollers as the row says) to pass 1,250 concurrent "
            "batches; (3) cut API traffic with one POST policy per session-minute; (4) set warm throughput on the "
            "tables and their indexes, ramp the bucket's `sessions/` prefixes, and stagger exam starts over ≥ 5 "
            "minutes. Per-session items (signal state, presence, S3 prefixes `sessions/<id>/`) are far from their "
            "per-partition limits. Assumptions: all candidates in one agency and one exam (a national test); "
            "deadlines follow the starts, so the finish wave is as long as the start wave. S3 spreads "
            "`sessions/<hex id>/` keys over partitions as traffic grows; a bucket that has never seen 30,000 "
            "PUT/s answers 503 SlowDown at first (the browser must retry with backoff).",
        ]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------- targets


def _value(result: dict[str, Any], key: str) -> Any:
    if key == "analyzer_cpu_fps_per_core":
        return (result.get("analyzer") or {}).get(key, result.get(key))
    if key == "first_hard_limit_headroom":
        return (result.get("capacity_100k") or {}).get(key)
    if key == "p95_upload_to_visible_s":
        return _at_sustained(result, "p95_upload_to_visible_s")
    if key == "lost_frames":
        runs = result.get("load")
        return sum(r["lost_frames"] for r in runs) if runs else None
    return result.get(key)


def _at_sustained(result: dict[str, Any], key: str) -> Any:
    """A load row's value at the sustained N (None: no N held the target, or no search ran)."""
    n = result.get("sustained_candidates")
    return next((r[key] for r in result.get("load") or [] if r["n"] == n), None)


AT_MOST = {"p95_upload_to_visible_s", "lost_frames", "cost_per_exam_hour_usd"}


def verdicts(result: dict[str, Any], targets: dict[str, float]) -> list[dict[str, Any]]:
    """Each target with the value this run measured (or modelled) and whether it is met; None: not measured."""
    rows = []
    for key, target in targets.items():
        value = _value(result, key)
        met = None if value is None else (value <= target if key in AT_MOST else value >= target)
        rows.append({"key": key, "target": target, "value": value, "met": met})
    return rows


def summary_table(result: dict[str, Any]) -> str:
    """Issue #13's keys in one table, with the package sizes and the API cold start beside them."""
    rows = []
    for v in result.get("verdicts") or verdicts(result, result.get("targets") or {}):
        sense = "≤" if v["key"] in AT_MOST else "≥"
        state = "not measured" if v["met"] is None else ("met" if v["met"] else "**missed**")
        rows.append([f"`{v['key']}`", f"{sense} {v['target']}", "—" if v["value"] is None else v["value"], state])
    cold = result.get("cold_start") or {}
    if cold:
        api = cold["api"]
        rows.append(
            [
                "`api_cold_start_ms`",
                "—",
                f"{api['total_ms']} wall, {api['cpu_total_ms']} CPU (import {api['import_ms']}, first answer "
                f"{api['first_response_ms']}; median of {cold['runs']} fresh processes); with a heartbeat's "
                f"DynamoDB clients {api.get('first_db_route_ms', '—')} (clients {api.get('db_clients_ms', '—')})",
                "measured",
            ]
        )
    zips = result.get("zips") or {}
    for name, size in zips.items():
        if isinstance(size, dict):
            rows.append(
                [
                    f"`zips.{name}`",
                    "≤ 262 MB unzipped",
                    f"{size['zipped_mb']} MB ({size['unzipped_mb']} MB unzipped)",
                    "",
                ]
            )
    if zips:
        rows.append(["`zips.architecture`", "—", zips.get("architecture"), f"built in {zips.get('build_s')} s"])
    search = result.get("load_search")
    lines = [measured_on(result), "", table(["key", "target", "value", "verdict"], rows)]
    if search:
        lines += [
            "",
            f"The load search took {search['search_s']:.0f} s; the whole `make bench` "
            f"{result.get('duration_s', 0):.0f} s.",
        ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- refresh


def render(result: dict[str, Any]) -> dict[str, str]:
    return {
        "analyzer": analyzer_section(result),
        "load": load_section(result),
        "cost": cost_section(result),
        "targets": summary_table(result),
    }


def refresh(result: dict[str, Any], doc: Path = DOC) -> None:
    """Rewrite only the marked blocks; append a missing section at the end."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    for name, body in render(result).items():
        heading = dict(SECTIONS)[name]
        block = f"<!-- bench:{name} -->\n{body}\n<!-- /bench:{name} -->"
        pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _m, b=block: b, text, count=1)
        else:
            text = text.rstrip("\n") + f"\n\n{heading}\n\n{block}\n"
    doc.write_text(text if text.endswith("\n") else text + "\n")
