"""Channels checked before mixing to mono: real speech (jfk.flac) written as stereo AAC and WAV with PyAV,
with one channel phase-inverted, silent, or under loud noise. No Whisper here (tests/test_audio.py runs the
stage on the inverted clip); VAD (Silero) is real."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from provenance.audio.channels import choose
from provenance.audio.decode import SAMPLE_RATE, decode_audio, mix
from provenance.audio.speech import speech_regions

ROOT = Path(__file__).resolve().parents[1]
JFK = ROOT.parent / "shared" / "corpus" / "speech" / "jfk.flac"  # two identical channels
DATA = ROOT / "tests" / "data" / "audio"


def speech() -> np.ndarray:
    if not JFK.is_file():
        pytest.skip(f"{JFK} is absent")
    return decode_audio(JFK).samples


def speech_s(samples: np.ndarray) -> float:
    return sum(r.end - r.start for r in speech_regions(samples)) / SAMPLE_RATE


def write_stereo(path: Path, left: np.ndarray, right: np.ndarray) -> Path:
    """Stereo through a real encoder: AAC in .m4a (joint stereo coding), or 16-bit PCM for .wav."""
    codec, fmt = ("aac", "fltp") if path.suffix == ".m4a" else ("pcm_s16le", "s16p")
    data = np.stack([left, right]).astype(np.float32)
    if fmt == "s16p":
        data = (np.clip(data, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=SAMPLE_RATE, layout="stereo")
        for i in range(0, data.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, i : i + 1024]), format=fmt,
                                               layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_stereo_is_decoded_to_the_same_mix_as_ffmpegs_mono_downmix(tmp_path: Path) -> None:
    x = speech()
    path = write_stereo(tmp_path / "plain.wav", x, x[::-1].copy())
    audio = decode_audio(path)
    assert audio.channels == 2 and audio.planes is not None
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    with av.open(str(path)) as container:
        mono = np.concatenate([f.to_ndarray().reshape(-1) for frame in container.decode(audio=0)
                               for f in resampler.resample(frame)] + [f.to_ndarray().reshape(-1)
                                                                       for f in resampler.resample(None)])
    assert np.abs(mono[: len(audio.samples)] - audio.samples).max() < 1e-6
    assert np.allclose(audio.samples, mix(*audio.planes))


@pytest.mark.parametrize("suffix", [".m4a", ".wav"])
def test_phase_inverted_channel_gives_the_side_signal(tmp_path: Path, suffix: str) -> None:
    x = speech()
    audio = decode_audio(write_stereo(tmp_path / f"inverted{suffix}", x, -x))
    assert float(np.sqrt(np.mean(audio.samples**2))) < 1e-3  # the plain mix is (near) silence
    samples, record = choose(audio)
    assert record.used == "side" and "cancel" in (record.reason or "") and "phase-inverted" in (record.reason or "")
    assert record.levels_db["mix"] < record.levels_db["left"] - 40
    assert record.levels_db["side"] >= record.levels_db["left"] + 2  # (L - R) / sqrt(2): +3 dB over one channel
    assert speech_s(samples) > 0.9 * speech_s(x) > 8  # the speech, back in full (VAD on the plain mix: none)
    assert speech_s(audio.samples) < 1


def test_identical_and_unrelated_channels_keep_the_mix(tmp_path: Path) -> None:
    x = speech()
    for name, right in (("same", x), ("unrelated", x[::-1].copy())):
        audio = decode_audio(write_stereo(tmp_path / f"{name}.m4a", x, right))
        samples, record = choose(audio)
        assert record.used == "mix" and record.reason is None and samples is audio.samples


def test_a_silent_channel_is_left_out(tmp_path: Path) -> None:
    x = speech()
    audio = decode_audio(write_stereo(tmp_path / "right_silent.wav", np.zeros_like(x), x))
    samples, record = choose(audio)
    assert record.used == "right" and record.reason == "the left channel is silent"
    assert np.allclose(samples, audio.planes[1])  # type: ignore[index]


def test_speech_under_a_much_louder_channel_of_noise_is_found_by_vad(tmp_path: Path) -> None:
    """Quiet speech on the left (a lavalier), loud broadband noise on the right (wind): 26 dB apart."""
    x = speech()
    noise = np.random.default_rng(0).normal(0, 0.5, len(x)).astype(np.float32)
    audio = decode_audio(write_stereo(tmp_path / "noise.wav", 0.1 * x, noise))
    _, record = choose(audio)
    assert record.used == "left" and "right channel is" in (record.reason or "") and "more speech" in (
        record.reason or "")


def test_mono_is_left_as_it_is() -> None:
    audio = decode_audio(DATA / "en_espeak.ogg")
    samples, record = choose(audio)
    assert record.used == "mono" and record.count == 1 and samples is audio.samples
