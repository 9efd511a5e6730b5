"""The visual stage's settings: frame sampling (``[visual.frames]``), matching (``[visual.matching]``) and the
report's full-resolution keyframes (``[visual.keyframes]``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from provenance.stage import StageConfig
from provenance.visual.signals import PDQ


@dataclass
class FramesConfig:
    interval_s: float = 1.0  # one sampled frame per interval of presentation time (submitted clips)
    # references (index add) twice as densely: a clip's single hash hit then lands within 0.25 s of its true
    # reference time, so a segment's start is within 0.5 s whenever any frame matches by hash (DESIGN.md costs)
    reference_interval_s: float = 0.5
    # mean abs grey difference (0-1) of 32x18 thumbnails that marks a shot change (frames.ShotDetector: between
    # thumbnails 0.2 s apart, placed at the frame-to-frame step over it)
    shot_threshold: float = 0.15
    max_frames: int = 900  # cap on sampled frames per clip (15 min at 1 fps; references: the same 15 min)

    renamed: ClassVar[dict[str, str]] = {"scene_threshold": "shot_threshold"}  # profiles before 0.2

    def __post_init__(self) -> None:
        _require(self.interval_s > 0, "interval_s must be > 0 seconds", self.interval_s)
        _require(self.reference_interval_s > 0, "reference_interval_s must be > 0 seconds", self.reference_interval_s)
        _require(0 <= self.shot_threshold <= 1, "shot_threshold must be within 0-1", self.shot_threshold)
        _require(self.max_frames >= 1, "max_frames must be >= 1", self.max_frames)


@dataclass
class MatchingConfig:
    max_distance: int = PDQ.max_distance  # PDQ Hamming distance at or below which two frames match
    min_quality: int = PDQ.min_quality  # PDQ quality under which a frame is too flat to match
    mirror: bool = True  # also match the horizontal mirror of every query frame
    rotations: bool = True  # and its quarter turns (90/180/270 degrees, mirrored or not): 6 more lookups a frame
    min_query_frames: int = 2  # matched query frames needed before a video reference is reported
    segment_gap_s: float = 3.0  # matched frames further apart than this start a new segment
    local_features: bool = True  # ORB + RANSAC on keypoint frames the hashes leave unmatched (crops, rotation, PiP)
    local_interval_s: float = 2.0  # keypoint frame spacing for local features (plus every shot change)
    # references' keypoint frames (index add) at most this far apart: a keypoint-only match is timed by the
    # reference keypoint frame it fits, so their spacing bounds its segment start. 2 s left the matching
    # benchmark's keypoint-found starts 1-1.7 s off; 1 s (twice the keypoint descriptors to store and scan):
    # starts within 0.5 s 32 -> 38 of 47 on the dev split, 0.5 s: 37 (DESIGN.md, matching)
    reference_local_interval_s: float = 1.0
    local_max_frames: int = 24  # keypoint frames per query clip, spread over it: bounds the cost on long footage

    renamed: ClassVar[dict[str, str]] = {"local_max_keyframes": "local_max_frames"}  # profiles before 0.2

    def __post_init__(self) -> None:
        _require(0 <= self.max_distance < PDQ.bits, f"max_distance must be within 0-{PDQ.bits - 1} bits",
                 self.max_distance)
        _require(0 <= self.min_quality <= 100, "min_quality must be within 0-100 (PDQ quality)", self.min_quality)
        _require(self.min_query_frames >= 1, "min_query_frames must be >= 1", self.min_query_frames)
        _require(self.segment_gap_s >= 0, "segment_gap_s must be >= 0 seconds", self.segment_gap_s)
        _require(self.local_interval_s > 0, "local_interval_s must be > 0 seconds", self.local_interval_s)
        _require(self.reference_local_interval_s > 0, "reference_local_interval_s must be > 0 seconds",
                 self.reference_local_interval_s)
        _require(self.local_max_frames >= 1, "local_max_frames must be >= 1", self.local_max_frames)


@dataclass
class KeyframesConfig:
    """The shot frames a report carries at the source's resolution, in its run folder's ``keyframes/``, for a
    reverse image search (visual/keyframes.py; the same frames ``provenance keyframes`` writes).

    Cost on bench_frames' 60-s 720p clip: see DESIGN.md ("Keyframes in the report").
    """

    enabled: bool = True
    # one more frame every this many seconds within a long shot (as `keyframes --every`); never closer than the
    # sampled frames they come from ([visual.frames] interval_s)
    every_s: float = 10.0
    # frames a report holds at most: a clip cut every 2 s for the whole 15 min the stage samples would give 450
    # (~90 MB of 720p JPEG in memory and on disk per report); past the cap the rest are left out and said so
    max_frames: int = 120
    # and at most this many megabytes (10^6 bytes) of them, held in memory until the report is written: 120 frames
    # of 720p are ~28 MB and of 1080p ~60 MB, but an 8K clip's are ~8 MB each (a hostile one's, at the 100-MP
    # [limits] max_pixels, ~30 MB): the bytes, not the count, bound what a cut-heavy large clip costs
    max_mb: float = 256.0

    def __post_init__(self) -> None:
        _require(self.every_s > 0, "every_s must be > 0 seconds", self.every_s)
        _require(self.max_frames >= 1, "max_frames must be >= 1", self.max_frames)
        _require(self.max_mb > 0, "max_mb must be > 0 megabytes", self.max_mb)


def _require(ok: bool, rule: str, value: object) -> None:
    if not ok:
        raise ValueError(f"{rule}, not {value!r}")


@dataclass
class VisualConfig(StageConfig):
    """The visual stage's profile table ``[visual]``, with ``[visual.frames]``, ``[visual.matching]`` and
    ``[visual.keyframes]``."""

    budget_s: float = 900.0  # 15 min: 900 sampled 4K frames decode and hash in ~5 min on two cores
    frames: FramesConfig = field(default_factory=FramesConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    keyframes: KeyframesConfig = field(default_factory=KeyframesConfig)

    legacy_tables: ClassVar[dict[str, str]] = {"frames": "frames", "matching": "matching"}
