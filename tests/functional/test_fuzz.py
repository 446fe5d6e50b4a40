"""A property-based fuzz of every operation in the OpenAPI document (schemathesis + Hypothesis) against the local stack.

Each operation is called with a real bearer token of a role it allows (candidate, proctor, admin) in three modes:
generated path ids (mostly unknown: 404s), the real ids of a live exam and session with bodies that fit the schema
(the paths a client takes), and the real ids with bodies and query strings that do not. Every answer must be no 5xx,
documented (status, schema) and, when a failure, in the one error shape with a code whose documented status matches.

Reproducible (derandomized, no example database) and bounded: FUZZ_EXAMPLES cases per operation and mode. A failure
lists every failing operation with a curl command that replays it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from chalicelib.openapi_spec import ERROR_CODES, document
from tests.functional.onboarding import operator_token
from tests.helpers import admit

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SCHEMA = schemathesis.openapi.from_dict(document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Operations that end something for the caller run last, so the others meet a live session and valid tokens.
LAST = ("/auth/logout", "/submit", "/terminate", "/verdict")


def error_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """Failures are {"error": {"code", "message", "details"?}} with a documented code of this very status."""
    if response.status_code < 400:
        return None
    body = json.loads(response.content)
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error shape: {body!r}"
    error = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "details"}, f"not the error shape: {body!r}"
    assert error["code"] in ERROR_CODES, f"undocumented error code {error['code']!r}"
    documented = ERROR_CODES[error["code"]][0]
    status = response.status_code
    assert documented == status, f"{error['code']} answered {status}, documented {documented}"
    return None


CHECKS = [
    checks.not_a_server_error,
    error_shape,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,  # what the schema calls invalid is refused (4xx): the schema is not too lax
]


def order(operation: Any) -> tuple[bool, str]:
    return operation.path.endswith(LAST) or operation.path == "/auth/logout", operation.label


@pytest.fixture
def world(api, started) -> dict[str, Any]:
    """A live exam and session of the shared agency and the tokens of the three roles (fuzzing changes it freely)."""
    session = started["session"]
    # Other candidates take what ends an account: being disabled, its biometric data erased, its own logout.
    leaving_id, _ = admit(api, started["admin"], started["exam_id"], consent=False)
    _, quitting = admit(api, started["admin"], started["exam_id"], consent=False)  # logs out: ends its tokens only
    return {
        "ids": {
            "exam_id": started["exam_id"],
            "session_id": session["session_id"],
            "item_id": session["items"][0]["item_id"],
            "candidate_id": started["candidate_id"],
            "login": leaving_id.partition("~")[2],
        },
        "tokens": {
            **{role: started[role] for role in ("admin", "proctor", "candidate")},
            "operator": operator_token(api),
        },
        "quitting": quitting,
    }


@pytest.fixture
def forget_client_failures():
    """The fuzz's failed logins count against this machine's address (one client for the whole suite): forget them,
    so that the suite's later logins are not locked out by the fuzz (a lockout after 100 failures per client)."""
    yield
    from chalicelib.identity.models import LoginAttemptRecord

    for record in LoginAttemptRecord.scan(LoginAttemptRecord.attempt_key.startswith("client#")):
        record.delete()


def token_for(operation: Any, world: dict[str, Any]) -> str | None:
    roles = operation.definition.raw.get("x-roles") or []
    if operation.path == "/auth/logout":
        return world["quitting"]
    return world["tokens"][roles[0]] if roles else None


def fuzz(operation: Any, mode: GenerationMode, path_ids: dict[str, str] | None, call: Callable[[Any], None]) -> None:
    # Real ids are put in after generation: fixed in the strategy, they (new each run) would change its random seed.
    fixed = {name: f"<{name}>" for name in path_ids or {} if name in {p.name for p in operation.path_parameters}}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None)

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failing case is reported as sent
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        for name in fixed:
            case.path_parameters[name] = (path_ids or {})[name]
        call(case)

    run()


def test_every_operation_answers_fuzzed_requests_without_a_server_error_and_as_documented(
    api, world, forget_client_failures
):
    failures: list[str] = []
    statuses: dict[str, Counter[int]] = {}
    for operation in sorted(OPERATIONS, key=order):
        token = token_for(operation, world)
        headers = {"Authorization": f"Bearer {token}"} if token else {}

        def call(case: Any, headers: dict[str, str] = headers, label: str = operation.label) -> None:
            statuses.setdefault(label, Counter())
            response = case.call(base_url=api.base_url, headers=headers, timeout=30)
            statuses[label][response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        for mode, ids in (
            (GenerationMode.POSITIVE, None),
            (GenerationMode.POSITIVE, world["ids"]),
            (GenerationMode.NEGATIVE, world["ids"]),
        ):
            try:
                fuzz(operation, mode, ids, call)
            except Unsatisfiable:  # nothing of the operation can be made invalid (no body, no parameters)
                continue
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every failing operation is reported
                failures.append(f"{operation.label} [{mode.value}, {'real' if ids else 'generated'} ids]: {failure}")
    print("statuses per operation:", *(f"{label}: {dict(seen)}" for label, seen in sorted(statuses.items())), sep="\n")
    # The fuzz is only as good as its tokens: every operation must have got past authentication at least once.
    failures += [f"{label}: never past authentication" for label, seen in statuses.items() if set(seen) <= {401, 403}]
    failures += [f"{label}: never called" for label in {op.label for op in OPERATIONS} - set(statuses)]
    assert failures == [], f"{len(failures)} fuzz failures:\n\n" + "\n\n".join(failures)
