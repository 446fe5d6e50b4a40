import random

import pytest

from chalicelib.exam.rules import BankTooSmall, draw_items, score

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


def test_score_counts_matching_answers_and_unanswered_as_wrong():
    items = [{"item_id": "q1"}, {"item_id": "q2"}, {"item_id": "q3"}]
    result = score(items, {"q1": "a", "q2": "c"}, {"q1": "a", "q2": "b", "q3": "a"})
    assert result == {"correct": 1, "total": 3, "percent": 33.33}


def test_score_of_an_empty_session_is_zero():
    assert score([], {}, {}) == {"correct": 0, "total": 0, "percent": 0.0}
