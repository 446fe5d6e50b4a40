"""The analyzer's outcome rows (`<bucket>/<key>#<etag>` in media-objects), written once per invocation's batch.

Each object's outcome row is the last thing its processing writes. Written one PutItem per object it costs a call
per frame; inside `batch()` (the handler wraps each SQS batch in it) the rows of the batch go out together in one
BatchWriteItem (25 items per request) when the batch ends, so a batch of 10 frames pays one call instead of ten.

Nothing depends on a row being written before the batch ends: a crash before the flush leaves objects without a
row, SQS delivers them again, the claim recognises the same version (on its form), the signal tracker recognises an
object it applied (digest on the signal-states item) and episode ids are derived, so the redelivery records nothing
twice and writes the missing row. Pending rows are per thread (the local dispatcher may run several handlers in one
process).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import DoesNotExist

from chalicelib.violations.models import MediaObjectRecord


class OutcomeLedger:
    def __init__(self) -> None:
        self._local = threading.local()

    def _pending(self) -> dict[str, MediaObjectRecord] | None:
        return getattr(self._local, "pending", None)

    def save(self, row: MediaObjectRecord) -> None:
        """Write the row now, or at the end of the current batch."""
        pending = self._pending()
        if pending is None:
            row.save()
        else:
            pending[row.object_id] = row

    def done(self, object_id: str) -> bool:
        """Whether the object already has its outcome row (written, or pending in this batch)."""
        pending = self._pending()
        if pending is not None and object_id in pending:
            return True
        try:
            MediaObjectRecord.get(object_id)
            return True
        except DoesNotExist:
            return False

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Collect the rows written inside; write them in BatchWriteItem requests on the way out (also when the
        block raised: the rows written so far describe objects that were fully processed)."""
        if self._pending() is not None:  # nested: the outer batch writes
            yield
            return
        self._local.pending = {}
        try:
            yield
        finally:
            rows, self._local.pending = self._local.pending, None
            self.flush(list(rows.values()))

    @staticmethod
    def flush(rows: list[MediaObjectRecord]) -> None:
        if len(rows) == 1:
            rows[0].save()
        elif rows:
            with MediaObjectRecord.batch_write() as writer:
                for row in rows:
                    writer.save(row)
