import pytest

from chalicelib.core.errors import Unprocessable
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
