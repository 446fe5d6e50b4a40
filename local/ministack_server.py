"""ministack's server with two additions: Step Functions' TimeoutSecondsPath, and snapshots of its state while it runs.

Run by .venv-endpoint's Python (local/endpoint.py), never imported by the project: ministack lives in that venv only.

ministack writes DynamoDB, SQS and Step Functions state to STATE_DIR only when it stops cleanly, so a hard kill (or a
power cut) would lose everything since the last clean stop. With PERSIST_STATE=1 and SNAPSHOT_S > 0 it also writes
that state every SNAPSHOT_S seconds, from the event loop that serves DynamoDB, SQS and S3 (so no request of theirs is
half-applied in a snapshot); each file is written to a temporary name and renamed, so a kill mid-write leaves the
previous snapshot whole. A hard kill then loses at most the last SNAPSHOT_S seconds.

S3's POST Object form names an upload's tags in the field `tagging` (XML: `<Tagging><TagSet><Tag><Key>…`), the way
the upload forms tag monitoring media `retention=transient` (chalicelib/media/retention.py). ministack 1.5.33 stores
tags only from a field `x-amz-tagging` (PutObject's header, a query string) and ignored `tagging`: the object was
stored untagged. Here, once ministack has checked the signed form's policy (so `tagging` must be one of the policy's
conditions, with exactly its value, or the upload is refused 403 as S3 does), the XML is turned into the
`x-amz-tagging` value ministack stores with the new version, in the same write (and in the S3_PERSIST sidecar);
malformed XML or more than 10 tags answer 400 before anything is stored. Not emulated: S3 also checks that the
form's signer may s3:PutObjectTagging (ministack would only with AUTH=true, which the local stack does not run; the
template grants it, tests/unit/test_template.py). Checked by tests/functional/test_retention_tiers.py.

infra/session_lifecycle.asl.json times the exam and the review window out with `TimeoutSecondsPath` (the deadline
is per session). ministack 1.5.33 reads only a literal `TimeoutSeconds`, so a task with a path waited forever: an
exam nobody submitted never ended. Here a task's `TimeoutSecondsPath` is resolved against the state's input (as
Step Functions does; it must be a positive integer) and handed to ministack as `TimeoutSeconds`. Checked by
tests/functional/test_lifecycle.py (deadline, pause across the deadline, review timeout).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from urllib.parse import urlencode

from ministack.services import s3, stepfunctions

logger = logging.getLogger("snapshots")

_execute_task = stepfunctions._execute_task


def execute_task_with_timeout_path(state_def, raw_input, execution, ctx):  # noqa: ANN001, ANN201 - ministack's
    path = state_def.get("TimeoutSecondsPath")
    if path and "TimeoutSeconds" not in state_def:
        value = stepfunctions._resolve_path(path, raw_input)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise stepfunctions._ExecutionError(
                "States.Runtime", f"TimeoutSecondsPath {path} must be a positive integer, got {value!r}"
            )
        state_def = {**state_def, "TimeoutSeconds": value}
    return _execute_task(state_def, raw_input, execution, ctx)


stepfunctions._execute_task = execute_task_with_timeout_path  # looked up by name each time a state runs


_enforce_signed_post_policy = s3._enforce_signed_post_policy
MAX_OBJECT_TAGS = 10


def enforce_signed_post_policy_with_tagging(fields, bucket_name, region, size, sigv4):  # noqa: ANN001, ANN201
    refused = _enforce_signed_post_policy(fields, bucket_name, region, size, sigv4)
    if refused is not None or "tagging" not in fields:
        return refused
    try:
        tags = s3._parse_tags_xml(fields["tagging"].encode("utf-8"))
    except Exception:  # noqa: BLE001 - defusedxml raises several kinds; S3 answers MalformedXML for any
        return s3._error("MalformedXML", s3._MALFORMED_XML, 400)
    if len(tags) > MAX_OBJECT_TAGS:
        return s3._error("BadRequest", "Object tags cannot be greater than 10", 400)
    fields["x-amz-tagging"] = urlencode(tags)  # the same dict _post_object builds the object from: stored with it
    return None


s3._enforce_signed_post_policy = enforce_signed_post_policy_with_tagging  # looked up by name on each POST


def with_snapshots(app, interval_s: float, save):  # noqa: ANN001, ANN201 - an ASGI app
    started = False

    async def snapshots() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                save()
            except Exception:  # noqa: BLE001 - the next snapshot tries again; a clean stop saves anyway
                logger.exception("snapshot failed")

    async def serve(scope, receive, send):  # noqa: ANN001
        nonlocal started
        if scope["type"] == "lifespan" and not started:
            started = True
            asyncio.get_running_loop().create_task(snapshots())
        return await app(scope, receive, send)

    return serve


if __name__ == "__main__":
    from ministack import app as ministack

    interval_s = float(os.environ.get("SNAPSHOT_S") or 0)
    if os.environ.get("PERSIST_STATE") == "1" and interval_s > 0:
        ministack.app = with_snapshots(
            ministack.app, interval_s, lambda: ministack.save_all(ministack._build_persistence_save_dict())
        )
    sys.exit(ministack.main())
