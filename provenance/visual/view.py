"""How reports show the visual stage: match cards with frame pairs, the contact sheet, timeline rows, Markdown.

Light (no decoder): the pictures were fetched by the stage (``Report.artefacts``); this only lays them out.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from provenance.report.model import Match, MatchedFrame, Report, VisualSection
from provenance.report.view import (
    Bar,
    TimelineRow,
    bar,
    data_uri,
    fmt_t,
    md_url,
    pct,
    render_partial,
    safe_link,
    status_words,
)
from provenance.report.view import md as md_text
from provenance.stage import StageView
from provenance.visual.signals import PDQ, PHASH
from provenance.visual.wording import (
    Coverage,
    Strength,
    coverage,
    describe,
    geometry_words,
    reference_is_still,
    spans,
)

PAIRS_SHOWN = 8  # frame pairs per match shown with pictures; every pair stays in the JSON


def shown_pairs(frames: list[MatchedFrame], limit: int = PAIRS_SHOWN) -> list[MatchedFrame]:
    """The pairs a report pictures: spread evenly over the match, always including the closest one."""
    if len(frames) <= limit:
        return list(frames)
    step = (len(frames) - 1) / (limit - 1)
    picks = {round(i * step) for i in range(limit)}
    best = min(range(len(frames)), key=lambda i: (frames[i].distance, i))
    if best not in picks:
        picks.remove(min(picks, key=lambda i: abs(i - best)))
        picks.add(best)
    return [frames[i] for i in sorted(picks)]


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
    strength: Strength  # method first, then the seconds matched
    coverage: Coverage  # clip seconds covered, the sampled-frame share as a detail


@dataclass
class Thumb:
    t: float
    img: str | None
    quality: int
    cut: bool
    matched: list[str]


@dataclass
class Page:
    """What the stage's template reads as ``v``."""

    matches: list[MatchView]
    sheet: list[Thumb]
    max_distance: int
    min_quality: int
    bits: int  # a distance is out of this many bits


def recorded_thresholds(section: VisualSection) -> tuple[int, int, int]:
    """(max distance, min quality, bits): the report's own, or PDQ's for a report from before they were recorded."""
    if section.thresholds is not None:
        return section.thresholds.max_distance, section.thresholds.min_quality, section.thresholds.bits
    return PDQ.max_distance, PDQ.min_quality or 0, PDQ.bits


def _match_view(report: Report, m: Match, number: int, thumbs: dict[float, bytes]) -> MatchView:
    refs = report.artefacts.references.get(m.reference_id, {})
    pairs = [Pair(p, data_uri(thumbs.get(round(p.query_t, 3))), data_uri(refs.get(p.reference_t)))
             for p in shown_pairs(m.frames)]
    note = report.artefacts.reference_notes.get(m.reference_id, "")
    if not note and pairs and not any(p.reference_img for p in pairs):
        note = "reference frames were not kept with this report"
    bits = recorded_thresholds(report.visual)[2]
    return MatchView(m, number, safe_link(m.url), pairs, note, reference_is_still(m, report),
                     describe(m, report, bits), coverage(m, report, bits))


def _sheet(section: VisualSection, thumbs: dict[float, bytes]) -> list[Thumb]:
    cuts = {round(t, 3) for t in section.shot_changes}
    by_frame: dict[float, list[str]] = {}
    for m in section.matches:
        for p in m.frames:
            by_frame.setdefault(round(p.query_t, 3), []).append(m.reference_id)
    return [
        Thumb(f.t, data_uri(thumbs.get(round(f.t, 3))), f.quality, round(f.t, 3) in cuts,
              by_frame.get(round(f.t, 3), []))
        for f in section.frames
    ]


class VisualView(StageView):
    def html(self, report: Report) -> str:
        thumbs = {round(t, 3): jpeg for t, jpeg in report.artefacts.thumbnails.items()}
        section: VisualSection = report.visual
        max_distance, min_quality, bits = recorded_thresholds(section)
        v = Page(
            matches=[_match_view(report, m, n, thumbs) for n, m in enumerate(section.matches, 1)],
            sheet=_sheet(section, thumbs),
            max_distance=max_distance,
            min_quality=min_quality,
            bits=bits,
        )
        return render_partial("provenance.visual", "visual.html.j2", r=report, v=v, geometry_words=geometry_words)

    def markdown(self, report: Report) -> list[str]:
        visual: VisualSection = report.visual
        if not visual.matches:
            return []
        bits = recorded_thresholds(visual)[2]
        out = ["## Known imagery", "",
               "| # | Reference | First seen | Source | Strength | Clip covered | Where |",
               "|---|---|---|---|---|---|---|"]
        for n, m in enumerate(visual.matches, 1):
            st = describe(m, report, bits)
            title = md_text(m.title or m.reference_id)
            link = safe_link(m.url)
            ref = f"[{title}](<{md_url(link)}>)" if link else title
            out.append(f"| {n} | {ref} | {md_text(m.first_seen or 'unknown')} | {md_text(m.source or 'unknown')} | "
                       f"{md_text(st.headline)} | {md_text(coverage(m, report, bits).words)} | "
                       f"{md_text('; '.join(st.spans))} |")
        out.append("")
        return out

    def timeline_rows(self, report: Report, duration: float) -> list[TimelineRow]:
        """Shots between shot changes, the sampled frames (matched ones marked), one row per match."""
        if report.media.kind != "video":
            return []
        visual: VisualSection = report.visual
        rows: list[TimelineRow] = []
        cuts = sorted(t for t in visual.shot_changes if 0 < t < duration)
        bounds = [0.0, *cuts, duration]
        shots = TimelineRow("Shots", css="row-shots")
        for i, (a, b) in enumerate(itertools.pairwise(bounds)):
            shots.bars.append(bar(a, b, duration, f"shot {i + 1}", f"shot {i + 1}: {fmt_t(a)}–{fmt_t(b)}",
                                  "shot-a" if i % 2 == 0 else "shot-b"))
        for t in cuts:
            shots.bars.append(Bar(pct(t, duration), 0.0, "", f"shot change at {fmt_t(t)}", "cut"))
        if visual.status != "ok":
            shots.bars, shots.note = [], f"visual stage: {status_words(visual.status)}"
        rows.append(shots)
        matched = {round(p.query_t, 3) for m in visual.matches for p in m.frames}
        frames = TimelineRow("Sampled frames", css="row-frames")
        for f in visual.frames:
            hit = round(f.t, 3) in matched
            frames.bars.append(Bar(pct(f.t, duration), 0.0, "", f"frame at {fmt_t(f.t)}, quality {f.quality}"
                                   + (", matched" if hit else ""), "tick hit" if hit else "tick"))
        rows.append(frames)
        for n, m in enumerate(visual.matches, 1):
            row = TimelineRow(f"Match {n}: {m.title or m.reference_id}", css="row-match")
            for s, words in zip(m.segments, spans(m, False, reference_is_still(m, report)), strict=True):
                row.bars.append(bar(s.query_start, s.query_end, duration, words.removeprefix("clip "), words, "seg"))
            rows.append(row)
        if visual.status == "ok" and not visual.matches:
            rows.append(TimelineRow("Matches", note="no match in the known-imagery index", css="row-match"))
        return rows

    def timeline_end(self, report: Report) -> float:
        visual: VisualSection = report.visual
        return max([f.t for f in visual.frames] + [s.query_end for m in visual.matches for s in m.segments],
                   default=0.0)

    def legend(self, report: Report) -> list[tuple[str, str]]:
        return [("seg", "matched known imagery"), ("tick hit", "matched frame"), ("cut", "shot change")]

    def run_details(self, report: Report) -> list[tuple[str, str]]:
        return [("Visual models", f"PDQ {PDQ.bits}-bit (pdqhash) for matching · pHash {PHASH.bits}-bit (imagehash)")]
