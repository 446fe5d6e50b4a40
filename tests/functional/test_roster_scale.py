"""Roster import at scale (CSV and JSON, resumable per ?batch=&part=), the roster listing, exam slots, booking and
the slot start rule, over real HTTP against the local stack."""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.api_client import remember
from tests.helpers import PASSWORD, account_of, assert_error, exam_payload, login_response, ok

LONG = 120  # seconds: a 1,000-row part is well under this, but never under the client's default 15 s for sure


def new_exam(api, agency, opens_in_min: int = -5):
    from local.seed import demo_bank

    admin = api.login(agency["admin"], PASSWORD)
    payload = exam_payload()
    payload["opens_at"] = (datetime.now(UTC) + timedelta(minutes=opens_in_min)).isoformat()
    exam_id = ok(api.call("POST", "/admin/exams", admin, json=payload))["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=demo_bank(4)))
    return admin, exam_id


def post_csv(api, token, exam_id, text, batch=None, part=None, content_type="text/csv"):
    query = f"?batch={batch}&part={part}" if batch else ""
    return requests.post(
        f"{api.base_url}/admin/exams/{exam_id}/roster{query}",
        data=text.encode("utf-8"),
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        timeout=LONG,
    )


def csv_of(rows, header="login,full_name,language,slot_id"):
    return "\n".join([header, *(",".join(r) for r in rows)]) + "\n"


def logins(n, prefix="r"):
    tag = uuid.uuid4().hex[:8]
    return [f"{prefix}{tag}-{i}" for i in range(n)]


def users_in(agency_id, names):
    from chalicelib.identity.models import UserRecord

    return {u.login: u for u in UserRecord.batch_get([account_of(agency_id, n) for n in names])}


# --- CSV import ---------------------------------------------------------------------------------------------


def test_a_csv_roster_creates_accounts_whose_passwords_open_them_and_lists_each_candidates_state(api, agency):
    admin, exam_id = new_exam(api, agency)
    names = logins(3)
    text = csv_of(
        [(names[0], "Әсем Нұрланқызы", "kk", ""), (names[1], "Иван Петров", "ru", ""), (names[2], "A B", "en", "")]
    )

    answer = ok(post_csv(api, admin, exam_id, text))

    assert (answer["admitted"], answer["already_admitted"], answer["errors"]) == (3, 0, [])
    passwords = {p["login"]: p["password"] for p in answer["passwords"]}
    assert sorted(passwords) == sorted(names)
    remember(agency["agency_id"], *names)
    token = ok(login_response(api, names[0], passwords[names[0]]))["token"]
    ok(api.call("POST", f"/exams/{exam_id}/consent", token, json={"accepted": True, "language": "kk"}))
    ok(api.call("POST", f"/exams/{exam_id}/sessions", token, json={"language": "kk"}))

    roster = ok(api.call("GET", f"/admin/exams/{exam_id}/roster?include=sessions", admin))
    by_login = {c["login"]: c for c in roster["candidates"]}
    assert by_login[names[0]]["full_name"] == "Әсем Нұрланқызы"
    assert by_login[names[0]]["language"] == "kk" and by_login[names[1]]["language"] == "ru"
    assert by_login[names[0]]["consent_at"] is not None and by_login[names[1]]["consent_at"] is None
    assert by_login[names[0]]["session_status"] == "in_progress" and by_login[names[1]]["session_status"] is None
    assert {c["admission"] for c in roster["candidates"]} == {"admitted"}
    assert roster["next_cursor"] is None
    plain = ok(api.call("GET", f"/admin/exams/{exam_id}/roster", admin))["candidates"]
    assert all("session_status" not in c for c in plain)  # read only when asked (sessions are ~3 KB items)


def test_national_ids_semicolons_and_a_bom_are_read(api, agency):
    admin, exam_id = new_exam(api, agency)
    iin = f"{uuid.uuid4().int % 10**12:012d}"
    text = "\ufeffnational_id;full_name;language\r\n" + f"{iin};Серік Әлиев;kk\r\n"

    answer = ok(post_csv(api, admin, exam_id, text, content_type="text/csv; charset=utf-8"))

    assert answer["admitted"] == 1 and answer["passwords"][0]["login"] == iin


def test_duplicate_and_already_admitted_logins_are_reported_per_row(api, agency):
    admin, exam_id = new_exam(api, agency)
    names = logins(3)
    ok(post_csv(api, admin, exam_id, csv_of([(names[0], "First", "ru", "")])))

    text = csv_of(
        [
            (names[0], "First", "ru", ""),
            (names[1], "Second", "ru", ""),
            (names[1], "Again", "kk", ""),
            (names[2], "Third", "en", ""),
        ]
    )
    answer = ok(post_csv(api, admin, exam_id, text))

    assert (answer["admitted"], answer["already_admitted"]) == (2, 1)
    assert [(e["row"], e["code"]) for e in answer["errors"]] == [
        (1, "roster.already_admitted"),
        (3, "roster.duplicate_login"),
    ]
    assert sorted(p["login"] for p in answer["passwords"]) == sorted(names[1:])
    assert users_in(agency["agency_id"], [names[1]])[names[1]].full_name == "Second"  # the first line counts


@pytest.mark.parametrize(
    "text, rows, code",
    [
        ("login,full_name,language\nok-1,A,ru\nbad login,B,ru\nok-3,C,de\n", [2, 3], "roster.invalid_rows"),
        ("login,full_name,language\nok-1,A\nok-2,B,ru,extra\n", [1, 2], "roster.invalid_rows"),
        ("national_id,full_name,language\n12345,A,ru\n", [1], "roster.invalid_rows"),
        ("login,full_name,language\nok-1,,ru\n", [1], "roster.invalid_rows"),
        ('login,full_name,language\nok-1,"unclosed,ru\n', [0], "roster.invalid_rows"),
        ("login,name,language\nok-1,A,ru\n", [0], "roster.invalid_header"),
        ("login,national_id,full_name,language\nok-1,1,A,ru\n", [0], "roster.invalid_header"),
        ("full_name,language\nA,ru\n", [0], "roster.invalid_header"),
        ("login,full_name,language,slot_id\nok-1,A,ru,sl-000000000000\n", [1], "roster.invalid_rows"),
        ("", [], "roster.empty"),
        ("login,full_name,language\n", [], "roster.empty"),
    ],
    ids=[
        "bad-login-and-language",
        "column-count",
        "short-national-id",
        "empty-name",
        "unclosed-quote",
        "unknown-column",
        "two-id-columns",
        "no-id-column",
        "unknown-slot",
        "empty-file",
        "header-only",
    ],
)
def test_a_malformed_csv_is_refused_with_its_row_numbers_and_writes_nothing(api, agency, text, rows, code):
    admin, exam_id = new_exam(api, agency)

    error = assert_error(post_csv(api, admin, exam_id, text), 400, code)

    if rows:
        assert sorted({d["row"] for d in error["details"]}) == rows
    assert ok(api.call("GET", f"/admin/exams/{exam_id}/roster", admin))["candidates"] == []
    assert users_in(agency["agency_id"], ["ok-1", "ok-2", "ok-3"]) == {}


def test_more_than_1000_rows_or_non_utf8_is_refused(api, agency):
    admin, exam_id = new_exam(api, agency)
    too_many = csv_of([(f"x-{i}", "N", "ru", "") for i in range(1001)])
    assert_error(post_csv(api, admin, exam_id, too_many), 400, "roster.too_many_rows")
    latin1 = requests.post(
        f"{api.base_url}/admin/exams/{exam_id}/roster",
        data="login,full_name,language\nx-1,Jos\xe9,ru\n".encode("latin-1"),
        headers={"Authorization": f"Bearer {admin}", "Content-Type": "text/csv"},
        timeout=LONG,
    )
    assert_error(latin1, 400, "roster.not_utf8")
    for query in ("?batch=not-a-uuid&part=1", f"?batch={uuid.uuid4()}", f"?batch={uuid.uuid4()}&part=0"):
        response = requests.post(
            f"{api.base_url}/admin/exams/{exam_id}/roster{query}",
            data=b"login,full_name,language\nx-1,A,ru\n",
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "text/csv"},
            timeout=LONG,
        )
        assert_error(response, 400, "request.invalid_field")


# --- Resumable batches --------------------------------------------------------------------------------------


@pytest.fixture
def second_admin(api, agency):
    from local.seed import create_user

    login = f"admin2-{uuid.uuid4().hex[:8]}"
    create_user(login, "admin", "Second Admin", PASSWORD, agency_id=agency["agency_id"])
    return api.login(login, PASSWORD, agency["agency_id"])


def test_a_resent_part_gives_the_same_answer_creates_nothing_twice_and_hides_passwords_from_another_admin(
    api, agency, second_admin
):
    from chalicelib.identity.models import UserRecord

    admin, exam_id = new_exam(api, agency)
    names = logins(5)
    text = csv_of([(n, f"Name {n}", "ru", "") for n in names])
    batch = str(uuid.uuid4())

    first = ok(post_csv(api, admin, exam_id, text, batch, 1))
    hashes = {n: u.password_hash for n, u in users_in(agency["agency_id"], names).items()}
    again = ok(post_csv(api, admin, exam_id, text, batch, 1))
    other = ok(post_csv(api, second_admin, exam_id, text, batch, 1))

    assert first["admitted"] == 5 and len(first["passwords"]) == 5
    assert (again["admitted"], again["already_admitted"], again["errors"]) == (5, 0, [])
    assert again["passwords"] == first["passwords"]
    assert (other["admitted"], other["passwords"], other["passwords_withheld"]) == (5, [], 5)
    after = {n: u.password_hash for n, u in users_in(agency["agency_id"], names).items()}
    assert after == hashes  # no account rewritten
    assert len(list(UserRecord.scan(UserRecord.login.is_in(*names)))) == 5
    roster = ok(api.call("GET", f"/admin/exams/{exam_id}/roster", admin))["candidates"]
    assert sorted(c["login"] for c in roster) == sorted(names)

    # a different part under the same number is refused
    changed = csv_of([(n, "Other", "ru", "") for n in names[:2]])
    assert_error(post_csv(api, admin, exam_id, changed, batch, 1), 409, "roster.part_mismatch")


def test_a_part_that_stopped_half_way_is_finished_by_resending_it_with_the_same_passwords(api, agency):
    from chalicelib.exam.roster_models import RosterPartRecord

    admin, exam_id = new_exam(api, agency)
    names = logins(4)
    batch = str(uuid.uuid4())
    ok(post_csv(api, admin, exam_id, csv_of([(n, "N", "ru", "") for n in names[:2]]), batch, 1))
    full = csv_of([(n, "N", "ru", "") for n in names])
    # Given part 2 ran and wrote everything, but the answer was lost before the part was marked done
    first = ok(post_csv(api, admin, exam_id, full, batch, 2))
    record = next(
        r for r in RosterPartRecord.query(f"{agency['agency_id']}#{exam_id}#{batch.replace('-', '')}") if r.part == 2
    )
    record.update(actions=[RosterPartRecord.status.set("in_progress"), RosterPartRecord.result.remove()])

    resent = ok(post_csv(api, admin, exam_id, full, batch, 2))

    assert first["admitted"] == 2 and first["already_admitted"] == 2  # names[:2] came in part 1
    assert (resent["admitted"], resent["already_admitted"]) == (2, 2)
    assert resent["passwords"] == first["passwords"]
    assert sorted(p["login"] for p in resent["passwords"]) == sorted(names[2:])


def test_another_admin_finishing_a_half_done_part_gets_no_passwords_but_the_sender_still_does(
    api, agency, second_admin
):
    from chalicelib.exam.roster_models import RosterPartRecord

    admin, exam_id = new_exam(api, agency)
    names = logins(3)
    batch = str(uuid.uuid4())
    text = csv_of([(n, "N", "ru", "") for n in names])
    first = ok(post_csv(api, admin, exam_id, text, batch, 1))
    record = RosterPartRecord.get(f"{agency['agency_id']}#{exam_id}#{batch.replace('-', '')}", 1)
    record.update(actions=[RosterPartRecord.status.set("in_progress"), RosterPartRecord.result.remove()])

    other = ok(post_csv(api, second_admin, exam_id, text, batch, 1))
    again = ok(post_csv(api, admin, exam_id, text, batch, 1))

    assert (other["admitted"], other["passwords"], other["passwords_withheld"]) == (3, [], 3)
    assert again["passwords"] == first["passwords"] and len(first["passwords"]) == 3


# --- Roster listing -----------------------------------------------------------------------------------------


def test_the_roster_is_paged_with_a_cursor(api, agency):
    admin, exam_id = new_exam(api, agency)
    names = logins(5)
    ok(post_csv(api, admin, exam_id, csv_of([(n, "N", "ru", "") for n in names])))

    seen, cursor, pages = [], None, 0
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = ok(api.call("GET", f"/admin/exams/{exam_id}/roster{query}", admin))
        seen += [c["login"] for c in page["candidates"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(names) and len(seen) == 5 and pages == 3
    assert_error(api.call("GET", f"/admin/exams/{exam_id}/roster?limit=0", admin), 400, "request.invalid_field")
    assert_error(api.call("GET", f"/admin/exams/{exam_id}/roster?cursor=%7E", admin), 400, "request.invalid_cursor")


# --- Slots and booking --------------------------------------------------------------------------------------


def slot(api, admin, exam_id, starts_at, capacity, grace_s=None):
    body = {"starts_at": starts_at.isoformat(), "capacity": capacity}
    if grace_s is not None:
        body["grace_s"] = grace_s
    return api.call("POST", f"/admin/exams/{exam_id}/slots", admin, json=body)


def candidates(api, agency, admin, exam_id, n, rows_slot=""):
    names = logins(n, "c")
    answer = ok(post_csv(api, admin, exam_id, csv_of([(x, "N", "ru", rows_slot) for x in names])))
    remember(agency["agency_id"], *names)
    tokens = {}
    for p in answer["passwords"]:
        tokens[p["login"]] = api.login(p["login"], p["password"])
    return answer, tokens


def test_slots_are_created_inside_the_window_listed_and_deleted_only_when_empty(api, agency, other_agency):
    admin, exam_id = new_exam(api, agency)
    now = datetime.now(UTC)
    made = ok(slot(api, admin, exam_id, now + timedelta(hours=2), 2))
    assert (made["capacity"], made["booked"], made["grace_s"]) == (2, 0, 900)
    assert_error(slot(api, admin, exam_id, now + timedelta(days=3), 2), 400, "slot.outside_window")
    assert_error(slot(api, admin, exam_id, now + timedelta(hours=1), 0), 400, "request.invalid_field")
    listed = ok(api.call("GET", f"/admin/exams/{exam_id}/slots", admin))["slots"]
    assert [s["slot_id"] for s in listed] == [made["slot_id"]]

    _, tokens = candidates(api, agency, admin, exam_id, 1)
    token = next(iter(tokens.values()))
    ok(api.call("POST", f"/exams/{exam_id}/booking", token, json={"slot_id": made["slot_id"]}))
    path = f"/admin/exams/{exam_id}/slots/{made['slot_id']}"
    assert_error(api.call("DELETE", path, admin), 409, "slot.not_empty")
    ok(api.call("DELETE", f"/exams/{exam_id}/booking", token))
    other_admin = api.login(other_agency["admin"], PASSWORD)
    assert_error(api.call("DELETE", path, other_admin), 404, "exam.not_found")
    assert_error(api.call("GET", f"/admin/exams/{exam_id}/slots", other_admin), 404, "exam.not_found")
    ok(api.call("DELETE", path, admin))
    assert ok(api.call("GET", f"/admin/exams/{exam_id}/slots", admin))["slots"] == []
    assert_error(api.call("DELETE", path, admin), 404, "slot.not_found")


def test_concurrent_bookings_never_exceed_the_capacity(api, agency):
    admin, exam_id = new_exam(api, agency)
    made = ok(slot(api, admin, exam_id, datetime.now(UTC) + timedelta(hours=1), 3))
    _, tokens = candidates(api, agency, admin, exam_id, 8)

    def book(token):
        return api.call("POST", f"/exams/{exam_id}/booking", token, json={"slot_id": made["slot_id"]}).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(book, tokens.values()))

    assert sorted(statuses) == [200] * 3 + [409] * 5
    listed = ok(api.call("GET", f"/admin/exams/{exam_id}/slots", admin))["slots"][0]
    assert (listed["booked"], listed["available"]) == (3, 0)
    booked = [c for c in ok(api.call("GET", f"/admin/exams/{exam_id}/roster", admin))["candidates"] if c["slot_id"]]
    assert len(booked) == 3


def test_a_candidate_moves_and_cancels_a_booking_and_sees_it_in_the_cabinet(api, agency):
    admin, exam_id = new_exam(api, agency)
    now = datetime.now(UTC)
    one = ok(slot(api, admin, exam_id, now + timedelta(hours=1), 1))
    two = ok(slot(api, admin, exam_id, now + timedelta(hours=2), 1))
    _, tokens = candidates(api, agency, admin, exam_id, 2)
    first, second = tokens.values()

    ok(api.call("POST", f"/exams/{exam_id}/booking", first, json={"slot_id": one["slot_id"]}))
    assert_error(
        api.call("POST", f"/exams/{exam_id}/booking", second, json={"slot_id": one["slot_id"]}), 409, "slot.full"
    )
    moved = ok(api.call("POST", f"/exams/{exam_id}/booking", first, json={"slot_id": two["slot_id"]}))
    assert moved["booking"]["slot_id"] == two["slot_id"]
    ok(api.call("POST", f"/exams/{exam_id}/booking", second, json={"slot_id": one["slot_id"]}))  # freed by the move

    cabinet = ok(api.call("GET", "/me/exams", first))["exams"][0]
    assert cabinet["booking"]["slot_id"] == two["slot_id"]
    assert [(s["slot_id"], s["available"]) for s in cabinet["slots"]] == [(one["slot_id"], 0), (two["slot_id"], 0)]
    ok(api.call("DELETE", f"/exams/{exam_id}/booking", first))
    assert ok(api.call("GET", f"/exams/{exam_id}/slots", first))["booking"] is None
    assert_error(api.call("DELETE", f"/exams/{exam_id}/booking", first), 404, "booking.not_found")
    assert_error(
        api.call("POST", f"/exams/{exam_id}/booking", first, json={"slot_id": "sl-000000000000"}), 404, "slot.not_found"
    )


def test_another_exams_candidate_cannot_see_or_book_its_slots(api, agency, make_exam):
    admin, exam_id = new_exam(api, agency)
    made = ok(slot(api, admin, exam_id, datetime.now(UTC) + timedelta(hours=1), 5))
    stranger = make_exam()["candidate"]

    assert_error(api.call("GET", f"/exams/{exam_id}/slots", stranger), 404, "exam.not_found")
    booking = api.call("POST", f"/exams/{exam_id}/booking", stranger, json={"slot_id": made["slot_id"]})
    assert_error(booking, 404, "exam.not_found")
    assert_error(api.call("GET", f"/admin/exams/{exam_id}/slots", stranger), 403, "auth.forbidden_role")


def start(api, exam_id, token):
    ok(api.call("POST", f"/exams/{exam_id}/consent", token, json={"accepted": True, "language": "ru"}))
    return api.call("POST", f"/exams/{exam_id}/sessions", token, json={"language": "ru"})


def test_an_exam_with_slots_starts_only_within_the_booked_slots_window(api, agency):
    admin, exam_id = new_exam(api, agency, opens_in_min=-30)
    now = datetime.now(UTC)
    open_now = ok(slot(api, admin, exam_id, now - timedelta(minutes=1), 5, grace_s=600))
    later = ok(slot(api, admin, exam_id, now + timedelta(hours=1), 5))
    missed = ok(slot(api, admin, exam_id, now - timedelta(minutes=20), 5, grace_s=300))
    _, tokens = candidates(api, agency, admin, exam_id, 4)
    unbooked, early, late, on_time = tokens.values()
    for token, chosen in ((early, later), (late, missed), (on_time, open_now)):
        if chosen is missed:  # an ended slot cannot be booked by the candidate; the admin's roster can assign it
            assert_error(
                api.call("POST", f"/exams/{exam_id}/booking", token, json={"slot_id": chosen["slot_id"]}),
                409,
                "slot.closed",
            )
            continue
        ok(api.call("POST", f"/exams/{exam_id}/booking", token, json={"slot_id": chosen["slot_id"]}))

    assert_error(start(api, exam_id, unbooked), 409, "slot.not_booked")
    assert_error(start(api, exam_id, early), 409, "slot.not_started")
    assert start(api, exam_id, on_time).status_code == 201
    # once started, the booking is fixed
    assert_error(api.call("DELETE", f"/exams/{exam_id}/booking", on_time), 409, "booking.session_started")

    # a roster row may pre-assign a slot, even one whose window has passed: then the start is refused as missed
    name = logins(1, "m")[0]
    answer = ok(post_csv(api, admin, exam_id, csv_of([(name, "Late", "ru", missed["slot_id"])])))
    remember(agency["agency_id"], name)
    token = api.login(name, answer["passwords"][0]["password"])
    assert_error(start(api, exam_id, token), 409, "slot.missed")


def test_roster_rows_pre_assign_slots_up_to_their_capacity(api, agency):
    admin, exam_id = new_exam(api, agency)
    made = ok(slot(api, admin, exam_id, datetime.now(UTC) + timedelta(hours=1), 3))
    names = logins(5)
    answer = ok(post_csv(api, admin, exam_id, csv_of([(n, "N", "ru", made["slot_id"]) for n in names])))

    assert answer["admitted"] == 5
    assert [(e["row"], e["code"]) for e in answer["errors"]] == [(4, "slot.full"), (5, "slot.full")]
    listed = ok(api.call("GET", f"/admin/exams/{exam_id}/slots", admin))["slots"][0]
    assert listed["booked"] == 3
    roster = ok(api.call("GET", f"/admin/exams/{exam_id}/roster", admin))["candidates"]
    assert sum(1 for c in roster if c["slot_id"] == made["slot_id"]) == 3


# --- Scale --------------------------------------------------------------------------------------------------


def test_ten_thousand_rows_in_ten_parts_finish_in_reasonable_time(api, agency, record_property):
    admin, exam_id = new_exam(api, agency)
    tag = uuid.uuid4().hex[:6]
    batch = str(uuid.uuid4())
    started = time.monotonic()
    per_part = []
    total_passwords = 0
    for part in range(1, 11):
        rows = [(f"n{tag}-{part}-{i}", f"Candidate {part}-{i}", "kk" if i % 2 else "ru", "") for i in range(1000)]
        t0 = time.monotonic()
        answer = ok(post_csv(api, admin, exam_id, csv_of(rows), batch, part))
        per_part.append(round(time.monotonic() - t0, 1))
        assert answer["admitted"] == 1000 and answer["errors"] == []
        total_passwords += len(answer["passwords"])
    elapsed = time.monotonic() - started
    record_property("roster_10k_seconds", round(elapsed, 1))
    print(f"10,000 rows in 10 parts: {elapsed:.1f} s, per part {per_part}")
    assert total_passwords == 10_000
    assert elapsed < 600, per_part
    first_page = ok(api.call("GET", f"/admin/exams/{exam_id}/roster?limit=1000", admin))
    assert len(first_page["candidates"]) == 1000 and first_page["next_cursor"]
