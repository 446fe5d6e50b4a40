"""A thin HTTP client for the API under test: real requests over TCP to the local Chalice server."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import requests

# Logins are each agency's own, so a login request names the agency. Tests mostly know a login only; the client
# remembers which agency first issued each login it saw created (rosters posted through it, agencies the fixtures
# made) and, failing that, looks the login up in the users table of the stack this process is bound to. A test
# that gives one login to two agencies names the agency (or passes the account id `<agency>~<login>`).
UNKNOWN_AGENCY = "no-such-agency"  # for logins nobody issued: the API answers them like a wrong password
_AGENCIES: dict[str, str] = {}  # login -> the first agency seen issuing it
_ROSTER = re.compile(r"^/admin/exams/[^/]+/roster$")


def remember(agency_id: str, *logins: str) -> None:
    """Note that `agency_id` issued these logins (the tests' own bookkeeping, not the API's)."""
    for login in logins:
        _AGENCIES.setdefault(login.lower(), agency_id)


def token_agency(token: str) -> str:
    """The agency claim of a token (read, not verified: the API verifies)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["agency"]


def _stored_agencies(login: str) -> set[str]:
    try:
        from chalicelib.identity.models import UserRecord

        return {user.agency_id for user in UserRecord.scan(UserRecord.login == login.lower())}
    except Exception:  # noqa: BLE001 - no stack bound in this process: the login is simply unknown
        return set()


def resolve(user: str, agency: str | None = None) -> tuple[str, str]:
    """(agency, login) for a login or an account id (`<agency>~<login>`), the agency given or looked up."""
    if agency is not None:
        return agency, user
    if "~" in user:
        owner, _, login = user.partition("~")
        return owner, login
    known = _AGENCIES.get(user.lower())
    if known is None:
        stored = _stored_agencies(user)
        assert len(stored) <= 1, f"login {user!r} exists in several agencies {sorted(stored)}: say which"
        known = next(iter(stored), UNKNOWN_AGENCY)
    return known, user


def login_body(user: str, password: str, agency: str | None = None) -> dict[str, str]:
    owner, login = resolve(user, agency)
    return {"agency": owner, "user_id": login, "password": password}


class ApiClient:
    """One connection per request: chalice local answers kept-alive connections slowly (~45 ms vs ~2 ms)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def login(self, user_id: str, password: str, agency: str | None = None) -> str:
        """A token for the login (or account id) in its agency (given, or the one that issued it)."""
        body = login_body(user_id, password, agency)
        response = requests.post(f"{self.base_url}/auth/login", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=15, **kwargs)
        if method == "POST" and _ROSTER.match(path) and token and response.status_code in (200, 201):
            candidates = (kwargs.get("json") or {}).get("candidates") or []
            remember(token_agency(token), *(str(c.get("user_id")) for c in candidates if isinstance(c, dict)))
        return response
