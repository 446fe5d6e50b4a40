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


def candidate_session(api: ApiClient, ctx: dict[str, Any], sid: str) -> dict[str, Any]:
    return api.call("GET", f"/sessions/{sid}", ctx["candidate"]).json()
