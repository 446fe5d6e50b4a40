"""Cold start of the model-loading processes: a fresh interpreter per run, as a new Lambda execution environment.

    python -m benchmarks.cold_start [--runs 5] [--json]

Two process kinds, each timed in stages inside the child (medians over the runs; the parent also reports the whole
process's wall time, interpreter start and exit included):
- api: the API builds one OpenCvFaceEngine (YuNet + SFace) on its first identity check;
- analyzer: the frame analyzer builds the same engine and a SpeechDetector (Silero VAD) on its first event.
Stages: `import` (numpy, cv2 and our modules; ONNX Runtime is imported by the first session), `load` (model files
read and checked, ONNX Runtime sessions built), `first` (the first detection on a 640x480 frame, the first
embedding, and for the analyzer the first second of audio). One ONNX Runtime thread, as the engine defaults to.
Each stage is reported in wall time and in the process's CPU time: on a shared machine the CPU time is the steadier
of the two (a Lambda has its vCPU to itself, so there the two are close).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
KINDS = ("api", "analyzer")

# Runs in the child. Timings in ms; the frame is synthetic, so no data set is needed (embedding runs on a blank
# aligned crop: the network costs the same whatever the pixels).
CHILD = """
import json, sys, time
start, cpu_start = time.perf_counter(), time.process_time()
def ms(): return round((time.perf_counter() - start) * 1000, 1), round((time.process_time() - cpu_start) * 1000, 1)
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


def run_once(kind: str) -> dict[str, float]:
    """Stage end times (ms since the child's first line) of one fresh process, plus its whole wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"cold start of {kind} failed:\n{done.stderr[-2000:]}")
    ends = json.loads(done.stdout.strip().splitlines()[-1])
    result = {}
    for clock, i in (("", 0), ("cpu_", 1)):
        result[f"{clock}import_ms"] = ends["import"][i]
        result[f"{clock}load_ms"] = round(ends["load"][i] - ends["import"][i], 1)
        result[f"{clock}first_inference_ms"] = round(ends["first"][i] - ends["load"][i], 1)
        result[f"{clock}total_ms"] = ends["first"][i]
    return {**result, "process_wall_ms": round(wall, 1)}


def run(runs: int = 5) -> dict[str, dict[str, float]]:
    """Median of each stage per process kind; the kinds alternate so drift on the machine hits both alike."""
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    run_once("api")  # warm the page cache: the first process on a cold disk measures the disk
    for _ in range(runs):
        for kind in KINDS:
            samples[kind].append(run_once(kind))
    return {
        kind: {key: round(statistics.median(s[key] for s in rows), 1) for key in rows[0]}
        for kind, rows in samples.items()
    }


def format_table(result: dict[str, dict[str, float]]) -> str:
    stages = ("import_ms", "load_ms", "first_inference_ms", "total_ms")
    lines = [f"{'process':<18} {'import':>8} {'load':>8} {'first':>8} {'total':>8}   (ms, medians of fresh processes)"]
    for kind, row in result.items():
        for clock, label in (("", "wall"), ("cpu_", "CPU")):
            lines.append(f"{kind + ' ' + label:<18} " + " ".join(f"{row[clock + k]:>8.1f}" for k in stages))
        lines.append(f"{kind + ' process':<18} {row['process_wall_ms']:>8.1f}   (interpreter start to exit, wall)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per kind (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    result = run(max(1, args.runs))
    print(json.dumps(result) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
