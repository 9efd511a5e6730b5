"""The on-screen text stage: captions, signs and documents read from the footage.

Frames: the stream's keyframes (shot changes and a sparse sample between them), or frames every ``interval_s``
when keyframes are far apart (frames.py); only text-like regions (detect.py) go to Tesseract (engine.py);
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
from provenance.text.view import LANGUAGE_NAMES, TextView

MAX_CAPTION_FINDINGS = 8  # caption findings listed one by one; the rest are in the section


def _ranges(items: list[TextItem]) -> str:
    """Time ranges of items, overlapping ones joined: "0:12.0–0:15.0, 0:40.0"."""
    spans: list[list[float]] = []
    for it in sorted(items, key=lambda i: i.start):
        if spans and it.start <= spans[-1][1] + 0.01:
            spans[-1][1] = max(spans[-1][1], it.end)
        else:
            spans.append([it.start, it.end])
    return ", ".join(fmt_t(a) if b - a < 0.05 else f"{fmt_t(a)}–{fmt_t(b)}" for a, b in spans)


class TextStage(Stage):
    name = "text"
    config_type = TextConfig
    section_type = TextSection
    kinds: ClassVar = frozenset({"video", "image"})
    view = TextView()

    def run(self, ctx: Context) -> TextSection:
        from provenance.text.analysis import analyse

        section, crops = analyse(ctx.media, ctx.config)
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
        captions = [it for it in text.items if it.kind == "caption"]
        for it in captions[:MAX_CAPTION_FINDINGS]:
            when = "" if still else f" {_ranges([it])}"
            out.append(Finding("on_screen_caption", "notice",
                               f"Caption{when}: “{it.text}” ({_language_words(it)}; {it.kind_basis}).",
                               {"text": it.text, "start": it.start, "end": it.end, "language": it.language,
                                "script": it.script, "confidence": it.confidence}))
        groups: dict[str, list[TextItem]] = {}
        for it in text.items:
            groups.setdefault(it.language or f"script:{it.script}", []).append(it)
        for key, items in groups.items():
            name = LANGUAGE_NAMES.get(key) or f"{key.removeprefix('script:')}-script (language not told)"
            where = "in the picture" if still else f"on screen {_ranges(items)}"
            out.append(Finding("on_screen_text", "info",
                               f"{name} text {where} ({len(items)} item{'s' if len(items) > 1 else ''}: "
                               f"{sum(i.kind == 'caption' for i in items)} caption, "
                               f"{sum(i.kind == 'scene' for i in items)} scene).",
                               {"language": items[0].language, "script": items[0].script,
                                "items": len(items), "times": _ranges(items)}))
        if text.budget_exhausted:
            out.append(Finding("text_incomplete", "notice",
                               "On-screen text reading stopped early (time budget, frame or read cap): text later "
                               "in the clip may be missing.", {"frames_sampled": text.frames_sampled,
                                                               "regions_read": text.regions_read}))
        return out


def _language_words(it: TextItem) -> str:
    if it.language:
        return f"{LANGUAGE_NAMES.get(it.language, it.language)}: {it.language_basis}"
    return f"{it.script or 'no'} script, language not told: {it.language_basis}"
