"""Readiness: can this process reach its table, bucket, queues and state machine?"""

from __future__ import annotations

from typing import Any

from chalicelib import wiring
from chalicelib.exam.models import SessionRecord


def check() -> tuple[dict[str, Any], bool]:
    current = wiring.settings()
    probes = {
        "dynamodb": lambda: SessionRecord.describe_table(),
        "s3": lambda: wiring.s3().head_bucket(Bucket=current.media_bucket),
        "sqs": lambda: wiring.sqs().get_queue_attributes(QueueUrl=current.media_queue_url, AttributeNames=["QueueArn"]),
        "stepfunctions": lambda: wiring.stepfunctions().describe_state_machine(
            stateMachineArn=current.state_machine_arn
        ),
    }
    results = {}
    for name, probe in probes.items():
        try:
            probe()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by name
            results[name] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in results.values())
    return {"status": "ok" if healthy else "degraded", "stage": current.stage, "checks": results}, healthy
