"""Every runtime dependency is pinned once, in constraints.txt, and both Lambdas take their versions from it."""

from __future__ import annotations

import re

from tests.paths import REPO_ROOT

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def names(path) -> list[str]:
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            found.append(NAME.match(line).group(0).lower().replace("_", "-"))
    return found


def pins() -> dict[str, str]:
    pinned = {}
    for line in (REPO_ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt line without an exact pin: {line!r}"
            pinned[name.lower().replace("_", "-")] = version
    return pinned


def test_every_runtime_requirement_has_exactly_one_pin_in_constraints():
    pinned = pins()
    for requirements in (
        REPO_ROOT / "requirements.txt",
        REPO_ROOT / "functions" / "frame_analyzer" / "requirements.txt",
        REPO_ROOT / "functions" / "identity_checker" / "requirements.txt",
    ):
        text = requirements.read_text()
        assert re.search(r"^-c .*constraints\.txt$", text, re.MULTILINE), (
            f"{requirements} does not apply the constraints"
        )
        unpinned = [name for name in names(requirements) if name not in pinned]
        assert unpinned == [], f"{requirements.name} names packages constraints.txt does not pin: {unpinned}"
        assert "==" not in text, f"{requirements.name} pins a version itself; pins live in constraints.txt"


def test_the_analyzer_needs_no_token_library():
    assert "pyjwt" not in names(REPO_ROOT / "functions" / "frame_analyzer" / "requirements.txt")
