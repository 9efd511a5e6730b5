"""File helpers with nothing heavy behind them: the atomic write and the streaming SHA-256.

The report writer, the integrity checks, claims, batch and ingest all need them; here they sit below all of
those, so that ``report check`` (integrity) reaches them without importing the writer (which imports it) or
ingest (PyAV).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

_CHUNK = 1 << 20


def umask() -> int:
    """The process umask, read without changing it where Linux tells it (changing it races other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def atomic_write(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Write through a temporary file in the same folder, then rename: a crash never leaves half a file.

    The file gets ``mode``, by default 0666 less the umask, as ``open`` would give it (``mkstemp`` makes
    0600, which would hide reports and summaries from the desk's group whatever its umask says).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~umask() if mode is None else mode)
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new(path: Path, data: str | bytes) -> None:
    """Write ``path`` whole and never over an existing file (exports a user names with ``--out``: a typo must not
    replace the workspace database or a signed report). Built aside, then hard-linked into place: a link fails
    on an existing name where a rename would replace it. Raises ``FileExistsError`` when ``path`` exists."""
    if path.exists() or path.is_symlink():
        raise FileExistsError(errno.EEXIST, "exists already", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~umask())
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def sha256_file(path: Path) -> str:
    """Streaming SHA-256, so a multi-gigabyte clip never sits in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
