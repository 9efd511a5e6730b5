"""Issue 13's held-out-3 audio split is new material (construction only: no language is identified here, so the
split stays unseen): its sentences and voices are in no other split, and its new beds are what their truth says
they are (a beat at 96 beats a minute, noise falling 3 dB an octave, telephone tones) with no speech in them."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import audio_corpus as ac  # the benchmark's corpus builder, not a copy of it

from provenance.audio.decode import SAMPLE_RATE


def test_sentences_and_voices_are_new() -> None:
    """No held-out-3 sentence is said, nor voice used, by dev or held-out-2; the three splits build by name."""
    old = {t for texts in (ac.TEXTS, ac.TEXTS_HELD_OUT) for lines in texts.values() for t in lines}
    new = {t for lines in ac.TEXTS_HELD_OUT_3.values() for t in lines}
    assert len(new) == sum(len(x) for x in ac.TEXTS_HELD_OUT_3.values()) and not new & old
    v3 = ac._VoicesHeldOut3
    old_voices = {*ac.Voices.ESPEAK.values(), *(name for name, _ in ac.Voices.ESPEAK_HELD_OUT.values())}
    assert not {name for name, _ in v3.ESPEAK_HELD_OUT_3.values()} & old_voices
    assert all(speed != 1.0 for _, speed in v3.RESAMPLED.values())  # Festival only at another speed
    assert {"dev", "held-out-2", "held-out-3"} <= set(ac.SPLITS)  # held-out-4 and on: tests/test_audio_held_out_4.py
    cases = ac._held_out_3_cases(v3(Path("/nonexistent")))  # builders only: nothing is synthesised
    assert len(cases) + len(ac._HELD_OUT_3_CHANNEL_CASES) >= 15
    assert {"h3-switch-en-ru", "h3-switch-ko-ru", "h3-switch-uk-ru", "h3-ko-espeak"} <= set(cases)


def _band_db(x: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    return float(10 * np.log10(spectrum[(f >= low) & (f < high)].mean()))


def test_beds_are_what_they_say() -> None:
    """The beat repeats every 0.625 s (96 a minute); pink noise loses ~3 dB an octave (white: none); the tones
    carry DTMF's 697 Hz row and the 1-kHz beep and are silent between groups."""
    beat = ac._music_beat(10, 1)
    envelope = np.abs(beat).reshape(-1, 160).mean(axis=1)  # 10-ms frames
    envelope -= envelope.mean()
    corr = np.correlate(envelope, envelope, mode="full")[len(envelope) - 1 :]
    lag = 30 + int(np.argmax(corr[30:100]))  # 0.3-1.0 s
    assert abs(lag - 62.5) <= 1.5, lag
    pink = ac._noise_pink(10, 2)
    octave = _band_db(pink, 500, 1000) - _band_db(pink, 1000, 2000)
    assert 2.0 < octave < 4.0, octave
    white = ac._noise(10, "white", 2)
    assert abs(_band_db(white, 500, 1000) - _band_db(white, 1000, 2000)) < 0.5
    tones = ac._tones(8)
    assert len(tones) == 8 * SAMPLE_RATE
    assert _band_db(tones, 690, 705) - _band_db(tones, 400, 600) > 30
    assert _band_db(tones, 995, 1005) - _band_db(tones, 400, 600) > 30
    frames = np.abs(tones).reshape(-1, 160).max(axis=1)
    assert (frames == 0).sum() > 50  # silences between digits and groups
