"""Evidence cannot be swapped or planted, and upload forms are one per session, kind and minute: against the real
local stack. Where the local endpoint enforces POST policies as S3 does, objects a lax S3-compatible endpoint would
accept are stored directly, so the analyzer's own checks are what the tests see."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime

import requests

from chalicelib import wiring
from chalicelib.media import claims
from chalicelib.media.models import UploadFormRecord
from chalicelib.media.uploads import FORM_REQUESTS_PER_WINDOW, parse_media_key
from chalicelib.violations.models import MediaObjectRecord, ViolationRecord
from tests.helpers import assert_error, ok, presign, timeline, upload, wait_for
from tests.paths import FACES_DIR

TWO_PEOPLE = (FACES_DIR / "group__two_people.jpg").read_bytes()
ONE_PERSON = (FACES_DIR / "obama__obama.jpg").read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start(api, make_exam, **analysis) -> dict:
    ctx = make_exam(analysis={"persistence": {"multiple_faces": 1, "no_face": 1}, **analysis})
    ctx["session"] = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}))
    return ctx


def early_in_a_minute(margin_s: float = 20) -> None:
    """Wait until at least margin_s of the clock minute are left, so a test's forms all fall in one minute."""
    left = 60 - datetime.now(UTC).second - datetime.now(UTC).microsecond / 1e6
    if left < margin_s:
        time.sleep(left + 0.2)


def ledger_rows(key: str) -> list[MediaObjectRecord]:
    prefix = f"{wiring.settings().media_bucket}/{key}#"
    return [r for r in MediaObjectRecord.scan() if r.object_id.startswith(prefix)]


def form_of(key: str) -> UploadFormRecord:
    return UploadFormRecord.get(parse_media_key(key).form_id, consistent_read=True)


def name() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z-{uuid.uuid4().hex[:12]}"


def upload_as(post: dict, key: str, data: bytes) -> requests.Response:
    """What the browser does with a form it reuses: the same policy, a key of its own under the form's prefix."""
    fields = {**post["fields"], "key": key, "Content-Type": "image/jpeg"}
    return requests.post(post["url"], data=fields, files={"file": ("f", data, "image/jpeg")}, timeout=10)


def lax_put(key: str, data: bytes) -> None:
    """Store an object the way an endpoint that ignores POST policies would take it from a browser."""
    wiring.s3().put_object(Bucket=wiring.settings().media_bucket, Key=key, Body=data, ContentType="image/jpeg")


def planted(post: dict, key: str, data: bytes) -> None:
    """Try the upload through the form; where the endpoint enforces the policy (S3, the local endpoint) it must
    refuse it, and the object then arrives as an endpoint that does not enforce it would store it."""
    response = upload_as(post, key, data)
    if response.status_code >= 400:
        assert response.status_code == 403, response.text
        lax_put(key, data)


def test_one_form_carries_every_upload_of_its_minute_and_asking_again_answers_the_same_form(api, make_exam):
    # Given a candidate's webcam form for this minute
    early_in_a_minute()
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    prefix = post["key_prefix"]
    assert post["key"].startswith(prefix) and post["fields"]["key"] == post["key"]
    assert parse_media_key(post["key"]).prefix == prefix
    assert 0 < post["expires_in_s"] <= 80 and post["max_objects"] == 2 * 8 + 6  # a two-frame object every 10 s
    # When the browser asks again in the same minute (a reload, a second component): the same prefix, same expiry
    again = presign(api, ctx)
    assert (again["key_prefix"], again["expires_at"]) == (prefix, post["expires_at"])
    assert again["key"] != post["key"]  # a fresh suggested name under it
    # and uploads three frames through the first form, each under a name of its own
    keys = [f"{prefix}{name()}.jpg" for _ in range(3)]
    for key in keys:
        upload_as(post, key, ONE_PERSON).raise_for_status()
    # Then all three are analysed, claimed on the one form row, which counted two requests
    for key in keys:
        wait_for(lambda key=key: [r for r in ledger_rows(key) if r.outcome == "analyzed"], timeout_s=20)
    form = form_of(keys[0])
    assert (int(form.requests), int(form.used), form.session_id, form.kind) == (
        2,
        3,
        ctx["session"]["session_id"],
        "webcam",
    )
    assert sorted(form.objects.as_dict()) == sorted(claims.slot(parse_media_key(k).name) for k in keys)
    assert all(claims.claimed(form, parse_media_key(k).name).sha256 == sha256(ONE_PERSON) for k in keys)


def test_a_second_upload_under_an_analysed_key_never_replaces_the_evidence(api, make_exam):
    # Given a two-person frame analysed into a multiple_faces violation, with its version and sha256 as evidence
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    upload(post, TWO_PEOPLE).raise_for_status()
    [found] = wait_for(lambda: [v for v in timeline(api, ctx)["violations"] if v["type"] == "multiple_faces"])
    assert found["evidence_key"] == post["key"] and found["evidence_sha256"] == sha256(TWO_PEOPLE)
    assert found["evidence_version"]

    # When the candidate sends other bytes through the same, still valid form under the same key
    upload(post, ONE_PERSON).raise_for_status()

    # Then the re-upload is recorded as media_reupload, naming both versions
    [reupload] = wait_for(lambda: [v for v in timeline(api, ctx)["violations"] if v["type"] == "media_reupload"])
    assert reupload["severity"] == "high"
    assert reupload["details"]["reupload_sha256"] == sha256(ONE_PERSON)
    assert reupload["details"]["evidence_sha256"] == sha256(TWO_PEOPLE)
    # and the proctor's links still serve exactly the analysed bytes
    view = timeline(api, ctx)
    [evidence] = [v for v in view["violations"] if v["type"] == "multiple_faces"]
    for url in (evidence["evidence_url"], reupload["evidence_url"], view["latest_frame_url"]):
        response = requests.get(url, timeout=10)
        assert response.status_code == 200 and sha256(response.content) == sha256(TWO_PEOPLE)
    # the form keeps the first version as the key's evidence; the second is in the ledger as a rejected re-upload
    form = form_of(post["key"])
    assert len(form.objects.as_dict()) == 1
    entry = claims.claimed(form, parse_media_key(post["key"]).name)
    assert (entry.sha256, entry.version_id, int(form.reuploads), int(form.used)) == (
        sha256(TWO_PEOPLE),
        found["evidence_version"],
        1,
        1,
    )
    reasons = sorted((r.outcome, r.reason) for r in ledger_rows(post["key"]))
    assert reasons == [("analyzed", None), ("rejected", "reupload")]
    # and the session counted one multiple_faces, not two
    assert [v.type for v in ViolationRecord.query(ctx["session"]["session_id"])].count("multiple_faces") == 1


def test_the_same_bytes_sent_again_through_a_form_are_no_violation(api, make_exam):
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    upload(post, ONE_PERSON).raise_for_status()
    wait_for(lambda: [r for r in ledger_rows(post["key"]) if r.outcome == "analyzed"])
    upload(post, ONE_PERSON).raise_for_status()  # a retried POST whose first answer was lost
    wait_for(lambda: int(form_of(post["key"]).reuploads) == 1)
    assert timeline(api, ctx)["violations"] == []


def test_a_frame_planted_under_another_sessions_prefix_is_rejected(api, make_exam):
    # Given two candidates writing exams, both with this minute's webcam form; A knows B's session id
    early_in_a_minute()
    victim = start(api, make_exam)
    attacker = start(api, make_exam)
    victim_post = presign(api, victim)
    post = presign(api, attacker)
    victim_id = victim["session"]["session_id"]
    window = parse_media_key(victim_post["key"]).window
    # When A edits the key in its own form: under B's session and minute with a guessed nonce, or with its own nonce
    guesses = [
        f"sessions/{victim_id}/webcam/{window}-{uuid.uuid4().hex[:16]}/{name()}.jpg",
        f"sessions/{victim_id}/webcam/{window}-{parse_media_key(post['key']).nonce}/{name()}.jpg",
    ]
    for key in guesses:
        planted(post, key, TWO_PEOPLE)
    # Then the analyzer rejects both as never issued, and nothing is recorded for B
    for key in guesses:
        [row] = wait_for(lambda key=key: ledger_rows(key), timeout_s=20)
        assert (row.outcome, row.reason, row.session_id) == ("rejected", "not_issued", None)
    view = timeline(api, victim)
    assert view["violations"] == [] and view["latest_frame_url"] is None
    assert view["session"]["media"]["frames_received"] == 0
    assert view["session"]["media"]["frames_rejected"] == 0
    assert view["session"]["violation_counts"] == {}
    assert int(form_of(victim_post["key"]).used) == 0


def test_a_key_outside_the_issued_prefix_is_rejected(api, make_exam):
    # Given a candidate's webcam form for this minute
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    mine = parse_media_key(post["key"])
    # When it uploads under its own session and kind but a minute it holds no form for, or as another kind
    other_minute = f"sessions/{mine.session_id}/webcam/20200101T0000Z-{mine.nonce}/{name()}.jpg"
    other_kind = f"sessions/{mine.session_id}/screen/{mine.window}-{mine.nonce}/{name()}.jpg"
    for key in (other_minute, other_kind):
        planted(post, key, TWO_PEOPLE)
    # Then neither is analysed
    for key in (other_minute, other_kind):
        [row] = wait_for(lambda key=key: ledger_rows(key), timeout_s=20)
        assert (row.outcome, row.reason) == ("rejected", "not_issued")
    assert timeline(api, ctx)["violations"] == []


def test_an_upload_after_its_form_expired_is_rejected(api, make_exam):
    # Given a webcam form whose validity has passed (S3 refuses the POST then; a lax endpoint does not)
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    form = form_of(post["key"])
    past = int(time.time()) - 600
    form.update(actions=[UploadFormRecord.valid_from_s.set(past - 80), UploadFormRecord.valid_until_s.set(past)])
    # When an object arrives under its prefix anyway
    lax_put(post["key"], TWO_PEOPLE)
    # Then the analyzer refuses it as expired: no frame counted, no violation, nothing claimed on the form
    [row] = wait_for(lambda: ledger_rows(post["key"]), timeout_s=20)
    assert (row.outcome, row.reason) == ("rejected", "form_expired")
    view = timeline(api, ctx)
    assert view["violations"] == [] and view["session"]["media"]["frames_received"] == 0
    assert int(form_of(post["key"]).used) == 0


def test_more_objects_than_a_form_carries_are_rejected_and_counted(api, make_exam):
    # Given a form that carries two objects (an exam's cadence would allow more; the row says how many)
    early_in_a_minute()
    ctx = start(api, make_exam)
    post = presign(api, ctx)
    form_of(post["key"]).update(actions=[UploadFormRecord.max_objects.set(2)])
    # When three frames come through it (S3 cannot count them: the policy allows any number under the prefix)
    keys = [f"{post['key_prefix']}{name()}.jpg" for _ in range(3)]
    for key in keys:
        upload_as(post, key, ONE_PERSON).raise_for_status()
        wait_for(lambda key=key: ledger_rows(key), timeout_s=20)
    # Then two are analysed and the third is refused, counted on the form
    outcomes = [(ledger_rows(k)[0].outcome, ledger_rows(k)[0].reason) for k in keys]
    assert outcomes == [("analyzed", None), ("analyzed", None), ("rejected", "too_many_in_window")]
    form = form_of(keys[0])
    assert (int(form.used), int(form.overflow)) == (2, 1)
    assert timeline(api, ctx)["session"]["media"]["frames_received"] == 2


def test_asking_for_the_same_form_too_often_is_refused_with_429(api, make_exam):
    # Given a candidate asking for its screen form again and again within one minute
    early_in_a_minute(margin_s=30)
    ctx = start(api, make_exam)
    session_id = ctx["session"]["session_id"]
    answers = [
        api.call("POST", f"/sessions/{session_id}/media", ctx["candidate"], json={"kind": "screen"})
        for _ in range(FORM_REQUESTS_PER_WINDOW + 1)
    ]
    # Then the first FORM_REQUESTS_PER_WINDOW answer the same form and the next is 429
    assert [a.status_code for a in answers[:-1]] == [201] * FORM_REQUESTS_PER_WINDOW
    assert len({a.json()["key_prefix"] for a in answers[:-1]}) == 1
    error = assert_error(answers[-1], 429, "media.too_many_uploads")
    assert 1 <= error["details"]["retry_after_s"] <= 60
    assert error["details"]["limit_per_minute"] == FORM_REQUESTS_PER_WINDOW
    # and other kinds have their own forms
    assert api.call("POST", f"/sessions/{session_id}/media", ctx["candidate"], json={"kind": "webcam"}).ok


def test_every_issued_form_is_recorded_for_its_session(api, make_exam):
    ctx = start(api, make_exam)
    post = presign(api, ctx, kind="audio")
    form = form_of(post["key"])
    assert (form.session_id, form.kind, int(form.used)) == (ctx["session"]["session_id"], "audio", 0)
    assert int(form.valid_until_s) - int(form.valid_from_s) == 80
    assert post["key_prefix"] == f"sessions/{form.session_id}/audio/{form.window}-{form.nonce}/"


def test_a_benchmarks_prefix_is_recorded_like_a_form_and_its_objects_are_analysed(api, make_exam):
    # Benchmarks put objects straight into the bucket (no browser): issue_prefix records the form as the API does,
    # without the request ration (a benchmark asks once per object)
    from chalicelib.core.presigned import MediaKind, object_name
    from chalicelib.media.uploads import issue_prefix

    early_in_a_minute()
    ctx = start(api, make_exam)
    sid = ctx["session"]["session_id"]
    webcam = MediaKind("webcam", "image/jpeg", "jpg", 0)
    prefixes = {issue_prefix(sid, "webcam", 100, datetime.now(UTC)) for _ in range(FORM_REQUESTS_PER_WINDOW + 2)}
    [prefix] = prefixes
    key = prefix + object_name(datetime.now(UTC), webcam)
    lax_put(key, ONE_PERSON)
    [row] = wait_for(lambda: ledger_rows(key), timeout_s=20)
    assert (row.outcome, row.session_id) == ("analyzed", sid)
    assert int(form_of(key).max_objects) == 100
