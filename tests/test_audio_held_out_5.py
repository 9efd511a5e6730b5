"""The spoken-language benchmark's held-out-5 audio split is new material (construction only: no language is
identified here, so the split stays unseen): its sentences, languages, espeak-ng variants and Festival voices are in
no other split, each variant really changes the voice, the Italian Festival voices really speak (they read ISO
8859-1), its beds are what their truth says (a marimba's bar modes, applause's 1-5 kHz claps, birdsong's chirps),
its short second language is one sentence, and its reversed speech has no language in its truth."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import audio_corpus as ac  # the benchmark's corpus builder, not a copy of it

from provenance.audio.decode import SAMPLE_RATE

V5 = ac._VoicesHeldOut5


def test_sentences_languages_and_voices_are_new() -> None:
    """No held-out-5 sentence is said, nor espeak voice+variant nor Festival voice used, by another split; Italian,
    Portuguese and Polish are spoken by no other split; the split is registered and its case names are its own."""
    older = (ac.TEXTS, ac.TEXTS_HELD_OUT, ac.TEXTS_HELD_OUT_3, ac.TEXTS_HELD_OUT_4)
    old = {t for texts in older for lines in texts.values() for t in lines}
    new = {t for lines in ac.TEXTS_HELD_OUT_5.values() for t in lines}
    assert len(new) == sum(len(x) for x in ac.TEXTS_HELD_OUT_5.values()) and not new & old
    assert {"it", "pt", "pl"} <= set(ac.TEXTS_HELD_OUT_5) and not {"it", "pt", "pl"} & {k for t in older for k in t}
    old_voices = {*ac.Voices.ESPEAK.values(), *(n for n, _ in ac.Voices.ESPEAK_HELD_OUT.values()),
                  *(n for n, _ in ac._VoicesHeldOut3.ESPEAK_HELD_OUT_3.values()),
                  *(n for n, _ in ac._VoicesHeldOut4.ESPEAK_HELD_OUT_4.values())}
    assert not {n for n, _ in V5.ESPEAK_HELD_OUT_5.values()} & old_voices
    old_variants = {n.split("+")[1].lower() for n in old_voices if "+" in n}
    assert not {n.split("+")[1].lower() for n, _ in V5.ESPEAK_HELD_OUT_5.values()} & old_variants
    assert not {f for f, _ in V5.FESTIVAL_HELD_OUT_5.values()} & {*ac.Voices.FESTIVAL.values()}
    assert "held-out-5" in ac.SPLITS
    cases = ac._held_out_5_cases(V5(Path("/nonexistent")))  # builders only: nothing is synthesised
    names = set(cases) | set(ac._HELD_OUT_5_CHANNEL_CASES)
    assert len(names) >= 20 and all(n.startswith("h5-") for n in names)
    assert all(source in cases for source, _ in ac._HELD_OUT_5_CHANNEL_CASES.values())
    assert {"h5-reversed-ru", "h5-reversed-en", "h5-late-it-after-pause", "h5-en-short-it-middle"} <= names


needs_synth = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("text2wave") is None,
                                 reason="espeak-ng or festival not installed")


@needs_synth
def test_each_variant_changes_the_voice(tmp_path: Path) -> None:
    """espeak-ng falls back to the plain voice, silently, for a variant it cannot find: every held-out-5 voice must
    sound other than its plain voice."""
    def say(voice: str) -> bytes:
        wav = tmp_path / "v.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), "проверка test prova teste"], check=True,
                       capture_output=True)
        return wav.read_bytes()

    for name, _ in V5.ESPEAK_HELD_OUT_5.values():
        assert say(name) != say(name.split("+")[0]), name


@needs_synth
@pytest.mark.skipif(not Path("/usr/share/festival/voices/italian/lp_diphone").is_dir(),
                    reason="festvox-italp16k not installed")
def test_italian_festival_voices_speak_accented_text(tmp_path: Path) -> None:
    """The Italian voices say a sentence with "è" (read as ISO 8859-1: as UTF-8 their lexicon writes nothing): over
    1.5 s of sound, and the two voices differ."""
    v = V5(tmp_path, ac.TEXTS_HELD_OUT_5)
    lp, pc = v.say("festival-it-lp", "it", 0), v.say("festival-it-pc", "it", 0)
    assert "è" in ac.TEXTS_HELD_OUT_5["it"][0]
    assert len(lp) > 1.5 * SAMPLE_RATE and len(pc) > 1.5 * SAMPLE_RATE and np.abs(lp).max() > 0.1
    assert len(lp) != len(pc) or not np.allclose(lp, pc)


def _band_db(x: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    return float(10 * np.log10(spectrum[(f >= low) & (f < high)].mean()))


def test_beds_are_what_they_say() -> None:
    """Applause: 1-5 kHz over 10 dB above 100-500 Hz. Birdsong: 3-6 kHz over 30 dB above 100-1000 Hz. Marimba:
    its energy sits in the pentatonic notes' fundamentals (C4-C5) far above the gaps between them, and the same seed
    gives the same bed."""
    applause = ac._applause(8, 1)
    assert _band_db(applause, 1000, 5000) - _band_db(applause, 100, 500) > 10
    birds = ac._birdsong(8, 2)
    assert _band_db(birds, 3000, 6000) - _band_db(birds, 100, 1000) > 30
    marimba = ac._marimba(10, 3)
    notes = [261.6 * 2 ** (k / 12) for k in (0, 2, 4, 7, 9, 12)]
    on = np.mean([_band_db(marimba, f - 3, f + 3) for f in notes])
    off = np.mean([_band_db(marimba, f * 2 ** (0.5 / 12) - 3, f * 2 ** (0.5 / 12) + 3) for f in notes])
    assert on - off > 15
    assert ac._marimba(5, 3).tobytes() == ac._marimba(5, 3).tobytes()


@needs_synth
def test_short_second_language_and_reversed_speech(tmp_path: Path) -> None:
    """The short second language is one sentence under 5 s between or after 8 s and more of the other; reversed
    speech is the forward stretch backwards, with no part (no language) in its truth."""
    cases = ac._held_out_5_cases(V5(tmp_path, ac.TEXTS_HELD_OUT_5))
    clip, kind = cases["h5-ru-short-en-end"]()
    assert kind == "short" and [p.language for p in clip.parts] == ["ru", "en"]
    ru, en = clip.parts
    assert ru.end - ru.start >= 8 and en.end - en.start < 5
    clip, kind = cases["h5-reversed-ru"]()
    assert kind == "nonspeech" and clip.parts == [] and clip.n > 10 * SAMPLE_RATE
