"""A cheap (generated, bulk-imported) password hash costs as much to check as a full one, so the login's response
time does not tell a bulk-imported login from an unknown one (which is checked against DUMMY_HASH)."""

from __future__ import annotations

import hashlib

from chalicelib.identity import passwords
from chalicelib.identity.bulk_accounts import hash_generated


def derivation_costs(monkeypatch, password: str, stored: str) -> tuple[bool, list[int]]:
    costs: list[int] = []
    original = hashlib.scrypt

    def scrypt(*args, **kwargs):
        costs.append(kwargs["n"])
        return original(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", scrypt)
    return passwords.verify_password(password, stored), costs


def test_a_cheap_hash_is_checked_at_its_cost_and_padded_with_a_full_one(monkeypatch):
    stored = hash_generated("correct horse")
    full = passwords.DUMMY_HASH.split("$")[1]
    assert int(stored.split("$")[1]) < int(full)  # the premise: generated passwords are hashed cheaply
    for attempt, expected in (("correct horse", True), ("wrong", False)):
        ok, costs = derivation_costs(monkeypatch, attempt, stored)
        assert ok is expected
        assert max(costs) == int(full), costs


def test_a_full_cost_hash_is_derived_once(monkeypatch):
    stored = passwords.hash_password("pw")
    ok, costs = derivation_costs(monkeypatch, "pw", stored)
    assert ok and costs == [int(stored.split("$")[1])]
