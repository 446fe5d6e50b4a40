"""Cost per proctored exam-hour and capacity for 100,000 concurrent candidates: pure functions, no I/O.

Every input is a dataclass field with its default written next to it; the benchmark replaces the measured ones
(analyzer CPU per frame, DynamoDB calls per frame, item sizes, frame size, API CPU per call) with what it measured.

Unit prices: AWS list prices, region us-east-1 (N. Virginia), on-demand, no free tier, no savings plans, as
published on aws.amazon.com/pricing and last checked 2025-06 (PRICES_CHECKED). This machine has no internet access
on 2026-11-21 to re-check them: re-check before quoting a customer. eu-central-1 is ~10-20 % dearer for most lines.

  Lambda (x86)              $0.0000166667 per GB-second, $0.20 per million requests (Arm: $0.0000133334 per GB-s)
  API Gateway REST API      $3.50 per million requests (first 333 million a month; HTTP API: $1.00 per million)
  S3 Standard               $0.005 per 1,000 PUT/COPY/POST/LIST; $0.0004 per 1,000 GET/HEAD; $0.023 per GB-month
  SQS standard queue        $0.40 per million requests (each 64 KB of payload is one request)
  DynamoDB on-demand        $0.625 per million write request units, $0.125 per million read request units
                            (prices after the November 2024 reduction); storage $0.25 per GB-month
  Step Functions standard   $0.025 per 1,000 state transitions
  CloudWatch Logs           $0.50 per GB ingested
  CloudFront                $0.0100 per 10,000 HTTPS requests (North America, Europe)
  AWS WAF                   $0.60 per million requests per web ACL (+ $5 per ACL and $1 per rule a month, fixed)
  S3 object tags            $0.01 per 10,000 tags a month

Formulas (per candidate and exam-hour; H = 3600 s):
  frames        = H / frame_every_s (captured and analysed);  webcam objects = frames / webcam_frames_per_object
                  (two frames stacked in one JPEG: chalicelib/media/uploads.py WEBCAM_FRAMES_PER_OBJECT)
  audio         = H / audio_chunk_s * audio_upload_share (chunks uploaded: the browser's gate sends those that may
                  hold speech and a keep-alive; audio_upload_share() below derives the share)
  uploads       = webcam objects + audio (objects: everything per object follows them: S3 PUT and GetObject, SQS,
                  DynamoDB claim and state writes, the analyzer's I/O wait, invocations, log lines, tags)
  presigns      = min(webcam objects, H / form_window_s) + min(audio, H / form_window_s) (one form per session,
                  kind and minute; form_window_s None: one per upload)
  heartbeats    = H * ((1 - watched_share) / heartbeat_every_s + watched_share / heartbeat_watched_every_s)
                  (the adaptive heartbeat: the answer's next_heartbeat_s, chalicelib/exam/presence.py BEAT_IDLE_S
                  and BEAT_WATCHED_S; heartbeat_watched_every_s None: H / heartbeat_every_s, one cadence)
  api_calls     = presigns + heartbeats + H / answer_every_s
                  + (H / inbox_poll_every_s, or inbox_fetches_per_hour when the heartbeat carries the flag)
                  + H / proctor_grid_every_s / candidates_per_proctor
                  + proctor_calls_per_hour + session_calls / exam_hours
  Lambda        = GB-s * price_gb_s + invocations * price_request, where
                  GB-s = (cpu_ms * max(1, 1769 / memory_mb) + io_ms) / 1000 * memory_mb / 1024
                  (Lambda gives one full vCPU at 1,769 MB and a proportional share below; a single-threaded handler
                  cannot use more), CPU per frame and per audio chunk, I/O wait per object,
                  analyzer invocations = uploads / batch_size, API invocations = api_calls
                  (GB-s price x 0.8 on Arm; CPU ms x arm_cpu_factor, 1.0 = not measured)
  API Gateway   = api_calls * price_request (REST or HTTP API)
  Edge          = api_calls * (CloudFront request + web ACLs x WAF request): 2 ACLs with REST (distribution +
                  stage), 1 with an HTTP API (distribution only)
  S3            = uploads * (PUT + s3_reads_per_object * GET price) + GB uploaded (frames * frame_bytes + audio *
                  audio_bytes) * GB-month price
                  * months kept (tiers: evidence share * retention_days + the rest * transient_retention_days,
                  / 30) + (tiers) evidence retags as PUTs + one tag per object for the months it is kept
  SQS           = uploads * (1 send by S3 + 2 / batch_size for receive + delete) * price
                  + lifecycle messages per session * 3 requests / exam_hours
  DynamoDB      = (per frame WRU + per API call WRU + ...) * price_wru + (... RRU) * price_rru; an item costs
                  ceil(bytes / 1024) WRU per write (x2 in a transaction) and ceil(bytes / 4096) * 0.5 RRU per
                  eventually consistent read; an update to an item with a GSI of ALL projection writes the GSI too.
                  As built (issue #13): heartbeats write a ~175-byte presence item; the sessions' two status
                  indexes are KEYS_ONLY, so only a status change writes them (the first status one put per index,
                  every later one a delete and a put); a grid poll queries index keys, then batch-gets each tile's
                  session, presence and signal-state items
  Step Functions = transitions per session / exam_hours * price_transition
  Logs          = (uploads * log_bytes_per_object + invocations * lambda_report_bytes) / 1e9 * price_gb

Capacity (candidates C): rate of each request type = C * per-candidate rate. Concurrency = arrival rate x duration
(Little's law). Each limit gives headroom = limit / demand (< 1: over the limit); the bottleneck is the constraint
with the least headroom; each constraint's kind says what lifts it: "hard" (only a design change), "quota, raisable"
(ask AWS; the quota is named), "configuration" (a setting of ours). first_hard_limit is the hard one with the least
headroom.

Per-partition limits of the sessions' status indexes (one partition: 1,000 WCU/s, 3,000 RCU/s). All C candidates of
one agency sit one exam and start within W seconds; deadlines follow the starts, so sessions finish over W seconds
too. A status change deletes the session's index entry under the old key and puts one under the new; the busiest key
is "<exam or agency>#submitted" (every session enters and leaves it within the finish wave): 2 C / W writes/s, spread
over S shards by the session id's hash -> 2 C / (W S) WCU/s per partition (entries are < 1 KB). Grid reads: every
proctor's grid (candidates_per_proctor tiles, every proctor_grid_every_s) is one page, newest first across the
status's shards, so it reads up to a page of keys from every shard: C / per_proctor / every_s pages/s x
ceil(tiles x entry / 4 KB) x 0.5 RCU on each shard's partition. Heartbeats write presence items keyed by session id:
1 / (the faster heartbeat cadence) writes/s per item, spread over the table.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

PRICES_CHECKED = "2025-06"
REGION = "us-east-1"
LAMBDA_FULL_VCPU_MB = 1769
HOUR_S = 3600.0


@dataclass(frozen=True)
class Prices:
    lambda_gb_s: float = 0.0000166667
    lambda_request: float = 0.20 / 1e6
    apigw_rest_request: float = 3.50 / 1e6
    apigw_http_request: float = 1.00 / 1e6
    s3_put: float = 0.005 / 1000
    s3_get: float = 0.0004 / 1000  # GET and HEAD
    s3_gb_month: float = 0.023
    sqs_request: float = 0.40 / 1e6
    ddb_wru: float = 0.625 / 1e6
    ddb_rru: float = 0.125 / 1e6
    ddb_gb_month: float = 0.25
    sfn_transition: float = 0.025 / 1000
    logs_gb: float = 0.50
    cloudfront_request: float = 0.0100 / 10_000  # HTTPS requests, North America / Europe
    waf_request: float = 0.60 / 1e6  # per web ACL that inspects the request (ACL and rule fees are monthly, fixed)
    s3_tag_month: float = 0.01 / 10_000  # object tags, per tag and month


@dataclass(frozen=True)
class Workload:
    """One candidate writing an exam, as the browser client behaves (and the load benchmark simulates)."""

    frame_every_s: float = 5.0
    audio_chunk_s: float = 10.0  # 16 kHz mono WAV chunks of 10 s (the policy assumes 5-10 s chunks)
    # The heartbeat: every heartbeat_every_s, and every heartbeat_watched_every_s while a proctor pays attention to
    # the session (its view open, or an action or message within 2 minutes) for watched_share of the hour: the
    # answer's next_heartbeat_s (chalicelib/exam/presence.py BEAT_IDLE_S, BEAT_WATCHED_S). None: one cadence, as
    # the page beat before (web/src/candidate/monitoring.ts HEARTBEAT_S = 5). watched_share: WATCHED_SHARE.
    heartbeat_every_s: float = 20.0
    heartbeat_watched_every_s: float | None = 5.0
    watched_share: float = 0.1
    # While watched, the console's timeline poll (every 5 s) marks attention: one conditional UpdateItem of the
    # presence item each (1 WRU whether it writes or not; it writes once per 30 s).
    attention_checks_per_watched_hour: float = 720.0
    answer_every_s: float = 30.0
    # Upload forms: one POST policy per session, kind and form_window_s (a `starts-with $key` prefix policy,
    # chalicelib/core/presigned.py prefix_policy, chalicelib/media/models.py UploadFormRecord); None: one presigned
    # POST per upload (before issue #13). One form per kind a session uploads (webcam frames, audio chunks).
    form_window_s: float | None = 60.0
    # The live channel: the candidate's page polled GET /sessions/{id}/inbox every inbox_poll_every_s
    # (web/src/candidate/channel.ts POLL_MS); None: no polling, the heartbeat's answer says when there is news and
    # the page fetches the inbox then (inbox_fetches_per_hour: proctor messages and warnings, a few an hour).
    # A proctor's grid of candidates_per_proctor sessions refreshes every proctor_grid_every_s; each grid poll
    # reads every session tile it shows.
    inbox_poll_every_s: float | None = None
    inbox_fetches_per_hour: float = 2.0
    proctor_grid_every_s: float = 2.0
    candidates_per_proctor: float = 50.0
    proctor_calls_per_hour: float = 0.0  # other console calls (timeline, actions), shared out per candidate
    session_calls: float = 6.0  # login, my exams, consent, start, get session, submit
    exam_hours: float = 1.0  # per-session costs are spread over this many hours (1 h: the dearest case)
    frame_bytes: float = 47_000.0  # 640x480 JPEG at quality 90 (measured mean of the benchmark frames)
    # Webcam frames per uploaded object (chalicelib/media/uploads.py WEBCAM_FRAMES_PER_OBJECT: two frames captured
    # frame_every_s apart, stacked in one JPEG; the analyzer splits them). Per-frame work stays per frame.
    webcam_frames_per_object: float = 1.0
    # Share of the audio chunks the browser uploads (web/src/shared/media/voice_gate.ts: those that may hold speech,
    # and one every audio_keepalive_s); 1.0: every chunk. See audio_upload_share().
    audio_upload_share: float = 1.0
    audio_bytes: float = 320_044.0  # 10 s of 16-bit 16 kHz mono + WAV header
    retention_days: float = 30.0  # evidence and, without tiers, all media
    # Retention tiers: objects uploaded with the tag retention=transient expire after transient_retention_days
    # (infra/template.py's lifecycle rule); the analyzer retags the frames that raised a violation as evidence, which
    # keeps them retention_days. None: one tier (everything retention_days).
    transient_retention_days: float | None = None
    evidence_objects_per_hour: float = 12.0  # frames that opened or grew a violation (~3 per episode, 4 episodes)
    sfn_transitions_per_session: float = 7.0  # Route, CheckDeadline, InProgress, AwaitReview, Verdict, end (+1)
    lifecycle_messages_per_session: float = 3.0  # exam_started, review_requested, (deadline_passed)


@dataclass(frozen=True)
class Compute:
    """Lambda sizes and per-object/per-call times. cpu_ms is one vCPU's worth of work, io_ms is waiting."""

    analyzer_memory_mb: int = 1769  # infra/template.py ANALYZER_MEMORY_MB: one full vCPU
    frame_cpu_ms: float = 80.0  # measured: analyzer CPU per 640x480 frame, one core (benchmarks.analyzer)
    audio_cpu_ms: float = 80.0  # silero VAD 4.6-7.4 ms per second of audio (docs/BENCHMARKS.md) + parsing
    object_io_ms: float = 40.0  # AWS in-region waits per object: S3 HEAD+GET ~2x10 ms, 6 DynamoDB calls ~4 ms
    batch_size: int = 10
    api_memory_mb: int = 512  # .chalice/config.json lambda_memory_size
    api_cpu_ms: float = 10.0  # measured: chalice API CPU per call (load benchmark), one core
    api_io_ms: float = 10.0  # one or two DynamoDB calls per API request
    arm: bool = True  # infra/template.py LAMBDA_ARCHITECTURE = "arm64"
    # CPU time on Graviton relative to this machine's x86 (not measured: no Arm machine here; 1.0 assumes equal).
    arm_cpu_factor: float = 1.0


@dataclass(frozen=True)
class Storage:
    """DynamoDB item sizes in bytes (measured from the local stack) and calls per object / per API call."""

    session_item: float = 2_600.0
    signal_states_item: float = 1_400.0
    ledger_item: float = 300.0
    violation_item: float = 700.0
    frame_reads: tuple[tuple[str, float], ...] = (("ledger", 1.0), ("session", 1.0), ("signal_states", 1.0))
    frame_writes: tuple[tuple[str, float], ...] = (("ledger", 1.0), ("signal_states", 1.0))
    violations_per_hour: float = 4.0  # episodes opened (transaction: violation + session counters) per hour
    # The sessions' status indexes (chalicelib/exam/session_index.py, infra/definitions.py). Built: KEYS_ONLY, so
    # only status changes write them. True models the design before issue #13 (ALL: every update copied).
    sessions_gsi_all_projection: bool = False
    sessions_gsis: int = 2  # by_exam_status, by_agency_status
    index_shards: int = 8  # session_index.SHARDS (a unit test keeps them equal)
    # KEYS_ONLY entry: session id, "<exam id>#awaiting_review#7", started_at (~147 B) + DynamoDB's 100 B per entry
    index_entry_bytes: float = 250.0
    status_changes_per_session: float = 4.0  # in_progress, submitted, awaiting_review, accepted/annulled
    session_writes_at_start: float = 3.0  # the conditional put, the execution ARN, the lifecycle's task token
    # the presence item (session id, client id, two times, TTL: 174 B by dynamodb_item_size); None: heartbeats
    # update the session item (before #13)
    heartbeat_item: float | None = 175.0
    s3_reads_per_object: float = 1.0  # one GetObject (size and type come with the body)


@dataclass(frozen=True)
class Edge:
    """How API requests reach the API function (infra/template.py, infra/edge.py)."""

    api_via_cloudfront: bool = True  # the site's distribution routes /api/* to the API (same origin)
    http_api: bool = False  # API Gateway REST API (Chalice's); True: HTTP API (v2)
    # Web ACLs that inspect an API request: the distribution's (CLOUDFRONT scope, us-east-1 stacks) and the REST
    # stage's (REGIONAL). An HTTP API cannot have a web ACL: only the distribution's would remain.
    rest_web_acls: int = 2
    http_web_acls: int = 1


@dataclass(frozen=True)
class Model:
    prices: Prices = field(default_factory=Prices)
    workload: Workload = field(default_factory=Workload)
    compute: Compute = field(default_factory=Compute)
    storage: Storage = field(default_factory=Storage)
    edge: Edge = field(default_factory=Edge)
    logs_bytes_per_object: float = 400.0  # one JSON "media processed" line
    lambda_report_bytes: float = 350.0  # START/END/REPORT lines per invocation


# --------------------------------------------------------------------------------------------- unit arithmetic


def write_units(item_bytes: float, transactional: bool = False) -> float:
    """WRU for writing one item: 1 per started KB, doubled inside a transaction."""
    return max(1, math.ceil(item_bytes / 1024)) * (2 if transactional else 1)


def read_units(item_bytes: float, consistent: bool = False) -> float:
    """RRU for reading one item (a missing item costs the minimum): 1 per started 4 KB, half when eventual."""
    return max(1, math.ceil(item_bytes / 4096)) * (1.0 if consistent else 0.5)


def dynamodb_value_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value in its wire format ({"S": ...}, {"M": {...}}, ...)."""
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode("utf-8"))
    if kind == "N":
        digits = raw.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(dynamodb_value_size({kind[0]: v}) for v in raw)
    if kind == "L":
        return 3 + sum(1 + dynamodb_value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + dynamodb_value_size(v) for k, v in raw.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def dynamodb_item_size(item: dict[str, dict[str, Any]]) -> int:
    """Item size as DynamoDB bills it: attribute names plus values (docs: 'Item sizes and formats')."""
    return sum(len(name.encode("utf-8")) + dynamodb_value_size(value) for name, value in item.items())


def lambda_gb_seconds(cpu_ms: float, io_ms: float, memory_mb: int) -> float:
    """Billed GB-s of one call: CPU work stretches below 1,769 MB (a share of one vCPU), waits do not."""
    stretch = max(1.0, LAMBDA_FULL_VCPU_MB / memory_mb)
    return (cpu_ms * stretch + io_ms) / 1000 * memory_mb / 1024


# --------------------------------------------------------------------------------------------- cost


def audio_upload_share(speech_share: float, chunk_s: float, keepalive_s: float | None) -> float:
    """Share of audio chunks uploaded when the browser sends the chunks that may hold speech (speech_share of them)
    and, in silence, one every keepalive_s (keepalive_s None: no gate, every chunk).

    A silent stretch of L chunks after an upload holds floor(L / K) keep-alives, K = keepalive_s / chunk_s; summed
    over all silent stretches that is at most (1 - speech_share) / K of the chunks, reached when speech comes in
    long bursts (a conversation), so share <= speech_share + (1 - speech_share) * chunk_s / keepalive_s: the figure
    used here (10 % speech, 10 s chunks, 60 s keep-alive: 0.25). Speech spread evenly as independent chunks gives
    less: p / (1 - (1 - p)^K) = 0.213 (the mean of a renewal interval min(Geometric(p), K))."""
    if keepalive_s is None or keepalive_s <= chunk_s:
        return 1.0
    speech_share = min(1.0, max(0.0, speech_share))
    return speech_share + (1 - speech_share) * chunk_s / keepalive_s


def heartbeats_per_hour(w: Workload) -> float:
    """Heartbeats per candidate-hour: the idle cadence, and the watched one for watched_share of the hour."""
    if not w.heartbeat_watched_every_s:
        return HOUR_S / w.heartbeat_every_s
    share = min(1.0, max(0.0, w.watched_share))
    return HOUR_S * ((1 - share) / w.heartbeat_every_s + share / w.heartbeat_watched_every_s)


def fastest_heartbeat_s(w: Workload) -> float:
    return min(w.heartbeat_every_s, w.heartbeat_watched_every_s or w.heartbeat_every_s)


def hourly_counts(model: Model) -> dict[str, float]:
    """Requests per candidate-hour; uploads are objects (a webcam object may carry several frames)."""
    w = model.workload
    frames = HOUR_S / w.frame_every_s
    recorded = HOUR_S / w.audio_chunk_s
    webcam = frames / max(1.0, w.webcam_frames_per_object)
    audio = recorded * w.audio_upload_share
    uploads = webcam + audio
    # a form per kind (webcam, audio) and window, never more forms than uploads of that kind
    presigns = uploads if not w.form_window_s else sum(min(n, HOUR_S / w.form_window_s) for n in (webcam, audio))
    heartbeats, answers = heartbeats_per_hour(w), HOUR_S / w.answer_every_s
    attention = w.watched_share * w.attention_checks_per_watched_hour if w.heartbeat_watched_every_s else 0.0
    session_calls = w.session_calls / w.exam_hours
    inbox_polls = HOUR_S / w.inbox_poll_every_s if w.inbox_poll_every_s else w.inbox_fetches_per_hour
    grid_polls = HOUR_S / w.proctor_grid_every_s / w.candidates_per_proctor  # this candidate's share
    api_calls = presigns + heartbeats + answers + inbox_polls + grid_polls + w.proctor_calls_per_hour + session_calls
    return {
        "frames": frames,
        "webcam_objects": webcam,
        "audio_chunks_recorded": recorded,
        "audio_chunks": audio,
        "uploads": uploads,
        "presigns": presigns,
        "heartbeats": heartbeats,
        "attention_checks": attention,
        "answers": answers,
        "inbox_polls": inbox_polls,
        "grid_polls": grid_polls,
        "api_calls": api_calls,
        "analyzer_invocations": uploads / model.compute.batch_size,
    }


def index_copies(storage: Storage) -> int:
    """Index copies written by an update of the session item that changes no index key."""
    return storage.sessions_gsis if storage.sessions_gsi_all_projection else 0


def status_index_wru_per_session(storage: Storage) -> float:
    """WRU one session's status changes cost in the status indexes: per index a put for the first status, a delete
    and a put for every later one (an ALL-projection entry is the whole item)."""
    entry = storage.session_item if storage.sessions_gsi_all_projection else storage.index_entry_bytes
    entries = 1 + 2 * max(0.0, storage.status_changes_per_session - 1)
    return storage.sessions_gsis * entries * write_units(entry)


def grid_poll_rru(storage: Storage, tiles: float) -> float:
    """RRU of one grid poll of `tiles` sessions: the index query (KEYS_ONLY: up to `tiles` keys from each shard, merged
    newest first), then one batch read of the sessions and one of their presence items; the signal-state items
    (media counters, newest frame) either way."""
    if storage.sessions_gsi_all_projection:
        listed = max(0.5, tiles * storage.session_item / 4096 * 0.5)  # a query is billed by the bytes it reads
    else:
        listed = storage.index_shards * max(0.5, math.ceil(tiles * storage.index_entry_bytes / 4096) * 0.5)
        listed += tiles * read_units(storage.session_item)
        if storage.heartbeat_item:
            listed += tiles * read_units(storage.heartbeat_item)
    return listed + tiles * read_units(storage.signal_states_item)


def dynamodb_units(model: Model) -> dict[str, float]:
    """(WRU, RRU) per candidate-hour, from per-frame calls, per-API-call updates and violation transactions."""
    s, w, counts = model.storage, model.workload, hourly_counts(model)
    size = {"ledger": s.ledger_item, "session": s.session_item, "signal_states": s.signal_states_item}
    per_frame_rru = sum(n * read_units(size[item]) for item, n in s.frame_reads)
    per_frame_wru = sum(n * write_units(size[item]) for item, n in s.frame_writes)
    # Audio chunks go through the same ledger/session/episode path as frames (no re-identification read).
    objects = counts["uploads"]
    copies = index_copies(s)
    session_write = write_units(s.session_item) * (1 + copies)
    heartbeat_write = write_units(s.heartbeat_item) if s.heartbeat_item else session_write
    per_session = (
        (s.session_writes_at_start + s.status_changes_per_session - 1) * session_write + status_index_wru_per_session(s)
    ) / w.exam_hours
    wru = (
        objects * per_frame_wru
        + counts["heartbeats"] * heartbeat_write  # the presence item (or, before #13, the session and its copies)
        + counts["attention_checks"] * write_units(s.heartbeat_item or 0)  # a refused conditional write: 1 WRU
        + counts["answers"] * session_write  # answers map + answers_rev
        + s.violations_per_hour
        * (
            write_units(s.violation_item, True)
            + write_units(s.session_item, True)
            + write_units(s.session_item) * copies
        )
        + per_session
    )
    api_reads = counts["presigns"] + counts["heartbeats"] + counts["answers"]  # each loads the own session
    rru = objects * per_frame_rru + api_reads * read_units(s.session_item)
    # An inbox poll reads the session and queries its (usually empty) channel. A grid poll reads every tile.
    rru += counts["inbox_polls"] * (read_units(s.session_item) + read_units(0))
    rru += counts["grid_polls"] * grid_poll_rru(s, w.candidates_per_proctor)
    return {
        "wru": wru,
        "rru": rru,
        "per_frame_wru": per_frame_wru,
        "per_frame_rru": per_frame_rru,
        "session_write_wru": session_write,
        "per_session_wru": per_session,
    }


def storage_month_share(w: Workload, uploads: float) -> float:
    """Months an average uploaded byte is kept: evidence retention_days, the rest transient_retention_days."""
    if w.transient_retention_days is None:
        return w.retention_days / 30
    evidence = min(1.0, w.evidence_objects_per_hour / uploads) if uploads else 0.0
    return (evidence * w.retention_days + (1 - evidence) * w.transient_retention_days) / 30


def cost_per_exam_hour(model: Model, *, http_api: bool | None = None) -> dict[str, Any]:
    """USD per candidate per proctored exam-hour, by service, and the total (http_api overrides model.edge's)."""
    p, w, c, e = model.prices, model.workload, model.compute, model.edge
    http_api = e.http_api if http_api is None else http_api
    counts = hourly_counts(model)
    gb_s_price = p.lambda_gb_s * (0.8 if c.arm else 1.0)  # Arm $0.0000133334 = 80 % of x86
    cpu = c.arm_cpu_factor if c.arm else 1.0
    # CPU per frame and per audio chunk; the I/O wait (S3 GET, DynamoDB claim and state write) per object
    analyzer_gb_s = (
        counts["frames"] * lambda_gb_seconds(c.frame_cpu_ms * cpu, 0.0, c.analyzer_memory_mb)
        + counts["audio_chunks"] * lambda_gb_seconds(c.audio_cpu_ms * cpu, 0.0, c.analyzer_memory_mb)
        + counts["uploads"] * lambda_gb_seconds(0.0, c.object_io_ms, c.analyzer_memory_mb)
    )
    api_gb_s = counts["api_calls"] * lambda_gb_seconds(c.api_cpu_ms * cpu, c.api_io_ms, c.api_memory_mb)
    invocations = counts["analyzer_invocations"] + counts["api_calls"]
    uploaded_gb = (counts["frames"] * w.frame_bytes + counts["audio_chunks"] * w.audio_bytes) / 1e9
    ddb = dynamodb_units(model)
    sqs_requests = counts["uploads"] * (1 + 2 / c.batch_size) + w.lifecycle_messages_per_session * 3 / w.exam_hours
    log_gb = (counts["uploads"] * model.logs_bytes_per_object + invocations * model.lambda_report_bytes) / 1e9
    tiers = w.transient_retention_days is not None
    acls = e.http_web_acls if http_api else e.rest_web_acls
    lines = {
        "lambda_analyzer": analyzer_gb_s * gb_s_price + counts["analyzer_invocations"] * p.lambda_request,
        "lambda_api": api_gb_s * gb_s_price + counts["api_calls"] * p.lambda_request,
        "api_gateway": counts["api_calls"] * (p.apigw_http_request if http_api else p.apigw_rest_request),
        "cloudfront_waf": counts["api_calls"]
        * ((p.cloudfront_request if e.api_via_cloudfront else 0.0) + acls * p.waf_request),
        # one PUT per upload, its GetObject, and (tiers) the analyzer's PutObjectTagging of each evidence frame
        "s3_requests": counts["uploads"] * (p.s3_put + model.storage.s3_reads_per_object * p.s3_get)
        + (w.evidence_objects_per_hour * p.s3_put if tiers else 0.0),
        # (tiers) every object carries one tag while it is kept
        "s3_storage": uploaded_gb * p.s3_gb_month * storage_month_share(w, counts["uploads"])
        + (counts["uploads"] * p.s3_tag_month * storage_month_share(w, counts["uploads"]) if tiers else 0.0),
        "sqs": sqs_requests * p.sqs_request,
        "dynamodb": ddb["wru"] * p.ddb_wru + ddb["rru"] * p.ddb_rru,
        "step_functions": w.sfn_transitions_per_session / w.exam_hours * p.sfn_transition,
        "cloudwatch_logs": log_gb * p.logs_gb,
    }
    return {
        "total_usd": sum(lines.values()),
        "by_service_usd": lines,
        "counts": counts,
        "analyzer_gb_s": analyzer_gb_s,
        "api_gb_s": api_gb_s,
        "uploaded_gb": uploaded_gb,
        "sqs_requests": sqs_requests,
        "dynamodb": ddb,
        "http_api": http_api,
    }


# The issue #13 levers, in order; each with what makes it so (or what it still needs). levers() applies them one by
# one to the design before them (BEFORE_LEVERS); a lever's "built" is decided by the code (benchmarks/__main__.py
# code_facts), the others say what they need.
# The signal-state item as measured before it was made compact (2026-11-29, make bench: 2,409 B, 3 WRU a write);
# COMPACT_STATES_ITEM_BYTES is the goal (<= 1 KB: 1 WRU; any size up to 1,024 B costs the same).
PRE_COMPACT_STATES_ITEM_BYTES = 2409.0
COMPACT_STATES_ITEM_BYTES = 1000.0
# The audio gate's assumption: an exam-hour is ~10 % speech (the lever row's figure), chunks of 10 s, a keep-alive
# every 60 s (chalicelib/exam/policy.py audio_keepalive_s): audio_upload_share(0.1, 10, 60) = 0.25.
SPEECH_SHARE = 0.1
DEFAULT_AUDIO_KEEPALIVE_S = 60.0
# The adaptive heartbeat (chalicelib/exam/presence.py BEAT_IDLE_S, BEAT_WATCHED_S; code_facts checks them). Before
# it the page beat every 5 s (web/src/candidate/monitoring.ts HEARTBEAT_S), whatever the model said (10 s).
# WATCHED_SHARE: the share of an exam-hour a proctor pays attention to one candidate: a proctor of 50 candidates who
# opens a session every ~30 s keeps ~5 of them watched (the open one and those of the last 2 minutes): 10 %.
CLIENT_HEARTBEAT_S = 5.0
ADAPTIVE_HEARTBEAT_S = (20.0, 5.0)  # (idle, watched)
WATCHED_SHARE = 0.1
BEFORE_LEVERS: dict[str, Any] = {
    "workload.heartbeat_every_s": CLIENT_HEARTBEAT_S,
    "workload.heartbeat_watched_every_s": None,
    "workload.form_window_s": None,
    "workload.inbox_poll_every_s": 5.0,
    "compute.arm": False,
    "workload.transient_retention_days": None,
    "workload.webcam_frames_per_object": 1.0,
    "workload.audio_upload_share": 1.0,
    "storage.signal_states_item": lambda size: max(size, PRE_COMPACT_STATES_ITEM_BYTES),
    "edge.http_api": False,
}
LEVERS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "forms",
        "one upload form per session, kind and minute (a starts-with key prefix policy) instead of one per upload",
        {"workload.form_window_s": 60.0},
    ),
    (
        "inbox",
        "no inbox polling: the heartbeat's answer carries the inbox flag",
        {"workload.inbox_poll_every_s": None},
    ),
    ("arm", "Arm (Graviton) Lambdas", {"compute.arm": True}),
    (
        "tiers",
        "non-evidence media kept 7 days, evidence frames 30 (upload tag + lifecycle rule; the analyzer retags "
        "evidence)",
        {"workload.transient_retention_days": 7.0},
    ),
    (
        "pairs",
        "two webcam frames per object (captured 5 s apart, stacked in one JPEG; the analyzer splits them): half "
        "the webcam PUTs, GETs, SQS messages, claims and state writes, the same frames analysed",
        {"workload.webcam_frames_per_object": 2.0},
    ),
    (
        "audio_gate",
        "audio uploaded only when the browser hears speech-like sound, and a keep-alive chunk every 60 s "
        "(10 % speech: 25 % of chunks; the server's VAD judges every chunk it gets; a tampered page could withhold "
        "audio, as it could upload silence: a trade-off)",
        {"workload.audio_upload_share": audio_upload_share(SPEECH_SHARE, 10.0, DEFAULT_AUDIO_KEEPALIVE_S)},
    ),
    (
        "compact",
        "compact signal-state item (<= 1 KB: 1 WRU a write instead of 3), all of an object's steps in one write",
        {"storage.signal_states_item": lambda size: min(size, COMPACT_STATES_ITEM_BYTES)},
    ),
    (
        "heartbeat",
        "adaptive heartbeat (20 s, 5 s while watched): the answer's next_heartbeat_s; a proctor's view of the "
        f"session, action or message keeps it at 5 s for 2 minutes ({WATCHED_SHARE:.0%} of the hour watched)",
        {
            "workload.heartbeat_every_s": ADAPTIVE_HEARTBEAT_S[0],
            "workload.heartbeat_watched_every_s": ADAPTIVE_HEARTBEAT_S[1],
            "workload.watched_share": WATCHED_SHARE,
        },
    ),
    ("http_api", "HTTP API instead of REST API (WAF on the CloudFront distribution only)", {"edge.http_api": True}),
)
# The sessions' design before issue #13, for the comparison in docs/BENCHMARKS.md: heartbeats rewrote the session
# item, and three ALL-projection indexes (by_agency, by_exam_status, by_agency_status) copied every update.
BEFORE_PRESENCE: dict[str, Any] = {
    "storage.heartbeat_item": None,
    "storage.sessions_gsi_all_projection": True,
    "storage.sessions_gsis": 3,
    "storage.index_shards": 1,
}


def with_changes(model: Model, changes: dict[str, Any]) -> Model:
    parts = {"workload": model.workload, "compute": model.compute, "storage": model.storage, "edge": model.edge}
    for name, value in changes.items():
        if "." in name:
            part, attr = name.split(".", 1)
            old = getattr(parts[part], attr)
            parts[part] = replace(parts[part], **{attr: value(old) if callable(value) else value})
    return replace(model, **parts)


def levers(model: Model, status: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The cost before the levers (BEFORE_LEVERS on the same measured inputs), then after each lever of LEVERS,
    applied cumulatively in order; each row carries its status (status[name], "modelled" when not given)."""
    status = status or {}
    current = with_changes(model, BEFORE_LEVERS)
    rows = [{"lever": "before the issue #13 levers", "name": "before", "status": "", **_totals(current)}]
    for name, label, changes in LEVERS:
        current = with_changes(current, changes)
        rows.append({"lever": label, "name": name, "status": status.get(name, "modelled"), **_totals(current)})
    return rows


def _totals(model: Model) -> dict[str, Any]:
    result = cost_per_exam_hour(model)
    return {"total_usd": result["total_usd"], "by_service_usd": result["by_service_usd"]}


def _total(model: Model) -> float:
    return cost_per_exam_hour(model)["total_usd"]


# --------------------------------------------------------------------------------------------- capacity


@dataclass(frozen=True)
class Quotas:
    """Default quotas (us-east-1) with whether AWS raises them on request."""

    lambda_account_concurrency: int = 1000  # raisable (to tens of thousands)
    lambda_scale_per_10s: int = 1000  # per function, fixed
    sqs_esm_max_concurrent_batches: int = 1250  # standard mode's maximum per event source mapping
    sqs_esm_provisioned_invokes_per_poller: int = 10  # provisioned mode: each poller up to 10 concurrent invokes
    sqs_esm_max_pollers: int = 2000  # ProvisionedPollerConfig.MaximumPollers (CloudFormation's documented maximum)
    sqs_esm_start: int = 5
    sqs_esm_scale_per_min: int = 300
    sqs_inflight_per_queue: int = 120_000  # standard queue, hard
    apigw_account_rps: int = 10_000  # raisable
    ddb_partition_wcu: int = 1000  # per partition, hard
    ddb_partition_rcu: int = 3000
    ddb_table_wru: int = 40_000  # on-demand table maximum, raisable
    ddb_table_rru: int = 40_000
    ddb_new_table_wru: int = 4_000  # a new on-demand table before it has seen a higher peak (warm throughput)
    s3_prefix_put: int = 3_500  # per prefix, per second
    s3_prefix_get: int = 5_500
    sfn_start_refill_per_s: int = 300  # StartExecution token bucket refill (bucket 1,300), raisable
    sfn_transitions_per_s: int = 5_000  # standard workflows state transitions refill, raisable
    sfn_open_executions: int = 1_000_000


def capacity(
    model: Model,
    candidates: int = 100_000,
    *,
    quotas: Quotas | None = None,
    agencies: int = 1,
    start_window_s: float = 300.0,
) -> dict[str, Any]:
    """Demand at `candidates` against each limit; the bottleneck and its headroom."""
    q = quotas or Quotas()
    c, w, s = model.compute, model.workload, model.storage
    counts = hourly_counts(model)
    per_s = {k: v * candidates / HOUR_S for k, v in counts.items()}
    stretch_analyzer = max(1.0, LAMBDA_FULL_VCPU_MB / c.analyzer_memory_mb)
    analyzer_conc = (
        per_s["frames"] * c.frame_cpu_ms * stretch_analyzer
        + per_s["audio_chunks"] * c.audio_cpu_ms * stretch_analyzer
        + per_s["uploads"] * c.object_io_ms
    ) / 1000
    api_conc = (
        per_s["api_calls"] * (c.api_cpu_ms * max(1.0, LAMBDA_FULL_VCPU_MB / c.api_memory_mb) + c.api_io_ms) / 1000
    )
    ddb = dynamodb_units(model)
    wru_per_s, rru_per_s = ddb["wru"] * candidates / HOUR_S, ddb["rru"] * candidates / HOUR_S
    session_item_wru = write_units(s.session_item)
    starts_per_s = candidates / start_window_s
    violations_per_s = s.violations_per_hour * candidates / HOUR_S
    session_updates_per_s = (0.0 if s.heartbeat_item else per_s["heartbeats"]) + per_s["answers"] + violations_per_s
    frame_wru = dict(s.frame_writes)
    signal_table_wru = per_s["uploads"] * frame_wru.get("signal_states", 0) * write_units(s.signal_states_item)
    ledger_table_wru = per_s["uploads"] * frame_wru.get("ledger", 0) * write_units(s.ledger_item)
    # the base table at the start wave: every session's put, execution ARN and task token on top of the updates
    sessions_table_wru = (session_updates_per_s + starts_per_s * s.session_writes_at_start) * session_item_wru
    session_reads_per_s = (
        per_s["presigns"]
        + per_s["heartbeats"]
        + per_s["answers"]
        + per_s["inbox_polls"]
        + per_s["uploads"] * dict(s.frame_reads).get("session", 0)
        + per_s["grid_polls"] * w.candidates_per_proctor  # each tile's session, batch-read (or in the ALL index)
    )
    sessions_table_rru = session_reads_per_s * read_units(s.session_item)
    presence_table_wru = (
        (per_s["heartbeats"] + per_s["attention_checks"]) * write_units(s.heartbeat_item) if s.heartbeat_item else 0.0
    )
    per_session_item_wcu = counts["uploads"] / HOUR_S * write_units(s.signal_states_item)  # one write per object
    grid_pages_per_s = candidates / w.candidates_per_proctor / w.proctor_grid_every_s
    if s.sessions_gsi_all_projection:
        # before #13: by_agency (hash agency_id) held every session of the agency and copied every update
        index_rows = [
            (
                "DynamoDB sessions.by_agency GSI: one partition per agency (WCU/s)",
                session_updates_per_s * session_item_wru / agencies,
                q.ddb_partition_wcu,
                "hard per partition: needs a design change",
            )
        ]
    else:
        shards = s.index_shards
        index_rows = [
            (
                f"DynamoDB sessions status index: one of {shards} shard partitions of '<exam>#submitted' "
                f"(WCU/s, finish wave over {start_window_s:.0f} s)",
                2 * starts_per_s / agencies / shards * write_units(s.index_entry_bytes),
                q.ddb_partition_wcu,
                "hard per partition",
            ),
            (
                "DynamoDB sessions status index: one shard partition, every proctor grid's page of keys (RCU/s)",
                grid_pages_per_s * math.ceil(w.candidates_per_proctor * s.index_entry_bytes / 4096) * 0.5 / agencies,
                q.ddb_partition_rcu,
                "hard per partition",
            ),
        ]
    if s.heartbeat_item:
        index_rows += [
            ("DynamoDB presence table WRU/s (heartbeats)", presence_table_wru, q.ddb_table_wru, "quota, raisable"),
            (
                "DynamoDB one presence item (WCU/s per partition)",
                1 / fastest_heartbeat_s(w),
                q.ddb_partition_wcu,
                "hard",
            ),
        ]
    pollers = math.ceil(analyzer_conc / q.sqs_esm_provisioned_invokes_per_poller)
    esm_provisioned = q.sqs_esm_max_pollers * q.sqs_esm_provisioned_invokes_per_poller
    constraints = [
        (
            "Lambda account concurrency (analyzer + API)",
            analyzer_conc + api_conc,
            q.lambda_account_concurrency,
            "quota, raisable",
        ),
        (
            "SQS event source: concurrent batches (standard mode)",
            analyzer_conc,
            q.sqs_esm_max_concurrent_batches,
            f"configuration: provisioned mode, MaximumPollers ≥ {pollers:,} (up to {esm_provisioned:,} batches)",
        ),
        ("SQS in-flight messages per queue", analyzer_conc * c.batch_size, q.sqs_inflight_per_queue, "hard"),
        ("API Gateway requests/s (account, region)", per_s["api_calls"], q.apigw_account_rps, "quota, raisable"),
        *index_rows,
        ("DynamoDB signal-states table WRU/s", signal_table_wru, q.ddb_table_wru, "quota, raisable"),
        ("DynamoDB media-objects (ledger) table WRU/s", ledger_table_wru, q.ddb_table_wru, "quota, raisable"),
        (
            "DynamoDB sessions table WRU/s (base table, at the start wave)",
            sessions_table_wru,
            q.ddb_table_wru,
            "quota, raisable",
        ),
        ("DynamoDB sessions table RRU/s (base table)", sessions_table_rru, q.ddb_table_rru, "quota, raisable"),
        ("DynamoDB one signal-states item (WCU/s per partition)", per_session_item_wcu, q.ddb_partition_wcu, "hard"),
        (
            "S3 PUT/s per prefix sessions/<session_id>/",
            counts["uploads"] / HOUR_S,
            q.s3_prefix_put,
            "hard per prefix; keys are per session",
        ),
        ("S3 GET+HEAD/s per prefix", 2 * counts["uploads"] / HOUR_S, q.s3_prefix_get, "hard"),
        (
            f"Step Functions StartExecution/s (all start within {start_window_s:.0f} s)",
            starts_per_s,
            q.sfn_start_refill_per_s,
            "quota, raisable",
        ),
        (
            "Step Functions state transitions/s (at the start wave)",
            starts_per_s * 3,
            q.sfn_transitions_per_s,
            "quota, raisable",
        ),
        ("Step Functions open executions", candidates, q.sfn_open_executions, "quota, raisable"),
    ]
    rows = [
        {
            "constraint": name,
            "demand": round(demand, 3),
            "limit": limit,
            "headroom": round(limit / demand, 3) if demand > 0 else None,
            "kind": kind,
        }
        for name, demand, limit, kind in constraints
    ]
    ranked = sorted((r for r in rows if r["headroom"] is not None), key=lambda r: r["headroom"])
    bottleneck = ranked[0]
    hard = next((r for r in ranked if r["kind"].startswith("hard")), None)
    total_conc = analyzer_conc + api_conc
    return {
        "candidates": candidates,
        "rates_per_s": {k: round(v, 1) for k, v in per_s.items()},
        "lambda_concurrency": {"analyzer": round(analyzer_conc), "api": round(api_conc), "total": round(total_conc)},
        "lambda_ramp_s": round(math.ceil(total_conc / q.lambda_scale_per_10s) * 10, 1),
        "sqs_esm_ramp_s": round(
            max(0.0, min(analyzer_conc, q.sqs_esm_max_concurrent_batches) - q.sqs_esm_start)
            / q.sqs_esm_scale_per_min
            * 60,
            1,
        ),
        "dynamodb_wru_per_s": round(wru_per_s),
        "dynamodb_rru_per_s": round(rru_per_s),
        "dynamodb_new_table_headroom": round(
            q.ddb_new_table_wru / max(signal_table_wru, ledger_table_wru, sessions_table_wru, presence_table_wru), 3
        ),
        "dynamodb_table_wru_per_s": {
            "signal-states": round(signal_table_wru),
            "media-objects": round(ledger_table_wru),
            "sessions": round(sessions_table_wru),
            "presence": round(presence_table_wru),
        },
        "dynamodb_sessions_rru_per_s": round(sessions_table_rru),
        "index_shards": s.index_shards,
        "sfn_start_wave_s": round(candidates / q.sfn_start_refill_per_s, 1),
        "constraints": rows,
        "bottleneck": bottleneck["constraint"],
        "headroom": bottleneck["headroom"],
        "bottleneck_kind": bottleneck["kind"],
        "first_hard_limit": hard["constraint"] if hard else None,
        "first_hard_limit_headroom": hard["headroom"] if hard else None,
    }


def as_dict(model: Model) -> dict[str, Any]:
    return asdict(model)


def from_dict(data: dict[str, Any]) -> Model:
    """The model as_dict wrote (JSON turns tuples into lists; fields it lacks keep their defaults)."""
    storage = dict(data.get("storage") or {})
    for name in ("frame_reads", "frame_writes"):
        if name in storage:
            storage[name] = tuple((str(k), float(v)) for k, v in storage[name])
    parts = ("prices", "workload", "compute", "storage", "edge")
    extra = {k: v for k, v in data.items() if k not in parts}

    def known(cls: type, values: dict[str, Any] | None) -> dict[str, Any]:  # a field an older run saved and this
        names = set(cls.__dataclass_fields__)  # model no longer has (e.g. uploads_per_presign) is left out
        return {k: v for k, v in (values or {}).items() if k in names}

    return Model(
        Prices(**known(Prices, data.get("prices"))),
        Workload(**known(Workload, data.get("workload"))),
        Compute(**known(Compute, data.get("compute"))),
        Storage(**known(Storage, storage)),
        Edge(**known(Edge, data.get("edge"))),
        **extra,
    )
