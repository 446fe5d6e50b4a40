"""Screenshots of every proctor console screen in kk, ru and en into .local/screenshots/console-*.png.

    .venv/bin/python -m tests.browser.console_screenshots [OUT_DIR]

Starts its own local stack, builds web/dist if needed, fills one exam with 50 live sessions (frames, two-face
violations, tab switches, a silent one, a paused one, an unread chat) plus finished ones for the review queue and a
rejected identity check, then walks the console at 1920×1080 (and the grid at 1366×768). Each screen is checked for
key-like text and sideways scrolling; at 1920×1080 all 50 tiles must fit on the screen.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

from local.stack import LocalStack
from tests.api_client import ApiClient
from tests.browser.conftest import BASE_ARGS, CHROMIUM, SCREENSHOTS, SPEECH_WAV, build_web
from tests.browser.console import FULL_HD, act, choose_exam, console_context, open_console, open_session
from tests.browser.exams import BLOCKS, FAST_ANALYSIS, TITLE
from tests.browser.screens import KEY_PATTERN, LANGS
from tests.helpers import IMPOSTOR, SELFIE, WEBCAM, presign, upload, verify, wait_for
from tests.paths import FACES_DIR

PASSWORD = "console-shots-password-1"
LIVE = 50
NAMES = [
    "Айгүл Серікқызы",
    "Нұрлан Әбенов",
    "Дина Жақсыбекова",
    "Ерлан Қасымов",
    "Мадина Төлеуова",
    "Асхат Нұрпейісов",
    "Гүлнар Оспанова",
    "Тимур Ахметов",
    "Жанар Байжанова",
    "Арман Сейітов",
]


class ConsoleShooter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.problems: list[str] = []
        self.count = 0
        out.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, name: str, full_page: bool = False) -> None:
        for lang in LANGS:
            page.evaluate("lang => document.querySelector(`.lang-switch button[lang=${lang}]`).click()", lang)
            page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)
            page.wait_for_timeout(150)
            keys = sorted({m.group(0) for m in KEY_PATTERN.finditer(page.inner_text("body"))})
            if keys:
                self.problems.append(f"{name}/{lang}: text that looks like a key: {keys}")
            width = page.viewport_size["width"] if page.viewport_size else 0
            if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"):
                self.problems.append(f"{name}/{lang}: the page scrolls sideways at {width} px")
            page.screenshot(path=str(self.out / f"console-{name}-{lang}.png"), full_page=full_page)
            self.count += 1
        page.evaluate("() => document.querySelector('.lang-switch button[lang=en]').click()")


def make_world(api: ApiClient, agency: dict[str, str]) -> dict[str, Any]:
    admin = api.login(agency["admin"], PASSWORD)
    proctor = api.login(agency["proctor"], PASSWORD)
    now = datetime.now(UTC)
    from local.seed import demo_bank

    def exam(require_identity: bool = False) -> str:
        payload = {
            "title": TITLE,
            "duration_s": 3600,
            "blocks": BLOCKS,
            "analysis": FAST_ANALYSIS,
            "opens_at": (now - timedelta(minutes=5)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
            "require_identity": require_identity,
        }
        created = api.call("POST", "/admin/exams", admin, json=payload)
        assert created.status_code == 201, created.text
        exam_id = created.json()["exam_id"]
        api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=demo_bank(4)).raise_for_status()
        return exam_id

    exam_id = exam()
    ids = [f"cand-{uuid.uuid4().hex[:8]}" for _ in range(LIVE + 3)]
    roster = [{"user_id": c, "full_name": NAMES[i % len(NAMES)], "password": PASSWORD} for i, c in enumerate(ids)]
    api.call("POST", f"/admin/exams/{exam_id}/roster", admin, json={"candidates": roster}).raise_for_status()

    def start(candidate_id: str) -> dict[str, Any]:
        token = api.login(candidate_id, PASSWORD)
        api.call(
            "POST", f"/exams/{exam_id}/consent", token, json={"accepted": True, "language": "kk"}
        ).raise_for_status()
        session = api.call("POST", f"/exams/{exam_id}/sessions", token, json={"language": "kk"}).json()
        ctx = {"exam_id": exam_id, "candidate": token, "candidate_id": candidate_id, "session": session}
        return ctx

    with ThreadPoolExecutor(8) as pool:
        sittings = list(pool.map(start, ids))
    live, finished = sittings[:LIVE], sittings[LIVE:]

    def monitor(i_ctx: tuple[int, dict[str, Any]]) -> None:
        i, ctx = i_ctx
        sid = ctx["session"]["session_id"]
        if i != 7:  # one silent session: "no signal"
            api.call("POST", f"/sessions/{sid}/heartbeat", ctx["candidate"], json={"client_id": f"shots-{i:04d}"})
        upload(presign(api, ctx), WEBCAM.read_bytes()).raise_for_status()
        if i < 3:
            for _ in range(2):
                upload(presign(api, ctx), (FACES_DIR / "group__two_people.jpg").read_bytes()).raise_for_status()
        if i % 4 == 1:
            events = [
                {"event_id": f"shot-{i}-{n}-abcdef", "type": kind, "occurred_at": ctx["session"]["started_at"]}
                for n, kind in enumerate(["tab_hidden", "copy", "window_blur"][: 1 + i % 3])
            ]
            api.call("POST", f"/sessions/{sid}/events", ctx["candidate"], json={"events": events})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(monitor, enumerate(live)))

    main = live[0]
    sid = main["session"]["session_id"]
    upload(presign(api, main, "screen"), (FACES_DIR / "group__bald_guys.jpg").read_bytes()).raise_for_status()
    upload(presign(api, main, "audio"), SPEECH_WAV.read_bytes(), "audio/wav").raise_for_status()

    def rev() -> int:
        return api.call("GET", f"/proctor/sessions/{sid}/messages", proctor).json()["session"]["control_rev"]

    body = {"text": "Please keep your face in the frame.", "expected_rev": rev()}
    warning = api.call("POST", f"/proctor/sessions/{sid}/warn", proctor, json=body).json()["message"]
    api.call("POST", f"/sessions/{sid}/inbox/{warning['message_id']}/ack", main["candidate"])
    api.call(
        "POST", f"/sessions/{sid}/chat", main["candidate"], json={"text": "Сәлеметсіз бе! Менің інім бөлмеге кірді."}
    )
    api.call("POST", f"/proctor/sessions/{sid}/notes", proctor, json={"text": "Second person left after 10 s."})
    paused = live[5]["session"]["session_id"]
    paused_rev = api.call("GET", f"/proctor/sessions/{paused}/messages", proctor).json()["session"]["control_rev"]
    api.call(
        "POST",
        f"/proctor/sessions/{paused}/pause",
        proctor,
        json={"text": "Show the room.", "expected_rev": paused_rev},
    )
    api.call("POST", f"/sessions/{live[9]['session']['session_id']}/chat", live[9]["candidate"], json={"text": "Help!"})

    for n, ctx in enumerate(finished):
        fsid = ctx["session"]["session_id"]
        events = [
            {"event_id": f"fin-{n}-{k}-abcdef", "type": "tab_hidden", "occurred_at": ctx["session"]["started_at"]}
            for k in range(n + 1)
        ]
        api.call("POST", f"/sessions/{fsid}/events", ctx["candidate"], json={"events": events})
        if n == 0:
            frev = api.call("GET", f"/proctor/sessions/{fsid}/messages", proctor).json()["session"]["control_rev"]
            body = {"reason": "A phone was used during the test.", "expected_rev": frev}
            api.call("POST", f"/proctor/sessions/{fsid}/terminate", proctor, json=body)
        else:
            api.call("POST", f"/sessions/{fsid}/submit", ctx["candidate"])

    identity_exam = exam(require_identity=True)
    rejected_id = f"cand-{uuid.uuid4().hex[:8]}"
    roster = [{"user_id": rejected_id, "full_name": "Дина Жақсыбекова", "password": PASSWORD}]
    api.call("POST", f"/admin/exams/{identity_exam}/roster", admin, json={"candidates": roster}).raise_for_status()
    token = api.login(rejected_id, PASSWORD)
    api.call(
        "POST", f"/exams/{identity_exam}/consent", token, json={"accepted": True, "language": "kk"}
    ).raise_for_status()
    verify(api, {"exam_id": identity_exam, "candidate": token}, SELFIE.read_bytes(), IMPOSTOR.read_bytes())

    def analysed() -> bool:
        timeline = api.call("GET", f"/proctor/sessions/{sid}/timeline", proctor).json()
        return {"multiple_faces", "speech_detected"} <= {v["type"] for v in timeline["violations"]}

    try:
        wait_for(analysed, timeout_s=40)
    except BaseException as exc:  # pytest.fail outside pytest: go on with what arrived
        print("note:", exc)

    def heartbeats() -> None:
        """Every live session but the silent one says it is there (before each grid screenshot)."""
        for i, ctx in enumerate(live):
            if i != 7:
                api.call(
                    "POST",
                    f"/sessions/{ctx['session']['session_id']}/heartbeat",
                    ctx["candidate"],
                    json={"client_id": f"shots-{i:04d}"},
                )

    return {"exam_id": exam_id, "identity_exam": identity_exam, "main": sid, "live": live, "heartbeats": heartbeats}


def walk(browser, web_url: str, agency: dict[str, str], world: dict[str, Any], shoot: ConsoleShooter) -> None:
    context = console_context(browser, web_url, FULL_HD)
    try:
        page = open_console(context, agency["admin"], PASSWORD)
        choose_exam(page, world["exam_id"])
        expect(page.locator(".pc-tile")).to_have_count(LIVE)
        world["heartbeats"]()
        page.wait_for_timeout(2500)  # frames load, the heartbeats show
        bottom = page.evaluate(
            "Math.max(...[...document.querySelectorAll('.pc-tile')].map(t => t.getBoundingClientRect().bottom))"
        )
        if bottom > 1080:
            shoot.problems.append(f"live grid: 50 tiles end at {bottom:.0f} px, below a 1080 px screen")
        shoot(page, "live-grid")
        open_session(page, world["main"])
        expect(page.locator("[data-testid=channel] li[data-kind]").first).to_be_visible()
        page.wait_for_timeout(1500)
        shoot(page, "session", full_page=True)
        thumb = page.locator(".pc-thumb").first
        if thumb.count():
            thumb.click()
            expect(page.get_by_role("dialog")).to_be_visible()
            shoot(page, "evidence-dialog")
            page.locator("#zoom-close").click()
        page.fill("#terminate-text", "A second person in the room.")
        page.locator("#terminate-submit").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        shoot(page, "terminate-confirm")
        page.locator("#terminate-no").click()
        page.fill("#terminate-text", "")
        page.locator("#warn-submit").click()
        expect(page.locator("#warn-text-error")).to_be_visible()
        act(page, "chat", "Please stay in front of the camera.")
        shoot(page, "session-action-states", full_page=True)

        page.locator("[data-tab=review]").click()
        choose_exam(page, world["exam_id"])
        expect(page.locator("[data-testid=review-queue] tbody tr")).to_have_count(3, timeout=30000)
        wait_for_verdict_ready(page)
        shoot(page, "review-queue")
        page.locator("[data-action=verdict]:not([disabled])").first.click()
        page.locator("#verdict-annul").check()
        page.locator("#verdict-submit").click()
        expect(page.locator(".dialog .error-summary")).to_be_visible()
        shoot(page, "verdict-errors")
        page.locator("#verdict-cancel").click()

        page.locator("[data-tab=enrollments]").click()
        choose_exam(page, world["identity_exam"], "#enrollment-exam")
        expect(page.locator(".pc-card")).to_have_count(1)
        page.wait_for_timeout(1000)
        shoot(page, "enrollment-review")
        page.locator("[data-action=override]").click()
        expect(page.locator(".pc-override .error-summary")).to_be_visible()
        shoot(page, "enrollment-override-error")
    finally:
        context.close()

    small = console_context(browser, web_url, {"width": 1366, "height": 768})
    try:
        page = open_console(small, agency["proctor"], PASSWORD)
        choose_exam(page, world["exam_id"])
        expect(page.locator(".pc-tile")).to_have_count(LIVE)
        world["heartbeats"]()
        page.wait_for_timeout(2500)
        shoot(page, "live-grid-1366")
        open_session(page, world["main"])
        page.wait_for_timeout(1500)
        shoot(page, "session-1366")
    finally:
        small.close()


def wait_for_verdict_ready(page: Page) -> None:
    """Submitted sessions become `awaiting_review` once scored; refresh until a verdict button is enabled."""
    for _ in range(30):
        if page.locator("[data-action=verdict]:not([disabled])").count():
            return
        page.locator("#review-refresh").click()
        page.wait_for_timeout(1000)


def main(out: Path) -> int:
    for old in out.glob("console-*.png"):
        old.unlink()
    build_web()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as cleanup:
        stack = LocalStack(log_dir=Path(tmp) / "logs")
        cleanup.callback(stack.stop)
        stack.start_endpoint()
        try:
            from chalicelib import wiring
        except ImportError:  # pragma: no cover
            from chalicelib.core import wiring  # type: ignore[no-redef]

        wiring.reset()
        stack.start_services()
        from local.seed import create_agency

        api = ApiClient(stack.api_url)
        agency = create_agency("console", PASSWORD)
        world = make_world(api, agency)
        shoot = ConsoleShooter(out)
        pw = cleanup.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=BASE_ARGS)
        cleanup.callback(browser.close)
        walk(browser, stack.web_url, agency, world, shoot)
    print(f"{shoot.count} console screenshots in {out}")
    for problem in shoot.problems:
        print("PROBLEM", problem)
    return 1 if shoot.problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else SCREENSHOTS))
