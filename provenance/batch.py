"""Verify a folder of media on Dask: discovery by content, one report per file, resumable, with a summary.

Verification desks receive footage in bursts. ``run_batch`` finds every video, image and audio file under the
folders given (by magic bytes, then extension, then an FFmpeg probe: names lie), hashes them, verifies each
distinct SHA-256 once on a Dask cluster (a local cluster of processes by default, or an existing scheduler),
and writes one report per file plus ``summary.json``, ``summary.csv`` and ``index.html``. A file that cannot be
read becomes an error row; the batch goes on. A report already written for the same SHA-256 and pipeline
digest is reused, so a killed batch resumes where it stopped (reports are written atomically: a report that
exists is whole). Files that share footage with each other are grouped by their PDQ frame hashes.

The workers only read (media, workspace index); this process writes every report, summary and database row,
so the SQLite workspace has one writer and a remote cluster needs the media paths, not the output folder.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import datetime as dt
import io
import json
import logging
import os
import stat
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from jinja2 import Environment, select_autoescape

from provenance._version import __version__
from provenance.claims import Claim, ClaimStore, assess
from provenance.config import Pipeline, load_pipeline
from provenance.errors import ProvenanceError
from provenance.limits import LimitError, Limits, check_input
from provenance.media import display_path, sha256_file
from provenance.pipeline import verify
from provenance.report.model import Report
from provenance.report.writer import atomic_write, write_report
from provenance.visual.index import KnownImageryIndex
from provenance.workspace import Workspace

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

SUMMARY_SCHEMA = "provenance.batch/1"
ItemStatus = Literal["pending", "ok", "stage_error", "error"]
# verified: in this run; resumed: its report from an earlier run was reused; duplicate: same SHA-256 as
# another file of this batch (see duplicate_of); failed: no report.
Action = Literal["pending", "verified", "resumed", "duplicate", "failed"]
Phase = Literal["discover", "hash", "verify", "links", "done"]


class BatchError(ProvenanceError):
    """The batch cannot start (no such folder, nothing to verify, no cluster); one line for the user."""


# -- discovery ---------------------------------------------------------------------------------------------
_VIDEO_EXT = "mp4 m4v mov qt 3gp 3g2 mkv webm avi wmv asf flv f4v ts mts m2ts mpg mpeg vob ogv mxf dv"
_IMAGE_EXT = "jpg jpeg jpe png gif bmp tif tiff webp heic heif avif dng jp2"
_AUDIO_EXT = "mp3 m4a aac wav flac ogg oga opus wma amr aif aiff caf"
_EXTENSIONS = frozenset(f"{_VIDEO_EXT} {_IMAGE_EXT} {_AUDIO_EXT}".split())
_FTYP_STILL = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}


def sniff(head: bytes) -> str | None:
    """The container format the first bytes announce (magic numbers), or None when nothing media-like."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        return "heif" if brand in _FTYP_STILL else "m4a" if brand in (b"M4A ", b"M4B ") else "iso-bmff"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "quicktime"
    signatures = (
        (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
        (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"\x1aE\xdf\xa3", "matroska"), (b"FLV\x01", "flv"),
        (b"OggS", "ogg"), (b"fLaC", "flac"), (b"ID3", "mp3"), (b"#!AMR", "amr"), (b"caff", "caf"),
        (b"\x00\x00\x01\xba", "mpeg-ps"), (b"\x00\x00\x01\xb3", "mpeg-video"), (b"\x06\x0e\x2b\x34", "mxf"),
        (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "asf"), (b"\x00\x00\x00\x0cjP  ", "jpeg2000"),
    )
    for magic, name in signatures:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"AVI ": "avi", b"WAVE": "wav", b"WEBP": "webp"}.get(head[8:12])
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return "mpeg-ts"
    if len(head) >= 3 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # an audio frame sync
        version, layer, bitrate = (head[1] >> 3) & 3, (head[1] >> 1) & 3, head[2] >> 4
        if layer == 0 and head[1] & 0xF6 == 0xF0:
            return "aac-adts"
        if version != 1 and layer != 0 and bitrate not in (0, 15):
            return "mpeg-audio"
    return None


def _ffmpeg_recognises(path: Path) -> str | None:
    """A last resort for unknown binary files: does FFmpeg's prober find a video or audio stream?"""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            if c.streams.video or c.streams.audio:
                return f"ffmpeg:{c.format.name.split(',')[0]}"
    except Exception:  # any failure means "not media we recognise"
        return None
    return None


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
    Symlinked folders are not followed.
    """
    skip = {Path(p).resolve() for p in exclude}
    found = Discovery()
    seen: set[Path] = set()  # a folder given twice, or inside another one given, is walked once
    for root in map(Path, roots):
        if root.is_file():
            paths: Iterable[Path] = [root]
        elif root.is_dir():
            paths = _walk(root, skip)
        else:
            raise BatchError(f"{root}: no such file or folder")
        for path in paths:
            if path.absolute() in seen:
                continue
            seen.add(path.absolute())
            how = _identify(path)
            size = _size(path)
            if how is None:
                found.ignored.append(str(path))
            else:
                found.files.append(Candidate(path, size, how))
    return found


def _walk(root: Path, skip: set[Path]) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() not in skip)
        for name in sorted(files):
            if not name.startswith("."):
                yield here / name


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _identify(path: Path) -> str | None:
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
    except OSError:
        regular = False  # a broken or looping link: the extension decides, and hashing will report why
    head = b""
    if regular:  # never open a pipe or a device: the open itself can block for ever
        try:
            with path.open("rb") as fh:
                head = fh.read(512)
        except OSError:
            head = b""  # unreadable: the extension decides, and hashing will report why
    fmt = sniff(head)
    if fmt is not None:
        return f"signature:{fmt}"
    ext = path.suffix.lower().lstrip(".")
    if ext in _EXTENSIONS:
        return f"extension:.{ext}"
    if len(head) >= 512 and b"\x00" in head:  # binary, unknown signature: ask FFmpeg
        return _ffmpeg_recognises(path)
    return None


# -- options, rows and results -----------------------------------------------------------------------------
@dataclass
class LinkConfig:
    """When two files of a batch count as sharing footage (DESIGN: PDQ matching thresholds)."""

    max_distance: int = 31  # PDQ Hamming distance at or below which two frames match
    min_quality: int = 50  # frames flatter than this are ignored (they match anything flat)
    min_shared_frames: int = 2  # frames of each file that match the other; 1 when either is a still
    examples: int = 5  # matched frame times kept per link as evidence


@dataclass
class BatchOptions:
    out: Path = Path("reports")  # report folders and the summary files go here
    workers: int | None = None  # local worker processes; None: one per CPU core; 0: in this process (no Dask)
    threads_per_worker: int = 1  # one file at a time per process: decoders and Whisper bring their own threads
    scheduler: str | None = None  # address of an existing Dask scheduler (then ``workers`` is unused)
    claim: str | None = None  # claim id: assess every report against it and attach it as results arrive
    redo: bool = False  # verify again even where a report for the same SHA-256 and pipeline exists
    links: LinkConfig = field(default_factory=LinkConfig)
    checkpoint_s: float = 30.0  # rewrite the (incomplete) summary this often during a long batch


@dataclass
class BriefFinding:
    code: str
    severity: str
    message: str


@dataclass
class BatchItem:
    """One row of the summary: a file found, what happened to it, and what its report says."""

    path: str
    size_bytes: int = 0
    identified_by: str = ""
    status: ItemStatus = "pending"
    action: Action = "pending"
    sha256: str | None = None
    kind: str | None = None
    report: str | None = None  # report folder, relative to the output folder
    duplicate_of: str | None = None  # path of the file with the same SHA-256 that was verified
    top_match: str | None = None  # reference id of the best known-imagery match
    top_match_first_seen: str | None = None
    top_match_coverage: float | None = None
    capture_time: str | None = None
    language: str | None = None
    language_probability: float | None = None
    findings: list[BriefFinding] = field(default_factory=list)
    claim: dict[str, str] = field(default_factory=dict)  # check -> result, with --claim
    group: int | None = None  # shared-footage group (see BatchResult.groups)
    message: str | None = None  # why there is no report, or which stages failed
    seconds: float | None = None  # verification time on the worker


@dataclass
class Link:
    """Two files that share footage: how many frames of each matched the other, and where."""

    a: str
    b: str
    a_frames: int
    b_frames: int
    min_distance: int
    examples: list[tuple[float, float]] = field(default_factory=list)  # (time in a, time in b)


@dataclass
class Group:
    id: int
    members: list[str]
    links: list[Link] = field(default_factory=list)


@dataclass
class Counts:
    files: int = 0
    verified: int = 0
    resumed: int = 0
    duplicates: int = 0
    errors: int = 0  # files without a report
    stage_errors: int = 0  # reports where some stage failed
    ignored: int = 0  # files that are not media


@dataclass
class Progress:
    phase: Phase
    done: int
    total: int
    elapsed_s: float
    eta_s: float | None = None  # None until there is a rate to go by
    item: BatchItem | None = None  # the file just finished, in the verify phase


@dataclass
class BatchResult:
    items: list[BatchItem]
    groups: list[Group]
    ignored: list[str]
    counts: Counts
    out: Path
    summary: Path  # summary.json; summary.csv and index.html sit beside it
    elapsed_s: float
    scheduler: str

    @property
    def ok(self) -> bool:
        return all(i.status == "ok" for i in self.items)


# -- the worker side ---------------------------------------------------------------------------------------
@dataclass
class _Outcome:
    sha256: str
    report: Report | None = None
    error: str | None = None
    seconds: float = 0.0


# One index per worker process: its hash matrix loads once, not per file. Keyed by the index's content token,
# so a long-lived cluster notices references added between batches.
_INDEXES: dict[tuple[str, str], KnownImageryIndex] = {}


def verify_on_worker(path: str, sha256: str, pipeline: Pipeline, workspace_root: str, index_token: str) -> _Outcome:
    """Verify one file where it runs (a Dask worker, or this process); never raises."""
    started = time.perf_counter()
    try:
        key = (workspace_root, index_token)
        if key not in _INDEXES:
            _INDEXES.clear()
            _INDEXES[key] = KnownImageryIndex(Workspace(workspace_root))
        report = verify(path, pipeline=pipeline, index=_INDEXES[key])
        if report.media.sha256 != sha256:
            return _Outcome(sha256, error="the file changed during the batch", seconds=time.perf_counter() - started)
        return _Outcome(sha256, report=report, seconds=time.perf_counter() - started)
    except ProvenanceError as exc:
        return _Outcome(sha256, error=str(exc), seconds=time.perf_counter() - started)
    except Exception as exc:  # one bad file is one error row, never the end of the batch
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"
        return _Outcome(sha256, error=f"{type(exc).__name__}: {text}", seconds=time.perf_counter() - started)


def _index_token(index: KnownImageryIndex) -> str:
    import hashlib

    refs = [(r.id, r.sha256, r.frames) for r in index.list()]
    return hashlib.sha256(json.dumps(refs).encode()).hexdigest()[:16]


@dataclass
class _Task:
    path: str  # absolute, so workers anywhere on a shared filesystem find it
    sha256: str
    weight: float  # for the ETA: bytes plus a fixed per-file cost


_PER_FILE_WEIGHT = 2_000_000  # an image or a tiny clip still costs a probe, a decode and a report


@contextlib.contextmanager
def _dask_client(options: BatchOptions) -> Iterator[Client]:
    """A client of ``options.scheduler``, or of a local cluster of worker processes that closes with it."""
    from distributed import Client, LocalCluster

    if options.scheduler:
        try:
            client = Client(options.scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {options.scheduler}: {exc}") from exc
        with client:
            yield client
        return
    workers = options.workers if options.workers is not None else min(8, os.cpu_count() or 1)
    quiet = logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.ERROR
    with (
        _log_level("distributed", quiet),
        LocalCluster(n_workers=workers, threads_per_worker=options.threads_per_worker, processes=True,
                     dashboard_address=None, silence_logs=quiet) as cluster,
        Client(cluster) as client,
    ):
        yield client


@contextlib.contextmanager
def _log_level(name: str, level: int) -> Iterator[None]:
    """Dask narrates cluster start and stop at INFO; the user's terminal is for the progress line."""
    logger = logging.getLogger(name)
    saved = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(saved)


def _run_dask(client: Client, tasks: Sequence[_Task], submit_args: tuple) -> Iterator[_Outcome]:
    from distributed import as_completed

    pending = {}
    for task in tasks:
        future = client.submit(
            verify_on_worker, task.path, task.sha256, *submit_args,
            key=f"provenance-verify-{task.sha256[:16]}-{uuid.uuid4().hex[:8]}", pure=False,
            priority=int(task.weight // 1024),  # the scheduler keeps the largest-first order as well
        )
        pending[future] = task
    for future in as_completed(pending):
        task = pending.pop(future)
        try:
            outcome = future.result()
        except Exception as exc:  # the worker itself died on this file (a decoder crash) too often
            outcome = _Outcome(task.sha256, error=f"worker lost while verifying: {type(exc).__name__}: {exc}")
        future.release()
        yield outcome


def _run_here(tasks: Sequence[_Task], submit_args: tuple) -> Iterator[_Outcome]:
    for task in tasks:
        yield verify_on_worker(task.path, task.sha256, *submit_args)


# -- the batch ---------------------------------------------------------------------------------------------
def run_batch(
    roots: Sequence[str | Path] | str | Path,
    *,
    pipeline: Pipeline | str | Path | None = None,
    workspace: Workspace | str | Path | None = None,
    options: BatchOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> BatchResult:
    """Verify every media file under ``roots``; write reports and the summary into ``options.out``."""
    started = time.perf_counter()
    options = options or BatchOptions()
    pipeline = pipeline if isinstance(pipeline, Pipeline) else load_pipeline(pipeline)
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    out = Path(options.out)
    roots = [roots] if isinstance(roots, str | Path) else list(roots)
    claims = ClaimStore(ws)
    claim = claims.get(options.claim) if options.claim else None  # an unknown claim stops us before any work

    def progress(phase: Phase, done: int, total: int, eta: float | None = None, item: BatchItem | None = None):
        if on_progress is not None:
            on_progress(Progress(phase, done, total, round(time.perf_counter() - started, 3), eta, item))

    progress("discover", 0, 0)
    found = discover(roots, exclude=[out, ws.root])
    if not found.files:
        raise BatchError(f"no media files under {', '.join(map(str, roots))} ({len(found.ignored)} other files)")
    items = [BatchItem(path=str(c.path), size_bytes=c.size, identified_by=c.identified_by) for c in found.files]
    _hash_all(items, lambda done: progress("hash", done, len(items)), pipeline.limits)

    primary = _dedupe(items)
    existing = {} if options.redo else _existing_reports(out, pipeline.digest, set(primary))
    frames: dict[str, list[tuple[float, bytes]]] = {}
    run = _BatchRun(ws, roots, out, pipeline, options, claim)

    def finish(item: BatchItem, report: Report, folder: Path, action: Action) -> None:
        _fill(item, report, folder, out, action)
        frames[report.media.sha256] = _usable_frames(report, options.links.min_quality)
        if claim is not None:  # attach as results arrive: a stopped batch has attached what it finished
            section = report.claim if report.claim and report.claim.id == claim.id else assess(claim, report)
            item.claim = {a.check: a.result for a in section.assessment}
            claims.attach(claim.id, [(report, folder)])

    tasks = []
    for sha, item in primary.items():
        if sha in existing:
            folder, report = existing[sha]
            finish(item, report, folder, "resumed")
        else:
            tasks.append(_Task(str(Path(item.path).resolve()), sha, item.size_bytes + _PER_FILE_WEIGHT))

    tasks.sort(key=lambda t: -t.weight)  # largest first: the batch ends on short files, not on one long one
    total_weight = sum(t.weight for t in tasks)
    done_weight = 0.0
    progress("verify", 0, len(tasks))
    scheduler = "in-process" if tasks else "none (nothing new to verify)"
    submit_args = (pipeline, str(ws.root), _index_token(KnownImageryIndex(ws)))
    weights = {t.sha256: t.weight for t in tasks}
    with contextlib.ExitStack() as stack:
        if tasks and (options.scheduler or options.workers != 0):
            client = stack.enter_context(_dask_client(options))
            scheduler = options.scheduler or f"local cluster ({len(client.scheduler_info()['workers'])} workers)"
            outcomes = _run_dask(client, tasks, submit_args)
        else:
            outcomes = _run_here(tasks, submit_args)
        verify_started = last_checkpoint = time.perf_counter()  # the rate for the ETA starts with the workers
        try:
            for n, outcome in enumerate(outcomes, start=1):
                item = primary[outcome.sha256]
                item.seconds = round(outcome.seconds, 3)
                if outcome.report is not None:
                    _store(item, outcome.report, claim, out, finish)
                else:
                    item.status, item.action, item.message = "error", "failed", outcome.error
                done_weight += weights[outcome.sha256]
                rate = done_weight / max(1e-6, time.perf_counter() - verify_started)
                progress("verify", n, len(tasks), (total_weight - done_weight) / rate if rate else None, item)
                if time.perf_counter() - last_checkpoint > options.checkpoint_s:
                    last_checkpoint = time.perf_counter()
                    _write_summary(_result(items, [], found, out, started, scheduler), run, complete=False)
        except KeyboardInterrupt:  # leave a summary of what is done; the re-run resumes from the reports
            _write_summary(_result(items, [], found, out, started, scheduler), run, complete=False)
            raise

    for item in items:
        if item.action == "duplicate" and item.sha256 in primary:
            _copy_row(item, primary[item.sha256])
    progress("links", 0, len(frames))
    groups = link_files(frames, options.links, names={sha: item.path for sha, item in primary.items()})
    group_of = {m: g.id for g in groups for m in g.members}
    for item in items:
        item.group = group_of.get(item.duplicate_of or item.path)
    result = _result(items, groups, found, out, started, scheduler)
    _write_summary(result, run, complete=True)
    progress("done", len(items), len(items))
    return result


def _store(item: BatchItem, report: Report, claim: Claim | None, out: Path,
           finish: Callable[[BatchItem, Report, Path, Action], None]) -> None:
    """Write a fresh report (with the claim's assessment, if any); a report that cannot be written is an error row."""
    if claim is not None:
        report.claim = assess(claim, report)
    try:
        folder = write_report(report, out)
    except Exception as exc:  # e.g. a template failing on odd metadata: this file's problem, not the batch's
        log.debug("writing the report of %s failed", item.path, exc_info=True)
        item.status, item.action, item.message = "error", "failed", f"cannot write the report: {exc}"
        return
    finish(item, report, folder, "verified")


def _dedupe(items: list[BatchItem]) -> dict[str, BatchItem]:
    """The first file of each SHA-256; the others become duplicate rows pointing at it."""
    primary: dict[str, BatchItem] = {}
    for item in items:
        if item.sha256 is None:
            continue
        if item.sha256 in primary:
            item.action, item.duplicate_of = "duplicate", primary[item.sha256].path
        else:
            primary[item.sha256] = item
    return primary


def _hash_all(items: list[BatchItem], tick: Callable[[int], None], limits: Limits | None = None) -> None:
    """SHA-256 of every file (threads: hashlib releases the GIL while the disk works).

    Files that are not regular (pipes, devices: reading them can block for ever) and files over
    ``limits.max_file_bytes`` become error rows without being read.
    """
    hashable = []
    for item in items:
        name = display_path(Path(item.path).name)
        try:
            info = Path(item.path).stat()
            if not stat.S_ISREG(info.st_mode):
                what = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe, socket or device"
                raise LimitError(f"{name}: not a regular file ({what})")
            check_input(name, size=info.st_size, limits=limits)
        except LimitError as exc:
            item.status, item.action, item.message = "error", "failed", str(exc)
            continue
        except OSError as exc:
            item.status, item.action = "error", "failed"
            item.message = f"{name}: cannot read: {exc.strerror or exc}"
            continue
        hashable.append(item)
    done = len(items) - len(hashable)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(sha256_file, Path(item.path)): item for item in hashable}
        for n, future in enumerate(concurrent.futures.as_completed(futures), start=done + 1):
            item = futures[future]
            try:
                item.sha256 = future.result()
            except OSError as exc:
                item.status, item.action = "error", "failed"
                item.message = f"{display_path(Path(item.path).name)}: cannot read: {exc.strerror or exc}"
            tick(n)


def _existing_reports(out: Path, digest: str, wanted: set[str]) -> dict[str, tuple[Path, Report]]:
    """Reports in ``out`` for these SHA-256s made by the same pipeline (folder ``<stem>-<sha256[:12]>``)."""
    by_prefix = defaultdict(list)
    for sha in wanted:
        by_prefix[sha[:12]].append(sha)
    found: dict[str, tuple[Path, Report]] = {}
    if not out.is_dir():
        return found
    for folder in sorted(out.iterdir()):
        prefix = folder.name.rsplit("-", 1)[-1]
        if prefix not in by_prefix or not (folder / "report.json").is_file():
            continue
        try:
            data = json.loads((folder / "report.json").read_text())
            sha, this_digest = data["media"]["sha256"], data["pipeline"]["digest"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable or foreign: verify again
        if sha in by_prefix[prefix] and this_digest == digest and sha not in found:
            found[sha] = (folder, Report.from_dict(data))
    return found


def _fill(item: BatchItem, report: Report, folder: Path, out: Path, action: Action) -> None:
    item.action = action
    item.status = "stage_error" if report.errors else "ok"
    item.kind = report.media.kind
    item.report = folder.name if folder.parent.resolve() == out.resolve() else str(folder)
    if report.visual.matches:
        top = report.visual.matches[0]
        item.top_match, item.top_match_first_seen = top.reference_id, top.first_seen
        item.top_match_coverage = top.query_coverage
    item.capture_time = report.metadata.capture_time
    if report.audio.language is not None:
        item.language = report.audio.language.code
        item.language_probability = report.audio.language.probability
    item.findings = [BriefFinding(f.code, f.severity, f.message) for f in report.findings]
    item.message = "; ".join(f"{e.stage} stage: {e.message}" for e in report.errors) or None


def _copy_row(item: BatchItem, source: BatchItem) -> None:
    keep = {"path", "size_bytes", "identified_by", "action", "duplicate_of", "seconds"}
    for name, value in vars(source).items():
        if name not in keep:
            setattr(item, name, value)
    item.seconds = None


def _usable_frames(report: Report, min_quality: int) -> list[tuple[float, bytes]]:
    return [(f.t, bytes.fromhex(f.pdq)) for f in report.visual.frames if f.quality >= min_quality and f.pdq]


def _result(items: list[BatchItem], groups: list[Group], found: Discovery, out: Path, started: float,
            scheduler: str) -> BatchResult:
    counts = Counts(
        files=len(items),
        verified=sum(i.action == "verified" for i in items),
        resumed=sum(i.action == "resumed" for i in items),
        duplicates=sum(i.action == "duplicate" for i in items),
        errors=sum(i.status == "error" for i in items),
        stage_errors=sum(i.status == "stage_error" for i in items),
        ignored=len(found.ignored),
    )
    return BatchResult(items, groups, found.ignored, counts, out, out / "summary.json",
                       round(time.perf_counter() - started, 3), scheduler)


# -- shared footage ----------------------------------------------------------------------------------------
def link_files(
    frames: Mapping[str, Sequence[tuple[float, bytes]]],
    config: LinkConfig | None = None,
    *,
    names: Mapping[str, str] | None = None,
) -> list[Group]:
    """Group files whose usable frames match each other (exact Hamming scan over all frames of the batch).

    ``frames`` maps a file key to its (time, 32-byte PDQ) frames, already filtered by quality. Two files are
    linked when at least ``min_shared_frames`` frames of each match some frame of the other (one when either
    has a single frame: a still); groups are the connected components, largest first. Cost grows with the
    square of the batch's frame count: about 10^5 frames (a thousand clips) takes a minute on two cores.
    """
    config = config or LinkConfig()
    names = names or {}
    keys = [k for k, v in frames.items() if v]
    if len(keys) < 2:
        return []
    hashes = np.frombuffer(b"".join(h for k in keys for _t, h in frames[k]), dtype=">u8").astype(np.uint64)
    hashes = hashes.reshape(-1, 4)
    owner = np.concatenate([np.full(len(frames[k]), i, dtype=np.int32) for i, k in enumerate(keys)])
    times = np.array([t for k in keys for t, _h in frames[k]], dtype=np.float64)
    n = len(hashes)
    block = max(1, 2_000_000 // n)
    hits: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)  # (file a<b) -> rows, dist
    for start in range(0, n, block):
        stop = min(n, start + block)
        dist = np.bitwise_count(hashes[start:stop, None, :] ^ hashes[None, start:, :]).sum(axis=2, dtype=np.int16)
        rows, cols = np.nonzero(dist <= config.max_distance)
        rows_abs, cols_abs = rows + start, cols + start
        other = owner[rows_abs] != owner[cols_abs]
        for r, c, d in zip(rows_abs[other], cols_abs[other], dist[rows[other], cols[other]], strict=True):
            a, b = (r, c) if owner[r] < owner[c] else (c, r)
            hits[(int(owner[a]), int(owner[b]))].append((int(a), int(b), int(d)))

    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links: list[tuple[int, int, Link]] = []
    for (ia, ib), pairs in sorted(hits.items()):
        a_rows, b_rows = {p[0] for p in pairs}, {p[1] for p in pairs}
        still = min(len(frames[keys[ia]]), len(frames[keys[ib]])) == 1
        need = 1 if still else config.min_shared_frames
        if min(len(a_rows), len(b_rows)) < need:
            continue
        best: dict[int, tuple[int, int]] = {}
        for a, b, d in pairs:  # per frame of a, its closest frame of b
            if a not in best or d < best[a][1]:
                best[a] = (b, d)
        examples = [(round(float(times[a]), 2), round(float(times[b]), 2)) for a, (b, _d) in sorted(best.items())]
        links.append((ia, ib, Link(
            a=names.get(keys[ia], keys[ia]), b=names.get(keys[ib], keys[ib]), a_frames=len(a_rows),
            b_frames=len(b_rows), min_distance=min(p[2] for p in pairs),
            examples=examples[: config.examples],
        )))
        parent[root(ia)] = root(ib)

    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(keys)):
        members[root(i)].append(i)
    components = sorted((m for m in members.values() if len(m) > 1),
                        key=lambda m: (-len(m), min(names.get(keys[i], keys[i]) for i in m)))
    groups = []
    for gid, comp in enumerate(components, start=1):
        inside = set(comp)
        groups.append(Group(
            id=gid,
            members=sorted(names.get(keys[i], keys[i]) for i in comp),
            links=[link for ia, _ib, link in links if ia in inside],
        ))
    return groups


# -- the summary -------------------------------------------------------------------------------------------
class _BatchRun:
    """The batch's row in the workspace database: started now, finished (with counts) by the summary."""

    def __init__(self, ws: Workspace, roots: Sequence[str | Path], out: Path, pipeline: Pipeline,
                 options: BatchOptions, claim: Claim | None) -> None:
        self.ws, self.pipeline, self.claim = ws, pipeline, claim
        self.roots = [str(r) for r in roots]  # as given, like the rows' paths
        self.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        conn = ws.connect()
        try:
            with conn:
                self.id = conn.execute(
                    "INSERT INTO batch_run (started_at, roots, out, pipeline, pipeline_digest, scheduler, claim_id)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (self.started_at, json.dumps([str(Path(r).resolve()) for r in roots]), str(out.resolve()),
                     pipeline.name, pipeline.digest, options.scheduler or "local", claim.id if claim else None),
                ).lastrowid
        finally:
            conn.close()

    def finish(self, counts: Counts) -> None:
        conn = self.ws.connect()
        try:
            with conn:
                conn.execute("UPDATE batch_run SET finished_at = ?, counts = ? WHERE id = ?",
                             (dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), json.dumps(asdict(counts)),
                              self.id))
        finally:
            conn.close()


def summary_dict(result: BatchResult, run: _BatchRun, *, complete: bool) -> dict:
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
    })
    assert isinstance(data, dict)
    return data


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
    "top_match_coverage", "capture_time", "language", "language_probability", "findings", "warnings", "group",
    "claim", "message", "seconds",
]


def summary_csv(result: BatchResult) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=_CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for item in result.items:
        row = {k: _printable(v) for k, v in asdict(item).items() if k in _CSV_COLUMNS}
        row["findings"] = ";".join(f.code for f in item.findings)
        row["warnings"] = sum(f.severity == "warning" for f in item.findings)
        row["claim"] = ";".join(f"{k}={v}" for k, v in item.claim.items())
        w.writerow(row)
    return buf.getvalue()


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>provenance batch: {{ s.counts.files }} files</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f4f4f4}
.ok{color:#176117}.stage_error{color:#8a5a00}.error{color:#a11}.warning{color:#a11}.notice{color:#8a5a00}
.info{color:#555}.muted{color:#777}code{font-size:12px}.f{display:inline-block;margin-right:.4em}
</style></head><body>
<h1>Batch summary</h1>
<p>{{ s.counts.files }} files: {{ s.counts.verified }} verified, {{ s.counts.resumed }} from earlier reports,
{{ s.counts.duplicates }} duplicates, {{ s.counts.errors }} without a report, {{ s.counts.stage_errors }} with a
failed stage; {{ s.counts.ignored }} other files ignored. Pipeline <code>{{ s.pipeline.name }}</code>,
{{ s.scheduler }}, {{ s.elapsed_s }} s{% if s.claim %}, claim <code>{{ s.claim }}</code>{% endif %}.
{% if not s.complete %}<strong>Incomplete: the batch is still running or was stopped.</strong>{% endif %}</p>
<table><thead><tr><th>file</th><th>status</th><th>kind</th><th>top match</th><th>capture time</th>
<th>language</th><th>findings</th><th>group</th>{% if s.claim %}<th>claim</th>{% endif %}</tr></thead><tbody>
{% for f in s.files %}<tr>
<td>{% if f.report %}<a href="{{ f.report }}/report.html">{{ f.path }}</a>{% else %}{{ f.path }}{% endif %}
{% if f.duplicate_of %}<div class="muted">same file as {{ f.duplicate_of }}</div>{% endif %}</td>
<td class="{{ f.status }}">{{ f.status }}<div class="muted">{{ f.action }}</div>
{% if f.message %}<div class="muted">{{ f.message }}</div>{% endif %}</td>
<td>{{ f.kind or "" }}</td>
<td>{% if f.top_match %}{{ f.top_match }}<div class="muted">first seen {{ f.top_match_first_seen or "unknown" }},
{{ "%.0f"|format(100 * f.top_match_coverage) }}% of frames</div>{% endif %}</td>
<td>{{ f.capture_time or "" }}</td>
<td>{% if f.language %}{{ f.language }} <span class="muted">{{ "%.2f"|format(f.language_probability) }}</span>
{% endif %}</td>
<td>{% for x in f.findings if x.severity != "info" %}<span class="f {{ x.severity }}" title="{{ x.message }}">
{{ x.code }}</span>{% endfor %}</td>
<td>{{ f.group or "" }}</td>
{% if s.claim %}<td>{% for k, v in f.claim.items() %}<div>{{ k }}: <b>{{ v }}</b></div>{% endfor %}</td>{% endif %}
</tr>{% endfor %}</tbody></table>
{% if s.groups %}<h2>Files that share footage</h2>
{% for g in s.groups %}<h3>Group {{ g.id }}</h3><ul>
{% for l in g.links %}<li>{{ l.a }} ↔ {{ l.b }}: {{ l.a_frames }} / {{ l.b_frames }} frames match, best PDQ distance
{{ l.min_distance }}; e.g. {% for a, b in l.examples %}{{ a }} s ↔ {{ b }} s{% if not loop.last %}, {% endif %}
{% endfor %}</li>{% endfor %}</ul>{% endfor %}{% endif %}
</body></html>
"""
_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _write_summary(result: BatchResult, run: _BatchRun, *, complete: bool) -> None:
    data = summary_dict(result, run, complete=complete)
    atomic_write(result.out / "summary.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    atomic_write(result.out / "summary.csv", summary_csv(result))
    atomic_write(result.out / "index.html", _env.from_string(_HTML).render(s=data))
    if complete:
        run.finish(result.counts)


__all__ = [
    "BatchError", "BatchItem", "BatchOptions", "BatchResult", "Candidate", "Counts", "Discovery", "Group", "Link",
    "LinkConfig", "Progress", "discover", "link_files", "run_batch", "sniff",
]
