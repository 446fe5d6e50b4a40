"""Compact encodings of the signal-state item's attributes, so the item a frame rewrites stays under 1 KB (one write
unit): episode states as bytes of varints, times as epoch milliseconds, object keys and open silence episodes as
fixed fields. Every packed form starts with a format byte and round-trips exactly; what does not fit a packed shape
(an unknown signal, a key of another shape, silence entries with other fields) is stored as its text (format 0), so
nothing is ever lost to packing.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import BINARY, NUMBER

from chalicelib.core.clock import iso, parse_iso
from chalicelib.violations.episodes import SignalState

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
TEXT, PACKED, ZTEXT = 0, 1, 2  # the format byte

# Codes are stored: append only, never reorder.
SIGNALS = (
    "no_face",
    "multiple_faces",
    "face_mismatch",
    "face_covered",
    "looking_away",
    "poor_lighting",
    "speech_detected",
)
KINDS = ("webcam", "audio", "screen")
EXTENSIONS = ("jpg", "wav")
CHANNELS = ("camera", "audio")
SILENCE_TYPES = ("camera_missing", "audio_missing", "media_rejected")
TIME_FIELDS = ("last_at", "streak_started_at", "episode_started_at", "episode_last_at", "last_clear_at")


def epoch_ms(moment: datetime) -> int:
    return (moment - EPOCH) // MS


def from_epoch_ms(value: int) -> datetime:
    return EPOCH + value * MS


# ------------------------------------------------------------------------------------------------ varints


def _varint(value: int, out: bytearray) -> None:
    if value < 0:
        raise ValueError("varints here are unsigned")
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


class _Reader:
    def __init__(self, data: bytes, position: int = 0) -> None:
        self.data, self.position = data, position

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.data[self.position]
            self.position += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    def take(self, size: int) -> bytes:
        chunk = self.data[self.position : self.position + size]
        if len(chunk) != size:
            raise ValueError("packed value ends early")
        self.position += size
        return chunk

    def done(self) -> bool:
        return self.position == len(self.data)


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    squeezed = zlib.compress(raw, 9)
    return bytes([ZTEXT]) + squeezed if len(squeezed) < len(raw) else bytes([TEXT]) + raw


def _from_text(data: bytes) -> str:
    return (zlib.decompress(data[1:]) if data[0] == ZTEXT else data[1:]).decode("utf-8")


# ------------------------------------------------------------------------------------------------ episode states

# A peak score: 0 (nothing stored), a float32 that is exactly the value, or a float64.
_PEAK_ZERO, _PEAK_F32, _PEAK_F64 = 0, 1, 2


def _peak_kind(value: float) -> int:
    if value == 0.0:
        return _PEAK_ZERO
    try:
        exact32 = struct.unpack("<f", struct.pack("<f", value))[0] == value
    except OverflowError:
        exact32 = False
    return _PEAK_F32 if exact32 else _PEAK_F64


def pack_states(states: dict[str, SignalState]) -> bytes:
    """Format 1: varint base (epoch ms of the newest time), then per signal its code, a field mask, each set time
    as (base - time) in ms, streak, episode frames, observations and the two peaks. A time below a millisecond or
    before the epoch, an unknown signal or a negative count fall back to the states' JSON text."""
    try:
        return _pack_states(states)
    except (ValueError, TypeError, OverflowError):
        return _text(_states_json(states))


def _pack_states(states: dict[str, SignalState]) -> bytes:
    fields = [(signal, state, [getattr(state, name) for name in TIME_FIELDS]) for signal, state in states.items()]
    stamps = []
    for _, _, times in fields:
        for moment in times:
            if moment is not None:
                if moment.microsecond % 1000:
                    raise ValueError("a time below a millisecond")  # kept exactly, as text
                stamps.append(epoch_ms(moment))
    base = max(stamps, default=0)
    out = bytearray([PACKED])
    _varint(base, out)
    for signal, state, times in fields:
        out.append(SIGNALS.index(signal))  # ValueError for a signal without a code: stored as text
        streak_peak, episode_peak = _peak_kind(state.streak_peak), _peak_kind(state.episode_peak)
        mask = streak_peak << 5 | episode_peak << 7
        for bit, moment in enumerate(times):
            if moment is not None:
                mask |= 1 << bit
        _varint(mask, out)
        for moment in times:
            if moment is not None:
                _varint(base - epoch_ms(moment), out)
        for count in (state.streak, state.episode_frames, state.observations):
            if int(count) != count:
                raise ValueError("counts are whole numbers")
            _varint(int(count), out)
        for kind, value in ((streak_peak, state.streak_peak), (episode_peak, state.episode_peak)):
            if kind == _PEAK_F32:
                out += struct.pack("<f", value)
            elif kind == _PEAK_F64:
                out += struct.pack("<d", value)
    return bytes(out)


def unpack_states(data: bytes) -> dict[str, SignalState]:
    if data[0] != PACKED:
        return states_from_json(_from_text(data))
    reader = _Reader(data, 1)
    base = reader.varint()
    states = {}
    while not reader.done():
        signal = SIGNALS[reader.take(1)[0]]
        mask = reader.varint()
        fields: dict[str, Any] = {}
        for bit, name in enumerate(TIME_FIELDS):
            fields[name] = from_epoch_ms(base - reader.varint()) if mask & 1 << bit else None
        fields["streak"], fields["episode_frames"], fields["observations"] = (
            reader.varint(),
            reader.varint(),
            reader.varint(),
        )
        for name, kind in (("streak_peak", mask >> 5 & 3), ("episode_peak", mask >> 7 & 3)):
            if kind == _PEAK_F32:
                fields[name] = struct.unpack("<f", reader.take(4))[0]
            elif kind == _PEAK_F64:
                fields[name] = struct.unpack("<d", reader.take(8))[0]
            else:
                fields[name] = 0.0
        states[signal] = SignalState(**fields)
    return states


def _states_json(states: dict[str, SignalState]) -> str:
    out = {}
    for signal, state in states.items():
        raw: dict[str, Any] = {name: getattr(state, name) for name in SignalState.__dataclass_fields__}
        for name in TIME_FIELDS:
            raw[name] = raw[name].astimezone(UTC).isoformat() if raw[name] else None
        out[signal] = raw
    return json.dumps(out, sort_keys=True)


def states_from_json(text: str) -> dict[str, SignalState]:
    """The states as JSON text: the packing's fallback (full precision) and the old `signals_json` attribute (ISO
    times with milliseconds)."""
    states = {}
    for signal, raw in json.loads(text or "{}").items():
        for name in TIME_FIELDS:
            raw[name] = parse_iso(raw[name]) if raw.get(name) else None
        states[signal] = SignalState(**raw)
    return states


# ------------------------------------------------------------------------------------------------ object keys

KEY_SHAPE = re.compile(
    r"^sessions/(?P<session>[0-9a-f]{32})/(?P<kind>[a-z]+)/(?P<window>[0-9]{8}T[0-9]{4}Z)-(?P<nonce>[0-9a-f]{16})/"
    r"(?P<time>[0-9]{8}T[0-9]{9}Z)-(?P<tail>[0-9a-f]{12})(?:\.f(?P<frames>[1-9][0-9]{0,2}))?\.(?P<ext>[a-z0-9]+)$"
)


def pack_key(key: str) -> bytes:
    """A media key of the upload forms' shape in 44 bytes (kind, extension, frames mark, session, form minute,
    nonce, name's time and hex); any other key as its text."""
    match = KEY_SHAPE.match(key)
    if match is None or match["kind"] not in KINDS or match["ext"] not in EXTENSIONS:
        return _text(key)
    frames = int(match["frames"] or 0)  # `<name>.f2.jpg`: a two-frame webcam object
    try:
        window = datetime.strptime(match["window"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        named = datetime.strptime(match["time"][:-4], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return _text(key)
    if frames > 255:
        return _text(key)
    named += int(match["time"][-4:-1]) * MS
    packed = b"".join(
        (
            bytes([PACKED, KINDS.index(match["kind"]), EXTENSIONS.index(match["ext"]), frames]),
            bytes.fromhex(match["session"]),
            struct.pack("<I", epoch_ms(window) // 60_000),
            bytes.fromhex(match["nonce"]),
            epoch_ms(named).to_bytes(6, "little"),
            bytes.fromhex(match["tail"]),
        )
    )
    return packed if unpack_key(packed) == key else _text(key)


def unpack_key(data: bytes) -> str:
    if data[0] != PACKED:
        return _from_text(data)
    reader = _Reader(data, 1)
    kind, ext, frames = KINDS[reader.take(1)[0]], EXTENSIONS[reader.take(1)[0]], reader.take(1)[0]
    session = reader.take(16).hex()
    window = from_epoch_ms(struct.unpack("<I", reader.take(4))[0] * 60_000)
    nonce = reader.take(8).hex()
    named = from_epoch_ms(int.from_bytes(reader.take(6), "little"))
    tail = reader.take(6).hex()
    name_time = named.strftime("%Y%m%dT%H%M%S") + f"{named.microsecond // 1000:03d}Z"
    mark = f".f{frames}" if frames else ""
    return f"sessions/{session}/{kind}/{window.strftime('%Y%m%dT%H%MZ')}-{nonce}/{name_time}-{tail}{mark}.{ext}"


# ------------------------------------------------------------------------------------------------ open silences


def pack_silence(text: str) -> bytes:
    """silence.py's open episodes ({channel: {type, started_at, violation_id}} as sorted JSON) in 24 bytes each;
    any other content as its text."""
    try:
        episodes = json.loads(text or "{}")
        out = bytearray([PACKED])
        for channel, entry in episodes.items():
            if set(entry) != {"type", "started_at", "violation_id"}:
                return _text(text)
            violation_id = bytes.fromhex(entry["violation_id"])
            if len(violation_id) != 16:
                return _text(text)
            out += bytes([CHANNELS.index(channel), SILENCE_TYPES.index(entry["type"])])
            out += epoch_ms(parse_iso(entry["started_at"])).to_bytes(6, "little")
            out += violation_id
        packed = bytes(out)
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError):
        return _text(text or "")
    return packed if unpack_silence(packed) == text else _text(text)


def unpack_silence(data: bytes) -> str:
    if data[0] != PACKED:
        return _from_text(data)
    reader = _Reader(data, 1)
    episodes = {}
    while not reader.done():
        channel, kind = CHANNELS[reader.take(1)[0]], SILENCE_TYPES[reader.take(1)[0]]
        started = from_epoch_ms(int.from_bytes(reader.take(6), "little"))
        episodes[channel] = {"type": kind, "started_at": iso(started), "violation_id": reader.take(16).hex()}
    return json.dumps(episodes, sort_keys=True)


# ------------------------------------------------------------------------------------------------ attributes


class EpochMsAttribute(Attribute[datetime]):
    """A UTC time as epoch milliseconds (a Number of ~8 bytes instead of a 31-character string)."""

    attr_type = NUMBER

    def serialize(self, value: datetime) -> str:
        return str(epoch_ms(value))

    def deserialize(self, value: str) -> datetime:
        return from_epoch_ms(int(value))


class PackedKeyAttribute(Attribute[str]):
    """An object key, packed (pack_key)."""

    attr_type = BINARY

    def serialize(self, value: str) -> bytes:
        return pack_key(value)

    def deserialize(self, value: bytes) -> str:
        return unpack_key(value)


class PackedSilenceAttribute(Attribute[str]):
    """The open silence episodes' JSON text, packed (pack_silence)."""

    attr_type = BINARY

    def serialize(self, value: str) -> bytes:
        return pack_silence(value)

    def deserialize(self, value: bytes) -> str:
        return unpack_silence(value)
