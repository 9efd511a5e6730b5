"""Audio stage cost against faster-whisper's plain ``transcribe()``, in one process on one 60-s speech clip.

The clip is built from the committed test speech (tests/data/audio): 27 s of English (jfk.flac, then
espeak-ng), 16 s of Festival Russian, then 16 s more Russian, padded to 60 s. Times, with the model loaded
once beforehand and each run repeated (best of ``--repeat``, in turn, to damp a shared machine's noise):
  baseline   WhisperModel.transcribe(samples) with faster-whisper's defaults (beam 5, temperature
             fallback, one language for the whole clip), segments consumed
  standard   provenance.audio.analyse with pipelines/standard.toml: VAD, windowed language ID, per-language
             transcription, dialect cues
  +translate standard plus the English translation of non-English speech: the translation's own cost
  thorough   pipelines/thorough.toml: translation and word timestamps
Prints seconds, real-time factor (seconds / 60) and each ratio to the baseline, and what each run found.
Usage: python benchmarks/bench_audio.py [--repeat N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from provenance.audio import FasterWhisperEngine, analyse, resolve_model
from provenance.audio.config import AudioConfig
from provenance.audio.decode import SAMPLE_RATE, decode_audio
from provenance.config import load_pipeline

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "audio"
SECONDS = 60


def build_clip(folder: Path) -> tuple[Path, np.ndarray, float]:
    """The 60-s clip as a WAV file, its samples, and where its Russian begins (ground truth)."""
    switch = decode_audio(DATA / "en_ru_switch.ogg").samples
    ru = decode_audio(DATA / "ru_festival.ogg").samples
    samples = np.concatenate([switch, ru])[: SECONDS * SAMPLE_RATE]
    samples = np.pad(samples, (0, SECONDS * SAMPLE_RATE - len(samples)))
    path = folder / "bench_60s.wav"
    with wave.open(str(path), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(SAMPLE_RATE)
        fh.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    truth = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))["en_ru_switch.ogg"]["parts"]
    return path, samples, truth[2]["start"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, best kept (default 2)")
    args = parser.parse_args()

    engine = FasterWhisperEngine(resolve_model(None))
    model = engine._model  # the same loaded WhisperModel for the baseline
    standard, thorough = load_pipeline("standard").audio, load_pipeline("thorough").audio
    translate = dataclasses.replace(standard, translate=True)
    with tempfile.TemporaryDirectory() as tmp:
        path, samples, ru_start = build_clip(Path(tmp))
        found: dict[str, str] = {}

        def baseline() -> None:
            segments, info = model.transcribe(samples)
            text = " ".join(s.text for s in segments)
            found["baseline"] = f"{info.language} p={info.language_probability:.2f}, {len(text)} chars"

        def stage(name: str, config: AudioConfig) -> Callable[[], None]:
            def run() -> None:
                section = analyse(path, config, engine=engine)
                regions = " ".join(f"{r.language}[{r.start:.1f}-{r.end:.1f}]" for r in section.timeline)
                ru = next((r for r in section.timeline if r.language == "ru"), None)
                error = f"{abs(ru.start - ru_start):.2f} s" if ru else "n/a"
                translated = sum(1 for s in section.segments if s.translation)
                found[name] = (
                    f"{section.language_status}: {regions}; ru boundary error {error}; "
                    f"{len(section.segments)} segments, {translated} translated, {len(section.cues)} cues; "
                    f"report rtf {section.real_time_factor}"
                )

            return run

        runs: dict[str, Callable[[], None]] = {
            "baseline": baseline,
            "standard": stage("standard", standard),
            "+translate": stage("+translate", translate),
            "thorough": stage("thorough", thorough),
        }
        analyse(path, standard, engine=engine)  # warm up: model pages, VAD session, allocator
        best = {name: float("inf") for name in runs}
        for _ in range(max(1, args.repeat)):
            for name, run in runs.items():
                started = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - started)

    print(f"audio stage, {SECONDS}-s speech clip (en 27 s, ru 32 s), best of {args.repeat}, {engine.model_id}")
    print(f"{'run':11} {'seconds':>8} {'RTF':>6} {'x baseline':>10}")
    for name, seconds in best.items():
        print(f"{name:11} {seconds:8.2f} {seconds / SECONDS:6.3f} {seconds / best['baseline']:10.2f}")
    print(f"translation alone: +{best['+translate'] - best['standard']:.2f} s "
          f"(RTF +{(best['+translate'] - best['standard']) / SECONDS:.3f})")
    for name, what in found.items():
        print(f"  {name}: {what}")


if __name__ == "__main__":
    main()
