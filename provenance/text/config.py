"""The on-screen text stage's settings (profile table ``[text]``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from provenance.stage import StageConfig, require

# Tesseract language models the stage needs by default (Debian packages tesseract-ocr-<code>): Russian,
# Ukrainian, English and Korean, the languages of the claims this tool is used on. Order matters: Tesseract
# tries the models in this order and keeps the most confident reading per word (measured in bench_text.py:
# "kor" first cost 2-2.5x on Cyrillic lines; Hangul lines are read again with "kor" alone, see engine.py).
DEFAULT_MODELS = ["rus", "ukr", "eng", "kor"]


# Long side frames are read at, in pixels: under 320 a 720p caption (~30 px high) shrinks below the ~10 px
# x-height Tesseract reads; 7680 is 8K's long side, beyond which frames would only be upscaled.
MIN_FRAME_SIZE, MAX_FRAME_SIZE = 320, 7680


@dataclass
class TextConfig(StageConfig):
    """The on-screen text stage's profile table ``[text]``; the why of each default is in text/*.py."""

    budget_s: float = 120.0  # a 60-s clip with text in every frame reads in ~10-20 s on one shared core
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))  # Tesseract language models
    # folder holding <model>.traineddata; "": $PROVENANCE_TESSDATA, else Debian's /usr/share/tesseract-ocr/5/tessdata
    tessdata: str = ""
    frame_size: int = 1280  # long side (px) frames are read at: 720p captions keep their full size
    # s between frames read, besides the first frame of every shot (text/frames.py): a keyframe within half a
    # step of a grid point stands for it (the 60-s 720p bench clip's keyframes, every ~2 s, cost their decode
    # alone); an item's time on screen is known to about this step (TextItem.range_from/range_to)
    interval_s: float = 2.0
    max_frames: int = 300  # sampled frames read at most (a 5-min clip at one frame a second)
    max_reads: int = 600  # regions sent to the recogniser at most (each costs ~60-150 ms)
    # readings under this mean word confidence (0-1) are kept flagged low_confidence (JSON only: no finding, search
    # or claim evidence) and read again while their line stays (bench_text.py)
    min_confidence: float = 0.6

    def __post_init__(self) -> None:
        """Range checks at load: ``interval_s = 0`` ended the stage with ZeroDivisionError, ``-1`` was accepted."""
        super().__post_init__()
        require(bool(self.models) and all(m.strip() for m in self.models),
                "models must name at least one Tesseract language model", self.models)
        require(MIN_FRAME_SIZE <= self.frame_size <= MAX_FRAME_SIZE,
                f"frame_size must be within {MIN_FRAME_SIZE}-{MAX_FRAME_SIZE} pixels (long side)", self.frame_size)
        require(self.interval_s > 0, "interval_s must be > 0 seconds", self.interval_s)
        require(self.max_frames >= 1, "max_frames must be >= 1", self.max_frames)
        require(self.max_reads >= 1, "max_reads must be >= 1", self.max_reads)
        require(0 <= self.min_confidence <= 1, "min_confidence must be within 0-1", self.min_confidence)
