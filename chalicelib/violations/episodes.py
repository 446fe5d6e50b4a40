"""Violations as episodes: a signal must persist for N consecutive observations to open one; it then grows until
the signal clears (or observations stop for too long), keeping its start, end, peak score and frame count.

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
    """Apply one observation taken at `at`. Observations older than the last one are ignored (returned unchanged)."""
    if state.last_at is not None and at <= state.last_at:
        return state, []
    changes: list[EpisodeChange] = []
    if state.last_at is not None and at - state.last_at > max_gap:
        if state.episode_started_at is not None:
            changes.append(_episode(state, "closed"))
        state = _closed(state)
    state = replace(state, last_at=at, observations=state.observations + 1)
    if not flagged:
        if state.episode_started_at is not None:
            changes.append(_episode(state, "closed"))
        return _closed(state), changes
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
