"""``provenance batch``: argument parsing, the progress line and the closing summary; the work is in ``batch``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from provenance.batch import BatchItem, BatchOptions, BatchResult, Progress
from provenance.cli_common import (
    add_pipeline_args,
    add_sign_arg,
    global_options,
    open_workspace,
    pipeline_from_args,
    refuse_url,
)
from provenance.errors import ProvenanceError
from provenance.report.integrity import UNSIGNED_WHY
from provenance.safetext import terminal
from provenance.workspace import locate

EXIT_OK, EXIT_SOME_FAILED, EXIT_NO_REPORT = 0, 1, 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = sub.add_parser("batch", parents=[global_options(1)],
                       help="verify every media file under folders (Dask), resumable",
                       description="Verify every video, image and audio file under DIR (found by content), one "
                       "report each, plus summary.json, summary.csv and index.html in --out. Re-running skips "
                       "files already reported with the same pipeline, so a stopped batch resumes.")
    b.add_argument("dirs", nargs="+", metavar="DIR", help="folders (or files) to verify")
    add_pipeline_args(b)
    b.add_argument("--claim", metavar="ID", help="assess every report against this claim and attach it")
    b.add_argument("--replace", action="store_true",
                   help="with --claim: replace the claim's signed reports of these files even by reports signed "
                        "otherwise or unsigned (as claim attach --replace)")
    b.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default ./reports)")
    b.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: one per CPU core, at most 8; 0: in this process, no Dask)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786); its "
                   "workers must have provenance installed and see the media paths and the workspace")
    b.add_argument("--shards", type=int, metavar="N", default=0,
                   help="split the known-imagery index by reference into N shards held by the Dask workers (each "
                        "loaded once), every file's search fanned out to them: the same matches as one index, for "
                        "an index too large for one worker (default 0: every worker holds the whole index)")
    add_sign_arg(b)
    b.add_argument("--redo", action="store_true", help="verify again files that already have a report")
    b.add_argument("--json", action="store_true", help="print summary.json to stdout")
    b.add_argument("--quiet", action="store_true", help="no progress on stderr")
    b.set_defaults(handler=_batch)


def _batch(args: argparse.Namespace) -> int:
    for text in args.dirs:
        refuse_url(text, "batch")
    args.dirs = [Path(text) for text in args.dirs]
    if args.workers is not None and args.workers < 0:
        raise ValueError("--workers must be 0 or more")
    if args.shards < 0:
        raise ValueError("--shards must be 0 or more")
    if args.shards and args.workers == 0:
        raise ValueError("--shards N holds the shards on Dask workers: it needs a cluster, not --workers 0")
    if args.workers is not None and args.scheduler:
        raise ValueError("--workers starts a local cluster; --scheduler uses an existing one: give one of them")
    if args.scheduler and not locate(args.workspace).exists:
        raise ProvenanceError("--scheduler: the cluster's workers read the index from a workspace they can see, and "
                              "there is none here; create one (`provenance index add FILE...`) or name it with "
                              "--workspace DIR")
    options = BatchOptions(out=args.out, workers=args.workers, scheduler=args.scheduler, claim=args.claim,
                           redo=args.redo, sign=args.sign, replace=args.replace, shards=args.shards)
    from provenance.batch import run_batch  # Dask, PyAV, FAISS: loaded by the command that runs them

    bar = None if args.quiet else ProgressLine(sys.stderr)
    try:
        workspace = open_workspace(args, "optional", claim=args.claim)
        result = run_batch(args.dirs, pipeline=pipeline_from_args(args), workspace=workspace,
                           options=options, on_progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        sys.stdout.write(result.summary.read_text())
    else:
        print_result(result, sys.stdout)
    if args.claim:  # once for the whole batch, not per file
        from provenance.cli_claim import refresh_dossier

        refresh_dossier(workspace, args.claim)
    if result.counts.files == result.counts.errors:
        return EXIT_NO_REPORT
    return EXIT_OK if result.ok else EXIT_SOME_FAILED


def print_result(result: BatchResult, out: TextIO) -> None:
    c = result.counts
    rematched = f"{c.rematched} re-matched against the changed index, " if c.rematched else ""
    files, other = ("file" if c.files == 1 else "files"), ("file" if c.ignored == 1 else "files")
    print(f"{c.files} {files}: {c.verified} verified, {rematched}{c.resumed} already reported, {c.duplicates} "
          f"duplicates; {c.errors} without a report, {c.stage_errors} with a failed stage; {c.ignored} other {other} "
          f"ignored ({result.elapsed_s:.1f} s, {result.scheduler})", file=out)
    for item in result.items:
        if item.status in ("error", "stage_error"):
            print(f"  {describe(item)}: {terminal(item.path)}: {terminal(_without_path(item.message, item.path))}",
                  file=out)
        if item.refused:
            print(f"  earlier report refused, verified again: {terminal(item.refused)}", file=out)
        if item.not_attached:
            print(f"  not attached to the claim: {terminal(item.not_attached)}", file=out)
        if item.action == "rematched" and item.stale:
            print(f"  re-matched without decoding ({terminal(item.stale)}): {terminal(item.path)}", file=out)
        elif item.fingerprint_refused and item.action != "duplicate":
            print(f"  verified again ({terminal(item.stale or 'stale report')}; stored fingerprint not used: "
                  f"{terminal(item.fingerprint_refused)}): {terminal(item.path)}", file=out)
    unsigned = [i for i in result.items if i.action == "resumed" and i.origin == "unsigned"]
    if unsigned:
        n = len(unsigned)
        print(f"  {n} earlier report{'' if n == 1 else 's'} reused {'is' if n == 1 else 'are'} unsigned "
              f"({UNSIGNED_WHY}); --redo verifies again, --sign signs what it writes", file=out)
    for group in result.groups:
        via = sorted({link.via for link in group.links if link.via})  # linked through the index, not their frames
        # "both" for a group of three read as if one file were left out (issue 12 round 8, L2)
        each = "both" if len(group.members) == 2 else f"all {len(group.members)}"
        through = f" ({each} showing known imagery {terminal('; '.join(via))})" if via else ""
        print(f"  shared footage, group {group.id}: {terminal(', '.join(group.members))}{through}", file=out)
    folder = result.summary.parent
    print(f"summary: {folder / 'summary.json'}, {folder / 'summary.csv'}, {folder / 'index.html'}", file=out)


_WORDS = {"ok": "verified", "stage_error": "report written, a stage failed", "error": "no report",
          "pending": "waiting", "resumed": "already reported", "duplicate": "same file as another",
          "rematched": "re-matched"}


def describe(item: BatchItem) -> str:
    """A file's outcome for people (summary.json keeps the status and action words)."""
    if item.action in ("resumed", "duplicate", "rematched") and item.status != "error":
        return _WORDS[item.action]
    return _WORDS.get(item.status, item.status.replace("_", " "))


def _without_path(message: str, path: str) -> str:
    """The reason alone: messages from ingest start with the file's name, which the line already shows (the
    workers get absolute paths, and a link is opened as its target: those names are dropped too)."""
    try:
        target = Path(path).resolve()
    except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13): no target to drop
        target = Path(path)
    for prefix in (path, str(target), Path(path).name, target.name):
        if message.startswith(prefix + ": "):
            return message[len(prefix) + 2:]
    return message


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressLine:
    """Progress with ETA on stderr: one redrawn line on a terminal, one line per finished file in a log."""

    width = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._drawn = False
        self._rematching = 0  # earlier reports matched again this run (the "rematch" phase's total)

    def __call__(self, p: Progress) -> None:
        if p.phase == "rematch" and p.item is None:
            self._rematching = p.total
            if p.total:
                self._line(f"matching {p.total} earlier reports again: the index changed since they were made",
                           final=True)
        elif p.phase == "rematch":
            item = p.item
            took = f" ({item.seconds:.1f} s)" if item and item.seconds is not None else ""
            word = describe(item) if item and item.action != "pending" else "to verify in full (fingerprint not used)"
            self._line(f"[{p.done}/{p.total}] {word} {terminal(Path(item.path).name) if item else ''}{took}",
                       final=True)
        elif p.phase == "verify" and p.item is None:
            files = f"{p.total} file{'' if p.total == 1 else 's'}"
            # a re-run that only matched earlier reports again did work: "nothing new to verify" read as if it
            # had not (issue 12 round D11)
            n = self._rematching
            idle = (f"nothing to decode: {'the file was' if n == 1 else f'all {n} files were'} re-matched from "
                    "their stored frames"
                    if self._rematching else "nothing new to verify")
            self._line(f"verifying {files}" if p.total else idle, final=True)
        elif p.phase == "verify":
            share = p.done / max(1, p.total)
            item = p.item
            name = terminal(Path(item.path).name) if item else ""
            status = describe(item) if item else ""
            if self.tty:
                filled = int(share * self.width)
                bar = "#" * filled + "-" * (self.width - filled)
                self._line(f"[{bar}] {p.done}/{p.total} {share:4.0%}  {_clock(p.elapsed_s)} elapsed, "
                           f"ETA {_clock(p.eta_s)}  {status} {name}"[:120])
            else:
                took = f" ({item.seconds:.1f} s)" if item and item.seconds is not None else ""
                self._line(f"[{p.done}/{p.total}] {share:4.0%} {status} {name}{took}, ETA {_clock(p.eta_s)}",
                           final=True)
        elif p.phase == "hash" and self.tty:
            self._line(f"hashing {p.done}/{p.total}")
        elif p.phase == "links":
            self._line("grouping files that share footage", final=True)

    def _line(self, text: str, final: bool = False) -> None:
        if self.tty:  # the carriage return and erase are ours; the text (a file name) goes through the filter
            getattr(self.stream, "unfiltered", self.stream).write("\r\033[K")
            self.stream.write(text + ("\n" if final else ""))
            self._drawn = not final
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
