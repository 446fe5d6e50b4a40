"""The cost and capacity model's arithmetic on inputs small enough to check by hand (no timings here)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks import cost


def simple_model() -> cost.Model:
    """A candidate who uploads one frame a minute and nothing else, with round prices."""
    prices = cost.Prices(
        lambda_gb_s=1e-5,
        lambda_request=1e-6,
        apigw_rest_request=2e-6,
        apigw_http_request=1e-6,
        s3_put=1e-5,
        s3_get=1e-6,
        s3_gb_month=0.1,
        sqs_request=1e-6,
        ddb_wru=1e-6,
        ddb_rru=1e-7,
        sfn_transition=1e-4,
        logs_gb=1.0,
        cloudfront_request=3e-7,
        waf_request=1e-7,
        s3_tag_month=1e-8,
    )
    workload = cost.Workload(
        frame_every_s=60,
        audio_chunk_s=1e12,
        heartbeat_every_s=1e12,
        heartbeat_watched_every_s=None,
        answer_every_s=1e12,
        form_window_s=None,  # one presigned POST per upload
        proctor_calls_per_hour=0,
        inbox_poll_every_s=None,
        inbox_fetches_per_hour=0,
        proctor_grid_every_s=1e12,
        session_calls=0,
        exam_hours=1,
        frame_bytes=1e6,
        audio_bytes=0,
        retention_days=30,
        sfn_transitions_per_session=10,
        lifecycle_messages_per_session=0,
    )
    compute = cost.Compute(
        analyzer_memory_mb=1024,
        frame_cpu_ms=100,
        audio_cpu_ms=0,
        object_io_ms=50,
        batch_size=10,
        api_memory_mb=1024,
        api_cpu_ms=0,
        api_io_ms=100,
        arm=False,
    )
    storage = cost.Storage(
        session_item=1000,
        signal_states_item=2000,
        ledger_item=100,
        violation_item=500,
        frame_reads=(("ledger", 1.0), ("signal_states", 2.0)),
        frame_writes=(("ledger", 1.0),),
        violations_per_hour=0,
    )
    return cost.Model(prices, workload, compute, storage, logs_bytes_per_object=0, lambda_report_bytes=0)


def test_request_units_follow_dynamodb_rounding():
    assert cost.write_units(100) == 1 and cost.write_units(1024) == 1 and cost.write_units(1025) == 2
    assert cost.write_units(1500, transactional=True) == 4
    assert cost.read_units(100) == 0.5 and cost.read_units(4097) == 1.0 and cost.read_units(4097, True) == 2.0


def test_item_size_counts_names_and_values_like_dynamodb():
    item = {
        "id": {"S": "abc"},
        "n": {"N": "12345"},
        "b": {"B": b"\x00" * 10},
        "ok": {"BOOL": True},
        "m": {"M": {"k": {"S": "v"}}},
        "l": {"L": [{"N": "1"}, {"S": "xy"}]},
    }
    # id 2+3, n 1+(3+1), b 1+10, ok 2+1, m 1+(3 + 1+1+1), l 1+(3 + (1+2) + (1+2))
    assert cost.dynamodb_item_size(item) == 5 + 5 + 11 + 3 + 7 + 10


def test_lambda_gb_seconds_stretch_cpu_below_one_vcpu_but_not_waits():
    assert cost.lambda_gb_seconds(100, 0, 1769) == pytest.approx(0.1 * 1769 / 1024)
    assert cost.lambda_gb_seconds(100, 50, 1024) == pytest.approx((100 * 1769 / 1024 + 50) / 1000)
    assert cost.lambda_gb_seconds(0, 200, 512) == pytest.approx(0.2 * 0.5)


def test_cost_per_exam_hour_adds_up_each_service_by_its_formula():
    model = simple_model()
    result = cost.cost_per_exam_hour(model)
    lines = result["by_service_usd"]
    frames = 60  # one a minute
    assert result["counts"]["frames"] == pytest.approx(frames)
    assert result["counts"]["api_calls"] == pytest.approx(frames)  # one presign per upload, nothing else
    gb_s = frames * (100 * 1769 / 1024 + 50) / 1000 * 1.0
    assert lines["lambda_analyzer"] == pytest.approx(gb_s * 1e-5 + frames / 10 * 1e-6)
    assert lines["lambda_api"] == pytest.approx(frames * 0.1 * 1e-5 + frames * 1e-6)
    assert lines["api_gateway"] == pytest.approx(frames * 2e-6)
    # each API call through CloudFront, inspected by two web ACLs (the distribution's and the REST stage's)
    assert lines["cloudfront_waf"] == pytest.approx(frames * (3e-7 + 2 * 1e-7))
    assert lines["s3_requests"] == pytest.approx(frames * (1e-5 + 1e-6))  # a PUT and one GetObject per frame
    assert lines["s3_storage"] == pytest.approx(frames * 1e6 / 1e9 * 0.1)  # 30 of 30 days
    assert lines["sqs"] == pytest.approx(frames * 1.2 * 1e-6)
    # ledger read 0.5 + two state reads of 0.5 + the presign's session read 0.5; one ledger write of 1 WRU
    # plus the session's own writes: put, execution ARN, task token and 3 later status changes of the 1 KB item,
    # and in each of the 2 KEYS_ONLY status indexes 1 put + 3 x (delete + put): 6 + 14 = 20 WRU
    assert lines["dynamodb"] == pytest.approx(frames * 1 * 1e-6 + frames * (0.5 + 2 * 0.5 + 0.5) * 1e-7 + 20e-6)
    assert lines["step_functions"] == pytest.approx(10 * 1e-4)
    assert lines["cloudwatch_logs"] == 0
    assert result["total_usd"] == pytest.approx(sum(lines.values()))
    http = cost.cost_per_exam_hour(model, http_api=True)["by_service_usd"]
    assert http["api_gateway"] == pytest.approx(frames * 1e-6)
    assert http["cloudfront_waf"] == pytest.approx(frames * (3e-7 + 1e-7))  # an HTTP API has no web ACL of its own


def test_one_form_per_session_kind_and_minute_and_no_inbox_polls():
    """The built upload forms and the heartbeat-carried inbox flag, as API calls per candidate-hour."""
    w = cost.Workload(form_window_s=None, inbox_poll_every_s=5.0)
    before = cost.hourly_counts(cost.Model(workload=w))
    assert before["presigns"] == before["uploads"] == 720 + 360
    assert before["inbox_polls"] == 720
    after = cost.hourly_counts(
        cost.Model(workload=replace(w, form_window_s=60.0, inbox_poll_every_s=None, inbox_fetches_per_hour=2))
    )
    assert after["presigns"] == 2 * 60  # webcam and audio, one form a minute each
    assert after["inbox_polls"] == 2  # fetched only when the heartbeat says there is news
    assert before["api_calls"] - after["api_calls"] == pytest.approx(1080 - 120 + 720 - 2)
    # a form never covers more uploads than there are: a slow cadence needs one per upload at most
    slow = cost.hourly_counts(cost.Model(workload=replace(w, frame_every_s=600, audio_chunk_s=1e12, form_window_s=60)))
    assert slow["presigns"] == pytest.approx(slow["uploads"]) and slow["uploads"] == pytest.approx(6)


def test_retention_tiers_keep_evidence_30_days_and_the_rest_7_with_a_tag_each():
    model = simple_model()  # 60 frames of 1 MB an hour, 30 days
    tiers = cost.with_changes(
        model, {"workload.transient_retention_days": 7.0, "workload.evidence_objects_per_hour": 6.0}
    )
    one, two = cost.cost_per_exam_hour(model), cost.cost_per_exam_hour(tiers)
    gb = 60 * 1e6 / 1e9
    months = (0.1 * 30 + 0.9 * 7) / 30  # 6 of 60 frames are evidence
    assert two["by_service_usd"]["s3_storage"] == pytest.approx(gb * 0.1 * months + 60 * 1e-8 * months)
    # each evidence frame is retagged (a PUT-class request)
    assert two["by_service_usd"]["s3_requests"] - one["by_service_usd"]["s3_requests"] == pytest.approx(6 * 1e-5)
    assert two["total_usd"] < one["total_usd"]


def test_arm_prices_gb_seconds_at_80_percent_and_scales_cpu_by_the_factor():
    model = simple_model()
    x86 = cost.cost_per_exam_hour(model)["by_service_usd"]["lambda_analyzer"]
    arm = cost.with_changes(model, {"compute.arm": True})
    requests = 60 / 10 * 1e-6
    assert cost.cost_per_exam_hour(arm)["by_service_usd"]["lambda_analyzer"] - requests == pytest.approx(
        (x86 - requests) * 0.8
    )
    slower = cost.with_changes(arm, {"compute.arm_cpu_factor": 1.25})
    gb_s = 60 * (125 * 1769 / 1024 + 50) / 1000
    assert cost.cost_per_exam_hour(slower)["by_service_usd"]["lambda_analyzer"] == pytest.approx(
        gb_s * 1e-5 * 0.8 + requests
    )


def test_before_presence_session_updates_wrote_every_all_projection_gsi_too():
    model = simple_model()
    model = cost.with_changes(model, {"workload.heartbeat_every_s": 360})  # 10 heartbeats an hour
    before = cost.with_changes(model, {**cost.BEFORE_PRESENCE, "storage.sessions_gsis": 1})
    units = cost.dynamodb_units(before)
    assert units["session_write_wru"] == 2  # 1 KB item + its GSI copy
    # as built: a heartbeat writes the ~150-byte presence item (1 WRU), an update no index
    built = cost.dynamodb_units(model)
    assert built["session_write_wru"] == 1
    heartbeats_before, heartbeats_now = 10 * 2, 10 * 1
    status_before = before.storage.status_changes_per_session
    per_session_before = (3 + status_before - 1) * 2 + 1 * (1 + 2 * (status_before - 1)) * 1
    per_session_now = (3 + 4 - 1) * 1 + 2 * (1 + 2 * 3) * 1  # two KEYS_ONLY indexes, 7 entry writes each
    assert built["per_session_wru"] == pytest.approx(per_session_now)
    assert units["wru"] - built["wru"] == pytest.approx(heartbeats_before - heartbeats_now + per_session_before - 20)


def test_status_index_writes_per_session_count_a_put_then_a_delete_and_put_per_change():
    storage = cost.Storage(sessions_gsis=2, status_changes_per_session=4, index_entry_bytes=150)
    assert cost.status_index_wru_per_session(storage) == 2 * (1 + 2 * 3)
    # an ALL projection entry is the whole item: 3 KB costs 3 WRU per entry write
    whole = replace(storage, sessions_gsi_all_projection=True, session_item=3000)
    assert cost.status_index_wru_per_session(whole) == 2 * 7 * 3
    assert cost.index_copies(whole) == 2 and cost.index_copies(storage) == 0


def test_a_grid_poll_reads_index_keys_then_each_tiles_items():
    storage = cost.Storage(session_item=3000, signal_states_item=1500, heartbeat_item=150, index_entry_bytes=150)
    # from each of the 8 shards up to 50 keys x 150 B = 7.5 KB -> 2 x 4 KB x 0.5; then per tile: session, presence,
    # signal state at 0.5 each
    assert cost.grid_poll_rru(storage, 50) == pytest.approx(8 * 1.0 + 50 * 1.5)
    before = replace(storage, sessions_gsi_all_projection=True)
    assert cost.grid_poll_rru(before, 50) == pytest.approx(50 * 3000 / 4096 * 0.5 + 50 * 0.5)


def test_a_lever_may_derive_its_value_from_the_current_one():
    model = cost.with_changes(
        cost.Model(), {"storage.frame_reads": lambda reads: reads[:1], "workload.retention_days": 7.0}
    )
    assert model.storage.frame_reads == cost.Storage().frame_reads[:1] and model.workload.retention_days == 7.0


def test_levers_apply_cumulatively_from_the_design_before_them_and_never_raise_the_cost_here():
    rows = cost.levers(cost.Model(), {"arm": "built"})
    assert rows[0]["name"] == "before"
    assert rows[0]["total_usd"] == pytest.approx(cost._total(cost.with_changes(cost.Model(), cost.BEFORE_LEVERS)))
    assert [r["name"] for r in rows[1:]] == [name for name, _, _ in cost.LEVERS]
    assert {r["name"]: r["status"] for r in rows[1:]}["arm"] == "built"
    assert {r["status"] for r in rows[1:] if r["name"] != "arm"} == {"modelled"}
    totals = [r["total_usd"] for r in rows]
    assert totals == sorted(totals, reverse=True)
    # the model as built (forms, no inbox polls, Arm) sits between the design before and every lever
    built = cost._total(cost.Model())
    assert rows[-1]["total_usd"] < built < rows[0]["total_usd"]


def test_capacity_names_the_constraint_with_least_headroom():
    model = simple_model()
    result = cost.capacity(model, 60_000, quotas=cost.Quotas(lambda_account_concurrency=100))
    # 60,000 candidates x 1 frame/min = 1,000 frames/s; each frame (100 ms x 1769/1024 + 50 ms) = 0.2228 s
    assert result["rates_per_s"]["frames"] == pytest.approx(1000)
    assert result["lambda_concurrency"]["analyzer"] == round(1000 * (0.1 * 1769 / 1024 + 0.05))
    assert result["bottleneck"] == "Lambda account concurrency (analyzer + API)"
    lam = next(r for r in result["constraints"] if r["constraint"] == result["bottleneck"])
    assert result["headroom"] == lam["headroom"] == pytest.approx(100 / lam["demand"], abs=1e-3)
    assert all(r["headroom"] >= result["headroom"] for r in result["constraints"] if r["headroom"] is not None)
    assert result["lambda_ramp_s"] == 10  # under 1,000: within the first 10 s step


def test_capacity_before_presence_had_one_gsi_partition_per_agency_taking_every_update():
    one_cadence = {"workload.heartbeat_every_s": 10.0, "workload.heartbeat_watched_every_s": None}
    model = cost.with_changes(cost.Model(), {**cost.BEFORE_PRESENCE, **one_cadence})
    result = cost.capacity(model, 100_000, agencies=4)
    gsi = next(r for r in result["constraints"] if "by_agency" in r["constraint"])
    updates = 100_000 / 10 + 100_000 / 30 + model.storage.violations_per_hour * 100_000 / 3600
    assert gsi["demand"] == pytest.approx(updates * cost.write_units(model.storage.session_item) / 4, abs=1e-3)
    one_agency = cost.capacity(model, 100_000)
    assert one_agency["first_hard_limit"] == gsi["constraint"] and one_agency["first_hard_limit_headroom"] < 0.1


def index_row(result, words):
    return next(r for r in result["constraints"] if all(w in r["constraint"] for w in words))


def test_capacity_of_the_sharded_keys_only_index_per_partition():
    model = cost.Model()
    result = cost.capacity(model, 100_000, start_window_s=300)
    shards = model.storage.index_shards
    # the busiest key, '<exam>#submitted': every session enters (put) and leaves (delete) within the finish wave
    writes = index_row(result, ("shard partitions", "WCU/s"))
    assert writes["demand"] == pytest.approx(2 * 100_000 / 300 / shards, abs=1e-3)
    assert writes["headroom"] == pytest.approx(1000 / (2 * 100_000 / 300 / shards), abs=1e-3)
    assert writes["kind"].startswith("hard")
    # 2,000 proctors (50 candidates each) refresh every 2 s: 1,000 pages/s, each reading up to 50 keys (12.5 KB:
    # 4 x 0.5 RCU) from every shard of the status
    reads = index_row(result, ("one shard partition", "RCU/s"))
    assert reads["demand"] == pytest.approx(1000 * 2.0) and reads["headroom"] == pytest.approx(1.5)
    # heartbeats: 234 an hour each (20 s, 5 s for 10 % of the hour) and 72 attention checks (the watched tenth of
    # the hour's timeline polls): 8,500 presence writes/s over the table; a watched item takes a write every 5 s
    assert index_row(result, ("presence table",))["demand"] == pytest.approx((234 + 72) * 100_000 / 3600)
    assert index_row(result, ("one presence item",))["demand"] == pytest.approx(0.2)
    assert not any("by_agency" in r["constraint"] for r in result["constraints"])


def test_shards_divide_the_index_write_rate_and_a_faster_start_needs_more():
    one = cost.capacity(cost.with_changes(cost.Model(), {"storage.index_shards": 1}), 100_000)
    eight = cost.capacity(cost.Model(), 100_000)
    assert index_row(one, ("shard partitions",))["demand"] == pytest.approx(
        8 * index_row(eight, ("shard partitions",))["demand"], abs=0.01
    )
    # all 100,000 within 30 s: 6,667 writes/s on '#submitted' -> 833 per shard of 8, still under 1,000
    burst = cost.capacity(cost.Model(), 100_000, start_window_s=30)
    assert index_row(burst, ("shard partitions",))["headroom"] == pytest.approx(1000 / (2 * 100_000 / 30 / 8), abs=1e-3)
    assert index_row(burst, ("shard partitions",))["headroom"] > 1


def test_the_model_uses_the_built_shard_count_and_projection():
    from chalicelib.exam import session_index
    from infra.definitions import TABLES

    storage = cost.Storage()
    assert storage.index_shards == session_index.SHARDS
    sessions = next(t for t in TABLES if t.suffix == "sessions")
    assert storage.sessions_gsis == len(sessions.global_indexes)
    assert not storage.sessions_gsi_all_projection and {i.projection for i in sessions.global_indexes} == {"KEYS_ONLY"}
    assert storage.heartbeat_item and any(t.suffix == "presence" for t in TABLES)


def test_first_hard_limit_counts_only_hard_constraints_and_clears_1_at_100k():
    result = cost.capacity(cost.Model(), 100_000)
    hard = [r for r in result["constraints"] if r["kind"].startswith("hard")]
    assert result["first_hard_limit_headroom"] == min(r["headroom"] for r in hard) >= 1
    # quota and configuration rows name what lifts them
    esm = index_row(result, ("SQS event source",))
    assert esm["kind"].startswith("configuration: provisioned mode") and "MaximumPollers" in esm["kind"]


def test_a_model_survives_its_json_round_trip():
    import json

    model = cost.with_changes(cost.Model(), {"storage.frame_reads": (("ledger", 2.0),), "edge.http_api": True})
    again = cost.from_dict(json.loads(json.dumps(cost.as_dict(model))))
    assert again == model
    # a run saved by an older model (fields since renamed) still loads; what it lacks keeps today's defaults
    old = cost.as_dict(cost.Model())
    old["workload"]["uploads_per_presign"] = 1.0
    del old["edge"]
    assert cost.from_dict(old) == cost.Model()


# ---- objects, not frames: two webcam frames per object, audio only when it may hold speech -------------------


def test_two_frames_per_object_halve_what_is_paid_per_object_but_not_the_per_frame_compute():
    model = simple_model()  # 60 frames an hour, 100 ms CPU each, 50 ms of I/O wait per object
    paired = cost.with_changes(model, {"workload.webcam_frames_per_object": 2.0})
    counts = cost.hourly_counts(paired)
    assert counts["frames"] == pytest.approx(60) and counts["webcam_objects"] == pytest.approx(30)
    assert counts["uploads"] == pytest.approx(30) and counts["presigns"] == pytest.approx(30)
    assert counts["analyzer_invocations"] == pytest.approx(3)
    lines = cost.cost_per_exam_hour(paired)["by_service_usd"]
    # every frame is still analysed; the wait for S3 and DynamoDB is once per object
    gb_s = (60 * 100 * 1769 / 1024 + 30 * 50) / 1000 * 1.0
    assert lines["lambda_analyzer"] == pytest.approx(gb_s * 1e-5 + 3 * 1e-6)
    assert lines["s3_requests"] == pytest.approx(30 * (1e-5 + 1e-6))  # one PUT and one GetObject per object
    assert lines["sqs"] == pytest.approx(30 * 1.2 * 1e-6)
    assert lines["s3_storage"] == pytest.approx(60 * 1e6 / 1e9 * 0.1)  # the same bytes: two frames in each object
    # per object: ledger read 0.5 + two state reads of 0.5, one ledger write; per presign the session read
    assert lines["dynamodb"] == pytest.approx(30 * 1 * 1e-6 + 30 * (1.5 + 0.5) * 1e-7 + 20e-6)
    single = cost.cost_per_exam_hour(model)["by_service_usd"]
    assert lines["s3_requests"] == pytest.approx(single["s3_requests"] / 2)


def test_the_audio_share_counts_the_uploaded_chunks_everywhere_an_object_is_paid():
    model = cost.with_changes(
        simple_model(), {"workload.audio_chunk_s": 10.0, "workload.audio_bytes": 320_000.0, "compute.audio_cpu_ms": 80}
    )
    gated = cost.with_changes(model, {"workload.audio_upload_share": 0.25})
    counts = cost.hourly_counts(gated)
    assert counts["audio_chunks_recorded"] == pytest.approx(360) and counts["audio_chunks"] == pytest.approx(90)
    assert counts["uploads"] == pytest.approx(60 + 90)
    every, fewer = cost.cost_per_exam_hour(model), cost.cost_per_exam_hour(gated)
    assert every["by_service_usd"]["s3_requests"] - fewer["by_service_usd"]["s3_requests"] == pytest.approx(
        270 * (1e-5 + 1e-6)
    )
    assert every["uploaded_gb"] - fewer["uploaded_gb"] == pytest.approx(270 * 320_000 / 1e9)
    assert every["analyzer_gb_s"] - fewer["analyzer_gb_s"] == pytest.approx(270 * (80 * 1769 / 1024 + 50) / 1000)
    # one form per kind and minute: 90 audio chunks an hour still need a form in most minutes
    windowed = cost.hourly_counts(cost.with_changes(gated, {"workload.form_window_s": 60.0}))
    assert windowed["presigns"] == pytest.approx(60 + 60)


def test_audio_upload_share_is_speech_plus_one_keepalive_per_silent_keepalive_window():
    assert cost.audio_upload_share(0.1, 10, 60) == pytest.approx(0.1 + 0.9 / 6) == pytest.approx(0.25)
    assert cost.audio_upload_share(0.0, 10, 60) == pytest.approx(1 / 6)  # a silent hour: one chunk a minute
    assert cost.audio_upload_share(1.0, 10, 60) == 1.0
    assert cost.audio_upload_share(0.1, 10, None) == 1.0  # no gate
    assert cost.audio_upload_share(0.1, 10, 10) == 1.0  # a keep-alive as short as a chunk sends every chunk
    assert cost.audio_upload_share(cost.SPEECH_SHARE, 10, cost.DEFAULT_AUDIO_KEEPALIVE_S) == pytest.approx(0.25)


def simulated_share(speech: list[bool], every: int) -> float:
    """What the browser's gate does, chunk by chunk: upload speech, or a silent chunk `every` chunks after the last."""
    since, sent = every, 0  # the first chunk goes
    for is_speech in speech:
        since += 1
        if is_speech or since >= every:
            sent, since = sent + 1, 0
    return sent / len(speech)


def test_the_share_bounds_what_the_gate_does_with_scattered_and_with_bunched_speech():
    import random

    rng = random.Random(5)
    n, p, k = 60_000, 0.1, 6
    scattered = [rng.random() < p for _ in range(n)]
    bound = cost.audio_upload_share(p, 10, 60)
    assert simulated_share(scattered, k) == pytest.approx(p / (1 - (1 - p) ** k), abs=0.005)  # 0.213
    assert simulated_share(scattered, k) < bound
    # speech in bursts (a 1-minute conversation every 10 minutes): the bound is reached
    bunched = [(i % 60) < 6 for i in range(n)]
    assert simulated_share(bunched, k) == pytest.approx(bound, abs=0.01)


def test_capacity_per_prefix_and_per_item_rates_follow_objects():
    paired = cost.with_changes(cost.Model(), {"workload.webcam_frames_per_object": 2.0})
    one, two = cost.capacity(cost.Model(), 100_000), cost.capacity(paired, 100_000)
    puts = index_row(two, ("S3 PUT/s per prefix",))
    assert puts["demand"] == pytest.approx(1 / 10 + 1 / 10)  # an object every 10 s + an audio chunk every 10 s
    assert index_row(one, ("S3 PUT/s per prefix",))["demand"] == pytest.approx(1 / 5 + 1 / 10)
    assert two["rates_per_s"]["frames"] == one["rates_per_s"]["frames"] == pytest.approx(20_000)
    assert two["lambda_concurrency"]["analyzer"] < one["lambda_concurrency"]["analyzer"]


def test_the_new_levers_are_in_the_table_each_with_its_effect():
    rows = {r["name"]: r for r in cost.levers(cost.Model())}
    names = [r["name"] for r in cost.levers(cost.Model())]
    assert names.index("tiers") < names.index("pairs") < names.index("audio_gate") < names.index("compact")
    for name in ("pairs", "audio_gate", "compact"):
        before = names[names.index(name) - 1]
        assert rows[name]["total_usd"] < rows[before]["total_usd"], name
        assert sum(rows[name]["by_service_usd"].values()) == pytest.approx(rows[name]["total_usd"])
    before = cost.with_changes(cost.Model(), cost.BEFORE_LEVERS)
    assert before.workload.webcam_frames_per_object == 1 and before.workload.audio_upload_share == 1
    assert before.storage.signal_states_item == cost.PRE_COMPACT_STATES_ITEM_BYTES
    everything = before
    for _, _, changes in cost.LEVERS:
        everything = cost.with_changes(everything, changes)
    assert everything.workload.webcam_frames_per_object == 2 and everything.workload.audio_upload_share == 0.25
    assert cost.write_units(everything.storage.signal_states_item) == 1


def test_code_facts_read_each_lever_from_the_code(monkeypatch):
    from benchmarks.__main__ import code_facts
    from chalicelib.media import uploads

    facts = code_facts()
    assert {name for name, _, _ in cost.LEVERS} <= set(facts)
    # this checkout's audio gate: voice_gate.ts in audio.ts and the policy's keep-alive
    share, status, source = facts["audio_gate"]
    assert status == "built" and share == pytest.approx(0.25) and "DEFAULT_KEEPALIVE_S = 60" in source
    # two frames per object only when uploads.py says so
    monkeypatch.setattr(uploads, "WEBCAM_FRAMES_PER_OBJECT", 2, raising=False)
    assert code_facts()["pairs"][:2] == (2.0, "built")
    monkeypatch.delattr(uploads, "WEBCAM_FRAMES_PER_OBJECT")
    assert code_facts()["pairs"][:2] == (1.0, "modelled (not in this code)")


def test_model_from_counts_item_operations_per_object(monkeypatch):
    from benchmarks import __main__ as bench

    run = {
        "name": "optimised",
        "frames_per_object": 2,
        "cpu_ms_per_frame": 20.0,
        "frame_kb_mean": 40.0,
        "item_operations_per_frame": {
            "ddb:UpdateItem:states": 0.5,
            "ddb:PutItem:objects": 1.0,
            "ddb:GetItem:sessions": 0.5,
        },
    }
    model, _ = bench.model_from({"analyzer": {"runs": [run]}})
    assert dict(model.storage.frame_writes) == {"signal_states": 1.0, "ledger": 2.0}  # per object of two frames
    assert dict(model.storage.frame_reads) == {"session": 1.0}
    assert model.compute.frame_cpu_ms == 20.0  # compute stays per frame


def test_the_adaptive_heartbeat_beats_every_20_s_and_every_5_s_for_the_watched_share():
    w = cost.Workload(heartbeat_every_s=20, heartbeat_watched_every_s=5, watched_share=0.1)
    assert cost.heartbeats_per_hour(w) == pytest.approx(0.9 * 180 + 0.1 * 720) == pytest.approx(234)
    assert cost.heartbeats_per_hour(replace(w, watched_share=0)) == pytest.approx(180)
    assert cost.heartbeats_per_hour(replace(w, heartbeat_watched_every_s=None)) == pytest.approx(180)
    # the defaults are the built cadence, not the 10 s the model assumed before
    assert (cost.Workload().heartbeat_every_s, cost.Workload().heartbeat_watched_every_s) == (20, 5)
    assert cost.Workload().watched_share == cost.WATCHED_SHARE == 0.1
    counts = cost.hourly_counts(cost.with_changes(simple_model(), {"workload.heartbeat_every_s": 20.0}))
    assert counts["heartbeats"] == pytest.approx(180) and counts["attention_checks"] == 0
    watched = cost.with_changes(simple_model(), dict(zip(HEARTBEAT_FIELDS, (20.0, 5.0, 0.1), strict=True)))
    counts = cost.hourly_counts(watched)
    assert counts["heartbeats"] == pytest.approx(234) and counts["attention_checks"] == pytest.approx(72)
    # each heartbeat is an API call; each heartbeat and attention check one presence write (1 WRU)
    assert counts["api_calls"] == pytest.approx(60 + 234)
    assert cost.dynamodb_units(watched)["wru"] - cost.dynamodb_units(simple_model())["wru"] == pytest.approx(234 + 72)


HEARTBEAT_FIELDS = ("workload.heartbeat_every_s", "workload.heartbeat_watched_every_s", "workload.watched_share")


def test_before_the_levers_the_page_beat_every_5_s_and_the_lever_cuts_the_api_line():
    before = cost.with_changes(cost.Model(), cost.BEFORE_LEVERS)
    assert before.workload.heartbeat_every_s == 5 and before.workload.heartbeat_watched_every_s is None
    assert cost.hourly_counts(before)["heartbeats"] == pytest.approx(720)
    rows = cost.levers(cost.Model(), {"heartbeat": "built"})
    names = [r["name"] for r in rows]
    lever = rows[names.index("heartbeat")]
    previous = rows[names.index("heartbeat") - 1]
    assert lever["lever"].startswith("adaptive heartbeat (20 s, 5 s while watched)") and lever["status"] == "built"
    saved = {k: previous["by_service_usd"][k] - lever["by_service_usd"][k] for k in lever["by_service_usd"]}
    # 720 - 234 = 486 API calls fewer an hour: API Gateway REST at $3.50 per million, CloudFront + 2 WAF ACLs
    assert saved["api_gateway"] == pytest.approx(486 * 3.5e-6)
    assert saved["cloudfront_waf"] == pytest.approx(486 * (1e-6 + 2 * 0.6e-6))
    assert lever["total_usd"] < previous["total_usd"] - 0.003


def test_code_facts_read_the_heartbeat_cadences_from_presence(monkeypatch):
    from benchmarks import __main__ as bench
    from chalicelib.exam import presence

    value, status, source = bench.code_facts()["heartbeat"]
    assert (value, status) == ([20.0, 5.0], "built") and "BEAT_IDLE_S = 20" in source
    monkeypatch.setattr(presence, "BEAT_IDLE_S", 30)
    assert bench.code_facts()["heartbeat"][0] == [30.0, 5.0]
    model, inputs = bench.model_from({})
    assert (model.workload.heartbeat_every_s, model.workload.heartbeat_watched_every_s) == (30.0, 5.0)
    assert "every 30 s, every 5 s while a proctor watches" in inputs["assumed"]["heartbeat"]
    # without the server's cadences the page's fixed 5 s beat is what the model counts
    monkeypatch.delattr(presence, "BEAT_IDLE_S")
    assert bench.code_facts()["heartbeat"][:2] == ([5.0, None], "modelled (not in this code)")
    model, _ = bench.model_from({})
    assert cost.hourly_counts(model)["heartbeats"] == pytest.approx(720)
