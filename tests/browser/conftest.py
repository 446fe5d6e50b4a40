"""Real-browser tests: Debian's Chromium driven by Python playwright, a fake camera clip and a fake microphone."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.exams import new_candidate_exam
from tests.helpers import PASSWORD
from tests.paths import FACES_DIR, REPO_ROOT

WEB = REPO_ROOT / "web"
DIST = WEB / "dist"
CHROMIUM = os.environ.get("PROCTOR_CHROMIUM", "/usr/bin/chromium")
SPEECH_WAV = REPO_ROOT / "tests" / "fixtures" / "audio" / "speech_ru.wav"
SCREENSHOTS = REPO_ROOT / ".local" / "screenshots"
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium against the local stack (tests/browser)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def _stale() -> bool:
    built = DIST / "index.html"
    if not built.exists():
        return True
    sources = [WEB / "index.html", WEB / "package-lock.json", *(WEB / "src").rglob("*")]
    return max(p.stat().st_mtime for p in sources if p.is_file()) > built.stat().st_mtime


def build_web() -> Path:
    """web/dist, (re)built when missing or older than its sources (CI and `make` run npm ci && npm run build)."""
    if _stale():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed and web/dist is not built")
        if not (WEB / "node_modules").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
        subprocess.run([npm, "run", "build"], cwd=WEB, check=True)
    return DIST


@pytest.fixture(scope="session")
def web_url(stack) -> str:
    """The app's address: the stack's web server (web/dist, and the API under /api)."""
    build_web()
    return stack.web_url


@pytest.fixture(scope="session")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One person, an empty scene, two people: 2.5 s each, looped by Chromium."""
    out = tmp_path_factory.mktemp("media") / "clip.y4m"
    script = FACES_DIR / "make_clip.py"
    if not script.exists():
        pytest.skip(f"{script} is missing (shared datasets beside the repository)")
    subprocess.run([sys.executable, str(script), str(out), "--seconds-per-segment", "2.5"], check=True)
    return out


def chromium_args(fake_camera: Path, *, fake_ui: bool = True) -> list[str]:
    args = [
        *BASE_ARGS,
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={fake_camera}",
        f"--use-file-for-fake-audio-capture={SPEECH_WAV}",
    ]
    if fake_ui:
        args.append("--use-fake-ui-for-media-stream")
    return args


@pytest.fixture(scope="session")
def playwright_instance():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance, fake_camera: Path):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=chromium_args(fake_camera)
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser, web_url: str, request: pytest.FixtureRequest):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url, locale="en-GB")
    yield context
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for i, page in enumerate(context.pages):
            with contextlib.suppress(Exception):  # a screenshot must not hide the real failure
                page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}-{i}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


@pytest.fixture
def candidate_exam(api, agency) -> dict[str, Any]:
    """An exam with two blocks and fast monitoring; the candidate has not consented yet (the page records it)."""
    return new_candidate_exam(api, agency, PASSWORD)
