"""Run the stages of a pipeline profile over one media file, each isolated and timed.

A stage that fails records ``status: "error"`` in its section and its message in ``report.errors``; the
others still run, so a corrupt audio track never costs the visual match (the auto-archiver rule: a failing
step never aborts the item).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from provenance import __version__
from provenance.config import Pipeline, load_pipeline
from provenance.findings import derive_findings
from provenance.frames import DETAIL_SIZE
from provenance.hashing import fingerprint
from provenance.index import KnownImageryIndex
from provenance.matching import match
from provenance.media import MediaFile, probe
from provenance.report.evidence import attach_match_evidence
from provenance.report.model import (
    AudioSection,
    MetadataSection,
    PipelineInfo,
    Report,
    StageError,
    ToolInfo,
    VisualSection,
)
from provenance.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class Context:
    media: MediaFile
    pipeline: Pipeline
    index: KnownImageryIndex
    report: Report
    extras: dict[str, object] = field(default_factory=dict)


class Stage(Protocol):
    """One step of the pipeline: fills one section of the report, or raises."""

    name: str
    section: str  # the Report attribute it fills

    def enabled(self, pipeline: Pipeline) -> bool: ...

    def applies(self, media: MediaFile) -> bool: ...

    def run(self, ctx: Context) -> MetadataSection | VisualSection | AudioSection: ...


class MetadataStage:
    name = "metadata"
    section = "metadata"

    def enabled(self, pipeline: Pipeline) -> bool:
        return pipeline.metadata

    def applies(self, media: MediaFile) -> bool:
        return True

    def run(self, ctx: Context) -> MetadataSection:
        from provenance.metadata import extract

        return extract(ctx.media.path, ctx.media.kind)


class VisualStage:
    name = "visual"
    section = "visual"

    def enabled(self, pipeline: Pipeline) -> bool:
        return pipeline.visual

    def applies(self, media: MediaFile) -> bool:
        return media.kind in ("video", "image")

    def run(self, ctx: Context) -> VisualSection:
        from provenance.report.model import FrameHash

        cfg = ctx.pipeline
        fp = fingerprint(ctx.media, cfg.frames, mirror=cfg.matching.mirror, thumbnails=True,
                         keyframes_s=cfg.matching.local_interval_s if cfg.matching.local_features else None,
                         keyframe_size=DETAIL_SIZE, content=True)
        section = VisualSection(
            status="ok",
            frames_sampled=len(fp.frames),
            frames_decoded=fp.frames_decoded,
            shot_changes=fp.shot_changes,
            frames=[FrameHash(f.t, f.hashes.pdq_hex, f.hashes.quality, f.hashes.phash) for f in fp.frames],
        )
        ctx.report.artefacts.thumbnails = {f.t: f.thumbnail for f in fp.frames if f.thumbnail}
        section.matches, section.frames_usable = match(fp, ctx.index, cfg.matching)
        attach_match_evidence(section.matches, fp, ctx.index, cfg.matching, ctx.report.artefacts)
        section.index_frames = ctx.index.stats(cfg.matching.min_quality).matchable_frames
        return section


class AudioStage:
    name = "audio"
    section = "audio"

    def enabled(self, pipeline: Pipeline) -> bool:
        return pipeline.audio

    def applies(self, media: MediaFile) -> bool:
        return media.kind in ("video", "audio")

    def run(self, ctx: Context) -> AudioSection:
        from provenance.audio import analyse

        return analyse(ctx.media.path, ctx.pipeline.asr, has_audio=ctx.media.audio is not None)


STAGES: tuple[Stage, ...] = (MetadataStage(), VisualStage(), AudioStage())


def verify(
    path: str | Path,
    *,
    pipeline: Pipeline | str | Path | None = None,
    workspace: Workspace | str | Path | None = None,
    index: KnownImageryIndex | None = None,
) -> Report:
    """Verify one media file and return its report (nothing is written; see ``report.write_report``).

    Raises ``MediaError`` when the input is not readable media: there is nothing to report on.
    """
    if not isinstance(pipeline, Pipeline):
        pipeline = load_pipeline(pipeline)
    if index is None:
        ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        index = KnownImageryIndex(ws)
    started = time.perf_counter()
    media = probe(path)
    report = Report(
        media=media.section(),
        tool=ToolInfo(version=__version__),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        pipeline=PipelineInfo(name=pipeline.name, digest=pipeline.digest),
    )
    report.timings["ingest"] = round(time.perf_counter() - started, 3)
    ctx = Context(media=media, pipeline=pipeline, index=index, report=report)
    for stage in STAGES:
        _run_stage(stage, ctx)
    report.findings = derive_findings(report)
    report.timings["total"] = round(time.perf_counter() - started, 3)
    return report


def _run_stage(stage: Stage, ctx: Context) -> None:
    report = ctx.report
    section = getattr(report, stage.section)
    if not stage.enabled(ctx.pipeline):
        section.status = "skipped"
        return
    if not stage.applies(ctx.media):
        section.status = "not_applicable"
        return
    t0 = time.perf_counter()
    try:
        setattr(report, stage.section, stage.run(ctx))
    except Exception as exc:  # isolation: one stage's failure is recorded, never fatal
        log.debug("stage %s failed", stage.name, exc_info=True)
        section.status = "error"
        report.errors.append(StageError(stage=stage.name, message=_message(exc)))
    report.timings[stage.name] = round(time.perf_counter() - t0, 3)


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    known = type(exc).__module__.startswith("provenance")
    return text if known and text else f"{type(exc).__name__}: {text or 'no detail'}"
