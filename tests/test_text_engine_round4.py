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


def _sign(im: Image.Image, text: str, size: int, at: tuple[int, int]) -> Image.Image:
    """``text`` in dark blue on a light panel 10 px round it, its corner at ``at``: the tester's sign() (Hangul in
    Noto Sans CJK KR, the rest in DejaVu Sans Bold)."""
    d = ImageDraw.Draw(im)
    hangul = any("\uac00" <= c <= "\ud7af" for c in text)
    f = ImageFont.truetype(str(suite.HANGUL_FONT), size, index=1) if hangul else suite.font("uk", size)
    x0, y0, x1, y1 = d.textbbox((0, 0), text, font=f)
    x, y = at
    d.rectangle([x - 10, y - 10, x + x1 - x0 + 10, y + y1 - y0 + 10], fill=(240, 240, 230))
    d.text((x - x0, y - y0), text, font=f, fill=(20, 20, 120))
    return im


@needs_ocr
def test_a_panorama_is_searched_in_tiles_and_its_big_and_small_signs_are_read(tmp_path: Path) -> None:
    """N2: a 6000x800 panorama (the astronaut) with a 300-px "Обмін валют" and four 40-px "Продукты" signs was
    read shrunk to 1280x171: regions_read 0, "no text read", the notice blaming small text. It is now read at
    5120x683 in overlapping tiles, the notice says so, and the big sign and the small ones are read."""
    pano = _sign(_photo("astronaut", (6000, 800)), "Обмін валют", 300, (100, 150))
    for x in (2500, 3500, 4500, 5300):
        _sign(pano, "Продукты", 40, (x, 300))
    path = tmp_path / "pano.jpg"
    pano.save(path, quality=92)
    report = verify(path, pipeline=_pipeline())
    items = [(i.text, round(i.confidence, 2), i.low_confidence, i.box) for i in report.text.items]
    assert [r for r in _read(report, "Обмін валют") if not r[2]], items
    small = [i for i in report.text.items if similarity(i.text.lower(), "продукты") >= 0.85 and not i.low_confidence]
    assert len({round(i.box[0], 2) for i in small}) >= 3, items  # distinct signs, each at its own place
    reduced = [f for f in report.findings if f.code == "text_reduced"]
    assert reduced and "overlapping tiles" in reduced[0].message and reduced[0].evidence["tiles"] > 1, reduced


@needs_ocr
def test_big_signs_are_found_and_read_at_a_legible_scale(tmp_path: Path) -> None:
    """N2: big legible text was not found (a 240-px "Аптека": no region, the line over 0.2 of the frame's height)
    or misread (a 160-px "Обмін валют" over chelsea read "OOMIH BaJIIOT" by the English model at 0.84). Huge lines
    are looked for at a quarter of the detector's width, and a big crop read unsure is read again larger."""
    cases = ((_sign(_photo("coffee"), "Аптека", 240, (40, 60)), "Аптека"),
             (_sign(_photo("chelsea"), "Обмін валют", 160, (40, 100)), "Обмін валют"),
             (_sign(_photo("astronaut"), "Обмін валют", 120, (40, 100)), "Обмін валют"))
    for n, (im, text) in enumerate(cases):
        path = tmp_path / f"big{n}.jpg"
        im.save(path, quality=92)
        report = verify(path, pipeline=_pipeline())
        found = [r for r in _read(report, text) if not r[2]]
        assert found and found[0][1] >= 0.8, (text, [(i.text, i.confidence) for i in report.text.items])
        assert all(i.script == "Cyrillic" for i in report.text.items if similarity(i.text, text) >= 0.85)


@needs_ocr
def test_short_korean_signs_beside_fur_and_coffee_are_read_and_two_equal_signs_are_two_items(tmp_path: Path
                                                                                           ) -> None:
    """Round 3-4, defect 4: a 56-px "출입 금지" on a light panel at (80, 300) over skimage's chelsea or at (80, 100)
    over coffee gave no region ("no text read"): the panel's lower edge against the fur was the blob's densest
    row and the line was cut to it. Two equal signs in one picture gave one item; each is its own item, in a
    still and through a clip (merged across time, never across places in one frame)."""
    for name, at in (("chelsea", (80, 300)), ("coffee", (80, 100)), ("chelsea", (80, 100))):
        im = _sign(_photo(name), "출입 금지", 56, at)
        path = tmp_path / f"{name}_{at[1]}.jpg"
        im.save(path, quality=92)
        report = verify(path, pipeline=_pipeline())
        assert [r for r in _read(report, "출입 금지") if not r[2]], (name, at, report.text.items)
    two = _sign(_sign(_photo("chelsea"), "출입 금지", 56, (80, 100)), "출입 금지", 56, (700, 450))
    path = tmp_path / "two.jpg"
    two.save(path, quality=92)
    for media in (path, _shots(tmp_path / "two.mp4", (two, 75))):
        report = verify(media, pipeline=_pipeline())
        signs = [i for i in report.text.items if similarity(i.text, "출입 금지") >= 0.85 and not i.low_confidence]
        assert len(signs) == 2 and abs(signs[0].box[0] - signs[1].box[0]) > 0.3, (media.name, signs)


@needs_ocr
def test_no_exclamation_mark_is_invented_from_the_picture_beside_a_sign_and_a_real_one_is_kept(tmp_path: Path
                                                                                              ) -> None:
    """N6: a 56-px "Лікарня" on skimage's camera read "Лікарня!" (the picture beyond the panel's right edge, a
    dark strip over 80-86% of the crop's height, read as "!"), and with it no language. A strip of the picture
    beside a panel is cut; an exclamation mark drawn on the sign stays."""
    for text, pic in (("Лікарня", "camera"), ("Увага!", "coffee")):
        path = tmp_path / f"{pic}.jpg"
        _sign(_photo(pic), text, 56 if pic == "camera" else 64, (80, 150 if pic == "camera" else 200)).save(
            path, quality=92)
        report = verify(path, pipeline=_pipeline())
        read = [i.text for i in report.text.items if not i.low_confidence]
        assert text in read, (text, read)
