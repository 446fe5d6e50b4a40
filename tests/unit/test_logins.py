"""Agency-scoped account ids: (agency, login) <-> `<agency>~<login>`, exact both ways and never colliding."""

from __future__ import annotations

import pytest

from chalicelib.identity.enrollment import BIOMETRIC_RETENTION, biometric_expiry
from chalicelib.identity.logins import account_id, agency_of, login_of, split_account_id


def test_an_account_id_names_its_agency_and_login_and_splits_back_exactly():
    account = account_id("Agency-A", " 880101300123 ")
    assert account == "agency-a~880101300123"
    assert split_account_id(account) == ("agency-a", "880101300123")
    assert (agency_of(account), login_of(account)) == ("agency-a", "880101300123")


def test_the_same_login_in_two_agencies_is_two_ids_and_no_pair_collides():
    pairs = [("a", "b.c"), ("a.b", "c"), ("ab", "c"), ("a", "bc"), ("a-b", "c@d"), ("a", "b-c@d")]
    assert len({account_id(agency, login) for agency, login in pairs}) == len(pairs)
    assert account_id("agency-a", "880101300123") != account_id("agency-b", "880101300123")


@pytest.mark.parametrize(
    ("agency", "login"), [("a~b", "c"), ("a", "b~c"), ("", "c"), ("a", ""), ("a", "-x"), ("a b", "c"), ("a", "x" * 129)]
)
def test_parts_that_could_not_be_split_back_are_refused(agency, login):
    with pytest.raises(ValueError):
        account_id(agency, login)


def test_an_id_from_before_scoping_has_no_agency():
    assert split_account_id("cand-1") == ("", "cand-1")


def test_face_templates_expire_with_the_photos_they_came_from():
    from datetime import UTC, datetime, timedelta

    from infra.definitions import MEDIA_RETENTION_DAYS

    assert timedelta(days=MEDIA_RETENTION_DAYS) == BIOMETRIC_RETENTION
    decided = datetime(2026, 1, 1, tzinfo=UTC)
    assert biometric_expiry(decided) == decided + timedelta(days=MEDIA_RETENTION_DAYS)
