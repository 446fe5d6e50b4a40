"""Retention tiers in process: the upload form's tagging field and policy condition, the evidence retag's request,
and the recorder's order (retag first, nothing written when it fails). Against the real endpoint:
tests/functional/test_retention_tiers.py."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import wiring
from chalicelib.agencies.models import DEFAULT_RETENTION_DAYS
from chalicelib.core import observability
from chalicelib.core.presigned import MediaKind, Presigner, form_fields, tagging_xml
from chalicelib.core.settings import ConfigurationError
from chalicelib.media.retention import EVIDENCE_TAG, TRANSIENT_TAG, TRANSIENT_TAGGING_XML, keep_as_evidence
from chalicelib.violations.recorder import Evidence, Violation, ViolationRecorder
from infra import definitions

NOW = datetime(2026, 11, 29, 21, 0, 5, tzinfo=UTC)
XML = "<Tagging><TagSet><Tag><Key>retention</Key><Value>transient</Value></Tag></TagSet></Tagging>"
WEBCAM = MediaKind("webcam", "image/jpeg", "jpg", 1000, tags=(TRANSIENT_TAG,))
SELFIE = MediaKind("selfie", "image/jpeg", "jpg", 1000)
ENV = {
    "PROCTOR_JWT_SECRET": "k" * 32,
    "PROCTOR_MEDIA_BUCKET": "media",
    "PROCTOR_MEDIA_QUEUE_URL": "media-queue",
    "PROCTOR_LIFECYCLE_QUEUE_URL": "lifecycle-queue",
    "PROCTOR_STATE_MACHINE_ARN": "arn:state-machine",
    "PROCTOR_STAGE": "unit",
}


class FixedClock:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
def environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENV.items():
            patch.setenv(name, value)
        wiring.reset()
        yield
    wiring.reset()
    with contextlib.suppress(ConfigurationError):
        wiring.settings()  # bind the models to the restored environment again


def presigner() -> Presigner:
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y", endpoint_url="http://s3.test"
    )
    return Presigner(s3, "media", 300, FixedClock())


def conditions(post: dict[str, Any]) -> list[Any]:
    return json.loads(base64.b64decode(post["fields"]["policy"]))["conditions"]


def test_the_tiers_are_the_names_the_lifecycle_rule_and_the_iam_conditions_use():
    assert TRANSIENT_TAG == ("retention", "transient") and EVIDENCE_TAG == ("retention", "evidence")
    assert TRANSIENT_TAG == (definitions.RETENTION_TAG, definitions.TRANSIENT_TAG_VALUE)
    assert EVIDENCE_TAG == (definitions.RETENTION_TAG, definitions.EVIDENCE_TAG_VALUE)
    assert TRANSIENT_TAGGING_XML == XML == tagging_xml((TRANSIENT_TAG,))


def test_a_transient_tier_never_outlives_the_shortest_retention_an_agency_may_choose():
    assert definitions.TRANSIENT_MEDIA_RETENTION_DAYS <= DEFAULT_RETENTION_DAYS == definitions.MEDIA_RETENTION_DAYS


def test_tag_values_are_escaped_in_the_xml():
    assert tagging_xml((("a&b", "<x>"),)) == (
        "<Tagging><TagSet><Tag><Key>a&amp;b</Key><Value>&lt;x&gt;</Value></Tag></TagSet></Tagging>"
    )


def test_a_monitoring_prefix_form_carries_the_tagging_field_and_its_policy_condition():
    post = presigner().prefix_policy("sessions/s/webcam/w-n/", WEBCAM, NOW + timedelta(seconds=75))
    assert post["fields"]["tagging"] == XML
    assert {"tagging": XML} in conditions(post)
    assert ["starts-with", "$key", "sessions/s/webcam/w-n/"] in conditions(post)
    assert {"Content-Type": "image/jpeg"} in conditions(post)


def test_a_single_object_form_of_a_tagged_kind_is_tagged_too():
    post = presigner().post_policy("sessions/s", WEBCAM)
    assert post["fields"]["tagging"] == XML and {"tagging": XML} in conditions(post)


def test_an_untagged_kind_has_neither_the_field_nor_a_tagging_condition():
    post = presigner().post_policy("enrollment/c", SELFIE)
    assert "tagging" not in post["fields"]
    assert not [c for c in conditions(post) if isinstance(c, dict) and "tagging" in c]
    assert form_fields(SELFIE) == (
        {"Content-Type": "image/jpeg"},
        [{"Content-Type": "image/jpeg"}, ["content-length-range", 1, 1000]],
    )


def test_the_wiring_tags_the_monitoring_kinds_and_gives_the_recorder_its_retag(environment):
    kinds = wiring.media_uploads().kinds
    assert {name: kind.tags for name, kind in kinds.items()} == {
        "webcam": (TRANSIENT_TAG,),
        "audio": (TRANSIENT_TAG,),
        "screen": (TRANSIENT_TAG,),
    }
    assert wiring.recorder().keep_as_evidence is not None


class StubS3:
    def __init__(self, error: str | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self._error = error

    def put_object_tagging(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        if self._error:
            raise ClientError({"Error": {"Code": self._error, "Message": self._error}}, "PutObjectTagging")
        return {}


def test_keep_as_evidence_tags_exactly_the_version():
    s3 = StubS3()
    assert keep_as_evidence(s3, "media", "sessions/s/webcam/f.jpg", "v1") is True
    assert s3.calls == [
        {
            "Bucket": "media",
            "Key": "sessions/s/webcam/f.jpg",
            "VersionId": "v1",
            "Tagging": {"TagSet": [{"Key": "retention", "Value": "evidence"}]},
        }
    ]


def test_keep_as_evidence_raises_unless_the_key_is_gone_altogether():
    assert keep_as_evidence(StubS3("NoSuchKey"), "media", "k", "v1") is False
    for code in ("NoSuchVersion", "AccessDenied", "SlowDown", "InternalError"):
        with pytest.raises(ClientError):
            keep_as_evidence(StubS3(code), "media", "k", "v1")


class Untouchable:
    """A connection that fails the test if anything reaches DynamoDB through it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"DynamoDB was used ({name}) although the retag failed")


def failing_retag(evidence: Evidence) -> bool:
    raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObjectTagging")


def violation(evidence: Evidence | None) -> Violation:
    return Violation("s1", "v1", "multiple_faces", "high", "analyzer", NOW, evidence=evidence)


def test_the_recorder_retags_before_it_writes_and_writes_nothing_when_the_retag_fails(monkeypatch):
    from pynamodb.transactions import TransactWrite

    def no_transaction(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a transaction started although the retag failed")

    monkeypatch.setattr(TransactWrite, "__init__", no_transaction)
    recorder = ViolationRecorder(FixedClock(), Untouchable(), keep_as_evidence=failing_retag)
    with pytest.raises(ClientError):
        recorder.record("a1", violation(Evidence("sessions/s1/webcam/f.jpg", "v1", "0" * 64)))
    with pytest.raises(ClientError):
        recorder.extend(
            "s1",
            "v1",
            ended_at=NOW,
            peak_score=0.9,
            frames=2,
            still_open=True,
            evidence=Evidence("sessions/s1/webcam/g.jpg", "v2", "1" * 64),
        )


def test_the_recorder_counts_and_logs_each_retag(capsys):
    kept: list[Evidence] = []
    recorder = ViolationRecorder(FixedClock(), Untouchable(), keep_as_evidence=lambda e: kept.append(e) or True)
    evidence = Evidence("sessions/s1/webcam/f.jpg", "v1", "0" * 64)
    recorder._keep("v1", evidence)
    recorder._keep("v1", None)  # no evidence: no retag
    assert kept == [evidence]
    observability.metrics(observability.ANALYZER).publish()
    out = capsys.readouterr().out
    assert "evidence kept" in out and '"EvidenceRetags"' in out
