"""Retention tiers of monitoring media (issue #13): what a proctor needs for review and appeal is kept for the agency's
retention, everything else for a week.

Every webcam frame, audio chunk and screen snapshot the browser uploads carries the tag `retention=transient`: it is
a field of the upload form's POST policy (chalicelib/core/presigned.py writes it for every kind built with
TRANSIENT_TAG, chalicelib/wiring.py builds the monitoring kinds so), so S3 stores the tag with the object and no
extra request is made. The bucket's lifecycle rule `expire-transient-sessions` (infra/template.py) expires such
objects after TransientMediaRetentionDays (7).

An object that becomes a violation's evidence is retagged `retention=evidence` on exactly the analysed version
(`keep_as_evidence`: PutObjectTagging with its VersionId, which writes the version's tag set and never creates a new
version). The transient rule then no longer matches it; only the rule that covers every object under `sessions/`
(MediaRetentionDays) and the per-agency purge (chalicelib/media/purge.py) end it. The violation recorder retags
BEFORE it writes the violation (chalicelib/violations/recorder.py): a retag that fails raises, nothing is recorded,
SQS delivers the object again and the retag is retried, so no violation ever points at evidence that will expire
as transient.

Enrollment photos (`enrollment/`) and system-check probes (`probes/`) are never tagged: they have rules of their own.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.presigned import tagging_xml

TRANSIENT_TAG = ("retention", "transient")  # monitoring media that raised nothing: expires after a week
EVIDENCE_TAG = ("retention", "evidence")  # a violation's evidence: kept for the agency's retention
TRANSIENT_TAGGING_XML = tagging_xml((TRANSIENT_TAG,))  # the POST form field `tagging` S3 expects


def keep_as_evidence(s3_client: Any, bucket: str, key: str, version_id: str | None) -> bool:
    """Tag exactly this version of the object `retention=evidence` (replacing `transient`); True once it is tagged.
    Idempotent: the same tag set written again changes nothing. Without a version id (an endpoint that keeps no
    versions) the current object is tagged.

    False when no object exists under the key at all (NoSuchKey: every version was deleted, by a candidate's deletion
    or the retention purge, between the analysis and the retag): there is nothing left that a lifecycle rule could
    expire early. Every other failure raises botocore's ClientError — the version is gone while the key is there
    (NoSuchVersion), the caller may not tag (AccessDenied), throttling, a server error — so the caller writes nothing
    and tries again."""
    request: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "Tagging": {"TagSet": [{"Key": EVIDENCE_TAG[0], "Value": EVIDENCE_TAG[1]}]},
    }
    if version_id:
        request["VersionId"] = version_id
    try:
        s3_client.put_object_tagging(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchKey":
            return False
        raise
    return True


def retention_tag(s3_client: Any, bucket: str, key: str, version_id: str | None = None) -> str | None:
    """The value of the object version's `retention` tag, None when it has none (tests and operators' checks)."""
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    tags = s3_client.get_object_tagging(**request).get("TagSet", [])
    return next((tag["Value"] for tag in tags if tag["Key"] == TRANSIENT_TAG[0]), None)
