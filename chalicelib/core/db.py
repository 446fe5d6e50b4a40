"""Binds PynamoDB models to the configured tables and endpoint (AWS, the local endpoint, or another cloud)."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.models import Model

from chalicelib.core.settings import Settings

# Below API Gateway's 29 s so a slow table surfaces as our error, not a gateway timeout.
CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 10


def bind_models(settings: Settings, models: Iterable[type[Model]]) -> None:
    """Point every model at `<table_prefix><TABLE_SUFFIX>` on the configured endpoint."""
    for model in models:
        meta = model.Meta
        meta.table_name = settings.table_name(model.TABLE_SUFFIX)  # type: ignore[attr-defined]
        meta.region = settings.region
        meta.host = settings.endpoint_url
        meta.connect_timeout_seconds = CONNECT_TIMEOUT_S
        meta.read_timeout_seconds = READ_TIMEOUT_S
        meta.max_retry_attempts = 3
        model._connection = None  # the cached connection holds the old host


def is_condition_failure(exc: Exception) -> bool:
    """True when a PynamoDB write failed only because its condition did not hold."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
