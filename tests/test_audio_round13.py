"""Issue 13, round 13 (fresh tester): a sentence of a language Whisper base does not know, said *before* English,
shares the first English sentence's Whisper segment and is counted as English.

Real audio (``tests/data/audio/make_issue13_r13.py``: espeak-ng, then two Festival English sentences, the round
11 tester's recipe), real Whisper base and Silero VAD. Asserted: the seconds counted as English, the speech of
unidentified language, the transcript shown, and the claim check a desk reads.
"""

from __future__ import annotations

import pytest
from test_audio import DATA, Analyse, analysed, engine, model_cache
from test_audio_claims import language_check

from provenance.claims import Claim

__all__ = ["analysed", "engine", "model_cache"]  # the fixtures, shared with test_audio.py


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["ku_then_en.flac", "ug_then_en.flac"])
def test_a_sentence_before_english_in_its_segment_is_not_counted_as_english(analysed: Analyse, clip: str) -> None:
    """Kurdish (0-6.9 s) or Uyghur (0-7.0 s), then English (7.4-15.2 s). Whisper's first segment ran from 0 s to
    the end of the first English sentence with only its text: "English 0.96-0.98" over all 15 s, and an English
    claim was supported on the strength of Kurdish speech. Each sentence of a segment is now heard on its own
    (``analysis.SENTENCE_PAUSE_S``, ``SENTENCE_TEXT_SHARE``)."""
    section = analysed(DATA / clip)
    assert (section.speech_s or 0.0) >= 14.5, section
    english = [g for g in section.languages if g.code == "en"]
    assert english and 6.5 <= (english[0].seconds or 0.0) <= 9.5, section.languages  # the two English sentences
    assert (section.unidentified_s or 0.0) >= 5.5, section
    said = " ".join(s.text for s in section.segments if not s.untrusted).lower()
    assert "northern bridge" in said and "shelling" in said, said
    first = min((s for s in section.segments if "northern bridge" in s.text.lower()), key=lambda s: s.start)
    assert first.start >= 5.5, section.segments  # the English sentence's time, not the clip's start
    result, detail = language_check(section, Claim(id="c-en", statement="English speakers", languages=["en"]))
    assert result != "supports", detail
