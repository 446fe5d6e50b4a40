"""What each analysis-policy parameter means, for the admin's exam form: default, unit, bounds and the key of its
plain-words explanation (web/src/shared/i18n/*.json `policy.<param>`, in kk/ru/en)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from chalicelib.exam.policy import _INTEGERS, _RANGES, DEFAULT_PERSISTENCE, AnalysisPolicy

UNITS = {
    "reid_every_n": "frames",
    "match_threshold": "similarity",
    "yaw_limit_deg": "degrees",
    "pitch_limit_deg": "degrees",
    "min_brightness": "luma",
    "max_brightness": "luma",
    "speech_min_ratio": "ratio",
    "max_gap_s": "seconds",
    "webcam_every_s": "seconds",
    "audio_chunk_s": "seconds",
    "audio_keepalive_s": "seconds",
    "screen_every_s": "seconds",
    "credibility_weights": "points",
    "persistence": "frames",
}


def policy_defaults(credibility_weights: Mapping[str, float]) -> list[dict[str, Any]]:
    """One entry per AnalysisPolicy field, in the policy's order. `credibility_weights` are the per-type defaults
    (proctor/credibility.py owns them; the exam context cannot import it)."""
    defaults = AnalysisPolicy().to_dict()
    defaults["credibility_weights"] = dict(sorted(credibility_weights.items()))
    out = []
    for field in fields(AnalysisPolicy):
        name = field.name
        entry: dict[str, Any] = {
            "param": name,
            "default": defaults[name],
            "unit": UNITS[name],
            "message_key": f"policy.{name}",
        }
        if name in _RANGES:
            low, high = _RANGES[name]
            entry.update(kind="integer" if name in _INTEGERS else "number", min=low, max=high)
        elif name == "persistence":
            entry.update(kind="map", keys=sorted(DEFAULT_PERSISTENCE), min=1, max=20)
        else:
            entry.update(kind="map", keys=sorted(credibility_weights), min=0, max=100)
        out.append(entry)
    return out
