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

__all__ = ["DecodeBudget", "Engine", "EngineSegment", "EngineWord", "Task", "Transcription", "token_cap"]

Task = Literal["transcribe", "translate"]
# Tokens a 30-s window may decode. Real speech runs at 2-7 Whisper tokens a second in English, Russian,
# Korean or Japanese; a decode stuck in a loop ("Hmmmm..." over music) runs to Whisper's 448-token limit,
# ~3.5 s of decoding here whatever the audio's length. A cap at 15 tokens/s (+16) leaves real speech alone
# and keeps a 3-s burst of music from costing more than its duration.
TOKENS_PER_S = 15
MAX_NEW_TOKENS = 440  # Whisper's 448-token context less the prompt


# The cost of decoding, estimated from the work done rather than read off a clock, so that a file gives the
# same result on a busy machine, in a Dask worker or alone (a wall-clock budget cut decoding at a different
# point by load). Whisper base, int8, greedy, on this 2-core machine: the encoder of one 30-s window ~1.5 s,
# one decoded token ~30 ms.
WINDOW_COST_S = 1.5
TOKEN_COST_S = 0.03


@dataclass
class DecodeBudget:
    """Decoding work a stage may spend, in estimated seconds (``WINDOW_COST_S``, ``TOKEN_COST_S``).

    Deterministic: the same audio and settings spend it the same way on any machine or runner. Engines charge
    it as they decode and stop after the 30-s window in progress once it is spent.
    """

    seconds: float
    used: float = 0.0

    @property
    def spent(self) -> bool:
        return self.used >= self.seconds

    def charge(self, *, windows: int = 0, tokens: int = 0) -> None:
        self.used += windows * WINDOW_COST_S + tokens * TOKEN_COST_S


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
    tokens: int = 0  # tokens decoded for it (what it cost, DecodeBudget)


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
        budget: DecodeBudget | None = None,
    ) -> Transcription:
        """Transcribe (or translate to English) with bounded decoding: one temperature, no fallback.

        Decoding stops after the 30-s window in progress once ``budget`` is spent (the engine charges it), or
        once ``deadline`` (a ``time.perf_counter()`` value, a backstop that depends on load) passes; the result
        then says ``complete=False``.
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
