"""Frame-level evidence for matches: which clip frame matched which reference frame, and their pictures.

A coverage figure asks the reader to trust the tool; the clip frame beside the known frame, with its
distance, lets them see it. Pairs are chosen the way matching aligned them (the hit closest to the segment's
time offset, then the closest hash), and the reference frames are decoded from the indexed file at report
time, only if that file still has the SHA-256 it was indexed with (a replaced file would show other pictures).
"""

from __future__ import annotations

import logging
from pathlib import Path

import av
import numpy as np

from provenance.fileio import sha256_file
from provenance.report.model import Artefacts, Match
from provenance.threads import decoder_threads
from provenance.visual.frames import display_turns, load_page, target_size, upright
from provenance.visual.hashing import THUMB_SIZE, thumbnail_jpeg
from provenance.visual.index import KnownImageryIndex
from provenance.visual.view import shown_pairs

log = logging.getLogger(__name__)

def attach_match_evidence(matches: list[Match], index: KnownImageryIndex, artefacts: Artefacts) -> None:
    """Decode the reference frames each match's pictured pairs show; never raises for a bad reference.

    Matching fills ``Match.frames``; this only fetches pixels, from the reference file if it is still there
    unchanged, so a report can show the clip's frame beside the one it matched.
    """
    for m in matches:
        ref = index.get(m.reference_id)
        if ref is None:
            artefacts.reference_notes[m.reference_id] = "the reference is no longer in the index"
            continue
        if m.hash_list is not None:  # imported hashes: there is no file to show
            artefacts.reference_notes[m.reference_id] = (f"a hash-only reference from the list '{m.hash_list.name}' "
                                                         f"shared by {m.hash_list.source}: no pictures were shared")
            continue
        times = sorted({p.reference_t for p in shown_pairs(m.frames)})
        try:
            artefacts.references[m.reference_id] = _reference_thumbnails(Path(ref.path), ref.sha256, ref.kind, times)
        except _Unavailable as exc:
            artefacts.reference_notes[m.reference_id] = str(exc)
        except Exception as exc:  # a reference that no longer decodes costs its pictures, not the report
            log.debug("reference frames of %s", m.reference_id, exc_info=True)
            artefacts.reference_notes[m.reference_id] = f"its frames could not be decoded ({type(exc).__name__})"


class _Unavailable(Exception):
    """The reference's pictures cannot be shown; the message says why, for the reader."""


_digests: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> SHA-256: a batch re-hashes nothing


def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _digests:
        _digests[key] = sha256_file(path)
    return _digests[key]


def _reference_thumbnails(path: Path, sha256: str, kind: str, times: list[float]) -> dict[float, bytes]:
    if not times:
        return {}
    if not path.is_file():
        raise _Unavailable(f"the reference file is no longer at {path}")
    if _sha256(path) != sha256:
        raise _Unavailable(f"the file at {path} has changed since it was indexed")
    if kind == "image":  # a multi-page TIFF's page p is its frame at t = p - 1 (frames.still_pages)
        pages = {t: round(t) for t in times}
        jpegs = {page: thumbnail_jpeg(load_page(path, page)) for page in set(pages.values())}
        return {t: jpegs[page] for t, page in pages.items()}
    out: dict[float, bytes] = {}
    from provenance.sniff import ffmpeg_format

    with av.open(str(path), format=ffmpeg_format(path), metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.thread_count = decoder_threads()  # this process's share of the cores (threads.py)
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        size = target_size(stream.codec_context.width, stream.codec_context.height, THUMB_SIZE)
        for t in times:
            rgb = _frame_at(container, stream, start, t, size)
            if rgb is not None:
                out[t] = thumbnail_jpeg(rgb)
    return out


def _frame_at(
    container: av.container.InputContainer, stream: av.VideoStream, start: float, t: float, size: tuple[int, int]
) -> np.ndarray | None:
    """The frame shown at presentation time ``t`` (from the stream start): seek to the keyframe before, decode on."""
    container.seek(int((start + t) / stream.time_base), stream=stream, backward=True)
    chosen = None
    for frame in container.decode(stream):
        if frame.time is None:
            continue
        if frame.time - start > t + 1e-3:
            chosen = chosen or frame
            break
        chosen = frame
    if chosen is None:
        return None
    rgb = chosen.to_ndarray(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
    return upright(rgb, display_turns(chosen))  # as it was hashed: turned by its display matrix
