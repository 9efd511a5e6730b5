"""Issue 18 round 4, the recogniser: outlined overlays read as junk, big signs not found or misread, short
Korean signs missed, two equal signs merged, on scikit-image photographs with text drawn in Debian's fonts
(DejaVu Sans Bold, Noto Sans CJK Bold) as the tester drew it (/tmp/t18d/mk3.py, mk4.py, mk10.py)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from test_text import needs_ocr, suite
from test_text_fixes import _photo, _shots

from provenance.config import Pipeline
from provenance.pipeline import verify
from provenance.text.analysis import similarity


def _pipeline(**text: object) -> Pipeline:
    return Pipeline.from_dict({"audio": {"enabled": False}, "text": dict(text)}, name="text-test")


def _fill916(im: Image.Image) -> Image.Image:
    """A 16:9 picture as a 9:16 repost: scaled to the width over a blurred copy of itself (the tester's fill916)."""
    w, h = 720, 1280
    out = im.resize((w, h)).filter(ImageFilter.GaussianBlur(25))
    fg = im.resize((w, round(im.height * w / im.width)))
    out.paste(fg, (0, (h - fg.height) // 2))
    return out


def _overlay(im: Image.Image, text: str, language: str, size: int, y: int) -> Image.Image:
    """White letters with a 4-px black outline straight over the picture, centred: the 9:16 repost overlay."""
    d = ImageDraw.Draw(im)
    f = suite.font(language, size)
    x0, y0, x1, _ = d.textbbox((0, 0), text, font=f)
    d.text(((im.width - (x1 - x0)) // 2 - x0, y - y0), text, font=f, fill="white", stroke_width=4,
           stroke_fill="black")
    return im


def _read(report: object, text: str) -> list[tuple[str, float, bool]]:
    """The items read like ``text`` (similarity >= 0.85), as (text, confidence, low_confidence)."""
    items = report.text.items  # type: ignore[attr-defined]
    return [(i.text, i.confidence, i.low_confidence) for i in items if similarity(i.text, text) >= 0.85]


@needs_ocr
def test_outlined_overlay_text_over_a_busy_photo_is_read(tmp_path: Path) -> None:
    """N3: white text with a black outline over the astronaut in a 9:16 repost read "ое 237" (0.36) for
    "러시아군 도착" and "Рос!янидуль" for "Росіяни їдуть", both "none read confidently"; the same words on a
    black box read right. The outlined letters are isolated from the picture and read."""
    v = _fill916(_photo("astronaut"))
    _overlay(v, "러시아군 도착", "ko", 56, 420)
    _overlay(v, "Росіяни їдуть", "uk", 48, 560)
    clip = _shots(tmp_path / "overlay.mp4", (v, 25))
    report = verify(clip, pipeline=_pipeline())
    items = [(i.text, round(i.confidence, 2), i.language) for i in report.text.items]
    for text in ("러시아군 도착", "Росіяни їдуть"):
        found = [r for r in _read(report, text) if not r[2]]
        assert found, (text, items)
    uk = [i for i in report.text.items if similarity(i.text, "Росіяни їдуть") >= 0.85]
    assert uk[0].script == "Cyrillic" and uk[0].language in ("uk", None), items


@needs_ocr
def test_a_broadcasters_corner_logo_keeps_its_hangul_and_latin(tmp_path: Path) -> None:
    """N3: "연합뉴스 TV" white on a blue box read "AtinA Tv" and "연 합 뉴스 ТУ" (TV as Cyrillic, then read by the
    Cyrillic models). A mostly Hangul line is read by the Korean model with English after it."""
    im = _photo("astronaut")
    d = ImageDraw.Draw(im)
    f = ImageFont.truetype(str(suite.HANGUL_FONT), 40, index=1)  # Noto Sans CJK KR, as the tester drew it
    x0, y0, x1, y1 = d.textbbox((0, 0), "연합뉴스 TV", font=f)
    x, y = im.width - (x1 - x0) - 40, 30
    d.rectangle([x - 8, y - 8, x + x1 - x0 + 8, y + y1 - y0 + 8], fill=(20, 40, 160))
    d.text((x - x0, y - y0), "연합뉴스 TV", font=f, fill="white")
    report = verify(_shots(tmp_path / "bug.mp4", (im, 25)), pipeline=_pipeline())
    items = [(i.text, round(i.confidence, 2)) for i in report.text.items]
    logo = [i for i in report.text.items if "연합뉴스" in i.text.replace(" ", "") and not i.low_confidence]
    assert logo, items
    # "TV" in Noto Sans CJK at 40 px is read "Tv", "14" or "74" by turns; never as Cyrillic letters any more
    assert not any(0x0400 <= ord(c) <= 0x04FF for c in logo[0].text), items
