"""What every benchmark shares: the machine description, the local stack, test frames, percentiles, setup helpers."""

from __future__ import annotations

import os
import platform
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
FACES_DIR = REPO_ROOT.parent / "shared" / "datasets" / "faces"
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
LOG_DIR = REPO_ROOT / ".local" / "bench-logs"

# The enrolled candidate: the README of the face set names img1 as the reference for the other two photos.
SELFIE = "alex_lacamoire__img1.jpg"
ENROLLED = ("alex_lacamoire__alex_lacamoire1.jpg", "alex_lacamoire__alex_lacamoire.jpg")
TWO_PEOPLE = ("group__two_people.jpg", "group__obama_and_biden.jpg", "group__kit_with_rose.jpg")
EMPTY = ("noface__horses.jpg", "noface__dog.jpg", "noface__eagle.jpg", "noface__giraffe.jpg")
JPEG_QUALITY = 90  # close to a browser's canvas.toBlob("image/jpeg") default (0.92)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": os_name,
        "python": platform.python_version(),
        "opencv": cv2.__version__,
        "ministack": endpoint_version(),
        "endpoint": "ministack (local AWS endpoint, own venv), chalice local API",
    }


def endpoint_version() -> str:
    """The local endpoint's pinned version (local/endpoint-requirements.txt: it runs from its own venv)."""
    pins = (Path(__file__).resolve().parent.parent / "local" / "endpoint-requirements.txt").read_text()
    found = re.search(r"^ministack==(\S+)", pins, re.MULTILINE)
    return found.group(1) if found else "?"


def machine_line(info: dict[str, Any]) -> str:
    return (
        f"{info['cores']} vCPU {info['cpu']}, {info['memory_gib']} GiB, {info['os']}, Python {info['python']}, "
        f"OpenCV {info['opencv']}, "
        + (f"ministack {info['ministack']}" if "ministack" in info else f"moto {info.get('moto', '?')}")
    )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 4) if values else None


def summary(values: list[float]) -> dict[str, Any]:
    """n, mean, p50, p95, p99 and max of a sample (None when empty)."""
    if not values:
        return {"n": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None}
    return {
        "n": len(values),
        "mean": round(float(np.mean(values)), 4),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": round(float(max(values)), 4),
    }


def cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Share of all cores that was busy between two cpu_busy() readings."""
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 3) if total else 0.0


def wait_for_quiet(max_wait_s: float, *, threshold: float = 0.25, window_s: float = 3.0) -> float:
    """Wait (at most max_wait_s) until other work on the machine uses < threshold of all cores; the last share.

    This machine may be shared: a benchmark started while something else is compiling measures that too.
    """
    deadline = time.monotonic() + max_wait_s
    while True:
        before = cpu_busy()
        time.sleep(window_s)
        share = busy_share(before, cpu_busy())
        if share < threshold or time.monotonic() >= deadline:
            return share


# ---------------------------------------------------------------------------------------------------- frames


def letterbox(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The image scaled to fit size (w, h) with black bars, like a webcam frame of that size (up or down)."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    w, h = max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    canvas[top : top + h, left : left + w] = cv2.resize(image, (w, h), interpolation=interpolation)
    return canvas


def read_image(name: str) -> np.ndarray:
    image = cv2.imread(str(FACES_DIR / name), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot read {FACES_DIR / name} (the shared face set is needed)")
    return image


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()


def jitter(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """A slightly different frame of the same scene: a few pixels of camera shake and a small exposure change."""
    dx, dy = rng.randint(-12, 12), rng.randint(-8, 8)
    shifted = cv2.warpAffine(
        image, np.float32([[1, 0, dx], [0, 1, dy]]), (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE
    )
    gain, bias = rng.uniform(0.92, 1.08), rng.uniform(-8, 8)
    return cv2.convertScaleAbs(shifted, alpha=gain, beta=bias)


def frame_sequence(
    count: int, size: tuple[int, int], *, seed: int = 5, share_two: float = 0.1, share_empty: float = 0.1
) -> list[tuple[str, bytes]]:
    """`count` webcam JPEGs of `size`: mostly the enrolled candidate alone, some empty scenes and two people.

    The same seed gives the same scenes in the same order at every size, so runs at different sizes compare.
    """
    rng = random.Random(seed)
    sources = {
        "enrolled": [read_image(n) for n in ENROLLED],
        "two_faces": [read_image(n) for n in TWO_PEOPLE],
        "no_face": [read_image(n) for n in EMPTY],
    }
    frames = []
    for _ in range(count):
        roll = rng.random()
        kind = "two_faces" if roll < share_two else "no_face" if roll < share_two + share_empty else "enrolled"
        source = rng.choice(sources[kind])
        frames.append((kind, encode_jpeg(jitter(letterbox(source, size), rng))))
    return frames


# ---------------------------------------------------------------------------------------------------- stack


@contextmanager
def local_stack(name: str, *, services: bool, env: dict[str, str] | None = None) -> Iterator[Any]:
    """A fresh local endpoint with every resource (and, with services, the API and the dispatcher)."""
    from chalicelib import wiring
    from local.stack import LocalStack

    os.environ.update(env or {})
    stack = LocalStack(log_dir=LOG_DIR / name)
    try:
        stack.start_endpoint()
        wiring.reset()
        if services:
            stack.start_services()
        yield stack
    finally:
        stack.stop()
        for key in env or {}:
            os.environ.pop(key, None)


def exam_body(duration_s: int, analysis: dict[str, Any] | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    title = {"kk": "Бенчмарк", "ru": "Бенчмарк", "en": "Benchmark"}
    return {
        "title": title,
        "duration_s": duration_s,
        "blocks": [
            {"block_id": "law", "title": title, "item_count": 5},
            {"block_id": "ethics", "title": title, "item_count": 5},
        ],
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
        "require_identity": False,
        "analysis": analysis,
    }


def new_agency() -> dict[str, str]:
    from local.seed import create_agency

    return create_agency("bench", BENCH_PASSWORD)


BENCH_PASSWORD = "bench-password-123"


def reference(engine: Any, selfie: str = SELFIE) -> dict[str, Any]:
    """The enrollment reference as EnrollmentService.verify computes it (template, region halves, pose)."""
    from chalicelib.identity.face_detector import decode_image
    from chalicelib.identity.occlusion import region_template

    data = (FACES_DIR / selfie).read_bytes()
    image = decode_image(data)
    faces = engine.observe(image, data)
    if not faces:
        raise RuntimeError(f"no face in the selfie {selfie}")
    face = faces[0]
    template = engine.template(image, face, encoded=data)
    return {
        "reference_engine": engine.name,
        "reference_vector": template.vector,
        "reference_regions": region_template(engine, image, face),
        "baseline_yaw": round(face.yaw, 2),
        "baseline_pitch": round(face.pitch, 2),
    }


def account(users: dict[str, str], login: str) -> str:
    """The account id (principal user id) of one of the bench agency's logins."""
    from chalicelib.identity.logins import account_id

    return account_id(users["agency_id"], login)


def issued_webcam_key(session_id: str) -> str:
    """A webcam key under the session's upload form of this minute, recorded the way the API records it (the
    analyzer accepts only objects under issued prefixes). Benchmarks that put frames straight into S3 stand in for
    the browser and the API; put the object right away (the form expires at the minute's end + 20 s)."""
    from chalicelib import wiring
    from chalicelib.core.presigned import MediaKind, object_name
    from chalicelib.media.uploads import issue_prefix

    now = wiring.clock().now()
    prefix = issue_prefix(session_id, "webcam", 10_000, now)  # max_objects: a benchmark's burst is not rationed
    return prefix + object_name(now, MediaKind("webcam", "image/jpeg", "jpg", 0))


def enroll(session_id: str, ref: dict[str, Any]) -> None:
    """Give a session started without an identity check the reference a passed check would have copied onto it."""
    from chalicelib.exam.models import SessionRecord

    SessionRecord(session_id).update(actions=[getattr(SessionRecord, k).set(v) for k, v in ref.items()])
