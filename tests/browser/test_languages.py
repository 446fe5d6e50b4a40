"""Every screen in kk, ru and en: the text changes with the language and no untranslated key shows anywhere."""

from __future__ import annotations

import shutil

from tests.browser.checks import session_id, violation_types, wait_for
from tests.browser.conftest import SCREENSHOTS
from tests.browser.screens import LANGS, Shooter, walk


def test_every_screen_in_kk_ru_en_has_no_untranslated_text(browser, web_url, candidate_exam, api, tmp_path):
    shoot = Shooter(tmp_path)
    try:
        walk(browser, web_url, candidate_exam, shoot)
        assert shoot.problems == []
        assert shoot.count >= 18
        for screen, headings in shoot.headings.items():
            assert set(headings) == set(LANGS), screen
            assert len(set(headings.values())) == 3, (screen, headings)  # each language reads differently
        sid = session_id(api, candidate_exam)
        wait_for(lambda: "screen_share_ended" in violation_types(api, candidate_exam, sid), timeout_s=15)
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for png in tmp_path.glob("*.png"):
            shutil.copy(png, SCREENSHOTS / png.name)
        raise
