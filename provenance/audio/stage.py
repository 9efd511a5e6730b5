"""The audio stage: spoken language, transcript and (for now one-region) language timeline of a media file.

Steps: probe for an audio stream → decode (bounded) → VAD → Whisper on the speech only → drop segments
Whisper itself marks as non-speech → decode once more the speech Whisper skipped → build the section.
A clip without speech gets no language at all: Whisper always names *some* language (a 440 Hz tone comes
out "en" at p≈0.6), and that must not reach a report.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from provenance.audio.decode import decode_audio, has_audio_stream
from provenance.audio.engine import Engine, EngineSegment, Transcription, get_engine
from provenance.audio.speech import SpeechClip, SpeechRegion, speech_regions
from provenance.config import AudioConfig
from provenance.report.model import AudioSection, LanguageGuess, TimelineRegion, TranscriptSegment

log = logging.getLogger(__name__)

# Whisper's own "this window is not speech" rule (openai-whisper and faster-whisper defaults) ...
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0
# ... and its "this decode failed" rule: a repetition loop compresses too well. Whisper would re-decode at a
# higher temperature; we decode once (bounded time) and drop the window instead.
MAX_COMPRESSION_RATIO = 2.4
# Whisper all but sure there is no speech: a lone "you" over noise scores about 0.94.
CERTAIN_NO_SPEECH_PROB = 0.9
# Speech Whisper skipped (it can end a window early and drop the rest): stretches at least this long are
# decoded again, once. A second pass that hears another language keeps it only when fairly sure.
MIN_SKIPPED_S = 1.0
OTHER_LANGUAGE_MIN_PROB = 0.5
TOP_LANGUAGES = 3


@dataclass
class _Piece:
    """A kept segment in media time, with the language of the pass that produced it."""

    start: float
    end: float
    text: str
    language: str
    probability: float


def analyse(
    path: Path,
    config: AudioConfig | None = None,
    *,
    has_audio: bool | None = None,
    engine: Engine | None = None,
) -> AudioSection:
    """Run the audio stage on one file; raises ``AudioError`` (one-line message) when it cannot.

    ``has_audio`` lets the pipeline pass what its probe already knows; ``engine`` overrides the one built
    from ``config`` (another Whisper implementation, or a test double).
    """
    started = time.perf_counter()
    path = Path(path)
    config = config or AudioConfig()
    if has_audio is None:
        has_audio = has_audio_stream(path)
    if not has_audio:
        return AudioSection(status="no_audio")

    audio = decode_audio(path, config.max_seconds)
    if audio.truncated:
        log.info("%s: audio analysed up to %.0f s only (max_seconds)", path.name, config.max_seconds)
    engine = engine or get_engine(config)
    section = AudioSection(status="ok", engine=engine.name, model=engine.model_id)

    # Without VAD the whole track is one "speech" region and the segment checks are the only guard.
    whole = [SpeechRegion(0, len(audio.samples))]
    regions = speech_regions(audio.samples) if config.vad_filter else whole
    if regions:
        first, pieces = _transcribe(engine, audio.samples, regions, config, offset=audio.offset)
        if pieces:
            top = [(code, round(p, 4)) for code, p in first.language_probs[:TOP_LANGUAGES]]
            section.language = LanguageGuess(first.language, round(first.language_probability, 4), top)
            section.segments = [TranscriptSegment(p.start, p.end, p.language, p.text) for p in pieces]
            section.timeline = timeline(pieces)

    section.real_time_factor = round((time.perf_counter() - started) / audio.duration, 3)
    return section


def _transcribe(
    engine: Engine, samples: np.ndarray, regions: list[SpeechRegion], config: AudioConfig, *, offset: float
) -> tuple[Transcription, list[_Piece]]:
    """Whisper over the speech, then once more over speech it skipped; pieces sorted by time."""
    clip = SpeechClip(samples, regions)
    first = engine.transcribe(clip.samples, beam_size=config.beam_size)
    pieces = _pieces(first, clip, offset)
    if not pieces:  # Whisper heard no speech in it: a second look at the same audio would not either
        return first, []
    skipped = clip.uncovered([(s.start, s.end) for s in first.segments], MIN_SKIPPED_S)
    if config.vad_filter:  # skip pauses inside VAD regions: re-check the stretches at a finer grain
        skipped = [
            SpeechRegion(r.start + s.start, r.start + s.end)
            for r in skipped
            for s in speech_regions(samples[r.start : r.end], min_silence_ms=500, pad_ms=200)
        ]
    if skipped:
        rest = SpeechClip(samples, skipped)
        second = engine.transcribe(rest.samples, beam_size=config.beam_size)
        if second.language == first.language or second.language_probability >= OTHER_LANGUAGE_MIN_PROB:
            pieces += _pieces(second, rest, offset)
        else:
            log.info(
                "dropped %.1f s re-decoded as %r (p=%.2f)",
                rest.duration,
                second.language,
                second.language_probability,
            )
        pieces.sort(key=lambda p: p.start)
    return first, pieces


def _pieces(result: Transcription, clip: SpeechClip, offset: float) -> list[_Piece]:
    return [
        _Piece(
            start=round(clip.clip_time(s.start) + offset, 2),
            end=round(clip.clip_time(s.end, is_end=True) + offset, 2),
            text=s.text,
            language=result.language,
            probability=round(result.language_probability, 4),
        )
        for s in result.segments
        if _is_speech(s)
    ]


def timeline(pieces: list[_Piece]) -> list[TimelineRegion]:
    """Language regions over the speech: runs of segments in one language (usually a single region).

    The sliding-window language ID (a later issue) replaces this with per-window guesses merged into
    regions, using ``Engine.detect_language`` on windows of the VAD speech.
    """
    regions: list[TimelineRegion] = []
    for p in pieces:
        if regions and regions[-1].language == p.language:
            regions[-1].end = max(regions[-1].end, p.end)
        else:
            regions.append(TimelineRegion(p.start, p.end, p.language, p.probability))
    return regions


def _is_speech(segment: EngineSegment) -> bool:
    """Whether a segment is worth reporting; the rest is what Whisper writes over music, tones and noise.

    VAD already keeps most non-speech away from Whisper; these checks catch what slips through (music
    VAD takes for voice) and guard the ``vad_filter = false`` setting.
    """
    if not segment.text:
        return False
    no_speech, logprob, ratio = segment.no_speech_prob, segment.avg_logprob, segment.compression_ratio
    if ratio is not None and ratio > MAX_COMPRESSION_RATIO:
        return False
    if no_speech is None:
        return True
    if no_speech > CERTAIN_NO_SPEECH_PROB:
        return False
    return not (logprob is not None and no_speech > NO_SPEECH_PROB and logprob < LOW_AVG_LOGPROB)
