"""The one list of resources: tables, bucket, queues and state machine, named per stage.

The local stack (infra/provision.py) creates exactly these; the deployable template is generated from them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
MEDIA_PREFIX = "sessions/"  # monitoring uploads; notifications go to the analyzer
ENROLLMENT_PREFIX = "enrollment/"  # identity-check photos: the API checks headers, the identity checker reads them
PROBE_PREFIX = "probes/"  # system-check upload-speed probes; analysed by nobody
MEDIA_RETENTION_DAYS = 30
# Retention tiers (issue #13, chalicelib/media/retention.py): monitoring media the browser
# uploads carries the tag retention=transient (a field of its upload form's POST policy) and expires after
# TransientMediaRetentionDays; the analyzer retags a frame that opened or grew a violation retention=evidence
# (PutObjectTagging on that version), so only the MediaRetentionDays rule, which covers every object under the
# prefix, applies to it. An object without the tag keeps the longer retention: the rule is safe before the form and
# the analyzer tag anything.
RETENTION_TAG = "retention"
TRANSIENT_TAG_VALUE = "transient"
EVIDENCE_TAG_VALUE = "evidence"
TRANSIENT_MEDIA_RETENTION_DAYS = 7
PROBE_RETENTION_DAYS = 1
NONCURRENT_VERSION_DAYS = 1  # a replaced or deleted version of evidence is kept one day, then erased


@dataclass(frozen=True)
class Index:
    """A secondary index. projection: ALL, KEYS_ONLY, or INCLUDE with `include` naming the extra attributes.

    An index copies an item only when a key or a projected attribute changes, so KEYS_ONLY/INCLUDE of attributes
    that rarely change keep frequent updates (answers, counters) out of the index's partitions."""

    name: str
    hash_key: str
    range_key: str | None = None
    projection: str = "ALL"
    include: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.projection not in ("ALL", "KEYS_ONLY", "INCLUDE"):
            raise ValueError(f"unknown projection {self.projection!r}")
        if bool(self.include) != (self.projection == "INCLUDE"):
            raise ValueError("include names attributes exactly when the projection is INCLUDE")


@dataclass(frozen=True)
class Table:
    suffix: str
    hash_key: str
    range_key: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # key attribute -> S | N
    global_indexes: tuple[Index, ...] = ()
    local_indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class Queue:
    suffix: str
    visibility_timeout_s: int
    max_receive_count: int = 3  # then the message moves to the queue's dead-letter queue


TABLES = (
    Table("users", "user_id", attributes={"user_id": "S"}),
    Table("login-attempts", "attempt_key", attributes={"attempt_key": "S"}, ttl_attribute="expires_at"),
    Table(
        "exams",
        "exam_id",
        attributes={"exam_id": "S", "agency_id": "S", "created_at": "S"},
        global_indexes=(Index("by_agency", "agency_id", "created_at"),),
    ),
    # item_key = "<bank_version>#<item_id>": an import stages a whole new version, sessions keep theirs
    Table("questions", "exam_id", "item_key", attributes={"exam_id": "S", "item_key": "S"}),
    Table(
        "admissions",
        "candidate_id",
        "exam_id",
        attributes={"candidate_id": "S", "exam_id": "S"},
        global_indexes=(Index("by_exam", "exam_id", "candidate_id"),),
    ),
    Table(
        "sessions",
        "session_id",
        attributes={"session_id": "S", "started_at": "S", "exam_status": "S", "agency_status": "S"},
        global_indexes=(
            # the proctor's lists per exam and status, and per agency and status ("<id>#<status>#<shard>", newest
            # first per shard: chalicelib/exam/session_index.py). Keys only: answers, counters and proctor actions
            # never reach an index partition; the lists batch-get the page's items.
            Index("by_exam_status", "exam_status", "started_at", projection="KEYS_ONLY"),
            Index("by_agency_status", "agency_status", "started_at", projection="KEYS_ONLY"),
        ),
    ),
    # heartbeats and last-seen (chalicelib/exam/presence.py): a small item per session, so a heartbeat writes
    # ~175 bytes and no index instead of the session item and its index copies
    Table("presence", "session_id", attributes={"session_id": "S"}, ttl_attribute="expires_at"),
    Table(
        "violations",
        "session_id",
        "violation_id",
        attributes={"session_id": "S", "violation_id": "S", "occurred_at": "S"},
        local_indexes=(Index("by_time", "session_id", "occurred_at"),),
    ),
    Table("signal-states", "session_id", attributes={"session_id": "S"}),
    Table(
        "enrollments",
        "candidate_id",
        "exam_id",
        attributes={"candidate_id": "S", "exam_id": "S"},
        global_indexes=(Index("by_exam", "exam_id", "candidate_id"),),
        ttl_attribute="expires_at",  # face embeddings expire with the photos they came from
    ),
    Table("session-messages", "session_id", "message_id", attributes={"session_id": "S", "message_id": "S"}),
    Table("media-objects", "object_id", attributes={"object_id": "S"}, ttl_attribute="expires_at"),
    # agencies (chalicelib/agencies/): the tenants, their status and retention; and their audit log, newest last
    Table("agencies", "agency_id", attributes={"agency_id": "S"}),
    Table("audit", "agency_id", "entry_key", attributes={"agency_id": "S", "entry_key": "S"}),
    Table("staff", "agency_id", "login", attributes={"agency_id": "S", "login": "S"}),
    # billing (chalicelib/billing/models.py): one usage item per ended session, written once; an agency's month and
    # every agency's month are index queries
    Table(
        "usage",
        "session_id",
        attributes={"session_id": "S", "agency_month": "S", "exam_id": "S", "month": "S", "agency_id": "S"},
        global_indexes=(
            Index("by_agency_month", "agency_month", "exam_id"),
            Index("by_month", "month", "agency_id"),
        ),
    ),
    Table("plans", "agency_id", "effective_month", attributes={"agency_id": "S", "effective_month": "S"}),
    Table("meters", "session_id", attributes={"session_id": "S"}, ttl_attribute="expires_at"),
    # roster at scale (chalicelib/exam/roster_*.py): language and booked slot per admission; one record per imported
    # part of a batch (a re-sent part answers from it), forgotten after 7 days
    Table("roster-entries", "candidate_id", "exam_id", attributes={"candidate_id": "S", "exam_id": "S"}),
    Table(
        "roster-imports", "import_key", "part", attributes={"import_key": "S", "part": "N"}, ttl_attribute="expires_at"
    ),
    Table("slots", "exam_id", "slot_id", attributes={"exam_id": "S", "slot_id": "S"}),
)

# Visibility must exceed the consumer's timeout (6x the Lambda timeout is AWS's advice for SQS sources).
MEDIA_QUEUE = Queue("media", visibility_timeout_s=180)
LIFECYCLE_QUEUE = Queue("lifecycle", visibility_timeout_s=180)
# Identity-check jobs (API -> identity_checker Lambda, timeout 30 s): visibility 6x that.
IDENTITY_QUEUE = Queue("identity", visibility_timeout_s=180)
QUEUES = (MEDIA_QUEUE, LIFECYCLE_QUEUE, IDENTITY_QUEUE)

STATE_MACHINE_SUFFIX = "session-lifecycle"
STATE_MACHINE_FILE = INFRA_DIR / "session_lifecycle.asl.json"


@dataclass(frozen=True)
class StackNames:
    """Physical names for one stage: proctor-<stage>-<suffix>."""

    stage: str

    @property
    def prefix(self) -> str:
        return f"proctor-{self.stage}-"

    def table(self, table: Table) -> str:
        return self.prefix + table.suffix

    def queue(self, queue: Queue) -> str:
        return self.prefix + queue.suffix

    def dead_letter_queue(self, queue: Queue) -> str:
        return self.prefix + queue.suffix + "-dlq"

    @property
    def media_bucket(self) -> str:
        return self.prefix + "media"

    @property
    def state_machine(self) -> str:
        return self.prefix + STATE_MACHINE_SUFFIX


def state_machine_definition(lifecycle_queue_url: str) -> str:
    return STATE_MACHINE_FILE.read_text().replace("${LifecycleQueueUrl}", lifecycle_queue_url)
