"""A minute of claims on one upload form through the real local endpoint: the row stays within one write unit, so
every claim costs one; rows the old code wrote keep their claimed names."""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from benchmarks.cost import dynamodb_item_size
from chalicelib.media import claims
from chalicelib.media.models import UploadFormRecord
from chalicelib.media.uploads import MediaKey, parse_media_key
from tests.helpers import presign

VERSION_ID_CHARS = 32  # an AWS S3 version id


@pytest.fixture
def dynamodb(stack):
    return boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name=stack.region)


def new_form(api, make_exam) -> MediaKey:
    ctx = make_exam()
    ctx["session"] = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}).json()
    return parse_media_key(presign(api, ctx)["key"])


def row_size(dynamodb, form: MediaKey) -> int:
    item = dynamodb.get_item(
        TableName=UploadFormRecord.Meta.table_name, Key={"object_id": {"S": form.form_id}}, ConsistentRead=True
    )["Item"]
    return dynamodb_item_size(item)


def object_in(form: MediaKey, at: datetime) -> MediaKey:
    name = at.strftime("%Y%m%dT%H%M%S") + f"{at.microsecond // 1000:03d}Z-{uuid.uuid4().hex[:12]}.jpg"
    return parse_media_key(form.prefix + name)


def minute_of_claims(dynamodb, form: MediaKey, objects: int) -> tuple[list[int], list[int]]:
    """Row sizes after each claim and each claim's write units (an UpdateItem is billed on the larger of the item
    before and after it)."""
    sizes, units = [row_size(dynamodb, form)], []
    start = datetime.now(UTC)
    for n in range(objects):
        key = object_in(form, start + timedelta(seconds=n * 60 / objects))
        version = uuid.uuid4().hex[:VERSION_ID_CHARS]
        sha256, etag = hashlib.sha256(key.name.encode()).hexdigest(), uuid.uuid4().hex
        assert claims.claim(key, version, sha256, etag, datetime.now(UTC)) is True
        sizes.append(row_size(dynamodb, form))
        units.append(math.ceil(max(sizes[-2], sizes[-1]) / 1024))
    return sizes, units


def test_a_minute_of_claims_at_six_objects_keeps_the_row_in_one_write_unit(api, make_exam, dynamodb):
    sizes, units = minute_of_claims(dynamodb, new_form(api, make_exam), 6)
    print(f"\n6 objects/minute: row bytes {sizes}, write units {units}")
    assert sizes[-1] <= 1024 and units == [1] * 6


def test_a_minute_of_claims_at_twelve_objects(api, make_exam, dynamodb):
    sizes, units = minute_of_claims(dynamodb, new_form(api, make_exam), 12)
    print(f"\n12 objects/minute: row bytes {sizes}, write units {units}")
    assert sizes[1] - sizes[0] <= 80  # per object: 11-character slot + 66-byte entry + map overhead
    assert sum(units) <= 15


def test_a_redelivery_and_a_reupload_are_told_apart(api, make_exam):
    form = new_form(api, make_exam)
    key = object_in(form, datetime.now(UTC))
    sha256 = hashlib.sha256(b"x").hexdigest()
    assert claims.claim(key, "v1", sha256, "e" * 32, datetime.now(UTC)) is True
    assert claims.claim(key, "v1", sha256, "e" * 32, datetime.now(UTC)) is False
    assert claims.claim(key, "v2", sha256, "f" * 32, datetime.now(UTC)) is None
    assert claims.note_reupload(key, "v2") == claims.Claimed("v1", sha256, None)


def test_a_name_the_old_code_claimed_stays_claimed(api, make_exam, dynamodb):
    form = new_form(api, make_exam)
    key = object_in(form, datetime.now(UTC))
    sha256 = hashlib.sha256(b"x").hexdigest()
    old_entry = {"M": {"v": {"S": "v1"}, "s": {"S": sha256}, "e": {"S": "e" * 32}}}
    dynamodb.update_item(
        TableName=UploadFormRecord.Meta.table_name,
        Key={"object_id": {"S": form.form_id}},
        UpdateExpression="SET #objects.#name = :entry ADD #used :one",
        ExpressionAttributeNames={"#objects": "objects", "#name": key.name, "#used": "used"},
        ExpressionAttributeValues={":entry": old_entry, ":one": {"N": "1"}},
    )
    assert claims.claim(key, "v1", sha256, "e" * 32, datetime.now(UTC)) is False  # a redelivery
    assert claims.claim(key, "v2", sha256, "f" * 32, datetime.now(UTC)) is None  # a re-upload
    assert claims.note_reupload(key, "v2") == claims.Claimed("v1", sha256, "e" * 32)
