"""Load: N simulated candidates against the whole local platform, for a bounded time, on 127.0.0.1 only.

    python -m benchmarks.load [--n 50,150 | --search-start 50 --search-step 50 --search-max 1000] [--duration 60]
                              [--drain-timeout 60] [--workers 2] [--json]

Without --n it searches `sustained_candidates` (issue #13): N = 50, 100, 150 ... each with a fresh stack and a 60 s
window, stopping at the first N that misses the target (p95 upload -> visible <= 1.5 s, no frame lost or left
queued, no errors, every offered frame uploaded: `sustained()`); the answer is the largest N that held it.

For each N a fresh local stack starts (the local endpoint, chalice local API, the queue dispatcher with
PROCTOR_DISPATCH_WORKERS media workers). One exam (persistence of multiple_faces = 1, so one two-person frame opens
a violation) gets N admitted candidates (roster over the API), each consents and starts over the API; their
sessions get an enrollment reference so re-identification runs as in production. Tokens are minted with the API's
own secret instead of N scrypt logins (login is not part of the steady load).

Each candidate is one thread with its own timers, as a browser tab has: a webcam frame captured every 5 s (the first
at a random moment of one object's 10 s, so the candidates' uploads spread over the whole period as pages opened at
unrelated moments do) and, every second capture, one object of the two frames uploaded (the multipart POST of a
640x960 JPEG, two 640x480 frames stacked, named `<name>.f2.jpg`, to S3 through the minute's upload form, asked for
once a minute with POST
/sessions/{id}/media and reused, as the browser does: web/src/candidate/monitoring.ts), a heartbeat every 20 s (an
unwatched page) and an answer save every 30 s; every 6th frame shows two people (each candidate with its own phase,
so the two-person frame is the top half of its object for some candidates and the bottom half for others). After the
load stops, the queue drains; every uploaded key is looked up in the media-objects ledger. If the drain times out,
the dispatcher is stopped and the keys still in the media queue are read back (pending: late, not lost). An uploaded
object that is in neither is lost, with its frames (`lost_frames` counts frames, `lost_objects` objects). A frame
captured and still waiting for its partner when the window ends is not offered yet (the page would send it with the
next one, or alone at the end of the test).

Latency "upload -> visible": from the moment the S3 POST of an object returned (object stored) to the commit of the
violation its two-person frame opened (the violation's recorded_at, written in the same transaction the proctor
timeline reads). The earlier frame of a pair waited `frame_every_s` in the page before that upload: that wait is the
pairing's price, outside this figure (docs/ARCHITECTURE.md).
Two proctor threads also poll GET /proctor/sessions/{id}/timeline every 1 s for a sample of sessions and report
when the violation appeared through the API (includes the poll interval). "upload -> analysis start" uses the
ledger's analyzed_at (stamped when the analyzer picks the object up) for every frame.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlparse

import requests

from benchmarks import common

API_TIMEOUT_S = 30
P95_TARGET_S = 1.5  # issue #13: p95 upload -> visible at the sustained N
MIN_UPLOADED_SHARE = 0.95  # of the frames the candidates offered in the window
# A proctor watching: one timeline poll a second per probe (at 0.25 s, three probers waiting on a lagging queue made
# the timeline route ~36 % of the API's busy samples at N = 60 (py-spy): the instrument loaded what it measured).
PROBE_POLL_S = 1.0
PROBERS = 2
PROBE_TIMEOUT_S = 60


@dataclass
class Config:
    ns: tuple[int, ...] = ()  # empty: search sustained_candidates (search_start, + search_step, ...)
    duration_s: float = 60.0
    workers: int = 2
    frame_every_s: float = 5.0
    frames_per_object: int = 2  # webcam frames per uploaded object (chalicelib/media/uploads.py)
    heartbeat_every_s: float = 20.0  # an unwatched page (chalicelib/exam/presence.py BEAT_IDLE_S)
    answer_every_s: float = 30.0
    two_face_every: int = 6  # every Nth frame of a candidate shows two people
    drain_timeout_s: float = 60.0
    probe_sessions: int = 4
    batch: int | None = None  # PROCTOR_DISPATCH_BATCH (None: the dispatcher's default, local/dispatcher.MEDIA_BATCH)
    search_start: int = 50
    search_step: int = 50
    search_max: int = 1000


@dataclass
class Recorder:
    """Everything the candidate threads measure; appends are atomic under the GIL."""

    api: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)  # key, session, kind, uploaded (epoch s)
    lag: list[float] = field(default_factory=list)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {detail[:200]}")


def only_local(url: str) -> str:
    """The load generator talks to this machine only."""
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"refusing to send load to {url}: only 127.0.0.1 is allowed")
    return url


def call(rec: Recorder, kind: str, method: str, url: str, token: str, **kwargs: Any) -> requests.Response | None:
    """One API call on a fresh connection (chalice local answers kept-alive connections slowly)."""
    start = time.perf_counter()
    try:
        response = requests.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, timeout=API_TIMEOUT_S, **kwargs
        )
    except requests.RequestException as exc:
        rec.api[kind].append(time.perf_counter() - start)
        rec.error(kind, repr(exc))
        return None
    rec.api[kind].append(time.perf_counter() - start)
    if response.status_code >= 400:
        rec.error(kind, f"{response.status_code} {response.text}")
        return None
    return response


FORM_REFRESH_MARGIN_S = 10  # as the browser: a form is replaced when less than this is left of it


# ------------------------------------------------------------------------------------------------ the upload form
# How a candidate's browser gets the form for one upload (web/src/shared/outbox/forms.ts): the session's form for the
# kind and minute, asked for once and reused until FORM_REFRESH_MARGIN_S before it expires, and a name of its own
# under the form's prefix. Returns {"url", "fields", "key"} for exactly one upload (fields["key"] is the object key to
# POST), or None after recording the error; `state` is the candidate's own dict (kind -> (form, expires at)).


def request_form(
    rec: Recorder, api_url: str, token: str, session_id: str, kind: str, state: dict[str, Any], frames: int = 1
) -> dict[str, Any] | None:
    held = state.get(kind)
    if held is None or held[1] - time.monotonic() <= FORM_REFRESH_MARGIN_S:
        asked = time.monotonic()
        post = call(rec, "presign", "POST", f"{api_url}/sessions/{session_id}/media", token, json={"kind": kind})
        if post is None:
            return None
        presigned = post.json()
        held = state[kind] = (presigned, asked + presigned["expires_in_s"])
    presigned = held[0]
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}Z"
    extension = "wav" if kind == "audio" else f"f{frames}.jpg" if frames > 1 else "jpg"
    key = f"{presigned['key_prefix']}{stamp}-{uuid.uuid4().hex[:12]}.{extension}"
    return {"url": presigned["url"], "fields": {**presigned["fields"], "key": key}, "key": key}


# ------------------------------------------------------------------------------------------------ the candidates


class Candidate:
    def __init__(
        self,
        index: int,
        api_url: str,
        token: str,
        session: dict[str, Any],
        frames: dict[tuple[str, ...], list[bytes]],
        cfg: Config,
        rec: Recorder,
        probes: queue.Queue | None,
    ) -> None:
        self.index, self.api_url, self.token, self.cfg, self.rec, self.probes = index, api_url, token, cfg, rec, probes
        self.session_id = session["session_id"]
        # item id -> the session's opaque option ids (what the candidate's page sends)
        self.items = {item["item_id"]: [o["option_id"] for o in item["options"]] for item in session["items"]}
        self.frames = frames
        self.client_id = f"bench-{uuid.uuid4().hex[:16]}"
        self.sent = 0  # frames captured
        self.held: list[str] = []  # scenes of the frames captured and waiting for the rest of their object
        self.rng = random.Random(index)
        # Where this page's object boundary falls: its first capture at a random moment of one object's period
        # (frames_per_object captures), as pages opened at unrelated moments do. Drawn within one capture period
        # only, every candidate's object would go up in the same half of each 10 s: the offered rate doubled
        # for 5 s and idle for 5 (the load generator's own artifact, not a browser's).
        self.frame_phase_s = self.rng.uniform(0, cfg.frame_every_s * cfg.frames_per_object)
        self.forms: dict[str, Any] = {}  # request_form's per-candidate state (a browser tab's)
        # Uploads reuse one kept-alive connection to S3, as a browser does (API calls stay on fresh connections).
        self.s3 = requests.Session()

    def frame(self) -> None:
        """Capture one frame; every frames_per_object-th capture uploads the object of the frames held."""
        # Each candidate has its own phase, so two-person frames (the latency probes) spread evenly over the run.
        two = (self.sent + self.index) % self.cfg.two_face_every == 0
        self.held.append("two_faces" if two else "enrolled")
        self.sent += 1
        if len(self.held) >= self.cfg.frames_per_object:
            scenes, self.held = tuple(self.held), []
            self.upload(scenes)

    def upload(self, scenes: tuple[str, ...]) -> None:
        """One webcam object of these frames' scenes (one frame, or two stacked) through the minute's form."""
        pool = self.frames[scenes]
        data = pool[(self.index + self.sent) % len(pool)]
        two = "two_faces" in scenes
        kind = "two_faces" if two else "enrolled"
        form = request_form(self.rec, self.api_url, self.token, self.session_id, "webcam", self.forms, len(scenes))
        if form is None:
            return
        start = time.perf_counter()
        try:
            response = self.s3.post(
                only_local(form["url"]),
                data=form["fields"],
                files={"file": ("frame.jpg", data, "image/jpeg")},
                timeout=API_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            self.rec.error("s3_upload", repr(exc))
            return
        finally:
            self.rec.api["s3_upload"].append(time.perf_counter() - start)
        if response.status_code == 403:
            self.forms.pop("webcam", None)  # the policy expired (or clocks disagree): the next frame asks anew
        if response.status_code not in (200, 201, 204):
            self.rec.error("s3_upload", f"{response.status_code} {response.text}")
            return
        uploaded = time.time()
        self.rec.uploads.append(
            {"key": form["key"], "session": self.session_id, "kind": kind, "uploaded": uploaded, "frames": len(scenes)}
        )
        if two and self.probes is not None:
            self.probes.put((self.session_id, form["key"], uploaded))

    def heartbeat(self) -> None:
        call(
            self.rec,
            "heartbeat",
            "POST",
            f"{self.api_url}/sessions/{self.session_id}/heartbeat",
            self.token,
            json={"client_id": self.client_id},
        )

    def answer(self) -> None:
        item = self.rng.choice(sorted(self.items))
        call(
            self.rec,
            "answer",
            "PUT",
            f"{self.api_url}/sessions/{self.session_id}/answers/{item}",
            self.token,
            json={"option_id": self.rng.choice(self.items[item])},
        )

    def run(self, start_at: float, stop_at: float) -> None:
        """Fixed-rate timers with a random phase; an action that comes due while another runs goes right after.

        Actions still due when the load window ends are dropped, so an overloaded stack does not stretch the window.
        """
        actions = [
            (self.frame, self.cfg.frame_every_s),
            (self.heartbeat, self.cfg.heartbeat_every_s),
            (self.answer, self.cfg.answer_every_s),
        ]
        due = [start_at + self.frame_phase_s] + [start_at + self.rng.uniform(0, every) for _, every in actions[1:]]
        while True:
            i = min(range(len(actions)), key=due.__getitem__)
            if due[i] >= stop_at or time.monotonic() >= stop_at:  # a browser closed at the end does nothing late
                return
            wait = due[i] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:
                self.rec.lag.append(-wait)
            actions[i][0]()
            due[i] += actions[i][1]


def prober(
    api_url: str, token: str, probes: queue.Queue, results: list[float], misses: list[str], stop: threading.Event
) -> None:
    """A proctor watching: polls the timeline until the violation a two-person frame opened shows up."""
    while not stop.is_set():
        try:
            session_id, key, uploaded = probes.get(timeout=0.5)
        except queue.Empty:
            continue
        deadline = time.time() + PROBE_TIMEOUT_S
        while time.time() < deadline and not stop.is_set():
            try:
                response = requests.get(
                    f"{api_url}/proctor/sessions/{session_id}/timeline",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=API_TIMEOUT_S,
                )
                if response.ok and any(v.get("evidence_key") == key for v in response.json()["violations"]):
                    results.append(time.time() - uploaded)
                    break
            except requests.RequestException:
                pass
            time.sleep(PROBE_POLL_S)
        else:
            if not stop.is_set():
                misses.append(key)


def own_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (not its children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def child_pids(pid: int) -> list[int]:
    children = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children += [int(child) for child in (task / "children").read_text().split()]
    except (OSError, ValueError):
        pass
    return children


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children that are still alive."""
    return own_cpu_seconds(pid) + sum(cpu_seconds(child) for child in child_pids(pid))


def process_cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds by role: each service's own process, and the dispatcher's media worker processes apart from it
    (they are the analyzer; the dispatcher itself only polls the lifecycle and identity queues)."""
    out = {}
    for name, pid in pids.items():
        if name == "dispatcher":
            out["dispatcher"] = own_cpu_seconds(pid)
            out["media workers"] = sum(cpu_seconds(child) for child in child_pids(pid))
        else:
            out[name] = cpu_seconds(pid)
    return out


def monitor(sqs: Any, queue_url: str, samples: list[tuple[float, int]], stop: threading.Event) -> None:
    while not stop.wait(2):
        try:
            attrs = sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            samples.append(
                (
                    time.time(),
                    int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]),
                )
            )
        except Exception:  # noqa: BLE001 - a busy endpoint skips a sample
            continue


def stop_dispatcher(stack: Any) -> None:
    """Stop the dispatcher (SIGTERM; its workers settle the batch in hand), leaving the other services running."""
    stack.stop_service("dispatcher")


def queued_keys(sqs: Any, queue_url: str, settle_s: float = 60.0) -> set[str]:
    """Object keys of every S3 notification still in a queue (after its consumers stopped)."""
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline:  # wait for in-flight messages to come back, if any were stranded
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])[
            "Attributes"
        ]
        if attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
            break
        time.sleep(2)
    keys, empty = set(), 0
    while empty < 2:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600, WaitTimeSeconds=0
        ).get("Messages", [])
        empty = empty + 1 if not messages else 0
        for message in messages:
            for record in json.loads(message["Body"]).get("Records", []):
                keys.add(unquote_plus(record["s3"]["object"]["key"]))
    return keys


def frame_pool(frames_per_object: int = 2) -> dict[tuple[str, ...], list[bytes]]:
    """Ready JPEGs by the scenes of their frames: ("enrolled",) and ("two_faces",) single frames, and every pair of
    scenes stacked into one 640x960 object (encoded once here: the load generator stands in for the browsers)."""
    import itertools

    import numpy as np

    from chalicelib.identity.face_detector import decode_image

    singles: dict[str, list[bytes]] = defaultdict(list)
    for kind, data in common.frame_sequence(60, (640, 480), seed=11, share_two=0.3, share_empty=0.0):
        singles[kind].append(data)
    pool: dict[tuple[str, ...], list[bytes]] = {(kind,): frames for kind, frames in singles.items()}
    if frames_per_object > 1:
        for scenes in itertools.product(sorted(singles), repeat=frames_per_object):
            parts = list(enumerate(scenes))
            pool[scenes] = [
                common.encode_jpeg(np.vstack([decode_image(singles[k][(i + j) % len(singles[k])]) for j, k in parts]))
                for i in range(6)
            ]
    return pool


def setup(stack: Any, n: int, cfg: Config) -> dict[str, Any]:
    """Agency, exam, roster, consent and start over the API; enrollment references set directly."""
    from chalicelib import wiring
    from chalicelib.core.principal import Principal
    from chalicelib.identity.face_engine import OpenCvFaceEngine
    from local.seed import demo_bank

    api = only_local(stack.api_url)
    users = common.new_agency()

    def login(user_id: str) -> str:
        response = requests.post(
            f"{api}/auth/login",
            json={"agency": users["agency_id"], "user_id": user_id, "password": common.BENCH_PASSWORD},
            timeout=API_TIMEOUT_S,
        )
        response.raise_for_status()
        return response.json()["token"]

    admin, proctor = login(users["admin"]), login(users["proctor"])
    auth = {"Authorization": f"Bearer {admin}"}
    body = common.exam_body(int(cfg.duration_s + cfg.drain_timeout_s + 1800), {"persistence": {"multiple_faces": 1}})
    exam = requests.post(f"{api}/admin/exams", json=body, headers=auth, timeout=API_TIMEOUT_S)
    exam.raise_for_status()
    exam_id = exam.json()["exam_id"]
    requests.post(
        f"{api}/admin/exams/{exam_id}/questions", json=demo_bank(8), headers=auth, timeout=API_TIMEOUT_S
    ).raise_for_status()
    ids = [f"c{i:04d}-{uuid.uuid4().hex[:6]}" for i in range(n + 1)]  # the last one warms the workers up

    def admit(chunk: list[str]) -> None:
        requests.post(
            f"{api}/admin/exams/{exam_id}/roster",
            headers=auth,
            timeout=120,
            json={
                "candidates": [
                    {"user_id": cid, "full_name": "Load Candidate", "password": common.BENCH_PASSWORD} for cid in chunk
                ]
            },
        ).raise_for_status()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(admit, [ids[i : i + 100] for i in range(0, len(ids), 100)]))
    now = wiring.clock().now()
    tokens = {
        cid: wiring.tokens().issue(Principal(common.account(users, cid), "candidate", users["agency_id"]), now)[0]
        for cid in ids
    }
    ref = common.reference(OpenCvFaceEngine())

    def begin(cid: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {tokens[cid]}"}
        requests.post(
            f"{api}/exams/{exam_id}/consent",
            headers=headers,
            timeout=API_TIMEOUT_S,
            json={"accepted": True, "language": "ru"},
        ).raise_for_status()
        started = requests.post(
            f"{api}/exams/{exam_id}/sessions", headers=headers, timeout=API_TIMEOUT_S, json={"language": "ru"}
        )
        started.raise_for_status()
        session = started.json()
        common.enroll(session["session_id"], ref)
        return session

    with ThreadPoolExecutor(8) as pool:
        sessions = list(pool.map(begin, ids))
    return {"exam_id": exam_id, "proctor": proctor, "ids": ids, "tokens": tokens, "sessions": sessions}


def ledger() -> dict[str, Any]:
    """Every analyzer outcome row by object key (bucket/key without the #etag); the table's form and quota rows
    (form#…, quota#…: chalicelib/media/models.py) are not outcomes."""
    from chalicelib import wiring
    from chalicelib.violations.models import MediaObjectRecord

    rows = {}
    bucket = wiring.settings().media_bucket + "/"
    for row in MediaObjectRecord.scan(MediaObjectRecord.object_id.startswith(bucket)):
        path = row.object_id.rsplit("#", 1)[0]
        rows[path.split("/", 1)[1]] = row
    return rows


def warm_up(
    api: str, ctx: dict[str, Any], frames: dict[tuple[str, ...], list[bytes]], workers: int, per_object: int = 2
) -> None:
    """Load the models in every worker (cold start) before the clock starts."""
    rec = Recorder()
    cid = ctx["ids"][-1]
    cfg = Config(frames_per_object=per_object)
    candidate = Candidate(10_000, api, ctx["tokens"][cid], ctx["sessions"][-1], frames, cfg, rec, None)
    for _ in range(4 * workers * candidate.cfg.frames_per_object):
        candidate.frame()
    wanted = {u["key"] for u in rec.uploads}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and wanted - ledger().keys():
        time.sleep(1)


def run_n(n: int, cfg: Config, frames: dict[tuple[str, ...], list[bytes]]) -> dict[str, Any]:
    from chalicelib import wiring
    from chalicelib.violations.models import ViolationRecord

    env = {"PROCTOR_DISPATCH_WORKERS": str(cfg.workers)}
    if cfg.batch:
        env["PROCTOR_DISPATCH_BATCH"] = str(cfg.batch)
    with common.local_stack(f"load-{n}", services=True, env=env) as stack:
        api = only_local(stack.api_url)
        only_local(stack.endpoint_url)
        setup_start = time.monotonic()
        ctx = setup(stack, n, cfg)
        warm_up(api, ctx, frames, cfg.workers, cfg.frames_per_object)
        setup_s = time.monotonic() - setup_start
        settings = wiring.settings()
        sqs = wiring.sqs()
        rec, probes, probe_results, probe_misses = Recorder(), queue.Queue(), [], []
        stop_probes, stop_monitor = threading.Event(), threading.Event()
        depth: list[tuple[float, int]] = []
        probe_every = max(1, n // max(1, cfg.probe_sessions))
        candidates = [
            Candidate(
                i,
                api,
                ctx["tokens"][cid],
                ctx["sessions"][i],
                frames,
                cfg,
                rec,
                probes if i % probe_every == 0 else None,
            )
            for i, cid in enumerate(ctx["ids"][:n])
        ]
        pids = stack.pids()
        cpu_before = process_cpu(pids)
        machine_before = common.cpu_busy()
        self_before = time.process_time()
        helpers = [
            threading.Thread(
                target=prober, args=(api, ctx["proctor"], probes, probe_results, probe_misses, stop_probes), daemon=True
            )
            for _ in range(PROBERS)
        ]
        helpers.append(
            threading.Thread(target=monitor, args=(sqs, settings.media_queue_url, depth, stop_monitor), daemon=True)
        )
        for helper in helpers:
            helper.start()
        start_at = time.monotonic() + 0.5
        stop_at = start_at + cfg.duration_s
        threads = [threading.Thread(target=c.run, args=(start_at, stop_at), daemon=True) for c in candidates]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        load_end, load_end_epoch = time.monotonic(), time.time()
        cpu_load = {name: round(value - cpu_before[name], 1) for name, value in process_cpu(pids).items()}
        cpu_load["load generator"] = round(time.process_time() - self_before, 1)
        machine_busy = common.busy_share(machine_before, common.cpu_busy())
        window_s = load_end - start_at
        # What else used the machine meanwhile (other work on a shared machine): all cores' busy time minus ours.
        others = max(0.0, machine_busy * (os.cpu_count() or 1) * window_s - sum(cpu_load.values()))
        # Drain: wait until the media queue is empty twice in a row, then look every upload up in the ledger.
        empty_checks = 0
        while time.monotonic() - load_end < cfg.drain_timeout_s and empty_checks < 2:
            time.sleep(2)
            attrs = sqs.get_queue_attributes(
                QueueUrl=settings.media_queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            empty_checks = (
                empty_checks + 1
                if attrs == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
                else 0
            )
        drain_s = time.monotonic() - load_end
        stop_probes.set()
        for helper in helpers[:-1]:
            helper.join(timeout=API_TIMEOUT_S)
        stop_monitor.set()
        dlq_url = sqs.get_queue_url(QueueName=settings.media_queue_url.rsplit("/", 1)[-1] + "-dlq")["QueueUrl"]
        rows = ledger()
        missing = {u["key"] for u in rec.uploads} - rows.keys()
        queued, dead = set(), set()
        if missing:  # not drained in time: stop the analyzer and account for every missing frame in the queues
            stop_dispatcher(stack)
            queued, dead = queued_keys(sqs, settings.media_queue_url), queued_keys(sqs, dlq_url, settle_s=0)
            rows = ledger()
        dlq = int(
            sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
        ) + len(dead)
        uploads = list(rec.uploads)
        held = sum(len(c.held) for c in candidates)  # captured, waiting for a partner: not offered yet
        lost = [u["key"] for u in uploads if u["key"] not in rows and u["key"] not in queued]
        lost_frames = sum(u["frames"] for u in uploads if u["key"] in set(lost))
        frames_uploaded = sum(u["frames"] for u in uploads)
        pending = sum(1 for u in uploads if u["key"] not in rows and u["key"] in queued)
        rejected = Counter(
            rows[u["key"]].reason for u in uploads if u["key"] in rows and rows[u["key"]].outcome != "analyzed"
        )
        to_start = [rows[u["key"]].analyzed_at.timestamp() - u["uploaded"] for u in uploads if u["key"] in rows]
        visible, unseen = [], 0
        by_session: dict[str, dict[str, Any]] = {}
        for upload in uploads:
            if upload["kind"] != "two_faces":
                continue
            if upload["session"] not in by_session:
                by_session[upload["session"]] = {
                    v.evidence_key: v for v in ViolationRecord.query(upload["session"]) if v.type == "multiple_faces"
                }
            violation = by_session[upload["session"]].get(upload["key"])
            if violation is None:
                unseen += 1
            else:
                visible.append(violation.recorded_at.timestamp() - upload["uploaded"])
        analyzed_in_window = sum(
            1 for u in uploads if u["key"] in rows and rows[u["key"]].analyzed_at.timestamp() <= load_end_epoch
        )
        sizes = item_sizes(ctx["sessions"][0]["session_id"])
        api_all = [v for kind, values in rec.api.items() if kind != "s3_upload" for v in values]
        vis = common.summary(visible)
        api_sum = common.summary(api_all)
        row = {
            "n": n,
            "duration_s": cfg.duration_s,
            "load_window_s": round(load_end - start_at, 1),
            "media_workers": cfg.workers,
            "media_batch": cfg.batch or media_batch_default(),
            "p50_upload_to_visible_s": vis["p50"],
            "p95_upload_to_visible_s": vis["p95"],
            "p99_upload_to_visible_s": vis["p99"],
            "max_upload_to_visible_s": vis["max"],
            "p50_api_s": api_sum["p50"],
            "p95_api_s": api_sum["p95"],
            "p99_api_s": api_sum["p99"],
            "errors": sum(rec.errors.values()),
            "errors_by_kind": dict(rec.errors),
            "error_samples": rec.error_samples,
            "lost_frames": lost_frames,
            "lost_objects": len(lost),
            "lost_sample": lost[:5],
            "frames_uploaded": frames_uploaded,
            "objects_uploaded": len(uploads),
            "frames_per_object": cfg.frames_per_object,
            "frames_held_at_end": held,
            "upload_rate_per_s": round(len(uploads) / cfg.duration_s, 1),
            "analyzed_during_load_per_s": round(analyzed_in_window / cfg.duration_s, 1),
            "rejected": dict(rejected),
            "dlq_messages": dlq,
            "pending_at_end": pending,  # still queued when the drain timed out: late, not lost
            "latency_is_lower_bound": pending > 0,
            "two_face_frames": sum(1 for u in uploads if u["kind"] == "two_faces"),  # objects holding one
            "violations_visible": len(visible),
            "two_face_frames_without_violation": unseen,
            "upload_to_visible_s": vis,
            "upload_to_analysis_start_s": common.summary(to_start),
            "proctor_api_visible_s": common.summary(probe_results),
            "proctor_probe_misses": len(probe_misses),
            "api_s_by_kind": {kind: common.summary(values) for kind, values in sorted(rec.api.items())},
            "api_calls": sum(len(v) for k, v in rec.api.items() if k != "s3_upload"),
            "client_lag_s": common.summary(rec.lag),
            "max_queue_depth": max((d for _, d in depth), default=0),
            "queue_depth_every_2s": [d for _, d in depth],  # the media queue through the window (where a backlog grew)
            "drain_s": round(drain_s, 1),
            "drained": not missing,
            "setup_s": round(setup_s, 1),
            "cpu_s_during_load": cpu_load,
            "cpu_cores_during_load": {k: round(v / window_s, 2) for k, v in cpu_load.items()},
            "cpu_ms_per_frame": {k: round(v * 1000 / max(1, frames_uploaded), 1) for k, v in cpu_load.items()},
            "cpu_ms_per_object": {k: round(v * 1000 / max(1, len(uploads)), 1) for k, v in cpu_load.items()},
            "other_work_cores": round(others / window_s, 2),
            "offered_frames": offered_frames([c.frame_phase_s for c in candidates], cfg) - held,
            "machine_cpu_busy": machine_busy,
            "loadavg_end": os.getloadavg()[0],
            "item_bytes": sizes,
            "api_cpu_ms_per_call": round(
                cpu_load.get("api", 0.0) * 1000 / max(1, sum(len(v) for k, v in rec.api.items() if k != "s3_upload")), 1
            ),
            "saturated": bool(missing) or drain_s > 10,
        }
        row["sustained"], row["why_not_sustained"] = sustained(row)
        return row


def item_sizes(session_id: str) -> dict[str, int]:
    """Billed sizes of the DynamoDB items one session ends up with (for the cost model)."""
    from benchmarks.cost import dynamodb_item_size
    from chalicelib import wiring
    from chalicelib.violations.models import MediaObjectRecord, SignalStatesRecord, ViolationRecord

    client = MediaObjectRecord._get_connection().connection.client
    settings = wiring.settings()

    def size(suffix: str, key: dict[str, Any]) -> int:
        item = client.get_item(TableName=settings.table_name(suffix), Key=key).get("Item")
        return dynamodb_item_size(item) if item else 0

    sizes = {
        "session_item": size("sessions", {"session_id": {"S": session_id}}),
        "signal_states_item": size(SignalStatesRecord.TABLE_SUFFIX, {"session_id": {"S": session_id}}),
    }
    for violation in ViolationRecord.query(session_id, limit=1):
        sizes["violation_item"] = size(
            ViolationRecord.TABLE_SUFFIX,
            {"session_id": {"S": session_id}, "violation_id": {"S": violation.violation_id}},
        )
    prefix = f"sessions/{session_id}/"
    for row in MediaObjectRecord.scan(limit=200):
        if prefix in row.object_id:
            sizes["ledger_item"] = size(MediaObjectRecord.TABLE_SUFFIX, {"object_id": {"S": row.object_id}})
            break
    return sizes


def dispatcher_capacity(workers: int, frames: int = 300, sessions: int = 10) -> dict[str, Any]:
    """Analyzed frames/s of the local dispatcher with `workers` media workers: a burst of frames put straight into
    S3 (no API load), timed from the first PUT until every frame is in the ledger."""
    from benchmarks.analyzer import create_exam, start_session
    from chalicelib import wiring
    from chalicelib.core.principal import Principal
    from chalicelib.identity.face_engine import OpenCvFaceEngine

    with common.local_stack(
        f"capacity-{workers}", services=True, env={"PROCTOR_DISPATCH_WORKERS": str(workers)}
    ) as stack:
        users = common.new_agency()
        admin = Principal(common.account(users, users["admin"]), "admin", users["agency_id"])
        exam_id = create_exam(admin, None)
        ref = common.reference(OpenCvFaceEngine())
        ids = [start_session(exam_id, users["agency_id"], admin) for _ in range(sessions + 1)]
        for session_id in ids:
            common.enroll(session_id, ref)
        pool = [data for _, data in common.frame_sequence(40, (640, 480), seed=7)]
        s3, bucket = wiring.s3(), wiring.settings().media_bucket

        def put(session_id: str, data: bytes) -> str:
            key = common.issued_webcam_key(session_id)
            s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="image/jpeg")
            return key

        def wait(keys: set[str], timeout: float) -> float:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if not keys - ledger().keys():
                    return time.monotonic()
                time.sleep(0.5)
            raise RuntimeError(f"{len(keys - ledger().keys())} frames not analyzed within {timeout} s")

        wait({put(ids[-1], pool[i % len(pool)]) for i in range(4 * workers)}, 120)  # cold start of every worker
        pids = stack.pids()
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        machine_before = common.cpu_busy()
        start = time.monotonic()
        with ThreadPoolExecutor(4) as executor:
            keys = set(executor.map(lambda i: put(ids[i % sessions], pool[i % len(pool)]), range(frames)))
        put_s = time.monotonic() - start
        done = wait(keys, 600)
        machine_busy = common.busy_share(machine_before, common.cpu_busy())
        cpu = {name: round((cpu_seconds(pid) - cpu_before[name]) * 1000 / frames, 1) for name, pid in pids.items()}
        elapsed = done - start
        return {
            "workers": workers,
            "frames": frames,
            "seconds": round(elapsed, 1),
            "frames_per_s": round(frames / elapsed, 2),
            "put_s": round(put_s, 1),
            "cpu_ms_per_frame": cpu,
            "machine_cpu_busy": machine_busy,
            "loadavg_end": os.getloadavg()[0],
        }


def media_batch_default() -> int:
    from local.dispatcher import MEDIA_BATCH

    return MEDIA_BATCH


def offered_frames(phases: list[float], cfg: Config) -> int:
    """Frames the candidates offer in the window: each one's first at its phase (Candidate.frame_phase_s), then every
    frame_every_s (closed loop: a candidate held up by a slow API sends fewer)."""
    return sum(max(0, math.ceil((cfg.duration_s - phase) / cfg.frame_every_s)) for phase in phases)


def sustained(row: dict[str, Any]) -> tuple[bool, list[str]]:
    """Whether a run held the target (SUSTAINED): p95 upload -> visible within P95_TARGET_S, nothing lost or still
    queued, no errors, every two-person frame's violation opened, and the frames the candidates offered uploaded
    (a closed-loop client held up by a slow API offers less: that is overload too)."""
    why = []
    p95 = row["p95_upload_to_visible_s"]
    if p95 is None or p95 > P95_TARGET_S:
        why.append(f"p95 upload -> visible {p95} s > {P95_TARGET_S} s")
    if row["lost_frames"]:
        why.append(f"{row['lost_frames']} lost")
    if row.get("pending_at_end"):
        why.append(f"{row['pending_at_end']} still queued after the drain")
    if row["errors"]:
        why.append(f"{row['errors']} errors {row['errors_by_kind']}")
    if row["two_face_frames_without_violation"]:
        why.append(f"{row['two_face_frames_without_violation']} two-person frames without their violation")
    if row["frames_uploaded"] < MIN_UPLOADED_SHARE * row["offered_frames"]:
        why.append(f"uploaded {row['frames_uploaded']} of {row['offered_frames']} offered frames")
    return not why, why


def search(cfg: Config, frames: dict[tuple[str, ...], list[bytes]] | None = None) -> dict[str, Any]:
    """sustained_candidates: run N = start, start + step, ... (fresh stack each) and stop at the first N that does
    not hold the target; the answer is the largest N that held it (0: not even the first)."""
    frames = frames or frame_pool(cfg.frames_per_object)
    started, rows, best = time.monotonic(), [], 0
    n = cfg.search_start
    while n <= cfg.search_max:
        row = run_n(n, cfg, frames)
        rows.append(row)
        report_row(row)
        if not row["sustained"]:
            break
        best = n
        n += cfg.search_step
    return {
        "sustained_candidates": best,
        "rows": rows,
        "search_s": round(time.monotonic() - started, 1),
        "first_failure": next(({"n": r["n"], "why": r["why_not_sustained"]} for r in rows if not r["sustained"]), None),
        "criteria": {
            "p95_upload_to_visible_s": P95_TARGET_S,
            "lost_frames": 0,
            "pending_after_drain": 0,
            "errors": 0,
            "min_uploaded_share_of_offered": MIN_UPLOADED_SHARE,
            "window_s": cfg.duration_s,
            "ns": f"{cfg.search_start}, {cfg.search_start + cfg.search_step}, ... up to {cfg.search_max}",
        },
    }


def report_row(result: dict[str, Any]) -> None:
    cores = ", ".join(f"{k} {v}" for k, v in result["cpu_cores_during_load"].items())
    print(
        f"  load N={result['n']:<4} p95 upload->visible {result['p95_upload_to_visible_s']} s, p95 API "
        f"{result['p95_api_s']} s, errors {result['errors']}, lost {result['lost_frames']}, uploaded "
        f"{result['frames_uploaded']}/{result['offered_frames']}, drain {result['drain_s']} s; cores: {cores}, "
        f"other work {result['other_work_cores']}; "
        + ("sustained" if result["sustained"] else "NOT sustained: " + "; ".join(result["why_not_sustained"])),
        file=sys.stderr,
        flush=True,
    )


def run(cfg: Config) -> list[dict[str, Any]]:
    frames = frame_pool(cfg.frames_per_object)
    results = []
    for n in cfg.ns:
        result = run_n(n, cfg, frames)
        results.append(result)
        report_row(result)
    return results


def parse_ns(text: str) -> tuple[int, ...]:
    values = tuple(int(v) for v in text.split(",") if v.strip())
    if not values or any(v < 1 or v > 2000 for v in values):
        raise argparse.ArgumentTypeError("a comma-separated list of 1..2000")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--n",
        type=parse_ns,
        default=Config.ns,
        help="concurrent candidates to run, e.g. 50,150 (default: search sustained_candidates: 50, 100, 150 ... "
        "up to the first N that misses the target)",
    )
    parser.add_argument("--search-start", type=int, default=Config.search_start, help="first N of the search (50)")
    parser.add_argument("--search-step", type=int, default=Config.search_step, help="step of the search (50)")
    parser.add_argument("--search-max", type=int, default=Config.search_max, help="largest N to try (1000)")
    parser.add_argument("--duration", type=float, default=Config.duration_s, help="seconds of load per N (60)")
    parser.add_argument(
        "--workers",
        type=int,
        default=Config.workers,
        help="PROCTOR_DISPATCH_WORKERS for the media queue (default 2: one per core)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="PROCTOR_DISPATCH_BATCH: media messages per receive (default: the dispatcher's, local/dispatcher.py)",
    )
    parser.add_argument(
        "--frames-per-object",
        type=int,
        choices=(1, 2),
        default=Config.frames_per_object,
        help="webcam frames per uploaded object (2, as the browser; 1: one object per frame, as before)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=Config.drain_timeout_s,
        help="seconds to wait for the queue to empty after the load (60)",
    )


def config_from(args: argparse.Namespace) -> Config:
    return Config(
        ns=args.n,
        duration_s=args.duration,
        workers=args.workers,
        batch=args.batch,
        drain_timeout_s=args.drain_timeout,
        frames_per_object=args.frames_per_object,
        search_start=args.search_start,
        search_step=args.search_step,
        search_max=args.search_max,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cfg = config_from(args)
    print(json.dumps(run(cfg) if cfg.ns else search(cfg), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
