"""The files a batch verifies: every media file under the folders given, judged by content (``provenance.sniff``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from provenance.batch.model import BatchError
from provenance.sniff import identify, walk


@dataclass
class Candidate:
    path: Path  # as found under the root given
    size: int
    identified_by: str  # "signature:jpeg", "extension:.mp4" or "ffmpeg:<format>"


@dataclass
class Discovery:
    files: list[Candidate] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files that are not media by content or name


def discover(roots: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> Discovery:
    """Media files under ``roots``, recursively and sorted; hidden entries and ``exclude`` folders skipped.

    A file is media when its first bytes carry a media signature, or its extension is a media one (a
    broken ``.mp4`` must become an error row, not vanish), or, for other binary files, FFmpeg probes it.
    Symlinked folders are not followed. Raises ``BatchError`` for a root that does not exist.
    """
    skip = {Path(p).resolve() for p in exclude}
    found = Discovery()
    seen: set[Path] = set()  # a folder given twice, or inside another one given, is walked once
    for root in map(Path, roots):
        if root.is_file():
            paths: Iterable[Path] = [root]
        elif root.is_dir():
            paths = walk(root, skip)
        else:
            raise BatchError(f"{root}: no such file or folder")
        for path in paths:
            if path.absolute() in seen:
                continue
            seen.add(path.absolute())
            how = identify(path)
            size = _size(path)
            if how is None:
                found.ignored.append(str(path))
            else:
                found.files.append(Candidate(path, size, how))
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
