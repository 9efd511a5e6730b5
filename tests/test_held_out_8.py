"""The matching benchmark's held-out-8 split (benchmarks/match_suite.py ``build_held_out_8``), construction only: its
imagery is in no other split (of this suite or the text suite), its rows pair every positive kind with a negative
under the same edit, and its new makers do what its truth says (slow motion holds each source frame 1 / H8_SLOW
times, the caption box is solid over the picture and leaves the rest of the fill alone, the drifting inset moves and
holds the footage). Nothing here fingerprints or matches, so the split stays unseen."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import text_suite

import bench_matching  # the benchmark's own split selection
import match_suite as suite  # the benchmark's builder and makers, not a copy of them


def test_held_out_8_imagery_is_in_no_other_split() -> None:
    """No held-out-8 picture is a file another name points at, nor named by another split's builder, nor a file the
    text suite draws on; every one is from extremetuxracer-data, which make bench installs; "all" leaves it out."""
    names = suite.HELD_OUT_8_INDEXED + suite.HELD_OUT_8_OTHER
    assert len(set(names)) == len(names)
    ours = {suite.WALLPAPERS[n][1] for n in names}
    others = {path for n, (_, path) in suite.WALLPAPERS.items() if n not in names}
    assert not ours & others
    assert not ours & {str(p) for p, _ in text_suite.HELD_OUT_5_PICTURES.values()}
    assert {suite.WALLPAPERS[n][0] for n in names} == {"extremetuxracer-data"}
    assert "extremetuxracer-data" in suite.WALLPAPER_PACKAGES
    builders = (suite.build, suite.build_dev_2, suite.build_dev_3, suite.build_held_out_2, suite.build_held_out_3,
                suite._held_out_4, suite._held_out_5, suite._held_out_6, suite._held_out_7)
    source = "".join(inspect.getsource(b) for b in builders) + repr(suite.DISTRACTOR_STILLS + suite.NEGATIVE_FOOTAGE)
    assert not [n for n in names if f'"{n}"' in source]
    assert set(suite.HELD_OUT_8_NEAR + suite.HELD_OUT_8_SAME_PLACE) <= set(suite.HELD_OUT_8_OTHER)
    main = inspect.getsource(bench_matching.main)
    assert '"held-out-8"' in main and "all but held-out-4 to -8" in main


def test_each_kind_has_a_negative_under_the_same_edit() -> None:
    """``_kind_pairs`` gives each source a positive and a negative under the same edit, the negative from footage
    nothing indexed holds (no reference id)."""
    rows = suite._kind_pairs("k", lambda fr, s: fr, ("a", "b"), lambda j: [])
    assert [(type(r).__name__, r.name, r.edit) for r in rows] == [
        ("Clip", "k_0.mp4", "k"), ("Fixed", "neg_k_0.mp4", "k"), ("Clip", "k_1.mp4", "k"),
        ("Fixed", "neg_k_1.mp4", "k")]
    assert all(r.reference_id is None for r in rows if isinstance(r, suite.Fixed))


def test_slow_motion_holds_each_frame() -> None:
    """At H8_SLOW x and 25 fps each source frame is shown 1 / H8_SLOW times in order: 5 s of query show 1.25 s."""
    src = [np.full((4, 4, 3), i, np.uint8) for i in range(60)]
    out = suite.retime(src, 10, 5, suite.H8_SLOW, 25.0)
    shown = [int(f[0, 0, 0]) for f in out]
    assert len(out) == 125 and shown[:8] == [10, 10, 10, 10, 11, 11, 11, 11] and shown[-1] == 10 + 31


def test_caption_box_and_drifting_inset_are_what_they_say() -> None:
    """The caption box is solid white (but its letters) across the fill's width at H8_BOX_ROWS, inside the picture's
    rows, and the fill is untouched outside it and the title; the drifting inset holds the footage, in a white
    border, at a place that moves down and right by more than a third of the free room over the clip."""
    a = suite.ken_burns(suite._photo("astronaut"), 0.4, 1)
    s = suite._Split("t", Path("."), np.random.default_rng(0), "2020-01-01")
    plain = suite.e_vertical(a, s.rng, [])[0]
    boxed = suite._caption_box_fill(a, s)[0]
    top, bottom = suite.H8_BOX_ROWS
    assert 219 < top < bottom < 421
    assert (boxed[top:bottom] == 255).mean() > 0.85
    assert np.array_equal(boxed[bottom:], plain[bottom:]) and np.array_equal(boxed[140:top], plain[140:top])
    background = suite.ken_burns(suite._photo("coffee"), 0.4, 2)
    made = suite._moving_pip(lambda: background)(a, s)
    pw, ph = int(suite.W * suite.H8_PIP_SHARE), int(suite.H * suite.H8_PIP_SHARE)

    def inset_at(frame: np.ndarray, k: int) -> tuple[int, int]:
        diff = np.abs(frame.astype(int) - background[k % len(background)].astype(int)).max(axis=-1) > 0
        ys, xs = np.nonzero(diff)
        return int(xs.min()) + 3, int(ys.min()) + 3

    (x0, y0), (x1, y1) = inset_at(made[0], 0), inset_at(made[-1], len(made) - 1)
    assert x1 - x0 > (suite.W - pw) / 3 and y1 - y0 > (suite.H - ph) / 3
    inner = made[-1][y1 + 2:y1 + ph - 2, x1 + 2:x1 + pw - 2].astype(int)
    assert np.abs(inner - suite._resize(a[-1], pw, ph)[2:-2, 2:-2].astype(int)).mean() < 2


needs_imagery = pytest.mark.skipif(not all(Path(suite.WALLPAPERS[n][1]).is_file() for n in
                                           suite.HELD_OUT_8_INDEXED + suite.HELD_OUT_8_OTHER),
                                   reason="extremetuxracer-data not installed (make bench installs it)")


@needs_imagery
def test_held_out_8_pictures_decode_and_the_skies_share_a_range() -> None:
    """Every held-out-8 picture decodes to a 1024-px colour picture (the terrains tiled 4 x 4) with detail in it;
    the same view under another light is closer to the indexed view than a different view under the same light
    (low-passed grey), as the truth's "same place" and "near duplicate" kinds say."""
    for name in suite.HELD_OUT_8_INDEXED + suite.HELD_OUT_8_OTHER:
        img = suite._photo(name)
        assert img.shape == (1024, 1024, 3) and img.std() > 10, name

    def edges(name: str) -> np.ndarray:
        import cv2

        g = cv2.resize(cv2.cvtColor(suite._photo(name), cv2.COLOR_RGB2GRAY), (64, 64)).astype(float)
        g = cv2.Sobel(g, cv2.CV_64F, 1, 0) ** 2 + cv2.Sobel(g, cv2.CV_64F, 0, 1) ** 2
        return (g / g.max()).ravel()

    front = edges("SunnyFront")
    assert np.corrcoef(front, edges("CloudyFront"))[0, 1] > np.corrcoef(front, edges("SunnyLeft"))[0, 1] + 0.2
