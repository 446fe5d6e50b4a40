"""The local dispatcher hands media to its workers in small batches, so a burst is shared by both workers.

Lambda's event source gives every batch its own instance; here the media workers share two cores, and a worker that
took ten frames at once kept the last of them waiting for the nine before it while the other worker sat idle.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import boto3
import pytest

from local import dispatcher
from tests.helpers import wait_for


def test_media_batches_default_to_a_few_messages_and_refuse_nonsense():
    assert dispatcher.media_batch({}) == dispatcher.MEDIA_BATCH <= 3
    assert dispatcher.media_batch({dispatcher.BATCH_ENV: "10"}) == 10
    for bad in ("0", "11", "two"):
        with pytest.raises(SystemExit, match=dispatcher.BATCH_ENV):
            dispatcher.media_batch({dispatcher.BATCH_ENV: bad})


def test_two_media_pollers_share_a_burst_in_batches_of_at_most_media_batch(stack):
    # Given a queue holding a burst of 12 frames' notifications
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name=stack.region)
    queue_url = sqs.create_queue(QueueName=f"burst-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    for start in (0, 6):
        sqs.send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": f"frame-{i}"} for i in range(start, start + 6)]
        )
    handled: Counter = Counter()
    batches: list[int] = []
    stop = threading.Event()

    def analyse(event, context):  # ~0.2 s a frame, like a busy analyzer
        batches.append(len(event["Records"]))
        for _ in event["Records"]:
            time.sleep(0.2)
            handled[context.function_name] += 1

    # When two pollers take it with the dispatcher's media batch size
    workers = [
        threading.Thread(
            target=dispatcher.poll_queue,
            args=(sqs, queue_url, analyse, f"worker-{i}", stop, dispatcher.media_batch({})),
            daemon=True,
        )
        for i in range(2)
    ]
    try:
        for worker in workers:
            worker.start()
        wait_for(lambda: sum(handled.values()) >= 12, timeout_s=30, message=lambda: str(handled))
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
        sqs.delete_queue(QueueUrl=queue_url)

    # Then no batch was bigger than MEDIA_BATCH and both workers had a share of the burst
    assert sum(handled.values()) == 12 and max(batches) <= dispatcher.MEDIA_BATCH
    assert min(handled.values()) >= 3 and len(handled) == 2, handled
