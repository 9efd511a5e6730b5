"""Issue 13, round 11 (fresh tester round 10, H1): a language Whisper names for the end of speech it cannot place
is a best guess, never the clip's confident language.

Real audio: ``tests/data/audio/qu_espeak.flac`` (espeak-ng Quechua, one sentence twice; ``make_issue13_r11.py``),
real Whisper base and Silero VAD. Each sentence's first 5.5 s names no language, its last 3 s Thai at 0.8-0.93,
and Thai's second look and transcript passed: the report said "Spoken language Thai (th), probability 0.92",
corroborated, its Thai gibberish shown as trusted text. What is asserted is what the desk reads.
"""

from __future__ import annotations

import pytest
from test_audio import DATA, Analyse, analysed, engine, model_cache
from test_audio_claims import language_check
from test_audio_round6 import seen

from provenance.claims import Claim

__all__ = ["analysed", "engine", "model_cache"]  # the fixtures, shared with test_audio.py

CLIP = DATA / "qu_espeak.flac"
EN_THEN_QU = DATA / "en_then_qu.flac"
QU2 = DATA / "qu2_espeak.flac"


@pytest.mark.slow
def test_a_language_heard_only_after_unidentified_speech_is_a_best_guess(analysed: Analyse) -> None:
    section = analysed(CLIP)
    assert (section.speech_s or 0.0) >= 15.0, section
    # never a confident language: uncertain (a best guess, with the reason) or speech of unidentified language
    assert section.language_status in ("uncertain", "unidentified"), section
    assert all(g.corroborated is not True for g in section.languages), section.languages
    if section.language is not None:
        assert section.language.doubt and "not identified" in section.language.doubt, section.language
    # the Thai-looking text is never shown as what was said
    assert all(s.untrusted for s in section.segments), section.segments
    assert (section.unidentified_s or 0.0) >= 8.0, section  # the sentences' starts: said, with their seconds
    messages, markdown = seen(section)
    assert not any("Spoken language Thai" in m for m in messages), messages
    assert any("not identified" in m for m in messages), messages
    assert "not identified" in markdown, markdown
    # the claims: a Thai claim is not supported by a guess, a Quechua one is not contradicted by it
    result, detail = language_check(section, Claim(id="c-th", statement="Filmed in Thailand", languages=["th"]))
    assert result != "supports", detail
    result, detail = language_check(section, Claim(id="c-qu", statement="Quechua speakers", languages=["qu"]))
    assert result == "unknown", detail


@pytest.mark.slow
def test_speech_whisper_cannot_name_after_english_is_not_written_as_english(analysed: Analyse) -> None:
    """Round 11, H1: two Festival English sentences (0-7.2 s), then espeak-ng Quechua twice (7.7-24.7 s). The
    Quechua joined the English region: "English 0.97", corroborated over 22.8 s, the Quechua written as English
    words never said, an English claim supported and a Russian one contradicted. Its segment heard alone gave en
    0.27 (th 0.42), over the old single 0.2 bar, so it never got the padded look (en 0.15) that cuts it."""
    section = analysed(EN_THEN_QU)
    assert (section.speech_s or 0.0) >= 22.0, section
    english = [g for g in section.languages if g.code == "en"]
    assert english and english[0].seconds <= 9.0, section.languages  # the two English sentences, no more
    assert (section.unidentified_s or 0.0) >= 14.0, section  # the Quechua: speech, its language not identified
    # no text is shown as said after the English sentences end, and the English is written as said
    assert not [s for s in section.segments if s.start >= 7.6 and not s.untrusted], section.segments
    said = " ".join(s.text for s in section.segments if not s.untrusted).lower()
    assert "northern bridge" in said and "shelling" in said, said
    messages, _ = seen(section)
    assert any("not identified" in m for m in messages), messages
    # a third of the speech is English: not enough to support an English claim, and the rest is no evidence
    # against a Russian one
    result, detail = language_check(section, Claim(id="c-en", statement="English speakers", languages=["en"]))
    assert result != "supports", detail
    result, detail = language_check(section, Claim(id="c-ru", statement="Russian speakers", languages=["ru"]))
    assert result != "contradicts", detail


@pytest.mark.slow
def test_a_language_the_model_names_for_speech_it_cannot_place_supports_no_claim(analysed: Analyse) -> None:
    """Round 11, H2: another espeak-ng Quechua sentence, twice (``qu2_espeak.flac``), is heard as Thai at 0.77-0.82,
    single and corroborated: a Thai claim was "supported". A language under ``FIRM_P`` (0.93) is a lead: the
    report says so, and a claim it would support is "unknown"; a Quechua claim is not contradicted."""
    section = analysed(QU2)
    assert (section.speech_s or 0.0) >= 15.0, section
    # whatever the stage makes of it, nothing named says Thai as an identification
    messages, markdown = seen(section)
    spoken = [m for m in messages if m.startswith("Spoken language")]
    assert all("a lead, not an identification" in m for m in spoken), messages
    assert not spoken or "a lead, not an identification" in markdown, markdown
    assert not any("More than one language" in m and "Thai" in m and "a lead" not in m for m in messages), messages
    result, detail = language_check(section, Claim(id="c-th", statement="Filmed in Thailand", languages=["th"]))
    assert result != "supports", detail
    result, detail = language_check(section, Claim(id="c-qu", statement="Quechua speakers", languages=["qu"]))
    assert result == "unknown", detail
