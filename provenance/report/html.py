"""The HTML report: one self-contained page (pictures as data: URIs, no script, no network) an editor can read.

Layout is computed here as plain numbers and strings, and all markup lives in the autoescaped Jinja template:
nothing from the media (tags, titles, file names, transcript) is ever marked safe, so a hostile tag is shown
as text. The page's Content-Security-Policy forbids scripts and any fetch besides embedded images.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from provenance.report.evidence import shown_pairs
from provenance.report.model import Match, MatchedFrame, MetadataSection, Report

_env = Environment(
    loader=PackageLoader("provenance.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

SEVERITIES = ("warning", "notice", "info")
SEVERITY_WORDS = {
    "warning": "look at these first",
    "notice": "worth checking",
    "info": "for the record",
}
LOW_QUALITY = 50  # the default PDQ quality under which frames are not matched
_EVIDENCE_MAX = 300  # characters per evidence value shown
_LANG_COLOURS = 6  # CSS classes lang0..lang5


def fmt_t(seconds: float | None) -> str:
    """``m:ss.s`` (``h:mm:ss`` past an hour): how editors cite a moment in a clip."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    if seconds >= 3600:
        h, rest = divmod(int(seconds), 3600)
        return f"{h}:{rest // 60:02d}:{rest % 60:02d}"
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:04.1f}"


def _tick(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def data_uri(jpeg: bytes | None) -> str | None:
    if not jpeg or not jpeg.startswith(b"\xff\xd8"):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def safe_link(url: str | None) -> str | None:
    """Only http(s) URLs become links; anything else (``javascript:``, ``data:``) stays text."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def osm_link(lat: float, lon: float) -> str | None:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=16/{lat:.6f}/{lon:.6f}"


def evidence_items(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """A finding's evidence as (label, text) pairs, nested values flattened to one readable line each."""
    return [(str(k).replace("_", " "), _short(_flatten(v))) for k, v in evidence.items()]


def _flatten(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_flatten(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, dict) for v in value):
            return "; ".join(_flatten(v) for v in value)
        return ", ".join(_flatten(v) for v in value) if value else "none"
    return str(value)


def _short(text: str) -> str:
    return text if len(text) <= _EVIDENCE_MAX else text[: _EVIDENCE_MAX - 1] + "…"


# -- view model ----------------------------------------------------------------------------------------------


@dataclass
class Bar:
    left: float  # percent of the clip
    width: float
    label: str
    title: str
    css: str = ""


@dataclass
class TimelineRow:
    label: str
    bars: list[Bar] = field(default_factory=list)
    note: str = ""  # shown when the row has no bars
    css: str = ""


@dataclass
class Timeline:
    duration: float
    rows: list[TimelineRow]
    ticks: list[Bar]
    legend: list[tuple[str, str]]  # (css class, text)


@dataclass
class Pair:
    frame: MatchedFrame
    query_img: str | None
    reference_img: str | None


@dataclass
class MatchView:
    match: Match
    number: int
    url: str | None
    pairs: list[Pair]
    note: str  # why reference pictures are missing, if they are
    still: bool  # the reference is a photo: its times mean nothing


@dataclass
class Thumb:
    t: float
    img: str | None
    quality: int
    cut: bool
    matched: list[str]


@dataclass
class MetaRow:
    label: str
    value: str
    source: str
    link: str | None = None


@dataclass
class StageRow:
    stage: str
    status: str
    seconds: float | None
    errors: list[str]


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value


@dataclass
class View:
    file_name: str
    counts: list[tuple[str, int]]
    findings: list[tuple[str, str, list[Any]]]  # (severity, plain words, findings)
    timeline: Timeline | None
    matches: list[MatchView]
    sheet: list[Thumb]
    meta_rows: list[MetaRow]
    raw_tags: int
    stages: list[StageRow]
    languages: dict[str, str]  # language code -> css class
    cues: list[dict[str, Any]]
    translated: bool  # some transcript segment carries a translation


def build_view(report: Report) -> View:
    thumbs = {round(t, 3): jpeg for t, jpeg in report.artefacts.thumbnails.items()}
    languages = _language_classes(report)
    findings = [(s, SEVERITY_WORDS[s], [f for f in report.findings if f.severity == s]) for s in SEVERITIES]
    return View(
        file_name=PurePath(report.media.path).name or report.media.path,
        counts=[(s, len(fs)) for s, _, fs in findings],
        findings=[g for g in findings if g[2]],
        timeline=_timeline(report, languages),
        matches=[_match_view(report, m, n, thumbs) for n, m in enumerate(report.visual.matches, 1)],
        sheet=_sheet(report, thumbs),
        meta_rows=_meta_rows(report.metadata),
        raw_tags=sum(len(tags) for tags in report.metadata.raw.values() if isinstance(tags, dict)),
        stages=_stages(report),
        languages=languages,
        cues=[c for c in map(_plain, report.audio.cues) if isinstance(c, dict)],
        translated=any(getattr(s, "translation", None) for s in report.audio.segments),
    )


def _language_classes(report: Report) -> dict[str, str]:
    codes: list[str] = []
    for region in report.audio.timeline:
        if region.language not in codes:
            codes.append(region.language)
    for seg in report.audio.segments:
        if seg.language and seg.language not in codes:
            codes.append(seg.language)
    return {c: f"lang{i % _LANG_COLOURS}" for i, c in enumerate(codes)}


def _duration(report: Report) -> float:
    ends = [report.media.duration_s or 0.0]
    ends += [f.t for f in report.visual.frames]
    ends += [s.query_end for m in report.visual.matches for s in m.segments]
    ends += [r.end for r in report.audio.timeline] + [s.end for s in report.audio.segments]
    return max(ends)


def _pct(t: float, duration: float) -> float:
    return round(100.0 * min(max(t, 0.0), duration) / duration, 3)


def _bar(start: float, end: float, duration: float, label: str, title: str, css: str = "") -> Bar:
    left = _pct(start, duration)
    width = max(_pct(end, duration) - left, 0.6)  # a one-frame segment stays visible
    return Bar(left, min(width, 100.0 - left) if left < 99.4 else 0.6, label, title, css)


def _timeline(report: Report, languages: dict[str, str]) -> Timeline | None:
    if report.media.kind == "image":
        return None
    duration = _duration(report)
    if duration <= 0:
        return None
    rows: list[TimelineRow] = []
    if report.media.kind == "video":
        cuts = sorted(t for t in report.visual.shot_changes if 0 < t < duration)
        bounds = [0.0, *cuts, duration]
        shots = TimelineRow("Shots", css="row-shots")
        for i, (a, b) in enumerate(itertools.pairwise(bounds)):
            shots.bars.append(_bar(a, b, duration, f"shot {i + 1}", f"shot {i + 1}: {fmt_t(a)}–{fmt_t(b)}",
                                   "shot-a" if i % 2 == 0 else "shot-b"))
        for t in cuts:
            shots.bars.append(Bar(_pct(t, duration), 0.0, "", f"shot change at {fmt_t(t)}", "cut"))
        if report.visual.status != "ok":
            shots.bars, shots.note = [], f"visual stage {report.visual.status}"
        rows.append(shots)
        matched = {round(p.query_t, 3) for m in report.visual.matches for p in m.frames}
        frames = TimelineRow("Sampled frames", css="row-frames")
        for f in report.visual.frames:
            hit = round(f.t, 3) in matched
            frames.bars.append(Bar(_pct(f.t, duration), 0.0, "", f"frame at {fmt_t(f.t)}, quality {f.quality}"
                                   + (", matched" if hit else ""), "tick hit" if hit else "tick"))
        rows.append(frames)
        for n, m in enumerate(report.visual.matches, 1):
            row = TimelineRow(f"Match {n}: {m.title or m.reference_id}", css="row-match")
            for s in m.segments:
                span = f"{fmt_t(s.query_start)}–{fmt_t(s.query_end)}"
                ref = f"reference {fmt_t(s.reference_start)}–{fmt_t(s.reference_end)}" + (
                    " (mirrored)" if s.mirrored else "")
                row.bars.append(_bar(s.query_start, s.query_end, duration, f"{span} = {ref}", f"clip {span} = {ref}",
                                     "seg"))
            rows.append(row)
        if report.visual.status == "ok" and not report.visual.matches:
            rows.append(TimelineRow("Matches", note="no match in the known-imagery index", css="row-match"))
    lang = TimelineRow("Spoken language", css="row-lang")
    for region in report.audio.timeline:
        unsure = getattr(region, "uncertain", False)
        css = languages.get(region.language, "lang0") + (" uncertain" if unsure else "")
        lang.bars.append(_bar(region.start, region.end, duration, region.language + ("?" if unsure else ""),
                              f"{region.language} {fmt_t(region.start)}–{fmt_t(region.end)} "
                              f"(p {region.probability:.2f}{', uncertain' if unsure else ''})", css))
    if not lang.bars:
        lang.note = {"ok": "no speech detected", "skipped": "audio not analysed (not in this pipeline)",
                     "no_audio": "no audio track", "error": "audio stage failed"}.get(
            report.audio.status, f"audio {report.audio.status}")
    rows.append(lang)
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600) if duration / s <= 10), 7200)
    ticks = [Bar(_pct(k * step, duration), 0.0, _tick(k * step), "") for k in range(int(duration // step) + 1)
             if k == 0 or k * step <= 0.96 * duration]  # a label at the very end would overflow the bar
    legend = [("seg", "matched known imagery"), ("tick hit", "matched frame"), ("cut", "shot change")]
    spoken = {region.language for region in report.audio.timeline}
    legend += [(css, f"language {code}") for code, css in languages.items() if code in spoken]
    if any(getattr(region, "uncertain", False) for region in report.audio.timeline):
        legend.append(("lang5 uncertain", "uncertain language (a best guess)"))
    return Timeline(duration, rows, ticks, legend)


def _match_view(report: Report, m: Match, number: int, thumbs: dict[float, bytes]) -> MatchView:
    refs = report.artefacts.references.get(m.reference_id, {})
    pairs = [Pair(p, data_uri(thumbs.get(round(p.query_t, 3))), data_uri(refs.get(p.reference_t)))
             for p in shown_pairs(m.frames)]
    note = report.artefacts.reference_notes.get(m.reference_id, "")
    if not note and pairs and not any(p.reference_img for p in pairs):
        note = "reference frames were not kept with this report"
    # a photo matches at t=0 whatever the clip time; a video reference pairs clip frames with several times
    still = bool(m.frames) and all(p.reference_t == 0 for p in m.frames) and (
        report.media.kind == "image" or len(m.frames) > 1)
    return MatchView(m, number, safe_link(m.url), pairs, note, still)


def _sheet(report: Report, thumbs: dict[float, bytes]) -> list[Thumb]:
    cuts = {round(t, 3) for t in report.visual.shot_changes}
    by_frame: dict[float, list[str]] = {}
    for m in report.visual.matches:
        for p in m.frames:
            by_frame.setdefault(round(p.query_t, 3), []).append(m.reference_id)
    return [
        Thumb(f.t, data_uri(thumbs.get(round(f.t, 3))), f.quality, round(f.t, 3) in cuts,
              by_frame.get(round(f.t, 3), []))
        for f in report.visual.frames
    ]


def tag_source(md: MetadataSection, key: str, value: str | None) -> str:
    """The tag a field's value came from: the section's own record, else the raw tag holding exactly that value."""
    if value is None:
        return ""
    recorded = (getattr(md, "sources", None) or {}).get(key)
    if recorded and not recorded.startswith("container:"):  # "container:encoder" names no group: find the tag
        return recorded
    for group, tags in md.raw.items():
        if isinstance(tags, dict):
            for tag, text in tags.items():
                if str(text).strip() == value.strip():
                    return f"{group}:{tag}"
    return recorded or "derived (no single tag)"


def _meta_rows(md: MetadataSection) -> list[MetaRow]:
    rows = [MetaRow("Capture time", md.capture_time or "unknown", md.capture_time_source or "")]
    if getattr(md, "modify_time", None):
        rows.append(MetaRow("Modified", md.modify_time, md.modify_time_source or ""))
    rows.append(MetaRow("Time zone", md.timezone or "unknown", (md.capture_time_source or "") if md.timezone else ""))
    for label, key, value in (("Device make", "device.make", md.device.make),
                              ("Device model", "device.model", md.device.model),
                              ("Device software", "device.software", md.device.software),
                              ("Encoder", "encoder", md.encoder)):
        rows.append(MetaRow(label, value or "unknown", tag_source(md, key, value)))
    if md.gps is not None:
        g = md.gps
        text = f"{g.lat:.6f}, {g.lon:.6f}" + (f", altitude {g.alt:g} m" if g.alt is not None else "")
        rows.append(MetaRow("GPS", text, g.source, osm_link(g.lat, g.lon)))
    else:
        rows.append(MetaRow("GPS", "none recorded", ""))
    sources = getattr(md, "sources", None) or {}
    if getattr(md, "rotation", None) is not None:
        rows.append(MetaRow("Display rotation", f"{md.rotation}°", sources.get("rotation", "track matrix (tkhd)")))
    if getattr(md, "brands", None):
        rows.append(MetaRow("File brands", ", ".join(md.brands), sources.get("brands", "ftyp box")))
    if getattr(md, "handlers", None):
        rows.append(MetaRow("Track handlers", ", ".join(md.handlers), sources.get("handlers", "hdlr boxes")))
    rows.append(MetaRow("Content Credentials", _c2pa_text(md), "C2PA manifest store" if md.c2pa.present else ""))
    for step in getattr(md, "history", None) or []:
        text = " ".join(str(step.get(k, "")) for k in ("action", "softwareAgent", "software", "when") if step.get(k))
        rows.append(MetaRow("Editing history", text or str(step), "XMP:History"))
    return rows


def _c2pa_text(md: MetadataSection) -> str:
    c = md.c2pa
    validation = getattr(c, "validation", None)
    if c.present is None and validation is None:
        return "not checked"
    if c.present:
        text = f"manifest {validation or c.state or 'unread'}" + (f", signed by {c.signer}" if c.signer else "")
        trusted = getattr(c, "signer_trusted", None)
        text += {True: " (signer on the trust list)", False: " (signer not on the trust list)"}.get(trusted, "")
        text += f"; generator {c.claim_generator}" if c.claim_generator else ""
        text += f"; actions: {', '.join(c.actions)}" if c.actions else ""
    else:
        text = "no manifest (unknown: a re-save strips it; not evidence either way)"
    note = getattr(c, "note", None)
    return f"{text}. {note}" if note else text


def _stages(report: Report) -> list[StageRow]:
    errors: dict[str, list[str]] = {}
    for e in report.errors:
        errors.setdefault(e.stage, []).append(e.message)
    rows = [StageRow("ingest", "ok", report.timings.get("ingest"), errors.pop("ingest", []))]
    for name in ("metadata", "visual", "audio"):
        rows.append(StageRow(name, getattr(report, name).status, report.timings.get(name), errors.pop(name, [])))
    rows += [StageRow(stage, "error", report.timings.get(stage), msgs) for stage, msgs in errors.items()]
    return rows


def render_html(report: Report) -> str:
    return _env.get_template("report.html.j2").render(
        r=report, v=build_view(report), fmt_t=fmt_t, evidence_items=evidence_items
    )
