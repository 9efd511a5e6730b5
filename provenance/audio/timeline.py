"""Language timeline: language ID on stretches of the speech, smoothed into same-language spans.

Whisper picks one language from the first 30 s and transcribes everything as that language, so a second
language is silently lost. Here the VAD speech is cut at its pauses into chunks of about a sentence (at least
``MIN_CHUNK_S``; a stretch with no pause is covered by ``window_s`` windows every ``hop_s``), since speakers
switch language between sentences, not inside words; each chunk gets its own full language distribution. A
Viterbi pass with a fixed cost per language switch then picks the most likely language sequence: one sentence
that is sure of its language keeps it (a region can be one sentence long), while one odd, unsure chunk
(espeak English heard as Latin) cannot open a region. Switches sit at the pause between two chunks, or, between
overlapping windows, halfway between their centres and then moved to the nearest pause.

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

# Cost of one language switch, in nats of chunk log-probability. A one-sentence region costs two switches, so
# its chunk must favour its language over the surrounding one by more than e^(2 x 1.75) = 33 times. Measured
# with Whisper base on sentence chunks: a real switch gives the new language >= 0.6 and the old one <= 0.01
# (ratio >= 60); espeak English heard as Latin gives la 0.48-0.90 and en still 0.05-0.32 (ratio <= 18).
SWITCH_PENALTY = 1.75
PROB_FLOOR = 1e-3
# A language given to one window (one sentence) only stands where that window gives it at least this many
# times the probability of the language around it. Measured on sentence chunks (Whisper base): real switches
# 770-1100 (ru 0.66 against en 0.0006, en 0.77 against ru 0.001); espeak English heard as Latin 11-34 (la 0.84
# against en 0.075, la 0.92 against en 0.027). The geometric middle:
DECISIVE_RATIO = 150.0
RATIO_FLOOR = 1e-4  # probabilities under this count as this (Whisper prints them to 4 decimals or fewer)
CANDIDATES_PER_WINDOW = 3  # languages in a window's top 3 are the states the smoothing chooses among
# A language can have a region only when some chunk is sure of it, or it leads two chunks running: Whisper's
# stand-in for unclear speech (Latin, Welsh, Nynorsk) leads one chunk here and there at p 0.5-0.74.
CONFIDENT_P = 0.8
# Chunks: cut at pauses of at least PAUSE_MS (fine VAD; Festival's pauses between sentences are 150-180 ms)
# once a chunk holds MIN_CHUNK_S of speech: a sentence is 3-7 s in the test speech (espeak, Festival,
# jfk.flac), and language ID on less than ~3 s is unreliable.
MIN_CHUNK_S = 3.0
PAUSE_MS = 150
# A chunk under SPLIT_BELOW that holds a pause is split there and each part asked again (``split_unsure``): a
# sentence shorter than MIN_CHUNK_S is joined to its neighbour, and where the neighbour is in another language
# the join names neither well (issue 13: a 2.44-s English sentence glued to a Russian one gave en 0.84, the
# sentence alone 0.98-0.99, and the Russian one was transcribed as English). Each part must hold at least
# SPLIT_MIN_S of speech: Whisper's language head on Festival sentences of 2.4 s gives 0.98-0.99. The split is
# kept only where both parts are sure (CONFIDENT_P) of different languages. Sentence chunks of one language
# (Festival en/ru, Whisper base) give 0.96-0.998; that glued pair gave 0.84, espeak sentences 0.81-0.90.
SPLIT_MIN_S = 1.5
SPLIT_BELOW = 0.95
# A chunk that is sure of no language (best under CONFIDENT_P) and gives the language the smoothing chose for it
# less than STRAY_LABEL_P is not that language: it stays apart as speech of unidentified language instead of
# joining the confident region around it (issue 13: espeak Russian sentences heard as la 0.41 / es 0.38 or pl
# 0.69, en under 0.05, were transcribed as English nonsense and counted as English). Sentence chunks of espeak
# English that Whisper partly hears as Latin give en 0.05-0.32 (with la 0.48-0.90; the sure ones, la >= 0.8,
# are the decisive rule's, ``_decisive``); RELABEL_BELOW in analysis.py is the same 0.05 at span level.
STRAY_LABEL_P = 0.05
# Languages Whisper base names for speech it cannot place: espeak Russian sentences come out la 0.27-0.94
# (issue 13's switch clip, tests/data/audio/switch_espeak.ogg), espeak English chunks la 0.46-0.92, Welsh and
# Nynorsk lead a chunk here and there; Festival and real speech (jfk) never lead with Latin. A span labelled
# Latin is speech of unidentified language: a report "la 0.94" made a Russian claim "contradicted".
STAND_IN_LANGUAGES = frozenset({"la"})
# A language region never spans a silence (a seam of the joined speech: a VAD pause) longer than this, nor
# do two regions of one language merge across one: one region "en 82.9-111.4 s" over a 15-s silence and the
# espeak Russian before it (issue 13 round 2, H2) read as one English stretch. Pauses inside one speaker's
# turn are 0.15-0.6 s between sentences (Festival, espeak, jfk.flac) and VAD seams start at 2 s; 5 s is a
# silence a viewer hears as a break. Cost: a region is transcribed and language-ID'd on its own.
REGION_MAX_GAP_S = 5.0
# A pause cut this close to a seam of the joined speech moves onto the seam: each side of a seam carries the
# VAD's 400-ms padding, so the pause around a seam spans about 0.8 s of the joined audio.
SEAM_SNAP_S = 0.8


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
    named: bool = True  # False: a run of chunks that name no language, split off beside sure speech


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


def plan_chunks(
    samples: np.ndarray, window_s: float, hop_s: float, seams: Sequence[int] = ()
) -> list[tuple[int, int]]:
    """Spans covering the joined speech: chunks cut at pauses, each at least ``MIN_CHUNK_S`` long.

    Cut at every pause (fine VAD), then the shortest piece under ``MIN_CHUNK_S`` joins the neighbour across
    the shorter of its two pauses, until none is short: the pause between two sentences (0.3-0.6 s) outlasts
    the breaths inside one (0.15-0.25 s), so a chunk is a sentence or a few, not a sentence's tail glued to the
    next one in another language (a greedy cut after 3 s did that: en 0.27 against ru 0.71, and the English
    sentence was lost to the smoothing).

    ``seams`` are where two VAD regions of the clip were joined (``SpeechClip.seams``): pauses of 2 s or more
    in the clip, the likeliest places for a change of speaker or language. A cut near one is made exactly
    there, and a whole VAD region is never joined to another: no chunk (and no language span) holds the tail of
    the speech before a long pause (a 150-s clip of 10-s stretches had a chunk of Russian tail and English
    head, and an English region that "began" at the end of the Russian one, 27 s before its first word).
    A chunk that runs past ``2 * window_s`` without a pause is covered by overlapping windows instead
    (``plan_windows``); they are the only spans that overlap.
    """
    n = len(samples)
    if not n:
        return []
    voiced = speech_regions(samples, min_silence_ms=PAUSE_MS, pad_ms=0)
    pauses = {(a.end + b.start) // 2: b.start - a.end for a, b in pairwise(voiced)}  # cut -> pause length
    for seam in seams:
        if 0 < seam < n:
            # the seam replaces the pause cut nearest to it, when that one is within the joined VAD padding
            near = min(pauses, key=lambda c: abs(c - seam), default=None)
            if near is not None and abs(near - seam) <= SEAM_SNAP_S * SAMPLE_RATE:
                del pauses[near]
            pauses[seam] = n  # longer than any pause
    edges = [0, *sorted(pauses), n]
    strength = [pauses[c] for c in edges[1:-1]]  # pause length at each inner edge
    while True:
        short = [
            i for i, (a, b) in enumerate(pairwise(edges))
            if b - a < MIN_CHUNK_S * SAMPLE_RATE and _joinable(strength, i, n)
        ]
        if not short:
            break
        i = min(short, key=lambda i: edges[i + 1] - edges[i])
        left = strength[i - 1] if i > 0 else n + 1
        right = strength[i] if i < len(strength) else n + 1
        k = i - 1 if left <= right else i  # drop the piece's weaker edge
        del edges[k + 1], strength[k]
    out: list[tuple[int, int]] = []
    for a, b in pairwise(edges):
        if b - a > 2 * window_s * SAMPLE_RATE:
            out += [(a + s, a + e) for s, e in plan_windows(b - a, window_s, hop_s)]
        else:
            out.append((a, b))
    return out


def _joinable(strength: list[int], i: int, n: int) -> bool:
    """Whether piece ``i`` may join a neighbour: it has an inner edge that is a pause, not a seam."""
    inner = [strength[k] for k in (i - 1, i) if 0 <= k < len(strength)]
    return any(x < n for x in inner)


def smooth(windows: Sequence[WindowGuess], switch_penalty: float = SWITCH_PENALTY) -> list[str]:
    """The most likely language of each window given a cost per switch (Viterbi over the candidates).

    The candidates are the languages some window is sure of (``CONFIDENT_P``) or that lead two windows
    running; when there are none (nothing is sure), every language in a window's top 3. A region of a single
    window must then be decisive about its language (``_decisive``).
    """
    if not windows:
        return []
    leaders = [w.best(1)[0] if w.probs else ("", 0.0) for w in windows]
    langs = sorted({code for code, p in leaders if p >= CONFIDENT_P}
                   | {a for (a, _), (b, _) in pairwise(leaders) if a == b and a})
    if not langs:
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
    return _decisive([langs[k] for k in reversed(path)], windows)


def _decisive(labels: list[str], windows: Sequence[WindowGuess]) -> list[str]:
    """A language given to one window only keeps it only where that window is decisive about it.

    Decisive: the window's probability of its label is at least ``DECISIVE_RATIO`` times that of the
    neighbouring regions' language it leans to most; otherwise it joins that neighbour. The least decisive
    goes first, until every such window is decisive. (A language heard in several windows has the
    smoothing's evidence behind it; one sentence alone must be unmistakable.)
    """
    labels = list(labels)
    while True:
        weak: list[tuple[float, int, str]] = []
        for i, code in enumerate(labels):
            if labels.count(code) > 1:
                continue
            around = {labels[j] for j in (i - 1, i + 1) if 0 <= j < len(labels)}
            if not around:
                continue
            probs = windows[i].probs
            mine = max(probs.get(code, 0.0), RATIO_FLOOR)
            other = max(around, key=lambda c: probs.get(c, 0.0))
            ratio = mine / max(probs.get(other, 0.0), RATIO_FLOOR)
            if ratio < DECISIVE_RATIO:
                weak.append((ratio, i, other))
        if not weak:
            return labels
        _, i, other = min(weak)
        labels[i] = other


def stray(windows: Sequence[WindowGuess], labels: Sequence[str]) -> list[bool]:
    """Which windows the smoothing gave a language they do not name: giving their label under ``STRAY_LABEL_P``
    while sure of nothing (best under ``CONFIDENT_P``) or of another language (``_unsure_or_other``). They must
    not join that language's region."""
    return [bool(w.probs) and w.probs.get(code, 0.0) < STRAY_LABEL_P and _unsure_or_other(w, code)
            for w, code in zip(windows, labels, strict=True)]


def _unsure_or_other(window: WindowGuess, label: str) -> bool:
    """Sure of no language, or sure of one that is not ``label`` and not a stand-in (``STAND_IN_LANGUAGES``).

    The second: a single sentence sure of another language but not decisive against its neighbours
    (``_decisive``) is not the neighbours' language either: espeak Russian read pl 0.84 between English
    stretches was given English and transcribed as "You are the enemy of the Kha'an Ocean." (round 2, H2).
    """
    code, p = max(window.probs.items(), key=lambda kv: kv[1])
    return p < CONFIDENT_P or (code != label and code not in STAND_IN_LANGUAGES)


def split_points(samples: np.ndarray, windows: Sequence[WindowGuess]) -> dict[int, list[int]]:
    """Where to split each unsure chunk (index -> samples, in order): its pauses, longest first, as long as every
    part keeps at least ``SPLIT_MIN_S``. Only chunks (spans that do not overlap their neighbours) under
    ``SPLIT_BELOW`` are considered; see ``SPLIT_MIN_S``. A chunk may hold several short sentences (a 2.3-s
    English one, a 4-s Russian one and the head of the next English one: uk 0.56, ru 0.43)."""
    out: dict[int, list[int]] = {}
    least = round(SPLIT_MIN_S * SAMPLE_RATE)
    for i, w in enumerate(windows):
        if not w.probs or max(w.probs.values()) >= SPLIT_BELOW or w.end - w.start < 2 * least:
            continue
        if (i and windows[i - 1].end > w.start) or (i + 1 < len(windows) and windows[i + 1].start < w.end):
            continue  # an overlapping window of a long stretch without pauses
        voiced = speech_regions(samples[w.start : w.end], min_silence_ms=PAUSE_MS, pad_ms=0)
        edges = [w.start, w.end]
        for _, cut in sorted(((b.start - a.end, w.start + (a.end + b.start) // 2) for a, b in pairwise(voiced)),
                             reverse=True):
            k = next(k for k, e in enumerate(edges) if e > cut)
            if cut - edges[k - 1] >= least and edges[k] - cut >= least:
                edges.insert(k, cut)
        if len(edges) > 2:
            out[i] = edges[1:-1]
    return out


def spans_from_windows(
    windows: Sequence[WindowGuess],
    labels: Sequence[str],
    n_samples: int,
    breaks: Sequence[bool] | None = None,
    named: Sequence[bool] | None = None,
) -> list[LanguageSpan]:
    """Runs of one label, covering ``[0, n_samples)``; a switch sits where two chunks meet, or halfway between
    two overlapping windows' centres.

    ``breaks`` (one flag per window) also starts a new run at a window whatever its label: the stage breaks
    where chunks that name no language meet speech that is sure of its own (music VAD let through: best 0.16,
    the two likeliest 0.33 on Big Buck Bunny's score, beside English at 0.99). The smoothing gives such chunks
    the language beside them; kept apart, the stage can drop them instead of starting an English region 33 s
    before the first English word. ``named`` (one flag per window, default all True) marks the chunks that
    name a language; a span is ``named`` when any of its chunks is.
    """
    flags = list(breaks) if breaks is not None else [False] * len(windows)
    names = list(named) if named is not None else [True] * len(windows)
    spans: list[LanguageSpan] = []
    for i, (w, code) in enumerate(zip(windows, labels, strict=True)):
        if spans and spans[-1].language == code and not flags[i]:
            spans[-1].windows.append(w)
            spans[-1].named = spans[-1].named or names[i]
            continue
        before = windows[i - 1] if i else None
        if before is None:
            start = 0
        elif before.end <= w.start:  # chunks meet at a pause
            start = w.start
        else:
            start = round((before.centre + w.centre) / 2)
        if spans:
            spans[-1].end = start
        spans.append(LanguageSpan(start, n_samples, code, [w], names[i]))
    return spans


def snap_to_pauses(spans: list[LanguageSpan], samples: np.ndarray, radius_s: float) -> None:
    """Move each switch to the middle of the nearest pause within ``radius_s`` (fine-grained VAD), if any.

    A switch where two chunks meet is at a pause already and stays.
    """
    radius = round(radius_s * SAMPLE_RATE)
    for left, right in pairwise(spans):
        if left.windows and right.windows and left.windows[-1].end <= right.windows[0].start:
            continue
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
