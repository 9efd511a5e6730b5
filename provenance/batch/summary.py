"""The batch's records: its row in the workspace database, and ``summary.json``, ``summary.csv`` and ``index.html``.

The summary files are rewritten whole (atomically) at each checkpoint and at the end; ``complete`` tells them
apart. The overview page is the autoescaped template ``templates/index.html.j2``: file names and metadata are
untrusted text.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from provenance._version import __version__
from provenance.batch.model import BatchOptions, BatchResult, Counts
from provenance.claims import SIGNED_WORDS, Claim
from provenance.config import Pipeline
from provenance.dossier import RESULT_SHORT, check_words, file_pictures, finding_words
from provenance.errors import ProvenanceError
from provenance.media import display_path
from provenance.report.integrity import read_verified, report_file
from provenance.report.writer import atomic_write
from provenance.safetext import csv_cell, finalize_printable, terminal
from provenance.sniff import why_ignored
from provenance.workspace import Workspace, WorkspaceError

log = logging.getLogger(__name__)

SUMMARY_SCHEMA = "provenance.batch/1"


class BatchRun:
    """The batch's row in the workspace database (table ``batch_run``): started now, finished with its counts."""

    def __init__(self, ws: Workspace, roots: Sequence[str | Path], out: Path, pipeline: Pipeline,
                 options: BatchOptions, claim: Claim | None) -> None:
        self.ws, self.pipeline, self.claim = ws, pipeline, claim
        self.roots = [str(r) for r in roots]  # as given, like the rows' paths
        self.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        # a read-only workspace (an archive on a read-only mount) is read, not written: the batch verifies against
        # its index and writes only into --out; it keeps no row there (batch_id null; issue 12 round D8)
        self.id: int | None = None
        if ws.read_only:
            keep_earlier_summary(out)
            return
        with ws.transaction() as conn:
            self.id = conn.execute(
                "INSERT INTO batch_run (started_at, roots, out, pipeline, pipeline_digest, scheduler, claim_id)"
                " VALUES (?,?,?,?,?,?,?)",
                (self.started_at, json.dumps([str(Path(r).resolve()) for r in roots]), str(out.resolve()),
                 pipeline.name, pipeline.digest, options.scheduler or "local", claim.id if claim else None),
            ).lastrowid

        keep_earlier_summary(out)

    def finish(self, counts: Counts) -> None:
        if self.id is None:  # a read-only workspace: no row to finish
            return
        with self.ws.transaction() as conn:
            conn.execute("UPDATE batch_run SET finished_at = ?, counts = ? WHERE id = ?",
                         (dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), json.dumps(asdict(counts)), self.id))


SUMMARY_FILES = ("summary.json", "summary.csv", "index.html")


def keep_earlier_summary(out: Path) -> Path | None:
    """Move an earlier batch's summary files out of the way before this batch writes its own: into
    ``out/summaries/<its started_at>-<its batch_id>/`` (outputs are never overwritten). The reports stay where
    they are: summary.json and summary.csv name them relative to ``out``, and the moved index.html's links do
    not resolve from its new folder. Returns the folder, or None when there was nothing to keep."""
    earlier = out / "summary.json"
    if not earlier.is_file():
        return None
    try:
        data = json.loads(earlier.read_text(encoding="utf-8"))
        stamp = f"{data.get('started_at', '')}-{data.get('batch_id', '')}"
    except (OSError, ValueError, AttributeError):
        stamp = ""
    stamp = re.sub(r"[^0-9A-Za-z_-]+", "", stamp) or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    folder = out / "summaries" / stamp
    n = 2
    while folder.exists():
        folder, n = out / "summaries" / f"{stamp}-{n}", n + 1
    folder.mkdir(parents=True)
    for name in SUMMARY_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.rename(out / name, folder / name)
    return folder


def summary_dict(result: BatchResult, run: BatchRun, *, complete: bool) -> dict:
    """The content of ``summary.json`` (schema ``provenance.batch/1``)."""
    data = _printable({
        "schema": SUMMARY_SCHEMA,
        "tool": {"name": "provenance", "version": __version__},
        "batch_id": run.id,
        "started_at": run.started_at,
        "complete": complete,  # false: a checkpoint of a batch still running (or killed)
        "roots": run.roots,
        "pipeline": {"name": run.pipeline.name, "digest": run.pipeline.digest},
        "scheduler": result.scheduler,
        "claim": run.claim.id if run.claim else None,
        "elapsed_s": result.elapsed_s,
        "counts": asdict(result.counts),
        "files": [asdict(i) for i in result.items],
        "groups": [asdict(g) for g in result.groups],
        "ignored": result.ignored,
        "ignored_why": {path: _why_ignored(path) for path in result.ignored},
    })
    assert isinstance(data, dict)
    return data


@functools.lru_cache(maxsize=65536)
def _why_ignored(path: str) -> str:
    """Why a file was not verified (``sniff.why_ignored``: first bytes only); cached, as checkpoints rebuild the
    summary while a batch runs."""
    return why_ignored(Path(path))


def _printable(value: object) -> object:
    """Every string as UTF-8-safe text: file names that are not UTF-8 carry lone surrogates until here."""
    if isinstance(value, str):
        return display_path(value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


_CSV_COLUMNS = [
    "path", "status", "action", "kind", "sha256", "report", "duplicate_of", "top_match", "top_match_first_seen",
    "top_match_coverage", "top_match_s", "duration_s", "capture_time", "language", "language_probability",
    "language_strength", "findings", "warnings", "group",
    "claim", "message", "seconds", "refused", "stale", "fingerprint_refused", "not_attached", "origin",
]


def summary_csv(result: BatchResult) -> str:
    """``summary.csv``: one row per file; findings and claim results joined with ``;``; formula cells neutralised,
    control characters escaped (``\\xNN``)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=_CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for item in result.items:
        row = {k: _printable(v) for k, v in asdict(item).items() if k in _CSV_COLUMNS}
        row["findings"] = ";".join(f.code for f in item.findings)
        row["warnings"] = sum(f.severity == "warning" for f in item.findings)
        row["claim"] = ";".join(f"{k}={v}" for k, v in item.claim.items())
        # escaped as the terminal escapes them: a viewer (`cat`, `less -r`) must not run an ESC or BEL in a path
        w.writerow({k: csv_cell(terminal(v) if isinstance(v, str) else v) for k, v in row.items()})
    return buf.getvalue()


_env = Environment(  # the batch's own templates, and the parts it shares with the claim dossier (issue 17)
    loader=ChoiceLoader([PackageLoader("provenance.batch", "templates"),
                         PackageLoader("provenance.report", "templates")]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    finalize=finalize_printable,  # a file name holding ESC or BEL must not reach whoever `cat`s the page
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(check_words=check_words, finding_words=finding_words, RESULT_SHORT=RESULT_SHORT,
                    ORIGIN_WORDS=SIGNED_WORDS,
                    STATUS_WORDS={"ok": "verified", "stage_error": "report written, a stage failed",
                                  "error": "no report", "pending": "waiting"},
                    ACTION_WORDS={"verified": "verified now", "resumed": "report from an earlier run",
                                  "rematched": "matched again against the changed index (not decoded again)",
                                  "duplicate": "same file as another", "failed": "", "pending": ""})


def thumbnails(result: BatchResult) -> dict[str, str]:
    """Report folder -> a data URI of the file's picture (its first matched clip frame, else its first sampled
    frame), from reports that pass their integrity check (``dossier.file_pictures``); none for the others."""
    out: dict[str, str] = {}
    for item in result.items:
        if not item.report or item.report in out:
            continue
        folder = result.out / item.report if not Path(item.report).is_absolute() else Path(item.report)
        try:
            folder = report_file(folder).parent
            data = read_verified(folder / "report.json")
        except (OSError, ProvenanceError):
            continue
        pictures = file_pictures(folder, data)
        first = pictures.pairs[min(pictures.pairs)][0] if pictures.pairs else None
        if first or pictures.first_frame:
            out[item.report] = first or pictures.first_frame or ""
    return out


def render_overview(data: dict, thumbs: dict[str, str] | None = None) -> str:
    """``index.html`` from ``summary.json``'s content and the files' pictures (none at a checkpoint)."""
    return _env.get_template("index.html.j2").render(s=data, thumbs=thumbs or {})


def write_summary(result: BatchResult, run: BatchRun, *, complete: bool) -> None:
    """Write the three summary files into ``result.out``; when ``complete``, also close the database row. The
    overview's pictures are read from the verified reports at the end only (a checkpoint skips them)."""
    data = summary_dict(result, run, complete=complete)
    atomic_write(result.out / "summary.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    atomic_write(result.out / "summary.csv", summary_csv(result))
    atomic_write(result.out / "index.html", render_overview(data, thumbnails(result) if complete else None))
    if complete:
        try:
            run.finish(result.counts)
        except WorkspaceError as exc:  # locked or full now: the summary files above are the batch's record
            log.warning("provenance: warning: the batch's row in the workspace was not closed (%s); its summary is "
                        "in %s", exc, result.out / "summary.json")
