"""Accounts are scoped per agency: the stored account id is derived from (agency, login).

A login (often a national ID number) means something only inside the agency that issued it, so two agencies can
give the same person, or two different people, the same login without touching each other's account. The account
id is `<agency>~<login>`: both parts are lower-case and neither may contain `~` (logins and agency codes are
`[a-z0-9][a-z0-9._@-]*`), so the pair is recovered exactly and ids of different agencies never collide. It is
the users table's key, the token's `sub`, `Principal.user_id` and the `candidate_id` every other context stores.
"""

from __future__ import annotations

import re

SEPARATOR = "~"
CODE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,127}$")  # a login or an agency code, lower-cased


def normalize(text: str) -> str:
    """How a login or an agency code is compared: surrounding blanks dropped, lower-case."""
    return text.strip().lower()


def account_id(agency_id: str, login: str) -> str:
    """The stored id of `login` in `agency_id`; ValueError for a part that could not be split back out."""
    agency, name = normalize(agency_id), normalize(login)
    if not CODE.match(agency) or not CODE.match(name):
        raise ValueError("an agency code and a login are [a-z0-9][a-z0-9._@-]{0,127}")
    return f"{agency}{SEPARATOR}{name}"


def split_account_id(account: str) -> tuple[str, str]:
    """(agency, login) of an account id; an id without an agency (an account made before scoping) has ''."""
    agency, separator, login = account.partition(SEPARATOR)
    return (agency, login) if separator else ("", account)


def login_of(account: str) -> str:
    """The login people type and see, for an account id."""
    return split_account_id(account)[1]


def agency_of(account: str) -> str:
    return split_account_id(account)[0]
