"""The matching benchmark's held-out-7 split (benchmarks/match_suite.py ``build_held_out_7``), construction only: its
photographs are in no other split, and its new makers do what its truth says (the slow pan moves at its stated
speed before the cut, a multi-page TIFF query keeps its pages and a blank page is caught, the news template and the
caption band leave the footage where the case says). Nothing here fingerprints or matches, so the split stays
unseen. Real photographs (scikit-image's, and Tux Paint's and Palapeli's where installed), real TIFF and H.264."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's builder and makers, not a copy of them


def test_held_out_7_imagery_is_in_no_other_split() -> None:
    """No held-out-7 photograph is a file another name points at, nor named by another split's builder."""
    names = suite.HELD_OUT_7_INDEXED + suite.HELD_OUT_7_OTHER
    assert len(set(names)) == len(names)
    ours = {suite.WALLPAPERS[n][1] for n in names}
    others = {path for n, (_, path) in suite.WALLPAPERS.items() if n not in names}
    assert not ours & others
    assert {suite.WALLPAPERS[n][0] for n in names} == {"tuxpaint-data", "palapeli-data"}
    assert {"tuxpaint-data", "palapeli-data"} <= set(suite.WALLPAPER_PACKAGES)
    builders = (suite.build, suite.build_dev_2, suite.build_dev_3, suite.build_held_out_2, suite.build_held_out_3,
                suite._held_out_4, suite._held_out_5, suite._held_out_6)
    source = "".join(inspect.getsource(b) for b in builders) + repr(suite.DISTRACTOR_STILLS + suite.NEGATIVE_FOOTAGE)
    assert not [n for n in names if f'"{n}"' in source]


def _shift(a: np.ndarray, b: np.ndarray) -> float:
    """How far (px, positive: content moved left) ``b`` is from ``a``, by phase correlation of the grey frames."""
    import cv2

    grey = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64) for x in (a, b)]
    (dx, _), _ = cv2.phaseCorrelate(grey[1], grey[0])
    return dx


def test_slow_pan_moves_at_its_speed() -> None:
    """The pan before the cut moves H7_PAN_PX_S px a second (within 1 px over a second), level, and lasts as long
    as asked: the cut's true start is then the pan's length."""
    frames = suite.slow_pan(suite._photo("astronaut"), suite.H7_CUT_AT)
    assert len(frames) == round(suite.H7_CUT_AT * suite.FPS) and frames[0].shape == (suite.H, suite.W, 3)
    moved = _shift(frames[0], frames[suite.FPS])
    assert abs(moved - suite.H7_PAN_PX_S) <= 1.0, moved
    assert _shift(frames[0], frames[1]) < 3  # slow: under 3 px a frame


def test_multi_page_tiff_query_keeps_its_pages(tmp_path: Path) -> None:
    """A ``.tif`` query is written as one page per picture (page p at t = p - 1 s, as the tool reads it), the
    construction check passes it, and it names a query whose page is blank or whose recorded page is missing."""
    from PIL import Image, ImageSequence

    (tmp_path / "queries").mkdir()
    s = suite._Split("t", tmp_path, np.random.default_rng(1), "2020-01-01")
    pictures = [suite.document(5, (1280, 960)), suite._photo("coffee"), suite._photo("chelsea")]
    s.query(suite.Case("pages.tif", "tiff_query", "r", 1.0, 0.0), pictures)
    s.query(suite.Case("blank.tif", "tiff_query", None), [pictures[1], np.zeros((300, 400, 3), np.uint8)])
    s.query(suite.Case("short.tif", "tiff_query", "r", 2.0, 0.0), pictures[:2])
    with Image.open(tmp_path / "queries" / "t_pages.tif") as tiff:
        pages = [np.asarray(p.convert("RGB")) for p in ImageSequence.Iterator(tiff)]
    assert len(pages) == 3 and np.array_equal(pages[1], suite._fit(pictures[1]))
    problems = suite.check_built(tmp_path, [], s.cases)
    assert [p.split(":")[0] for p in problems] == ["t_blank.tif", "t_short.tif"]


def test_news_wrap_and_caption_band_keep_the_footage_where_said() -> None:
    """The broadcast template is the same around any footage and shows the footage whole in its box; the caption
    band darkens a strip across the 9:16 fill and its picture and leaves the rest of the picture as it was."""
    a = suite.ken_burns(suite._photo("astronaut"), 0.2, 1)
    b = suite.ken_burns(suite._photo("coffee"), 0.2, 2)
    wa, wb = suite.news_wrap(a)[0], suite.news_wrap(b)[0]
    box = np.zeros(wa.shape[:2], bool)
    box[60:384, 24:600] = True
    assert np.array_equal(wa[~box], wb[~box])
    assert np.abs(wa[60:384, 24:600].astype(int) - suite._resize(a[0], 576, 324)).max() == 0
    s = suite._Split("t", Path("."), np.random.default_rng(0), "2020-01-01")
    plain = suite.e_vertical(a, s.rng, [])[0]
    banded = suite._caption_band_fill(a, s)[0]
    assert banded.shape == (640, 360, 3)
    assert np.array_equal(banded[:330], plain[:330]) and np.array_equal(banded[384:], plain[384:])
    assert banded[330:384].mean() < 0.6 * plain[330:384].mean()  # the band crosses the picture (rows 219-421)


needs_imagery = pytest.mark.skipif(not all(Path(suite.WALLPAPERS[n][1]).is_file() for n in
                                           suite.HELD_OUT_7_INDEXED + suite.HELD_OUT_7_OTHER),
                                   reason="tuxpaint-data / palapeli-data not installed (make bench installs them)")


@needs_imagery
def test_held_out_7_photographs_decode() -> None:
    """Every held-out-7 photograph decodes to a colour picture at least 376 px high (the Tux Paint reef and
    skyline are the smallest) with detail in it (not a flat or missing file)."""
    for name in suite.HELD_OUT_7_INDEXED + suite.HELD_OUT_7_OTHER:
        img = suite._photo(name)
        assert img.ndim == 3 and img.shape[2] == 3 and min(img.shape[:2]) >= 376, name
        assert img.std() > 10, name
