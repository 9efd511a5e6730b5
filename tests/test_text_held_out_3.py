"""Issue 18's held-out-3 text split is built as its truth says (construction only: the text stage is never run on
it here, so the split stays unseen). Its sentences are new, the split stays out of dev and "all", and its moving
kinds really move: the ticker crawls left at its stated speed and the panning sign crosses the frame."""

from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import text_suite as suite  # the benchmark's rendering, not a copy of it

needs_material = pytest.mark.skipif(not suite.held_out_3_present(),
                                    reason="fonts-dejavu-core / fonts-noto-cjk or the shared corpus missing")


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_held_out_3_is_new_and_kept_apart() -> None:
    """No held-out-3 sentence is said by another split, every language and kind the issue asked for is there, and
    neither dev nor the bench's "all" picks it up."""
    third = suite.held_out_3_cases()
    others = [c for c in suite.cases() if c.split != "held-out-3"]
    assert len(third) >= 16 and {c.split for c in third} == {"held-out-3"}
    assert not {c.text for c in third} & {c.text for c in others}
    assert not {c.picture for c in third} & {c.picture for c in others}
    assert {c.language for c in third} == {"ru", "uk", "be", "ko", "en"}
    assert {"ticker", "pansign", "overlay", "caption", "sign"} <= {c.kind for c in third}
    assert any("ў" in c.text for c in third if c.language == "be")
    uk_plain = [c for c in third if c.language == "uk" and not set(c.text.lower()) & set("іїєґыэъё")]
    assert uk_plain, "a Ukrainian line with no telling letter"
    assert {c.truth_script for c in third} == {"Cyrillic", "Hangul", "Latin", "mixed"}
    assert any(c.fill for c in third)  # a yellow caption


def _shift(a: np.ndarray, b: np.ndarray) -> int:
    """How far (px) the column profile ``a`` moved left to give ``b`` (cross-correlation peak)."""
    a, b = a - a.mean(), b - b.mean()
    corr = np.correlate(a, b, mode="full")
    return int(np.argmax(corr)) - (len(b) - 1)


@pytest.mark.slow
@needs_material
def test_ticker_crawls_and_sign_pans(tmp_path: Path) -> None:
    """The ticker's white letters move left by TICKER_PX_S a second on the red band (within 6 px over 4 s after
    x264), and the panning sign's light panel crosses PAN_PX of the frame (within 10 px)."""
    ticker = next(c for c in suite.held_out_3_cases() if c.kind == "ticker" and c.edit == "none")
    frames = _frames(suite.render_held_out_3(ticker, tmp_path))
    assert len(frames) == suite.HELD_OUT_3_FRAMES["ticker"] and frames[0].shape == (720, 1280, 3)
    band = [(f[640:684].min(axis=2) > 200).sum(axis=0).astype(float) for f in (frames[0], frames[-1])]
    assert band[0].sum() > 1000  # letters are on the band
    want = suite.TICKER_PX_S * (len(frames) - 1) / 25
    assert abs(_shift(band[0], band[1]) - want) <= 6

    pan = next(c for c in suite.held_out_3_cases() if c.kind == "pansign" and c.edit == "none")
    frames = _frames(suite.render_held_out_3(pan, tmp_path))
    assert len(frames) == suite.HELD_OUT_3_FRAMES["pansign"]
    panel = np.array([236, 232, 220])
    cols = [np.nonzero((np.abs(f.astype(int) - panel).max(axis=2) < 12).sum(axis=0) > 20)[0] for f in
            (frames[0], frames[-1])]
    assert len(cols[0]) > 200 and len(cols[1]) > 200  # the whole sign is in both frames
    assert abs((cols[0].mean() - cols[1].mean()) - suite.PAN_PX) <= 10
