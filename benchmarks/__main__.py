"""`make bench`: every benchmark, printed as tables, saved to benchmarks/results/latest.json, and the Analyzer
throughput, Load and Cost and capacity sections of docs/BENCHMARKS.md refreshed (between their markers only).

    python -m benchmarks [--frames 150] [--n 50,150 | --search-start 50 --search-step 50] [--duration 60]
                         [--drain-timeout 60] [--workers 2] [--skip analyzer,capacity,load,faces,cold_start,package]
                         [--no-docs] [--quiet-wait 300] [--report-only]

The issue #13 keys in benchmarks/results/latest.json: `sustained_candidates` (the load search: N = 50, 100, ... up
to the first N that misses p95 upload -> visible <= 1.5 s with nothing lost, 60 s windows), `api_cold_start_ms`
(import to first answer of the API in a fresh process, benchmarks.cold_start), `zips` (the three Lambda packages,
infra.package), `analyzer.analyzer_cpu_fps_per_core`, `cost_per_exam_hour_usd`, `capacity_100k`.

Not part of `make test`: it takes ~20-25 minutes on the 2-core machine (the load search ~2.5-3.5 min per N) and its
numbers depend on the machine. Nothing here asserts a timing; targets are reported as met or missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

from benchmarks import common, cost, load, report

# Issue #13's targets: reported as met or missed (report.verdicts), never asserted.
TARGETS = {
    "analyzer_cpu_fps_per_core": 60,  # frames per analyzer CPU-second, at least
    "sustained_candidates": 200,  # at least
    "p95_upload_to_visible_s": 1.5,  # at most, at the sustained N
    "lost_frames": 0,
    "cost_per_exam_hour_usd": 0.01,  # at most
    "first_hard_limit_headroom": 1.0,  # capacity_100k, at least
}
# The stage name of the packages built to measure their sizes (under a temporary directory, never build/<stage>).
ZIP_STAGE = "bench"


def run_faces() -> dict[str, Any] | None:
    """benchmarks.faces on the shared dev set, in its own process (its JSON goes under "faces")."""
    if not (common.FACES_DIR / "manifest.json").is_file():
        return None
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.faces", str(common.FACES_DIR), "--json"],
        cwd=common.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        print(f"benchmarks.faces failed: {done.stderr[-500:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_cold_start(runs: int = 5) -> dict[str, Any]:
    """api_cold_start_ms: the API's import to first answer, medians of fresh processes (benchmarks.cold_start)."""
    from benchmarks import cold_start

    api = cold_start.run(runs, ("api",))["api"]
    return {
        "api": api,
        "runs": runs,
        "api_cold_start_ms": api["total_ms"],
        "api_cold_start_cpu_ms": api["cpu_total_ms"],
        "api_first_db_route_ms": api["first_db_route_ms"],
    }


def run_package() -> dict[str, Any] | None:
    """The three Lambda zips as `make package` builds them (dependencies for Lambda's platform, models), built into a
    temporary directory with the shared dependency cache; their sizes zipped and unzipped."""
    import tempfile
    from pathlib import Path

    from infra import package

    with tempfile.TemporaryDirectory(prefix="bench-package-") as out:
        try:
            built = package.build(
                ZIP_STAGE, Path(out), run_lint=False, web_dist=None, cache_dir=package.DEPS_CACHE, log=lambda *_: None
            )
        except (package.PackageError, OSError, RuntimeError) as error:
            print(f"packaging failed: {error}", file=sys.stderr)
            return None
        return {
            name: {
                "zipped_mb": round(path.stat().st_size / 1e6, 1),
                "unzipped_mb": round(built["unzipped"][name] / 1e6, 1),
            }
            for name, path in built["zips"].items()
        } | {"architecture": package.LAMBDA_ARCHITECTURE, "build_s": round(built["timings"]["total"], 1)}


def code_facts() -> dict[str, Any]:
    """What the code in this checkout does about each cost lever, found in the code itself (and where), so the cost
    figure follows the code: each entry is (value, status, source)."""
    import re

    from benchmarks.cost import Workload
    from infra.template import LAMBDA_ARCHITECTURE

    facts: dict[str, Any] = {}
    # Upload forms: one per session, kind and minute when the form rows have a window (chalicelib/media/models.py).
    import importlib

    def module(name: str) -> Any:
        try:
            return importlib.import_module(name)
        except ImportError:
            return None

    media_uploads = module("chalicelib.media.uploads")
    window = getattr(media_uploads, "WINDOW_S", None)
    facts["forms"] = (
        float(window) if window else None,
        "built" if window else "modelled (not in this code)",
        "chalicelib/media/uploads.py WINDOW_S (one form per session, kind and clock minute)",
    )
    # Inbox: polled every POLL_MS by the candidate's page unless the heartbeat's answer carries the flag.
    from chalicelib import openapi_spec

    answer = json.dumps(openapi_spec.document()["components"]["schemas"].get("HeartbeatStatus", {}))
    flag = "inbox" in answer
    channel = common.REPO_ROOT / "web" / "src" / "candidate" / "channel.ts"
    poll = re.search(r"POLL_MS\s*=\s*([0-9_]+)", channel.read_text()) if channel.is_file() else None
    facts["inbox"] = (
        None if flag or not poll else int(poll.group(1).replace("_", "")) / 1000,
        "built" if flag else "modelled (not in this code)",
        "chalicelib/openapi_spec.py HeartbeatStatus (the heartbeat's answer carries the inbox mark)"
        + ("" if flag else f", web/src/candidate/channel.ts POLL_MS {poll.group(1) if poll else '?'}"),
    )
    facts["arm"] = (
        LAMBDA_ARCHITECTURE == "arm64",
        "built" if LAMBDA_ARCHITECTURE == "arm64" else "modelled",
        f"infra/template.py LAMBDA_ARCHITECTURE = {LAMBDA_ARCHITECTURE!r}, infra/package.py aarch64 wheels",
    )
    facts["tiers"] = retention_tiers_fact(module)
    # Two webcam frames per object: chalicelib/media/uploads.py WEBCAM_FRAMES_PER_OBJECT (absent: one per object).
    per_object = getattr(media_uploads, "WEBCAM_FRAMES_PER_OBJECT", None)
    facts["pairs"] = (
        float(per_object or 1),
        "built" if per_object and per_object > 1 else "modelled (not in this code)",
        f"chalicelib/media/uploads.py WEBCAM_FRAMES_PER_OBJECT = {per_object}"
        if per_object
        else "chalicelib/media/uploads.py has no WEBCAM_FRAMES_PER_OBJECT (one frame per object)",
    )
    facts["audio_gate"] = audio_gate_fact()
    facts["compact"] = compact_fact(module)
    facts["heartbeat"] = heartbeat_fact(module)
    facts["http_api"] = (False, "modelled, not built (REST API kept: docs/DEPLOY.md)", "infra/edge.py")
    _ = Workload
    return facts


def retention_tiers_fact(module: Any) -> tuple[Any, str, str]:
    """Built when the monitoring upload forms carry the transient tag (chalicelib/media/retention.py TRANSIENT_TAG,
    put on the form by chalicelib/core/presigned.py's `tagging` field) and the recorder retags evidence
    (keep_as_evidence in chalicelib/violations/recorder.py); the lifecycle rule's days from infra/definitions.py."""
    from infra import definitions

    retention = module("chalicelib.media.retention")
    tag = getattr(retention, "TRANSIENT_TAG", None)
    root = common.REPO_ROOT / "chalicelib"
    presigned = (root / "core" / "presigned.py").read_text()
    recorder = (root / "violations" / "recorder.py").read_text()
    users = sorted(
        str(path.relative_to(common.REPO_ROOT))
        for path in root.rglob("*.py")
        if path.name != "retention.py" and "TRANSIENT_TAG" in path.read_text()
    )
    found = {
        "TRANSIENT_TAG in chalicelib/media/retention.py": tag is not None,
        "the upload form's tagging field (chalicelib/core/presigned.py)": "tagging" in presigned,
        f"the monitoring kinds carry the tag ({', '.join(users) or 'nowhere'})": bool(users),
        "keep_as_evidence in chalicelib/violations/recorder.py": "keep_as_evidence" in recorder,
    }
    days = getattr(definitions, "TRANSIENT_MEDIA_RETENTION_DAYS", None)
    built = all(found.values()) and days is not None
    missing = [name for name, ok in found.items() if not ok]
    return (
        float(days) if built else None,
        "built" if built else "lifecycle rule built (infra/template.py); needs " + "; ".join(missing),
        "; ".join(found) + f"; infra/definitions.py TRANSIENT_MEDIA_RETENTION_DAYS = {days}",
    )


def audio_gate_fact() -> tuple[Any, str, str]:
    """Built when the browser's audio tap uses the voice gate (web/src/shared/media/voice_gate.ts, its
    DEFAULT_KEEPALIVE_S) and the policy serves audio_keepalive_s; the value is the modelled upload share."""
    import re

    from chalicelib.exam.policy import AnalysisPolicy

    media = common.REPO_ROOT / "web" / "src" / "shared" / "media"
    gate = media / "voice_gate.ts"
    tap = media / "audio.ts"
    default = re.search(r"DEFAULT_KEEPALIVE_S\s*=\s*([0-9]+)", gate.read_text()) if gate.is_file() else None
    used = tap.is_file() and "VoiceGate" in tap.read_text()
    keepalive = getattr(AnalysisPolicy(), "audio_keepalive_s", None)
    built = bool(default and used and keepalive)
    chunk = AnalysisPolicy().audio_chunk_s
    share = cost.audio_upload_share(cost.SPEECH_SHARE, chunk, float(keepalive or cost.DEFAULT_AUDIO_KEEPALIVE_S))
    return (
        share if built else None,
        "built" if built else "modelled (not in this code)",
        f"web/src/shared/media/voice_gate.ts DEFAULT_KEEPALIVE_S = {default.group(1) if default else None}, "
        f"audio.ts uses VoiceGate: {used}, chalicelib/exam/policy.py audio_keepalive_s = {keepalive}; "
        f"upload share {share:.3f} = {cost.SPEECH_SHARE:.0%} speech + the rest / ({keepalive} s / {chunk} s)",
    )


def heartbeat_fact(module: Any) -> tuple[Any, str, str]:
    """The adaptive heartbeat: the server's cadences (chalicelib/exam/presence.py BEAT_IDLE_S, BEAT_WATCHED_S, the
    heartbeat answer's next_heartbeat_s in the OpenAPI document) and the page scheduling its next beat from the
    answer (web/src/candidate/monitoring.ts). Built: (idle, watched) seconds; otherwise the page's fixed HEARTBEAT_S."""
    import re

    from chalicelib import openapi_spec

    presence = module("chalicelib.exam.presence")
    idle, watched = getattr(presence, "BEAT_IDLE_S", None), getattr(presence, "BEAT_WATCHED_S", None)
    answer = json.dumps(openapi_spec.document()["components"]["schemas"].get("HeartbeatStatus", {}))
    page = common.REPO_ROOT / "web" / "src" / "candidate" / "monitoring.ts"
    source = page.read_text() if page.is_file() else ""
    fixed = re.search(r"HEARTBEAT_S\s*=\s*([0-9.]+)", source)
    client = float(fixed.group(1)) if fixed else cost.CLIENT_HEARTBEAT_S
    found = {
        f"chalicelib/exam/presence.py BEAT_IDLE_S = {idle}, BEAT_WATCHED_S = {watched}": bool(idle and watched),
        "next_heartbeat_s in chalicelib/openapi_spec.py HeartbeatStatus": "next_heartbeat_s" in answer,
        "web/src/candidate/monitoring.ts schedules from next_heartbeat_s": "next_heartbeat_s" in source,
    }
    built = all(found.values())
    return (
        [float(idle), float(watched)] if built else [client, None],
        "built" if built else "modelled (not in this code)",
        "; ".join(found) + f"; the page's default (no answer, failures) HEARTBEAT_S = {client:g} s",
    )


def compact_fact(module: Any) -> tuple[Any, str, str]:
    """The compact signal-state item: SignalTracker.apply_steps (all of an object's steps in one write) in the code;
    its size is measured by the load benchmark (item_bytes.signal_states_item), so "built" needs both."""
    tracker = getattr(module("chalicelib.violations.signal_tracker"), "SignalTracker", None)
    steps = hasattr(tracker, "apply_steps")
    return (
        steps,
        "built" if steps else "modelled (not in this code)",
        "chalicelib/violations/signal_tracker.py SignalTracker.apply_steps"
        + (" (found)" if steps else " (not found)")
        + "; the item's size as the load benchmark measures it",
    )


def model_from(result: dict[str, Any]) -> tuple[cost.Model, dict[str, Any]]:
    """The cost model with what this run measured put in; the rest stays at the documented defaults."""
    model = cost.Model()
    measured: dict[str, Any] = {}
    best = next((r for r in (result.get("analyzer") or {}).get("runs", []) if r["name"] == "optimised"), None)
    compute, workload, storage = model.compute, model.workload, model.storage
    if best:
        # Item operations, whatever request carried them (a BatchGetItem reads the session and its states).
        calls = best.get("item_operations_per_frame") or best["calls_per_frame"]
        table_of = {"objects": "ledger", "sessions": "session", "states": "signal_states"}

        def per_frame(*ops: str) -> tuple[tuple[str, float], ...]:
            counts: dict[str, float] = {}
            for key, value in calls.items():
                op, table = key.split(":")[1], key.rsplit(":", 1)[1]
                if key.startswith("ddb:") and op in ops and table in table_of:
                    counts[table_of[table]] = counts.get(table_of[table], 0) + value
            return tuple(counts.items())

        # Item operations are measured per frame; the model counts them per object (a webcam object of two frames
        # is claimed, read and written once), so per-frame figures are scaled back by the run's frames per object.
        per_object = float(best.get("frames_per_object") or 1)
        calls = {k: v * per_object for k, v in calls.items()}
        compute = replace(compute, frame_cpu_ms=best["cpu_ms_per_frame"])
        workload = replace(workload, frame_bytes=round(best["frame_kb_mean"] * 1024))
        storage = replace(storage, frame_reads=per_frame("GetItem"), frame_writes=per_frame("PutItem", "UpdateItem"))
        measured.update(
            {
                "analyzer CPU ms/frame": best["cpu_ms_per_frame"],
                "frame KB": best["frame_kb_mean"],
                "DynamoDB reads/frame": dict(storage.frame_reads),
                "writes/frame": dict(storage.frame_writes),
            }
        )
    runs = result.get("load") or []
    if runs:
        sizes: dict[str, int] = {}
        for run in runs:  # the largest of each item seen in any run (a session may not have had a violation yet)
            for name, size in (run.get("item_bytes") or {}).items():
                sizes[name] = max(sizes.get(name, 0), size)
        storage = replace(storage, **{k: float(v) for k, v in sizes.items() if v})
        compute = replace(compute, api_cpu_ms=runs[0]["api_cpu_ms_per_call"])
        measured.update(
            {"item bytes": sizes, f"API CPU ms/call (chalice local, N={runs[0]['n']})": runs[0]["api_cpu_ms_per_call"]}
        )
    facts = code_facts()
    workload = replace(
        workload,
        form_window_s=facts["forms"][0],
        inbox_poll_every_s=facts["inbox"][0],
        transient_retention_days=facts["tiers"][0],
        webcam_frames_per_object=facts["pairs"][0],
        audio_upload_share=facts["audio_gate"][0] if facts["audio_gate"][0] is not None else 1.0,
        heartbeat_every_s=facts["heartbeat"][0][0],
        heartbeat_watched_every_s=facts["heartbeat"][0][1],
        watched_share=cost.WATCHED_SHARE,
    )
    # The compact lever is built when the code has it and the measured item is within 1 KB (1 WRU a write).
    states = storage.signal_states_item
    if facts["compact"][1] == "built" and states > 1024:
        facts["compact"] = (
            False,
            f"in the code, but the measured item is {states:.0f} B (> 1 KB)",
            facts["compact"][2],
        )
    elif facts["compact"][1] == "built":
        facts["compact"] = (True, "built", facts["compact"][2] + f": {states:.0f} B")
    # Lambda sizes as deployed: the analyzer's from the template, the API's from Chalice's config.
    from chalicelib.exam.policy import AnalysisPolicy
    from infra.template import ANALYZER_MEMORY_MB

    chalice = json.loads((common.REPO_ROOT / ".chalice" / "config.json").read_text())
    compute = replace(
        compute,
        arm=facts["arm"][0],
        analyzer_memory_mb=ANALYZER_MEMORY_MB,
        api_memory_mb=int(chalice.get("lambda_memory_size", compute.api_memory_mb)),
    )
    model = replace(model, compute=compute, workload=workload, storage=storage)
    w, c = model.workload, model.compute
    assumed = {
        "frame every": f"{w.frame_every_s} s",
        "audio chunk": f"{w.audio_chunk_s} s",
        "heartbeat": f"every {w.heartbeat_every_s:g} s, every {w.heartbeat_watched_every_s:g} s while a proctor "
        f"watches ({w.watched_share:.0%} of the hour): {cost.heartbeats_per_hour(w):.0f} an hour"
        if w.heartbeat_watched_every_s
        else f"every {w.heartbeat_every_s:g} s",
        "answer": f"{w.answer_every_s} s",
        "analyzer memory": f"{c.analyzer_memory_mb} MB (infra/template.py)",
        "API memory": f"{c.api_memory_mb} MB (.chalice/config.json)",
        "AWS I/O wait per object": f"{c.object_io_ms} ms",
        "audio CPU per chunk": f"{c.audio_cpu_ms} ms",
        "SQS batch": c.batch_size,
        "retention": f"{w.retention_days} days"
        + (f" (non-evidence {w.transient_retention_days} days)" if w.transient_retention_days else " (one tier)"),
        "upload forms": f"one per session, kind and {w.form_window_s:.0f} s" if w.form_window_s else "one per upload",
        "webcam frames per object": w.webcam_frames_per_object,
        "audio chunks uploaded": f"{w.audio_upload_share:.0%}"
        + (
            f" ({cost.SPEECH_SHARE:.0%} of an exam-hour speech, a keep-alive chunk every "
            f"{AnalysisPolicy().audio_keepalive_s} s otherwise)"
            if w.audio_upload_share < 1
            else " (every chunk)"
        ),
        "inbox": f"polled every {w.inbox_poll_every_s} s"
        if w.inbox_poll_every_s
        else f"flag on the heartbeat, {w.inbox_fetches_per_hour} fetches an hour",
        "Lambda architecture": "arm64 (Graviton CPU time assumed equal to this x86's: not measured)"
        if c.arm
        else "x86_64",
        "exam length for per-session costs": f"{w.exam_hours} h",
        "violations opened per hour": model.storage.violations_per_hour,
    }
    return model, {"measured": measured, "assumed": assumed, "code": {k: list(v) for k, v in facts.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=150, help="analyzer frames per run (150)")
    load.add_arguments(parser)
    parser.add_argument(
        "--capacity-frames",
        type=int,
        default=200,
        help="frames in the dispatcher 1-vs-2-worker burst (200; 0 skips it)",
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated: analyzer, capacity, load, faces, cold_start, package"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not refresh docs/BENCHMARKS.md")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="recompute the cost model and rewrite the docs from benchmarks/results/latest.json",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        help="wait up to this many seconds for other work on the machine to calm down (300)",
    )
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.report_only:
        saved = json.loads((common.RESULTS_DIR / "latest.json").read_text())
        finish(saved, docs=not args.no_docs)
        return 0
    started = time.monotonic()
    print("Waiting for the machine to be quiet ...", file=sys.stderr, flush=True)
    background = common.wait_for_quiet(args.quiet_wait)
    result: dict[str, Any] = {
        "machine": common.machine(),
        "date": common.now_iso(),
        "background_cpu_busy": background,
        "command": "python -m benchmarks " + " ".join(argv) if argv else "make bench",
        "targets": TARGETS,
    }
    if "analyzer" not in skip:
        print("Analyzer throughput ...", file=sys.stderr, flush=True)
        from benchmarks import analyzer

        result["analyzer"] = analyzer.run(frames=args.frames)
        result["analyzer_fps_per_core"] = result["analyzer"]["analyzer_fps_per_core"]
        result["analyzer_cpu_fps_per_core"] = result["analyzer"]["analyzer_cpu_fps_per_core"]
        result["analyzer_speedup_vs_naive"] = result["analyzer"]["analyzer_speedup_vs_naive"]
    if "capacity" not in skip and args.capacity_frames > 0:
        print("Dispatcher capacity, 1 and 2 media workers ...", file=sys.stderr, flush=True)
        result["dispatcher_capacity"] = [load.dispatcher_capacity(w, frames=args.capacity_frames) for w in (1, 2)]
    if "load" not in skip:
        cfg = load.config_from(args)
        result["load_config"] = {
            "duration_s": cfg.duration_s,
            "workers": cfg.workers,
            "ns": list(cfg.ns),
            "drain_timeout_s": cfg.drain_timeout_s,
        }
        if cfg.ns:
            print(f"Load at N = {', '.join(map(str, cfg.ns))} ...", file=sys.stderr, flush=True)
            result["load"] = load.run(cfg)
        else:
            print(
                f"Load: searching sustained_candidates (N = {cfg.search_start}, {cfg.search_start + cfg.search_step}"
                f", ... {cfg.duration_s:.0f} s each) ...",
                file=sys.stderr,
                flush=True,
            )
            found = load.search(cfg)
            result["load"] = found.pop("rows")
            result["load_search"] = found
            result["sustained_candidates"] = found["sustained_candidates"]
    if "faces" not in skip:
        print("Faces (benchmarks.faces) ...", file=sys.stderr, flush=True)
        result["faces"] = run_faces()
    if "cold_start" not in skip:
        print("API cold start (benchmarks.cold_start) ...", file=sys.stderr, flush=True)
        result["cold_start"] = run_cold_start()
        result["api_cold_start_ms"] = result["cold_start"]["api_cold_start_ms"]
    if "package" not in skip:
        print("Lambda zips (infra.package) ...", file=sys.stderr, flush=True)
        result["zips"] = run_package()
    result["duration_s"] = round(time.monotonic() - started, 1)
    finish(result, docs=not args.no_docs)
    return 0


def finish(result: dict[str, Any], *, docs: bool) -> None:
    """Cost model from the measurements, latest.json, the tables on stdout, and the docs sections."""
    model, inputs = model_from(result)
    result["cost"] = {
        **cost.cost_per_exam_hour(model),
        "levers": cost.levers(model, {name: fact[1] for name, fact in inputs["code"].items()}),
        "inputs": inputs,
        "model": cost.as_dict(model),
    }
    result["cost_per_exam_hour_usd"] = round(result["cost"]["total_usd"], 5)
    result["capacity_100k"] = cost.capacity(model, 100_000)
    result["targets"] = TARGETS
    result["verdicts"] = report.verdicts(result, TARGETS)
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (common.RESULTS_DIR / "latest.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    sections = report.render(result)
    for name, heading in report.SECTIONS:
        print(f"\n{heading}\n\n{sections[name]}")
    if docs:
        report.refresh(result)
    print(
        f"\nWrote {common.RESULTS_DIR / 'latest.json'}"
        + (f" and refreshed {report.DOC}" if docs else "")
        + f" (benchmarks took {result.get('duration_s', 0):.0f} s)."
    )


if __name__ == "__main__":
    sys.exit(main())
