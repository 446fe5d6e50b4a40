"""Erasure's S3 side: every version and delete marker, by version id, in batches S3 accepts; refusals are 503s."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import Unavailable
from chalicelib.identity.erasure import DELETE_BATCH, BiometricErasure


class FakeS3:
    def __init__(self, pages, errors=()):
        self.pages, self.errors, self.deleted = pages, list(errors), []

    def get_paginator(self, name):
        assert name == "list_object_versions"
        return self

    def paginate(self, Bucket, Prefix):  # noqa: N803 - boto3's names
        assert (Bucket, Prefix) == ("media", "enrollment/abc/")
        return iter(self.pages)

    def delete_objects(self, Bucket, Delete):  # noqa: N803
        assert len(Delete["Objects"]) <= DELETE_BATCH
        self.deleted.append(Delete["Objects"])
        return {"Errors": self.errors} if self.errors else {}


def erasure(s3):
    return BiometricErasure(s3, "media", clock=None, exams_of=lambda _: [], forget_references=lambda *_: 0)


def test_every_version_and_delete_marker_is_deleted_by_its_version_id_in_batches():
    versions = [{"Key": f"enrollment/abc/selfie/{n}.jpg", "VersionId": f"v{n}"} for n in range(DELETE_BATCH + 5)]
    marker = {"Key": "enrollment/abc/selfie/0.jpg", "VersionId": "dm"}
    s3 = FakeS3([{"Versions": versions}, {"DeleteMarkers": [marker]}, {}])

    assert erasure(s3)._delete_versions("enrollment/abc/") == DELETE_BATCH + 6

    assert [len(batch) for batch in s3.deleted] == [DELETE_BATCH, 5, 1]
    assert s3.deleted[-1] == [marker]


def test_a_deletion_s3_refuses_is_an_incomplete_erasure():
    s3 = FakeS3([{"Versions": [{"Key": "enrollment/abc/x.jpg", "VersionId": "v1"}]}], errors=[{"Code": "AccessDenied"}])
    with pytest.raises(Unavailable) as error:
        erasure(s3)._delete_versions("enrollment/abc/")
    assert error.value.code == "erasure.incomplete"
