"""Presigned S3 forms and links: the browser uploads and the proctor views media without the API in the path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.core.clock import Clock


@dataclass(frozen=True)
class MediaKind:
    name: str
    content_type: str
    extension: str
    max_bytes: int


class Presigner:
    def __init__(self, s3: Any, bucket: str, expiry_s: int, clock: Clock) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._expiry_s = expiry_s
        self._clock = clock

    def post_policy(self, prefix: str, kind: MediaKind) -> dict[str, Any]:
        """A POST policy for one new object under prefix: fixed key, content type and a size range (S3 enforces)."""
        now = self._clock.now()
        stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
        key = f"{prefix}/{kind.name}/{stamp}-{uuid.uuid4().hex[:12]}.{kind.extension}"
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": kind.content_type},
            Conditions=[{"Content-Type": kind.content_type}, ["content-length-range", 1, kind.max_bytes]],
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

    def download_url(self, key: str, version_id: str | None = None) -> str:
        """A short-lived GET link to one object (evidence, enrollment photos); with a version id, to exactly that
        version, so a later upload under the same key never changes what the link shows."""
        params = {"Bucket": self._bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=self._expiry_s)
