"""The identity_checker Lambda: identity-check jobs from the identity queue in, decisions on the enrollment record.

The API records a pending check and queues {"candidate_id", "exam_id", "job_id"}; this function decides it
(chalicelib/identity/identity_check.py). A failed job fails only its own message (partial batch response): SQS
delivers it again, then moves it to the dead-letter queue; the candidate may ask again once it is stale.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import wiring
from chalicelib.core import observability
from chalicelib.identity.identity_check import CheckJob, IdentityChecker

SERVICE = "identity-checker"  # the service name on its log lines and metrics
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def checker() -> IdentityChecker:
    """Built once per process: the default engine's models load at cold start, not on the first check."""
    wiring.face_engine_for("")
    return wiring.identity_checker()


def handle_message(record: SQSRecord) -> str:
    job = CheckJob.parse(json.loads(record.body))  # a malformed body raises: retried, then dead-lettered
    log = observability.logger(SERVICE)
    with observability.log_keys(SERVICE, candidate_id=job.candidate_id, exam_id=job.exam_id, job_id=job.job_id):
        try:
            outcome = checker().decide(job)
        except Exception:
            log.exception("identity check failed")
            raise
        log.info("identity check", extra={"outcome": outcome})
    return outcome


@observability.instrumented(SERVICE)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=handle_message, processor=processor, context=context)
