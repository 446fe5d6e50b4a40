"""Screenshots of every candidate screen in kk, ru and en into .local/screenshots/ (or the folder given).

    .venv/bin/python -m tests.browser.screenshots [OUT_DIR]

Starts its own local stack (moto, API, dispatcher, web server), builds web/dist if needed, drives Debian's Chromium.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from playwright.sync_api import sync_playwright

from local.stack import LocalStack
from tests.api_client import ApiClient
from tests.browser.conftest import CHROMIUM, SCREENSHOTS, build_web, chromium_args
from tests.browser.exams import new_candidate_exam
from tests.browser.screens import Shooter, walk, walk_channel, walk_denied_camera, walk_identity
from tests.paths import FACES_DIR

PASSWORD = "screenshots-password-1"


def main(out: Path) -> int:
    for old in out.glob("*.png"):
        old.unlink()
    build_web()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as cleanup:
        clip = Path(tmp) / "clip.y4m"
        subprocess.run(
            [sys.executable, str(FACES_DIR / "make_clip.py"), str(clip), "--seconds-per-segment", "2.5"], check=True
        )
        stack = LocalStack(log_dir=Path(tmp) / "logs")
        cleanup.callback(stack.stop)
        stack.start_endpoint()
        try:  # the wiring module moved during a backend reorganisation
            from chalicelib import wiring
        except ImportError:  # pragma: no cover
            from chalicelib.core import wiring  # type: ignore[no-redef]

        wiring.reset()
        stack.start_services()
        web_url = stack.web_url
        from local.seed import create_agency

        api = ApiClient(stack.api_url)
        agency = create_agency("shots", PASSWORD)
        shoot = Shooter(out)
        pw = cleanup.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=chromium_args(clip))
        cleanup.callback(browser.close)
        walk(browser, web_url, new_candidate_exam(api, agency, PASSWORD), shoot)
        walk_identity(browser, web_url, new_candidate_exam(api, agency, PASSWORD, require_identity=True), shoot)
        walk_channel(browser, web_url, new_candidate_exam(api, agency, PASSWORD), api, shoot)
        denied = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=chromium_args(clip, fake_ui=False))
        cleanup.callback(denied.close)
        walk_denied_camera(denied, web_url, new_candidate_exam(api, agency, PASSWORD), shoot)
    print(f"{len(list(out.glob('*.png')))} screenshots in {out}")
    for problem in shoot.problems:
        print("PROBLEM", problem)
    return 1 if shoot.problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else SCREENSHOTS))
