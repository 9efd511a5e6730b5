"""Rebuild the synthesised test speech in ``tests/data/audio/`` (committed, because CI has no Festival).

Usage::

    python tests/data/audio/make.py             # write the clips and truth.json beside this script

Needs Festival with the ``festvox-ru`` voice (``text2wave``) and ``espeak-ng`` (``apt-get install festival
festvox-ru espeak-ng``), plus ``jfk.flac`` from the shared corpus (``$PROVENANCE_CORPUS``, default
``/work/shared/corpus``). Russian is Festival's ``msu_ru_nsh_clunits`` voice, English espeak-ng ``en-us``
(never espeak's Russian, Ukrainian or Korean voices to test language ID with: they are too poor; except in
``switch_espeak.ogg``, where Whisper cannot identify the espeak Russian between clear English sentences).
Everything is mono 16 kHz Opus in Ogg at 32 kbit/s, so each clip stays well under 300 KB; ``truth.json``
records the text of each part and where it starts and ends.
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

HERE = Path(__file__).resolve().parent
CORPUS = Path(os.environ.get("PROVENANCE_CORPUS", "/work/shared/corpus"))
RATE = 16_000
BITRATE = 32_000

EN_TEXT = (
    "The video was filmed near the central railway station on Tuesday morning. "
    "Several witnesses described a loud explosion, followed by thick black smoke over the square. "
    "Local officials have not yet confirmed how many people were injured."
)
RU_TEXT = (
    "Видео было снято у центрального вокзала во вторник утром. "
    "Несколько свидетелей рассказали о громком взрыве и густом чёрном дыме над площадью. "
    "Местные власти пока не подтвердили, сколько людей пострадало."
)
# Russian speech sprinkled with Ukrainian words and surzhyk forms (шо, нема, хлопцы, дякую, тоже, гарно),
# the kind of lexical hint the dialect cues look for.
SURZHYK_TEXT = (
    "Ну шо, хлопцы, нема никого дома? "
    "Я вам кажу, шо там гарно было, а потом всё сгорело. "
    "Дякую вам, шо приехали."
)
# A sentence-by-sentence switch, espeak-ng en-us and ru (issue 13, a tester's clip): Whisper base hears the
# Russian sentences alone as pl 0.24, ar 0.22, he 0.28, de 0.58: speech of unidentified language
SWITCH_EN = ["The convoy crossed the bridge just after dawn.",
             "Nobody in the village expected the soldiers to return.",
             "The mayor said the water supply was cut on Monday.",
             "Reporters were not allowed near the damaged school."]
SWITCH_RU = ["Колонна пересекла мост сразу после рассвета.", "Никто в деревне не ожидал возвращения солдат.",
             "Мэр сказал, что воду отключили в понедельник.", "Журналистов не пустили к разрушенной школе."]
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def festival_ru(text: str, tmp: Path) -> np.ndarray:
    """Russian speech from Festival's msu_ru_nsh_clunits voice (UTF-8 text file input)."""
    txt, wav = tmp / "ru.txt", tmp / "ru.wav"
    txt.write_text(text, encoding="utf-8")
    cmd = ["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(txt), "-o", str(wav)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not wav.is_file() or wav.stat().st_size < 1000:
        sys.exit(f"Festival Russian synthesis failed (is festvox-ru installed?):\n{proc.stderr}")
    return load(wav)


def espeak_en(text: str, tmp: Path, voice: str = "en-us") -> np.ndarray:
    """US-English speech from espeak-ng at 150 words a minute (or ``voice``: "ru" for switch_espeak.ogg)."""
    wav = tmp / "en.wav"
    cmd = ["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not wav.is_file():
        sys.exit(f"espeak-ng synthesis failed:\n{proc.stderr}")
    return load(wav)


def espeak(text: str, tmp: Path, voice: str, speed: int) -> np.ndarray:
    """espeak-ng at ``speed`` words a minute in ``voice`` (the testers' Korean: "ko" at 130)."""
    wav = tmp / "espeak.wav"
    proc = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not wav.is_file():
        sys.exit(f"espeak-ng synthesis failed:\n{proc.stderr}")
    return load(wav)


def festival_en(text: str, tmp: Path) -> np.ndarray:
    """English speech from Festival's cmu_us_slt_arctic_hts voice (Debian festvox-us-slt-hts)."""
    txt, wav = tmp / "en.txt", tmp / "en.wav"
    txt.write_text(text, encoding="utf-8")
    cmd = ["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", str(txt), "-o", str(wav)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not wav.is_file() or wav.stat().st_size < 1000:
        sys.exit(f"Festival English synthesis failed (is festvox-us-slt-hts installed?):\n{proc.stderr}")
    return load(wav)


def load(path: Path) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32)


def trim(audio: np.ndarray, threshold: float = 0.02, margin: float = 0.05) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold * np.abs(audio).max())
    pad = round(margin * RATE)
    return audio[max(0, loud[0] - pad) : loud[-1] + pad]


def normalise(audio: np.ndarray, peak_db: float = -3.0) -> np.ndarray:
    return (audio * (10 ** (peak_db / 20) / max(1e-9, float(np.abs(audio).max())))).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), np.float32)


def write_opus(path: Path, samples: np.ndarray) -> None:
    """Mono Opus in Ogg; PyAV's libopus takes 48 kHz, so resample on the way in."""
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48_000, layout="mono")
        stream.bit_rate = BITRATE
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = RATE
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        for resampled in [*resampler.resample(frame), *resampler.resample(None)]:
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))


class Clip:
    """Parts laid end to end, remembering where each spoken part starts and ends (the ground truth)."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.parts: list[dict[str, object]] = []
        self.length = 0

    def pause(self, seconds: float) -> Clip:
        return self._add(silence(seconds))

    def speech(self, audio: np.ndarray, language: str, text: str, source: str) -> Clip:
        start = self.length / RATE
        self._add(normalise(trim(audio)))
        self.parts.append(
            {"language": language, "start": round(start, 2), "end": round(self.length / RATE, 2),
             "text": text, "source": source}
        )
        return self

    def _add(self, audio: np.ndarray) -> Clip:
        self.chunks.append(audio)
        self.length += len(audio)
        return self

    @property
    def samples(self) -> np.ndarray:
        return np.concatenate(self.chunks)


def switch_clip(tmp: Path) -> Clip:
    """espeak English and Russian sentences alternating, 0.45 s apart (``SWITCH_EN``, ``SWITCH_RU``)."""
    clip = Clip().pause(0.3)
    for en, ru in zip(SWITCH_EN, SWITCH_RU, strict=True):
        clip.speech(espeak_en(en, tmp), "en", en, "espeak-ng en-us").pause(0.45)
        clip.speech(espeak_en(ru, tmp, "ru"), "ru", ru, "espeak-ng ru").pause(0.45)
    return clip


# Issue 13 round 2 (tester t13d): espeak-ng's Korean, which Whisper base hears as confident Thai (th 0.84)
KO_TEXT = "북한 인민군 동무들이 오늘 아침 평양에서 행진을 했습니다. 일없습니다, 동무."
# ... and fast turn-taking, Festival English and Russian turns of 0.8-1.7 s, 0.2 s apart
DIALOG = [("en", "They came back at night."), ("ru", "Они вернулись ночью."), ("en", "Where did they go?"),
          ("ru", "Куда они поехали?"), ("en", "Nobody saw the trucks."), ("ru", "Никто не видел грузовики.")]


def dialog_clip(tmp: Path) -> Clip:
    """Festival turns, English and Russian alternating, 0.2 s apart (``DIALOG``)."""
    clip = Clip().pause(0.3)
    for language, text in DIALOG:
        audio = festival_en(text, tmp) if language == "en" else festival_ru(text, tmp)
        clip.speech(audio, language, text, "festival " + ("cmu_us_slt_arctic_hts" if language == "en" else
                                                          "msu_ru_nsh")).pause(0.2)
    return clip


# Issue 13 round 6 (tester t13f's switch_fen_ru, H2): Festival English and espeak-ng Russian sentences 0.4 s
# apart; the Russian, heard with the English around it, was transcribed as English ("Police are positive,
# police are."). Whisper base alone on an espeak Russian sentence: pl 0.5-0.7 padded, nothing unpadded.
FEN_RU = [("en", "The convoy crossed the bridge just after dawn."), ("ru", "Полиция прибыла на место."),
          ("en", "Police said the driver was arrested at the border."), ("ru", "Полиция задержала водителя."),
          ("en", "Officials will give more details tomorrow morning."), ("ru", "Мост был закрыт.")]


def fen_ru_clip(tmp: Path) -> Clip:
    """Festival English (``cmu_us_slt_arctic_hts``) and espeak-ng Russian at 150 wpm, 0.4 s apart (``FEN_RU``)."""
    clip = Clip()
    for language, text in FEN_RU:
        audio = festival_en(text, tmp) if language == "en" else espeak(text, tmp, "ru", 150)
        clip.speech(audio, language, text, "festival cmu_us_slt_arctic_hts" if language == "en" else
                    "espeak-ng ru, 150 wpm").pause(0.4)
    return clip


def main() -> None:
    jfk_path = CORPUS / "speech" / "jfk.flac"
    if not jfk_path.is_file():
        sys.exit(f"{jfk_path} is missing (set PROVENANCE_CORPUS)")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        en = espeak_en(EN_TEXT, tmp)
        ru = festival_ru(RU_TEXT, tmp)
        surzhyk = festival_ru(SURZHYK_TEXT, tmp)
        switch = switch_clip(tmp)
        ko = espeak(KO_TEXT, tmp, "ko", 130)
        dialog = dialog_clip(tmp)
        fen_ru = fen_ru_clip(tmp)
    jfk = load(jfk_path)
    clips = {
        "en_espeak.ogg": Clip().pause(0.3).speech(en, "en", EN_TEXT, "espeak-ng en-us").pause(0.5),
        "ru_festival.ogg": Clip().pause(0.3).speech(ru, "ru", RU_TEXT, "festival msu_ru_nsh").pause(0.5),
        "ru_surzhyk.ogg": Clip().pause(0.3).speech(surzhyk, "ru", SURZHYK_TEXT, "festival msu_ru_nsh").pause(0.5),
        "switch_espeak.ogg": switch,
        # English (a real speaker, then espeak-ng), a short breath, then Russian: a code switch at ~27 s
        "en_ru_switch.ogg": Clip()
        .pause(0.3)
        .speech(jfk, "en", JFK_TEXT, "jfk.flac (real speech)")
        .pause(0.4)
        .speech(en, "en", EN_TEXT, "espeak-ng en-us")
        .pause(0.6)
        .speech(ru, "ru", RU_TEXT, "festival msu_ru_nsh")
        .pause(0.5),
        "ko_espeak.ogg": Clip().pause(0.3).speech(ko, "ko", KO_TEXT, "espeak-ng ko, 130 wpm").pause(0.3),
        "dialog_fast.ogg": dialog,
        "switch_fen_ru.ogg": fen_ru,
    }
    truth = {}
    for name, clip in clips.items():
        write_opus(HERE / name, clip.samples)
        truth[name] = {"duration": round(clip.length / RATE, 2), "parts": clip.parts}
        size = (HERE / name).stat().st_size
        print(f"{name:20} {clip.length / RATE:5.1f} s {size / 1024:6.0f} KB")
    # gap_espeak.ogg is not synthesised here: it is 65-115 s of the tester's long_en_ru.m4a (README), kept as is
    old = json.loads((HERE / "truth.json").read_text(encoding="utf-8")) if (HERE / "truth.json").is_file() else {}
    truth |= {k: v for k, v in old.items() if k not in truth}
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
