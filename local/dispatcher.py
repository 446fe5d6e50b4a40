"""Local stand-in for Lambda's SQS event source: long-polls each queue and calls the very handler Lambda runs.

Messages a handler reports as failed (or all of a batch that raised) are made visible again after a short
backoff; SQS's redrive policy moves a message that keeps failing to the dead-letter queue.

PROCTOR_DISPATCH_WORKERS (default 1) sets how many media-queue pollers run. With 1, the media poller is a thread
of this process, as always. With N > 1 there are N worker processes instead, each with its own models and its own
GIL (like N Lambda instances) and OpenCV limited to one thread each, so N workers use N cores. The lifecycle queue
always has one poller in this process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3

logger = logging.getLogger("dispatcher")
Handler = Callable[[dict[str, Any], Any], Any]
RETRY_DELAY_S = 1
WORKERS_ENV = "PROCTOR_DISPATCH_WORKERS"


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS source would build for these messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def lambda_context(name: str) -> SimpleNamespace:
    return SimpleNamespace(
        function_name=name,
        function_version="$LATEST",
        memory_limit_in_mb=1024,
        invoked_function_arn=f"arn:aws:lambda:local:000000000000:function:{name}",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 60_000,
    )


def failed_ids(response: Any) -> set[str]:
    if isinstance(response, dict):
        return {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    return set()


def poll_queue(sqs: Any, queue_url: str, handler: Handler, name: str, stop: threading.Event) -> None:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    region = sqs.meta.region_name
    while not stop.is_set():
        try:
            messages = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
            ).get("Messages", [])
        except Exception:  # noqa: BLE001 - the endpoint restarting must not end the poller
            logger.warning("%s could not receive; retrying", name, exc_info=True)
            stop.wait(1)
            continue
        if not messages:
            continue
        try:
            failed = failed_ids(handler(sqs_event(messages, attributes["QueueArn"], region), lambda_context(name)))
        except Exception:  # noqa: BLE001 - a raising handler fails the whole batch, as in Lambda
            logger.exception("%s failed a batch of %d", name, len(messages))
            failed = {m["MessageId"] for m in messages}
        try:
            settle(sqs, queue_url, messages, failed)
        except Exception:  # noqa: BLE001 - unsettled messages come back after their visibility timeout
            logger.warning("%s could not settle a batch", name, exc_info=True)


def settle(sqs: Any, queue_url: str, messages: list[dict[str, Any]], failed: set[str]) -> None:
    """Delete what succeeded; make what failed visible again soon (SQS counts receives for the DLQ)."""
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
    for message in messages:
        if message["MessageId"] in failed:
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=RETRY_DELAY_S
            )


def media_workers(env: dict[str, str] | None = None) -> int:
    raw = (os.environ if env is None else env).get(WORKERS_ENV, "") or "1"
    try:
        count = int(raw)
    except ValueError:
        raise SystemExit(f"{WORKERS_ENV} must be a whole number, got {raw!r}") from None
    if not 1 <= count <= 64:
        raise SystemExit(f"{WORKERS_ENV} must be between 1 and 64, got {count}")
    return count


def media_process(index: int, stop: Any, parent_pid: int) -> None:
    """One media worker process: its own analyzer (models load here) polling the media queue until told to stop."""
    import cv2

    from chalicelib import wiring
    from functions.frame_analyzer.handler import lambda_handler

    cv2.setNumThreads(1)  # one worker per core
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s %(name)s[{index}] %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    settings = wiring.settings()
    sqs = boto3.client("sqs", region_name=settings.region, endpoint_url=settings.endpoint_url)

    def orphaned() -> None:  # never outlive a dispatcher that was killed without a chance to stop us
        while not stop.wait(1):
            if os.getppid() != parent_pid:
                stop.set()

    threading.Thread(target=orphaned, daemon=True).start()
    poll_queue(sqs, settings.media_queue_url, lambda_handler, f"frame_analyzer-{index}", stop)


def main() -> None:
    from app import handle_lifecycle  # noqa: PLC0415 - imported after the environment is set
    from chalicelib import wiring
    from functions.frame_analyzer.handler import lambda_handler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = wiring.settings()
    sqs = boto3.client("sqs", region_name=settings.region, endpoint_url=settings.endpoint_url)
    count = media_workers()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    workers = [
        threading.Thread(
            target=poll_queue,
            args=(sqs, settings.lifecycle_queue_url, handle_lifecycle, "lifecycle", stop),
            daemon=True,
        )
    ]
    processes: list[Any] = []
    if count == 1:
        workers.append(
            threading.Thread(
                target=poll_queue,
                args=(sqs, settings.media_queue_url, lambda_handler, "frame_analyzer", stop),
                daemon=True,
            )
        )
    else:
        context = multiprocessing.get_context("spawn")
        process_stop = context.Event()
        processes = [
            context.Process(
                target=media_process, args=(i, process_stop, os.getpid()), daemon=True, name=f"frame_analyzer-{i}"
            )
            for i in range(count)
        ]
    for worker in workers:
        worker.start()
    for process in processes:
        process.start()
    logger.info(
        "dispatching %s (%d media worker%s) and %s",
        settings.media_queue_url,
        count,
        "s" if count > 1 else "",
        settings.lifecycle_queue_url,
    )
    # Executions live inside the endpoint process: after a restart, sessions without one get a new one.
    logger.info("reconciled sessions: %s", wiring.progression().reconcile())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        stop.set()
    if processes:
        process_stop.set()
    for worker in workers:
        worker.join(timeout=5)
    for process in processes:
        process.join(timeout=30)  # a worker stops after the batch in hand (its messages are settled, not stranded)
        if process.is_alive():
            process.terminate()


if __name__ == "__main__":
    main()
