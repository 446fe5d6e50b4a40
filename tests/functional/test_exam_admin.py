"""The admin console's exam routes over real HTTP: editing before and after the first start, open / close and what
candidates then meet, duplicates for a make-up sitting, the policy defaults, and who may call any of it."""

from __future__ import annotations

import json
import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.exam.policy import AnalysisPolicy
from local.seed import demo_bank
from tests.helpers import PASSWORD, admit, assert_error, ok
from tests.paths import REPO_ROOT


def start(api, exam_id: str, token: str):
    return api.call("POST", f"/exams/{exam_id}/sessions", token, json={})


def exam_of(api, ctx) -> dict:
    return ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}", ctx["admin"]))


def patch(api, ctx, body):
    return api.call("PATCH", f"/admin/exams/{ctx['exam_id']}", ctx["admin"], json=body)


def soon(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


NEW_TITLE = {"kk": "Жаңа атауы", "ru": "Новое название", "en": "New title"}


# --- Editing ---------------------------------------------------------------------------------------------------


def test_before_any_start_every_field_the_create_takes_can_be_edited_and_candidates_get_the_new_exam(api, make_exam):
    # Given an exam (blocks law 3, ethics 2; a bank of 4 per block) nobody has started
    ctx = make_exam()
    before = exam_of(api, ctx)
    blocks = [
        {"block_id": "law", "title": {"kk": "Заң", "ru": "Право"}, "item_count": 2},
        {"block_id": "ethics", "title": {"kk": "Әдеп", "ru": "Этика"}, "item_count": 1},
    ]
    body = {
        "title": {"kk": NEW_TITLE["kk"], "ru": NEW_TITLE["ru"]},
        "languages": ["kk", "ru"],
        "duration_s": 900,
        "blocks": blocks,
        "require_identity": False,
        "analysis": {"yaw_limit_deg": 40, "webcam_every_s": 7},
        "opens_at": soon(minutes=-10),
        "closes_at": soon(days=2),
    }

    # When the admin edits every one of them
    edited = ok(patch(api, ctx, body))

    # Then the exam shows the new values, and GET agrees with the answer
    assert edited == {**exam_of(api, ctx), "state": "open"}
    assert edited["title"] == body["title"] and edited["languages"] == ["kk", "ru"]
    assert edited["duration_s"] == 900 and edited["blocks"] == blocks
    assert edited["analysis"]["yaw_limit_deg"] == 40.0 and edited["analysis"]["webcam_every_s"] == 7
    assert edited["analysis"]["pitch_limit_deg"] == before["analysis"]["pitch_limit_deg"]
    assert edited["bank_size"] == before["bank_size"] == 8
    # And require_identity is honoured both ways
    ok(patch(api, ctx, {"require_identity": True}))
    assert_error(start(api, ctx["exam_id"], ctx["candidate"]), 403, "identity.not_verified")
    ok(patch(api, ctx, {"require_identity": False}))
    # And a candidate who starts now draws 2 + 1 items and gets 900 s, in a language the exam still offers
    session = ok(start(api, ctx["exam_id"], ctx["candidate"]))
    assert [i["block_id"] for i in session["items"]] == ["law", "law", "ethics"]
    deadline = datetime.fromisoformat(session["deadline_at"].replace("Z", "+00:00"))
    assert 880 <= (deadline - datetime.now(UTC)).total_seconds() <= 901


def test_after_a_start_content_edits_are_refused_whole_but_the_window_still_moves(api, make_exam):
    # Given an exam one candidate has started
    ctx = make_exam()
    ok(start(api, ctx["exam_id"], ctx["candidate"]))
    before = exam_of(api, ctx)

    # When the admin changes the duration (and the window in the same request)
    refused = patch(api, ctx, {"duration_s": 60, "closes_at": soon(days=3)})

    # Then 409 naming the content field, and nothing changed: not even the window of that request
    error = assert_error(refused, 409, "exam.already_started")
    assert error["details"] == {"fields": ["duration_s"]}
    assert exam_of(api, ctx) == before
    for field, value in (
        ("title", NEW_TITLE),
        ("blocks", [{**before["blocks"][0], "item_count": 1}, before["blocks"][1]]),
        ("languages", ["ru"]),
        ("require_identity", True),
        ("analysis", {"reid_every_n": 9}),
    ):
        assert_error(patch(api, ctx, {field: value}), 409, "exam.already_started")
    assert exam_of(api, ctx) == before

    # But moving the window alone works, and so does a whole form whose content is unchanged
    later = soon(days=4)
    moved = ok(patch(api, ctx, {"closes_at": later}))
    assert moved["closes_at"] != before["closes_at"] and moved["duration_s"] == before["duration_s"]
    form = {k: v for k, v in exam_of(api, ctx).items() if k not in ("exam_id", "bank_size")}
    form["opens_at"] = soon(minutes=-30)
    assert ok(patch(api, ctx, form))["opens_at"] != before["opens_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bank_size": 3}, "bank_size"),
        ({"exam_id": "ex-other"}, "exam_id"),
        ({"duration_s": 2}, "duration_s"),
        ({"blocks": []}, "blocks"),
        ({"languages": ["de"]}, "languages"),
        ({"analysis": {"yaw_limit_deg": 400}}, "analysis.yaw_limit_deg"),
        ({"title": {"kk": "a"}}, "title.ru"),
    ],
    ids=["not-editable", "id", "duration", "no-blocks", "language", "policy-range", "title-language"],
)
def test_a_bad_edit_is_a_400_naming_the_field_and_changes_nothing(api, make_exam, body, field):
    ctx = make_exam()
    before = exam_of(api, ctx)

    error = assert_error(patch(api, ctx, body), 400, "request.invalid_field")

    assert error["details"]["field"] == field
    assert exam_of(api, ctx) == before


def test_an_edit_whose_window_ends_before_it_opens_is_refused(api, make_exam):
    ctx = make_exam()
    before = exam_of(api, ctx)
    assert_error(patch(api, ctx, {"closes_at": soon(days=-1)}), 400, "exam.window_invalid")
    assert_error(patch(api, ctx, {}), 400, "request.invalid_field")
    assert_error(patch(api, ctx, ["closes_at"]), 400, "request.body_not_object")
    assert exam_of(api, ctx) == before


# --- Open and close ----------------------------------------------------------------------------------------------


def test_open_lets_candidates_start_early_and_close_stops_new_starts_but_not_running_sessions(api, agency, make_exam):
    # Given an exam whose window opens tomorrow, with two admitted candidates
    ctx = make_exam()
    ok(patch(api, ctx, {"opens_at": soon(days=1), "closes_at": soon(days=2)}))
    assert exam_of(api, ctx)["opens_at"] > soon()
    _, second = admit(api, ctx["admin"], ctx["exam_id"])
    assert_error(start(api, ctx["exam_id"], ctx["candidate"]), 409, "exam.not_open")

    # When the admin opens it now, Then the first candidate can start
    opened = ok(api.call("POST", f"/admin/exams/{ctx['exam_id']}/open", ctx["admin"]))
    assert opened["state"] == "open"
    session = ok(start(api, ctx["exam_id"], ctx["candidate"]))

    # When the admin closes it, Then the second candidate may no longer start
    closed = ok(api.call("POST", f"/admin/exams/{ctx['exam_id']}/close", ctx["admin"]))
    assert closed["state"] == "closed" and closed["closes_at"] <= soon()
    assert_error(start(api, ctx["exam_id"], second), 409, "exam.closed")
    # But the running session goes on: same deadline, answers still accepted
    running = ok(api.call("GET", f"/sessions/{session['session_id']}", ctx["candidate"]))
    assert running["status"] == "in_progress" and running["deadline_at"] == session["deadline_at"]
    item = session["items"][0]
    path = f"/sessions/{session['session_id']}/answers/{item['item_id']}"
    ok(api.call("PUT", path, ctx["candidate"], json={"option_id": item["options"][0]["option_id"]}))

    # When the admin opens the ended window again, it needs a new end
    assert_error(api.call("POST", f"/admin/exams/{ctx['exam_id']}/open", ctx["admin"]), 400, "exam.window_invalid")
    unknown = api.call("POST", f"/admin/exams/{ctx['exam_id']}/open", ctx["admin"], json={"opens_at": soon()})
    assert_error(unknown, 400, "request.invalid_field")
    reopened = ok(
        api.call("POST", f"/admin/exams/{ctx['exam_id']}/open", ctx["admin"], json={"closes_at": soon(hours=2)})
    )
    assert reopened["state"] == "open"
    assert ok(start(api, ctx["exam_id"], second))["status"] == "in_progress"


# --- Duplicate -------------------------------------------------------------------------------------------------


def test_a_duplicate_is_a_make_up_sitting_with_the_same_bank_version_and_a_new_window(api, agency, make_exam):
    # Given an exam with a bank and a started session
    ctx = make_exam()
    ok(start(api, ctx["exam_id"], ctx["candidate"]))
    original = exam_of(api, ctx)
    from chalicelib import wiring
    from chalicelib.exam.models import ExamRecord, QuestionRecord

    wiring.settings()
    version = ExamRecord.get(ctx["exam_id"]).bank_version

    # When the admin duplicates it for next week
    window = {"opens_at": soon(minutes=-1), "closes_at": soon(days=7)}
    response = api.call("POST", f"/admin/exams/{ctx['exam_id']}/duplicate", ctx["admin"], json=window)
    copy = ok(response)
    assert response.status_code == 201

    # Then it is a new exam with the same content and bank version, its own window, and no candidates
    assert copy["exam_id"] != original["exam_id"] and copy["source_exam_id"] == original["exam_id"]
    same = ("title", "languages", "duration_s", "blocks", "require_identity", "analysis", "bank_size")
    assert {k: copy[k] for k in same} == {k: original[k] for k in same}
    assert copy["closes_at"] > original["closes_at"]
    assert ExamRecord.get(copy["exam_id"]).bank_version == version
    items = lambda exam_id: sorted(  # noqa: E731
        (q.item_key, q.block_id, json.dumps(q.text.as_dict()), q.correct_option) for q in QuestionRecord.query(exam_id)
    )
    assert items(copy["exam_id"]) == items(ctx["exam_id"])
    assert ok(api.call("GET", f"/admin/exams/{copy['exam_id']}/roster", ctx["admin"]))["candidates"] == []
    # And a candidate admitted to it starts from the same bank; the copy's content is editable (nobody started it)
    copy_ctx = {**ctx, "exam_id": copy["exam_id"]}
    _, candidate = admit(api, ctx["admin"], copy["exam_id"])
    drawn = ok(start(api, copy["exam_id"], candidate))["items"]
    assert {i["item_id"] for i in drawn} <= {q[0].split("#")[1] for q in items(ctx["exam_id"])}
    titled = api.call(
        "POST", f"/admin/exams/{ctx['exam_id']}/duplicate", ctx["admin"], json={**window, "title": NEW_TITLE}
    )
    assert ok(titled)["title"] == NEW_TITLE
    assert ok(patch(api, {**copy_ctx, "exam_id": ok(titled)["exam_id"]}, {"duration_s": 1200}))["duration_s"] == 1200
    # The original is unchanged
    assert exam_of(api, ctx) == original


def test_a_duplicate_needs_a_valid_window(api, make_exam):
    ctx = make_exam()
    path = f"/admin/exams/{ctx['exam_id']}/duplicate"
    assert_error(api.call("POST", path, ctx["admin"], json={"opens_at": soon()}), 400, "request.invalid_field")
    backwards = {"opens_at": soon(days=2), "closes_at": soon(days=1)}
    assert_error(api.call("POST", path, ctx["admin"], json=backwards), 400, "exam.window_invalid")
    ancient = {"opens_at": "0338-03-30T10:01:11.882+18:01", "closes_at": soon(days=1)}  # found by the fuzz
    assert (
        assert_error(api.call("POST", path, ctx["admin"], json=ancient), 400, "request.invalid_field")["details"][
            "field"
        ]
        == "opens_at"
    )
    assert_error(patch(api, ctx, {"closes_at": "10000-01-01T00:00:00Z"}), 400, "request.invalid_field")
    far = api.call("POST", f"/admin/exams/{ctx['exam_id']}/open", ctx["admin"], json={"closes_at": "1999-01-01T00:00Z"})
    assert_error(far, 400, "request.invalid_field")
    extra = {"opens_at": soon(), "closes_at": soon(days=1), "roster": True}
    assert_error(api.call("POST", path, ctx["admin"], json=extra), 400, "request.invalid_field")
    before = len(ok(api.call("GET", "/admin/exams", ctx["admin"]))["exams"])
    assert len(ok(api.call("GET", "/admin/exams", ctx["admin"]))["exams"]) == before


# --- Policy defaults -----------------------------------------------------------------------------------------------


def test_policy_defaults_list_every_parameter_with_its_default_unit_and_explanation_in_three_languages(api, make_exam):
    ctx = make_exam()
    answer = ok(api.call("GET", "/admin/policy-defaults", ctx["admin"]))
    parameters = {p["param"]: p for p in answer["parameters"]}

    defaults = AnalysisPolicy().to_dict()
    assert list(parameters) == [f.name for f in fields(AnalysisPolicy)]
    for name, entry in parameters.items():
        assert entry["unit"] and entry["message_key"] == f"policy.{name}"
        if name != "credibility_weights":
            assert entry["default"] == defaults[name], name
    assert parameters["credibility_weights"]["default"]["second_screen"] == 12
    assert parameters["yaw_limit_deg"] | {"default": 35.0} == parameters["yaw_limit_deg"]
    assert (parameters["yaw_limit_deg"]["min"], parameters["yaw_limit_deg"]["max"]) == (5.0, 90.0)
    for language in ("kk", "ru", "en"):
        strings = json.loads((REPO_ROOT / "web" / "src" / "shared" / "i18n" / f"{language}.json").read_text())
        missing = [p["message_key"] for p in parameters.values() if not strings.get(p["message_key"], "").strip()]
        assert missing == [], language
    kk = json.loads((REPO_ROOT / "web" / "src" / "shared" / "i18n" / "kk.json").read_text())
    ru = json.loads((REPO_ROOT / "web" / "src" / "shared" / "i18n" / "ru.json").read_text())
    assert all(kk[f"policy.{n}"] != ru[f"policy.{n}"] for n in parameters)  # Kazakh is not Russian copied


# --- Who may call ----------------------------------------------------------------------------------------------


def admin_calls(exam_id: str) -> list[tuple[str, str, dict | None]]:
    window = {"opens_at": soon(), "closes_at": soon(days=1)}
    return [
        ("PATCH", f"/admin/exams/{exam_id}", {"closes_at": soon(days=9)}),
        ("POST", f"/admin/exams/{exam_id}/open", {}),
        ("POST", f"/admin/exams/{exam_id}/close", {}),
        ("POST", f"/admin/exams/{exam_id}/duplicate", window),
        ("POST", f"/admin/exams/{exam_id}/questions?dry_run=true", demo_bank(1)),
        ("GET", f"/admin/exams/{exam_id}/questions", None),
        ("GET", f"/admin/exams/{exam_id}/results", None),
        ("GET", f"/admin/exams/{exam_id}/results?format=csv", None),
    ]


def test_proctors_and_candidates_are_refused_and_another_agency_sees_no_such_exam(api, make_exam, other_agency):
    ctx = make_exam()
    before = exam_of(api, ctx)
    exams_before = len(ok(api.call("GET", "/admin/exams", ctx["admin"]))["exams"])
    stranger = api.login(other_agency["admin"], PASSWORD)
    for method, path, body in admin_calls(ctx["exam_id"]):
        for token, status, code in (
            (ctx["proctor"], 403, "auth.forbidden_role"),
            (ctx["candidate"], 403, "auth.forbidden_role"),
            (None, 401, "auth.missing_token"),
            (stranger, 404, "exam.not_found"),
        ):
            kwargs = {"json": body} if body is not None else {}
            assert_error(api.call(method, path, token, **kwargs), status, code)
    for token in (ctx["proctor"], ctx["candidate"]):
        assert_error(api.call("GET", "/admin/policy-defaults", token), 403, "auth.forbidden_role")
    assert exam_of(api, ctx) == before
    assert len(ok(api.call("GET", "/admin/exams", ctx["admin"]))["exams"]) == exams_before
    unknown = f"ex-{uuid.uuid4().hex[:12]}"
    for method, path, body in admin_calls(unknown):
        kwargs = {"json": body} if body is not None else {}
        assert_error(api.call(method, path, ctx["admin"], **kwargs), 404, "exam.not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/exams/{exam_id}/questions?page=2",
        "/admin/exams/{exam_id}/results?sort=score",
        "/admin/exams/{exam_id}/results?format=pdf",
        "/admin/exams/{exam_id}/results?lang=de",
        "/admin/exams/{exam_id}/results?limit=0",
        "/admin/exams/{exam_id}/results?format=csv&limit=5",
        "/admin/exams/{exam_id}/questions?limit=501",
        "/admin/policy-defaults?lang=ru",
    ],
)
def test_unknown_or_bad_query_parameters_are_a_400(api, make_exam, path):
    ctx = make_exam()
    assert_error(api.call("GET", path.format(exam_id=ctx["exam_id"]), ctx["admin"]), 400, "request.invalid_field")


def test_unknown_query_parameters_on_the_writes_are_a_400_and_change_nothing(api, make_exam):
    ctx = make_exam()
    before = exam_of(api, ctx)
    for method, path, body in (
        ("PATCH", f"/admin/exams/{ctx['exam_id']}?force=1", {"duration_s": 30}),
        ("POST", f"/admin/exams/{ctx['exam_id']}/close?now=1", {}),
        ("POST", f"/admin/exams/{ctx['exam_id']}/questions?dryrun=true", {"items": []}),
        ("POST", f"/admin/exams/{ctx['exam_id']}/questions?dry_run=yes", demo_bank(1)),
    ):
        assert_error(api.call(method, path, ctx["admin"], json=body), 400, "request.invalid_field")
    assert exam_of(api, ctx) == before
