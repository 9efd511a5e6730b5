"""Whisper engines behind one small protocol, so openai-whisper can slot in beside faster-whisper.

Engines take 16 kHz mono float32 audio that the stage has already cut down to speech; they do not run VAD
themselves, so every engine sees the same input and the stage owns the speech timing.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from provenance.audio.errors import AudioError
from provenance.audio.models import ResolvedModel, resolve_model

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

    from provenance.config import AudioConfig

log = logging.getLogger(__name__)


@dataclass
class EngineSegment:
    start: float  # seconds in the audio given to the engine
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None


@dataclass
class Transcription:
    language: str
    language_probability: float
    language_probs: list[tuple[str, float]] = field(default_factory=list)  # best first
    segments: list[EngineSegment] = field(default_factory=list)


@runtime_checkable
class Engine(Protocol):
    """What the audio stage needs from a Whisper implementation."""

    name: str  # the report's audio.engine
    model_id: str  # the report's audio.model

    def transcribe(
        self, samples: np.ndarray, *, beam_size: int = 1, language: str | None = None
    ) -> Transcription:
        """Transcribe speech audio with bounded decoding (greedy or beam, one temperature, no fallback)."""
        ...

    def detect_language(self, samples: np.ndarray) -> list[tuple[str, float]]:
        """Language probabilities for up to 30 s of audio, best first (for sliding-window timelines)."""
        ...


class FasterWhisperEngine:
    """faster-whisper (CTranslate2) on the CPU: the default, offline engine."""

    name = "faster-whisper"

    def __init__(
        self, model: ResolvedModel, compute_type: str = "int8", cpu_threads: int | None = None
    ) -> None:
        self.resolved = model
        self.compute_type = compute_type
        self.model_id = model.identifier(compute_type)
        self.cpu_threads = cpu_threads or os.cpu_count() or 1
        self._model = _load_whisper(model, compute_type, self.cpu_threads)

    def transcribe(
        self, samples: np.ndarray, *, beam_size: int = 1, language: str | None = None
    ) -> Transcription:
        # One temperature and no conditioning on earlier text: the default fallback ladder re-decodes
        # unintelligible audio up to six times (2-6x real time) and conditioning lets one hallucination
        # seed the next window.
        segments, info = self._model.transcribe(
            samples,
            language=language,
            beam_size=beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        out = [
            EngineSegment(
                start=s.start,
                end=s.end,
                text=s.text.strip(),
                avg_logprob=s.avg_logprob,
                no_speech_prob=s.no_speech_prob,
                compression_ratio=s.compression_ratio,
            )
            for s in segments  # a generator: decoding happens here
        ]
        probs = [(code, float(p)) for code, p in (info.all_language_probs or [])]
        if not probs:
            probs = [(info.language, float(info.language_probability))]
        return Transcription(info.language, float(info.language_probability), probs, out)

    def detect_language(self, samples: np.ndarray) -> list[tuple[str, float]]:
        _, _, probs = self._model.detect_language(samples)
        return [(code, float(p)) for code, p in probs]


_LOADED: dict[tuple[str, str, int], WhisperModel] = {}
_LOAD_LOCK = threading.Lock()


def _load_whisper(model: ResolvedModel, compute_type: str, cpu_threads: int) -> WhisperModel:
    """Load once per process and keep it: loading base costs ~0.8 s, a batch runs many files."""
    key = (model.source, compute_type, cpu_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            from faster_whisper import WhisperModel

            try:
                _LOADED[key] = WhisperModel(
                    model.source,
                    device="cpu",
                    compute_type=compute_type,
                    cpu_threads=cpu_threads,
                    local_files_only=not model.downloads,
                )
            except Exception as exc:  # ctranslate2/huggingface raise many kinds; the report needs one line
                how = "download" if model.downloads else "load"
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise AudioError(f"cannot {how} Whisper model {model.source!r}: {reason}") from exc
        return _LOADED[key]


def get_engine(config: AudioConfig) -> Engine:
    """The engine for a profile's audio settings (model resolved, loaded and cached in-process)."""
    return FasterWhisperEngine(resolve_model(config.model), config.compute_type)


def clear_cache() -> None:
    """Drop loaded models (tests, or a long-lived process switching models)."""
    with _LOAD_LOCK:
        _LOADED.clear()
