"""The on-screen text stage: captions, signs and documents read from the footage.

Frames: the first frame of every shot (cuts found as the visual stage finds them) and one every ``interval_s``
(frames.py); only text-like regions (detect.py) go to Tesseract (engine.py);
readings are merged across frames into items with their time range, box, script, language, confidence and
recogniser, and called burned-in caption or scene text (analysis.py). Without Tesseract or one of its
language models the section is "unavailable" with the reason, and the other stages run as ever.
"""

from __future__ import annotations

from typing import ClassVar

from provenance.report.model import Finding, Report, TextItem, TextSection
from provenance.report.view import fmt_t
from provenance.stage import Context, Stage
from provenance.text.config import TextConfig
from provenance.text.detect import DETECT_WIDTH, MAX_REGIONS, MAX_REGIONS_STILL, MIN_HEIGHT, tiles
from provenance.text.language import candidates_words
from provenance.text.view import LANGUAGE_NAMES, TextView

MAX_CAPTION_FINDINGS = 8  # caption findings listed one by one; the rest are in the section
# a still shrunk by this factor or more before reading, or searched in tiles, is said (``text_reduced``); as a
# notice when lines under SMALL_TEXT_PX (px in the original) cannot be found: body text of a phone screenshot or a
# scanned page is 20-40 px tall, a sign in a 6000-px panorama 40 px (the issue 18 round-3 tester's, "no text read")
SHRINK_NOTICE = 1.5
SMALL_TEXT_PX = 30


def _ranges(items: list[TextItem]) -> str:
    """Time ranges of items, overlapping ones joined: "0:12.0–0:15.0, 0:40.0" (first to last frame read)."""
    spans: list[list[float]] = []
    for it in sorted(items, key=lambda i: i.start):
        if spans and it.start <= spans[-1][1] + 0.01:
            spans[-1][1] = max(spans[-1][1], it.end)
        else:
            spans.append([it.start, it.end])
    return ", ".join(fmt_t(a) if b - a < 0.05 else f"{fmt_t(a)}–{fmt_t(b)}" for a, b in spans)


def _bounds(items: list[TextItem], section: TextSection) -> str:
    """How exact the ranges are: " (at most 0:00.0–0:02.4; frames read every 1 s and at each shot change)": the
    neighbouring frames read where the text was not seen, joined as ``_ranges`` joins the times seen."""
    outer = [TextItem(text="", start=it.range_from, end=it.range_to) for it in items
             if it.range_from is not None and it.range_to is not None]
    step = f"frames read every {section.interval_s:g} s and at each shot change" if section.interval_s else ""
    parts = [p for p in (f"at most {_ranges(outer)}" if outer else "", step) if p]
    return f" ({'; '.join(parts)})" if parts else ""


class TextStage(Stage):
    name = "text"
    config_type = TextConfig
    section_type = TextSection
    kinds: ClassVar = frozenset({"video", "image"})
    view = TextView()

    def run(self, ctx: Context) -> TextSection:
        from provenance.report.model import VisualSection
        from provenance.text.analysis import PICTURE_CHANGE, analyse

        visual = ctx.pipeline.stages.get("visual")
        frames = getattr(visual, "frames", None)
        threshold = frames.shot_threshold if frames is not None else PICTURE_CHANGE
        seen = ctx.earlier.get("visual")
        cuts = list(seen.shot_changes) if isinstance(seen, VisualSection) and seen.status == "ok" else None
        section, crops = analyse(ctx.media, ctx.config, threshold, cuts, ctx.pipeline.limits.max_pixels)
        if ctx.artefacts is not None:
            ctx.artefacts.crops.update(crops)
        return section

    def findings(self, report: Report) -> list[Finding]:
        text: TextSection = report.text
        if text.status == "unavailable":
            return [Finding("text_unavailable", "notice", f"On-screen text was not read: {text.unavailable}.",
                            {"reason": text.unavailable})]
        if text.status != "ok":
            return []
        out = []
        still = report.media.kind == "image"
        shown = [it for it in text.items if not it.low_confidence]  # the rest: JSON only (analysis.plausible)
        captions = [it for it in shown if it.kind == "caption"]
        paged = still and text.pages is not None
        for it in captions[:MAX_CAPTION_FINDINGS]:
            when = f" on page {round(it.start) + 1}" if paged else "" if still else \
                f" {_ranges([it])}{_bounds([it], text)}"
            out.append(Finding("on_screen_caption", "notice",
                               f"Caption{when}: “{it.text}” ({_language_words(it)}; {it.kind_basis}).",
                               {"text": it.text, "start": it.start, "end": it.end, "language": it.language,
                                "script": it.script, "confidence": it.confidence}))
        groups: dict[str, list[TextItem]] = {}
        for it in shown:
            # Cyrillic of several candidate languages (text/language.py cyrillic_candidates) is grouped by them
            may = f"may:{candidates_words(it.languages)}" if not it.language and len(it.languages) > 1 else None
            groups.setdefault(it.language or may or f"script:{it.script}", []).append(it)
        for key, items in groups.items():
            script = key.removeprefix("script:")
            name = LANGUAGE_NAMES.get(key) or ("Latin-or-Cyrillic (script and language not told)" if script == "None"
                                               else f"Cyrillic ({key[4:]}: language not told)"
                                               if key.startswith("may:") else f"{script}-script (language not told)")
            where = f"on {page_words(items)}" if paged else "in the picture" if still else \
                f"on screen {_ranges(items)}{_bounds(items, text)}"
            out.append(Finding("on_screen_text", "info",
                               f"{name} text {where} ({len(items)} item{'s' if len(items) > 1 else ''}: "
                               f"{sum(i.kind == 'caption' for i in items)} caption, "
                               f"{sum(i.kind == 'scene' for i in items)} scene"
                               + (f", {n} caption or scene, not told" if (n := sum(i.kind == 'uncertain'
                                                                                    for i in items)) else "")
                               + ").",
                               {"language": items[0].language, "script": items[0].script,
                                "items": len(items), "times": _ranges(items)}))
        if text.regions_failed:
            out.append(Finding("text_incomplete", "notice",
                               f"The recogniser failed on {text.regions_failed} of {text.regions_read} text "
                               f"region{'s' if text.regions_read != 1 else ''}: text there was not read.",
                               {"regions_failed": text.regions_failed, "regions_read": text.regions_read}))
        pages = _pages_not_read(text) if paged else None
        if pages is not None:
            out.append(pages)
        elif text.budget_exhausted:
            later = "text in the rest of the picture" if still else "text later in the clip"
            out.append(Finding("text_incomplete", "notice",
                               f"On-screen text reading stopped early (time budget, frame or read cap): {later} "
                               "may be missing.", {"frames_sampled": text.frames_sampled,
                                                   "regions_read": text.regions_read}))
        if text.regions_capped:
            per = MAX_REGIONS_STILL if still else MAX_REGIONS
            where = "the picture" if still else f"{text.frames_capped} frame{'s' if text.frames_capped > 1 else ''}"
            out.append(Finding("text_incomplete", "notice",
                               f"More text-like regions than are read per frame: {text.regions_capped} in {where} "
                               f"were not read (the {per} largest of each frame were): a dense page or screen "
                               "may be read in part.", {"regions_capped": text.regions_capped,
                                                        "frames_capped": text.frames_capped, "per_frame": per}))
        if text.read_size and text.source_size:
            out += _reduced(text.source_size, text.read_size)
        return out


def page_words(items: list[TextItem]) -> str:
    """"page 2", "pages 1, 3 and 4": the pages (t = page - 1) items of a multi-page TIFF were read on."""
    from provenance.visual.stage import _pages

    numbers = sorted({round(it.start) + 1 for it in items})
    return f"page{'s' if len(numbers) > 1 else ''} {_pages(numbers)}"


def _pages_not_read(text: TextSection) -> Finding | None:
    """``text_pages_not_read`` (notice): the pages of a multi-page TIFF whose text was not read (did not decode,
    reading stopped at the time budget or read cap, past ``limits.MAX_STILL_PAGES``), so a reader knows what the
    section (and a claim's language check, which then decides nothing: ``budget_exhausted``) does not cover."""
    from provenance.limits import MAX_STILL_PAGES
    from provenance.visual.stage import _pages

    pages = text.pages or 0
    over = pages > MAX_STILL_PAGES
    if not text.pages_not_read and not over and not text.budget_exhausted:
        return None
    counted = f"more than {MAX_STILL_PAGES}" if over else f"{pages}"
    said = [f"On-screen text of a TIFF of {counted} pages was read on {len(text.pages_read)} of them"]
    if text.pages_not_read:
        n = len(text.pages_not_read)
        said.append(f"page{'s' if n > 1 else ''} {_pages(text.pages_not_read)} {'were' if n > 1 else 'was'} not "
                    "read (did not decode, or reading stopped at its time budget or read cap)")
    if over:
        said.append(f"pages after {MAX_STILL_PAGES} (the most read in one file) were not read")
    if not text.pages_not_read and not over:
        said.append("reading stopped early (time budget or read cap): text on the last page read may be missing")
    return Finding("text_pages_not_read", "notice", "; ".join(said) + ".",
                   {"pages": counted, "pages_read": text.pages_read, "pages_not_read": text.pages_not_read,
                    "max_pages": MAX_STILL_PAGES})


def _reduced(source: list[int], read: list[int]) -> list[Finding]:
    """``text_reduced``: a still read shrunk (``SHRINK_NOTICE``), or searched in tiles (``detect.tiles``), with
    the smallest line height (px in the original) the detector can find at the scale each tile was searched."""
    shrink = source[0] / max(1, read[0])
    spans = tiles(read[0], read[1])
    searched = spans[0][1] - spans[0][0]  # px wide: the frame, or one tile
    smallest = round(MIN_HEIGHT * shrink / min(1.0, DETECT_WIDTH / max(1, searched)))
    if shrink < SHRINK_NOTICE and len(spans) == 1:
        return []
    how = f"read shrunk {shrink:.1f}× to {read[0]}×{read[1]}" if shrink >= SHRINK_NOTICE else \
        f"read at {read[0]}×{read[1]}"
    if len(spans) > 1:
        how += f", searched in {len(spans)} overlapping tiles of {searched}×{read[1]}"
    return [Finding("text_reduced", "notice" if smallest > SMALL_TEXT_PX else "info",
                    f"The picture ({source[0]}×{source[1]}) was {how}: lines under about {smallest} px tall in it "
                    "are too small to be found and may be missing.",
                    {"source_size": source, "read_size": read, "smallest_line_px": smallest,
                     "tiles": len(spans)})]


def _language_words(it: TextItem) -> str:
    if it.language:
        return f"{LANGUAGE_NAMES.get(it.language, it.language)}: {it.language_basis}"
    return f"{it.script or 'no'} script, language not told: {it.language_basis}"
