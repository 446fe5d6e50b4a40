"""Cold start of each function: a fresh interpreter per run, as a new Lambda execution environment.

    python -m benchmarks.cold_start [--runs 5] [--json] [--code DIR]

Three process kinds (medians over the runs; the parent also reports the whole process's wall time, interpreter start
and exit included):
- api (issue #13 `api_cold_start_ms`): `import app` (stage `import`), then the first answer through Chalice's own
  request path, middleware included (`chalice.test.Client`, an unauthenticated GET of the identity-check status: no
  AWS call, so no endpoint is needed) (`first`), then the DynamoDB clients of the four tables a heartbeat uses
  (users, sessions, presence, signal states: built on first use, no request sent) (`db_clients`; `first_db_route` =
  import to there, what a cold instance spends before a heartbeat's first request leaves), then the
  identity-check service ready to take a request (`load`:
  `wiring.enrollment()`, and on code where the API runs the face check itself, its face engine too). `total` =
  import to first answer.
- identity: the identity checker builds one OpenCvFaceEngine (YuNet + SFace) on its first job;
- analyzer: the frame analyzer builds the same engine and a SpeechDetector (Silero VAD) on its first event.
For the model kinds the stages are `import` (numpy, cv2 and our modules; ONNX Runtime is imported by the first
session), `load` (model files read and checked, ONNX Runtime sessions built), `first` (the first detection on a
640x480 frame, the first embedding, and for the analyzer the first second of audio). One ONNX Runtime thread, as the
engine defaults to. Each stage is reported in wall time and in the process's CPU time: on a shared machine the CPU
time is the steadier of the two (a Lambda has its vCPU to itself, so there the two are close).

`--code DIR` measures another checkout (e.g. the code before a change) with this script.
Not measured here: Lambda's download and unpacking of the zip (see docs/BENCHMARKS.md for the zip sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
KINDS = ("api", "identity", "analyzer")
# Settings the API reads at start; nothing is called on them (the measured request needs no AWS).
API_ENV = {
    "PROCTOR_JWT_SECRET": "s" * 40,
    "PROCTOR_MEDIA_BUCKET": "b",
    "PROCTOR_MEDIA_QUEUE_URL": "http://127.0.0.1:9/q",
    "PROCTOR_LIFECYCLE_QUEUE_URL": "http://127.0.0.1:9/l",
    "PROCTOR_IDENTITY_QUEUE_URL": "http://127.0.0.1:9/i",
    "PROCTOR_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:x",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "POWERTOOLS_TRACE_DISABLED": "true",
}

# Runs in the child. Timings in ms; the frame is synthetic, so no data set is needed (embedding runs on a blank
# aligned crop: the network costs the same whatever the pixels).
CHILD = """
import json, sys, time
start, cpu_start = time.perf_counter(), time.process_time()
def ms(): return round((time.perf_counter() - start) * 1000, 1), round((time.process_time() - cpu_start) * 1000, 1)
if sys.argv[1] == "api":
    import app
    out = {"import": ms()}
    from chalice.test import Client
    with Client(app.app) as client:
        answer = client.http.get("/exams/e1/enrollment")
    assert answer.status_code == 401, answer.status_code
    out["first"] = ms()
    from chalicelib import wiring
    from chalicelib.exam.models import PresenceRecord, SessionRecord
    from chalicelib.identity.models import UserRecord
    from chalicelib.violations.models import SignalStatesRecord
    wiring.settings()  # what any route touching a table runs first: the models bound to the configured tables
    for model in (UserRecord, SessionRecord, PresenceRecord, SignalStatesRecord):  # a heartbeat's tables
        model._get_connection().connection.client  # built on first use; no request is sent
    out["tables"] = ms()
    service = wiring.enrollment()
    if getattr(service, "_engine_for", None) is not None:  # code where the API runs the face check itself
        wiring.face_engine_for("")
    out["load"] = ms()
    out["face_stack_loaded"] = [m for m in ("cv2", "onnxruntime", "numpy") if m in sys.modules]
    print(json.dumps(out))
    raise SystemExit
import numpy as np
from chalicelib.identity.face_engine import OpenCvFaceEngine
if sys.argv[1] == "analyzer":
    from chalicelib.violations.speech import SpeechDetector
out = {"import": ms()}
engine = OpenCvFaceEngine()
vad = SpeechDetector() if sys.argv[1] == "analyzer" else None
out["load"] = ms()
engine.detector.detect(np.full((480, 640, 3), 128, np.uint8))
engine.embed_crops([np.zeros((112, 112, 3), np.uint8)])
if vad is not None:
    vad.analyze(np.zeros(16000, np.float32))
out["first"] = ms()
print(json.dumps(out))
"""


def run_once(kind: str, code: Path = REPO_ROOT) -> dict[str, float]:
    """Stage end times (ms since the child's first line) of one fresh process, plus its whole wall time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROCTOR_"))}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind],
        cwd=code,
        capture_output=True,
        text=True,
        check=False,
        env={**env, **API_ENV, "PYTHONPATH": str(code)},
    )
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"cold start of {kind} failed:\n{done.stderr[-2000:]}")
    ends = json.loads(done.stdout.strip().splitlines()[-1])
    result = {}
    for clock, i in (("", 0), ("cpu_", 1)):
        result[f"{clock}import_ms"] = ends["import"][i]
        if kind == "api":
            result[f"{clock}first_response_ms"] = round(ends["first"][i] - ends["import"][i], 1)
            result[f"{clock}db_clients_ms"] = round(ends["tables"][i] - ends["first"][i], 1)
            result[f"{clock}identity_service_ms"] = round(ends["load"][i] - ends["tables"][i], 1)
            result[f"{clock}total_ms"] = ends["first"][i]  # import to first answer: api_cold_start_ms
            result[f"{clock}first_db_route_ms"] = ends["tables"][i]  # ... plus a heartbeat's DynamoDB clients
        else:
            result[f"{clock}load_ms"] = round(ends["load"][i] - ends["import"][i], 1)
            result[f"{clock}first_inference_ms"] = round(ends["first"][i] - ends["load"][i], 1)
            result[f"{clock}total_ms"] = ends["first"][i]
    if kind == "api":
        result["face_stack_loaded"] = float(len(ends["face_stack_loaded"]))  # modules among cv2, onnxruntime, numpy
    return {**result, "process_wall_ms": round(wall, 1)}


def run(runs: int = 5, kinds: tuple[str, ...] = KINDS, code: Path = REPO_ROOT) -> dict[str, dict[str, float]]:
    """Median of each stage per process kind; the kinds alternate so drift on the machine hits all alike."""
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for kind in kinds:
        run_once(kind, code)  # warm the page cache: the first process on a cold disk measures the disk
    for _ in range(runs):
        for kind in kinds:
            samples[kind].append(run_once(kind, code))
    return {
        kind: {key: round(statistics.median(s[key] for s in rows), 1) for key in rows[0]}
        for kind, rows in samples.items()
    }


def format_table(result: dict[str, dict[str, float]]) -> str:
    model_stages = ("import_ms", "load_ms", "first_inference_ms", "total_ms")
    api_stages = (
        "import_ms",
        "identity_service_ms",
        "first_response_ms",
        "total_ms",
        "db_clients_ms",
        "first_db_route_ms",
    )
    lines = [
        f"{'process':<18} {'import':>8} {'load':>8} {'first':>8} {'total':>8}   (ms, medians of fresh processes; "
        "api: load = identity-check service ready, first = first answer, total = import to first answer, then "
        "a heartbeat's DynamoDB clients and import to them)"
    ]
    for kind, row in result.items():
        stages = api_stages if kind == "api" else model_stages
        for clock, label in (("", "wall"), ("cpu_", "CPU")):
            lines.append(f"{kind + ' ' + label:<18} " + " ".join(f"{row[clock + k]:>8.1f}" for k in stages))
        lines.append(f"{kind + ' process':<18} {row['process_wall_ms']:>8.1f}   (interpreter start to exit, wall)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per kind (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument("--code", type=Path, default=REPO_ROOT, help="the checkout to measure (default: this one)")
    args = parser.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    if unknown := [k for k in kinds if k not in KINDS]:
        parser.error(f"unknown kinds {unknown}")
    result = run(max(1, args.runs), kinds, args.code.resolve())
    if "api" in result:
        result["api_cold_start_ms"] = {"cpu": result["api"]["cpu_total_ms"], "wall": result["api"]["total_ms"]}
    print(json.dumps(result) if args.json else format_table({k: v for k, v in result.items() if k in KINDS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
