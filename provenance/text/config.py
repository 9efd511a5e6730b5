"""The on-screen text stage's settings (profile table ``[text]``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from provenance.stage import StageConfig, require

# Tesseract language models the stage needs by default (Debian packages tesseract-ocr-<code>): Russian,
# Ukrainian, English and Korean, the languages of the claims this tool is used on. Order matters: Tesseract
# tries the models in this order and keeps the most confident reading per word (measured in bench_text.py:
# "kor" first cost 2-2.5x on Cyrillic lines; Hangul lines are read again with "kor" alone, see engine.py).
DEFAULT_MODELS = ["rus", "ukr", "eng", "kor"]


# Long side frames are read at, in pixels: under 320 a 720p caption (~30 px high) shrinks below the ~10 px
# x-height Tesseract reads; 7680 is 8K's long side, beyond which frames would only be upscaled.
MIN_FRAME_SIZE, MAX_FRAME_SIZE = 320, 7680


# the floor for showing a reading as text on screen (findings, Markdown, search, the claim check), whatever
# ``[text] min_confidence`` (a higher one raises it: ``shown_from``): the readings
# the issue 18 tester found invented from picture edges and vertical text scored 0.62-0.63 ("는지", "TAP",
# "РР a"); items under it stay in the JSON with ``low_confidence`` set (analysis.MIN_LETTERS: and enough letters)
FINDING_CONFIDENCE = 0.7


def shown_confidence(confidence: float) -> str:
    """A reading's confidence (0-1) as every page and notice says it: the three places the report's JSON stores
    (``round(c, 3)``, what the claim floor compares) cut to two, never rounded up, so a figure shown at a floor
    (0.80) is one that counts there: half up, the JSON's 0.795 was said "0.80" though under the claim check's 0.8
    (issue 18 round 9, L6). One decimal rule for every page: ``f"{c:.2f}"`` rounds the binary float, so 0.825
    (0.8249999...) was said "0.82" in the notice while 0.835 was said "0.84" (issue 18 round 8, N5)."""
    return str(Decimal(f"{round(confidence, 3):.3f}").quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def shown_from(min_confidence: float | None) -> float:
    """The confidence a reading needs to be shown as text on screen: the higher of ``FINDING_CONFIDENCE`` and
    ``[text] min_confidence`` (None, a report from before it was recorded: the floor alone). Under it, an item
    is flagged ``low_confidence`` (analysis._item)."""
    return max(FINDING_CONFIDENCE, min_confidence or 0.0)


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
    # mean word confidence (0-1) under which a line is read again while it stays in place (bench_text.py). It also
    # flags readings low_confidence (JSON only: no finding, search or claim evidence), but only above the stage's
    # own floor for that, text/analysis.py FINDING_CONFIDENCE 0.7, which the default leaves in force; the claim
    # check takes items at 0.8 or more (claims._TEXT_MIN_CONFIDENCE). Reports say the cut-off used (view.py)
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
