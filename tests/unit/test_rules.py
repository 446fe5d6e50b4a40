import random

import pytest

from chalicelib.exam.rules import BankTooSmall, author_option, choices, draw_items, score

BLOCKS = [{"block_id": "law", "item_count": 3}, {"block_id": "ethics", "item_count": 2}]


def bank(per_block: int = 5) -> list[dict]:
    return [
        {"item_id": f"{b}-{n}", "block_id": b, "options": [{"option_id": o} for o in "abcd"]}
        for b in ("law", "ethics")
        for n in range(per_block)
    ]


def test_each_block_gets_its_count_in_exam_order_without_repeats():
    items = draw_items(bank(), BLOCKS, random.Random(1))
    assert [i["block_id"] for i in items] == ["law"] * 3 + ["ethics"] * 2
    assert len({i["item_id"] for i in items}) == 5
    assert all(sorted(i["option_ids"]) == list("abcd") for i in items)


def test_candidates_get_different_draws_and_option_orders():
    draws = {
        tuple((i["item_id"], tuple(i["option_ids"])) for i in draw_items(bank(), BLOCKS, random.Random(s)))
        for s in range(10)
    }
    assert len(draws) > 5


def test_a_bank_too_small_for_a_block_is_refused():
    with pytest.raises(BankTooSmall) as error:
        draw_items(bank(per_block=2), BLOCKS, random.Random(1))
    assert (error.value.block_id, error.value.needed, error.value.available) == ("law", 3, 2)


def test_the_candidate_sees_opaque_choice_ids_that_are_new_in_every_session():
    first = draw_items(bank(), BLOCKS, random.Random(1))
    second = draw_items(bank(), BLOCKS, random.Random(2))
    for item in first:
        assert len(set(item["choice_ids"])) == len(item["option_ids"]) == 4
        assert not set(item["choice_ids"]) & set("abcd")  # the author's ids never reach the candidate
        assert all(len(c) == 12 and int(c, 16) >= 0 for c in item["choice_ids"])
    assert not {c for i in first for c in i["choice_ids"]} & {c for i in second for c in i["choice_ids"]}


def test_a_choice_id_maps_back_to_the_authors_option_and_nothing_else():
    item = {"item_id": "q1", "option_ids": ["c", "a", "b"], "choice_ids": ["x1", "x2", "x3"]}
    assert choices(item) == [("x1", "c"), ("x2", "a"), ("x3", "b")]
    assert author_option(item, "x2") == "a"
    assert author_option(item, "a") is None  # the author's id is not an answer the candidate can give
    assert author_option(item, None) is None


def test_score_maps_choices_back_and_counts_unanswered_as_wrong():
    items = [
        {"item_id": "q1", "option_ids": ["b", "a"], "choice_ids": ["k1", "k2"]},
        {"item_id": "q2", "option_ids": ["a", "b", "c"], "choice_ids": ["m1", "m2", "m3"]},
        {"item_id": "q3", "option_ids": ["a", "b"], "choice_ids": ["n1", "n2"]},
    ]
    result = score(items, {"q1": "k2", "q2": "m3"}, {"q1": "a", "q2": "b", "q3": "a"})
    assert result == {"correct": 1, "total": 3, "percent": 33.33}


def test_an_answer_given_in_the_authors_ids_scores_nothing():
    items = [{"item_id": "q1", "option_ids": ["b", "a"], "choice_ids": ["k1", "k2"]}]
    assert score(items, {"q1": "a"}, {"q1": "a"})["correct"] == 0


def test_sessions_drawn_before_choice_ids_still_score_by_the_authors_ids():
    items = [{"item_id": "q1", "option_ids": ["b", "a"]}]
    assert score(items, {"q1": "a"}, {"q1": "a"})["correct"] == 1


def test_score_of_an_empty_session_is_zero():
    assert score([], {}, {}) == {"correct": 0, "total": 0, "percent": 0.0}
