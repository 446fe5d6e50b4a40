"""The analyzer's outcome rows: written at once outside a batch, together when the batch ends inside one (the
handler's SQS batch), per thread, and also when the batch's block raised."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from chalicelib.violations.models import MediaObjectRecord
from functions.frame_analyzer import ledger as ledger_module
from functions.frame_analyzer.ledger import OutcomeLedger


@pytest.fixture
def written(monkeypatch) -> list[list[str]]:
    """Each write request the ledger makes, as the object ids it carries (no endpoint needed)."""
    requests: list[list[str]] = []
    monkeypatch.setattr(MediaObjectRecord, "save", lambda self, *a, **k: requests.append([self.object_id]))
    monkeypatch.setattr(
        OutcomeLedger,
        "flush",
        staticmethod(lambda rows: requests.append([r.object_id for r in rows]) if rows else None),
    )
    return requests


def row(name: str) -> MediaObjectRecord:
    now = datetime.now(UTC)
    return MediaObjectRecord(object_id=f"bucket/{name}#etag", outcome="analyzed", analyzed_at=now, expires_at=now)


def test_outside_a_batch_each_row_is_written_at_once(written):
    ledger = OutcomeLedger()
    ledger.save(row("a"))
    ledger.save(row("b"))
    assert written == [["bucket/a#etag"], ["bucket/b#etag"]]


def test_inside_a_batch_the_rows_go_out_together_when_it_ends(written):
    ledger = OutcomeLedger()
    with ledger.batch():
        for name in "abc":
            ledger.save(row(name))
        assert written == []
        assert ledger.done("bucket/b#etag")  # pending counts as done: a repeat in the same batch is a duplicate
        with ledger.batch():  # nested: the outer batch writes
            ledger.save(row("d"))
        assert written == []
    assert written == [["bucket/a#etag", "bucket/b#etag", "bucket/c#etag", "bucket/d#etag"]]


def test_rows_of_a_batch_that_raised_are_still_written(written):
    ledger = OutcomeLedger()
    with pytest.raises(RuntimeError), ledger.batch():
        ledger.save(row("a"))
        raise RuntimeError("the next record failed")
    assert written == [["bucket/a#etag"]]
    ledger.save(row("b"))  # the batch is over: written at once again
    assert written[-1] == ["bucket/b#etag"]


def test_each_thread_has_its_own_batch(written):
    ledger = OutcomeLedger()
    inside, release = threading.Event(), threading.Event()

    def other_thread() -> None:
        with ledger.batch():
            ledger.save(row("theirs"))
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_thread)
    thread.start()
    inside.wait(5)
    ledger.save(row("mine"))  # this thread is in no batch: written now, not into the other thread's
    assert written == [["bucket/mine#etag"]]
    release.set()
    thread.join(5)
    assert written == [["bucket/mine#etag"], ["bucket/theirs#etag"]]


def test_a_single_row_is_a_plain_put_and_many_go_in_batch_requests(monkeypatch):
    saved, batched = [], []

    class Writer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def save(self, item):
            batched.append(item.object_id)

    monkeypatch.setattr(MediaObjectRecord, "save", lambda self, *a, **k: saved.append(self.object_id))
    monkeypatch.setattr(ledger_module.MediaObjectRecord, "batch_write", classmethod(lambda cls: Writer()))
    OutcomeLedger.flush([row("one")])
    OutcomeLedger.flush([row("x"), row("y")])
    OutcomeLedger.flush([])
    assert saved == ["bucket/one#etag"] and batched == ["bucket/x#etag", "bucket/y#etag"]
