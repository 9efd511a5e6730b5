"""The HTML report: one self-contained page (pictures as data: URIs, no script, no network) an editor can read.

The page's frame (header, findings, the clip timeline, claim, run details) is laid out here; each stage renders
its own part from its own template (``Stage.html``) and adds its rows to the timeline, in registry order. All
markup lives in autoescaped Jinja templates: nothing from the media (tags, titles, file names, transcript) is
ever marked safe, so a hostile tag is shown as text. The page's Content-Security-Policy forbids scripts and any
fetch besides embedded images.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from markupsafe import Markup

from provenance import coverage, registry
from provenance.report.model import Report, TimeRange
from provenance.report.view import (
    SEVERITIES,
    SEVERITY_WORDS,
    Bar,
    Timeline,
    TimelineRow,
    environment,
    evidence_items,
    fmt_t,
    pct,
    tick_label,
)

__all__ = ["build_view", "render_html"]


@dataclass
class StageRow:
    stage: str
    status: str
    seconds: float | None
    errors: list[str]


@dataclass
class CoverageRow:
    """One stream's decoded coverage as the page's table shows it (``provenance.coverage``)."""

    stage: str
    stream: str
    sentence: str  # "video: all 14.6 s decoded", or what did not decode
    short: bool
    decoded: str  # the decoded ranges, "0:00.0–0:06.4, 0:08.2–0:14.6"
    frames: str  # "14 sampled of 212 decoded" (video), "289 audio frames"


@dataclass
class View:
    file_name: str
    counts: list[tuple[str, int]]
    findings: list[tuple[str, str, list[Any]]]  # (severity, plain words, findings)
    timeline: Timeline | None
    parts: list[Markup]  # each stage's part of the page, in registry order
    stages: list[StageRow]
    run_details: list[tuple[str, str]]  # (label, text): engines, models and readers the stages used
    coverage: list[CoverageRow]  # per decoded stream: what decoded against the declared duration


def build_view(report: Report) -> View:
    findings = [(s, SEVERITY_WORDS[s], [f for f in report.findings if f.severity == s]) for s in SEVERITIES]
    return View(
        file_name=PurePath(report.media.path).name or report.media.path,
        counts=[(s, len(fs)) for s, _, fs in findings],
        findings=[g for g in findings if g[2]],
        timeline=_timeline(report),
        parts=[Markup(stage.view.html(report)) for stage in registry.STAGES],
        stages=_stages(report),
        run_details=[row for stage in registry.STAGES for row in stage.view.run_details(report)],
        coverage=_coverage(report),
    )


def _coverage(report: Report) -> list[CoverageRow]:
    rows = []
    for name, section in report.sections.items():
        for c in coverage.coverages(section):
            frames = (f"{c.frames_sampled} sampled of {c.frames_decoded} decoded" if c.frames_sampled is not None
                      else f"{c.frames_decoded} audio frames")
            ranges = ", ".join(f"{fmt_t(r.start)}–{fmt_t(r.end)}" for r in c.decoded) or "nothing"
            rows.append(CoverageRow(name, c.stream, coverage.describe(c), coverage.short(c), ranges, frames))
    return rows


def _coverage_rows(report: Report, duration: float) -> list[TimelineRow]:
    """A timeline row per stream that partly decoded: what decoded, and the holes in it."""
    rows = []
    for section in report.sections.values():
        for c in coverage.coverages(section):
            if not coverage.short(c):
                continue
            bars = [Bar(pct(r.start, duration), pct(r.end, duration) - pct(r.start, duration), "",
                        f"decoded {fmt_t(r.start)}–{fmt_t(r.end)}", "decoded") for r in c.decoded]
            holes = [*c.gaps, *([TimeRange(c.ended_at_s, c.declared_s)] if c.ended_at_s is not None and c.declared_s
                                else [])]
            bars += [Bar(pct(r.start, duration), pct(r.end, duration) - pct(r.start, duration), "not decoded",
                         f"not decoded {fmt_t(r.start)}–{fmt_t(r.end)}", "undecoded") for r in holes]
            rows.append(TimelineRow(f"{c.stream} decoded", bars, css="coverage"))
    return rows


def _timeline(report: Report) -> Timeline | None:
    """The whole clip on one axis: every stage's rows (shots, sampled frames, matches, languages)."""
    if report.media.kind == "image":
        return None
    duration = max([report.media.duration_s or 0.0, *(stage.view.timeline_end(report) for stage in registry.STAGES)])
    if duration <= 0:
        return None
    rows = [*_coverage_rows(report, duration),
            *(row for stage in registry.STAGES for row in stage.view.timeline_rows(report, duration))]
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600) if duration / s <= 10), 7200)
    ticks = [Bar(pct(k * step, duration), 0.0, tick_label(k * step), "") for k in range(int(duration // step) + 1)
             if k == 0 or k * step <= 0.96 * duration]  # a label at the very end would overflow the bar
    legend = [item for stage in registry.STAGES for item in stage.view.legend(report)]
    if any(r.css == "coverage" for r in rows):
        legend.append(("undecoded", "did not decode (damaged or truncated)"))
    return Timeline(duration, rows, ticks, legend)


def _stages(report: Report) -> list[StageRow]:
    errors: dict[str, list[str]] = {}
    for e in report.errors:
        errors.setdefault(e.stage, []).append(e.message)
    rows = [StageRow("ingest", "ok", report.timings.get("ingest"), errors.pop("ingest", []))]
    for stage in registry.STAGES:
        section = getattr(report, stage.name)
        rows.append(StageRow(stage.name, section.status, report.timings.get(stage.name), errors.pop(stage.name, [])))
    rows += [StageRow(stage, "error", report.timings.get(stage), msgs) for stage, msgs in errors.items()]
    return rows


def render_html(report: Report) -> str:
    return environment("provenance.report").get_template("report.html.j2").render(
        r=report, v=build_view(report), fmt_t=fmt_t, evidence_items=evidence_items
    )
