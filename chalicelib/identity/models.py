"""Accounts: candidates, proctors and agency admins, each bound to one agency (tenant)."""

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
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.identity.logins import login_of

ROLES = ("candidate", "proctor", "admin", "operator")
PHOTO_KINDS = ("selfie", "id_document")  # the two photos of the identity check


class UserRecord(Model):
    TABLE_SUFFIX = "users"

    class Meta:
        table_name = "users"

    user_id = UnicodeAttribute(hash_key=True)  # the account id: `<agency>~<login>` (identity/logins.py)
    agency_id = UnicodeAttribute()
    login = UnicodeAttribute(null=True)  # as the agency issued it, lower-cased (also the id's second part)
    role = UnicodeAttribute()
    full_name = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    token_version = NumberAttribute(default=0)  # carried by every token; bumped by logout and disable
    disabled = BooleanAttribute(default=False)
    exam_ids = ListAttribute(of=UnicodeAttribute, null=True)  # a proctor limited to these exams; None/empty: all
    erased_at = UTCDateTimeAttribute(null=True)  # a candidate whose personal data was deleted on request

    @property
    def current_token_version(self) -> int:
        return int(self.token_version or 0)

    @classmethod
    def find(cls, user_id: str) -> "UserRecord | None":
        try:
            return cls.get(user_id)
        except DoesNotExist:
            return None

    @property
    def login_name(self) -> str:
        """The login people type and see (stored, or read from the account id)."""
        return self.login or login_of(self.user_id)


class LoginAttemptRecord(Model):
    """Failed logins of one account or one client (`account#<agency>~<login>`, `client#<ip>`): a throttle counter."""

    TABLE_SUFFIX = "login-attempts"

    class Meta:
        table_name = "login-attempts"

    attempt_key = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)  # since the last lockout (or since the counter started)
    lockouts = NumberAttribute(default=0)  # lockouts so far; each lasts longer, up to the cap
    locked_until = NumberAttribute(null=True)  # epoch seconds
    expires_at = TTLAttribute()  # the counter is forgotten this long after its last failure


class EnrollmentsByExam(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_exam"
        projection = AllProjection()

    exam_id = UnicodeAttribute(hash_key=True)
    candidate_id = UnicodeAttribute(range_key=True)


class EnrollmentRecord(Model):
    """A candidate's identity check for one exam: photos, decision with scores, reference template, pose baseline."""

    TABLE_SUFFIX = "enrollments"

    class Meta:
        table_name = "enrollments"

    candidate_id = UnicodeAttribute(hash_key=True)
    exam_id = UnicodeAttribute(range_key=True)
    agency_id = UnicodeAttribute()
    status = UnicodeAttribute()  # pending (queued for the identity checker) | approved | rejected | overridden
    reasons = ListAttribute(of=UnicodeAttribute, default=list)
    scores = MapAttribute(default=dict)  # similarity, per-photo quality measurements
    selfie_key = UnicodeAttribute()
    document_key = UnicodeAttribute()
    engine = UnicodeAttribute(null=True)
    template_vector = BinaryAttribute(null=True, legacy_encoding=False)
    template_image_key = UnicodeAttribute(null=True)
    template_regions = BinaryAttribute(null=True, legacy_encoding=False)  # upper/lower-face embeddings (opencv)
    baseline_yaw = NumberAttribute(null=True)
    baseline_pitch = NumberAttribute(null=True)
    attempts = NumberAttribute(default=0)
    decided_at = UTCDateTimeAttribute(null=True)  # None while pending
    requested_at = UTCDateTimeAttribute(null=True)  # when the candidate asked for this check
    job_id = UnicodeAttribute(null=True)  # the queued check: only the job with this id may write its decision
    override_by = UnicodeAttribute(null=True)
    override_reason = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # biometric: expires with the photos
    by_exam = EnrollmentsByExam()

    @classmethod
    def find(cls, candidate_id: str, exam_id: str) -> "EnrollmentRecord | None":
        try:
            return cls.get(candidate_id, exam_id)
        except DoesNotExist:
            return None

    @property
    def lets_candidate_start(self) -> bool:
        """A check that lets the candidate start: passed, or overridden by a proctor."""
        return self.status in ("approved", "overridden")
