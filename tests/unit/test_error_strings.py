"""Every error code the API documents (chalicelib/openapi_spec.py) has a message for the user in kk, ru and en."""

from __future__ import annotations

import json

import pytest

from chalicelib.openapi_spec import ERROR_CODES
from tests.paths import REPO_ROOT


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_documented_error_code_has_a_message(language):
    strings = json.loads((REPO_ROOT / "web" / "src" / "shared" / "i18n" / f"{language}.json").read_text())
    assert [code for code in ERROR_CODES if f"errors.{code}" not in strings] == []
