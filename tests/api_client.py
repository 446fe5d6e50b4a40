"""A thin HTTP client for the API under test: real requests over TCP to the local Chalice server."""

from __future__ import annotations

from typing import Any

import requests


class ApiClient:
    """One connection per request: chalice local answers kept-alive connections slowly (~45 ms vs ~2 ms)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def login(self, user_id: str, password: str) -> str:
        response = requests.post(
            f"{self.base_url}/auth/login", json={"user_id": user_id, "password": password}, timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=15, **kwargs)
