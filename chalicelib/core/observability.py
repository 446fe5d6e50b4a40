"""Powertools logger, metrics and tracer for each service, built once per process.

Logs are JSON lines and metrics CloudWatch EMF documents, both on stdout: on Lambda, CloudWatch Logs turns the EMF
into metrics; locally both land in the process log. X-Ray tracing only runs on Lambda: Tracer switches itself off
anywhere else (local/stack.py also says so explicitly), and then patches nothing.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from chalicelib.core.settings import stage_name

API = "proctor-api"
ANALYZER = "frame-analyzer"
NAMESPACE = "Proctor"
Handler = Callable[[Any, Any], Any]


class _Stdout:
    """Writes to whatever sys.stdout is at the time, as print() (and so the EMF output) does."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class MetricRecorder:
    """Metrics recorded during one invocation, published as EMF documents when it ends.

    EMF dimensions apply to every metric of a document, so each distinct set of extra dimensions (a small, fixed
    set of codes) gets its own document. Pending values are per thread: `chalice local` serves requests on threads.
    """

    def __init__(self, service: str, namespace: str, dimensions: Callable[[], dict[str, str]]) -> None:
        self.service = service
        self.namespace = namespace
        self._dimensions = dimensions  # read at publish time, so a re-read configuration applies
        self._local = threading.local()

    def add(self, name: str, value: float, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
        key = tuple(sorted(dimensions.items()))
        self._pending().setdefault(key, []).append((name, unit, value))

    def publish(self) -> None:
        """Print one EMF document per dimension set and forget them; nothing recorded prints nothing."""
        pending, self._local.pending = self._pending(), {}
        for extra, values in pending.items():
            document = EphemeralMetrics(namespace=self.namespace, service=self.service)
            for name, value in (*self._dimensions().items(), *extra):
                document.add_dimension(name=name, value=value)
            for name, unit, value in values:
                document.add_metric(name=name, unit=unit, value=value)
            document.flush_metrics()

    def _pending(self) -> dict[tuple[tuple[str, str], ...], list[tuple[str, MetricUnit, float]]]:
        if not hasattr(self._local, "pending"):
            self._local.pending = {}
        return self._local.pending


@cache
def logger(service: str) -> Logger:
    return Logger(service=service, stream=_Stdout())


@cache
def metrics(service: str) -> MetricRecorder:
    return MetricRecorder(service, NAMESPACE, lambda: {"stage": stage_name()})


@cache
def tracer(service: str) -> Tracer:
    # On Lambda this patches botocore, so every S3, DynamoDB and SQS call is a subsegment of its own.
    return Tracer(service=service, patch_modules=("botocore",))


@contextmanager
def segment(service: str, name: str, **annotations: str) -> Iterator[Any]:
    """An X-Ray subsegment around a block (a no-op one when tracing is off); annotations are searchable."""
    with tracer(service).provider.in_subsegment(f"## {name}") as subsegment:
        for key, value in annotations.items():
            subsegment.put_annotation(key=key, value=value)
        yield subsegment


@contextmanager
def log_keys(service: str, **keys: Any) -> Iterator[None]:
    """Add keys to every log line of this thread for the duration of a block, then remove them."""
    log = logger(service)
    log.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        log.thread_safe_remove_keys(list(keys))


def publish_metrics(service: str) -> None:
    try:
        metrics(service).publish()
    except Exception:  # noqa: BLE001 - losing a data point must never fail the invocation (SQS would redeliver)
        logger(service).warning("could not publish metrics", exc_info=True)


def instrumented(service: str, *, capture_response: bool = True) -> Callable[[Handler], Handler]:
    """Wrap a Lambda handler: Lambda context on its log lines, an X-Ray subsegment, metrics published at the end.

    The API attaches it through Chalice's ConvertToMiddleware; the analyzer decorates its lambda_handler with it.
    The event itself is never logged (it carries bearer tokens).
    """

    def instrument(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def invoke(event: Any, context: Any) -> Any:
            # Built on first use, not at import: by then the process has configured logging (the dispatcher does).
            log = logger(service)
            traced = tracer(service).capture_lambda_handler(handler, capture_response=capture_response)
            try:
                if context is None:  # a direct call (tests, scripts) has no Lambda context to log
                    log.clear_state()
                    return traced(event, context)
                return log.inject_lambda_context(traced, clear_state=True, log_event=False)(event, context)
            finally:
                publish_metrics(service)

        return invoke

    instrument.__name__ = instrument.__qualname__ = service  # ConvertToMiddleware names the handler after this
    return instrument
