from datetime import UTC, datetime, timedelta

from chalicelib.violations.episodes import SignalState, observe

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
GAP = timedelta(seconds=30)


def run(flags, persistence=2, step_s=5, state=None):
    state = state or SignalState()
    changes = []
    for n, (flagged, score) in enumerate(flags):
        state, new = observe(
            state, T0 + timedelta(seconds=n * step_s), flagged, score, persistence=persistence, max_gap=GAP
        )
        changes.extend(new)
    return state, changes


def test_one_odd_frame_raises_nothing():
    _, changes = run([(False, 0), (True, 0.9), (False, 0), (False, 0)])
    assert changes == []


def test_two_consecutive_frames_open_an_episode_that_starts_at_the_first():
    _, changes = run([(False, 0), (True, 0.6), (True, 0.8)])
    assert [c.kind for c in changes] == ["opened"]
    assert changes[0].started_at == T0 + timedelta(seconds=5)
    assert changes[0].ended_at == T0 + timedelta(seconds=10)
    assert (changes[0].peak, changes[0].frames) == (0.8, 2)


def test_an_episode_grows_keeps_its_peak_and_closes_when_the_signal_clears():
    state, changes = run([(True, 0.5), (True, 0.7), (True, 0.95), (True, 0.6), (False, 0)])
    assert [c.kind for c in changes] == ["opened", "extended", "extended", "closed"]
    closed = changes[-1]
    assert (closed.started_at, closed.ended_at) == (T0, T0 + timedelta(seconds=15))
    assert (closed.peak, closed.frames) == (0.95, 4)
    assert state.episode_started_at is None and state.streak == 0


def test_a_long_silence_closes_the_episode_and_restarts_the_count():
    state, changes = run([(True, 0.5), (True, 0.5)])
    state, later = observe(state, T0 + timedelta(minutes=5), True, 0.9, persistence=2, max_gap=GAP)
    assert [c.kind for c in changes + later] == ["opened", "closed"]
    assert state.streak == 1 and state.episode_started_at is None


def test_late_or_repeated_observations_are_ignored():
    state, _ = run([(True, 0.5), (True, 0.5)])
    same, changes = observe(state, T0 + timedelta(seconds=5), False, 0, persistence=2, max_gap=GAP)
    assert same == state and changes == []


def test_persistence_of_one_opens_on_the_first_flag():
    _, changes = run([(True, 0.3)], persistence=1)
    assert [c.kind for c in changes] == ["opened"]


def test_every_observation_is_counted_for_sampling():
    state, _ = run([(False, 0), (True, 1), (False, 0)])
    assert state.observations == 3


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def feed(order, persistence=2, state=None):
    """Observations in the order they arrive: (seconds, flagged, score)."""
    state = state or SignalState()
    changes = []
    for seconds, flagged, score in order:
        state, new = observe(state, at(seconds), flagged, score, persistence=persistence, max_gap=GAP)
        changes.extend(new)
    return state, changes


def test_a_late_flagged_frame_opens_the_episode_it_completes():
    # Frames at 0 and 5 both show the signal, but the one taken at 0 arrives last (redelivered after a crash)
    state, changes = feed([(5, True, 0.6), (0, True, 0.8)])
    assert [c.kind for c in changes] == ["opened"]
    assert (changes[0].started_at, changes[0].ended_at) == (at(0), at(5))
    assert (changes[0].frames, changes[0].peak) == (2, 0.8)
    assert state.observations == 2


def test_a_late_flagged_frame_adds_to_the_open_episode_without_moving_its_start():
    _, changes = feed([(5, True, 0.5), (10, True, 0.5), (15, True, 0.5), (0, True, 0.9)])
    assert [c.kind for c in changes] == ["opened", "extended", "extended"]
    late = changes[-1]
    assert (late.started_at, late.ended_at, late.frames, late.peak) == (at(5), at(15), 4, 0.9)


def test_a_late_flagged_frame_from_before_a_clean_one_belongs_to_no_current_run():
    _, changes = feed([(0, False, 0), (10, False, 0), (15, True, 0.5), (5, True, 0.9)])
    assert changes == []


def test_a_late_frame_beyond_the_gap_is_dropped_and_a_repeat_changes_nothing():
    state, changes = feed([(100, True, 0.5), (60, True, 0.5)])
    assert changes == []
    again, repeated = observe(state, at(100), True, 0.5, persistence=2, max_gap=GAP)
    assert (again, repeated) == (state, [])


def test_a_late_clean_frame_marks_earlier_flags_stale():
    _, changes = feed([(10, True, 0.5), (5, False, 0), (0, True, 0.9)])
    assert changes == []


def test_signal_states_round_trip_through_the_stored_json_at_millisecond_precision():
    from dataclasses import replace

    from chalicelib.violations.packing import _states_json, states_from_json

    at = datetime(2026, 11, 29, 10, 0, 0, 123000, tzinfo=UTC)
    states = {
        "no_face": SignalState(last_at=at, streak=2, streak_started_at=at, streak_peak=0.5, observations=7),
        "multiple_faces": replace(
            SignalState(), episode_started_at=at, episode_last_at=at, episode_frames=3, last_clear_at=at
        ),
    }
    assert states_from_json(_states_json(states)) == states
