"""Audio stage: Whisper engines and model resolution, language timeline, transcript, translation, dialect cues.

``analyse(path, config)`` is the stage entry point; it returns the report's ``AudioSection`` or raises
``AudioError`` with a one-line message for the pipeline to record. The names below load on first use, so that
importing a light submodule (``audio.config`` for a pipeline profile, ``audio.errors``) does not load PyAV,
NumPy and the Whisper engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance._lazy import exports

if TYPE_CHECKING:
    from provenance.audio.analysis import analyse
    from provenance.audio.cues import Variety, find_cues, load_varieties
    from provenance.audio.engine import FasterWhisperEngine, get_engine
    from provenance.audio.errors import AudioError, ModelNotFoundError
    from provenance.audio.models import ResolvedModel, default_cache_dir, ensure_bundled_model, resolve_model
    from provenance.audio.protocol import Engine, Transcription

__all__ = [
    "AudioError",
    "Engine",
    "FasterWhisperEngine",
    "ModelNotFoundError",
    "ResolvedModel",
    "Transcription",
    "Variety",
    "analyse",
    "default_cache_dir",
    "ensure_bundled_model",
    "find_cues",
    "get_engine",
    "load_varieties",
    "resolve_model",
]

__getattr__, __dir__ = exports(__name__, {
    "Variety": "provenance.audio.cues",
    "find_cues": "provenance.audio.cues",
    "load_varieties": "provenance.audio.cues",
    "FasterWhisperEngine": "provenance.audio.engine",
    "get_engine": "provenance.audio.engine",
    "AudioError": "provenance.audio.errors",
    "ModelNotFoundError": "provenance.audio.errors",
    "ResolvedModel": "provenance.audio.models",
    "default_cache_dir": "provenance.audio.models",
    "ensure_bundled_model": "provenance.audio.models",
    "resolve_model": "provenance.audio.models",
    "Engine": "provenance.audio.protocol",
    "Transcription": "provenance.audio.protocol",
    "analyse": "provenance.audio.analysis",
})  # fmt: skip
