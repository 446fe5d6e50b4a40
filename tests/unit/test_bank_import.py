import pytest

from chalicelib.core.errors import Unprocessable
from chalicelib.exam import bank_import
from chalicelib.exam.bank_import import parse_csv_bank, parse_json_bank

LANGS = ["kk", "ru", "en"]


def item(item_id="q1", block="law", correct="a", **overrides):
    base = {
        "id": item_id,
        "block": block,
        "correct": correct,
        "text": {"kk": "Сұрақ", "ru": "Вопрос", "en": "Question"},
        "options": [{"id": o, "text": {"kk": o, "ru": o, "en": o}} for o in ("a", "b")],
    }
    return {**base, **overrides}


def test_a_valid_json_bank_is_parsed():
    drafts = parse_json_bank({"items": [item(), item("q2", correct="b")]}, LANGS, {"law"})
    assert [(d.item_id, d.correct_option) for d in drafts] == [("q1", "a"), ("q2", "b")]
    assert drafts[0].options[1] == {"option_id": "b", "text": {"kk": "b", "ru": "b", "en": "b"}}


def test_every_problem_is_reported_with_its_row():
    payload = {
        "items": [
            item(),
            item("q1"),
            item("q3", block="nope"),
            item("q4", correct="z"),
            item("q5", text={"kk": "", "ru": "x", "en": "y"}),
        ]
    }
    with pytest.raises(Unprocessable) as error:
        parse_json_bank(payload, LANGS, {"law"})
    problems = {(p["row"], p["field"]) for p in error.value.details}
    assert problems == {(2, "id"), (3, "block"), (4, "correct"), (5, "text.kk")}


def test_an_item_with_one_option_is_refused():
    with pytest.raises(Unprocessable):
        parse_json_bank(
            {"items": [item(options=[{"id": "a", "text": {"kk": "a", "ru": "a", "en": "a"}}])]}, LANGS, {"law"}
        )


def test_csv_rows_become_items_with_their_option_columns():
    csv_text = (
        "id,block,correct,text_kk,text_ru,text_en,option_a_kk,option_a_ru,option_a_en,option_b_kk,option_b_ru,option_b_en\n"
        "q1,law,b,Сұрақ,Вопрос,Question,иә,да,yes,жоқ,нет,no\n"
    )
    [draft] = parse_csv_bank(csv_text, LANGS, {"law"})
    assert draft.correct_option == "b" and draft.text["ru"] == "Вопрос"
    assert [o["option_id"] for o in draft.options] == ["a", "b"]


def test_csv_without_required_columns_is_refused():
    with pytest.raises(Unprocessable) as error:
        parse_csv_bank("id,text_en\nq1,hello\n", LANGS, {"law"})
    assert error.value.code == "bank.invalid"


def test_text_limits_count_utf8_bytes_not_characters():
    cyrillic = "Ж" * (bank_import.MAX_TEXT_BYTES // 2 + 1)  # under the limit in characters, over it in bytes
    with pytest.raises(Unprocessable) as error:
        parse_json_bank({"items": [item(text={"kk": cyrillic, "ru": "Вопрос", "en": "Question"})]}, LANGS, {"law"})
    [problem] = error.value.details
    assert (problem["row"], problem["field"]) == (1, "text.kk") and "bytes" in problem["problem"]
    fits = "Ж" * (bank_import.MAX_TEXT_BYTES // 2)
    assert parse_json_bank({"items": [item(text={"kk": fits, "ru": "В", "en": "Q"})]}, LANGS, {"law"})


def test_a_lone_surrogate_is_a_reported_problem_not_a_crash():
    with pytest.raises(Unprocessable) as error:
        parse_json_bank({"items": [item(), item("q2", text={"kk": "\ud800", "ru": "В", "en": "Q"})]}, LANGS, {"law"})
    assert [(p["row"], p["field"]) for p in error.value.details] == [(2, "text.kk")]


def test_an_item_whose_fields_fit_but_whose_whole_is_too_large_is_refused():
    big = "x" * (bank_import.MAX_TEXT_BYTES - 100)
    options = [{"id": o, "text": {lang: big for lang in LANGS}} for o in "abcdefgh"]
    with pytest.raises(Unprocessable) as error:
        parse_json_bank({"items": [item(), item("wide", options=options)]}, LANGS, {"law"})
    assert [(p["row"], p["field"]) for p in error.value.details] == [(2, "item")]
    assert bank_import.stored_size(parse_json_bank({"items": [item()]}, LANGS, {"law"})[0]) < 1000


def test_a_bank_over_the_import_limit_is_refused_as_a_whole(monkeypatch):
    monkeypatch.setattr(bank_import, "MAX_BANK_BYTES", 2000)
    with pytest.raises(Unprocessable) as error:
        parse_json_bank({"items": [item(f"q{n}") for n in range(10)]}, LANGS, {"law"})
    assert [(p["row"], p["field"]) for p in error.value.details] == [(0, "items")]
