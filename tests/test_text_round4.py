"""Issue 18 round 3's defects, on real photographs (scikit-image) with signs and captions drawn in Debian's fonts
as the tester drew them: three-letter language codes in a claim contradicted by the tool's own two-letter ones,
a clip read in part that still contradicted a claim, captions changed in place reported with the first text,
16-bit stills read as blank, search missing NFD and unspaced Korean queries, a dense page read in part without
a word, and large stills shrunk without a word."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from test_text import needs_ocr, suite
from test_text_fixes import _boxed, _photo, _shots

from provenance import Workspace
from provenance.claims import Claim, ClaimError, ClaimStore, check_on_screen_language
from provenance.pipeline import Pipeline, verify

from conftest import cli_in_process

PANEL = {"fill": (255, 255, 255), "ink": (0, 0, 0), "pad": 10}


def _pipeline(**text: object) -> Pipeline:
    return Pipeline.from_dict({"audio": {"enabled": False}, "text": dict(text)}, name="text-test")


@needs_ocr
def test_three_letter_language_codes_are_stored_as_the_tools_own(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect 2: `claim add --languages rus` was accepted as "rus", and the tool's own "ru" for a Russian sign
    then "contradicted" it ("none of the expected rus on screen"); kor and ukr the same. Codes are stored as
    ISO 639-1, unknown ones refused in one line, and a claim stored earlier with "rus" is read as "ru"."""
    ws = Workspace(tmp_path / "ws")
    monkeypatch.setenv("PROVENANCE_WORKSPACE", str(ws.root))
    code, out, err = cli_in_process(capsys, "claim", "add", "--statement", "x", "--languages", "rus,kor,UKR,ger",
                                    "--id", "c-3")
    assert code == 0, (out, err)
    assert ClaimStore(ws).get("c-3").languages == ["ru", "ko", "uk", "de"]
    code, out, err = cli_in_process(capsys, "claim", "add", "--statement", "x", "--languages", "rux")
    errors = [line for line in err.splitlines() if "error:" in line]
    assert code == 2 and len(errors) == 1 and "no language has the code rux" in errors[0], err
    with pytest.raises(ClaimError, match="qqq"):
        ClaimStore(ws).add("x", languages="ru,qqq")
    with sqlite3.connect(ws.db_path) as conn:  # a claim stored before entry normalised its codes
        conn.execute("UPDATE claim SET languages = ? WHERE id = 'c-3'", (json.dumps(["rus"]),))
    claim = ClaimStore(ws).get("c-3")
    assert claim.languages == ["ru"], claim.languages
    path = tmp_path / "sign.png"
    _boxed(_photo("chelsea"), "Продукты", "ru", 64, at=(80, 200), **PANEL).save(path)
    report = verify(path, pipeline=_pipeline())
    # ы: Russian, Belarusian or Kazakh, so Russian is a candidate, never named alone (issue 18 round 6, N1)
    assert any("ru" in i.languages and not i.low_confidence for i in report.text.items), report.text.items
    for languages in (claim.languages, ["rus"]):  # also a Claim built from old data without the store
        check = check_on_screen_language(Claim(id="c", statement="s", languages=languages), report)
        # a still: the sign's role is not told, so it decides nothing (round 4, N1), but ru is the expected one
        assert check.result == "unknown" and "rus" not in check.detail, check.detail
        assert "expected ru" in check.detail and "not expected" not in check.detail, check.detail


@needs_ocr
def test_a_clip_read_in_part_neither_contradicts_nor_supports(tmp_path: Path) -> None:
    """Defect 3: a Korean shot then a Russian one, read with `max_reads = 1`, "contradicted" an ru claim ("ko:
    1 scene; none of the expected ru on screen"), which the full read does not. What was not read decides nothing."""
    ko = _boxed(_photo("coffee"), "출입 금지", "ko", 64, at=(80, 200), **PANEL)
    ru = _boxed(_photo("chelsea"), "Продукты", "ru", 64, at=(80, 200), **PANEL)
    clip = _shots(tmp_path / "ko_then_ru.mp4", (ko, 50), (ru, 50))
    claim = Claim(id="c", statement="s", languages=["ru"])
    part = verify(clip, pipeline=_pipeline(max_reads=1))
    assert part.text.budget_exhausted and any(i.language == "ko" for i in part.text.items), part.text.items
    check = check_on_screen_language(claim, part)
    assert check.result == "unknown" and "stopped early" in check.detail, check.detail
    whole = verify(clip, pipeline=_pipeline())
    assert not whole.text.budget_exhausted
    assert check_on_screen_language(claim, whole).result != "contradicts"


@needs_ocr
def test_a_caption_changed_in_place_is_reported_with_each_text_and_its_own_times(tmp_path: Path) -> None:
    """Defect 1: "Колонна входит в Харьков, 2022" for 2.4 s, then "…, 2014" in the same box over the same
    picture, was reported as one caption "…2022" for the whole clip ("2014" nowhere, search found nothing); the
    same in Korean ("북한군 12명 사망" -> "72명")."""
    for language, old, new in (("ru", "Колонна входит в Харьков, 2022", "Колонна входит в Харьков, 2014"),
                               ("ko", "북한군 12명 사망", "북한군 72명 사망")):
        clip = _shots(tmp_path / f"change_{language}.mp4", (_boxed(_photo("coffee"), old, language, 44), 60),
                      (_boxed(_photo("coffee"), new, language, 44), 60))
        items = [i for i in verify(clip, pipeline=_pipeline()).text.items if not i.low_confidence]
        digits = [("2022" if language == "ru" else "12명", "2014" if language == "ru" else "72명")]
        first = [i for i in items if digits[0][0] in i.text.replace(" ", "")]
        second = [i for i in items if digits[0][1] in i.text.replace(" ", "")]
        assert len(first) == 1 and len(second) == 1, [(i.text, i.start, i.end) for i in items]
        assert first[0].start == 0.0 and first[0].end < 2.4 <= second[0].start, (first[0], second[0])
        assert first[0].range_to <= second[0].start and second[0].range_from >= first[0].end


@needs_ocr
def test_a_16_bit_grey_png_is_read_like_its_8_bit_twin(tmp_path: Path) -> None:
    """Defect 6: a 16-bit grey PNG ("I;16") of a sign that reads in RGB, grey, CMYK, WebP, GIF and TIFF became
    an all-white picture in the text stage ("no text read", 0 regions)."""
    import numpy as np

    grey = np.asarray(_boxed(_photo("chelsea"), "Пункт выдачи", "ru", 64, at=(80, 200), **PANEL).convert("L"))
    path = tmp_path / "sign16.png"
    Image.fromarray(grey.astype(np.uint16) * 257).save(path)
    with Image.open(path) as img:
        assert img.mode.startswith("I"), img.mode  # the premise: Pillow opens it 16-bit
    items = [i for i in verify(path, pipeline=_pipeline()).text.items if not i.low_confidence]
    assert any("выдачи" in i.text for i in items), [(i.text, i.confidence) for i in items]


@needs_ocr
def test_search_finds_decomposed_and_unspaced_korean_queries(tmp_path: Path) -> None:
    """Defect 9: an NFD query ("їдуть" typed decomposed) found nothing where NFC found the caption; `search
    출입금지` found nothing against the stored "출입 금지" (here a caption "북한군 12명 사망", searched
    "북한군12명"). Latin and Cyrillic queries keep their spaces."""
    import unicodedata

    from provenance.report.writer import write_report
    from provenance.search import search

    ko = tmp_path / "ko.png"
    _boxed(_photo("coffee"), "북한군 12명 사망", "ko", 44).save(ko)
    uk = tmp_path / "uk.png"
    _boxed(_photo("chelsea"), "Військові їдуть", "uk", 64, at=(80, 200), **PANEL).save(uk)
    reports = tmp_path / "reports"
    read = []
    for path in (ko, uk):
        report = verify(path, pipeline=_pipeline())
        read += [i.text for i in report.text.items if not i.low_confidence]
        write_report(report, reports)
    assert "북한군 12명 사망" in read and any("їдуть" in t for t in read), read  # the premise: read as drawn
    assert len(search("북한군12명", [reports]).hits) == len(search("북한군 12명", [reports]).hits) == 1
    assert len(search(unicodedata.normalize("NFD", "їдуть"), [reports]).hits) == 1
    assert not search("військовіїдуть", [reports]).hits  # spaces still count outside Korean


def _page(lines: int, size: tuple[int, int] = (1280, 1800), font: int = 32) -> Image.Image:
    page = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(page)
    f = suite.font("ru", font)
    step = (size[1] - 80) // lines
    for n in range(lines):
        d.text((60, 40 + n * step), f"Строка {n + 1}: Паспорт гражданина выдан отделом {n * 7}", font=f, fill="black")
    return page


@needs_ocr
def test_a_page_is_read_whole_and_its_last_lines_are_not_captions_by_position(tmp_path: Path) -> None:
    """Defect 5: a page of 40 lines (1280x1800, 32 px) gave 12 lines, nothing said the rest were not read, and
    the lowest lines became "Caption: “Строка 33…”" notices from their position alone. A clip of the same page
    is read at the video cap (12 a frame), and the report says how many lines were left."""
    path = tmp_path / "page.png"
    _page(40).save(path)
    report = verify(path, pipeline=_pipeline())
    shown = [i for i in report.text.items if not i.low_confidence and "Строка" in i.text]
    assert len(shown) >= 36, [i.text for i in shown]
    assert not [f.message for f in report.findings if f.code == "on_screen_caption"]
    assert all(i.kind == "uncertain" for i in shown), [(i.text, i.kind_basis) for i in shown if i.kind != "uncertain"]
    assert all("block of" in i.kind_basis for i in shown[2:-2]), [i.kind_basis for i in shown]
    clip = _shots(tmp_path / "page.mp4", (_page(30, (720, 1280), 22), 25))
    video = verify(clip, pipeline=_pipeline())
    assert video.text.regions_capped >= 15, video.text.regions_capped
    notice = [f.message for f in video.findings if f.code == "text_incomplete" and "not read" in f.message]
    assert notice and f"{video.text.regions_capped} in" in notice[0], [f.message for f in video.findings]


@needs_ocr
def test_a_panorama_shrunk_before_reading_says_so(tmp_path: Path) -> None:
    """Defect 7: a 6000x600 panorama with 40-px signs was shrunk to 1280 px, its signs fell under the detector's
    smallest line and the report said only "no text read". It is now read at 5120x512 and searched in tiles
    (issue 18 round 4, N2): the signs are read, and the report says how it was read and which line height is
    too small to be found."""
    pano = Image.new("RGB", (6000, 600), (90, 110, 90))
    d = ImageDraw.Draw(pano)
    for n, word in enumerate(("Аптека", "Продукты", "Почта", "Вокзал")):
        d.rectangle([300 + n * 1400, 250, 700 + n * 1400, 320], fill="white")
        d.text((320 + n * 1400, 262), word, font=suite.font("ru", 40), fill="black")
    path = tmp_path / "pano.jpg"
    pano.save(path, quality=92)
    report = verify(path, pipeline=_pipeline())
    assert report.text.source_size == [6000, 600] and report.text.read_size == [5120, 512], report.text
    read = {i.text for i in report.text.items if not i.low_confidence}
    assert {"Аптека", "Продукты", "Почта", "Вокзал"} <= read, read
    reduced = [f for f in report.findings if f.code == "text_reduced"]
    assert reduced and "overlapping tiles" in reduced[0].message, reduced
    assert reduced[0].evidence["smallest_line_px"] < 40  # the signs' height: found


@needs_ocr
def test_a_lower_third_over_a_static_shot_does_not_contradict(tmp_path: Path) -> None:
    """Defect 8: a red left-aligned lower third "속보: 러시아군 도착" over a still astronaut for 5 s was scene
    text "inside the picture" and contradicted an ru claim; over a panning picture it was rightly a caption."""
    frame = _boxed(_photo("astronaut"), "속보: 러시아군 도착", "ko", 46, at=(60, 600), fill=(190, 20, 30))
    report = verify(_shots(tmp_path / "lt_static.mp4", (frame, 125)), pipeline=_pipeline())
    band = [i for i in report.text.items if i.script == "Hangul" and not i.low_confidence]
    assert band and all(i.kind == "uncertain" and "lower third" in i.kind_basis for i in band), \
        [(i.text, i.kind, i.kind_basis) for i in band]
    check = check_on_screen_language(Claim(id="c", statement="s", languages=["ru"]), report)
    assert check.result == "unknown", check.detail


@needs_ocr
def test_a_still_over_max_pixels_is_not_decoded_for_text_either(tmp_path: Path) -> None:
    """Issue 14 round 3 (H1): the text stage decoded every still at full size with Pillow, past the visual
    stage's refusal (a 150 MP WebP of 152 bytes: 2.52 GB). A still over ``[limits] max_pixels`` is refused by
    both stages with the same reason, and no text is made up from it."""
    path = tmp_path / "sign.jpg"
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Samsung", "SM-G991B"  # readable metadata: the file gets a report
    _boxed(_photo("chelsea"), "Пункт выдачи", "ru", 64, at=(80, 200), **PANEL).convert("RGB").save(path, exif=exif)
    pipeline = Pipeline.from_dict({"audio": {"enabled": False}, "limits": {"max_pixels": 10_000}})
    report = verify(path, pipeline=pipeline)
    assert report.text.status == "error" and report.text.items == []
    messages = {e.stage: e.message for e in report.errors}
    assert "[limits] max_pixels" in messages["text"] and "only its metadata" in messages["text"], messages
    assert messages["text"] == messages["visual"]


@needs_ocr
def test_a_still_only_ffmpeg_decodes_is_read_for_text(tmp_path: Path) -> None:
    """Issue 14 round 3 (M2): a still Pillow cannot open but FFmpeg decodes (OpenEXR here, as from a VFX or 3D
    tool) failed the text stage although the visual stage compared it; its sign is read from FFmpeg's picture."""
    import av
    import numpy as np

    rgb = np.asarray(_boxed(_photo("chelsea"), "Пункт выдачи", "ru", 64, at=(80, 200), **PANEL).convert("RGB"))
    path = tmp_path / "sign.exr"
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("exr", rate=1)
        stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "gbrpf32le"
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="gbrpf32le")
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(Exception):  # noqa: B017 - the premise: Pillow does not open it
        Image.open(path)
    report = verify(path, pipeline=_pipeline())
    assert report.visual.status == "ok", report.errors
    assert report.text.status == "ok", report.errors
    assert any("выдачи" in i.text for i in report.text.items if not i.low_confidence), report.text.items
