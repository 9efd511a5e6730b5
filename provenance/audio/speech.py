"""Voice activity: where the speech is, found once per clip and shared by every engine and later step.

Whisper invents text for music, tones and silence; cutting the audio down to VAD speech first removes most
of that, lets a speechless clip skip Whisper entirely, and gives the language timeline its windows.
Silero VAD (bundled with faster-whisper, ONNX) costs about 0.3% of the audio's duration here.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from provenance.audio.decode import SAMPLE_RATE


@dataclass(frozen=True)
class SpeechRegion:
    start: int  # sample index in the clip
    end: int


def speech_regions(
    samples: np.ndarray, *, min_silence_ms: int = 2000, pad_ms: int = 400
) -> list[SpeechRegion]:
    """Speech stretches of a 16 kHz clip (faster-whisper's default VAD options)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if not len(samples):
        return []
    options = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=pad_ms)
    return [SpeechRegion(int(c["start"]), int(c["end"])) for c in get_speech_timestamps(samples, options)]


VAD_FRAME = 512  # Silero's frame at 16 kHz (32 ms)
VAD_THRESHOLD = 0.5  # faster-whisper's VadOptions.threshold: a frame above it is speech


def voiced_fraction(samples: np.ndarray) -> float:
    """Share of 32-ms frames Silero VAD scores as speech (probability above ``VAD_THRESHOLD``)."""
    from faster_whisper.vad import get_vad_model

    if not len(samples):
        return 0.0
    padded = np.pad(samples, (0, -len(samples) % VAD_FRAME))
    probs = np.asarray(get_vad_model()(padded)).reshape(-1)
    return float(np.mean(probs > VAD_THRESHOLD))


class SpeechClip:
    """The speech regions cut out and joined, with the map from joined time back to clip time."""

    def __init__(self, samples: np.ndarray, regions: list[SpeechRegion]) -> None:
        self.regions = regions
        self.samples = np.concatenate([samples[r.start : r.end] for r in regions]) if regions else samples[:0]
        self._joined_starts: list[int] = []  # where each region begins in the joined audio
        offset = 0
        for r in regions:
            self._joined_starts.append(offset)
            offset += r.end - r.start

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def seams(self) -> list[int]:
        """Where one region meets the next in the joined audio (a pause of 2 s or more in the clip)."""
        return self._joined_starts[1:]

    def clip_time(self, t: float, *, is_end: bool = False) -> float:
        """Joined-audio seconds to clip seconds; an end exactly on a seam stays in the earlier region."""
        if not self.regions:
            return t
        pos = round(t * SAMPLE_RATE)
        find = bisect.bisect_left if is_end else bisect.bisect_right
        i = max(0, find(self._joined_starts, pos) - 1)
        region = self.regions[i]
        return (region.start + min(pos - self._joined_starts[i], region.end - region.start)) / SAMPLE_RATE

    def select(self, start: int, end: int) -> list[SpeechRegion]:
        """The clip regions under joined samples ``start:end`` (a span of the joined audio, back in clip samples)."""
        out: list[SpeechRegion] = []
        for js, r in zip(self._joined_starts, self.regions, strict=True):
            lo, hi = max(start, js), min(end, js + r.end - r.start)
            if hi > lo:
                out.append(SpeechRegion(r.start + lo - js, r.start + hi - js))
        return out

    def uncovered(self, spans: list[tuple[float, float]], min_seconds: float) -> list[SpeechRegion]:
        """Stretches of the joined audio that no span covers, at least ``min_seconds`` long, in clip samples.

        Whisper sometimes ends a 30-s window early and silently skips the rest of it; these are the
        stretches to decode again.
        """
        gaps: list[tuple[int, int]] = []
        pos = 0
        for start, end in sorted(spans):
            s, e = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
            if s > pos:
                gaps.append((pos, s))
            pos = max(pos, e)
        if pos < len(self.samples):
            gaps.append((pos, len(self.samples)))
        return [r for gs, ge in gaps if ge - gs >= min_seconds * SAMPLE_RATE for r in self.select(gs, ge)]
