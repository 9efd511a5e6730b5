"""Which run of a file's report is the evidence: a run that did not read the on-screen text never replaces one
that did (issue 18 round-7 tester, D3).

Every ``verify`` of a file writes a new run folder ``<stem>-<sha12>.runs/<UTC time>-<random>/`` and moves the
``<stem>-<sha12>`` link to it (report/writer.py). Re-verifying in a degraded setup (``PROVENANCE_TESSDATA``
naming an empty folder, Tesseract missing, the text stage turned off) wrote a run that read no text; the link
then named it, the claim's attachment was replaced by it, and the claim check and ``search`` lost the text the
earlier run had read: "nothing contradicts" where something did. The claims, dossier and search therefore keep
the newest run of the same file (same SHA-256, in the same runs folder) that read the text when the run they
were given did not, and say so. Only runs that pass :func:`read_verified` count: an edited run is never taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.report.integrity import RUNS_SUFFIX, IntegrityError, read_verified, report_file


def read_text(data: dict[str, Any]) -> bool:
    """Whether the report's text stage ran and read the frames (status ``ok``; no text found is still a reading)."""
    text = data.get("text")
    return isinstance(text, dict) and text.get("status") == "ok"


def text_not_read(data: dict[str, Any]) -> str:
    """Why a report holds no reading of the on-screen text, in words: "text stage unavailable: <reason>"."""
    text = data.get("text") if isinstance(data.get("text"), dict) else {}
    status = str(text.get("status") or "not run")
    why = text.get("unavailable")
    return f"text stage {status.replace('_', ' ')}" + (f": {why}" if why else "")


def stages_read(data: dict[str, Any]) -> set[str]:
    """The report's sections whose stage ran and read (status ``ok``): "visual", "metadata", "text", "audio"."""
    return {key for key, value in data.items() if isinstance(value, dict) and value.get("status") == "ok"}


@dataclass(frozen=True)
class Run:
    folder: Path  # the run folder, ``<stem>-<sha12>.runs/<run>``
    data: dict[str, Any]  # its report, verified

    @property
    def name(self) -> str:
        return self.folder.name


def run_folder(path: str | Path) -> Path:
    """The run folder a report path names (a run folder, its report.json, or the ``<stem>-<sha12>`` link or
    pointer file to the latest run), resolved."""
    return report_file(path).resolve().parent


def _siblings(folder: Path) -> list[Path]:
    """The other runs in ``folder``'s runs folder, newest first (run names start with their UTC time)."""
    runs = folder.parent
    if not runs.name.endswith(RUNS_SUFFIX) or not runs.is_dir():
        return []
    return sorted((p for p in runs.iterdir() if p.name != folder.name and not p.name.startswith(".")
                   and p.is_dir() and not p.is_symlink()), key=lambda p: p.name, reverse=True)


def _verified(folder: Path, key_root: Path | None) -> dict[str, Any] | None:
    try:
        return read_verified(folder / "report.json", key_root)
    except (IntegrityError, OSError, ValueError):
        return None


def reading_run(path: str | Path, data: dict[str, Any], key_root: Path | None = None,
                also: list[Path] | None = None, *, covering: bool = True) -> Run | None:
    """When the report at ``path`` (its verified ``data``) did not read the on-screen text: the newest other run
    of the same file (same SHA-256) that did, in its runs folder or among ``also`` (a claim's earlier attachment
    kept elsewhere), else None. With ``covering`` (the claim's choice of one run), only a run that also read
    every other stage this one read: a re-run that read no text but matched the footage (its visual stage on
    where the earlier run's was off) is not passed over either (the claim view says an earlier run read the
    text, :func:`earlier_runs_reading`). Search takes any run that read the text."""
    if read_text(data):
        return None
    needed = stages_read(data)
    sha = (data.get("media") or {}).get("sha256")
    if not sha:
        return None
    try:
        here = run_folder(path)
    except (OSError, ValueError):
        return None
    for folder in [*_siblings(here), *(Path(p).resolve() for p in also or [])]:
        if folder == here:
            continue
        other = _verified(folder, key_root)
        if other is not None and (other.get("media") or {}).get("sha256") == sha and read_text(other) \
                and (not covering or needed <= stages_read(other)):
            return Run(folder, other)
    return None


def earlier_runs_reading(path: str | Path, key_root: Path | None = None) -> list[Run]:
    """Runs of the same file that read the on-screen text while the one at ``path`` did not, newest first: the
    ones :func:`reading_run` could not use because this run read a stage they did not."""
    try:
        here = run_folder(path)
    except (OSError, ValueError):
        return []
    mine = _verified(here, key_root)
    if mine is None or read_text(mine):
        return []
    sha = (mine.get("media") or {}).get("sha256")
    return [Run(folder, other) for folder in _siblings(here)
            if (other := _verified(folder, key_root)) is not None
            and (other.get("media") or {}).get("sha256") == sha and read_text(other)]


def later_runs_not_reading(path: str | Path, key_root: Path | None = None) -> list[Run]:
    """Runs of the same file newer than the one at ``path`` that did not read the on-screen text while it did:
    the runs :func:`reading_run` passed over, newest first (for the claim view to say which run is used)."""
    try:
        here = run_folder(path)
    except (OSError, ValueError):
        return []
    mine = _verified(here, key_root)
    if mine is None or not read_text(mine):
        return []
    sha = (mine.get("media") or {}).get("sha256")
    out = []
    for folder in _siblings(here):
        if folder.name <= here.name:
            break
        other = _verified(folder, key_root)
        if other is not None and (other.get("media") or {}).get("sha256") == sha and not read_text(other):
            out.append(Run(folder, other))
    return out
