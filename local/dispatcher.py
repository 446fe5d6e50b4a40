"""Local stand-in for Lambda's SQS event source: long-polls each queue and calls the very handler Lambda runs.

Messages a handler reports as failed (or all of a batch that raised) are made visible again after a short
backoff; SQS's redrive policy moves a message that keeps failing to the dead-letter queue.

Messages are leased for LEASE_S (not the queue's 180 s visibility, which is sized for Lambda's timeout) and the lease
is extended every LEASE_S / 3 while the handler runs: when a worker or the dispatcher dies, the frames it was analysing
are back in the queue within LEASE_S. A media worker process that dies is started again (growing delays).

PROCTOR_DISPATCH_BATCH (default MEDIA_BATCH) sets how many media messages a poller takes at a time. Lambda's event
source takes up to the function's BatchSize (infra/template.py ANALYZER_BATCH_SIZE), but there every batch gets its own
instance and vCPU; here two workers share two cores with the endpoint and the API, so a frame at the end of a batch of
10 waits for the nine before it (~2.5 s at the ~250 ms a frame takes on a busy machine) while the other worker may
sit idle. Small batches spread a burst over both workers; each batch costs one receive, one delete and one
BatchWriteItem of outcome rows (the analyzer writes them per batch), ~1 ms of endpoint CPU each.

PROCTOR_DISPATCH_WORKERS (default 1) sets how many media-queue pollers run. With 1, the media poller is a thread
of this process, as always. With N > 1 there are N worker processes instead, each with its own models and its own
GIL (like N Lambda instances) and OpenCV limited to one thread each, so N workers use N cores. The lifecycle queue
and the identity queue (identity checks -> functions/identity_checker/) always have one poller each in this process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import boto3

logger = logging.getLogger("dispatcher")
Handler = Callable[[dict[str, Any], Any], Any]
RETRY_DELAY_S = 1
LEASE_S = 20  # how long a received message stays hidden unless the handler is still at work on it
WORKER_BACKOFF_S = (1, 2, 5, 10, 30)
WORKERS_ENV = "PROCTOR_DISPATCH_WORKERS"
BATCH_ENV = "PROCTOR_DISPATCH_BATCH"
MEDIA_BATCH = 2  # media messages per receive (see above; tests/functional/test_dispatch_batches.py)
QUEUE_BATCH = 10  # the lifecycle and identity queues: SQS's maximum


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


def poll_queue(
    sqs: Any, queue_url: str, handler: Handler, name: str, stop: threading.Event, batch: int = QUEUE_BATCH
) -> None:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    region = sqs.meta.region_name
    while not stop.is_set():
        try:
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=batch,
                WaitTimeSeconds=1,
                VisibilityTimeout=LEASE_S,
                AttributeNames=["All"],
            ).get("Messages", [])
        except Exception:  # noqa: BLE001 - the endpoint restarting must not end the poller
            logger.warning("%s could not receive; retrying", name, exc_info=True)
            stop.wait(1)
            continue
        if not messages:
            continue
        try:
            with leased(sqs, queue_url, messages, name):
                failed = failed_ids(handler(sqs_event(messages, attributes["QueueArn"], region), lambda_context(name)))
        except Exception:  # noqa: BLE001 - a raising handler fails the whole batch, as in Lambda
            logger.exception("%s failed a batch of %d", name, len(messages))
            failed = {m["MessageId"] for m in messages}
        try:
            settle(sqs, queue_url, messages, failed)
        except Exception:  # noqa: BLE001 - unsettled messages come back after their visibility timeout
            logger.warning("%s could not settle a batch", name, exc_info=True)


@contextmanager
def leased(sqs: Any, queue_url: str, messages: list[dict[str, Any]], name: str) -> Iterator[None]:
    """Keep the messages hidden while the block runs, LEASE_S at a time (a dead worker's come back within LEASE_S)."""
    done = threading.Event()

    def extend() -> None:
        while not done.wait(LEASE_S / 3):
            try:
                sqs.change_message_visibility_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": LEASE_S}
                        for i, m in enumerate(messages)
                    ],
                )
            except Exception:  # noqa: BLE001 - a missed extension only lets the messages come back early
                logger.warning("%s could not extend its lease", name, exc_info=True)

    heartbeat = threading.Thread(target=extend, daemon=True, name=f"{name}-lease")
    heartbeat.start()
    try:
        yield
    finally:
        done.set()
        heartbeat.join()


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


def _whole(env: dict[str, str] | None, name: str, default: int, top: int) -> int:
    raw = (os.environ if env is None else env).get(name, "") or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None
    if not 1 <= value <= top:
        raise SystemExit(f"{name} must be between 1 and {top}, got {value}")
    return value


def media_workers(env: dict[str, str] | None = None) -> int:
    return _whole(env, WORKERS_ENV, 1, 64)


def media_batch(env: dict[str, str] | None = None) -> int:
    """Media messages per receive: PROCTOR_DISPATCH_BATCH, 1..10 (SQS's maximum), default MEDIA_BATCH."""
    return _whole(env, BATCH_ENV, MEDIA_BATCH, 10)


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
    poll_queue(sqs, settings.media_queue_url, lambda_handler, f"frame_analyzer-{index}", stop, media_batch())


class WorkerRestarts:
    """Starts a media worker process again when it died, after 1, 2, 5, 10, 30 s of consecutive quick deaths."""

    def __init__(self, spawn: Callable[[int], Any], clock: Callable[[], float] = time.monotonic) -> None:
        self._spawn = spawn
        self._clock = clock
        self._due: dict[int, float] = {}
        self._deaths: dict[int, int] = {}
        self._started: dict[int, float] = {}

    def check(self, processes: list[Any]) -> None:
        now = self._clock()
        for index, process in enumerate(processes):
            if process.is_alive():
                if now - self._started.get(index, now) > 60:
                    self._deaths[index] = 0
                continue
            if index not in self._due:
                deaths = self._deaths.get(index, 0)
                delay = WORKER_BACKOFF_S[min(deaths, len(WORKER_BACKOFF_S) - 1)]
                self._due[index] = now + delay
                self._deaths[index] = deaths + 1
                logger.warning(
                    "media worker %d (pid %s) exited with %s; restarting it in %d s; its frames come back within %d s",
                    index,
                    process.pid,
                    process.exitcode,
                    delay,
                    LEASE_S,
                )
            elif now >= self._due[index]:
                del self._due[index]
                processes[index] = self._spawn(index)
                self._started[index] = now
                logger.warning("media worker %d restarted (pid %s)", index, processes[index].pid)


def main() -> None:
    from app import handle_lifecycle  # noqa: PLC0415 - imported after the environment is set
    from chalicelib import wiring
    from functions.frame_analyzer.handler import lambda_handler
    from functions.identity_checker.handler import lambda_handler as identity_handler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = wiring.settings()
    sqs = boto3.client("sqs", region_name=settings.region, endpoint_url=settings.endpoint_url)
    count = media_workers()
    media_batch()  # a bad value stops the dispatcher here, not in its workers
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    workers = [
        threading.Thread(
            target=poll_queue,
            args=(sqs, settings.lifecycle_queue_url, handle_lifecycle, "lifecycle", stop),
            daemon=True,
        )
    ]
    if settings.identity_queue_url:
        workers.append(
            threading.Thread(
                target=poll_queue,
                args=(sqs, settings.identity_queue_url, identity_handler, "identity_checker", stop),
                daemon=True,
            )
        )
    processes: list[Any] = []
    context = multiprocessing.get_context("spawn")
    process_stop = context.Event()

    def spawn(index: int) -> Any:
        process = context.Process(
            target=media_process, args=(index, process_stop, os.getpid()), daemon=True, name=f"frame_analyzer-{index}"
        )
        process.start()
        return process

    if count == 1:
        workers.append(
            threading.Thread(
                target=poll_queue,
                args=(sqs, settings.media_queue_url, lambda_handler, "frame_analyzer", stop, media_batch()),
                daemon=True,
            )
        )
    for worker in workers:
        worker.start()
    if count > 1:
        processes = [spawn(i) for i in range(count)]
    logger.info(
        "dispatching %s (%d media worker%s, batches of up to %d), %s and %s",
        settings.media_queue_url,
        count,
        "s" if count > 1 else "",
        media_batch(),
        settings.lifecycle_queue_url,
        settings.identity_queue_url or "no identity queue",
    )
    # Executions live inside the endpoint process: after a restart, sessions without one get a new one.
    logger.info("reconciled sessions: %s", wiring.progression().reconcile())
    restarts = WorkerRestarts(spawn)
    try:
        while not stop.wait(0.5):
            restarts.check(processes)
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
