"""Every violation type the server can record has a name in kk/ru/en for the candidate's log and the console."""

from __future__ import annotations

import json
import re

import pytest

from chalicelib.violations.catalog import ANALYZER_TYPES, BROWSER_TYPES, SERVER_TYPES
from tests.paths import REPO_ROOT

TYPES = sorted({**ANALYZER_TYPES, **SERVER_TYPES, **BROWSER_TYPES})
WEB = REPO_ROOT / "web" / "src"


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_candidate_log_and_console_name_every_type(language):
    candidate = json.loads((WEB / "shared" / "i18n" / f"{language}.json").read_text())
    console = json.loads((WEB / "proctor" / "i18n" / f"{language}.json").read_text())
    assert [t for t in TYPES if f"log.type.{t}" not in candidate] == []
    assert [t for t in TYPES if f"proctor.violation.{t}" not in console] == []


def test_the_candidate_log_maps_every_type_to_its_name():
    mapped = set(re.findall(r'^\s+(\w+): "log\.type\.\1",$', (WEB / "candidate" / "Channel.tsx").read_text(), re.M))
    assert [t for t in TYPES if t not in mapped] == []
