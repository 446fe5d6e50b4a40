"""Analyzer throughput: webcam frames per second on one core through the whole frame_analyzer path.

    python -m benchmarks.analyzer [--frames N] [--json]

A fresh local endpoint (ministack) holds a real exam and one in-progress session per run, enrolled with a
reference template from a selfie (as a passed identity check would copy onto the session), so re-identification
runs. Frames are uploaded to S3 with boto3; S3 sends its notifications to the media queue; the benchmark reads
those S3 event records back from SQS and hands them, one at a time and in upload order, to
FrameAnalyzer.process in this process on one thread (cv2.setNumThreads(1), one ONNX Runtime thread), in batches of
`--batch` (10, the Lambda's SQS batch) as the handler does: the session and its signal states (one BatchGetItem),
one GetObject (S3), the claim of the key's upload form (UpdateItem), decode, detection, every Nth frame
re-identification (whole face + lower half for the cover check), episode tracking (one conditional PutItem of the
signal states) and the outcome rows (one BatchWriteItem per batch). Timed: wall clock per frame and the
process's CPU time; stages are timed by wrapping the S3 client, the decoder, the detector, the aligner, the
SFace forward pass and PynamoDB's dispatch (so every DynamoDB call is counted per operation).

Runs, each one optimisation further than the last (same scenes, same order):
  naive         1280x960 frames, detection at full size (1280), embedding on every frame (reid_every_n=1)
  detect@640    1280x960 frames, detection on a 640 downscale (the engine default), embedding on every frame
  frames@640    640x480 frames from the browser, detection at 640, embedding on every frame
  optimised@1f  640x480 frames, detection at 640, re-identification every 3rd frame (policy default), one frame per
                uploaded object (as before two-frame objects; older clients and a frame flushed alone)
  optimised     as optimised@1f, two frames per object as the browser uploads them: one 640x960 JPEG of two 640x480
                frames stacked (`<name>.f2.jpg`), one GetObject, claim and states write per two frames
  reid@6        (only with --run reid@6) as optimised, re-identification every 6th frame: a policy lever, measured

Every figure "per frame" is per webcam frame (an object of two frames counts two): `cpu_fps` is frames per CPU-second;
`objects` and the `*_per_object` figures give the per-object view.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

import cv2
import numpy as np

from benchmarks import common

RUNS = (
    # name, frame size, detector analysis side, reid_every_n, frames per uploaded object
    ("naive", (1280, 960), 1280, 1, 1),
    ("detect@640", (1280, 960), 640, 1, 1),
    ("frames@640", (640, 480), 640, 1, 1),
    ("optimised@1f", (640, 480), 640, 3, 1),
    ("optimised", (640, 480), 640, 3, 2),
)
# Only on request (--run): what a policy change would buy, not a default (docs/BENCHMARKS.md says why).
EXTRA_RUNS = (("reid@6", (640, 480), 640, 6, 2),)
WARM_FRAMES = 4  # frames of a separate session processed before each timed run (process warm-up)
STAGES = ("s3", "decode", "detect", "face_features", "align", "embed", "dynamodb", "other")


class Timer:
    """Accumulates seconds and call counts per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu_seconds: dict[str, float] = defaultdict(float)  # the process's CPU time inside the stage
        self.calls: Counter[str] = Counter()
        self.items: Counter[str] = Counter()  # DynamoDB item operations by table (patch_dynamodb)
        self.cpu_by_call: dict[str, float] = defaultdict(float)  # CPU seconds by request kind (calls' keys)

    def wrap(self, stage: str, fn: Callable[..., Any], count_as: str | None = None) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - start
                self.cpu_seconds[stage] += time.process_time() - cpu_start
                self.calls[count_as or stage] += 1
                self.cpu_by_call[count_as or stage] += time.process_time() - cpu_start

        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.cpu_seconds.clear()
        self.calls.clear()
        self.items.clear()
        self.cpu_by_call.clear()


class TimedS3:
    """The analyzer's S3 client with GetObject (body read included) timed."""

    def __init__(self, client: Any, timer: Timer) -> None:
        self._client, self._timer = client, timer

    def get_object(self, **kwargs: Any) -> Any:
        import io

        def fetch() -> dict[str, Any]:
            response = self._client.get_object(**kwargs)
            return {**response, "Body": io.BytesIO(response["Body"].read())}

        return self._timer.wrap("s3", fetch, "s3:GetObject")()


class TimedDetector:
    """The engine's detector, timed; passes are counted as full (the analysis size) or fast (a smaller one)."""

    def __init__(self, detector: Any, timer: Timer) -> None:
        self._detector, self._timer = detector, timer
        self.analysis_max_side = detector.analysis_max_side
        self.score_threshold = detector.score_threshold

    def detect(self, image: Any, **kwargs: Any) -> Any:
        side = kwargs.get("max_side") or self.analysis_max_side
        kind = "detect_full" if side >= self.analysis_max_side else "detect_fast"
        return self._timer.wrap("detect", self._detector.detect, kind)(image, **kwargs)


def instrumented_engine(detect_side: int, timer: Timer) -> Any:
    from chalicelib.identity.face_detector import YuNetFaceDetector
    from chalicelib.identity.face_engine import OpenCvFaceEngine

    engine = OpenCvFaceEngine(detector=TimedDetector(YuNetFaceDetector(analysis_max_side=detect_side), timer))
    observe = engine.observe
    engine.observe = timer.wrap("observe", observe)  # detect + pose/lighting/sharpness; detect is taken out later
    engine.aligned_face = timer.wrap("align", engine.aligned_face)
    embed_crops = timer.wrap("embed", engine.embed_crops)

    def counted(crops: list[Any]) -> Any:
        timer.calls["sface_pass"] += len(crops)  # one forward pass per crop (the cover check sends two)
        return embed_crops(crops)

    engine.embed_crops = counted
    return engine


def item_operations(operation: str, kwargs: dict) -> list[tuple[str, str]]:
    """What one request does to items, as (GetItem | PutItem | UpdateItem | ..., table): capacity is per item,
    whether the items travel one per request or in a batch or transaction."""
    if operation == "BatchGetItem":
        return [("GetItem", t) for t, ask in kwargs.get("RequestItems", {}).items() for _ in ask.get("Keys", [])]
    if operation == "BatchWriteItem":
        return [
            ("PutItem" if "PutRequest" in r else "DeleteItem", t)
            for t, requests in kwargs.get("RequestItems", {}).items()
            for r in requests
        ]
    if operation == "TransactWriteItems":
        actions = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheck"}
        return [
            (actions[name], body["TableName"])
            for entry in kwargs.get("TransactItems", [])
            for name, body in entry.items()
            if name in actions
        ]
    return [(operation, str(kwargs.get("TableName", "")))]


def patch_dynamodb(timer: Timer) -> Callable[[], None]:
    """Time and count every DynamoDB call PynamoDB makes (models and the recorder's TransactWrite)."""
    from pynamodb.connection.base import Connection

    original = Connection.dispatch

    def dispatch(self: Any, operation_name: str, operation_kwargs: dict) -> Any:
        table = (
            str(operation_kwargs.get("TableName", "")).rsplit("-", 1)[-1]
            if "TableName" in operation_kwargs
            else "multi"
        )
        for item_op, item_table in item_operations(operation_name, operation_kwargs):
            timer.items[f"ddb:{item_op}:{item_table.rsplit('-', 1)[-1]}"] += 1
        return timer.wrap("dynamodb", original, f"ddb:{operation_name}:{table}")(self, operation_name, operation_kwargs)

    Connection.dispatch = dispatch

    def undo() -> None:
        Connection.dispatch = original

    return undo


def patch_decode(timer: Timer) -> Callable[[], None]:
    from functions.frame_analyzer import analysis

    original = analysis.decode_image
    analysis.decode_image = timer.wrap("decode", original)

    def undo() -> None:
        analysis.decode_image = original

    return undo


def start_session(exam_id: str, agency_id: str, admin: Any) -> str:
    """Admit, consent and start one candidate through the same services the API routes call."""
    from chalicelib import wiring
    from chalicelib.core.principal import Principal
    from chalicelib.exam.catalog import RosterEntry, load_exam
    from chalicelib.identity.logins import account_id

    candidate = f"cand-{uuid.uuid4().hex[:10]}"
    roster = [RosterEntry(candidate, "Bench Candidate", common.BENCH_PASSWORD)]
    wiring.exam_catalog().admit(admin, load_exam(exam_id, agency_id), roster)
    principal = Principal(account_id(agency_id, candidate), "candidate", agency_id)
    wiring.exam_sessions().record_consent(principal, exam_id, True, "ru")
    view, _ = wiring.exam_sessions().start(principal, exam_id, "ru")
    return view["session_id"]


def create_exam(admin: Any, analysis: dict[str, Any] | None) -> str:
    from chalicelib import wiring
    from chalicelib.exam.bank_import import parse_json_bank
    from chalicelib.exam.catalog import load_exam
    from chalicelib.exam.requests import exam_draft
    from local.seed import demo_bank

    exam = wiring.exam_catalog().create_exam(admin, exam_draft(common.exam_body(4 * 3600, analysis)))
    record = load_exam(exam["exam_id"], admin.agency_id)
    wiring.exam_catalog().import_bank(record, parse_json_bank(demo_bank(6), list(record.languages), {"law", "ethics"}))
    return exam["exam_id"]


def objects_of(frames: list[tuple[str, bytes]], per_object: int) -> list[tuple[str, bytes, int]]:
    """The frames as uploaded objects: one each, or `per_object` consecutive frames stacked vertically in one JPEG
    (earlier on top) as the browser uploads them; the object's scene names its frames' scenes ("enrolled+no_face")."""
    if per_object == 1:
        return [(kind, data, 1) for kind, data in frames]
    from chalicelib.identity.face_detector import decode_image

    objects = []
    for first in range(0, len(frames) - per_object + 1, per_object):
        group = frames[first : first + per_object]
        picture = np.vstack([decode_image(data) for _, data in group])
        objects.append(("+".join(kind for kind, _ in group), common.encode_jpeg(picture), per_object))
    return objects


def object_key(session_id: str, frames: int) -> str:
    """A key under the session's webcam form of this minute, named for the frames the object holds."""
    from chalicelib.media.uploads import frames_name

    key = common.issued_webcam_key(session_id)
    prefix, _, name = key.rpartition("/")
    return f"{prefix}/{frames_name(name, frames)}"


def upload_and_collect(
    s3: Any, sqs: Any, bucket: str, queue_url: str, session_id: str, frames: list[tuple[str, bytes, int]]
) -> tuple[list[dict[str, Any]], float]:
    """PUT every object under the session's webcam prefix, then read the S3 event records back from the queue."""
    keys = [object_key(session_id, count) for _, _, count in frames]
    start = time.perf_counter()
    for key, (_, data, _count) in zip(keys, frames, strict=True):
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="image/jpeg")
    put_s = time.perf_counter() - start
    wanted, records = set(keys), {}
    deadline = time.monotonic() + 60
    while wanted - records.keys() and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in messages.get("Messages", []):
            for record in json.loads(message["Body"]).get("Records", []):
                key = unquote_plus(record["s3"]["object"]["key"])
                if key in wanted:
                    records[key] = record
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    missing = wanted - records.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} S3 notifications never reached the media queue")
    return [records[key] for key in keys], put_s


def run_one(
    name: str,
    size: tuple[int, int],
    detect_side: int,
    reid_every_n: int,
    frames_count: int,
    setup: dict[str, Any],
    seed: int,
    batch: int = 10,
    profile: str | None = None,
    per_object: int = 1,
) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventRecord

    from chalicelib import wiring
    from chalicelib.identity.face_detector import decode_image
    from functions.frame_analyzer.analysis import FrameAnalyzer
    from functions.frame_analyzer.handler import speech_detector, uploaded_object

    timer = Timer()
    engine = instrumented_engine(detect_side, timer)
    exam_id = setup["exams"][reid_every_n]
    session_id = start_session(exam_id, setup["agency_id"], setup["admin"])
    common.enroll(session_id, setup["reference"])
    frames = objects_of(common.frame_sequence(frames_count, size, seed=seed), per_object)
    settings = wiring.settings()
    records, put_s = upload_and_collect(
        wiring.s3(), wiring.sqs(), settings.media_bucket, settings.media_queue_url, session_id, frames
    )
    analyzer = FrameAnalyzer(
        TimedS3(wiring.s3(), timer),
        lambda _name: engine,
        lambda _agency: engine,
        wiring.signal_tracker(),
        speech_detector,
        wiring.clock(),
        wiring.media_uploads().kinds,
        wiring.recorder(),
    )
    # Warm-up outside the timed loop: the first detection at a size and the first forward pass allocate buffers.
    warm = decode_image(frames[0][1])[: size[1]]  # one frame (the top one of a pair)
    for face in engine.observe(warm)[:1]:
        engine.embed(warm, face)
    # ... and a few frames of another session through the whole path: PynamoDB builds one botocore client per model
    # class on its first request (~50-150 ms each, six of them here), once per process as on a warm Lambda; in the
    # timed loop they cost ~2-3 ms per frame of a 150-frame run that a real instance spreads over thousands of frames.
    warm_session = start_session(exam_id, setup["agency_id"], setup["admin"])
    common.enroll(warm_session, setup["reference"])
    # Empty scenes first: two of them open a no_face episode, so the violation writes' clients are built too.
    warm_frames = sorted(frames, key=lambda frame: "no_face" not in frame[0])[: max(1, WARM_FRAMES // per_object)]
    warm_records, _ = upload_and_collect(
        wiring.s3(), wiring.sqs(), settings.media_bucket, settings.media_queue_url, warm_session, warm_frames
    )
    with analyzer.outcomes.batch():
        for record in warm_records:
            analyzer.process(uploaded_object(S3EventRecord(record)))
    per_frame, outcomes, flags, by_kind = [], Counter(), Counter(), defaultdict(list)
    undo = [patch_dynamodb(timer), patch_decode(timer)]
    timer.reset()
    machine_before = common.cpu_busy()
    profiler = cProfile.Profile() if profile else None
    try:
        if profiler is not None:
            profiler.enable()
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        pairs = list(zip(records, frames, strict=True))
        for first in range(0, len(pairs), batch):
            with analyzer.outcomes.batch():  # as the handler does per SQS batch: outcome rows in one request
                for record, (kind, _, count) in pairs[first : first + batch]:
                    start = time.perf_counter()
                    outcome = analyzer.process(uploaded_object(S3EventRecord(record)))
                    elapsed = time.perf_counter() - start
                    per_frame.extend([elapsed * 1000 / count] * count)  # an object's time shared by its frames
                    by_kind[kind].append(elapsed * 1000 / count)
                    outcomes[outcome.outcome if outcome.outcome != "rejected" else f"rejected:{outcome.reason}"] += 1
                    flags.update(f"{kind}:{flag}" for flag in outcome.flags)
        wall_s, cpu_s = time.perf_counter() - wall_start, time.process_time() - cpu_start
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{profile}.{name}")
        for fn in undo:
            fn()
    machine_busy = common.busy_share(machine_before, common.cpu_busy())
    objects = len(records)
    n = sum(count for _, _, count in frames)  # frames: every per-frame figure divides by these
    seconds = dict(timer.seconds)
    stage_ms = {
        "s3": seconds.get("s3", 0.0),
        "decode": seconds.get("decode", 0.0),
        "detect": seconds.get("detect", 0.0),
        "face_features": seconds.get("observe", 0.0) - seconds.get("detect", 0.0),
        "align": seconds.get("align", 0.0),
        "embed": seconds.get("embed", 0.0),
        "dynamodb": seconds.get("dynamodb", 0.0),
    }
    stage_ms["other"] = wall_s - sum(stage_ms.values())
    stage_ms = {k: round(v * 1000 / n, 2) for k, v in stage_ms.items()}
    cpu = dict(timer.cpu_seconds)
    cpu_stage_ms = {
        "s3": cpu.get("s3", 0.0),
        "decode": cpu.get("decode", 0.0),
        "detect": cpu.get("detect", 0.0),
        "face_features": cpu.get("observe", 0.0) - cpu.get("detect", 0.0),
        "align": cpu.get("align", 0.0),
        "embed": cpu.get("embed", 0.0),
        "dynamodb": cpu.get("dynamodb", 0.0),
    }
    cpu_stage_ms["other"] = cpu_s - sum(cpu_stage_ms.values())
    cpu_stage_ms = {k: round(v * 1000 / n, 2) for k, v in cpu_stage_ms.items()}
    compute_ms = sum(stage_ms[k] for k in ("decode", "detect", "face_features", "align", "embed"))
    calls = {k: round(v / n, 3) for k, v in sorted(timer.calls.items()) if ":" in k}
    ddb_calls = sum(v for k, v in timer.calls.items() if k.startswith("ddb:"))
    endpoint_calls = sum(v for k, v in timer.calls.items() if k.startswith(("ddb:", "s3:")))
    return {
        "name": name,
        "frame_size": f"{size[0]}x{size[1]}",
        "object_size": f"{size[0]}x{size[1] * per_object}",
        "detect_side": detect_side,
        "reid_every_n": reid_every_n,
        "frames": n,
        "objects": objects,
        "frames_per_object": per_object,
        "sqs_batch": batch,
        "frame_kb_mean": round(sum(len(d) for _, d, _ in frames) / n / 1024, 1),
        "cpu_ms_per_object": round(cpu_s * 1000 / objects, 2),
        "endpoint_calls_per_object": round(endpoint_calls / objects, 3),
        "fps": round(n / wall_s, 2),
        "cpu_fps": round(n / cpu_s, 2),
        "compute_ms_per_frame": round(compute_ms, 2),
        "compute_fps": round(1000 / compute_ms, 2),
        "machine_cpu_busy": machine_busy,
        "ms_per_frame": common.summary(per_frame),
        "cpu_ms_per_frame": round(cpu_s * 1000 / n, 2),
        "ms_by_scene": {k: round(sum(v) / len(v), 1) for k, v in sorted(by_kind.items())},
        "stage_ms": stage_ms,
        "cpu_stage_ms": cpu_stage_ms,
        "sface_passes_per_frame": round(timer.calls["sface_pass"] / n, 3),
        "full_detections_per_frame": round(timer.calls["detect_full"] / n, 3),
        "fast_detections_per_frame": round(timer.calls["detect_fast"] / n, 3),
        "calls_per_frame": calls,
        "dynamodb_calls_per_frame": round(ddb_calls / n, 3),
        "cpu_ms_per_request": {
            k: round(timer.cpu_by_call[k] * 1000 / timer.calls[k], 2) for k in sorted(timer.calls) if ":" in k
        },
        "item_operations_per_frame": {k: round(v / n, 3) for k, v in sorted(timer.items.items())},
        "endpoint_calls_per_frame": round(endpoint_calls / n, 3),
        "outcomes": dict(outcomes),
        "flags": dict(sorted(flags.items())),
        "s3_put_per_frame_ms": round(put_s * 1000 / n, 2),
    }


def run(
    frames: int = 150, seed: int = 5, only: tuple[str, ...] = (), batch: int = 10, profile: str | None = None
) -> dict[str, Any]:
    cv2.setNumThreads(1)
    from chalicelib.core.principal import Principal
    from chalicelib.identity.face_engine import OpenCvFaceEngine

    with common.local_stack("analyzer", services=False):
        users = common.new_agency()
        admin = Principal(common.account(users, users["admin"]), "admin", users["agency_id"])
        setup = {
            "agency_id": users["agency_id"],
            "admin": admin,
            "exams": {
                every: create_exam(admin, None if every == 3 else {"reid_every_n": every})
                for every in sorted({r[3] for r in RUNS + EXTRA_RUNS if not only or r[0] in only} | {3})
            },
            "reference": common.reference(OpenCvFaceEngine()),
        }
        results = []
        for name, size, side, every, per_object in RUNS + EXTRA_RUNS:
            if (only and name not in only) or (not only and (name, size, side, every, per_object) in EXTRA_RUNS):
                continue
            result = run_one(name, size, side, every, frames, setup, seed, batch, profile, per_object)
            results.append(result)
            print(
                f"  analyzer {name:<11} {result['fps']:6.2f} frames/s  {result['ms_per_frame']['mean']:7.1f} ms"
                f"/frame  (cpu {result['cpu_ms_per_frame']} ms)",
                file=sys.stderr,
                flush=True,
            )
    by_name = {r["name"]: r for r in results}
    best = by_name.get("optimised", results[-1])
    naive = by_name.get("naive")
    return {
        "analyzer_fps_per_core": best["fps"],
        "analyzer_cpu_fps_per_core": best["cpu_fps"],
        "analyzer_speedup_vs_naive": (
            round(naive["ms_per_frame"]["mean"] / best["ms_per_frame"]["mean"], 2) if naive else None
        ),
        "target_fps_per_core": 40,
        "runs": results,
        "method": f"single thread (cv2.setNumThreads(1), one ONNX Runtime thread), FrameAnalyzer.process on S3 "
        f"event records read from the media queue in batches of {batch} objects (outcome rows written per batch, as "
        "the handler does), against the local endpoint (ministack) on 127.0.0.1; `optimised` uploads two frames per "
        "object (640x960 JPEGs) as the browser does, `optimised@1f` one; fps = frames / wall seconds of the loop",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.analyzer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=150, help="frames per run (default 150)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--run", action="append", default=[], choices=[r[0] for r in RUNS + EXTRA_RUNS], help="only this run"
    )
    parser.add_argument("--batch", type=int, default=10, help="objects per SQS batch (the Lambda's; default 10)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the timed loop of each run into FILE.<run>")
    args = parser.parse_args(argv)
    result = run(frames=args.frames, only=tuple(args.run), batch=args.batch, profile=args.profile)
    print(json.dumps(result, indent=2) if args.json else json.dumps(result["runs"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
