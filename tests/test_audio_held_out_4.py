"""The spoken-language benchmark's held-out-4 audio split is new material (construction only: no language is
identified here, so the split stays unseen): its sentences and voices are in no other split, each named espeak-ng
variant really changes the voice (a misspelt one falls back to the plain voice without a word), its beds are what
their truth says (a siren's two tones, rain's rolled-off highs, an engine's 33-Hz firing, a waltz's three-beat
bar) and its channel tricks do what they claim (a downmix to mono cancels the speech; speech moves across)."""

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


def test_sentences_and_voices_are_new() -> None:
    """No held-out-4 sentence is said, nor voice used, by another split; every kind the brief asks for is there."""
    old = {t for texts in (ac.TEXTS, ac.TEXTS_HELD_OUT, ac.TEXTS_HELD_OUT_3) for lines in texts.values() for t in lines}
    new = {t for lines in ac.TEXTS_HELD_OUT_4.values() for t in lines}
    assert len(new) == sum(len(x) for x in ac.TEXTS_HELD_OUT_4.values()) and not new & old
    v4 = ac._VoicesHeldOut4
    old_voices = {*ac.Voices.ESPEAK.values(), *(name for name, _ in ac.Voices.ESPEAK_HELD_OUT.values()),
                  *(name for name, _ in ac._VoicesHeldOut3.ESPEAK_HELD_OUT_3.values())}
    assert not {name for name, _ in v4.ESPEAK_HELD_OUT_4.values()} & old_voices
    old_speeds = {1.0, *(speed for _, speed in ac._VoicesHeldOut3.RESAMPLED.values())}
    assert not {speed for _, speed in v4.RESAMPLED.values()} & old_speeds
    assert {"dev", "held-out-2", "held-out-3", "held-out-4"} <= set(ac.SPLITS)
    cases = ac._held_out_4_cases(v4(Path("/nonexistent")))  # builders only: nothing is synthesised
    assert len(cases) + len(ac._HELD_OUT_4_CHANNEL_CASES) >= 15
    assert all(source in cases for source, _ in ac._HELD_OUT_4_CHANNEL_CASES.values())
    assert {"h4-switch-ru-uk", "h4-en-over-waltz", "h4-music-waltz", "h4-siren"} <= set(cases)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_each_named_variant_changes_the_voice(tmp_path: Path) -> None:
    """espeak-ng falls back to the plain voice, silently, for a variant it cannot find ("en-gb+grandpa",
    "ru+Linda"): every held-out-4 voice must sound other than its plain voice."""
    def say(voice: str) -> bytes:
        wav = tmp_path / "v.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), "проверка test 시험 prueba"], check=True,
                       capture_output=True)
        return wav.read_bytes()

    for name, _ in ac._VoicesHeldOut4.ESPEAK_HELD_OUT_4.values():
        assert say(name) != say(name.split("+")[0]), name


def _band_db(x: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    return float(10 * np.log10(spectrum[(f >= low) & (f < high)].mean()))


def test_beds_are_what_they_say() -> None:
    """Siren: 450 and 600 Hz in turn, 0.55 s each. Rain: its highs rolled off (over 4 dB less at 4-8 kHz than at
    1-2 kHz; white noise has the same in both). Engine: its 33-Hz firing 40 dB over anything at 1-4 kHz. Waltz:
    its loudness repeats every 1.2 s (a bar of three beats at 150 a minute), and the same seed gives the same bed."""
    siren = ac._siren(4.4)
    first, second = siren[: round(0.5 * SAMPLE_RATE)], siren[round(0.6 * SAMPLE_RATE) : round(1.05 * SAMPLE_RATE)]
    assert _band_db(first, 440, 460) - _band_db(first, 590, 610) > 20
    assert _band_db(second, 590, 610) - _band_db(second, 440, 460) > 20
    rain = ac._rain(10, 1)
    assert _band_db(rain, 1000, 2000) - _band_db(rain, 4000, 8000) > 4
    engine = ac._engine(10, 2)
    assert _band_db(engine, 30, 36) - _band_db(engine, 1000, 4000) > 40
    waltz = ac._waltz(12, 3)
    envelope = np.abs(waltz).reshape(-1, 160).mean(axis=1)  # 10-ms frames
    envelope -= envelope.mean()
    corr = np.correlate(envelope, envelope, mode="full")[len(envelope) - 1 :]
    lag = 80 + int(np.argmax(corr[80:160]))  # 0.8-1.6 s
    assert abs(lag - 120) <= 2, lag
    assert ac._waltz(5, 3).tobytes() == ac._waltz(5, 3).tobytes()  # seeded: the same bed every build


def test_channel_tricks_do_what_they_claim() -> None:
    """Downmix: (L + R) / 2 is the waltz alone, the speech gone; each channel alone holds the speech. Halves: the
    left is silent after the middle, the right before it, and together they are the speech."""
    speech = ac._tones(6)  # any signal: telephone tones stand in for speech here
    left, right = ac._downmix_cancels(speech)
    music = 10 ** (-10 / 20) * ac._waltz(len(speech) / SAMPLE_RATE + 0.1, 127)[: len(speech)]
    assert np.allclose((left + right) / 2, music, atol=1e-6)
    assert np.abs(left - music).max() > 0.2
    left, right = ac._halves(speech)
    mid = len(speech) // 2
    assert not left[mid:].any() and not right[:mid].any() and np.array_equal(left + right, speech)
