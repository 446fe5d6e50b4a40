"""Deleting every stored version of the objects under a prefix of the (versioned) media bucket."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import Unavailable

DELETE_BATCH = 1000  # S3 DeleteObjects takes at most 1,000 keys


def keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))


def delete_versions(s3: Any, bucket: str, prefix: str) -> int:
    """Delete every version and delete marker under prefix (a plain delete would only add a marker); how many."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in (*page.get("Versions", ()), *page.get("DeleteMarkers", ()))
        ]
        for start in range(0, len(objects), DELETE_BATCH):
            batch = objects[start : start + DELETE_BATCH]
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                raise Unavailable("erasure.incomplete", "Some media could not be deleted; try again.")
            deleted += len(batch)
    return deleted
