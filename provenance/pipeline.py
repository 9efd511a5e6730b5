"""Run the stages of a pipeline profile over one media file, each isolated, timed and within its budget.

A stage that fails records ``status: "error"`` in its section and its message in ``report.errors``; the
others still run, so a corrupt audio track never costs the visual match (the auto-archiver rule: a failing
step never aborts the item).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import time
from pathlib import Path

from provenance import coverage, registry
from provenance._version import __version__
from provenance.config import Pipeline, load_pipeline
from provenance.findings import derive_findings
from provenance.limits import run_with_budget
from provenance.media import probe
from provenance.report.model import Artefacts, PipelineInfo, Report, StageError, ToolInfo
from provenance.stage import Context, Stage
from provenance.visual.index import KnownImageryIndex
from provenance.workspace import Workspace, reading_workspace

log = logging.getLogger(__name__)


def verify(
    path: str | Path,
    *,
    pipeline: Pipeline | str | Path | None = None,
    workspace: Workspace | str | Path | None = None,
    index: KnownImageryIndex | None = None,
) -> Report:
    """Verify one media file and return its report (nothing is written; see ``report.write_report``).

    Raises ``MediaError`` when the input is not readable media, or exceeds the profile's input limits
    (``[limits]``: size, declared duration, picture size): there is nothing to report on.
    """
    if not isinstance(pipeline, Pipeline):
        pipeline = load_pipeline(pipeline)
    ws = workspace if isinstance(workspace, Workspace) else reading_workspace(workspace, warn=index is None)
    if index is None:
        index = KnownImageryIndex(ws)
    started = time.perf_counter()
    media = probe(path, pipeline.limits)
    report = Report(
        media=media.section(),
        tool=ToolInfo(version=__version__),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        pipeline=PipelineInfo(name=pipeline.name, digest=pipeline.digest),
        sections={stage.name: stage.section_type() for stage in registry.STAGES},  # JSON order: registry order
    )
    report.timings["ingest"] = round(time.perf_counter() - started, 3)
    ctx = Context(media=media, pipeline=pipeline, workspace=ws, index=index, artefacts=report.artefacts)
    for stage in registry.STAGES:
        _run_stage(stage, ctx, report)
    t0 = time.perf_counter()
    for stage in registry.STAGES:  # pictures the view shows beside a section (matched reference frames)
        if report.sections[stage.name].status == "ok":
            _evidence(stage, report, dataclasses.replace(ctx, config=pipeline.stages[stage.name], notes=[]))
    if report.visual.matches:
        report.timings["evidence"] = round(time.perf_counter() - t0, 3)
    report.findings = derive_findings(report, ctx.notes)
    report.timings["total"] = round(time.perf_counter() - started, 3)
    return report


def _run_stage(stage: Stage, ctx: Context, report: Report) -> None:
    """Run one stage under its time budget (``[<stage>] budget_s``, see provenance.limits).

    The stage works on a context of its own (fresh artefacts and notes); they are merged only when it finished
    in time, so a stage abandoned in native code can never write into the report being returned.
    """
    config = ctx.pipeline.stages[stage.name]
    section = report.sections[stage.name]
    if not config.enabled:
        section.status = "skipped"
        return
    if not stage.applies(ctx.media):
        section.status = "not_applicable"
        return
    scratch = dataclasses.replace(ctx, config=config, artefacts=Artefacts(), notes=[], earlier=dict(report.sections))
    outcome = run_with_budget(lambda: stage.run(scratch), config.budget, stage.name)
    if outcome.error is None:
        report.sections[stage.name] = outcome.value
        report.errors += coverage.stage_errors(stage.name, outcome.value, ctx.media)  # partly decoded or examined
        _merge_artefacts(report.artefacts, scratch.artefacts)
        ctx.notes.extend(scratch.notes)
    else:  # isolation: one stage's failure is recorded, never fatal
        log.debug("stage %s failed", stage.name, exc_info=outcome.error)
        section.status = "error"
        report.errors.append(StageError(stage=stage.name, message=_message(outcome.error)))
        if outcome.abandoned:
            log.warning("stage %s abandoned after its time budget; it may still be running", stage.name)
    report.timings[stage.name] = round(outcome.seconds, 3)


def _evidence(stage: Stage, report: Report, ctx: Context) -> None:
    try:
        stage.evidence(report, ctx)
    except Exception:  # pictures for the page; their absence is said there, never fatal
        log.debug("evidence of stage %s", stage.name, exc_info=True)


def _merge_artefacts(into: Artefacts, new: Artefacts | None) -> None:
    if new is None:
        return
    for f in dataclasses.fields(Artefacts):
        if value := getattr(new, f.name):
            getattr(into, f.name).update(value)


# A native library's words for a failed allocation (Intel MKL under Whisper: "mkl_malloc: failed to allocate
# memory", a tester's 5 of 9 runs at max_memory_mb = 1024; C++'s bad_alloc; FFmpeg's ENOMEM text)
_ALLOCATION_FAILED = re.compile(r"failed to allocate|cannot allocate memory|out of memory|bad_alloc", re.IGNORECASE)


def _message(exc: BaseException) -> str:
    from provenance.limits import applied_memory_mb, memory_limit_note

    if isinstance(exc, MemoryError):  # an allocation refused at the backstop: name it, not "MemoryError"
        return f"stopped at the memory limit ({memory_limit_note()}): it needed more memory than that"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    known = type(exc).__module__.startswith("provenance")
    said = text if known and text else f"{type(exc).__name__}: {text or 'no detail'}"
    if applied_memory_mb() and _ALLOCATION_FAILED.search(text) and "max_memory_mb" not in text:
        return f"stopped at the memory limit ({memory_limit_note()}): it needed more memory than that ({said})"
    return said


__all__ = ["verify"]
