"""Rebuild the issue 13 round 11 clip in ``tests/data/audio/`` (tester report round 10, H1).

Usage::

    python tests/data/audio/make_issue13_r11.py

Needs ``espeak-ng``. Writes, with ``make.py``'s loader, mono FLAC (Opus at ``make.py``'s bitrate moved the
Thai windows under the bar: the whole clip came out unidentified, so it no longer shows the defect):

- ``qu_espeak.flac``: one espeak-ng Quechua (``qu``, 150 words a minute) sentence twice, 0.5 s apart (the tester's
  ``quechua.wav``). Whisper base does not know Quechua: each sentence's start names no language, its end Thai
  at 0.8-0.93, and before the fix the report said "Spoken language Thai (th), probability 0.92", corroborated,
  its Thai gibberish shown as trusted text.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import av
from make import HERE, RATE, espeak, normalise, silence, trim

QU = ("Allillanchu, imaynallam kachkanki, ñuqaqa Qusqu llaqtamantam kani, kunan punchawqa sumaq intim "
      "kachkan.")


def write_flac(path: Path, samples: np.ndarray) -> None:
    """Mono 16-bit FLAC at ``RATE``."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
    frame.sample_rate = RATE
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=RATE, layout="mono")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        qu = normalise(trim(espeak(QU, Path(name), "qu", 150)))
    clip = np.concatenate([qu, silence(0.5), qu, silence(0.3)])
    write_flac(HERE / "qu_espeak.flac", clip)
    truth = json.loads((HERE / "truth.json").read_text(encoding="utf-8"))
    truth["qu_espeak.flac"] = {
        "duration": round(len(clip) / RATE, 2),
        "parts": [{"language": "qu", "start": 0.0, "end": round(len(clip) / RATE - 0.3, 2), "text": QU,
                   "source": "espeak-ng qu, twice"}],
    }
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"qu_espeak.flac {(HERE / 'qu_espeak.flac').stat().st_size / 1024:5.0f} KB, {len(clip) / RATE:.1f} s")


if __name__ == "__main__":
    main()
