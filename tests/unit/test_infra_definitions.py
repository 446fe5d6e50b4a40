"""The tables the code uses are exactly the tables infra/ defines (keys, types, indexes, TTL)."""

import pytest
from pynamodb.attributes import TTLAttribute

from chalicelib.wiring import MODELS
from infra.definitions import TABLES
from infra.provision import table_request

BY_SUFFIX = {t.suffix: t for t in TABLES}


def keys(schema):
    return sorted((k["AttributeName"], k["KeyType"]) for k in schema)


def indexes(defined):
    return sorted(
        (i.get("index_name") or i["IndexName"], tuple(keys(i.get("key_schema") or i["KeySchema"]))) for i in defined
    )


def test_every_model_has_a_table_definition_and_vice_versa():
    assert {m.TABLE_SUFFIX for m in MODELS} == set(BY_SUFFIX)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_model_schema_matches_the_table_definition(model):
    schema = model._get_schema()
    request = table_request(BY_SUFFIX[model.TABLE_SUFFIX], "t")
    assert sorted((a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]) == sorted(
        (a["AttributeName"], a["AttributeType"]) for a in request["AttributeDefinitions"]
    )
    assert keys(schema["key_schema"]) == keys(request["KeySchema"])
    assert indexes(schema["global_secondary_indexes"]) == indexes(request.get("GlobalSecondaryIndexes", []))
    assert indexes(schema["local_secondary_indexes"]) == indexes(request.get("LocalSecondaryIndexes", []))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_ttl_attribute_matches(model):
    ttl = [name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)]
    expected = BY_SUFFIX[model.TABLE_SUFFIX].ttl_attribute
    assert ttl == ([expected] if expected else [])
