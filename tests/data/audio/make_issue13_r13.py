"""Rebuild the issue 13 round 13 clips in ``tests/data/audio/`` (tester report round 13, H1).

Usage::

    python tests/data/audio/make_issue13_r13.py [CLIP ...]

Needs ``espeak-ng``, Festival (``festvox-us-slt-hts``) and ``sox``; the round 11 tester's recipe
(``make_issue13_r11.tester_clip``), mono FLAC. A sentence of a language Whisper base does not know, said *before*
English, shared the first English sentence's Whisper segment (0 s to the end of the English sentence, text only
the English one), and counted as English:

- ``ku_then_en.flac``: one espeak-ng Kurdish (``ku``) sentence, then the two Festival English sentences: "English
  0.96" over all 15.1 s, an English claim supported. Its sentence alone reads en 0.38-0.45 and decodes alone to
  nothing.
- ``ug_then_en.flac``: the same with an espeak-ng Uyghur (``ug``, Latin script) sentence: "English 0.98" over all
  15.2 s, supported. Its sentence alone reads en 0.54 and decodes alone at -0.71 (as well as true sentences do)
  into words its segment never wrote.

Festival's output is not byte-identical run to run: name the clips to rebuild to leave the others as they are.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make import HERE
from make_issue13_r11 import EN, save, tester_clip

KU = "Roj baş, navê min Azad e, ez ji Amedê me, îro hewa pir xweş e û em diçin bazarê."
UG = "Yaxshimusiz, mening ismim Abdulla, men Qeshqerdin keldim, bugün hawa intayin yaxshi."


def main(names: list[str]) -> None:
    truth = json.loads((HERE / "truth.json").read_text(encoding="utf-8"))
    english = [("en", text, "Festival cmu_us_slt_arctic_hts") for text in EN]
    said = {"ku_then_en.flac": [("ku", KU, "espeak-ng ku"), *english],
            "ug_then_en.flac": [("ug", UG, "espeak-ng ug"), *english]}
    for file in names or said:
        with tempfile.TemporaryDirectory() as name:
            save(file, *tester_clip(Path(name), said[file]), truth)
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
