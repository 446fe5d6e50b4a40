"""Roster CSV/JSON parsing and generated passwords, without a stack."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.exam.roster_parse import batch_part, check_against_exam, digest, parse_csv, parse_json
from chalicelib.identity import bulk_accounts
from chalicelib.identity.passwords import verify_password


def test_csv_columns_in_any_order_with_a_bom_crlf_and_blank_lines():
    text = "\ufeffLanguage,Full_Name,Login\r\nru,Иван Петров,Ivan.P\r\n\r\nkk,Әсем,asem\r\n\r\n"
    rows = parse_csv(text.encode())
    assert [(r.row, r.login, r.full_name, r.language, r.slot_id) for r in rows] == [
        (1, "ivan.p", "Иван Петров", "ru", None),
        (3, "asem", "Әсем", "kk", None),  # the blank line keeps its number
    ]


def test_semicolon_separated_csv_and_quoted_commas():
    rows = parse_csv(
        'national_id;full_name;language;slot_id\n870412300123;"Нұрлан, Серік";kk;sl-0123456789ab\n'.encode()
    )
    assert (rows[0].login, rows[0].full_name, rows[0].slot_id) == ("870412300123", "Нұрлан, Серік", "sl-0123456789ab")


def test_every_bad_row_is_reported_and_the_count_is_capped():
    body = "login,full_name,language\n" + "\n".join("bad login,,xx" for _ in range(60))
    with pytest.raises(InvalidInput) as caught:
        parse_csv(body.encode())
    assert caught.value.code == "roster.invalid_rows"
    assert len(caught.value.details) == 100  # 180 problems, 100 listed
    assert {d["field"] for d in caught.value.details} == {"login", "full_name", "language"}


def test_rows_must_name_the_exams_languages_and_slots():
    rows = parse_csv(b"login,full_name,language,slot_id\na,A,en,\nb,B,ru,sl-0123456789ab\n")
    with pytest.raises(InvalidInput) as caught:
        check_against_exam(rows, ["kk", "ru"], set())
    assert [(d["row"], d["field"]) for d in caught.value.details] == [(1, "language"), (2, "slot_id")]


def test_json_rows_and_the_digest_ignore_formatting():
    rows = parse_json({"candidates": [{"user_id": "A-1", "full_name": "A", "language": "kk"}]})
    assert (rows[0].login, rows[0].language, rows[0].row) == ("a-1", "kk", 1)
    assert digest(parse_csv(b"login,full_name,language\na,A,ru\n")) == digest(
        parse_csv(b"\xef\xbb\xbfLOGIN;FULL_NAME;LANGUAGE\r\na;A;ru\r\n")
    )


@pytest.mark.parametrize(
    "query, expected",
    [
        (None, (None, None)),
        ({"batch": "0F8FAD5B-D9CB-469F-A165-70867728950E", "part": "3"}, ("0f8fad5bd9cb469fa16570867728950e", 3)),
    ],
)
def test_batch_and_part(query, expected):
    assert batch_part(query) == expected


@pytest.mark.parametrize("query", [{"batch": "x", "part": "1"}, {"part": "1"}, {"batch": "0" * 32, "part": "0"}])
def test_bad_batch_or_part(query):
    with pytest.raises(InvalidInput):
        batch_part(query)


def test_a_derived_password_is_stable_per_scope_and_opens_its_cheap_hash():
    key = bulk_accounts.password_key("secret-of-the-stage")
    one = bulk_accounts.derived_password(key, "ag#ex#b1", "ag~login")
    assert one == bulk_accounts.derived_password(key, "ag#ex#b1", "ag~login")
    assert one != bulk_accounts.derived_password(key, "ag#ex#b2", "ag~login")
    assert one != bulk_accounts.derived_password(bulk_accounts.password_key("other"), "ag#ex#b1", "ag~login")
    assert len(one) == 16 and set(one) <= set(bulk_accounts.ALPHABET)
    stored = bulk_accounts.hash_generated(one)
    assert verify_password(one, stored) and not verify_password(one + "x", stored)
    assert bulk_accounts.is_generated_hash(stored)
