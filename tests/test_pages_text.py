"""Issue 14: every page of a multi-page TIFF the visual stage examines is read for on-screen text too.

Before, the text stage read page 1 of a multi-page TIFF and said nothing of the rest: a Russian sign on page 3
was never reported, and an ru claim's language check rested on page 1 alone. Real pictures (skimage photos),
real fonts (the text suite's DejaVu/Noto), a real multi-page TIFF written by Pillow, real Tesseract."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from test_text import needs_ocr
from test_text_fixes import _boxed, _photo

from provenance.claims import Claim, check_on_screen_language
from provenance.pipeline import Pipeline, verify
from provenance.report.markdown import render_markdown

PANEL = {"fill": (255, 255, 255), "ink": (0, 0, 0), "pad": 10}


def _pipeline(**text: object) -> Pipeline:
    return Pipeline.from_dict({"audio": {"enabled": False}, "text": dict(text)}, name="text-test")


def _tiff(path: Path) -> Path:
    """Three pages: a photo with no sign, a Korean sign, a Russian sign (pages 1, 2, 3)."""
    plain = _photo("astronaut")
    ko = _boxed(_photo("coffee"), "출입 금지", "ko", 64, at=(80, 200), **PANEL)
    ru = _boxed(_photo("chelsea"), "Продукты", "ru", 64, at=(80, 200), **PANEL)
    plain.save(path, save_all=True, append_images=[ko, ru], compression="tiff_deflate")
    with Image.open(path) as img:
        assert img.n_frames == 3
    return path


@needs_ocr
def test_every_page_of_a_tiff_is_read_and_each_item_names_its_page(tmp_path: Path) -> None:
    report = verify(_tiff(tmp_path / "pages.tif"), pipeline=_pipeline())
    text = report.text
    assert text.status == "ok" and text.pages == 3 and text.pages_read == [1, 2, 3], text
    assert not text.pages_not_read and not text.budget_exhausted
    sure = [i for i in text.items if not i.low_confidence]
    # Russian is never named from letters alone (Belarusian and Kazakh share them): a set that holds ru
    ru = [i for i in sure if i.script == "Cyrillic" and "ru" in (i.languages or [])]
    ko = [i for i in sure if i.language == "ko"]
    assert ru and all(i.start == i.end == 2.0 for i in ru), text.items  # page 3, t = page - 1 as the visual stage
    assert ko and all(i.start == 1.0 for i in ko), text.items
    # the visual stage numbers the same pages the same way
    assert sorted({round(f.t) for f in report.visual.frames}) == [0, 1, 2]
    said = {f.message for f in report.findings if f.code == "on_screen_text"}
    assert any("Cyrillic (ru, be or kk" in m and "on page 3" in m for m in said), said
    assert any("on page 2" in m for m in said), said
    md = render_markdown(report)
    assert "page 3 **" in md and "Продукты" in md, md
    assert "3 of 3 pages read" in md
    # page 3's Cyrillic sign is weighed for an ru claim (a still's sign: role not told, so it decides nothing)
    check = check_on_screen_language(Claim(id="c", statement="s", languages=["ru"]), report)
    assert check.result == "unknown" and "“Продукты”" in check.detail, check.detail


@needs_ocr
def test_pages_not_read_are_named_and_decide_no_claim(tmp_path: Path) -> None:
    """One read allowed: page 1's Korean sign takes it and page 2's Russian one is not read; the report names
    page 2 and the ru claim's check says it was read in part rather than resting on page 1 alone."""
    path = tmp_path / "two.tif"
    ko = _boxed(_photo("coffee"), "출입 금지", "ko", 64, at=(80, 200), **PANEL)
    ru = _boxed(_photo("chelsea"), "Продукты", "ru", 64, at=(80, 200), **PANEL)
    ko.save(path, save_all=True, append_images=[ru], compression="tiff_deflate")
    report = verify(path, pipeline=_pipeline(max_reads=1))
    text = report.text
    assert text.status == "ok" and text.budget_exhausted, text
    assert text.pages_read == [1] and text.pages_not_read == [2], text
    notice = [f for f in report.findings if f.code == "text_pages_not_read"]
    assert notice and notice[0].severity == "notice" and "page 2 was not read" in notice[0].message, notice
    assert not any(f.code == "text_incomplete" for f in report.findings)
    check = check_on_screen_language(Claim(id="c", statement="s", languages=["ru"]), report)
    assert check.result == "unknown" and "stopped early" in check.detail, check.detail


@needs_ocr
def test_pages_past_the_cap_are_said_and_tiny_pages_do_not_fail_the_stage(tmp_path: Path) -> None:
    """66 pages (1x1 and 12x12 crops of a real photo): the text stage reads the visual stage's 64 and says the
    rest were not read; a page too small for any line is read as holding none (it failed the stage in OpenCV)."""
    from provenance.limits import MAX_STILL_PAGES

    photo = _photo("astronaut")
    pages = [photo.crop((0, 0, 1, 1))] + [photo.crop((i, i, i + 12, i + 12)) for i in range(MAX_STILL_PAGES + 1)]
    path = tmp_path / "many.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    report = verify(path, pipeline=_pipeline())
    text = report.text
    # the text stage did not fail; the visual stage's only error says the file was examined in part (exit 1)
    assert text.status == "ok" and [e.stage for e in report.errors] == ["visual"], report.errors
    assert report.errors[0].message.startswith("partly examined: a TIFF of more than"), report.errors
    assert text.pages_read == list(range(1, MAX_STILL_PAGES + 1)) and text.budget_exhausted
    notice = [f for f in report.findings if f.code == "text_pages_not_read"]
    assert notice and f"pages after {MAX_STILL_PAGES}" in notice[0].message, notice
