"""ministack's server with two additions: Step Functions' TimeoutSecondsPath, and snapshots of its state while it runs.

Run by .venv-endpoint's Python (local/endpoint.py), never imported by the project: ministack lives in that venv only.

ministack writes DynamoDB, SQS and Step Functions state to STATE_DIR only when it stops cleanly, so a hard kill (or a
power cut) would lose everything since the last clean stop. With PERSIST_STATE=1 and SNAPSHOT_S > 0 it also writes
that state every SNAPSHOT_S seconds, from the event loop that serves DynamoDB, SQS and S3 (so no request of theirs is
half-applied in a snapshot); each file is written to a temporary name and renamed, so a kill mid-write leaves the
previous snapshot whole. A hard kill then loses at most the last SNAPSHOT_S seconds.

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

from ministack.services import stepfunctions

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
