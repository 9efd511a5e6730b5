"""How reports show the audio stage: the language(s) with their shares, the timeline row, transcript, cues."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from provenance.audio.languages import (
    UNCONFIRMED_SPEECH_S,
    firm_p,
    is_lead,
    language_strength,
    not_counted,
    p_words,
    unconfirmed_more,
)
from provenance.report.model import AudioSection, LanguageGuess, Report
from provenance.report.view import TimelineRow, bar, fmt_t, md, render_partial, status_words
from provenance.stage import StageView

_LANG_COLOURS = 6  # CSS classes lang0..lang5


def unconfirmed_words(speech_s: float, more: bool = False) -> str:
    """What a clip says when VAD found speech but every region of it failed ``is_unidentified_speech``; with
    ``more``, of the part that failed beside speech that was placed (``AudioSection.unconfirmed_s``)."""
    if more:
        return (f"The voice detector found {speech_s:.0f} s more speech-like sound that the checks did not confirm "
                "as speech (music, noise, or speech too unclear to place); it is in no language's region, and a "
                "claim's language check counts it as possibly another language.")
    return (f"The voice detector found {speech_s:.0f} s of speech-like sound that the checks did not confirm as "
            "speech (music, noise, or speech too unclear to place); no language is given.")


def lead_words(code: str) -> str:
    """Why a language under its bar (``languages.firm_p``) is a lead, in the report's words."""
    return (f"a lead, not an identification: under {firm_p(code):.2f} the speech model also names languages it "
            "cannot place (Quechua as Thai up to 0.96, Shan as Thai 0.98)")


@dataclass
class Page:
    """What the stage's template reads as ``v``."""

    languages: dict[str, str]  # language code -> css class
    cues: list[dict[str, Any]]
    translated: bool  # some transcript segment carries a translation
    guess: str = ""  # the best guess of an uncertain clip, as ``best_guess`` words it
    unconfirmed: str = ""  # speech-like sound not confirmed beside placed speech (``unconfirmed_more``), in words
    lead: str = ""  # ``lead_words`` when the main language is a lead (``languages.language_strength``)
    main_p: str = ""  # the main language's probability as reports print it (``languages.p_words``)
    # per language heard, in the section's order: its probability (``p_words``) and why it is a lead or not
    # counted, in report.md's words (issue 13 round 12, L1/L2: "0.93 ... under 0.93", no mark in the table)
    rows: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def language_classes(section: AudioSection) -> dict[str, str]:
    """A colour class per language, in order of first appearance (timeline, then transcript)."""
    codes: list[str] = []
    for region in section.timeline:
        if region.language not in codes:
            codes.append(region.language)
    for seg in section.segments:
        if seg.language and seg.language not in codes:
            codes.append(seg.language)
    return {c: f"lang{i % _LANG_COLOURS}" for i, c in enumerate(codes)}


def best_guess(lang: LanguageGuess, name: Callable[[str], str] = str) -> str:
    """The model's best guess as reports state it: the top entry of its distribution, or no guess on a tie.

    The guess is what the model rates highest, not the timeline's label: "best guess English (en) 0.49 (top:
    ru 0.49, en 0.49)" named the second entry (issue 13 round 2, M3). Two entries equal at the precision shown
    (two decimals) are a tie, and a tie is no guess. ``name`` words a code ("Russian (ru)").
    """
    top = lang.top or [(lang.code, lang.probability)]
    (code, p), rest = top[0], top[1:]
    if rest and round(rest[0][1], 2) == round(p, 2):
        return f"no best guess: {name(code)} and {name(rest[0][0])} are tied at probability {p:.2f}"
    return f"best guess {name(code)} at probability {p:.2f}"


def channel_languages(section: AudioSection, name: Callable[[str], str] = str) -> str:
    """" (de on the left channel; es on the right channel)": which channel each language is on, when the two
    channels carry different speech. The analysed channel's languages are the timeline's; the other channel's are
    the languages with no timeline region (identified, not transcribed). "the left channel alone was analysed"
    then "Language: es" read as Spanish on the left (issue 13 round 6, M1). ``name`` words a code."""
    ch = section.channels
    if ch is None or ch.used not in ("left", "right") or "different speech" not in (ch.reason or ""):
        return ""
    other = "right" if ch.used == "left" else "left"
    here = {r.language for r in section.timeline}
    parts = [f"{name(g.code)} on the {ch.used if g.code in here else other} channel" for g in section.languages]
    # shares are of both channels' speech seconds; speech_s is clock time either channel speaks (never twice)
    total = sum(g.seconds or 0.0 for g in section.languages) + (section.unidentified_s or 0.0)
    parts.append(f"{total:.1f} s of speech on the two channels together, the shares' whole; "
                 f"{section.speech_s or 0.0:.1f} s of clock time")
    return f" ({'; '.join(parts)})"


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value


def _share(guess: LanguageGuess) -> str:
    """'ru 48% (6.4 s, p 0.99)': a language with its share of all speech, its seconds and probability, and why it
    is not a language of the clip where it is not (``languages.not_counted``, the claim check's words too)."""
    share = f" {guess.share:.0%}" if guess.share is not None else ""
    seconds = f"{guess.seconds:.1f} s, " if guess.seconds is not None else ""
    mark = _mark(guess)
    p = p_words(guess.probability, guess.code)
    return f"{md(guess.code)}{share} ({seconds}p {p}{f', {md(mark)}' if mark else ''})"


def _mark(guess: LanguageGuess) -> str:
    """'a lead', 'not counted: <why>' or '' for a language heard (``is_lead``, ``not_counted``)."""
    why = not_counted(guess)
    return "a lead" if is_lead(guess) else f"not counted: {why}" if why else ""


class AudioView(StageView):
    def html(self, report: Report) -> str:
        section: AudioSection = report.audio
        v = Page(
            languages=language_classes(section),
            cues=[c for c in map(_plain, section.cues) if isinstance(c, dict)],
            translated=any(getattr(s, "translation", None) for s in section.segments),
            guess=best_guess(section.language) if section.language is not None else "",
            unconfirmed=unconfirmed_words(more, more=True) if (more := unconfirmed_more(section)) else "",
            lead=lead_words(section.language.code) if language_strength(section) == "lead" else "",
            main_p=p_words(section.language.probability, section.language.code) if section.language else "",
            rows=[(p_words(g.probability, g.code), _mark(g)) for g in section.languages],
        )
        return render_partial("provenance.audio", "audio.html.j2", r=report, v=v)

    def markdown(self, report: Report) -> list[str]:
        au: AudioSection = report.audio
        out = ["## Speech", ""]
        if au.language:
            top = ", ".join(f"{md(c)} {p:.2f}" for c, p in au.language.top)
            if au.language_status == "uncertain":
                out.append(f"- **Language uncertain:** {md(best_guess(au.language))} (top: {top})")
            else:
                others = ", ".join(f"{md(c)} {p:.2f}" for c, p in au.language.top if c != au.language.code)
                p = p_words(au.language.probability, au.language.code)
                out.append(f"- **Language:** {md(au.language.code)} (probability {p}"
                           f"{f'; next: {others}' if others else ''})"
                           f"{f' — {lead_words(au.language.code)}' if is_lead(au.language) else ''}")
            if getattr(au.language, "corroborated", None) is False:
                out.append(f"- **Not corroborated:** {md(au.language.doubt or '')}")
            if len(au.languages) > 1 or (au.languages and (au.unidentified_s or unconfirmed_more(au))):
                # every language heard (a two-channel clip's second voice has no timeline region): issue 13 r2 M5
                shares = "; ".join(_share(g) for g in au.languages)
                out.append(f"- **Languages ({md(au.language_status or '')}):** {shares}")
            langs = ", ".join(f"{fmt_t(x.start)}–{fmt_t(x.end)} {md(x.language)}" for x in au.timeline)
            if langs:
                out.append(f"- **Regions:** {langs}")
            for x in au.timeline:
                if getattr(x, "withheld", None):
                    out.append(f"- **Text not shown** ({fmt_t(x.start)}–{fmt_t(x.end)}): {md(x.withheld)}")
            if au.unidentified_s:
                out.append(f"- **Speech, language not identified:** {au.unidentified_s:.0f} s more")
            if unconfirmed_more(au):
                out.append(f"- **Speech not confirmed:** {md(unconfirmed_words(au.unconfirmed_s or 0.0, more=True))}")
            out.append(f"- **Model:** {md(au.engine or '')} · {md(au.model or '')}")
        else:
            plain = {"ok": "- no intelligible speech", "skipped": "- audio not analysed (not in this pipeline)"}.get(
                au.status, f"- audio: {md(status_words(au.status))}")
            if au.unidentified_s:
                plain = f"- **Speech found, language not identified:** {au.unidentified_s:.0f} s"
                if unconfirmed_more(au):
                    plain += f"\n- **Speech not confirmed:** {md(unconfirmed_words(au.unconfirmed_s or 0.0, True))}"
            elif au.status == "ok" and (au.speech_s or 0.0) >= UNCONFIRMED_SPEECH_S:
                plain = f"- **Speech not confirmed:** {md(unconfirmed_words(au.speech_s or 0.0))}"
            out.append(plain)
        ch = au.channels
        if ch is not None and ch.used in ("left", "right", "side"):
            what = "side signal (left minus right)" if ch.used == "side" else f"{ch.used} channel alone"
            said = re.search(r"\b(analysed|transcribed)\b", ch.reason or "")  # said once, not twice (round 6, L2)
            out.append(f"- **Channels:** {'' if said else f'{what} analysed: '}{md(ch.reason or '')}"
                       f"{' ' + md(channel_languages(au).strip()) if channel_languages(au) else ''}")
        return out

    def timeline_rows(self, report: Report, duration: float) -> list[TimelineRow]:
        section: AudioSection = report.audio
        languages = language_classes(section)
        lang = TimelineRow("Spoken language", css="row-lang")
        for region in section.timeline:
            unsure = getattr(region, "uncertain", False)
            css = languages.get(region.language, "lang0") + (" uncertain" if unsure else "")
            lang.bars.append(bar(region.start, region.end, duration, region.language + ("?" if unsure else ""),
                                 f"{region.language} {fmt_t(region.start)}–{fmt_t(region.end)} "
                                 f"(p {region.probability:.2f}{', uncertain' if unsure else ''})", css))
        if not lang.bars:
            lang.note = {"ok": "no speech detected", "skipped": "audio not analysed (not in this pipeline)",
                         "no_audio": "no audio track", "error": "audio stage failed"}.get(
                section.status, f"audio: {status_words(section.status)}")
        return [lang]

    def timeline_end(self, report: Report) -> float:
        audio: AudioSection = report.audio
        return max([r.end for r in audio.timeline] + [s.end for s in audio.segments], default=0.0)

    def legend(self, report: Report) -> list[tuple[str, str]]:
        section: AudioSection = report.audio
        languages = language_classes(section)
        spoken = {region.language for region in section.timeline}
        out = [(css, f"language {code}") for code, css in languages.items() if code in spoken]
        if any(getattr(region, "uncertain", False) for region in section.timeline):
            out.append(("lang5 uncertain", "uncertain language (a best guess)"))
        return out

    def run_details(self, report: Report) -> list[tuple[str, str]]:
        au: AudioSection = report.audio
        if not (au.engine or au.model):
            return [("Speech model", "none ran")]
        rtf = f" · real-time factor {au.real_time_factor:.2f}" if au.real_time_factor is not None else ""
        return [("Speech model", f"{au.engine or ''} · {au.model or ''}{rtf}")]
