"""Binds PynamoDB models to the configured tables and endpoint (AWS, the local endpoint, or another cloud)."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.connection import Connection
from pynamodb.connection.base import MetaTable
from pynamodb.exceptions import TableError
from pynamodb.models import Model

from chalicelib.core.settings import Settings

# Below API Gateway's 29 s so a slow table surfaces as our error, not a gateway timeout.
CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 10
MAX_RETRY_ATTEMPTS = 3
# One pool now serves every table: a Lambda uses one connection at a time, but the local threaded API server and
# the analyzer's threads can have more requests in flight than botocore's default pool of 10 keeps.
MAX_POOL_CONNECTIONS = 50


def bind_models(settings: Settings, models: Iterable[type[Model]]) -> Connection:
    """Point every model at `<table_prefix><TABLE_SUFFIX>` on the configured endpoint, through one connection.

    PynamoDB gives each model class its own connection, and each connection its own botocore session and client:
    ~110-150 ms of botocore data loading per model on first use (a cold API instance answering a heartbeat touches
    four models) and one HTTP connection pool per table. Here every model's table connection shares one
    `Connection`, so a process loads botocore's service data once, builds one client and reuses its pool (one TLS
    handshake to DynamoDB, not one per table). Each model's table schema is registered on the shared connection,
    which is returned (transactions across tables take it).
    """
    shared = Connection(
        region=settings.region,
        host=settings.endpoint_url,
        connect_timeout_seconds=CONNECT_TIMEOUT_S,
        read_timeout_seconds=READ_TIMEOUT_S,
        max_retry_attempts=MAX_RETRY_ATTEMPTS,
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )
    for model in models:
        meta = model.Meta
        meta.table_name = settings.table_name(model.TABLE_SUFFIX)  # type: ignore[attr-defined]
        meta.region = settings.region
        meta.host = settings.endpoint_url
        meta.connect_timeout_seconds = CONNECT_TIMEOUT_S
        meta.read_timeout_seconds = READ_TIMEOUT_S
        meta.max_retry_attempts = MAX_RETRY_ATTEMPTS
        model._connection = None  # the cached connection holds the old host
        table = model._get_connection()  # builds the table's schema; its own Connection never makes a client
        _register(shared, table.get_meta_table())
        table.connection = shared
    return shared


def _register(shared: Connection, schema: MetaTable) -> None:
    """Add a table's schema; models sharing a table (media-objects) must agree on its keys."""
    try:
        known = shared.get_meta_table(schema.table_name)
    except TableError:
        shared.add_meta_table(schema)
        return
    if _keys(known) != _keys(schema):
        raise ValueError(f"models of table {schema.table_name} disagree on its keys or indexes")


def _keys(schema: MetaTable) -> tuple:
    indexes = schema.data.get("GlobalSecondaryIndexes", []) + schema.data.get("LocalSecondaryIndexes", [])
    return schema.hash_keyname, schema.range_keyname, sorted(index["IndexName"] for index in indexes)


def is_condition_failure(exc: Exception) -> bool:
    """True when a PynamoDB write failed only because its condition did not hold."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
