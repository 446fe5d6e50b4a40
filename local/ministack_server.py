"""ministack's server, with the one Step Functions feature our state machine needs that it lacks: TimeoutSecondsPath.

Run by .venv-endpoint's Python (local/endpoint.py), never imported by the project: ministack lives in that venv only.

infra/session_lifecycle.asl.json times the exam and the review window out with `TimeoutSecondsPath` (the deadline
is per session). ministack 1.5.33 reads only a literal `TimeoutSeconds`, so a task with a path waited forever: an
exam nobody submitted never ended. Here a task's `TimeoutSecondsPath` is resolved against the state's input (as
Step Functions does; it must be a positive integer) and handed to ministack as `TimeoutSeconds`. Checked by
tests/functional/test_lifecycle.py (deadline, pause across the deadline, review timeout).
"""

from __future__ import annotations

import sys

from ministack.services import stepfunctions

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

if __name__ == "__main__":
    from ministack.app import main

    sys.exit(main())
