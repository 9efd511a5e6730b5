"""Issue 13, round 12 (fresh tester, 371 reports): speech in a language Whisper base does not know, one sentence
after known speech, named as a known language with confidence.

Real audio (``tests/data/audio/make_issue13_r11.py``, the tester's recipe: Festival English, espeak-ng at 150 words
a minute, joined by SoX), real Whisper base and Silero VAD. What is asserted is what the desk reads: the findings,
report.md and the claim check.
"""

from __future__ import annotations

import pytest
from test_audio import DATA, Analyse, analysed, engine, model_cache
from test_audio_claims import language_check
from test_audio_round6 import seen

from provenance.claims import Claim

__all__ = ["analysed", "engine", "model_cache"]  # the fixtures, shared with test_audio.py

EN_THEN_QU4 = DATA / "en_then_qu4.flac"
EN_THEN_PAP = DATA / "en_then_pap.flac"
EN12_KY = DATA / "en12_ky.flac"
EN12_PAP_KU_EN3 = DATA / "en12_pap_ku_en3.flac"


@pytest.mark.slow
def test_quechua_after_english_is_no_thai_identification(analysed: Analyse) -> None:
    """H1: two Festival English sentences (0-7.9 s), then one espeak-ng Quechua sentence (8.4-16.6 s). Alone the
    sentence is unidentified speech; after English it was Thai 0.945-0.963 on every instruction set, corroborated,
    "More than one language is spoken: Thai (th) 9 s, English (en) 8 s", and a th,en claim was supported. Thai
    is where this model puts speech it cannot place (``languages.SINK_FIRM_P``): under 0.99 it is a lead."""
    section = analysed(EN_THEN_QU4)
    assert (section.speech_s or 0.0) >= 15.0, section
    english = [g for g in section.languages if g.code == "en"]
    assert english and english[0].probability >= 0.93 and 6.0 <= (english[0].seconds or 0.0) <= 9.0, section
    messages, markdown = seen(section)
    # Thai is never stated as an identification: a lead (said where it is read) or no language at all
    assert not any("Thai" in m and "a lead" not in m and "not counted" not in m for m in messages), messages
    assert not any("Thai" in m for m in messages) or "a lead" in markdown, markdown
    for claim in (Claim(id="c-then", statement="Thai and English spoken", languages=["th", "en"]),
                  Claim(id="c-th", statement="Filmed in Thailand", languages=["th"])):
        result, detail = language_check(section, claim)
        assert result != "supports", detail
    # the Quechua is no evidence against a Quechua claim, nor is the Thai lead evidence against an English one
    result, detail = language_check(section, Claim(id="c-qu", statement="Quechua speakers", languages=["qu", "en"]))
    assert result != "contradicts", detail


@pytest.mark.slow
def test_a_sentence_of_an_unknown_language_after_english_is_not_counted_as_english(analysed: Analyse) -> None:
    """H2: two Festival English sentences (0-7.9 s), then one espeak-ng Papiamento sentence (8.4-15.3 s): "Spoken
    language English 0.96", 100% of the speech, the Papiamento written as English words ("Bum-ja, kong-ta-bhai"),
    an English claim supported, on every instruction set. Alone the segment reads en 0.43 (over the first look's
    bar); decoded alone in English it reads poorly, and a padded look does not hear English
    (``analysis.REDECODE_BELOW``)."""
    section = analysed(EN_THEN_PAP)
    assert (section.speech_s or 0.0) >= 14.0, section
    english = [g for g in section.languages if g.code == "en"]
    assert english and (english[0].seconds or 0.0) <= 9.0, section.languages  # the two English sentences, no more
    assert (section.unidentified_s or 0.0) >= 5.0, section  # the Papiamento: speech of unidentified language
    assert not [s for s in section.segments if s.start >= 8.2 and not s.untrusted], section.segments
    said = " ".join(s.text for s in section.segments).lower()
    assert "northern bridge" in said and "shelling" in said, said
    messages, _ = seen(section)
    assert any("not identified" in m for m in messages), messages
    result, detail = language_check(section, Claim(id="c-en", statement="English speakers", languages=["en"]))
    assert result != "supports", detail


@pytest.mark.slow
def test_speech_of_a_region_that_got_no_text_is_not_counted_as_its_language(analysed: Analyse) -> None:
    """H2: the tester's own ``en12_ky.wav`` (FLAC): two Festival English sentences (0-7.7 s), then one espeak-ng
    Kyrgyz sentence (8.2-17.2 s). Under AVX2 Whisper wrote no text for the Kyrgyz and its 8.8 s counted as
    English: "English 0.94", 100% of the speech, an English claim supported. Speech a region got no text for, heard
    alone, is not English (``analysis.UNCOVERED_MIN_S``): speech of unidentified language."""
    section = analysed(EN12_KY)
    assert (section.speech_s or 0.0) >= 16.0, section
    english = [g for g in section.languages if g.code == "en"]
    assert english and (english[0].seconds or 0.0) <= 9.0, section.languages
    assert (section.unidentified_s or 0.0) >= 7.0, section
    assert not [s for s in section.segments if s.start >= 8.0 and not s.untrusted], section.segments
    result, detail = language_check(section, Claim(id="c-en", statement="English speakers", languages=["en"]))
    assert result != "supports", detail


@pytest.mark.slow
def test_two_unknown_sentences_between_english_ones_are_not_counted_as_english(analysed: Analyse) -> None:
    """Round 13, H2: the tester's ``en12_pap_ku_en3.wav`` (FLAC): two Festival English sentences (0-7.5 s), espeak-ng
    Papiamento and Kurdish (7.5-21.2 s), a third English sentence (22.6-27.1 s). Whisper writes no text for the
    14 s; heard alone they read en 0.35 (the Latin sink on top), over the first bar for such a stretch (0.3), so
    they counted as English: 25.7-27.1 s of 27.1, firm under GENERIC and AVX, an English claim supported. A
    stretch with no text must confirm the region's language alone (``analysis.UNCOVERED_MIN_S``)."""
    section = analysed(EN12_PAP_KU_EN3)
    assert (section.speech_s or 0.0) >= 25.0, section
    english = [g for g in section.languages if g.code == "en"]
    assert english and 9.0 <= (english[0].seconds or 0.0) <= 15.0, section.languages  # the three sentences
    assert (section.unidentified_s or 0.0) >= 12.0, section
    said = " ".join(s.text for s in section.segments if not s.untrusted).lower()
    assert "northern bridge" in said and "soldiers" in said, said
    result, detail = language_check(section, Claim(id="c-en", statement="English speakers", languages=["en"]))
    assert result != "supports", detail
