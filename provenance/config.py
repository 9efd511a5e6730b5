"""Pipeline profiles: which stages run, with which parameters, loaded from TOML.

Every field has a documented default, so a profile file names only what it changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PIPELINES_DIR = Path(__file__).resolve().parent.parent / "pipelines"


@dataclass
class FramesConfig:
    interval_s: float = 1.0  # one sampled frame per interval of presentation time
    scene_threshold: float = 0.15  # mean abs grey difference (0-1) of 32x18 thumbnails that marks a cut
    max_frames: int = 900  # cap on sampled frames per clip (15 min at 1 fps)


@dataclass
class MatchingConfig:
    max_distance: int = 31  # PDQ Hamming distance at or below which two frames match
    min_quality: int = 50  # PDQ quality under which a frame is too flat to match
    mirror: bool = True  # also match the horizontal mirror of every query frame
    min_query_frames: int = 2  # matched query frames needed before a video reference is reported
    segment_gap_s: float = 3.0  # matched frames further apart than this start a new segment
    local_features: bool = True  # ORB + RANSAC on keyframes the hashes leave unmatched (crops, rotation, PiP)
    local_interval_s: float = 2.0  # keyframe spacing for local features (plus every shot change)
    local_max_keyframes: int = 24  # cap per query clip, spread over it: bounds the cost on long unmatched footage


@dataclass
class AudioConfig:
    """The audio stage's settings (TOML section ``[asr]``); see provenance/audio/ for the why of each."""

    # CTranslate2 folder, openai-whisper .pt file, or faster-whisper name (downloaded: only when named here);
    # None: $PROVENANCE_WHISPER_MODEL, then the bundled base model
    model: str | None = None
    compute_type: str = "int8"
    beam_size: int = 1
    max_seconds: float = 1800.0  # audio beyond this is not transcribed
    vad_filter: bool = True
    lid_window_s: float = 5.0  # language-ID window over the VAD speech (shorter: cheaper, finer but noisier)
    lid_hop_s: float = 2.5  # step between windows: a switch lands within ~half of this, then moves to a pause
    uncertain_below: float = 0.7  # a language probability under this is reported as "uncertain"
    mixed_min_share: float = 0.15  # a 2nd language with this share of the speech (and >= 3 s) makes it "mixed"
    translate: bool = False  # English translation of non-English speech (Whisper translate task)
    word_timestamps: bool = False  # word times for dialect-cue evidence (else estimated within the segment)
    dialect_cues: bool = True  # match the dialect marker files on the transcript
    dialect_files: list[str] = field(default_factory=list)  # more marker TOML files, beside the bundled ones
    max_real_time_factor: float = 1.0  # transcription/translation stop once the stage has used this x duration
    min_budget_s: float = 10.0  # ... but short clips always get this many seconds


@dataclass
class Limits:
    """Bounds on what one input may cost (TOML section ``[limits]``); hostile files are refused or cut short.

    Input limits are read from the header at ingest and refuse the file (exit 2, one line naming the setting):
    nothing is decoded from a file that claims to be too big. Work limits cut a stage short and say so in a
    finding. Budgets stop a stage that runs too long: it is recorded as failed and the other stages still run.
    """

    # -- input, checked at ingest before anything is decoded
    max_file_bytes: int = 16 * 1024**3  # 16 GiB: half an hour of 4K phone video is ~12 GB
    max_duration_s: float = 6 * 3600.0  # declared duration; a day-long stream recording is not triage material
    max_pixels: int = 100_000_000  # width x height: 8K video is 33 MP, phone panoramas ~80 MP; bombs claim GPs
    # -- work, cut short with a finding
    max_frames_decoded: int = 100_000  # ~1 h at 25 fps; the 900-sample cap stops real clips long before this
    max_audio_s: float = 3600.0  # audio decoded for the audio stage (also caps [asr] max_seconds)
    # -- time budgets per stage, in seconds of wall-clock time (0: no budget)
    metadata_budget_s: float = 120.0  # readers and ExifTool (its own time-out is 30 s) on one file
    visual_budget_s: float = 900.0  # 15 min: 900 sampled 4K frames decode and hash in ~5 min on two cores
    audio_budget_s: float = 3600.0  # the audio stage bounds itself (~real time); this is the backstop

    def budget(self, stage: str) -> float | None:
        """The stage's budget in seconds, or None when it has none."""
        value = float(getattr(self, f"{stage}_budget_s", 0.0) or 0.0)
        return value if value > 0 else None

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"[limits] {f.name} must be a number >= 0, not {value!r}")


@dataclass
class Pipeline:
    name: str = "standard"
    description: str = ""
    metadata: bool = True
    visual: bool = True
    audio: bool = True
    frames: FramesConfig = field(default_factory=FramesConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    asr: AudioConfig = field(default_factory=AudioConfig)
    limits: Limits = field(default_factory=Limits)

    @property
    def digest(self) -> str:
        blob = json.dumps(dataclasses.asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any], name: str = "custom") -> Pipeline:
        data = dict(data)
        stages = data.pop("stages", {})
        sub = {"frames": FramesConfig, "matching": MatchingConfig, "asr": AudioConfig, "limits": Limits}
        kwargs: dict[str, Any] = {"name": data.pop("name", name)}
        for key, value in data.items():
            if key in sub:
                kwargs[key] = _build(sub[key], value, key)
            elif key in {"description"}:
                kwargs[key] = value
            else:
                raise ValueError(f"unknown pipeline setting {key!r}")
        for stage, on in stages.items():
            if stage not in {"metadata", "visual", "audio"}:
                raise ValueError(f"unknown stage {stage!r} in [stages]")
            kwargs[stage] = bool(on)
        return cls(**kwargs)


def _build(tp: type, values: dict[str, Any], section: str) -> Any:
    names = {f.name for f in dataclasses.fields(tp)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown setting(s) in [{section}]: {', '.join(sorted(unknown))}")
    return tp(**values)


def load_pipeline(name_or_path: str | Path | None = None) -> Pipeline:
    """Load a profile by name (``pipelines/NAME.toml``) or by path; None gives ``standard``."""
    if name_or_path is None:
        name_or_path = "standard"
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = PIPELINES_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in PIPELINES_DIR.glob("*.toml"))
        raise FileNotFoundError(f"no pipeline {str(name_or_path)!r} (known: {', '.join(known)})")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return Pipeline.from_dict(data, name=path.stem)
