"""Running a batch: hashing, resuming from earlier reports, verifying on Dask (or in this process), the rows.

The workers only read (media, workspace index) and return reports; this process writes every report, summary and
database row, so the SQLite workspace has one writer and a remote cluster needs the media paths, not the output
folder. Reports are written atomically: a report that exists is whole, so a killed batch resumes from them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import pickle
import socket
import stat
import time
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.audio.languages import language_strength
from provenance.batch.discovery import Discovery, discover
from provenance.batch.links import Span, link_files, reference_spans, usable_frames
from provenance.batch.model import (
    Action,
    BatchError,
    BatchItem,
    BatchOptions,
    BatchResult,
    BriefFinding,
    Counts,
    Group,
    Phase,
    Progress,
)
from provenance.batch.rematch import rematch, stale_reason
from provenance.batch.summary import BatchRun, write_summary
from provenance.claims import Claim, ClaimError, ClaimStore, NotAttached, report_signed_as, signed_as
from provenance.config import Pipeline, load_pipeline
from provenance.errors import ProvenanceError
from provenance.limits import LimitError, Limits, check_input
from provenance.media import display_path, sha256_file
from provenance.pipeline import verify
from provenance.report.integrity import (
    IntegrityError,
    PublicKey,
    public_key_of,
    read_verified,
    report_file,
    write_key,
)
from provenance.report.model import IndexState, Report
from provenance.service import attach_to_claim, write_to_folder
from provenance.threads import WORKERS_ENV, user_setting, worker_environment
from provenance.visual.index import KnownImageryIndex
from provenance.visual.sharded import ShardedIndex, ShardPlan, dask_shards, plan
from provenance.visual.store import FingerprintError
from provenance.visual.wording import coverage
from provenance.workspace import Workspace, WorkspaceError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from distributed import Client

log = logging.getLogger(__name__)
timeline = logging.getLogger(f"{__name__}.timeline")  # which file ran where and when (benchmarks/bench_batch.py)


# -- the worker side ---------------------------------------------------------------------------------------
@dataclass
class _Outcome:
    sha256: str
    report: Report | None = None
    error: str | None = None
    seconds: float = 0.0
    worker: str = ""  # host:pid of the process that verified it, and when (epoch s): the batch's timeline at DEBUG
    started_at: float = 0.0


# One index per worker process: its hash matrix loads once, not per file. Keyed by the index's content token,
# so a long-lived cluster notices references added between batches.
_INDEXES: dict[tuple[str, str, tuple | None], KnownImageryIndex] = {}


def verify_on_worker(path: str, sha256: str, pipeline: Pipeline, workspace_root: str, index_token: str,
                     shards: tuple[ShardPlan, list] | None = None) -> _Outcome:
    """Verify one file where it runs (a Dask worker, or this process); never raises.

    ``shards``: the shard plan and the Dask actors holding the shards (``batch --shards``): the file's searches
    go to them (``visual.sharded.ShardedIndex``), the rest of matching reads the workspace here as always.
    """
    started, started_at = time.perf_counter(), time.time()
    outcome = _verify_here(path, sha256, pipeline, workspace_root, index_token, shards, started)
    outcome.worker, outcome.started_at = f"{socket.gethostname()}:{os.getpid()}", started_at
    return outcome


def _verify_here(path: str, sha256: str, pipeline: Pipeline, workspace_root: str, index_token: str,
                 shards: tuple[ShardPlan, list] | None, started: float) -> _Outcome:
    try:
        key = (workspace_root, index_token, tuple(a.key for a in shards[1]) if shards else None)
        if key not in _INDEXES:
            _INDEXES.clear()
            if shards is None:
                _INDEXES[key] = KnownImageryIndex(Workspace(workspace_root))
            else:
                min_quality = pipeline.stages["visual"].matching.min_quality
                # handles made again here, in the task's thread, where they bind to this worker: stages run in
                # threads of their own, which Dask does not know as a worker's
                actors = [pickle.loads(pickle.dumps(a)) for a in shards[1]]
                _INDEXES[key] = ShardedIndex(Workspace(workspace_root), shards[0], actors, min_quality=min_quality)
        report = verify(path, pipeline=pipeline, index=_INDEXES[key])
        if report.media.sha256 != sha256:
            return _Outcome(sha256, error="the file changed during the batch", seconds=time.perf_counter() - started)
        return _Outcome(sha256, report=report, seconds=time.perf_counter() - started)
    except ProvenanceError as exc:
        return _Outcome(sha256, error=str(exc), seconds=time.perf_counter() - started)
    except Exception as exc:  # one bad file is one error row, never the end of the batch
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"
        return _Outcome(sha256, error=f"{type(exc).__name__}: {text}", seconds=time.perf_counter() - started)


def _index_token(state: IndexState) -> str:
    """Names the indexed frames a worker's cached search tables hold (metadata is read per match, not cached)."""
    return f"{state.workspace}-{state.generation}"


@dataclass
class _Task:
    path: str  # absolute, so workers anywhere on a shared filesystem find it
    sha256: str
    weight: float  # for the ETA: bytes plus a fixed per-file cost


_PER_FILE_WEIGHT = 2_000_000  # an image or a tiny clip still costs a probe, a decode and a report


def dask_client(options: BatchOptions) -> contextlib.AbstractContextManager[Client]:
    """The Dask client ``batch`` uses: of ``options.scheduler``, or of a local cluster of ``options.workers``
    processes (mutual TLS on credentials made for it, no HTTP port, native threads sized to each worker's share of
    the cores) that closes with it. For library users who hold a sharded index (``visual.sharded``) on it."""
    return _dask_client(options)


@contextlib.contextmanager
def _dask_client(options: BatchOptions) -> Iterator[Client]:
    """A client of ``options.scheduler``, or of a local cluster of worker processes that closes with it."""
    from distributed import Client, LocalCluster

    if options.scheduler:
        _require_tls_credentials(options.scheduler)
        try:
            client = Client(options.scheduler, timeout="20s")
        except (OSError, TimeoutError, TypeError, ValueError) as exc:  # TypeError: distributed's word for bad TLS
            raise BatchError(f"cannot reach the Dask scheduler at {options.scheduler}: "
                             f"{' '.join(str(exc).split())}") from exc
        with client:
            yield client
        return
    import dask

    from provenance.batch import nohttp

    workers = options.workers if options.workers is not None else min(8, os.cpu_count() or 1)
    environment = worker_environment(workers * max(1, options.threads_per_worker or 1))
    quiet = logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.ERROR
    # The local cluster runs our code on whatever a connection sends it: mutual TLS with credentials made for
    # this run only (``security=True``: Security.temporary), so no other process can connect, and no HTTP
    # server at all (distributed binds one even without a dashboard: batch.nohttp keeps the scheduler here and
    # every worker, through a preload, from binding it).
    with (
        _log_level("distributed", quiet),
        _no_port_warning(),
        dask.config.set({"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": [],
                         "distributed.worker.preload": [*dask.config.get("distributed.worker.preload", []),
                                                        "provenance.batch.nohttp"],
                         # every native thread pool of a worker sized to its share of the cores, set before the
                         # worker process starts (threads.worker_environment: numpy loads before our code); a
                         # None unsets Dask's own default (MALLOC_TRIM_THRESHOLD_: threads.ALLOCATOR_VARS)
                         "distributed.nanny.pre-spawn-environ": {
                             **dask.config.get("distributed.nanny.pre-spawn-environ", {}), **environment}}),
        _parent_environ(environment),
        nohttp.patched(),
        LocalCluster(n_workers=workers, threads_per_worker=options.threads_per_worker, processes=True,
                     dashboard_address=None, silence_logs=quiet, security=True) as cluster,
        Client(cluster) as client,
    ):
        client.run_on_scheduler(_stop_scheduler_http)  # nothing to stop unless distributed changed: a backstop
        client.run(_stop_worker_http)
        yield client


@contextlib.contextmanager
def _parent_environ(environment: dict[str, str | None]) -> Iterator[None]:
    """While the cluster starts and runs: in our environment, the user's own thread settings and this batch's
    worker count, nothing else of ``environment``; everything put back as it was when the cluster closes.

    Dask's nanny takes a variable from this process's environment over its pre-spawn configuration, and copies
    the pre-spawn values into this environment. So a value found in ``os.environ`` now is not necessarily the
    user's: an earlier batch, or a bare ``LocalCluster`` the user (or a test) started in this process, left
    Dask's defaults there (``OMP_NUM_THREADS=1``...), which the workers would take as set by the user. The
    user's settings are those recorded when provenance was imported (``threads.user_setting``): kept (theirs
    win); any other value of these variables is taken out while the cluster starts, so the nanny uses
    ``environment`` (the pre-spawn configuration).
    """
    saved = {key: os.environ.get(key) for key in environment}
    for key in environment:
        mine = None if key == WORKERS_ENV else user_setting(key)
        if mine is not None:
            os.environ[key] = mine
        else:
            os.environ.pop(key, None)
    os.environ[WORKERS_ENV] = str(environment[WORKERS_ENV])
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _no_port_warning() -> Iterator[None]:
    """distributed warns "port 8787 is already in use" for the HTTP listener that is closed once up."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        yield


def _require_tls_credentials(address: str) -> None:
    """Refuse a ``tls://`` scheduler when Dask's configuration holds no client credentials for it.

    ``distributed`` reads them from ``distributed.comm.tls.{ca-file, client.cert, client.key}`` and, without
    them, fails with "TLS expects a `ssl_context` argument" (a TypeError): say instead what to set."""
    if not address.startswith("tls://"):
        return
    import dask

    missing = [key for key in ("ca-file", "client.cert", "client.key")
               if not dask.config.get(f"distributed.comm.tls.{key}", None)]
    if missing:
        env = ", ".join("DASK_DISTRIBUTED__COMM__TLS__" + k.upper().replace("-", "_").replace(".", "__")
                        for k in missing)
        raise BatchError(f"--scheduler {address}: no TLS credentials for it in your Dask configuration (missing "
                         f"distributed.comm.tls.{', '.join(missing)}); set them in ~/.config/dask/*.yaml or as {env}")


def _stop_scheduler_http(dask_scheduler: object) -> None:
    """Close the scheduler's HTTP listener (in its event loop, through ``Client.run_on_scheduler``)."""
    _stop_http(dask_scheduler)


def _stop_worker_http(dask_worker: object) -> None:
    """Close a worker's HTTP listener (in its event loop, through ``Client.run``)."""
    _stop_http(dask_worker)


def _stop_http(server: object) -> None:
    http = getattr(server, "http_server", None)
    if http is not None:
        http.stop()


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
    """Verify every media file under ``roots``; write reports and the summary into ``options.out``.

    Raises ``BatchError`` when there is nothing to verify or no cluster, and ``ClaimError`` for an unknown
    ``options.claim``, before any work; a file that cannot be verified is an error row, never an exception.
    """
    started = time.perf_counter()
    options = options or BatchOptions()
    pipeline = pipeline if isinstance(pipeline, Pipeline) else load_pipeline(pipeline)
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    out = Path(options.out)
    if ws.read_only:
        _require_writable_out(ws, out)
    roots = [roots] if isinstance(roots, str | Path) else list(roots)
    claims = ClaimStore(ws)
    claim = claims.get(options.claim) if options.claim else None  # an unknown claim stops us before any work
    signing_key = write_key(ws.key_root, options.sign)  # so does signing without a key

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
    refused: dict[str, str] = {}
    signed_by = public_key_of(signing_key) if signing_key is not None else None
    existing = {} if options.redo else _existing_reports(out, pipeline.digest, set(primary), ws.root, refused,
                                                         signed_by)
    for sha, reason in refused.items():
        primary[sha].refused = reason
    frames: dict[str, list[tuple[float, bytes]]] = {}
    spans: dict[str, list[Span]] = {}
    run = BatchRun(ws, roots, out, pipeline, options, claim)
    index = KnownImageryIndex(ws)
    now = index.state(pipeline.stages["visual"].matching.min_quality)  # what earlier reports are compared with

    def finish(item: BatchItem, report: Report, folder: Path, action: Action) -> None:
        _fill(item, report, folder, out, action)
        # who vouches for the report this row points at (resumed, re-matched into a new run, or new): "unsigned"
        # is origin unknown; never the earlier run's origin for a new run
        item.origin = report_signed_as(report, ws.key_root)[0]
        frames[report.media.sha256] = usable_frames(report, options.links.min_quality)
        spans[report.media.sha256] = reference_spans(report)  # files tied to one reference's seconds group too
        if claim is not None:  # attach as results arrive: a stopped batch has attached what it finished
            try:
                section = attach_to_claim(claims, claim, report, folder, replace=options.replace)
            except WorkspaceError as exc:  # locked or full past the wait: the report stays, the batch goes on
                item.not_attached = " ".join(str(NotAttached(report, folder.resolve(), claim.id, str(exc))).split())
            except ClaimError as exc:  # a signed attachment of this file stays; the row says why, the batch goes on
                item.not_attached = " ".join(str(NotAttached(report, folder.resolve(), claim.id, str(exc),
                                                             replace=True)).split())
            else:
                item.claim = {a.check: a.result for a in section.assessment}

    tasks, stale = [], []
    for sha, item in primary.items():
        if sha in existing:
            folder, report, _origin = existing[sha]
            item.stale = stale_reason(report, now)
            if item.stale is None:
                finish(item, report, folder, "resumed")
            else:  # matched against another index state: matched again below, without decoding
                stale.append((item, folder, report))
        else:
            tasks.append(_task(item))
    progress("rematch", 0, len(stale))
    for n, (item, folder, report) in enumerate(stale, start=1):
        if not _rematch(item, folder, report, pipeline, index, claims, claim, out, finish, signing_key):
            tasks.append(_task(item))  # no usable fingerprint: verified in full, and the row says why
        progress("rematch", n, len(stale), item=item)

    tasks.sort(key=lambda t: -t.weight)  # largest first: the batch ends on short files, not on one long one
    total_weight = sum(t.weight for t in tasks)
    done_weight = 0.0
    progress("verify", 0, len(tasks))
    rematched = sum(item.action == "rematched" for item, _folder, _report in stale)
    scheduler = ("in-process" if tasks else f"none (nothing to decode: {rematched} re-matched from their stored "
                 "frames)" if rematched else "none (nothing new to verify)")
    submit_args = (pipeline, str(ws.root), _index_token(now))
    weights = {t.sha256: t.weight for t in tasks}
    with contextlib.ExitStack() as stack:
        if tasks and (options.scheduler or options.workers != 0):
            client = stack.enter_context(_dask_client(options))
            n = len(client.scheduler_info()["workers"])
            scheduler = options.scheduler or f"local cluster ({n} worker{'' if n == 1 else 's'})"
            if options.shards:
                min_quality = pipeline.stages["visual"].matching.min_quality
                shard_plan = plan(ws, options.shards, min_quality)
                if shard_plan.generation != now.generation:
                    raise BatchError("the index changed while the batch started: run it again")
                submit_args = (*submit_args, (shard_plan, dask_shards(client, ws, shard_plan, min_quality)))
                scheduler += f", index in {options.shards} shard{'' if options.shards == 1 else 's'}"
            outcomes = _run_dask(client, tasks, submit_args)
        else:
            outcomes = _run_here(tasks, submit_args)
        verify_started = last_checkpoint = time.perf_counter()  # the rate for the ETA starts with the workers
        try:
            for n, outcome in enumerate(outcomes, start=1):
                item = primary[outcome.sha256]
                item.seconds = round(outcome.seconds, 3)
                timeline.debug("%s on %s from %.3f for %.3f s", item.path, outcome.worker, outcome.started_at,
                               outcome.seconds, extra={"file": item.path, "worker": outcome.worker,
                                                       "started_at": outcome.started_at, "seconds": outcome.seconds})
                if outcome.report is not None:
                    _store(item, outcome.report, claim, out, finish, signing_key)
                else:
                    item.status, item.action, item.message = "error", "failed", outcome.error
                done_weight += weights[outcome.sha256]
                rate = done_weight / max(1e-6, time.perf_counter() - verify_started)
                progress("verify", n, len(tasks), (total_weight - done_weight) / rate if rate else None, item)
                if time.perf_counter() - last_checkpoint > options.checkpoint_s:
                    last_checkpoint = time.perf_counter()
                    write_summary(_result(items, [], found, out, started, scheduler), run, complete=False)
        except KeyboardInterrupt:  # leave a summary of what is done; the re-run resumes from the reports
            write_summary(_result(items, [], found, out, started, scheduler), run, complete=False)
            raise

    for item in items:
        if item.action == "duplicate" and item.sha256 in primary:
            _copy_row(item, primary[item.sha256])
    progress("links", 0, len(frames))
    groups = link_files(frames, options.links, names={sha: item.path for sha, item in primary.items()}, spans=spans)
    group_of = {m: g.id for g in groups for m in g.members}
    for item in items:
        item.group = group_of.get(item.duplicate_of or item.path)
    result = _result(items, groups, found, out, started, scheduler)
    write_summary(result, run, complete=True)
    progress("done", len(items), len(items))
    return result


def _require_writable_out(ws: Workspace, out: Path) -> None:
    """Before any work: a batch on a read-only workspace (an archive on a read-only mount) verifies against its
    index and writes reports and summaries only into ``out``, which must then be a writable folder outside it
    (issue 12 round D8: it refused outright, while ``verify`` worked there)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        writable = os.access(out, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        raise BatchError(f"workspace {ws.root} is read-only and --out {out} cannot be written: nothing was "
                         "changed; give --out a writable folder outside the workspace (the reports and summary go "
                         "there; the workspace is only read)")


def _store(item: BatchItem, report: Report, claim: Claim | None, out: Path,
           finish: Callable[[BatchItem, Report, Path, Action], None], signing_key: Ed25519PrivateKey | None,
           action: Action = "verified") -> Path | None:
    """Write a fresh report (with the claim's assessment, if any); a report that cannot be written is an error row."""
    try:
        folder = write_to_folder(report, out, claim=claim, signing_key=signing_key)
    except Exception as exc:  # e.g. a template failing on odd metadata: this file's problem, not the batch's
        log.debug("writing the report of %s failed", item.path, exc_info=True)
        item.status, item.action, item.message = "error", "failed", f"cannot write the report: {exc}"
        return None
    finish(item, report, folder, action)
    return folder


def _task(item: BatchItem) -> _Task:
    assert item.sha256 is not None
    return _Task(str(Path(item.path).resolve()), item.sha256, item.size_bytes + _PER_FILE_WEIGHT)


def _rematch(item: BatchItem, folder: Path, old: Report, pipeline: Pipeline, index: KnownImageryIndex,
             claims: ClaimStore, claim: Claim | None, out: Path,
             finish: Callable[[BatchItem, Report, Path, Action], None], signing_key: Ed25519PrivateKey | None) -> bool:
    """Match a stale report's frames again (this process: no decoding) and write it as a new run of the report.

    Returns False when it could not be (the stored fingerprint is absent or fails its checks, or matching
    failed): ``item.fingerprint_refused`` says why, and the caller verifies the file in full. A report that was
    assessed against a claim the batch does not name is assessed again against it (its evidence changed).
    """
    assert item.stale is not None
    started = time.perf_counter()
    try:
        report = rematch(old, folder, pipeline=pipeline, index=index, reason=item.stale)
    except FingerprintError as exc:
        item.fingerprint_refused = " ".join(str(exc).split())
    except Exception as exc:  # matching failed on this file: a full verify records what a fresh run gives
        log.debug("re-matching %s failed", item.path, exc_info=True)
        item.fingerprint_refused = f"matching again failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    else:
        earlier = None
        if claim is None and old.claim is not None:
            with contextlib.suppress(ClaimError):  # a claim deleted since: nothing to assess against
                earlier = claims.get(old.claim.id)
        written = _store(item, report, claim or earlier, out, finish, signing_key, "rematched")
        if written is not None and earlier is not None:
            try:
                attach_to_claim(claims, earlier, report, written)  # a claim the batch does not name: never --replace
            except WorkspaceError as exc:
                item.not_attached = " ".join(str(NotAttached(report, written.resolve(), earlier.id, str(exc))).split())
            except ClaimError as exc:
                item.not_attached = " ".join(str(NotAttached(report, written.resolve(), earlier.id, str(exc),
                                                             replace=True)).split())
        item.seconds = round(time.perf_counter() - started, 3)
        return True
    log.warning("not matching %s again from its stored fingerprint: %s", item.path, item.fingerprint_refused)
    return False


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


def _existing_reports(out: Path, digest: str, wanted: set[str], workspace_root: Path, refused: dict[str, str],
                      signed_by: PublicKey | None = None) -> dict[str, tuple[Path, Report, str]]:
    """Reports in ``out`` for these SHA-256s made by the same pipeline (folder ``<stem>-<sha256[:12]>``).

    Each is verified before use (digest, layout, structure, any signature): one that fails is never reused nor
    copied into the summary; its path and reason go into ``refused`` (by SHA-256) and the file is verified again.
    A batch that signs (``signed_by``) reuses only reports signed by that key as they were written. Each comes
    with who vouches for it (:func:`provenance.claims.signed_as`): an unsigned one passes its digest check even
    after a deliberate edit, so the summary says so.
    """
    by_prefix = defaultdict(list)
    for sha in wanted:
        by_prefix[sha[:12]].append(sha)
    found: dict[str, tuple[Path, Report, str]] = {}
    if not out.is_dir():
        return found
    for folder in sorted(out.iterdir()):
        prefix = folder.name.rsplit("-", 1)[-1]
        if prefix not in by_prefix:
            continue
        try:
            if not os.path.lexists(report_file(folder)):
                continue
            folder = report_file(folder).parent  # the latest run: through its link, or pointer file (no symlinks)
            data = read_verified(folder / "report.json", workspace_root, signed_by=signed_by)
            report = Report.from_dict(data)
            _fill(BatchItem(path=""), report, folder, out, "resumed")  # what the summary will read must read
        except Exception as exc:  # IntegrityError, or a sealed report this version cannot read
            reason = str(exc) if isinstance(exc, IntegrityError) else f"{folder / 'report.json'}: unreadable: {exc}"
            log.warning("not reusing an earlier report: %s", reason)
            for sha in by_prefix[prefix]:
                refused.setdefault(sha, display_path(" ".join(reason.split())))
            continue
        sha = report.media.sha256
        if sha in by_prefix[prefix] and report.pipeline.digest == digest and sha not in found:
            found[sha] = (folder, report, signed_as(data, workspace_root)[0])
            refused.pop(sha, None)
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
        item.top_match_s = coverage(top, report).seconds
        item.top_match_title, item.top_match_source, item.top_match_url = top.title, top.source, top.url
    item.duration_s = report.media.duration_s
    item.capture_time = report.metadata.capture_time
    if report.audio.language is not None:
        item.language = report.audio.language.code
        item.language_probability = report.audio.language.probability
        item.language_strength = language_strength(report.audio)
    item.findings = [BriefFinding(f.code, f.severity, f.message) for f in report.findings]
    item.message = "; ".join(f"{e.stage} stage: {e.message}" for e in report.errors) or None


def _copy_row(item: BatchItem, source: BatchItem) -> None:
    keep = {"path", "size_bytes", "identified_by", "action", "duplicate_of", "seconds"}
    for name, value in vars(source).items():
        if name not in keep:
            setattr(item, name, value)
    item.seconds = None


def _result(items: list[BatchItem], groups: list[Group], found: Discovery, out: Path, started: float,
            scheduler: str) -> BatchResult:
    counts = Counts(
        files=len(items),
        verified=sum(i.action == "verified" for i in items),
        resumed=sum(i.action == "resumed" for i in items),
        rematched=sum(i.action == "rematched" for i in items),
        duplicates=sum(i.action == "duplicate" for i in items),
        errors=sum(i.status == "error" for i in items),
        stage_errors=sum(i.status == "stage_error" for i in items),
        ignored=len(found.ignored),
    )
    return BatchResult(items, groups, found.ignored, counts, out, out / "summary.json",
                       round(time.perf_counter() - started, 3), scheduler)
