"""openai-whisper as an optional engine, for users who hold its ``.pt`` checkpoints.

Imported lazily: openai-whisper pulls torch (gigabytes), so it is never a dependency. It is used only when
the model setting names a ``.pt`` file and the package is installed (see ``models.resolve_model``); the
checkpoint is loaded from that file, so nothing is downloaded.

Differences from the faster-whisper engine, all for the sake of using only openai-whisper's public API:
the deadline is checked between 30-s chunks that this engine cuts itself (openai-whisper's ``transcribe``
cannot be stopped part way), and each language-ID window is padded to 30 s as ``whisper.detect_language``
expects, so the timeline costs about one encoder pass per window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from provenance.audio.decode import SAMPLE_RATE
from provenance.audio.errors import AudioError
from provenance.audio.models import ResolvedModel
from provenance.audio.protocol import DecodeBudget, EngineSegment, EngineWord, Task, Transcription, token_cap
from provenance.limits import current_deadline

CHUNK_S = 30  # Whisper's own window
HOP = 160  # samples per mel frame
_LOADED: dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()


class OpenAIWhisperEngine:
    """openai-whisper (PyTorch) on the CPU, from a local ``.pt`` checkpoint."""

    name = "openai-whisper"

    def __init__(self, model: ResolvedModel) -> None:
        self.resolved = model
        self.model_id = model.identifier("fp32")
        self._model = _load(model.source)

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
        probs = [(language, 1.0)] if language else self.detect_language(samples[: CHUNK_S * SAMPLE_RATE])
        language = language or probs[0][0]
        segments: list[EngineSegment] = []
        step = CHUNK_S * SAMPLE_RATE
        complete = True
        stage = current_deadline()
        for offset in range(0, len(samples), step):
            stage.check()
            if (deadline is not None and time.perf_counter() > deadline) or (budget is not None and budget.spent):
                complete = False
                break
            chunk = samples[offset : offset + step]
            result = self._model.transcribe(
                chunk,
                language=language,
                task=task,
                beam_size=beam_size if beam_size > 1 else None,
                temperature=0.0,
                condition_on_previous_text=False,
                word_timestamps=word_timestamps,
                fp16=False,
                verbose=None,
                sample_len=token_cap(len(chunk) / SAMPLE_RATE),
            )
            t0 = offset / SAMPLE_RATE
            segments += [
                EngineSegment(
                    start=t0 + s["start"],
                    end=t0 + s["end"],
                    text=s["text"].strip(),
                    avg_logprob=s.get("avg_logprob"),
                    no_speech_prob=s.get("no_speech_prob"),
                    compression_ratio=s.get("compression_ratio"),
                    words=[EngineWord(t0 + w["start"], t0 + w["end"], w["word"].strip()) for w in s.get("words", ())],
                    window=offset // HOP + s.get("seek", 0),  # in mel frames, as faster-whisper counts
                    tokens=len(s.get("tokens", ())),
                )
                for s in result["segments"]
            ]
            if budget is not None:
                budget.charge(windows=1, tokens=sum(len(s.get("tokens", ())) for s in result["segments"]))
        return Transcription(language, probs[0][1], probs, segments, complete)

    def detect_language(self, samples: np.ndarray) -> list[tuple[str, float]]:
        (probs,) = self.detect_languages(samples, [(0, min(len(samples), CHUNK_S * SAMPLE_RATE))])
        return sorted(probs.items(), key=lambda kv: kv[1], reverse=True)

    def detect_languages(self, samples: np.ndarray, spans: Sequence[tuple[int, int]]) -> list[dict[str, float]]:
        import whisper

        model = self._model
        out: list[dict[str, float]] = []
        for b in range(0, len(spans), 8):
            mels = [
                whisper.log_mel_spectrogram(
                    whisper.pad_or_trim(np.ascontiguousarray(samples[s:e], np.float32)), n_mels=model.dims.n_mels
                )
                for s, e in spans[b : b + 8]
            ]
            import torch

            _, probs = model.detect_language(torch.stack(mels).to(model.device))
            out += [{code: float(p) for code, p in d.items()} for d in probs]
        return out


def _load(path: str) -> Any:
    with _LOAD_LOCK:
        if path not in _LOADED:
            try:
                import whisper

                _LOADED[path] = whisper.load_model(path, device="cpu")
            except Exception as exc:  # torch and pickle raise many kinds; the report needs one line
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise AudioError(f"cannot load openai-whisper checkpoint {path!r}: {reason}") from exc
        return _LOADED[path]


def clear_cache() -> None:
    with _LOAD_LOCK:
        _LOADED.clear()
