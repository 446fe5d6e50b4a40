"""Every bound model shares one DynamoDB connection (one botocore client, one pool), and tables keep their schemas."""

from __future__ import annotations

import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import MAX_POOL_CONNECTIONS, bind_models
from chalicelib.core.settings import load_settings
from tests.unit.test_settings import BASE


@pytest.fixture(autouse=True)
def credentials(monkeypatch):
    # botocore builds a new client on every use while it has no credentials (PynamoDB's guard against a poisoned one)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")


def model(suffix: str, hash_key: str, range_key: str | None = None, **more) -> type[Model]:
    """A fresh model class (the application's own stay bound to the test stack)."""
    attributes = {hash_key: UnicodeAttribute(hash_key=True), **more}
    if range_key:
        attributes[range_key] = UnicodeAttribute(range_key=True)
    meta = type("Meta", (), {"table_name": "unbound"})
    return type(f"Model_{suffix}_{hash_key}", (Model,), {"TABLE_SUFFIX": suffix, "Meta": meta, **attributes})


def models() -> tuple[type[Model], ...]:
    things = model("things", "thing_id", "part")
    forms = model("objects", "object_id")
    quotas = model("objects", "object_id", count=UnicodeAttribute(null=True))  # a second model on the same table
    return things, forms, quotas


def settings(endpoint: str):
    return load_settings({**BASE, "PROCTOR_TABLE_PREFIX": "t-", "AWS_ENDPOINT_URL": endpoint})


def test_all_models_and_transactions_use_one_connection_and_one_client():
    bound = models()
    shared = bind_models(settings("http://127.0.0.1:9"), bound)
    connections = {id(model._get_connection().connection) for model in bound}
    assert connections == {id(shared)}
    clients = {id(model._get_connection().connection.client) for model in bound}
    assert len(clients) == 1
    client = shared.client
    assert client.meta.endpoint_url == "http://127.0.0.1:9" and client.meta.region_name == "eu-central-1"
    assert client.meta.config.max_pool_connections == MAX_POOL_CONNECTIONS
    # each table's schema is on the shared connection, so keys are built right for every model
    assert shared.get_meta_table("t-things").range_keyname == "part"
    assert shared.get_meta_table("t-objects").hash_keyname == "object_id"
    things, forms, _ = bound
    assert things._get_connection().get_operation_kwargs("a", "b")["Key"] == {
        "thing_id": {"S": "a"},
        "part": {"S": "b"},
    }
    assert forms._get_connection().table_name == "t-objects"


def test_rebinding_moves_every_model_to_the_new_endpoint():
    bound = models()
    first = bind_models(settings("http://127.0.0.1:9"), bound)
    second = bind_models(settings("http://127.0.0.1:10"), bound)
    assert second is not first
    assert {model._get_connection().connection.client.meta.endpoint_url for model in bound} == {"http://127.0.0.1:10"}


def test_models_that_disagree_on_a_shared_tables_key_are_refused():
    with pytest.raises(ValueError, match="disagree"):
        bind_models(settings("http://127.0.0.1:9"), [model("shared", "object_id"), model("shared", "other_id")])
