"""On-screen text cases from real pictures: captions and signs in Russian, Ukrainian, Korean and English.

Pictures: scikit-image's photographs and the bundled archive footage; fonts: Debian's fonts-dejavu-core
(DejaVu Sans Bold: Latin and Cyrillic) and fonts-noto-cjk (Noto Sans CJK Bold: Hangul). A caption is drawn
centred near the bottom, white with a black outline (as phone editors and news templates burn them in); a sign
is dark text on a light panel inside the picture. Repost edits: re-encode at a lower quality, 9:16 with a
blurred fill, a 10% crop. Shared by benchmarks/bench_text.py and tests/test_text.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FOOTAGE = ROOT / "sample_media" / "clips" / "unrelated.mp4"
LATIN_CYRILLIC_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
HANGUL_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")

TEXTS = {
    "ru": ["Колонна военной техники въезжает в город", "Эти солдаты ещё не знают", "Объявлена эвакуация жителей"],
    "uk": ["Колона військової техніки в'їжджає в місто", "Її євреї та інші жителі", "Ґрунтова дорога біля річки"],
    "ko": ["군인들이 도시에 도착했다", "북한 군인들이 러시아에 있다", "이 영상은 어제 촬영되었다"],
    "en": ["Troops arriving at the border", "Breaking news from the city", "The road to the town is closed"],
}
SCRIPT = {"ru": "Cyrillic", "uk": "Cyrillic", "ko": "Hangul", "en": "Latin"}
EDITS = ("none", "reencode", "vertical_blur_fill", "crop_10")


def fonts_present() -> bool:
    return LATIN_CYRILLIC_FONT.is_file() and HANGUL_FONT.is_file()


def font(language: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(HANGUL_FONT if language == "ko" else LATIN_CYRILLIC_FONT), size)


def photos() -> dict[str, np.ndarray]:
    """Real photographs (RGB) from scikit-image."""
    import skimage.data as sd

    return {"astronaut": sd.astronaut(), "coffee": sd.coffee(), "chelsea": sd.chelsea(), "rocket": sd.rocket(),
            "hubble": sd.hubble_deep_field()}


def caption(picture: Image.Image, text: str, language: str, size: int = 40) -> Image.Image:
    """``text`` burned in, centred near the bottom, white with a black outline."""
    im = picture.copy()
    f = font(language, size)
    w = f.getlength(text)
    ImageDraw.Draw(im).text(((im.width - w) / 2, im.height - size * 2.5), text, font=f, fill="white",
                            stroke_width=max(2, size // 13), stroke_fill="black")
    return im


def sign(picture: Image.Image, text: str, language: str, size: int = 34, at: tuple[float, float] = (0.1, 0.2)
         ) -> Image.Image:
    """``text`` on a light panel inside the picture (a shop sign, a plate), dark letters."""
    im = picture.copy()
    f = font(language, size)
    w = f.getlength(text)
    x, y = at[0] * im.width, at[1] * im.height
    d = ImageDraw.Draw(im)
    d.rectangle([x - 12, y - 10, x + w + 12, y + size * 1.35 + 10], fill=(236, 232, 220), outline=(60, 60, 60), width=3)
    d.text((x, y), text, font=f, fill=(25, 30, 40))
    return im


def edit(im: Image.Image, how: str) -> Image.Image:
    """A repost edit of a 16:9 frame: as is, re-encode (done by the encoder), 9:16 blurred fill, 10% crop."""
    if how == "vertical_blur_fill":
        w, h = 720, 1280
        back = im.resize((round(h * im.width / im.height), h)).crop((0, 0, w, h)).filter(ImageFilter.GaussianBlur(24))
        fg = im.resize((w, round(w * im.height / im.width)))
        back.paste(fg, (0, (h - fg.height) // 2))
        return back
    if how == "crop_10":
        dx, dy = round(im.width * 0.05), round(im.height * 0.05)
        return im.crop((dx, dy, im.width - dx, im.height - dy)).resize(im.size)
    return im


def footage_frames(size: tuple[int, int] = (1280, 720)) -> list[Image.Image]:
    """The bundled archive footage's frames at ``size``."""
    with av.open(str(FOOTAGE)) as c:
        return [f.to_image().resize(size) for f in c.decode(video=0)]


def encode(frames: list[Image.Image], path: Path, *, fps: int = 25, crf: int = 23, keyint: int = 25) -> Path:
    """H.264 (libx264 through PyAV) of ``frames``; ``keyint`` frames between forced keyframes."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = frames[0].width, frames[0].height, "yuv420p"
        s.options = {"preset": "veryfast", "crf": str(crf), "g": str(keyint)}
        for i, im in enumerate(frames):
            vf = av.VideoFrame.from_image(im.convert("RGB"))
            vf.pts, vf.time_base = i, Fraction(1, fps)
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def captioned_clip(path: Path, text: str, language: str, *, seconds: float = 8.0, start: float = 2.0,
                   end: float = 5.0, how: str = "none") -> Path:
    """The archive footage with ``text`` burned in from ``start`` to ``end`` seconds, after ``how``."""
    source = footage_frames()
    frames = []
    for i in range(round(seconds * 25)):
        im = source[i % len(source)]
        if start <= i / 25 < end:
            im = caption(im, text, language)
        frames.append(edit(im, how))
    return encode(frames, path, crf=30 if how == "reencode" else 23)


@dataclass(frozen=True)
class Case:
    name: str
    language: str
    text: str
    picture: str  # a photograph's name, or "footage"
    kind: str  # "caption", "sign", or "scene" (text photographed in the picture itself: nothing drawn)
    edit: str
    fixed_split: str = ""  # the cases added after the first held-out split: "dev" or "held-out-2"

    @property
    def split(self) -> str:
        """dev or held-out, fixed by the name's hash (one case in four held out); later cases name theirs."""
        if self.fixed_split:
            return self.fixed_split
        return "held-out" if hashlib.sha256(self.name.encode()).digest()[0] % 4 == 0 else "dev"


# skimage.data.page(): a photograph of a printed English page, the one legible scene text in scikit-image's
# photographs (read here at its own 384x191 px, as a still); its lines as printed
PAGE_LINES = ["Region-based segmentation", "Let us first determine markers of the coins and the",
              "background. These markers are pixels that we can label",
              "unambiguously as either object or background. Here,",
              "the markers are found at the two extreme parts of the", "histogram of grey values:"]
# English signs in capitals that the Russian and Ukrainian models read as Cyrillic look-alikes (issue 18 tester:
# PHARMACY as "ІРНАВМАСУ", BAKERY as "ВАКЕВУ", TAXI as "АХ!"), drawn 64 px, dark on a light panel
LOOKALIKE_SIGNS = {"dev": ["PHARMACY", "BAKERY", "TAXI"], "held-out-2": ["HOTEL", "MARKET", "COSMETICS"]}


def later_cases() -> list[Case]:
    """The cases added after the first split (issue 18 review): scene text in a real photograph and English
    look-alike signs; dev, and a held-out-2 split of new cases not run while tuning."""
    out = []
    for n, line in enumerate(PAGE_LINES):
        split = "dev" if n % 2 == 0 else "held-out-2"
        out.append(Case(f"en_page_{n}_scene_none_page", "en", line, "page", "scene", "none", split))
    pictures = ["coffee", "chelsea", "rocket"]
    for split, words in LOOKALIKE_SIGNS.items():
        for n, word in enumerate(words):
            out.append(Case(f"en_lookalike_{word.lower()}_sign_none_{pictures[n]}", "en", word, pictures[n], "bigsign",
                            "none", split))
    return out


def cases() -> list[Case]:
    out = []
    pictures = ["astronaut", "coffee", "chelsea", "rocket", "footage"]
    for language, texts in TEXTS.items():
        for n, text in enumerate(texts):
            for k, how in enumerate(EDITS):
                picture = pictures[(n + k) % len(pictures)]
                kind = "sign" if (n + k) % 3 == 2 else "caption"
                out.append(Case(f"{language}_{n}_{kind}_{how}_{picture}", language, text, picture, kind, how))
    return out + later_cases()
