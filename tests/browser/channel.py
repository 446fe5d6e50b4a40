"""A proctor acting on a candidate's session through the API, for the live-channel browser tests and screenshots."""

from __future__ import annotations

from typing import Any

from tests.api_client import ApiClient
from tests.helpers import ok


class Proctor:
    """The agency's proctor, through the same routes the console uses (each control action carries the revision)."""

    def __init__(self, api: ApiClient, exam: dict[str, Any], sid: str) -> None:
        self.api = api
        self.token = exam["proctor"]
        self.sid = sid

    def path(self, action: str) -> str:
        return f"/proctor/sessions/{self.sid}/{action}"

    def open(self) -> dict[str, Any]:
        """Open the session as the console does (its timeline): the proctor's attention, so the candidate's page
        heartbeats every 5 s instead of 20 s from its next beat on (next_heartbeat_s)."""
        return ok(self.api.call("GET", self.path("timeline"), self.token))

    def journal(self) -> dict[str, Any]:
        return ok(self.api.call("GET", self.path("messages"), self.token))

    def messages(self) -> list[dict[str, Any]]:
        return self.journal()["messages"]

    def rev(self) -> int:
        return self.journal()["session"]["control_rev"]

    def act(self, action: str, **body: Any) -> dict[str, Any]:
        if action in ("warn", "pause", "resume", "terminate"):
            body["expected_rev"] = self.rev()
        return ok(self.api.call("POST", self.path(action), self.token, json=body))

    def warn(self, text: str) -> dict[str, Any]:
        return self.act("warn", text=text)

    def pause(self, text: str) -> dict[str, Any]:
        return self.act("pause", text=text)

    def resume(self) -> dict[str, Any]:
        return self.act("resume")

    def chat(self, text: str) -> dict[str, Any]:
        return self.act("chat", text=text)

    def terminate(self, reason: str) -> dict[str, Any]:
        return self.act("terminate", reason=reason)
