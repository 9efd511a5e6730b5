"""Audio stage: Whisper engines and model resolution, spoken language, transcript, language timeline.

``analyse(path, config)`` is the stage entry point; it returns the report's ``AudioSection`` or raises
``AudioError`` with a one-line message for the pipeline to record.
"""

from provenance.audio.engine import Engine, FasterWhisperEngine, Transcription, get_engine
from provenance.audio.errors import AudioError, ModelNotFoundError
from provenance.audio.models import ResolvedModel, default_cache_dir, ensure_bundled_model, resolve_model
from provenance.audio.stage import analyse

__all__ = [
    "AudioError",
    "Engine",
    "FasterWhisperEngine",
    "ModelNotFoundError",
    "ResolvedModel",
    "Transcription",
    "analyse",
    "default_cache_dir",
    "ensure_bundled_model",
    "get_engine",
    "resolve_model",
]
