"""The agency admin's console in a real Chromium against the local stack: create an exam, upload a question bank
(report first, then import), admit 2,500 candidates from a CSV in 1,000-row parts (progress bar, a failed part and a
reload resumed, passwords downloaded once), export results as XLSX (opened with openpyxl), view a statement and
download its PDF."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.admin_console import (
    bank_csv,
    create_exam_via_api,
    download,
    go_to,
    open_admin_console,
    reload_console,
    roster_csv,
    write,
)
from tests.helpers import PASSWORD, account_of, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_token(api, agency) -> str:
    return api.login(agency["admin"], PASSWORD)


@pytest.fixture
def console(context, agency) -> Page:
    return open_admin_console(context, agency["admin"], PASSWORD)


def test_admin_creates_an_exam_with_the_policy_explained(console: Page, api, admin_token) -> None:
    page = console
    page.locator("#new-exam").click()
    # every analysis setting is explained in the API's plain words, with its default
    webcam = page.locator("[data-policy=webcam_every_s]")
    expect(webcam).to_contain_text("webcam")
    expect(webcam).to_contain_text("Default: 5")
    expect(page.locator("[data-policy]")).to_have_count(12)  # incl. audio_keepalive_s
    page.fill("#title-kk", "Мемлекеттік қызмет тесті")
    page.fill("#title-ru", "Тест государственной службы")
    page.fill("#duration", "25")
    page.fill("#block-0-id", "law")
    page.fill("#block-0-ru", "Законодательство")
    page.fill("#block-0-count", "2")
    page.fill("#policy-webcam_every_s", "3")
    page.locator("#save-exam").click()
    expect(page.locator("#exam-form-state")).to_have_attribute("data-state", "done")
    row = page.locator("#exam-table tr[data-exam]").filter(has_text="Тест государственной службы")
    expect(row).to_have_count(1)
    exam_id = row.get_attribute("data-exam")
    stored = api.call("GET", f"/admin/exams/{exam_id}", admin_token).json()
    assert stored["duration_s"] == 1500
    assert stored["languages"] == ["kk", "ru"]
    assert stored["blocks"][0]["item_count"] == 2
    assert stored["analysis"]["webcam_every_s"] == 3
    assert stored["analysis"]["screen_every_s"] == 30  # left empty: the default

    # open it now (the form's window starts tomorrow), close it, then duplicate it for a make-up sitting
    expect(row.locator(".tag")).to_have_text("Not open yet")
    row.locator("[data-action=open]").click()
    expect(row.locator(".tag")).to_have_text("Open")
    row.locator("[data-action=close]").click()
    expect(row.locator(".tag")).to_have_text("Closed")
    expect(page.locator("#exam-action")).to_have_attribute("data-state", "done")
    row.locator("[data-action=duplicate]").click()
    page.locator("#dup-submit").click()
    expect(page.locator("#dup-state")).to_have_attribute("data-state", "done")
    copies = page.locator("#exam-table tr[data-exam]").filter(has_text="Тест государственной службы")
    expect(copies).to_have_count(2)
    copy_id = next(i for i in (copies.nth(n).get_attribute("data-exam") for n in range(2)) if i != exam_id)
    copy = api.call("GET", f"/admin/exams/{copy_id}", admin_token).json()
    assert copy["blocks"] == stored["blocks"]
    assert copy["opens_at"] > stored["opens_at"]

    # a missing title is refused in the page, linked from the error summary
    page.locator("#new-exam").click()
    page.locator("#save-exam").click()
    expect(page.locator(".error-summary a[href='#title-kk']")).to_be_visible()


def test_bank_report_before_import_then_preview(console: Page, api, admin_token, tmp_path) -> None:
    page = console
    exam_id = create_exam_via_api(api, admin_token, now=datetime.now(UTC))
    reload_console(page)
    go_to(page, "bank", exam_id)
    # a file with one bad row: the report names the row, nothing is stored, import is not offered
    page.set_input_files("#bank-file", str(write(tmp_path, "bank.csv", bank_csv(3, broken_row=2))))
    report = page.locator("#bank-report")
    expect(report).to_have_attribute("data-ok", "false")
    bad = page.locator("#bank-rows tr[data-row='2']")
    expect(bad).to_have_class("ac-row--error")
    expect(bad.locator("[data-code]")).to_have_attribute("data-code", "bank.row.correct_unknown")
    expect(page.locator("#bank-import")).to_be_disabled()
    assert api.call("GET", f"/admin/exams/{exam_id}", admin_token).json()["bank_size"] == 0
    # the corrected file: every row correct, enough per block, then import
    page.set_input_files("#bank-file", str(write(tmp_path, "bank-ok.csv", bank_csv(3))))
    expect(report).to_have_attribute("data-ok", "true")
    expect(page.locator("#bank-rows tbody tr")).to_have_count(6)
    expect(report.locator("[data-testid=per-block] tr[data-block=law]")).to_contain_text("3")
    assert api.call("GET", f"/admin/exams/{exam_id}", admin_token).json()["bank_size"] == 0  # still a dry run
    page.locator("#bank-import").click()
    expect(page.locator("#bank-import-state")).to_have_attribute("data-state", "done")
    assert api.call("GET", f"/admin/exams/{exam_id}", admin_token).json()["bank_size"] == 6
    # preview in each language
    preview = page.locator("#bank-preview")
    expect(preview.locator("#bank-size")).to_contain_text("6")
    preview.locator("details[data-block=law] summary").click()
    expect(preview.locator("[data-item='law-001'] p").first).to_contain_text("Сұрақ 1")
    page.select_option("#preview-lang", "ru")
    expect(preview.locator("[data-item='law-001'] p").first).to_contain_text("Вопрос 1")
    expect(preview.locator("[data-item='law-001'] .ac-correct")).to_contain_text("Ответ a")


def progress_values(page: Page) -> list[int]:
    return page.evaluate("() => window.__progress || []")


RECORD_PROGRESS = """() => {
  window.__progress = [];
  const seen = () => {
    const bar = document.querySelector('#roster-progress');
    if (bar) { const v = Number(bar.getAttribute('data-percent')); const p = window.__progress;
      if (!p.length || p[p.length - 1] !== v) p.push(v); }
  };
  new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def test_roster_of_2500_in_parts_with_progress_resume_and_passwords_once(
    console: Page, api, admin_token, agency, tmp_path
) -> None:
    page = console
    exam_id = create_exam_via_api(api, admin_token, now=datetime.now(UTC))
    reload_console(page)
    go_to(page, "roster", exam_id)
    text, logins = roster_csv(2500)
    path = write(tmp_path, "roster.csv", text)

    # the second part fails once (the network drops): the upload stops there, 1 of 3 parts confirmed
    failed = {"n": 0}

    def drop_part_1(route):
        if route.request.url.endswith("part=2") and failed["n"] == 0:
            failed["n"] += 1
            route.abort()
        else:
            route.continue_()

    is_part = lambda url: "/roster?" in url  # noqa: E731
    page.route(is_part, drop_part_1)
    page.set_input_files("#roster-file", str(path))
    expect(page.locator("#roster-file-summary")).to_contain_text("2,500")
    page.evaluate(RECORD_PROGRESS)
    page.locator("#roster-start").click()
    expect(page.locator("#roster-run")).to_have_attribute("data-state", "failed", timeout=120000)
    expect(page.locator("#roster-progress")).to_have_attribute("data-percent", "33")
    assert progress_values(page) == [0, 33]
    page.unroute(is_part)

    # a reload keeps the job (this tab's session storage); choosing the same file continues it
    reload_console(page)
    go_to(page, "roster", exam_id)
    expect(page.locator("#roster-resume-hint")).to_contain_text("roster.csv")
    page.set_input_files("#roster-file", str(path))
    expect(page.locator("#roster-start")).to_have_text("Continue the upload")
    page.evaluate(RECORD_PROGRESS)
    page.locator("#roster-start").click()
    expect(page.locator("#roster-run")).to_have_attribute("data-state", "done", timeout=300000)
    expect(page.locator("#roster-progress")).to_have_attribute("data-percent", "100")
    assert progress_values(page) == [33, 66, 100]
    expect(page.locator("#roster-admitted")).to_have_attribute("data-count", "2500")
    expect(page.locator("#roster-errors-count")).to_have_attribute("data-count", "0")

    # the passwords: one CSV download, then gone from the page (and from its storage)
    saved = download(page, "#roster-passwords-download", tmp_path)
    with saved.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["login", "password"]
    assert sorted(r[0] for r in rows[1:]) == sorted(logins)
    expect(page.locator("#roster-passwords-gone")).to_be_visible()
    expect(page.locator("#roster-passwords-download")).to_have_count(0)
    stored = page.evaluate(f"() => sessionStorage.getItem('admin.roster-job.{exam_id}')") or ""
    assert '"passwords":[]' in stored and rows[1][1] not in stored
    # a downloaded password opens its account
    login, password = rows[1]
    api.login(account_of(agency["agency_id"], login), password)

    # the list: every candidate admitted, none consented yet
    page.locator("#roster-passwords-gone").scroll_into_view_if_needed()
    expect(page.locator("#roster-count")).to_contain_text("2,500 candidates")
    page.fill("#roster-search", logins[1234])
    expect(page.locator("#roster-table tbody tr")).to_have_count(1)
    expect(page.locator(f"#roster-table tr[data-login='{logins[1234]}']")).to_contain_text("Admitted")


def finished_sitting(api, admin_token: str, agency, exam_id: str, tmp_path) -> str:
    """A candidate admitted, consented, started, answered one item and submitted; returns the login."""
    from local.seed import demo_bank

    api.call("POST", f"/admin/exams/{exam_id}/questions", admin_token, json=demo_bank(3)).raise_for_status()
    login = "results-cand"
    body = {"candidates": [{"user_id": login, "full_name": "Айгүл Серікқызы", "password": PASSWORD}]}
    api.call("POST", f"/admin/exams/{exam_id}/roster", admin_token, json=body).raise_for_status()
    token = api.login(account_of(agency["agency_id"], login), PASSWORD)
    consent = {"accepted": True, "language": "ru"}
    api.call("POST", f"/exams/{exam_id}/consent", token, json=consent).raise_for_status()
    session = api.call("POST", f"/exams/{exam_id}/sessions", token, json={"language": "ru"}).json()
    item = session["items"][0]
    api.call(
        "PUT",
        f"/sessions/{session['session_id']}/answers/{item['item_id']}",
        token,
        json={"option_id": item["options"][0]["option_id"]},
    ).raise_for_status()
    api.call("POST", f"/sessions/{session['session_id']}/submit", token, json={}).raise_for_status()
    return login


def test_results_export_xlsx_and_statement_pdf(console: Page, api, admin_token, agency, tmp_path) -> None:
    page = console
    exam_id = create_exam_via_api(api, admin_token, now=datetime.now(UTC))
    login = finished_sitting(api, admin_token, agency, exam_id, tmp_path)
    reload_console(page)
    go_to(page, "results", exam_id)
    row = page.locator(f"#results-table tr[data-login='{login}']")
    expect(row).to_contain_text("Айгүл Серікқызы")
    expect(row).to_contain_text("/ 5")

    xlsx = download(page, "#results-xlsx", tmp_path)
    assert xlsx.read_bytes()[:2] == b"PK"  # a real XLSX (a zip), not CSV renamed
    sheet = load_workbook(xlsx).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][:5] == ["Login", "Full name", "Status", "Score", "Max score"], rows[0]
    mine = next(r for r in rows[1:] if r[0] == login)
    assert mine[1] == "Айгүл Серікқызы"
    assert mine[4] == 5  # the maximum score, a number cell: 3 + 2 items drawn
    assert isinstance(mine[3], int | float)
    csv_file = download(page, "#results-csv", tmp_path)
    assert login in csv_file.read_text(encoding="utf-8-sig")

    # the sitting is metered when it ends; the month's statement has the exam's line
    month = datetime.now(UTC).strftime("%Y-%m")

    def metered():
        answer = api.call("GET", f"/admin/statements/{month}?format=json", admin_token).json()
        return next((line for line in answer["lines"] if line["exam_id"] == exam_id), None)

    line = wait_for(metered, timeout_s=60, message="no statement line for the sitting")
    go_to(page, "usage")
    statement_row = page.locator(f"#statement-lines tr[data-exam='{exam_id}']")
    expect(statement_row).to_be_visible()
    expect(statement_row).to_contain_text(str(line["sittings"]))
    expect(page.locator("#statement-total")).not_to_be_empty()
    pdf = download(page, "#statement-pdf", tmp_path)
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_staff_account_shows_its_password_once_and_can_be_blocked(console: Page, api, agency) -> None:
    page = console
    go_to(page, "staff")
    login = f"proctor-{datetime.now(UTC).strftime('%H%M%S%f')}"
    page.fill("#staff-login", login)
    page.fill("#staff-name", "Дина Жақсыбекова")
    page.locator("#staff-create").click()
    password = page.locator("#staff-password [data-testid=one-time-password]").inner_text()
    api.login(login, password, agency=agency["agency_id"])
    row = page.locator(f"#staff-table tr[data-login='{login}']")
    expect(row).to_contain_text("All exams")
    row.locator("[data-action=toggle]").click()
    expect(row).to_contain_text("Blocked")
    go_to(page, "audit")
    expect(page.locator("#audit-table tr[data-action='staff.created']").first).to_contain_text(login)
