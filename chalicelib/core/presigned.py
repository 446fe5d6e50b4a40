"""Presigned S3 forms and links: the browser uploads and the proctor views media without the API in the path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from chalicelib.core.clock import Clock


@dataclass(frozen=True)
class MediaKind:
    name: str
    content_type: str
    extension: str
    max_bytes: int
    # Tags S3 stores with every object uploaded through the kind's forms (a `tagging` form field the policy fixes),
    # e.g. the retention tier of monitoring media (chalicelib/media/retention.py); none for enrollment photos.
    tags: tuple[tuple[str, str], ...] = ()


def tagging_xml(tags: tuple[tuple[str, str], ...]) -> str:
    """The value of a POST form's `tagging` field: S3's XML tag set, in the given order."""
    inner = "".join(f"<Tag><Key>{escape(key)}</Key><Value>{escape(value)}</Value></Tag>" for key, value in tags)
    return f"<Tagging><TagSet>{inner}</TagSet></Tagging>"


def form_fields(kind: MediaKind) -> tuple[dict[str, str], list[Any]]:
    """The fields every form of this kind carries and the policy conditions that fix them: the content type, the
    size range and, for a kind with tags, the `tagging` field (S3 refuses the upload if it is missing or differs, and
    then checks that the form's signer may s3:PutObjectTagging)."""
    fields = {"Content-Type": kind.content_type}
    conditions: list[Any] = [{"Content-Type": kind.content_type}, ["content-length-range", 1, kind.max_bytes]]
    if kind.tags:
        fields["tagging"] = tagging_xml(kind.tags)
        conditions.append({"tagging": fields["tagging"]})
    return fields, conditions


class Presigner:
    def __init__(self, s3: Any, bucket: str, expiry_s: int, clock: Clock) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._expiry_s = expiry_s
        self._clock = clock

    def post_policy(self, prefix: str, kind: MediaKind) -> dict[str, Any]:
        """A POST policy for one new object under prefix: fixed key, content type, a size range and the kind's tags
        (S3 enforces)."""
        key = f"{prefix}/{kind.name}/{object_name(self._clock.now(), kind)}"
        fields, conditions = form_fields(kind)
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=self._expiry_s,
        )
        return {
            "url": post["url"],
            "fields": post["fields"],
            "key": key,
            "content_type": kind.content_type,
            "max_bytes": kind.max_bytes,
            "expires_in_s": self._expiry_s,
        }

    def prefix_policy(self, prefix: str, kind: MediaKind, expires_at: datetime) -> dict[str, Any]:
        """A POST policy for any number of objects under a key prefix (`starts-with $key`), valid until expires_at
        (S3 enforces prefix, content type, size range and expiry; it cannot count objects: the analyzer does).

        The answer's `key` and `fields.key` suggest one fresh name under the prefix; a client that reuses the form
        sets `fields.key` to `key_prefix` + a name of its own for each upload."""
        now = self._clock.now()
        # botocore writes the policy's expiration as now + ExpiresIn, in whole seconds: aim at the absolute time, so
        # every answer for the same form names the same expiration.
        expires_in = max(1.0, (expires_at - now).total_seconds() + 0.5)
        fields, conditions = form_fields(kind)  # with the kind's tags: monitoring media are tagged retention=transient
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=prefix + "${filename}",  # botocore turns this into the condition ["starts-with", "$key", prefix]
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        key = prefix + object_name(now, kind)
        return {
            "url": post["url"],
            "fields": {**post["fields"], "key": key},
            "key": key,
            "key_prefix": prefix,
            "content_type": kind.content_type,
            "max_bytes": kind.max_bytes,
            "expires_in_s": int((expires_at - now).total_seconds()),
        }

    def download_url(self, key: str, version_id: str | None = None) -> str:
        """A short-lived GET link to one object (evidence, enrollment photos); with a version id, to exactly that
        version, so a later upload under the same key never changes what the link shows."""
        params = {"Bucket": self._bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=self._expiry_s)


def object_name(at: datetime, kind: MediaKind) -> str:
    """A fresh object name: the time (to the millisecond) and 12 random hex digits."""
    stamp = at.strftime("%Y%m%dT%H%M%S") + f"{at.microsecond // 1000:03d}Z"
    return f"{stamp}-{uuid.uuid4().hex[:12]}.{kind.extension}"
