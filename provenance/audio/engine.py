"""Whisper engines behind one small protocol, so openai-whisper can slot in beside faster-whisper.

Engines take 16 kHz mono float32 audio that the stage has already cut down to speech; they do not run VAD
themselves, so every engine sees the same input and the stage owns the speech timing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from provenance.audio.decode import SAMPLE_RATE
from provenance.audio.errors import AudioError
from provenance.audio.models import ResolvedModel, resolve_model
from provenance.audio.protocol import (
    DecodeBudget,
    Engine,
    EngineSegment,
    EngineWord,
    Task,
    Transcription,
    token_cap,
)
from provenance.limits import current_deadline
from provenance.threads import share

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

    from provenance.audio.config import AudioConfig

log = logging.getLogger(__name__)

LID_BATCH = 8  # language-ID windows encoded together (same length): ~25% cheaper than one by one
MAX_FRAMES = 3000  # Whisper's encoder input: 30 s of 10-ms mel frames


class FasterWhisperEngine:
    """faster-whisper (CTranslate2) on the CPU: the default, offline engine."""

    name = "faster-whisper"

    def __init__(
        self, model: ResolvedModel, compute_type: str = "int8", cpu_threads: int | None = None
    ) -> None:
        self.resolved = model
        self.compute_type = compute_type
        self.model_id = model.identifier(compute_type)
        # this process's share of the cores: two batch workers on two cores ran four spinning threads (issue 20)
        self.cpu_threads = cpu_threads or share()
        self._model = _load_whisper(model, compute_type, self.cpu_threads)

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
        # One temperature and no conditioning on earlier text: the default fallback ladder re-decodes
        # unintelligible audio up to six times (2-6x real time) and conditioning lets one hallucination
        # seed the next window.
        segments, info = self._model.transcribe(
            samples,
            language=language,
            task=task,
            beam_size=beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,
            word_timestamps=word_timestamps,
            max_new_tokens=token_cap(len(samples) / SAMPLE_RATE),
        )
        out: list[EngineSegment] = []
        complete = True
        windows: set[int] = set()
        stage = current_deadline()  # the stage's budget: a window decodes in seconds, an hour in many minutes
        for s in segments:  # a generator: decoding happens here, one 30-s window at a time
            stage.check()
            if budget is not None:
                budget.charge(windows=int(s.seek not in windows), tokens=len(s.tokens))
                windows.add(s.seek)
            out.append(
                EngineSegment(
                    start=s.start,
                    end=s.end,
                    text=s.text.strip(),
                    avg_logprob=s.avg_logprob,
                    no_speech_prob=s.no_speech_prob,
                    compression_ratio=s.compression_ratio,
                    words=[EngineWord(w.start, w.end, w.word.strip()) for w in s.words or ()],
                    window=s.seek,
                    tokens=len(s.tokens),
                )
            )
            if (deadline is not None and time.perf_counter() > deadline) or (budget is not None and budget.spent):
                complete = s.end >= len(samples) / SAMPLE_RATE - 0.5
                break
        probs = [(code, float(p)) for code, p in (info.all_language_probs or [])]
        if not probs:
            probs = [(info.language, float(info.language_probability))]
        return Transcription(info.language, float(info.language_probability), probs, out, complete)

    def detect_language(self, samples: np.ndarray) -> list[tuple[str, float]]:
        _, _, probs = self._model.detect_language(samples)
        return [(code, float(p)) for code, p in probs]

    def detect_languages(self, samples: np.ndarray, spans: Sequence[tuple[int, int]]) -> list[dict[str, float]]:
        """Encode each span on its own, unpadded, then read the language token after start-of-transcript.

        Whisper's own ``detect_language`` pads every input to 30 s (~2 s of encoder per call here); the
        encoder takes shorter inputs, and a 5-s window costs ~1/10 of that with the same answers on our
        test speech. Spans of equal length go through the encoder in batches.
        """
        import ctranslate2

        extractor = self._model.feature_extractor
        out: list[dict[str, float] | None] = [None] * len(spans)
        by_length: dict[int, list[int]] = {}
        for i, (start, end) in enumerate(spans):
            by_length.setdefault(end - start, []).append(i)
        stage = current_deadline()
        for indices in by_length.values():
            for b in range(0, len(indices), LID_BATCH):
                stage.check()
                batch = indices[b : b + LID_BATCH]
                # the encoder takes at most 30 s (3000 frames); a 30-s span gives one frame more
                feats = np.stack([extractor(samples[spans[i][0] : spans[i][1]])[:, :MAX_FRAMES] for i in batch])
                encoded = self._model.model.encode(
                    ctranslate2.StorageView.from_array(np.ascontiguousarray(feats, np.float32)), to_cpu=False
                )
                for i, result in zip(batch, self._model.model.detect_language(encoded), strict=True):
                    out[i] = {token[2:-2]: float(p) for token, p in result}
        return [d or {} for d in out]


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
                exact_features(_LOADED[key])
            except Exception as exc:  # ctranslate2/huggingface raise many kinds; the report needs one line
                how = "download" if model.downloads else "load"
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise AudioError(f"cannot {how} Whisper model {model.source!r}: {reason}") from exc
        return _LOADED[key]


def exact_features(model: WhisperModel) -> None:
    """Give ``model`` the log-mel features of ``_exact_log_mel``: the same bits on every CPU and thread count."""
    from faster_whisper.feature_extractor import FeatureExtractor

    extractor = model.feature_extractor
    if type(extractor) is FeatureExtractor:
        extractor.__class__ = type("ExactFeatureExtractor", (FeatureExtractor,), {"__call__": _exact_log_mel})


def _exact_log_mel(self, waveform: np.ndarray, padding: int = 160, chunk_length: int | None = None) -> np.ndarray:
    """faster-whisper's ``FeatureExtractor.__call__`` (80 or 128 mels x frames, float32), with the power, the mel
    product and the log in float64, rounded to float32 at the end.

    Upstream sums the mel product in float32 through BLAS, whose result depends on the kernel OpenBLAS picks for
    the CPU and on its thread count: on one 30-s window of espeak Korean, 105,000 of 165,680 values differed by
    1 ulp between OpenBLAS's Haswell, Sandybridge and Prescott kernels (``OPENBLAS_CORETYPE``) and between one and
    two threads (issue 13: Dask workers heard that clip as th 0.6495, ``verify`` as 0.6842; an AVX-512 machine
    uses yet another kernel). In float64 those differences sit far under float32's rounding: the features were
    bit-identical across the three kernels and 1 or 2 threads. Cost: ~10 ms per 30 s of audio.
    """
    if chunk_length is not None:
        self.n_samples = chunk_length * self.sampling_rate
        self.nb_max_frames = self.n_samples // self.hop_length
    waveform = np.asarray(waveform, dtype=np.float32)
    if padding:
        waveform = np.pad(waveform, (0, padding))
    window = np.hanning(self.n_fft + 1)[:-1].astype(np.float32)
    stft = self.stft(waveform, self.n_fft, self.hop_length, window=window, return_complex=True)
    stft = stft.astype(np.complex64)[..., :-1]
    power = stft.real.astype(np.float64) ** 2 + stft.imag.astype(np.float64) ** 2
    mel = self.mel_filters.astype(np.float64) @ power
    log_spec = np.log10(np.clip(mel, 1e-10, None))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)


def get_engine(config: AudioConfig) -> Engine:
    """The engine for a profile's audio settings (model resolved, loaded and cached in-process).

    An openai-whisper ``.pt`` checkpoint goes to the optional openai-whisper engine; everything else to
    faster-whisper.
    """
    resolved = resolve_model(config.model)
    if resolved.engine == "openai-whisper":
        from provenance.audio.openai_engine import OpenAIWhisperEngine

        return OpenAIWhisperEngine(resolved)
    return FasterWhisperEngine(resolved, config.compute_type)


def clear_cache() -> None:
    """Drop loaded models (tests, or a long-lived process switching models)."""
    with _LOAD_LOCK:
        _LOADED.clear()
    from provenance.audio import openai_engine

    openai_engine.clear_cache()
