"""The audio stage's settings (profile table ``[audio]``; ``[asr]`` in profiles written before 0.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from provenance.stage import StageConfig


@dataclass
class AudioConfig(StageConfig):
    """The audio stage's settings (profile table ``[audio]``); see provenance/audio/ for the why of each."""

    budget_s: float = 3600.0  # the stage bounds itself (~real time, max_real_time_factor); this is the backstop

    # CTranslate2 folder, openai-whisper .pt file, or faster-whisper name (downloaded: only when named here);
    # None: $PROVENANCE_WHISPER_MODEL, then the bundled base model
    model: str | None = None
    compute_type: str = "int8"
    beam_size: int = 1
    max_seconds: float = 1800.0  # audio beyond this is not transcribed
    vad_filter: bool = True
    # language ID runs on chunks of the VAD speech cut at pauses (~a sentence, timeline.py); a stretch longer
    # than 2 x lid_window_s with no pause gets windows of lid_window_s every lid_hop_s instead (a switch there
    # lands within ~half a hop, then moves to the nearest pause)
    lid_window_s: float = 5.0
    lid_hop_s: float = 2.5
    uncertain_below: float = 0.7  # a language probability under this is reported as "uncertain"
    mixed_min_share: float = 0.15  # a 2nd language with this share of the speech (and >= 3 s) makes it "mixed"
    translate: bool = False  # English translation of non-English speech (Whisper translate task)
    word_timestamps: bool = False  # word times for dialect-cue evidence (else estimated within the segment)
    dialect_cues: bool = True  # match the dialect marker files on the transcript
    dialect_files: list[str] = field(default_factory=list)  # more marker TOML files, beside the bundled ones
    # transcription/translation stop once they have spent this x the duration, in estimated decoding work
    # (protocol.DecodeBudget: deterministic, whatever the load or runner)
    max_real_time_factor: float = 1.0
    min_budget_s: float = 10.0  # ... but short clips always get this many seconds

    legacy_tables: ClassVar[dict[str, str]] = {"asr": ""}
