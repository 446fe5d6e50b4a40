"""The composition root: lazy, cached getters that build each dependency once per process.

It sits above every context (core knows none of them) and is the only place that knows which implementation
each port gets. Services one function never uses are imported inside their getter, so the analyzer Lambda, which
shares this module with the API, never loads the exam catalog, password hashing or the token library.
"""

from __future__ import annotations

import functools
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from pynamodb.connection import Connection

from chalicelib.agencies.models import AgencyRecord, AuditRecord, StaffRecord
from chalicelib.billing.models import MeterRecord, PlanRecord, UsageRecord
from chalicelib.core.clock import SystemClock
from chalicelib.core.db import bind_models
from chalicelib.core.presigned import MediaKind, Presigner
from chalicelib.core.settings import Settings, load_settings
from chalicelib.exam.lifecycle import StepFunctionsLifecycle
from chalicelib.exam.models import AdmissionRecord, ExamRecord, PresenceRecord, QuestionRecord, SessionRecord
from chalicelib.exam.roster_models import RosterEntryRecord, RosterPartRecord
from chalicelib.exam.slots_models import SlotRecord
from chalicelib.identity.models import EnrollmentRecord, LoginAttemptRecord, UserRecord
from chalicelib.media.models import UploadFormRecord, UploadQuotaRecord
from chalicelib.media.uploads import MediaUploads
from chalicelib.proctor.models import SessionMessageRecord
from chalicelib.violations.models import MediaObjectRecord, SignalStatesRecord, ViolationRecord
from chalicelib.violations.recorder import ViolationRecorder

if TYPE_CHECKING:
    from chalicelib.agencies.directory import Agencies
    from chalicelib.agencies.privacy import CandidatePrivacy
    from chalicelib.agencies.staff import Staff
    from chalicelib.billing.metering import Metering
    from chalicelib.billing.plan_book import PlanBook
    from chalicelib.billing.reports import Reports
    from chalicelib.exam.catalog import ExamCatalog
    from chalicelib.exam.editor import ExamEditor
    from chalicelib.exam.progression import SessionProgression
    from chalicelib.exam.roster_import import RosterImport
    from chalicelib.exam.sessions import ExamSessions
    from chalicelib.exam.slots import SlotBook
    from chalicelib.identity.accounts import Accounts
    from chalicelib.identity.authentication import Authenticator
    from chalicelib.identity.enrollment import EnrollmentService
    from chalicelib.identity.erasure import BiometricErasure
    from chalicelib.identity.identity_check import IdentityChecker
    from chalicelib.identity.throttling import LoginThrottle
    from chalicelib.identity.tokens import TokenService
    from chalicelib.media.purge import MediaPurge
    from chalicelib.proctor.channel import ProctorChannel
    from chalicelib.violations.signal_tracker import SignalTracker

MODELS = (
    UserRecord,
    LoginAttemptRecord,
    EnrollmentRecord,
    ExamRecord,
    QuestionRecord,
    AdmissionRecord,
    SessionRecord,
    PresenceRecord,
    ViolationRecord,
    SignalStatesRecord,
    MediaObjectRecord,
    UploadFormRecord,
    UploadQuotaRecord,
    SessionMessageRecord,
    AgencyRecord,
    AuditRecord,
    StaffRecord,
    UsageRecord,
    PlanRecord,
    MeterRecord,
    RosterEntryRecord,
    RosterPartRecord,
    SlotRecord,
)


@cache
def settings() -> Settings:
    loaded = load_settings()
    bind_models(loaded, MODELS)
    return loaded


def _client(service: str, **config: Any) -> Any:
    current = settings()
    return boto3.client(
        service,
        region_name=current.region,
        endpoint_url=current.endpoint_url,
        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}, **config),
    )


@cache
def s3() -> Any:
    # Path-style addressing works with every S3-compatible endpoint, IPs included.
    return _client("s3", s3={"addressing_style": "path"}, signature_version="s3v4")


@cache
def sqs() -> Any:
    return _client("sqs")


@cache
def stepfunctions() -> Any:
    return _client("stepfunctions")


@cache
def clock() -> SystemClock:
    return SystemClock()


@cache
def tokens() -> TokenService:
    from chalicelib.identity.tokens import TokenService

    return TokenService(settings().jwt_secret, settings().token_ttl_s, settings().stage)


@cache
def authenticator() -> Authenticator:
    from chalicelib.agencies.directory import gate_of
    from chalicelib.identity.authentication import Authenticator

    settings()
    return Authenticator(tokens(), agency_lookup=gate_of)


@cache
def accounts() -> Accounts:
    from chalicelib.identity.accounts import Accounts

    settings()
    return Accounts(authenticator().forget)


@cache
def login_throttle() -> LoginThrottle:
    from chalicelib.identity.throttling import LoginThrottle

    settings()
    return LoginThrottle(clock())


@cache
def lifecycle() -> StepFunctionsLifecycle:
    return StepFunctionsLifecycle(stepfunctions(), settings().state_machine_arn, settings().review_timeout_s)


@cache
def exam_catalog() -> ExamCatalog:
    from chalicelib.exam.catalog import ExamCatalog

    settings()
    return ExamCatalog(clock())


@cache
def exam_editor() -> ExamEditor:
    from chalicelib.exam.editor import ExamEditor

    settings()
    return ExamEditor(clock())


@cache
def exam_sessions() -> ExamSessions:
    from chalicelib.exam import presence
    from chalicelib.exam.sessions import ExamSessions
    from chalicelib.violations.incidents import record_second_client
    from chalicelib.violations.silence import SilenceCheck

    settings()
    return ExamSessions(
        clock(),
        lifecycle(),
        on_second_client=functools.partial(record_second_client, recorder()),
        on_heartbeat=presence.noting_violations(SilenceCheck(recorder())),  # the answer's inbox.violations
    )


@cache
def progression() -> SessionProgression:
    from chalicelib.exam.progression import SessionProgression

    settings()
    return SessionProgression(clock(), lifecycle(), on_ended=metering().close)


@cache
def connection() -> Connection:
    """For transactions across tables (PynamoDB's TransactWrite takes a connection): the models' own one."""
    settings()
    return MODELS[0]._get_connection().connection


@cache
def recorder() -> ViolationRecorder:
    return ViolationRecorder(clock(), connection(), keep_as_evidence=_keep_as_evidence)


def _keep_as_evidence(evidence: Any) -> bool:
    """The recorder's port into media retention: the evidence's version is retagged retention=evidence."""
    from chalicelib.media.retention import keep_as_evidence

    return keep_as_evidence(s3(), evidence.bucket or settings().media_bucket, evidence.key, evidence.version_id)


@cache
def channel() -> ProctorChannel:
    from chalicelib.exam.control import SessionControl
    from chalicelib.proctor.channel import ProctorChannel

    settings()
    return ProctorChannel(clock(), SessionControl(clock(), lifecycle(), connection()))


@cache
def presigner() -> Presigner:
    current = settings()
    return Presigner(s3(), current.media_bucket, current.presign_expiry_s, clock())


@cache
def media_uploads() -> MediaUploads:
    from chalicelib.media.retention import TRANSIENT_TAG

    current = settings()
    transient = (TRANSIENT_TAG,)  # monitoring media are transient until the analyzer keeps them as evidence
    kinds = {
        "webcam": MediaKind("webcam", "image/jpeg", "jpg", current.max_frame_bytes, tags=transient),
        "audio": MediaKind("audio", "audio/wav", "wav", current.max_audio_bytes, tags=transient),
        "screen": MediaKind("screen", "image/jpeg", "jpg", current.max_frame_bytes, tags=transient),
    }
    return MediaUploads(presigner(), kinds, clock(), connection(), current.presign_expiry_s)


@cache
def face_engine(name: str) -> Any:
    """One engine per kind per process; the OpenCV models load here, once (cold start)."""
    if name == "rekognition":
        from chalicelib.identity.rekognition_engine import RekognitionFaceEngine

        return RekognitionFaceEngine(_client("rekognition"), settings().media_bucket)
    from chalicelib.identity.face_engine import OpenCvFaceEngine

    return OpenCvFaceEngine()


def face_engine_for(agency_id: str) -> Any:
    return face_engine(settings().engine_for(agency_id))


def _enqueue_identity_check(job: dict[str, str]) -> None:
    """Enrollment's port to the identity checker: one SQS message per queued check."""
    import json

    from chalicelib.core.settings import ConfigurationError

    queue_url = settings().identity_queue_url
    if not queue_url:
        raise ConfigurationError("PROCTOR_IDENTITY_QUEUE_URL is not set")
    sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps(job))


@cache
def enrollment() -> EnrollmentService:
    """The API's half of the identity check: no face engine, no image library (the checker decides)."""
    from chalicelib.identity.enrollment import EnrollmentService

    current = settings()
    return EnrollmentService(
        s3(),
        current.media_bucket,
        presigner(),
        clock(),
        current.max_photo_bytes,
        require_consent=exam_sessions().require_consent,
        enqueue=_enqueue_identity_check,
    )


@cache
def identity_checker() -> IdentityChecker:
    """The identity checker's half (functions/identity_checker/ only): loads OpenCV, numpy and ONNX Runtime."""
    from chalicelib.identity.identity_check import IdentityChecker

    return IdentityChecker(s3(), settings().media_bucket, face_engine_for, clock())


def _admitted_exams(candidate_id: str) -> list[str]:
    return [a.exam_id for a in AdmissionRecord.query(candidate_id, attributes_to_get=["exam_id"])]


def _forget_session_references(candidate_id: str, exam_ids: list[str]) -> int:
    """Erasure's port into the exam context: the face-template copies in the candidate's sessions go too."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.core.db import is_condition_failure
    from chalicelib.exam.sessions import session_id_for

    cleared = 0
    for exam_id in exam_ids:
        try:
            SessionRecord(session_id_for(exam_id, candidate_id)).update(
                actions=[
                    SessionRecord.reference_vector.remove(),
                    SessionRecord.reference_image_key.remove(),
                    SessionRecord.reference_regions.remove(),
                ],
                condition=SessionRecord.session_id.exists(),
            )
            cleared += 1
        except UpdateError as exc:  # no session for that exam
            if not is_condition_failure(exc):
                raise
    return cleared


@cache
def biometric_erasure() -> BiometricErasure:
    from chalicelib.identity.erasure import BiometricErasure

    current = settings()
    return BiometricErasure(s3(), current.media_bucket, clock(), _admitted_exams, _forget_session_references)


@cache
def signal_tracker() -> SignalTracker:
    from chalicelib.violations.signal_tracker import SignalTracker

    return SignalTracker(recorder())


def _exam_in_agency(exam_id: str, agency_id: str) -> bool:
    from pynamodb.exceptions import DoesNotExist

    try:
        return ExamRecord.get(exam_id, attributes_to_get=["agency_id"]).agency_id == agency_id
    except DoesNotExist:
        return False


def agency_may_log_in(agency_id: str) -> bool:
    from chalicelib.agencies.directory import may_log_in

    return may_log_in(agency_id)


@cache
def staff() -> Staff:
    from chalicelib.agencies.staff import Staff, unknown_exam_ids

    settings()
    return Staff(clock(), accounts(), unknown_exam_ids(_exam_in_agency))


@cache
def agencies() -> Agencies:
    from chalicelib.agencies.directory import Agencies

    settings()
    return Agencies(clock(), staff(), authenticator().forget_agency)


def _candidate_sessions(candidate_id: str) -> list[dict[str, Any]]:
    """Privacy's port into the exam and violations contexts: the candidate's sessions, results and violations."""
    from chalicelib.core.clock import iso
    from chalicelib.exam.sessions import session_id_for

    ids = [session_id_for(exam_id, candidate_id) for exam_id in _admitted_exams(candidate_id)]
    found = []
    for session in SessionRecord.batch_get(ids):
        violations = [
            {
                "violation_id": v.violation_id,
                "type": v.type,
                "severity": v.severity,
                "occurred_at": iso(v.occurred_at),
                "source": v.source,
                "evidence_key": v.evidence_key,
            }
            for v in ViolationRecord.query(session.session_id)
        ]
        found.append(
            {
                "session_id": session.session_id,
                "exam_id": session.exam_id,
                "status": session.status,
                "language": session.language,
                "started_at": iso(session.started_at),
                "submitted_at": iso(session.submitted_at) if session.submitted_at else None,
                "answers": session.answers.as_dict() if session.answers else {},
                "score": session.score.as_dict() if session.score else None,
                "verdict": session.verdict,
                "verdict_reason": session.verdict_reason,
                "violations": violations,
            }
        )
    return sorted(found, key=lambda s: s["started_at"])


def _candidate_admissions(candidate_id: str) -> list[dict[str, Any]]:
    from chalicelib.core.clock import iso

    return [
        {
            "exam_id": a.exam_id,
            "admitted_at": iso(a.admitted_at),
            "consent_at": iso(a.consent_at) if a.consent_at else None,
            "consent_version": a.consent_version,
            "consent_language": a.consent_language,
        }
        for a in AdmissionRecord.query(candidate_id)
    ]


def _rename_sessions(candidate_id: str, name: str) -> int:
    from chalicelib.exam.sessions import session_id_for

    renamed = 0
    for exam_id in _admitted_exams(candidate_id):
        session = SessionRecord(session_id_for(exam_id, candidate_id))
        try:
            session.update(actions=[SessionRecord.full_name.set(name)], condition=SessionRecord.session_id.exists())
            renamed += 1
        except Exception as exc:  # noqa: BLE001 - no session for that exam
            from chalicelib.core.db import is_condition_failure

            if not is_condition_failure(exc):
                raise
    return renamed


@cache
def candidate_privacy() -> CandidatePrivacy:
    from chalicelib.agencies.privacy import CandidatePrivacy, CandidateRecords

    current = settings()
    records = CandidateRecords(
        admissions=_candidate_admissions,
        sessions=_candidate_sessions,
        rename_sessions=_rename_sessions,
        erase_biometrics=lambda admin, login: biometric_erasure().erase(admin, login),
    )
    return CandidatePrivacy(s3(), current.media_bucket, clock(), accounts(), records)


@cache
def media_purge() -> MediaPurge:
    from chalicelib.media.purge import MediaPurge

    return MediaPurge(s3(), settings().media_bucket, clock())


@cache
def metering() -> Metering:
    """The lifecycle's hook for ended sessions: one usage record per session (chalicelib/billing/metering.py)."""
    from chalicelib.billing.metering import Metering

    return Metering(clock(), s3(), settings().media_bucket)


@cache
def plan_book() -> PlanBook:
    from chalicelib.billing.plan_book import PlanBook

    settings()
    return PlanBook(clock())


@cache
def billing_reports() -> Reports:
    from chalicelib.billing.reports import Reports

    return Reports(plan_book())


def billing_month() -> str:
    """The current month, YYYY-MM (UTC)."""
    return clock().now().strftime("%Y-%m")


def agency_exists(agency_id: str) -> bool:
    """Whether an agency of this code was created (its AgencyRecord)."""
    settings()
    return AgencyRecord.find(agency_id) is not None


def agency_name(agency_id: str, language: str) -> str:
    """The name printed on statements: the agency's name in the language, else its code."""
    settings()
    record = AgencyRecord.find(agency_id)
    names = record.name.as_dict() if record is not None and hasattr(record.name, "as_dict") else None
    return (names or {}).get(language) or agency_id


def reset() -> None:
    """Forget every cached dependency (tests that change the environment call this)."""
    boto3.DEFAULT_SESSION = None  # it caches credentials and region resolved from the old environment
    for getter in (
        settings,
        s3,
        sqs,
        stepfunctions,
        clock,
        tokens,
        authenticator,
        accounts,
        login_throttle,
        lifecycle,
        exam_catalog,
        exam_editor,
        exam_sessions,
        progression,
        connection,
        recorder,
        channel,
        presigner,
        media_uploads,
        face_engine,
        enrollment,
        identity_checker,
        biometric_erasure,
        signal_tracker,
        staff,
        agencies,
        candidate_privacy,
        media_purge,
        metering,
        plan_book,
        billing_reports,
    ):
        getter.cache_clear()


@cache
def roster_import() -> RosterImport:
    from chalicelib.exam.roster_import import RosterImport
    from chalicelib.identity.bulk_accounts import password_key

    current = settings()
    return RosterImport(clock(), connection(), password_key(current.jwt_secret))


@cache
def slot_book() -> SlotBook:
    from chalicelib.exam.slots import SlotBook

    settings()
    return SlotBook(clock(), connection())
