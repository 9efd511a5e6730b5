"""The audio stage: what language is spoken where, what is said, and lexical dialect cues.

Whisper over the whole clip (``provenance.audio.analysis.analyse``): a language timeline, a transcript per
region, optional English translation, dialect cues as low-confidence hints, never an identification.
"""

from __future__ import annotations

import dataclasses
import re
from typing import ClassVar

from provenance.audio.config import AudioConfig
from provenance.audio.languages import (
    UNCONFIRMED_SPEECH_S,
    clip_languages,
    firm_p,
    is_lead,
    not_counted,
    p_words,
    unconfirmed_more,
)
from provenance.audio.view import AudioView, best_guess, channel_languages, lead_words, unconfirmed_words
from provenance.report.model import AudioSection, Finding, Report
from provenance.stage import Context, Stage

_LANGUAGE_NAMES = {
    "en": "English", "ru": "Russian", "uk": "Ukrainian", "ko": "Korean", "zh": "Chinese", "ar": "Arabic",
    "fa": "Persian", "de": "German", "fr": "French", "es": "Spanish", "tr": "Turkish", "he": "Hebrew",
    "be": "Belarusian", "pl": "Polish", "ja": "Japanese", "pt": "Portuguese", "it": "Italian",
}


def _lang(code: str) -> str:
    """"Thai (th)": the short table first, then ISO 639 (pycountry, a dependency already) for the rest of
    Whisper's 99 languages ("la (la)" read as if the tool did not know the language; issue 13, L1)."""
    name = _LANGUAGE_NAMES.get(code)
    if name is None and code.isalpha() and len(code) in (2, 3):
        import pycountry  # ISO 639 data: loaded only for a language outside the table

        found = pycountry.languages.get(**{"alpha_2" if len(code) == 2 else "alpha_3": code})
        name = found.name if found is not None else None
    return f"{name or code} ({code})"



class AudioStage(Stage):
    name = "audio"
    config_type = AudioConfig
    section_type = AudioSection
    kinds: ClassVar = frozenset({"video", "audio"})
    view = AudioView()

    def run(self, ctx: Context) -> AudioSection:
        from provenance.audio.analysis import analyse

        asr: AudioConfig = ctx.config
        cap = ctx.pipeline.limits.max_audio_s
        if cap and cap < asr.max_seconds:  # [limits] max_audio_s bounds whatever the profile's [audio] asks
            asr = dataclasses.replace(asr, max_seconds=cap)
        if cap and ctx.media.duration_s and ctx.media.duration_s > asr.max_seconds and ctx.media.audio is not None:
            ctx.notes.append(Finding(
                "limit_audio_seconds", "notice",
                f"Only the first {asr.max_seconds:g} s of audio were analysed ([limits] max_audio_s, "
                "[audio] max_seconds).", {"analysed_s": asr.max_seconds, "duration_s": ctx.media.duration_s}))
        return analyse(ctx.media.path, asr, has_audio=ctx.media.audio is not None)

    def findings(self, report: Report) -> list[Finding]:
        audio: AudioSection = report.audio
        if audio.status != "ok":
            return []
        out: list[Finding] = []
        if audio.budget_exhausted:
            out.append(Finding("audio_incomplete", "notice",
                               "The audio time budget ran out: the transcript or translation stops early "
                               f"({audio.analysed_s or 0:.0f} s analysed).",
                               {"analysed_s": audio.analysed_s, "real_time_factor": audio.real_time_factor}))
        ch = audio.channels
        if ch is not None and ch.used in ("left", "right", "side"):
            what = {"side": "the side signal (left minus right)"}.get(ch.used, f"the {ch.used} channel alone")
            # the reason may say already what is analysed ("the louder left channel is analysed"): once is enough
            said = re.search(r"\b(analysed|transcribed)\b", ch.reason or "")
            tail = "" if said else f"; {what} was analysed"
            out.append(Finding("audio_channel", "notice",
                               f"Audio channels checked before mixing to mono: {ch.reason}{tail}"
                               f"{channel_languages(audio, _lang)}.",
                               {"used": ch.used, "levels_db": ch.levels_db, "channels": ch.count}))
        if audio.unidentified_s:
            message = (f"Speech found ({audio.unidentified_s:.0f} s) but its language was not identified: too unclear "
                       "or noisy for the model, or a language it knows poorly." if audio.language is None else
                       f"{audio.unidentified_s:.0f} s more speech whose language was not identified (not in the "
                       "timeline).")
            out.append(Finding("speech_unidentified", "notice", message,
                               {"unidentified_s": audio.unidentified_s, "speech_s": audio.speech_s}))
        more = unconfirmed_more(audio)
        if more:
            # every second of VAD speech is said: in a language, unidentified, or this (issue 13 round 10, H3)
            out.append(Finding("speech_unconfirmed", "notice", unconfirmed_words(more, more=True),
                               {"unconfirmed_s": audio.unconfirmed_s, "speech_s": audio.speech_s}))
        if audio.language is None:
            if audio.unidentified_s:
                return out
            if (audio.speech_s or 0.0) >= UNCONFIRMED_SPEECH_S:
                # never the words of a silent track when VAD heard speech (issue 13 round 6, H1)
                return [*out, Finding("speech_unconfirmed", "notice", unconfirmed_words(audio.speech_s or 0.0),
                                      {"speech_s": audio.speech_s})]
            return [*out, Finding("no_speech", "info", "No intelligible speech found in the audio track.", {})]
        lang = audio.language
        top = ", ".join(f"{c} {p:.2f}" for c, p in lang.top)
        evidence = {"code": lang.code, "probability": lang.probability, "top": lang.top, "model": audio.model}
        if audio.language_status == "mixed":
            # the clip's languages by the one rule the summary and the claim check use (``clip_languages``); an
            # uncertain guess is never one of them, nor are its regions (issue 13, D4), but it is named apart
            counted = clip_languages(audio)
            codes = {g.code for g in counted}
            parts = ", ".join(f"{_lang(g.code)} {g.seconds or 0:.0f} s"
                              + (f" (p {p_words(g.probability, g.code)}: under {firm_p(g.code):.2f}, a lead)"
                                 if is_lead(g) else "")
                              for g in counted)
            regions = "; ".join(f"{r.start:.0f}-{r.end:.0f} s {r.language}" for r in audio.timeline
                                if r.language in codes and not r.uncertain)
            others = "; ".join(f"{_lang(g.code)} {g.seconds or 0:.0f} s ({not_counted(g)})"
                               for g in audio.languages if g.code not in codes)
            out.append(Finding("mixed_language", "notice",
                               f"More than one language is spoken: {parts} ({regions})."
                               + (f" Not counted as languages of the clip: {others}." if others else ""),
                               {**evidence, "languages": [g.code for g in counted],
                                "timeline": [[r.start, r.end, r.language] for r in audio.timeline]}))
        elif audio.language_status == "uncertain":
            why = (f" It is not corroborated: {lang.doubt}." if getattr(lang, "corroborated", None) is False
                   and lang.doubt else "")
            out.append(Finding("language_uncertain", "notice",
                               f"The spoken language is uncertain: {best_guess(lang, _lang)} (top: {top}); the audio "
                               f"may be unclear, music or a language the model knows poorly.{why}",
                               {**evidence, "corroborated": getattr(lang, "corroborated", None),
                                "doubt": getattr(lang, "doubt", None)}))
        else:
            # one probability per language on the line: the top list's own entry (language ID on the joined speech)
            # can differ from the stated one ("probability 0.92; top: en 0.90"; issue 13 round 6, L1)
            others = ", ".join(f"{c} {p:.2f}" for c, p in lang.top if c != lang.code)
            lead = ""
            if (why := not_counted(lang)) is not None:
                # said where it is read: 1.5 s of Guarani heard as Spanish 0.82 read as the clip's language
                # (issue 13 round 12, M2); the claim check and the summary do not count it either
                lead = f" It is not counted as a language of the clip ({why}): evidence neither way."
            elif is_lead(lang):
                # under FIRM_P the model also names languages it cannot place: said so (round 11, H2)
                lead = f" It is {lead_words(lang.code)}."
            out.append(Finding("spoken_language", "info",
                               f"Spoken language {_lang(lang.code)}, probability {p_words(lang.probability, lang.code)}"
                               f"{f'; next: {others}' if others else ''}.{lead}",
                               evidence))
        for cue in audio.cues:
            words = ", ".join(f"'{m.word}' at {m.start:.1f} s" for m in cue.matches[:5])
            out.append(Finding("dialect_cue", "info",
                               f"Lexical hint of {cue.label} (low confidence, not an identification of the speaker): "
                               f"{words}.", {"variety": cue.variety, "language": cue.language,
                                             "matches": [m.__dict__ for m in cue.matches], "source": cue.source}))
        return out
