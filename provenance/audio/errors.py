"""Errors of the audio stage: one class, one-line messages, so the pipeline can record them as they are."""

from __future__ import annotations

from provenance.errors import ProvenanceError


class AudioError(ProvenanceError):
    """The audio stage could not run: unreadable or corrupt track, no usable Whisper model.

    The message is one line meant for the report's ``errors`` list, not a traceback.
    """


class ModelNotFoundError(AudioError):
    """No Whisper model could be resolved (bad explicit path, missing bundled packages)."""
