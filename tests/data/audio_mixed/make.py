"""Rebuild the two-language test clips in ``tests/data/audio_mixed/`` (committed: CI has no Festival).

Usage::

    python tests/data/audio_mixed/make.py      # write the clips and truth.json beside this script

The clips of issue 13's fresh-tester defects on the region merge, the language summary and the claim check
(D1, D3; README.md here). Festival English (``cmu_us_slt_arctic_hts``, Debian ``festvox-us-slt-hts``), Festival
Russian (``msu_ru_nsh_clunits``, ``festvox-ru``) and espeak-ng Thai (``-v th``), through the helpers of
``tests/data/audio/make.py`` (``apt-get install festival festvox-ru festvox-us-slt-hts espeak-ng``). Mono 16 kHz
Opus in Ogg at 24 kbit/s; ``truth.json`` records each spoken part's language, text, source and start/end.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("audio_make", HERE.parent / "audio" / "make.py")
assert _spec is not None and _spec.loader is not None
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

BITRATE = 32_000
# D1: one English sentence (Festival), a 1-s pause, one Thai sentence (espeak-ng th): read as one English
# region p 0.94 over both, and a Thai claim "contradicted"
EN_THAI = ("The convoy crossed the bridge just after dawn.", "ขบวนรถข้ามสะพานหลังรุ่งสางไม่นาน")
# D3: about 8.5 s of Festival Russian inside about 63 s of Festival English (72 s in all): Russian at p 0.99,
# 12% of the speech, was summarised as a single language (the 15% share rule)
EN_LONG = [
    "The mayor said the bridge would stay closed until engineers had inspected it.",
    "Traffic was diverted through the old town for the rest of the day.",
    "Firefighters reached the warehouse about twenty minutes after the first call.",
    "Nobody was hurt, but the roof of the building collapsed overnight.",
    "The police have asked anyone with photographs of the scene to come forward.",
    "A spokesman for the company declined to comment on the cause of the fire.",
    "Residents said the smoke could be seen from the other side of the river.",
    "The school near the warehouse was closed as a precaution on Wednesday.",
    "Investigators are expected to publish their first findings next week.",
    "The owner of the building has not answered requests for comment.",
    "Several shops on the same street reported damage to their windows.",
    "The city council will discuss the safety of old warehouses next month.",
    "Police closed two streets around the site until the evening.",
    "Engineers said the rest of the building was safe to enter.",
]
RU_INSIDE = ("Мэр заявил, что мост останется закрытым до проверки инженерами. "
             "Движение пустили через старый город. Никто не пострадал.")


def en_thai(tmp: Path) -> make.Clip:
    en, th = EN_THAI
    return (make.Clip().pause(0.3)
            .speech(make.festival_en(en, tmp), "en", en, "festival cmu_us_slt_arctic_hts").pause(1.0)
            .speech(make.espeak(th, tmp, "th", 150), "th", th, "espeak-ng th, 150 wpm").pause(0.5))


def ru_inside_en(tmp: Path) -> make.Clip:
    clip = make.Clip().pause(0.3)
    for text in EN_LONG[:7]:
        clip.speech(make.festival_en(text, tmp), "en", text, "festival cmu_us_slt_arctic_hts").pause(0.5)
    clip.pause(0.5).speech(make.festival_ru(RU_INSIDE, tmp), "ru", RU_INSIDE, "festival msu_ru_nsh").pause(1.0)
    for text in EN_LONG[7:]:
        clip.speech(make.festival_en(text, tmp), "en", text, "festival cmu_us_slt_arctic_hts").pause(0.5)
    return clip


def main() -> None:
    make.BITRATE = BITRATE
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        clips = {"en_thai.ogg": en_thai(tmp), "ru_inside_en.ogg": ru_inside_en(tmp)}
    truth = {}
    for name, clip in clips.items():
        make.write_opus(HERE / name, clip.samples)
        truth[name] = {"duration": round(clip.length / make.RATE, 2), "parts": clip.parts}
        print(f"{name:20} {clip.length / make.RATE:5.1f} s {(HERE / name).stat().st_size / 1024:6.0f} KB")
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
