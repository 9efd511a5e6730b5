"""Run the stages of a pipeline profile over one media file, each isolated and timed.

A stage that fails records ``status: "error"`` in its section and its message in ``report.errors``; the
others still run, so a corrupt audio track never costs the visual match (the auto-archiver rule: a failing
step never aborts the item).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from provenance._version import __version__
from provenance.config import Pipeline, load_pipeline
from provenance.findings import derive_findings
from provenance.limits import run_with_budget
from provenance.media import MediaFile, probe
from provenance.report.evidence import attach_match_evidence
from provenance.report.model import (
    Artefacts,
    AudioSection,
    Finding,
    MetadataSection,
    PipelineInfo,
    Report,
    StageError,
    ToolInfo,
    VisualSection,
)
from provenance.visual.frames import DETAIL_SIZE
from provenance.visual.hashing import Fingerprint, fingerprint
from provenance.visual.index import KnownImageryIndex
from provenance.visual.matching import match
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


def query_fingerprint(media: MediaFile, pipeline: Pipeline, *, thumbnails: bool = False) -> Fingerprint:
    """A submitted file's frames as matching wants them: mirrors, content boxes and detail keyframes.

    Local-feature keyframes are spread over the clip: every ``local_interval_s`` on long clips, down to one a
    second on short ones (a 6-s clip gets six chances to verify, and a segment start within about a second).
    """
    m = pipeline.matching
    keyframes_s = None
    if m.local_features:
        keyframes_s = min(m.local_interval_s, max(1.0, (media.duration_s or 0.0) / max(1, m.local_max_keyframes)))
    return fingerprint(media, pipeline.frames, mirror=m.mirror, thumbnails=thumbnails, keyframes_s=keyframes_s,
                       keyframe_size=DETAIL_SIZE, content=True, limits=pipeline.limits)


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
        fp = query_fingerprint(ctx.media, cfg, thumbnails=True)
        if fp.stopped_by == "max_frames_decoded":
            ctx.extras["visual_limit"] = Finding(
                "limit_frames_decoded", "notice",
                f"Frame sampling stopped after {fp.frames_decoded} decoded frames ([limits] max_frames_decoded): "
                f"the visual match covers the clip up to {fp.frames[-1].t:.1f} s only.",
                {"frames_decoded": fp.frames_decoded, "sampled_until_s": fp.frames[-1].t},
            )
        section = VisualSection(
            status="ok",
            frames_sampled=len(fp.frames),
            frames_decoded=fp.frames_decoded,
            shot_changes=fp.shot_changes,
            frames=[FrameHash(f.t, f.hashes.pdq_hex, f.hashes.quality, f.hashes.phash) for f in fp.frames],
        )
        ctx.report.artefacts.thumbnails = {f.t: f.thumbnail for f in fp.frames if f.thumbnail}
        section.matches, section.frames_usable = match(fp, ctx.index, cfg.matching)
        section.index_frames = ctx.index.matchable_frames(cfg.matching.min_quality)
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

        asr, cap = ctx.pipeline.asr, ctx.pipeline.limits.max_audio_s
        if cap and cap < asr.max_seconds:  # [limits] max_audio_s bounds whatever the profile's [asr] asks
            asr = dataclasses.replace(asr, max_seconds=cap)
        if cap and ctx.media.duration_s and ctx.media.duration_s > asr.max_seconds and ctx.media.audio is not None:
            ctx.extras["audio_limit"] = Finding(
                "limit_audio_seconds", "notice",
                f"Only the first {asr.max_seconds:g} s of audio were analysed ([limits] max_audio_s, "
                "[asr] max_seconds).", {"analysed_s": asr.max_seconds, "duration_s": ctx.media.duration_s})
        return analyse(ctx.media.path, asr, has_audio=ctx.media.audio is not None)


STAGES: tuple[Stage, ...] = (MetadataStage(), VisualStage(), AudioStage())


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
    if index is None:
        ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        index = KnownImageryIndex(ws)
    started = time.perf_counter()
    media = probe(path, pipeline.limits)
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
    if report.visual.matches:  # pictures of the matched reference frames, for the HTML report
        t0 = time.perf_counter()
        attach_match_evidence(report.visual.matches, index, report.artefacts)
        report.timings["evidence"] = round(time.perf_counter() - t0, 3)
    report.findings = derive_findings(report)
    report.findings += [f for f in ctx.extras.values() if isinstance(f, Finding)]  # limits that cut work short
    report.timings["total"] = round(time.perf_counter() - started, 3)
    return report


def _run_stage(stage: Stage, ctx: Context) -> None:
    """Run one stage under its time budget (``[limits] <stage>_budget_s``, see provenance.limits).

    The stage works on a scratch report and notes of its own; they are merged only when it finished in time,
    so a stage abandoned in native code can never write into the report being returned.
    """
    report = ctx.report
    section = getattr(report, stage.section)
    if not stage.enabled(ctx.pipeline):
        section.status = "skipped"
        return
    if not stage.applies(ctx.media):
        section.status = "not_applicable"
        return
    scratch = dataclasses.replace(ctx, report=Report(media=report.media), extras={})
    outcome = run_with_budget(lambda: stage.run(scratch), ctx.pipeline.limits.budget(stage.name), stage.name)
    if outcome.error is None:
        setattr(report, stage.section, outcome.value)
        _merge_artefacts(report.artefacts, scratch.report.artefacts)
        ctx.extras.update(scratch.extras)
    else:  # isolation: one stage's failure is recorded, never fatal
        log.debug("stage %s failed", stage.name, exc_info=outcome.error)
        section.status = "error"
        report.errors.append(StageError(stage=stage.name, message=_message(outcome.error)))
        if outcome.abandoned:
            log.warning("stage %s abandoned after its time budget; it may still be running", stage.name)
    report.timings[stage.name] = round(outcome.seconds, 3)


def _merge_artefacts(into: Artefacts, new: Artefacts) -> None:
    for f in dataclasses.fields(Artefacts):
        if value := getattr(new, f.name):
            getattr(into, f.name).update(value)


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    known = type(exc).__module__.startswith("provenance")
    return text if known and text else f"{type(exc).__name__}: {text or 'no detail'}"
