"""Every audit action the API records has a name in the admin console's audit screen (its filter and its rows):
an action missing there shows as a raw key such as `slot.created` in every language."""

from __future__ import annotations

import re

from tests.paths import REPO_ROOT


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in (REPO_ROOT / "chalicelib").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'record_audit\(\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', text))
    return found


def listed_actions() -> set[str]:
    screen = (REPO_ROOT / "web/src/admin/AuditScreen.tsx").read_text(encoding="utf-8")
    block = re.search(r"AUDIT_ACTIONS = \[(.*?)\];", screen, re.S)
    assert block, "AUDIT_ACTIONS not found"
    return set(re.findall(r'"([a-z_]+\.[a-z_]+)"', block.group(1)))


def test_every_recorded_audit_action_is_listed_in_the_console():
    recorded = recorded_actions()
    assert {"slot.created", "results.exported", "exam.created"} <= recorded  # the scan finds the API's calls
    assert recorded - listed_actions() == set()
