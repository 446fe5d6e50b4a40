"""Violations as episodes: a signal must persist for N consecutive observations to open one; it then grows until
the signal clears (or observations stop for too long), keeping its start, end, peak score and frame count.

An observation that arrives late (older than the newest one seen: a frame redelivered after a worker died, or
simply processed out of order) still counts when it belongs to the current run of flagged observations: no clean
observation came after it and it is within max_gap of the run. It adds to the streak (and may open the episode,
which then starts at the earliest flagged observation) or to the open episode's frames and peak; the episode's
start never moves once recorded (its id derives from it). A late clean observation never splits a run; a late
flagged one from an earlier run is dropped. An observation at exactly the newest time seen is a duplicate.

Pure rules over a small per-session, per-signal state; persistence lives in violations/signal_tracker.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SignalState:
    last_at: datetime | None = None
    streak: int = 0
    streak_started_at: datetime | None = None
    streak_peak: float = 0.0
    episode_started_at: datetime | None = None  # set while an episode is open
    episode_last_at: datetime | None = None
    episode_peak: float = 0.0
    episode_frames: int = 0
    observations: int = 0  # every observation seen, flagged or not (drives "every Nth frame" sampling)
    last_clear_at: datetime | None = None  # the newest clean observation: late flagged ones before it are stale


@dataclass(frozen=True)
class EpisodeChange:
    kind: str  # opened | extended | closed
    started_at: datetime
    ended_at: datetime
    peak: float
    frames: int


def _episode(state: SignalState, kind: str) -> EpisodeChange:
    assert state.episode_started_at is not None and state.episode_last_at is not None
    return EpisodeChange(
        kind, state.episode_started_at, state.episode_last_at, state.episode_peak, state.episode_frames
    )


def _closed(state: SignalState) -> SignalState:
    return replace(
        state,
        streak=0,
        streak_started_at=None,
        streak_peak=0.0,
        episode_started_at=None,
        episode_last_at=None,
        episode_peak=0.0,
        episode_frames=0,
    )


def observe(
    state: SignalState, at: datetime, flagged: bool, score: float, *, persistence: int, max_gap: timedelta
) -> tuple[SignalState, list[EpisodeChange]]:
    """Apply one observation taken at `at` (late ones too: see the module's docstring)."""
    if state.last_at is not None and at <= state.last_at:
        return _late(state, at, flagged, score, persistence=persistence, max_gap=max_gap)
    changes: list[EpisodeChange] = []
    if state.last_at is not None and at - state.last_at > max_gap:
        if state.episode_started_at is not None:
            changes.append(_episode(state, "closed"))
        state = _closed(state)
    state = replace(state, last_at=at, observations=state.observations + 1)
    if not flagged:
        if state.episode_started_at is not None:
            changes.append(_episode(state, "closed"))
        return replace(_closed(state), last_clear_at=at), changes
    state = replace(
        state,
        streak=state.streak + 1,
        streak_started_at=state.streak_started_at or at,
        streak_peak=max(state.streak_peak, score),
    )
    if state.episode_started_at is not None:
        state = replace(
            state,
            episode_last_at=at,
            episode_peak=max(state.episode_peak, score),
            episode_frames=state.episode_frames + 1,
        )
        changes.append(_episode(state, "extended"))
    elif state.streak >= persistence:
        state = replace(
            state,
            episode_started_at=state.streak_started_at,
            episode_last_at=at,
            episode_peak=state.streak_peak,
            episode_frames=state.streak,
        )
        changes.append(_episode(state, "opened"))
    return state, changes


def _late(
    state: SignalState, at: datetime, flagged: bool, score: float, *, persistence: int, max_gap: timedelta
) -> tuple[SignalState, list[EpisodeChange]]:
    """An observation older than the newest seen: counted when it belongs to the current flagged run."""
    if at == state.last_at:
        return state, []  # the newest observation again: a duplicate
    state = replace(state, observations=state.observations + 1)
    if not flagged:
        if state.last_clear_at is None or at > state.last_clear_at:
            state = replace(state, last_clear_at=at)
        return state, []
    run_start = state.streak_started_at
    if (
        state.streak == 0
        or run_start is None
        or (state.last_clear_at is not None and at <= state.last_clear_at)
        or run_start - at > max_gap
    ):
        return state, []  # it belongs to an earlier run, already over
    state = replace(
        state, streak=state.streak + 1, streak_started_at=min(run_start, at), streak_peak=max(state.streak_peak, score)
    )
    if state.episode_started_at is not None:
        state = replace(state, episode_peak=max(state.episode_peak, score), episode_frames=state.episode_frames + 1)
        return state, [_episode(state, "extended")]
    if state.streak >= persistence:
        state = replace(
            state,
            episode_started_at=state.streak_started_at,
            episode_last_at=state.last_at,
            episode_peak=state.streak_peak,
            episode_frames=state.streak,
        )
        return state, [_episode(state, "opened")]
    return state, []
