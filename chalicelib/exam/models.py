"""Exams, question banks, admissions (roster + consent) and exam sessions in DynamoDB."""

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class ExamsByAgency(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_agency"
        projection = AllProjection()

    agency_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class ExamRecord(Model):
    TABLE_SUFFIX = "exams"

    class Meta:
        table_name = "exams"

    exam_id = UnicodeAttribute(hash_key=True)
    agency_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    title = MapAttribute()  # {"kk": ..., "ru": ..., "en": ...}
    languages = ListAttribute(of=UnicodeAttribute)
    duration_s = NumberAttribute()
    blocks = ListAttribute()  # [{"block_id", "title": {lang: text}, "item_count"}]
    opens_at = UTCDateTimeAttribute()
    closes_at = UTCDateTimeAttribute()
    bank_size = NumberAttribute(default=0)
    require_identity = BooleanAttribute(default=True)
    analysis = MapAttribute(default=dict)  # AnalysisPolicy overrides
    bank_version = UnicodeAttribute(null=True)  # the live bank: an import stages a new version, then moves this
    by_agency = ExamsByAgency()


class QuestionRecord(Model):
    """One item of one bank version. Versions are immutable: a session serves and scores the version it drew from."""

    TABLE_SUFFIX = "questions"

    class Meta:
        table_name = "questions"

    exam_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)  # "<bank_version>#<item_id>"
    bank_version = UnicodeAttribute()
    item_id = UnicodeAttribute()  # the author's id
    block_id = UnicodeAttribute()
    text = MapAttribute()  # {lang: text}
    options = ListAttribute()  # [{"option_id", "text": {lang: text}}]: the author's option ids
    correct_option = UnicodeAttribute()

    @staticmethod
    def key(bank_version: str, item_id: str) -> str:
        return f"{bank_version}#{item_id}"


class AdmissionsByExam(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_exam"
        projection = AllProjection()

    exam_id = UnicodeAttribute(hash_key=True)
    candidate_id = UnicodeAttribute(range_key=True)


class AdmissionRecord(Model):
    TABLE_SUFFIX = "admissions"

    class Meta:
        table_name = "admissions"

    candidate_id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute(range_key=True)
    agency_id = UnicodeAttribute()
    admitted_at = UTCDateTimeAttribute()
    consent_at = UTCDateTimeAttribute(null=True)
    consent_version = UnicodeAttribute(null=True)
    consent_language = UnicodeAttribute(null=True)
    by_exam = AdmissionsByExam()


class SessionsByExamStatus(GlobalSecondaryIndex):
    """The proctor's list per exam and status (session_index.py); the key changes only with the status. Keys only:
    no other update of the session reaches the index; the lists batch-get the items of their page."""

    class Meta:
        index_name = "by_exam_status"
        projection = KeysOnlyProjection()

    exam_status = UnicodeAttribute(hash_key=True)  # "<exam_id>#<status>#<shard>"
    started_at = UTCDateTimeAttribute(range_key=True)


class SessionsByAgencyStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_agency_status"
        projection = KeysOnlyProjection()

    agency_status = UnicodeAttribute(hash_key=True)  # "<agency_id>#<status>#<shard>"
    started_at = UTCDateTimeAttribute(range_key=True)


class SessionRecord(Model):
    TABLE_SUFFIX = "sessions"

    class Meta:
        table_name = "sessions"

    session_id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute()
    candidate_id = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    status = UnicodeAttribute()
    language = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    deadline_at = UTCDateTimeAttribute()
    submitted_at = UTCDateTimeAttribute(null=True)
    auto_submitted = BooleanAttribute(default=False)
    # [{"item_id", "block_id", "option_ids": [author's ids], "choice_ids": [the candidate's opaque ids]}], both
    # lists in the order shown; answers hold choice ids. bank_version names the bank the items were drawn from.
    items = ListAttribute()
    bank_version = UnicodeAttribute(null=True)
    answers = MapAttribute(default=dict)  # {item_id: choice_id}
    answers_rev = NumberAttribute(default=0)  # bumped by every answer save; submit scores a stable revision
    score = MapAttribute(null=True)  # {"correct", "total", "percent"}
    violation_counts = MapAttribute(default=dict)  # {violation_type: n}
    risk_score = NumberAttribute(default=0)
    analysis = MapAttribute(default=dict)  # the exam's AnalysisPolicy, frozen at start
    reference_engine = UnicodeAttribute(null=True)  # the enrollment's face template, copied at start
    reference_vector = BinaryAttribute(null=True, legacy_encoding=False)
    reference_image_key = UnicodeAttribute(null=True)
    reference_regions = BinaryAttribute(null=True, legacy_encoding=False)
    baseline_yaw = NumberAttribute(null=True)
    baseline_pitch = NumberAttribute(null=True)
    # Never written any more: presence (heartbeats, last seen, the holding tab) lives in PresenceRecord. Set in
    # memory from it when a second client is refused, for the violations context's record of who held the session.
    client_id = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    submit_token = UnicodeAttribute(null=True)  # Step Functions task token of the in-progress wait
    review_token = UnicodeAttribute(null=True)  # task token of the awaiting-review wait
    verdict = UnicodeAttribute(null=True)
    verdict_reason = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    reviewed_at = UTCDateTimeAttribute(null=True)
    full_name = UnicodeAttribute(null=True)  # the candidate's, copied at start for the proctor's grid
    control_rev = NumberAttribute(default=0)  # bumped by every proctor action: two proctors cannot cross
    paused_at = UTCDateTimeAttribute(null=True)  # set while a proctor holds the session; the timer is frozen
    paused_total_s = NumberAttribute(default=0)  # the deadline has moved by this much
    terminated_at = UTCDateTimeAttribute(null=True)
    terminated_by = UnicodeAttribute(null=True)
    termination_reason = UnicodeAttribute(null=True)
    last_candidate_message_at = UTCDateTimeAttribute(null=True)  # the console marks unread chat from it
    last_screen_key = UnicodeAttribute(null=True)  # the newest screen snapshot, for the proctor's view
    exam_status = UnicodeAttribute(null=True)  # written with every status change (session_index.status_actions)
    agency_status = UnicodeAttribute(null=True)
    by_exam_status = SessionsByExamStatus()
    by_agency_status = SessionsByAgencyStatus()


class PresenceRecord(Model):
    """A session's heartbeat: the tab or device holding it and when the page was last seen (presence.py).

    Its own ~100-byte item, so a heartbeat (every 20 s, 5 s while a proctor watches) writes 1 WRU to a partition of
    its own (spread by session id) instead of rewriting the 3 KB session item."""

    TABLE_SUFFIX = "presence"

    class Meta:
        table_name = "presence"

    session_id = UnicodeAttribute(hash_key=True)
    last_seen_at = UTCDateTimeAttribute()
    client_id = UnicodeAttribute(null=True)  # the tab/device holding the session
    client_seen_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # kept as long as the session's media (30 days after the last beat)
