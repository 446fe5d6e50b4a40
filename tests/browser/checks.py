"""What the server received, read through the proctor API and the media bucket."""

from __future__ import annotations

import os
from typing import Any

import boto3

from tests.api_client import ApiClient
from tests.helpers import wait_for  # noqa: F401 - the browser suites import it from here


def session_id(api: ApiClient, ctx: dict[str, Any]) -> str:
    sessions = api.call("GET", f"/proctor/sessions?exam_id={ctx['exam_id']}", ctx["proctor"]).json()["sessions"]
    assert len(sessions) == 1, sessions
    return sessions[0]["session_id"]


def violation_types(api: ApiClient, ctx: dict[str, Any], sid: str) -> set[str]:
    timeline = api.call("GET", f"/proctor/sessions/{sid}/timeline", ctx["proctor"]).json()
    return {v["type"] for v in timeline["violations"]}


def uploads(stack, sid: str) -> dict[str, int]:
    """Objects in the media bucket under the session's prefix, counted by kind."""
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=stack.region)
    bucket = stack.env.get("PROCTOR_MEDIA_BUCKET") or os.environ["PROCTOR_MEDIA_BUCKET"]
    counts = {"webcam": 0, "screen": 0, "audio": 0}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"sessions/{sid}/"):
        for obj in page.get("Contents", []):
            kind = obj["Key"].split("/")[2]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def webcam_objects(stack, sid: str) -> list[str]:
    """Keys of the session's webcam objects in the media bucket."""
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=stack.region)
    bucket = stack.env.get("PROCTOR_MEDIA_BUCKET") or os.environ["PROCTOR_MEDIA_BUCKET"]
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"sessions/{sid}/webcam/"):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def webcam_frames(stack, sid: str) -> int:
    """Webcam frames stored for the session: two per `.f2.jpg` object (the page uploads frames in pairs), one per
    object sent alone."""
    from chalicelib.media.uploads import object_frames

    return sum(object_frames(key.rsplit("/", 1)[-1]) for key in webcam_objects(stack, sid))


def media_object(stack, key: str) -> bytes:
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=stack.region)
    bucket = stack.env.get("PROCTOR_MEDIA_BUCKET") or os.environ["PROCTOR_MEDIA_BUCKET"]
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def candidate_session(api: ApiClient, ctx: dict[str, Any], sid: str) -> dict[str, Any]:
    return api.call("GET", f"/sessions/{sid}", ctx["candidate"]).json()
