"""The tables the code uses are exactly the tables infra/ defines (keys, types, indexes, TTL)."""

import pytest
from pynamodb.attributes import TTLAttribute

from chalicelib.wiring import MODELS
from infra.definitions import TABLES, Index
from infra.provision import table_request

BY_SUFFIX = {t.suffix: t for t in TABLES}


def keys(schema):
    return sorted((k["AttributeName"], k["KeyType"]) for k in schema)


def indexes(defined):
    """(name, keys, projection type, included attributes) per index: the projection is part of the contract."""
    out = []
    for i in defined:
        projection = i.get("projection") or i["Projection"]
        out.append(
            (
                i.get("index_name") or i["IndexName"],
                tuple(keys(i.get("key_schema") or i["KeySchema"])),
                projection["ProjectionType"],
                tuple(sorted(projection.get("NonKeyAttributes", []))),
            )
        )
    return sorted(out)


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


def test_the_session_indexes_copy_keys_only_so_updates_never_reach_them():
    """Answers, counters and proctor actions rewrite the session item; with KEYS_ONLY indexes, only a status change
    (which changes the index keys) writes an index partition."""
    sessions = BY_SUFFIX["sessions"]
    assert {i.name: i.projection for i in sessions.global_indexes} == {
        "by_exam_status": "KEYS_ONLY",
        "by_agency_status": "KEYS_ONLY",
    }
    request = table_request(sessions, "t")
    assert {i["IndexName"]: i["Projection"] for i in request["GlobalSecondaryIndexes"]} == {
        "by_exam_status": {"ProjectionType": "KEYS_ONLY"},
        "by_agency_status": {"ProjectionType": "KEYS_ONLY"},
    }


def test_heartbeats_have_a_small_table_of_their_own():
    presence = BY_SUFFIX["presence"]
    assert (presence.hash_key, presence.range_key, presence.global_indexes) == ("session_id", None, ())
    assert presence.ttl_attribute == "expires_at"


def test_an_include_projection_names_its_attributes_and_only_then():
    included = table_request(
        BY_SUFFIX["sessions"].__class__(
            "t",
            "pk",
            attributes={"pk": "S", "g": "S"},
            global_indexes=(Index("i", "g", projection="INCLUDE", include=("a", "b")),),
        ),
        "t",
    )
    assert included["GlobalSecondaryIndexes"][0]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["a", "b"],
    }
    for bad in ({"projection": "INCLUDE"}, {"projection": "ALL", "include": ("a",)}, {"projection": "SOME"}):
        with pytest.raises(ValueError):
            Index("i", "g", **bad)
