"""What a Whisper engine is: the protocol the audio stage calls and the results every engine returns.

Its own module so that the engines (faster-whisper in ``engine``, openai-whisper in ``openai_engine``) and the
stage share these types without importing one another: ``engine.get_engine`` picks the openai engine, so the
openai engine cannot import ``engine`` back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Engine", "EngineSegment", "EngineWord", "Task", "Transcription", "token_cap"]

Task = Literal["transcribe", "translate"]
# Tokens a 30-s window may decode. Real speech runs at 2-7 Whisper tokens a second in English, Russian,
# Korean or Japanese; a decode stuck in a loop ("Hmmmm..." over music) runs to Whisper's 448-token limit,
# ~3.5 s of decoding here whatever the audio's length. A cap at 15 tokens/s (+16) leaves real speech alone
# and keeps a 3-s burst of music from costing more than its duration.
TOKENS_PER_S = 15
MAX_NEW_TOKENS = 440  # Whisper's 448-token context less the prompt


def token_cap(duration_s: float) -> int | None:
    """``max_new_tokens`` for a decode of this much audio; None where Whisper's own limit is lower."""
    cap = 16 + math.ceil(TOKENS_PER_S * min(30.0, duration_s))
    return cap if cap < MAX_NEW_TOKENS else None


@dataclass
class EngineWord:
    start: float  # seconds in the audio given to the engine
    end: float
    word: str


@dataclass
class EngineSegment:
    start: float  # seconds in the audio given to the engine
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    words: list[EngineWord] = field(default_factory=list)  # only when word timestamps were asked for
    window: int | None = None  # which 30-s decoding window produced it (segments of one window share a decode)


@dataclass
class Transcription:
    language: str
    language_probability: float
    language_probs: list[tuple[str, float]] = field(default_factory=list)  # best first
    segments: list[EngineSegment] = field(default_factory=list)
    complete: bool = True  # False: decoding stopped at the deadline, later audio was not decoded


@runtime_checkable
class Engine(Protocol):
    """What the audio stage needs from a Whisper implementation."""

    name: str  # the report's audio.engine
    model_id: str  # the report's audio.model

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        beam_size: int = 1,
        language: str | None = None,
        task: Task = "transcribe",
        word_timestamps: bool = False,
        deadline: float | None = None,
    ) -> Transcription:
        """Transcribe (or translate to English) with bounded decoding: one temperature, no fallback.

        ``deadline`` is a ``time.perf_counter()`` value: decoding stops after the 30-s window in progress
        when it passes, and the result says ``complete=False``.
        """
        ...

    def detect_language(self, samples: np.ndarray) -> list[tuple[str, float]]:
        """Language probabilities for up to 30 s of audio, best first."""
        ...

    def detect_languages(self, samples: np.ndarray, spans: Sequence[tuple[int, int]]) -> list[dict[str, float]]:
        """Full language distribution of each ``samples[start:end]`` span (the timeline's windows).

        Spans are at most 30 s (Whisper's input); a longer one is judged on its first 30 s.
        """
        ...
