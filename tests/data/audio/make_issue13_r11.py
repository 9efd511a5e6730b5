"""Rebuild the issue 13 round 11 clips in ``tests/data/audio/`` (tester reports round 10, H1, and round 11, H1).

Usage::

    python tests/data/audio/make_issue13_r11.py [CLIP ...]

Needs ``espeak-ng``, Festival (``festvox-us-slt-hts``) and ``sox``. Writes mono FLAC (Opus at ``make.py``'s
bitrate moved the Thai windows under the bar: the whole clip came out unidentified, so it no longer shows the
defect):

- ``en_then_qu.flac``: two Festival English sentences, then the same Quechua sentence twice, 0.5 s apart (the
  tester's round 11 ``en_then_qu.wav``). Before the fix the Quechua joined the English region: "English 0.97",
  corroborated, the Quechua written as English words never said; the Quechua segment alone th 0.42 / en 0.27,
  padded en 0.15.
- ``qu_espeak.flac``: one espeak-ng Quechua (``qu``, 150 words a minute) sentence twice, 0.5 s apart (the tester's
  ``quechua.wav``). Whisper base does not know Quechua: each sentence's start names no language, its end Thai
  at 0.8-0.93, and before the fix the report said "Spoken language Thai (th), probability 0.92", corroborated,
  its Thai gibberish shown as trusted text.
- ``qu2_espeak.flac``: another Quechua sentence twice, made as ``en_then_qu.flac`` is (the tester's round 11
  ``qu2.wav``). Whisper base hears Thai at 0.75-0.80, corroborated (a second look agrees, the transcript passes):
  it supported a Thai claim (round 11, H2).
- ``en_then_qu4.flac``: the two English sentences, then a third Quechua sentence once (the round 12 tester's
  ``sweep/en12_qu4s150.wav``, H1): alone the sentence is unidentified; after English it came out Thai 0.945-0.960
  on every instruction set, corroborated, "More than one language is spoken", and a th,en claim was supported.
- ``en_then_pap.flac``: the two English sentences, then one espeak-ng Papiamento sentence (round 12,
  ``sweep/en12_pap.wav``, H2): counted as English 0.95-0.96 on every instruction set, 100% of the speech, the
  Papiamento written as English words.

Festival's output is not byte-identical run to run: name the clips to rebuild (``qu2_espeak.flac``) to leave the
others as they are; no name rebuilds all.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import av
from make import HERE, RATE, espeak, load, normalise, silence, trim

QU = ("Allillanchu, imaynallam kachkanki, ñuqaqa Qusqu llaqtamantam kani, kunan punchawqa sumaq intim "
      "kachkan.")
QU4 = "Kay llaqtapiqa achka runakunam tiyanku, tukuy punchawmi chakrapi llamkanku, tutataq wasinkuman kutinku."
PAP = "Bon dia, kon ta bai? Mi ta bini di Kòrsou, i awe e solo ta bria riba laman i nos ta bai playa."
QU2 = ("Ñuqanchik runasimita rimanchik, wasiypi mamaywan taytaywan tiyani, paykunaqa chakrapi llamkanku sapa "
       "punchaw.")


def write_flac(path: Path, samples: np.ndarray) -> None:
    """Mono 16-bit FLAC at ``RATE``."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
    frame.sample_rate = RATE
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=RATE, layout="mono")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)


def save(file: str, clip: np.ndarray, parts: list[dict], truth: dict) -> None:
    """Write ``clip`` as ``HERE / file`` (FLAC) and its ``parts`` into ``truth`` (the caller writes truth.json)."""
    write_flac(HERE / file, clip)
    truth[file] = {"duration": round(len(clip) / RATE, 2), "parts": parts}
    print(f"{file} {(HERE / file).stat().st_size / 1024:5.0f} KB")


EN = ("The convoy reached the northern bridge just before dawn on Tuesday.",
      "Residents said the shelling lasted for most of the night.")


def tester_en_then_qu(tmp: Path) -> tuple[np.ndarray, list[dict]]:
    """The round 11 tester's ``en_then_qu.wav``: two Festival English sentences, the Quechua one twice."""
    return tester_clip(tmp, [("en", text, "Festival cmu_us_slt_arctic_hts") for text in EN]
                       + [("qu", QU, "espeak-ng qu")] * 2)


def tester_clip(tmp: Path, said: list[tuple[str, str, str]]) -> tuple[np.ndarray, list[dict]]:
    """The round 11 tester's recipe exactly (the defect hangs on the samples: made with ``make.py``'s loaders, or
    trimmed and normalised, the Quechua came out unidentified before the fix too): each part synthesised (English
    by Festival, any other language by espeak-ng at 150 words a minute) and resampled to 16 kHz mono by SoX,
    joined with 0.5 s of silence. ``said``: (language, text, source) per part. Needs ``sox``."""
    def run(*cmd: str) -> None:
        subprocess.run(cmd, check=True, capture_output=True)

    files, parts, t = [], [], 0.0
    for i, (language, text, source) in enumerate(said):
        raw, wav = tmp / f"{i}.raw.wav", tmp / f"{i}.wav"
        if language == "en":
            (tmp / f"{i}.txt").write_text(text, encoding="utf-8")
            run("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", str(tmp / f"{i}.txt"), "-o", str(raw))
        else:
            run("espeak-ng", "-v", language, "-s", "150", "-w", str(raw), text)
        run("sox", "-q", str(raw), "-r", str(RATE), "-c", "1", str(wav))
        seconds = len(load(wav)) / RATE
        parts.append({"language": language, "start": round(t, 2), "end": round(t + seconds, 2), "text": text,
                      "source": source})
        files.append(str(wav))
        t += seconds + 0.5
    run("sox", "-q", "-n", "-r", str(RATE), "-c", "1", str(tmp / "gap.wav"), "trim", "0", "0.5")
    joined = [x for f in files for x in (f, str(tmp / "gap.wav"))][:-1]
    run("sox", "-q", *joined, str(tmp / "clip.wav"))
    return load(tmp / "clip.wav"), parts


def main(names: list[str]) -> None:
    truth = json.loads((HERE / "truth.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)

        def qu_espeak() -> tuple[np.ndarray, list[dict]]:
            qu = normalise(trim(espeak(QU, tmp, "qu", 150)))
            clip = np.concatenate([qu, silence(0.5), qu, silence(0.3)])
            return clip, [{"language": "qu", "start": 0.0, "end": round(len(clip) / RATE - 0.3, 2), "text": QU,
                           "source": "espeak-ng qu, twice"}]

        english = [("en", text, "Festival cmu_us_slt_arctic_hts") for text in EN]
        builders = {"qu_espeak.flac": qu_espeak, "en_then_qu.flac": lambda: tester_en_then_qu(tmp),
                    "qu2_espeak.flac": lambda: tester_clip(tmp, [("qu", QU2, "espeak-ng qu")] * 2),
                    "en_then_qu4.flac": lambda: tester_clip(tmp, [*english, ("qu", QU4, "espeak-ng qu")]),
                    "en_then_pap.flac": lambda: tester_clip(tmp, [*english, ("pap", PAP, "espeak-ng pap")])}
        for file in names or builders:
            save(file, *builders[file](), truth)
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
