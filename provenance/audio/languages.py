"""Which languages are languages of a clip: one rule for the stage's single/mixed status, its notices, the
report's language lines and the claim check (issue 13, D5: the claim's detail and the report's summary said
different things of one clip, each by its own rule).

A language counts when it is identified with confidence (``uncertain_below``), not put in doubt by the stage's
second look (``corroborated`` false) and spoken for at least ``MIXED_MIN_S``. Its *share* of the speech does not
decide (issue 13, D3: 9.3 s of Russian at p 0.99 inside 64 s of English, 13% of the speech, was summarised as
one language). The 15% share rule guards only the other way round: speech whose language was not identified
may be the claimed language or another one (``claims._LANGUAGE_MIN_SHARE``).
"""

from __future__ import annotations

import math

from provenance.audio.config import AudioConfig
from provenance.report.model import AudioSection, LanguageGuess

# A language needs this much speech to count: language ID on under 3 s is a coin toss (1.5-1.8-s halves of true
# Festival Russian regions read pt 0.16 or ru 0.49; analysis.CORROBORATE_MIN_S, the same bar), and below it VAD's
# padding around a cough or a click adds up.
MIXED_MIN_S = 3.0
# The languages Whisper's multilingual models can name (faster-whisper's ``tokenizer._LANGUAGE_CODES``, the same
# 100 for openai-whisper; "jw" is Whisper's code for Javanese). Speech in any other language is heard as one of
# them or as unidentified speech: espeak-ng Quechua came out Thai at 0.75-0.92, corroborated, beside Russian or
# English (issue 13 round 11, tester H1/H2), so not hearing such a language is no evidence that it was not spoken.
# tests/test_audio_claims.py checks the list against faster-whisper's.
SPEECH_MODEL_LANGUAGES = frozenset({
    "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy", "da", "de", "el", "en",
    "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw", "he", "hi", "hr", "ht", "hu", "hy", "id",
    "is", "it", "ja", "jw", "ka", "kk", "km", "kn", "ko", "la", "lb", "ln", "lo", "lt", "lv", "mg", "mi", "mk", "ml",
    "mn", "mr", "ms", "mt", "my", "ne", "nl", "nn", "no", "oc", "pa", "pl", "ps", "pt", "ro", "ru", "sa", "sd", "si",
    "sk", "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl", "tr", "tt", "uk", "ur",
    "uz", "vi", "yi", "yo", "yue", "zh",
})
UNCERTAIN_BELOW = AudioConfig.uncertain_below  # the profile default; the stage passes the profile's own
# A language named at this probability or more is an identification, evidence for or against a claim; under it
# (and over ``uncertain_below``) a lead: Whisper base also names languages it cannot place there, corroborated (a
# second look agrees, the transcript passes). Measured (tests/data/audio, sample_media, the round 11 tester's 46
# clips, the dev benchmark's speech; CT2_FORCE_CPU_ISA GENERIC, AVX, AVX2): the wrong languages it named, as
# corroborated as the true ones, reach 0.922: espeak-ng Quechua as Thai 0.76-0.88 alone (a Thai claim was
# "supported", issue 13 round 11, H2; tests/data/audio/qu2_espeak.flac) and 0.90-0.922 beside Russian, Lingua
# Franca Nova as Spanish 0.76, espeak Korean as Thai 0.84, espeak Russian beside noise as Arabic 0.90. True
# languages: 0.945-0.9998, but for one GENERIC English region that holds some German (0.922), which is then a
# lead: the overlap is thin, and the cost of a lead is "unknown", of a sink "supports".
FIRM_P = 0.93
# Languages Whisper base names for speech it cannot place, at the probabilities true languages get, need more to be
# an identification. Thai: espeak-ng Quechua or Guarani after English, Russian or real JFK speech came out Thai
# 0.928-0.961, corroborated, on every instruction set (issue 13 round 12, H1: 9 clips; alone the same sentence is
# unidentified), Shan (a Tai language) Thai 0.978 (M3), espeak Korean 0.84, Quenya 0.74. No true Thai could be
# measured: Whisper base hears espeak-ng's Thai as no language at all (8 sentences: unidentified, one Finnish
# 0.49), and no Thai recording is packaged. 0.99 is over every wrong Thai seen with the instruction-set spread
# (0.900-0.922 for one clip across GENERIC, AVX, AVX2); a true Thai clip under it reads as a lead, "unknown" for a
# claim, never a wrong "supports".
SINK_FIRM_P: dict[str, float] = {"th": 0.99}


def firm_p(code: str | None) -> float:
    """The probability at which ``code`` is an identification (``FIRM_P``, or its ``SINK_FIRM_P``)."""
    return SINK_FIRM_P.get(code or "", FIRM_P)


def p_words(p: float, code: str | None = None) -> str:
    """A probability as reports print it: two decimals, or three where two would round a lead up to its bar
    (``firm_p(code)``: "0.929 ... under 0.93", never "0.93 ... under 0.93"; issue 13 round 12, L1)."""
    bar = firm_p(code)
    return f"{math.floor(p * 1000) / 1000:.3f}" if p < bar <= round(p, 2) else f"{p:.2f}"
# A clip whose voice detector found at least this many seconds of speech never reads as silence, even when every
# region of it was dropped by ``analysis.is_unidentified_speech`` (music Whisper wrote a line over): it says the
# voice detector heard speech-like sound the checks did not confirm. Issue 13 round 6, H1: espeak Korean beside
# music (11.1 s) read "No intelligible speech" under AVX2 and "unidentified 11.1 s" under GENERIC and AVX512 (the
# no-speech head sits on ``SPEECHLIKE_NO_SPEECH_PROB``). The same 3 s as ``MIXED_MIN_S``: below it,
# VAD's padding around a cough or a click adds up.
UNCONFIRMED_SPEECH_S = 3.0


def not_counted(guess: LanguageGuess, uncertain_below: float = UNCERTAIN_BELOW) -> str | None:
    """Why a language heard is not one of the clip's languages, in the report's words; None when it is.

    A guess without seconds (a report from before languages had them) is not held to the length bar.
    """
    if guess.corroborated is False:
        return f"not corroborated: {guess.doubt}" if guess.doubt else "not corroborated"
    if guess.probability < uncertain_below:
        return "uncertain best guess"
    if guess.seconds is not None and guess.seconds < MIXED_MIN_S:
        return f"under {MIXED_MIN_S:g} s, too little to count"
    return None


def clip_languages(section: AudioSection, uncertain_below: float = UNCERTAIN_BELOW) -> list[LanguageGuess]:
    """The languages of the clip: none when the stage called it uncertain (or found no language), else each
    language that counts (``not_counted``), most speech first."""
    if section.language_status not in ("single", "mixed"):
        return []
    return [g for g in section.languages if not_counted(g, uncertain_below) is None]


def unconfirmed_more(section: AudioSection) -> float | None:
    """Seconds of speech-like sound not confirmed as speech beside a language or unidentified speech, when there
    are enough to say (``UNCONFIRMED_SPEECH_S``); None otherwise (a clip with nothing placed says it its own way)."""
    left = section.unconfirmed_s or 0.0
    placed = section.language is not None or bool(section.unidentified_s)
    return left if placed and left >= UNCONFIRMED_SPEECH_S else None


def is_lead(guess: LanguageGuess) -> bool:
    """A language the clip counts (``not_counted``), named under its bar (``firm_p``): a lead, evidence neither
    way."""
    return not_counted(guess) is None and guess.probability < firm_p(guess.code)


def language_strength(section: AudioSection) -> str | None:
    """How far the section's main language is evidence: "identified" (counted, p >= ``firm_p``), "lead" (counted,
    under it), "best guess" (the stage called the clip uncertain, or the language is not counted); None when no
    language is named. Batch summaries show it beside the probability (issue 13 round 12, M4)."""
    lang = section.language
    if lang is None:
        return None
    if section.language_status not in ("single", "mixed") or not_counted(lang) is not None:
        return "best guess"
    return "lead" if is_lead(lang) else "identified"
