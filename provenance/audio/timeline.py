"""Language timeline: language ID on sliding windows over the speech, smoothed into same-language spans.

Whisper picks one language from the first 30 s and transcribes everything as that language, so a second
language is silently lost. Here every window of the VAD speech (``window_s`` long, every ``hop_s``) gets its
own full language distribution; a Viterbi pass with a fixed cost per language switch then picks the most
likely language sequence, so one odd window (espeak English heard as Latin) cannot open a region while a
real switch, confirmed by a few windows, does. Each switch is placed between the last window of one
language and the first of the next, then moved to the nearest pause, since speakers change language
between words, not inside them.

All positions here are samples of the *joined* speech (``SpeechClip.samples``); the stage maps them back to
media time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from provenance.audio.decode import SAMPLE_RATE
from provenance.audio.speech import speech_regions

# Cost of one language switch, in nats of window log-probability. With probabilities floored at PROB_FLOOR a
# single window can never pay for a region of its own (it would need two switches), and two or three
# windows that agree can: the smallest second language the timeline shows is ~2-3 hops of speech.
SWITCH_PENALTY = 8.0
PROB_FLOOR = 1e-3
CANDIDATES_PER_WINDOW = 3  # languages in a window's top 3 are the states the smoothing chooses among


@dataclass(frozen=True)
class WindowGuess:
    """One language-ID window: a span of the joined speech and its full language distribution."""

    start: int
    end: int
    probs: dict[str, float]

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2

    def best(self, n: int = CANDIDATES_PER_WINDOW) -> list[tuple[str, float]]:
        return sorted(self.probs.items(), key=lambda kv: kv[1], reverse=True)[:n]


@dataclass
class LanguageSpan:
    """A stretch of joined speech in one language, with the windows that voted for it."""

    start: int
    end: int
    language: str
    windows: list[WindowGuess] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE


def plan_windows(n_samples: int, window_s: float, hop_s: float) -> list[tuple[int, int]]:
    """Windows of ``window_s`` every ``hop_s`` covering ``[0, n_samples)``; the last one ends at the end.

    Speech shorter than one window is a single window over all of it.
    """
    window, hop = round(window_s * SAMPLE_RATE), max(1, round(hop_s * SAMPLE_RATE))
    if n_samples <= window:
        return [(0, n_samples)] if n_samples else []
    starts = list(range(0, n_samples - window + 1, hop))
    if starts[-1] + window < n_samples:
        starts.append(n_samples - window)
    return [(s, s + window) for s in starts]


def smooth(windows: Sequence[WindowGuess], switch_penalty: float = SWITCH_PENALTY) -> list[str]:
    """The most likely language of each window given a cost per switch (Viterbi over the candidates)."""
    if not windows:
        return []
    langs = sorted({code for w in windows for code, _ in w.best()})
    probs = np.array([[w.probs.get(code, 0.0) for code in langs] for w in windows])
    emit = np.log(np.clip(probs, PROB_FLOOR, 1.0))
    score = emit[0].copy()
    back = np.zeros(emit.shape, dtype=np.int64)
    for i in range(1, len(windows)):
        best = int(np.argmax(score))
        switch = score[best] - switch_penalty
        stay = score >= switch
        back[i] = np.where(stay, np.arange(len(langs)), best)
        score = np.where(stay, score, switch) + emit[i]
    path = [int(np.argmax(score))]
    for i in range(len(windows) - 1, 0, -1):
        path.append(int(back[i][path[-1]]))
    return [langs[k] for k in reversed(path)]


def spans_from_windows(
    windows: Sequence[WindowGuess], labels: Sequence[str], n_samples: int
) -> list[LanguageSpan]:
    """Runs of one label, covering ``[0, n_samples)``; a switch sits halfway between the two windows' centres."""
    spans: list[LanguageSpan] = []
    for i, (w, code) in enumerate(zip(windows, labels, strict=True)):
        if spans and spans[-1].language == code:
            spans[-1].windows.append(w)
            continue
        start = 0 if not spans else round((windows[i - 1].centre + w.centre) / 2)
        if spans:
            spans[-1].end = start
        spans.append(LanguageSpan(start, n_samples, code, [w]))
    return spans


def snap_to_pauses(spans: list[LanguageSpan], samples: np.ndarray, radius_s: float) -> None:
    """Move each switch to the middle of the nearest pause within ``radius_s`` (fine-grained VAD), if any."""
    radius = round(radius_s * SAMPLE_RATE)
    for left, right in pairwise(spans):
        guess = right.start
        lo, hi = max(left.start + 1, guess - radius), min(right.end - 1, guess + radius)
        if hi <= lo:
            continue
        voiced = speech_regions(samples[lo:hi], min_silence_ms=150, pad_ms=0)
        gaps = [(a.end + lo, b.start + lo) for a, b in pairwise(voiced)]
        if voiced:  # silence before the first and after the last voiced stretch counts as a pause too
            gaps += [(lo, voiced[0].start + lo), (voiced[-1].end + lo, hi)]
        gaps = [(a, b) for a, b in gaps if b > a]
        if not gaps:
            continue
        a, b = min(gaps, key=lambda g: abs((g[0] + g[1]) / 2 - guess))
        left.end = right.start = (a + b) // 2
