"""How reports show the visual stage: match cards with frame pairs, the contact sheet, timeline rows, Markdown.

Light (no decoder): the pictures were fetched by the stage (``Report.artefacts``); this only lays them out.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from urllib.parse import quote

from provenance.report.model import KeyframeFile, Match, MatchedFrame, Report, VisualSection
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
    examined_s,
    geometry_words,
    page_words,
    reference_is_still,
    sample_step,
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


# a keyframe's path as the writer names it (visual/keyframes.py): only such a path becomes a link, so an edited
# report cannot make one point anywhere but into its own keyframes folder (integrity._in_folder checks the same)
_KEYFRAME_PATH = re.compile(r"keyframes/[A-Za-z0-9_-][A-Za-z0-9_.-]*")


def keyframe_links(section: VisualSection) -> dict[float, KeyframeFile]:
    """Frame time (rounded to the ms, as thumbnails are keyed) -> the full-resolution keyframe taken there."""
    if section.keyframes is None:
        return {}
    return {round(f.t, 3): f for f in section.keyframes.frames if _KEYFRAME_PATH.fullmatch(f.path)}


def href(path: str) -> str:
    """A relative link to a file of the report folder (resolved against report.html's own folder)."""
    return quote(path, safe="/")


@dataclass
class Pair:
    frame: MatchedFrame
    query_img: str | None
    reference_img: str | None
    full: str | None = None  # link to the clip frame at full resolution (a keyframe), when there is one


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
    pages: str = ""  # "page 12 of " against a reference of more than one page (wording.page_words), else ""


@dataclass
class Thumb:
    t: float
    img: str | None
    quality: int
    cut: bool
    matched: list[str]
    full: str | None = None  # link to this frame at full resolution (a keyframe), when there is one


@dataclass
class KeyframesView:
    """The report's keyframes folder as the page names it."""

    count: int
    shots: int  # of them at shot changes
    size: str  # "1280×720"
    index: str | None  # link to the folder's index page
    sheet: str | None  # link to its contact sheet
    capped_at_s: float | None
    every_s: float


@dataclass
class Page:
    """What the stage's template reads as ``v``."""

    matches: list[MatchView]
    sheet: list[Thumb]
    keyframes: KeyframesView | None
    max_distance: int
    min_quality: int
    bits: int  # a distance is out of this many bits


def recorded_thresholds(section: VisualSection) -> tuple[int, int, int]:
    """(max distance, min quality, bits): the report's own, or PDQ's for a report from before they were recorded."""
    if section.thresholds is not None:
        return section.thresholds.max_distance, section.thresholds.min_quality, section.thresholds.bits
    return PDQ.max_distance, PDQ.min_quality or 0, PDQ.bits


def _match_view(report: Report, m: Match, number: int, thumbs: dict[float, bytes],
                links: dict[float, KeyframeFile]) -> MatchView:
    refs = report.artefacts.references.get(m.reference_id, {})
    pairs = [Pair(p, data_uri(thumbs.get(round(p.query_t, 3))), data_uri(refs.get(p.reference_t)),
                  href(k.path) if (k := links.get(round(p.query_t, 3))) else None)
             for p in shown_pairs(m.frames)]
    note = report.artefacts.reference_notes.get(m.reference_id, "")
    if not note and pairs and not any(p.reference_img for p in pairs):
        note = "reference frames were not kept with this report"
    bits = recorded_thresholds(report.visual)[2]
    return MatchView(m, number, safe_link(m.url), pairs, note, reference_is_still(m, report),
                     describe(m, report, bits), coverage(m, report, bits), page_words(m))


def _sheet(section: VisualSection, thumbs: dict[float, bytes], links: dict[float, KeyframeFile]) -> list[Thumb]:
    cuts = {round(t, 3) for t in section.shot_changes}
    by_frame: dict[float, list[str]] = {}
    for m in section.matches:
        for p in m.frames:
            by_frame.setdefault(round(p.query_t, 3), []).append(m.reference_id)
    return [
        Thumb(f.t, data_uri(thumbs.get(round(f.t, 3))), f.quality, round(f.t, 3) in cuts,
              by_frame.get(round(f.t, 3), []), href(k.path) if (k := links.get(round(f.t, 3))) else None)
        for f in section.frames
    ]


def _keyframes_view(section: VisualSection, links: dict[float, KeyframeFile]) -> KeyframesView | None:
    k = section.keyframes
    if k is None or not links:
        return None
    frames = list(links.values())
    sizes = sorted({f"{f.width}×{f.height}" for f in frames})
    index = f"{k.folder}/index.html" if f"{k.folder}/index.html" in k.files else None
    sheet = f"{k.folder}/contact-sheet.jpg" if f"{k.folder}/contact-sheet.jpg" in k.files else None
    return KeyframesView(len(frames), sum(f.shot_change for f in frames), ", ".join(sizes),
                         href(index) if index and _KEYFRAME_PATH.fullmatch(index) else None,
                         href(sheet) if sheet and _KEYFRAME_PATH.fullmatch(sheet) else None, k.capped_at_s, k.every_s)


def _keyframes_words(kv: KeyframesView) -> str:
    """"15 frames at the source's resolution (1280×720) in keyframes/, for a reverse image search: 14 at shot
    changes, the others the clip's first frame or one every 10 s within a longer shot"."""
    text = (f"{kv.count} frame{'s' if kv.count != 1 else ''} at the source's resolution ({kv.size}) in keyframes/, "
            f"for a reverse image search: {kv.shots} at shot changes")
    if kv.count > kv.shots:
        text += f", the others the clip's first frame or one every {kv.every_s:g} s within a longer shot"
    if kv.capped_at_s is not None:
        text += f"; none from {fmt_t(kv.capped_at_s)} on ([visual.keyframes] max_frames or max_mb reached)"
    return text


class VisualView(StageView):
    def html(self, report: Report) -> str:
        thumbs = {round(t, 3): jpeg for t, jpeg in report.artefacts.thumbnails.items()}
        section: VisualSection = report.visual
        max_distance, min_quality, bits = recorded_thresholds(section)
        links = keyframe_links(section)
        v = Page(
            matches=[_match_view(report, m, n, thumbs, links) for n, m in enumerate(section.matches, 1)],
            sheet=_sheet(section, thumbs, links),
            keyframes=_keyframes_view(section, links),
            max_distance=max_distance,
            min_quality=min_quality,
            bits=bits,
        )
        return render_partial("provenance.visual", "visual.html.j2", r=report, v=v, geometry_words=geometry_words,
                              keyframes_words=_keyframes_words)

    def markdown(self, report: Report) -> list[str]:
        visual: VisualSection = report.visual
        out = self._markdown_matches(report)
        links = keyframe_links(visual)
        if (kv := _keyframes_view(visual, links)) is None:
            return out
        pages = " · ".join(f"[{name}](<{md_url(link)}>)" for name, link in (("index page", kv.index),
                                                                            ("contact sheet", kv.sheet)) if link)
        out += ["## Keyframes", "",
                f"{_keyframes_words(kv)}{' (' + pages + ')' if pages else ''}.", "",
                "| Time | Frame | Size |", "|---|---|---|"]
        for n, f in enumerate(links.values()):
            what = " (shot change)" if f.shot_change else " (first frame)" if n == 0 else ""
            out.append(f"| {fmt_t(f.t)}{what} | "
                       f"[{md_text(f.path.rpartition('/')[2])}](<{md_url(href(f.path))}>) | "
                       f"{f.width}×{f.height}, {f.size_bytes / 1000:.0f} kB |")
        out.append("")
        return out

    def _markdown_matches(self, report: Report) -> list[str]:
        visual: VisualSection = report.visual
        if not visual.matches:
            return []
        bits = recorded_thresholds(visual)[2]
        out = ["## Known imagery", "",
               "| # | Reference | First seen | Source | Strength | Clip covered | Where |",
               "|---|---|---|---|---|---|---|"]
        for n, m in enumerate(visual.matches, 1):
            st = describe(m, report, bits)
            title = md_text(page_words(m) + (m.title or m.reference_id))  # "page 12 of Press kit"
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
            for s, words in zip(m.segments, spans(m, False, reference_is_still(m, report), step=sample_step(report),
                                                  clip_s=examined_s(report), cuts=visual.shot_changes,
                                                  samples=[f.t for f in visual.frames]), strict=True):
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
