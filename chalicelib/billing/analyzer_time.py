"""The analyzer's processing time per session, for metering: summed per SQS batch, one ADD per session per batch.

The analyzer (functions/frame_analyzer/handler.py) already measures each object's `duration_ms`; it hands that to
`ANALYZER_TIME.add(session_id, duration_ms)` and wraps each batch in `ANALYZER_TIME.batch()` next to its outcome
ledger's. Metering reads the meter when the session ends (metering.py). Time spent again on a redelivered object
was spent again, so it is counted again; objects analysed after the session's usage was written are not billed.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from chalicelib.billing.models import MeterRecord

METER_RETENTION = timedelta(days=400)  # read once at the session's end; kept past a year's statements for audits


class AnalyzerTime:
    def __init__(self, now=None) -> None:
        self._local = threading.local()
        self._now = now

    def _pending(self) -> dict[str, list[float]] | None:
        return getattr(self._local, "pending", None)

    def add(self, session_id: str, duration_ms: float) -> None:
        """One object's analysis time; written now, or with the rest of the current batch."""
        pending = self._pending()
        if pending is None:
            self.flush({session_id: [duration_ms, 1]})
            return
        entry = pending.setdefault(session_id, [0.0, 0])
        entry[0] += duration_ms
        entry[1] += 1

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Collect the times added inside; write one update per session on the way out (also when it raised)."""
        if self._pending() is not None:
            yield
            return
        self._local.pending = defaultdict(lambda: [0.0, 0])
        try:
            yield
        finally:
            pending, self._local.pending = self._local.pending, None
            self.flush(pending)

    def flush(self, pending: dict[str, list[float]]) -> None:
        expires = (self._now() if self._now else datetime.now().astimezone()) + METER_RETENTION
        for session_id, (ms, objects) in pending.items():
            MeterRecord(session_id).update(
                actions=[
                    MeterRecord.analyzer_ms.add(round(ms)),
                    MeterRecord.analyzed_objects.add(int(objects)),
                    MeterRecord.expires_at.set(expires),
                ]
            )


ANALYZER_TIME = AnalyzerTime()
