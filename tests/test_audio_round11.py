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
