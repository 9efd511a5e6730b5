"""Audio stage: Whisper engines and model resolution, language timeline, transcript, translation, dialect cues.

``analyse(path, config)`` is the stage entry point; it returns the report's ``AudioSection`` or raises
``AudioError`` with a one-line message for the pipeline to record.
"""

from provenance.audio.analysis import analyse
from provenance.audio.cues import Variety, find_cues, load_varieties
from provenance.audio.engine import Engine, FasterWhisperEngine, Transcription, get_engine
from provenance.audio.errors import AudioError, ModelNotFoundError
from provenance.audio.models import ResolvedModel, default_cache_dir, ensure_bundled_model, resolve_model

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
