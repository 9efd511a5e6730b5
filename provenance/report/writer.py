"""Write a report folder: ``report.json`` (the contract), a self-contained ``report.html`` and ``report.md``.

A report is evidence: it is never overwritten. Each run gets its own folder, ``out/<stem>-<sha12>.runs/<run>/``,
built aside (a hidden folder beside it) and renamed into place whole; ``out/<stem>-<sha12>`` is a symbolic link
to the latest run, swapped atomically (a new link renamed over the old), or, on a file system without symbolic
links, a small pointer file naming it, swapped the same way. Two runs at once each get a complete
folder of their own and the link names one of them, never a mix. A report folder of the layout before (a plain
folder at ``out/<stem>-<sha12>``) is kept as a run of its own. ``report.json`` is sealed with its own digest
(``integrity``), and the HTML and Markdown show that digest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.fileio import atomic_write, umask
from provenance.report.html import render_html
from provenance.report.integrity import (
    POINTER_MAGIC,
    RUNS_SUFFIX,
    dumps,
    file_digests,
    listed_files,
    public_key_of,
    seal,
    sign_data,
)
from provenance.report.markdown import render_markdown
from provenance.report.model import Integrity, Report

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "RUNS_SUFFIX", "atomic_write", "render_html", "render_markdown", "report_dir_name", "to_json", "write_report",
    "write_run",
]


def report_dir_name(report: Report) -> str:
    """``<stem>-<sha256[:12]>``, with the stem reduced to safe characters (media names are untrusted): never a
    leading ``-`` (a folder named ``-rf-…`` would be read as an option by whatever is given it) nor ``.``."""
    stem = Path(report.media.path).stem
    safe = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).lstrip("._-").rstrip("._")[:80] or "media"
    return f"{safe}-{report.media.sha256[:12]}"


def to_json(report: Report) -> str:
    return dumps(report.to_dict())




def write_report(report: Report, out: str | Path = "reports", *, signing_key: Ed25519PrivateKey | None = None) -> Path:
    """Seal the report and write a new run folder for it; return ``out/<stem>-<sha12>``, the link to the latest
    (where the file system has no symbolic links: the run folder, named by a pointer file at that path).

    With ``signing_key`` the report is signed as it is written (``signed_when: "written"``): the only signature
    that says provenance produced this content. Nothing already written is changed but the link.
    """
    latest = Path(out) / report_dir_name(report)
    listed = listed_files(report.to_dict()) or {}  # files a section names with their SHA-256: the keyframes
    if listed and not listed.keys() & report.artefacts.files.keys():
        # a report written again from its JSON (``Report.from_dict``) has no bytes of its keyframes, as it has no
        # fingerprint.npz: its listing is left out, so it never names files its folder does not hold
        report.visual.keyframes, listed = None, {}
    seal(report)
    assert report.integrity is not None
    if signing_key is not None:  # the pages say who signs (signed below, once the files they cover exist)
        public = public_key_of(signing_key)
        report.integrity.public_key, report.integrity.key_id, report.integrity.signed_when = \
            public.b64, public.key_id, "written"
    contents: dict[str, str | bytes] = {"report.html": render_html(report), "report.md": render_markdown(report)}
    for name, data in report.artefacts.files.items():  # a stage's files (fingerprint.npz): plain names, not ours
        if name not in listed and (name != Path(name).name or name.startswith(".") or name in contents
                                   or name == "report.json"):
            raise ValueError(f"a report folder cannot hold a stage file named {name!r}")
        contents[name] = data
    sub = file_digests({name: data for name, data in contents.items() if name in listed})
    if wrong := sorted(name for name, sha in listed.items() if sub.get(name) != sha):  # it would fail its check
        raise ValueError(f"the report lists {wrong[0]} ({len(wrong)} file(s) in all) without those bytes to write")
    files = file_digests({name: data for name, data in contents.items() if name not in listed})
    if signing_key is None and report.integrity.signature and report.integrity.files != files:
        report.integrity = Integrity(algorithm=report.integrity.algorithm,  # the old signature cannot cover them
                                     canonicalisation=report.integrity.canonicalisation,
                                     digest=report.integrity.digest)
    report.integrity.files = files
    if signing_key is not None:
        report.integrity = Integrity(**sign_data(report.to_dict(), signing_key, "written")["integrity"])
    return write_run(latest, {**contents, "report.json": to_json(report)})


def write_run(latest: Path, contents: dict[str, str | bytes]) -> Path:
    """Write ``contents`` (file name -> data) as a new run folder ``<latest>.runs/<UTC time>-<random>/``, built
    aside and renamed into place whole, and point ``latest`` at it (see :func:`_point_latest`, whose path this
    returns). Nothing written before is changed but the link. Reports and claim dossiers are written this way."""
    runs = latest.with_name(latest.name + RUNS_SUFFIX)
    runs.mkdir(parents=True, exist_ok=True)
    if runs.is_symlink():  # mkdir accepts a link to a folder: the run would be written wherever it points
        raise ValueError(f"{runs} is a symbolic link: refusing to write through it (outside {latest.parent})")
    run_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"
    aside = runs / f".building-{run_id}"
    aside.mkdir()
    try:
        for name, text in contents.items():
            if "/" in name:  # a section's folder (keyframes/): the umask followed, as for the run folder
                (aside / name).parent.mkdir(exist_ok=True)
            atomic_write(aside / name, text)
        os.chmod(aside, 0o777 & ~umask())
        os.rename(aside, runs / run_id)
    except BaseException:  # a full disk, an interrupt: nothing half-written stays behind
        shutil.rmtree(aside, ignore_errors=True)
        with contextlib.suppress(OSError):
            runs.rmdir()  # only if empty: the first run of this file failed
        raise
    return _point_latest(latest, runs, run_id)


def symlinks_supported(folder: Path) -> bool:
    """Whether ``folder``'s file system takes symbolic links (FAT, exFAT and some network shares do not): then
    :func:`write_run`'s latest link is a link, else a pointer file and the run folder is what is opened."""
    probe = folder / f".probe-{secrets.token_hex(4)}.link"
    try:
        os.symlink(".", probe)
    except OSError:
        return False
    probe.unlink(missing_ok=True)
    return True


def _point_latest(latest: Path, runs: Path, run_id: str) -> Path:
    """Make ``latest`` name ``runs/run_id`` by renaming a new relative symbolic link over it (atomic); return the
    path to give the user. Where the file system has no symbolic links (FAT, exFAT, some network shares), a
    pointer file (:data:`POINTER_MAGIC`) is renamed over it instead, and the run folder itself is returned:
    readers follow either (``report.integrity.report_file``)."""
    if latest.is_dir() and not latest.is_symlink():  # a report folder of the layout before: a run of its own
        with contextlib.suppress(FileNotFoundError):  # another writer moved it first
            os.rename(latest, runs / f"{dt.datetime.fromtimestamp(latest.stat().st_mtime, dt.UTC):%Y%m%dT%H%M%S%fZ}"
                                     f"-earlier")
    link = latest.with_name(f".{latest.name}.{secrets.token_hex(4)}.link")
    try:
        os.symlink(Path(runs.name) / run_id, link)
    except OSError:  # no symbolic links here: the pointer file, written aside and renamed over, is as atomic
        atomic_write(latest, f"{POINTER_MAGIC}\n{runs.name}/{run_id}\n")
        return runs / run_id
    try:
        os.replace(link, latest)
    except BaseException:
        link.unlink(missing_ok=True)
        raise
    return latest
