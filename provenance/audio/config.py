"""The audio stage's settings (profile table ``[audio]``; ``[asr]`` in profiles written before 0.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from provenance.stage import StageConfig, require

# CTranslate2's compute types (its documentation, "Quantization"): anything else fails when the model loads.
COMPUTE_TYPES = ("default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16",
                 "bfloat16", "float32")
# Whisper reads 30-s windows (its feature extractor pads or cuts to 30 s): a longer language-ID window is cut.
WHISPER_WINDOW_S = 30.0
# Beam search width: Whisper's paper decodes with 5; each beam is one more decoder pass per token, so past ~16
# the cost grows without a measured gain. 32 leaves room and refuses nonsense.
MAX_BEAM = 32
# Decoding work as a multiple of the clip's duration: 1 (the default) bounds a CPU run to about real time; past
# 100x a 30-min clip could spend two days, which is no bound at all.
MAX_REAL_TIME_FACTOR = 100.0


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
    # no longer decides anything (issue 13, D3): a confident second language of >= 3 s makes a clip "mixed"
    # whatever its share (audio/languages.py); kept, range-checked, so that profiles which set it still load
    mixed_min_share: float = 0.15
    translate: bool = False  # English translation of non-English speech (Whisper translate task)
    word_timestamps: bool = False  # word times for dialect-cue evidence (else estimated within the segment)
    dialect_cues: bool = True  # match the dialect marker files on the transcript
    dialect_files: list[str] = field(default_factory=list)  # more marker TOML files, beside the bundled ones
    # transcription/translation stop once they have spent this x the duration, in estimated decoding work
    # (protocol.DecodeBudget: deterministic, whatever the load or runner)
    max_real_time_factor: float = 1.0
    min_budget_s: float = 10.0  # ... but short clips always get this many seconds

    legacy_tables: ClassVar[dict[str, str]] = {"asr": ""}

    def __post_init__(self) -> None:
        """Range checks at load: a bad value used to surface mid-run (``beam_size = -1``: "audio stage failed:
        TypeError") or pass silently (``lid_window_s = 0``, ``max_real_time_factor = 1e300``)."""
        super().__post_init__()
        require(self.model is None or self.model.strip() != "", "model must name a model, or be left out", self.model)
        require(self.compute_type in COMPUTE_TYPES, f"compute_type must be one of {', '.join(COMPUTE_TYPES)}",
                self.compute_type)
        require(1 <= self.beam_size <= MAX_BEAM, f"beam_size must be within 1-{MAX_BEAM}", self.beam_size)
        require(self.max_seconds > 0, "max_seconds must be > 0 seconds", self.max_seconds)
        require(0 < self.lid_window_s <= WHISPER_WINDOW_S,
                f"lid_window_s must be > 0 and at most {WHISPER_WINDOW_S:g} seconds (Whisper's window)",
                self.lid_window_s)
        require(0 < self.lid_hop_s <= self.lid_window_s, "lid_hop_s must be > 0 and at most lid_window_s",
                self.lid_hop_s)
        require(0 <= self.uncertain_below <= 1, "uncertain_below must be within 0-1 (a probability)",
                self.uncertain_below)
        require(0 < self.mixed_min_share <= 0.5, "mixed_min_share must be > 0 and at most 0.5 (a share of the speech)",
                self.mixed_min_share)
        require(0 < self.max_real_time_factor <= MAX_REAL_TIME_FACTOR,
                f"max_real_time_factor must be > 0 and at most {MAX_REAL_TIME_FACTOR:g}", self.max_real_time_factor)
        require(self.min_budget_s >= 0, "min_budget_s must be >= 0 seconds", self.min_budget_s)
        require(all(f.strip() for f in self.dialect_files), "dialect_files must name files", self.dialect_files)
