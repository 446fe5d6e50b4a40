"""Per-exam analysis thresholds: what counts as a flag, and for how long it must persist to become a violation."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from chalicelib.core.http import invalid_field

VIOLATION_TYPE = re.compile(r"^[a-z][a-z_]{0,39}$")
DEFAULT_PERSISTENCE = {
    "no_face": 2,
    "multiple_faces": 2,
    "face_mismatch": 2,
    "face_covered": 2,
    "looking_away": 2,
    "poor_lighting": 3,
    "speech_detected": 1,
}


@dataclass(frozen=True)
class AnalysisPolicy:
    reid_every_n: int = 3  # re-identify every Nth webcam frame (1 = every frame)
    match_threshold: float | None = None  # None: the face engine's own calibrated threshold
    yaw_limit_deg: float = 35.0  # head turn beyond the candidate's enrollment baseline
    pitch_limit_deg: float = 25.0
    min_brightness: float = 45.0  # mean luma of the face region, 0..255
    max_brightness: float = 235.0
    speech_min_ratio: float = 0.1  # share of an audio chunk that is speech (0.5-1 s of a 5-10 s chunk)
    max_gap_s: int = 30  # observations further apart than this never join one episode
    webcam_every_s: int = 5  # the browser's cadence: a webcam snapshot every N seconds
    audio_chunk_s: int = 10  # length of each audio chunk
    # The browser uploads a chunk only when it hears speech-like sound (web/src/shared/media/voice_gate.ts), and at
    # least one every audio_keepalive_s seconds, which proves the microphone works (violations/silence.py).
    audio_keepalive_s: int = 60
    screen_every_s: int = 30  # a screen snapshot every N seconds
    # Points one violation of a type takes off the credibility score (proctor/credibility.py has the defaults).
    credibility_weights: dict[str, float] = field(default_factory=dict)
    persistence: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PERSISTENCE))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def cadence(self) -> dict[str, int]:
        """What the candidate's browser uploads, and how often."""
        return {
            "webcam_every_s": self.webcam_every_s,
            "audio_chunk_s": self.audio_chunk_s,
            "audio_keepalive_s": self.audio_keepalive_s,
            "screen_every_s": self.screen_every_s,
        }

    @classmethod
    def from_dict(cls, raw: Any) -> AnalysisPolicy:
        """Build from stored or submitted values; unknown keys and out-of-range values are a 400."""
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise invalid_field("analysis", "must be an object")
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise invalid_field("analysis", f"has unknown keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, (low, high) in _RANGES.items():
            if raw.get(name) is None:
                continue
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise invalid_field(f"analysis.{name}", f"must be a number between {low} and {high}")
            values[name] = int(value) if name in _INTEGERS else float(value)
        persistence = dict(DEFAULT_PERSISTENCE)
        for signal, frames in (raw.get("persistence") or {}).items():
            if (
                signal not in DEFAULT_PERSISTENCE
                or isinstance(frames, bool)
                or not isinstance(frames, int | float)
                or not 1 <= frames <= 20
            ):
                raise invalid_field(f"analysis.persistence.{signal}", "must be a known signal with 1 to 20 frames")
            persistence[signal] = int(frames)
        weights = {}
        raw_weights = raw.get("credibility_weights") or {}
        if not isinstance(raw_weights, dict) or len(raw_weights) > 50:
            raise invalid_field("analysis.credibility_weights", "must be an object of at most 50 weights")
        for violation, points in raw_weights.items():
            if (
                not isinstance(violation, str)
                or not VIOLATION_TYPE.match(violation)
                or isinstance(points, bool)
                or not isinstance(points, int | float)
                or not 0 <= points <= 100
            ):
                raise invalid_field(f"analysis.credibility_weights.{str(violation)[:40]}", "must be 0 to 100 points")
            weights[violation] = float(points)
        return cls(**values, persistence=persistence, credibility_weights=weights)


_RANGES = {
    "reid_every_n": (1, 100),
    "match_threshold": (0.0, 1.0),
    "yaw_limit_deg": (5.0, 90.0),
    "pitch_limit_deg": (5.0, 90.0),
    "min_brightness": (0.0, 255.0),
    "max_brightness": (0.0, 255.0),
    "speech_min_ratio": (0.0, 1.0),
    "max_gap_s": (5, 600),
    "webcam_every_s": (1, 60),
    "audio_chunk_s": (2, 30),
    "audio_keepalive_s": (2, 600),
    "screen_every_s": (2, 300),
}
_INTEGERS = ("reid_every_n", "max_gap_s", "webcam_every_s", "audio_chunk_s", "audio_keepalive_s", "screen_every_s")
