"""The held-out splits' one builder (benchmarks/match_suite.py ``_build_held_out``): every positive's recorded start
must be where the reused footage really is in the written query and in the reference, or the benchmark scores a
right answer as a wrong start (or a wrong one as right). Built from real imagery (scikit-image's astronaut and
coffee photographs under the suite's pan and zoom), encoded with the suite's own writer and decoded back.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import match_suite as suite  # the benchmark's builder and makers, not a copy of them

FPS = suite.FPS


def _decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(width=suite.W, height=suite.H, format="rgb24") for f in c.decode(video=0)]


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A three-row split: a plain excerpt, an excerpt between cuts from unrelated footage (true start 1 s in the
    clip), the source at 2x, and one negative; with the source frames it drew from."""
    pan = suite.ken_burns(suite._photo("astronaut"), 6, 5)
    other = suite.ken_burns(suite._photo("coffee"), 3, 6)

    def table(s: suite._Split) -> list[suite.Row]:
        s.add_ref("t_pan", pan)
        s.sources = {"t_pan": pan}
        return [suite.Clip("plain.mp4", "plain", "t_pan", 3),
                suite.Clip("cuts.mp4", "cuts", "t_pan", 3, lambda fr, s: other[:FPS] + fr + other[FPS:],
                           query_start=1.0),
                suite.Retimed("fast.mp4", "speed_2x", "t_pan", 2.0, 25.0, seconds=3),
                suite._neg("neg.mp4", "plain", lambda s: other)]

    out = tmp_path_factory.mktemp("split") / "t"
    folder, refs, cases = suite._build_held_out("unused", 1, "t", 99, "2020-01-01", ("astronaut",), table, out)
    return folder, refs, {c.name: c for c in cases}, pan


def test_each_positive_records_where_its_footage_is(built):
    folder, refs, cases, pan = built
    assert [r["id"] for r in refs] == ["t_pan"] and Path(refs[0]["path"]).is_file()
    assert set(cases) == {"t_plain.mp4", "t_cuts.mp4", "t_fast.mp4", "t_neg.mp4"}
    for name in ("t_plain.mp4", "t_cuts.mp4"):
        c = cases[name]
        frames = _decode(folder / "queries" / name)
        q, r = round(c.query_start * FPS), round(c.reference_start * FPS)
        right = _diff(frames[q], pan[r])
        # the recorded moment shows the reference frame (CRF 30 leaves a few levels); a second off does not
        assert right < 6, (name, right)
        assert _diff(frames[q], pan[min(len(pan) - 1, r + FPS)]) > 2 * right, name
    cuts = _decode(folder / "queries" / "t_cuts.mp4")
    assert _diff(cuts[FPS - 1], pan[round(cases["t_cuts.mp4"].reference_start * FPS)]) > 20  # the cut is hard
    fast = cases["t_fast.mp4"]
    frames = _decode(folder / "queries" / "t_fast.mp4")
    start = round(fast.reference_start * FPS)
    assert len(frames) == 3 * FPS and _diff(frames[10], pan[start + 20]) < 6  # 2x: query frame i = source 2i
    neg = cases["t_neg.mp4"]
    assert neg.reference_id is None and neg.hard == "edit" and neg.query_start is None


def test_a_built_split_loads_from_its_cache_without_drawing_again(built):
    folder, refs, cases, _ = built
    mtimes = {p.name: p.stat().st_mtime_ns for p in (folder / "queries").iterdir()}

    def table(s: suite._Split) -> list[suite.Row]:
        raise AssertionError("the cache was not used")

    again = suite._build_held_out("unused", 1, "t", 99, "2020-01-01", (), table, folder)
    assert again[1] == refs and {c.name: c for c in again[2]} == cases
    assert {p.name: p.stat().st_mtime_ns for p in (folder / "queries").iterdir()} == mtimes
    assert json.loads((folder / "manifest.json").read_text())["version"] == 1
    assert suite.check_built(folder, refs, list(cases.values())) == []


def test_multi_page_tiff_reference_keeps_every_page(tmp_path):
    """The TIFF a page-crop query is matched against: three pages, each the picture as given (LZW: lossless), and
    a crop of page 2 is that page's pixels."""
    from PIL import Image, ImageSequence

    pictures = [suite._photo(n) for n in ("astronaut", "coffee", "chelsea")]
    path = tmp_path / "pages.tif"
    suite._write_tiff(path, pictures)
    with Image.open(path) as tiff:
        pages = [np.asarray(p.convert("RGB")) for p in ImageSequence.Iterator(tiff)]
    assert len(pages) == 3
    for page, picture in zip(pages, pictures, strict=True):
        assert np.array_equal(page, suite._fit(picture))
    crop = suite._page_crop(pictures[1], (10, 20, 200, 100))
    assert crop.shape == (100, 200, 3) and np.array_equal(crop, pages[1][20:120, 10:210])
    assert suite.check_built(tmp_path, [{"id": "p", "path": str(path), "first_seen": "2020-01-01"}], []) == []
