"""The form row's per-object entry (media/claims.py): as small as the claim checks need, exact for what they read."""

from __future__ import annotations

import hashlib

import pytest

from chalicelib.media.claims import Claimed, claimed, read_entry, record_entry, slot
from chalicelib.media.models import UploadFormRecord

SHA = hashlib.sha256(b"frame").hexdigest()
ETAG = hashlib.md5(b"frame").hexdigest()
VERSION = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH"  # an AWS S3 version id: 32 characters
NAME = "20261129T125955123Z-0123456789ab.jpg"


@pytest.mark.parametrize(
    ("version", "sha256", "etag", "expected"),
    [
        (VERSION, SHA, ETAG, Claimed(VERSION, SHA, None)),  # a version identifies its bytes: no etag kept
        (None, SHA, ETAG, Claimed(None, SHA, ETAG)),
        (None, SHA, "abc-2", Claimed(None, SHA, "abc-2")),  # a multipart etag, kept as text
        ("", None, ETAG, Claimed(None, None, ETAG)),
    ],
)
def test_an_entry_reads_back_what_the_checks_need(version, sha256, etag, expected):
    assert read_entry(record_entry(version, sha256, etag)) == expected


def test_an_entry_is_65_bytes_with_a_version_and_49_without():
    assert len(record_entry(VERSION, SHA, ETAG)) == 1 + 32 + 32
    assert len(record_entry(None, SHA, ETAG)) == 1 + 32 + 16


def test_a_slot_is_11_characters_and_differs_per_name():
    assert len(slot(NAME)) == 11 and slot(NAME) != slot(NAME.replace("ab.jpg", "ac.jpg"))


@pytest.mark.parametrize(
    ("held", "version", "etag", "same"),
    [
        (Claimed(VERSION, SHA, None), VERSION, ETAG, True),  # a redelivery
        (Claimed(VERSION, SHA, None), "other-version", ETAG, False),  # a re-upload, even of the same bytes
        (Claimed(None, SHA, ETAG), None, ETAG, True),
        (Claimed(None, SHA, ETAG), None, "0" * 32, False),
        (Claimed(None, SHA, ETAG), VERSION, ETAG, False),  # versioning turned on since
        (Claimed(VERSION, SHA, ETAG), VERSION, ETAG, True),  # as the old code recorded it
    ],
)
def test_same_object_is_the_same_version_or_without_versions_the_same_etag(held, version, etag, same):
    assert held.same_object(version, etag) is same


def test_a_form_row_reads_entries_of_both_layouts():
    form = UploadFormRecord.from_raw_data(
        {
            "object_id": {"S": "form#x/webcam/20261129T1259Z"},
            "objects": {
                "M": {
                    slot(NAME): {"B": record_entry(VERSION, SHA, ETAG)},
                    "old.jpg": {"M": {"v": {"S": "v1"}, "s": {"S": SHA}, "e": {"S": ETAG}}},  # the old code's
                }
            },
        }
    )
    assert claimed(form, NAME) == Claimed(VERSION, SHA, None)
    assert claimed(form, "old.jpg") == Claimed("v1", SHA, ETAG)
    assert claimed(form, "other.jpg") is None
