"""Rebuild the issue 13 round 10 clip in ``tests/data/audio/`` (tester report round 10, H3/M1).

Usage::

    python tests/data/audio/make_issue13_r10.py

Needs ``espeak-ng``. Writes, with ``make.py``'s loader and mono Opus writer:

- ``ru_then_ia.ogg``: ``ru_festival.ogg`` (16.1 s of Festival Russian), 1 s of silence, then one espeak-ng
  Interlingua (``ia``, 150 words a minute) sentence three times, 0.5 s apart (the tester's ``unknown_ia.wav``).
  Whisper base does not know Interlingua: before the fix, the Interlingua was counted nowhere when the
  unidentified-speech vote failed on it (the tester's 59.5 s Russian + 28.7 s Interlingua: "ru 100% of the
  speech", 29.3 s gone, and an Interlingua claim "contradicted").
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make import HERE, RATE, espeak, load, normalise, silence, trim, write_opus

IA = ("Le convoyo arrivava al ponte del nord justo ante le alba de martedi, e le habitantes diceva que le "
      "bombardamento durava tote le nocte.")


def main() -> None:
    ru = load(HERE / "ru_festival.ogg")
    with tempfile.TemporaryDirectory() as name:
        ia = normalise(trim(espeak(IA, Path(name), "ia", 150)))
    parts = [ru, silence(1.0)]
    start = len(ru) / RATE + 1.0
    for i in range(3):
        parts += [ia, silence(0.5)] if i < 2 else [ia, silence(0.3)]
    clip = np.concatenate(parts)
    write_opus(HERE / "ru_then_ia.ogg", clip)
    truth = json.loads((HERE / "truth.json").read_text(encoding="utf-8"))
    truth["ru_then_ia.ogg"] = {
        "duration": round(len(clip) / RATE, 2),
        "parts": [{"language": "ru", "start": 0.0, "end": round(len(ru) / RATE, 2), "source": "ru_festival.ogg"},
                  {"language": "ia", "start": round(start, 2), "end": round(len(clip) / RATE - 0.3, 2), "text": IA,
                   "source": "espeak-ng ia, three times"}],
    }
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"ru_then_ia.ogg {(HERE / 'ru_then_ia.ogg').stat().st_size / 1024:5.0f} KB, {len(clip) / RATE:.1f} s")


if __name__ == "__main__":
    main()
