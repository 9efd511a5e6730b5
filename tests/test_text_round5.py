"""Issue 18 round 4's defects on real photographs (scikit-image) with lines drawn in Debian's fonts as the tester
drew them: a caption band on a still, or a boxed line over a static shot, called scene text whose language then
contradicted the claim (N1); і/ї and ы not settling the language of a confident reading (N5); the page saying
"under 0.70" whatever ``min_confidence`` was (N4); search missing "Харьков, 2014" for "Харьков 2014" (N6);
``claim show``'s columns shifted by a Hangul file name (tester 13, L2)."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image, ImageDraw
from test_text import needs_ocr, suite
from test_text_fixes import _boxed, _photo, _shots

from provenance.claims import Claim, check_on_screen_language
from provenance.cli_claim import display_width
from provenance.pipeline import Pipeline, verify
from provenance.report.model import Report
from provenance.report.writer import write_report
from provenance.search import search
from provenance.text.analysis import _moved
from provenance.text.language import settled_by_letters

from conftest import cli_in_process

PANEL = {"fill": (240, 240, 230), "ink": (20, 20, 120), "pad": 10}


def _pipeline(**text: object) -> Pipeline:
    return Pipeline.from_dict({"audio": {"enabled": False}, "text": dict(text)}, name="text-test")


def _check(report: Report, *languages: str) -> tuple[str, str]:
    c = check_on_screen_language(Claim(id="c", statement="s", languages=list(languages)), report)
    return c.result, c.detail


def _lower_third(im: Image.Image, text: str, language: str, size: int) -> Image.Image:
    """The tester's mk5.py band: a red box from x 40 at y 580-660 of a 1280x720 frame, white letters."""
    d = ImageDraw.Draw(im)
    f = suite.font(language, size)
    left, _, right, _ = d.textbbox((0, 0), text, font=f)
    d.rectangle([40, 580, 80 + right - left, 660], fill=(200, 0, 0))
    d.text((60, 590), text, font=f, fill="white")
    return im


@needs_ocr
def test_a_caption_band_on_a_still_is_of_uncertain_role_and_decides_no_claim(tmp_path: Path) -> None:
    """N1 a): a TV screenshot with a red lower third "속보: 러시아군 도착" was scene text "inside the picture" and
    contradicted an ru claim; a Russian band "СРОЧНО: мы в Курске" would have supported one. On a still nothing
    tells a band laid over the picture from a sign in it, so neither decides."""
    _lower_third(_photo("coffee"), "속보: 러시아군 도착", "ko", 46).save(tmp_path / "ko.jpg", quality=92)
    report = verify(tmp_path / "ko.jpg", pipeline=_pipeline())
    band = [i for i in report.text.items if i.script == "Hangul" and not i.low_confidence]
    assert band and band[0].language == "ko", [(i.text, i.confidence) for i in report.text.items]
    assert band[0].kind == "uncertain" and "a still" in band[0].kind_basis, band[0].kind_basis
    assert "lower third" in band[0].kind_basis  # the position, as a hint
    for languages in (["ru"], ["ko"]):
        result, detail = _check(report, *languages)
        assert result == "unknown" and "no text shown to be in the scene" in detail, (languages, result, detail)
    _lower_third(_photo("rocket"), "СРОЧНО: мы в Курске", "ru", 40).save(tmp_path / "ru.jpg", quality=92)
    report = verify(tmp_path / "ru.jpg", pipeline=_pipeline())
    russian = [i for i in report.text.items if "Курске" in i.text and not i.low_confidence]
    assert russian and russian[0].kind == "uncertain", [(i.text, i.kind) for i in report.text.items]
    for languages in (["ru"], ["uk"]):
        assert _check(report, *languages)[0] == "unknown", _check(report, *languages)
    md_kind = "caption or scene (not told)"
    assert md_kind in (write_report(report, tmp_path / "reports") / "report.md").read_text()


@needs_ocr
def test_a_boxed_line_over_a_static_shot_does_not_contradict(tmp_path: Path) -> None:
    """N1 b): white text on a black box mid-frame over a 4-s static shot (the TikTok/Telegram repost style), read
    Ukrainian at 0.96, contradicted an ru claim as scene text."""
    frame = _boxed(_photo("chelsea"), "Росіяни їдуть через наше село", "uk", 44, at=(120, 330))
    report = verify(_shots(tmp_path / "box.mp4", (frame, 100)), pipeline=_pipeline())
    line = [i for i in report.text.items if "село" in i.text and not i.low_confidence]
    assert line and line[0].language == "uk", [(i.text, i.language) for i in report.text.items]
    assert line[0].kind == "uncertain" and "unchanging shot" in line[0].kind_basis, line[0].kind_basis
    assert _check(report, "ru")[0] == "unknown", _check(report, "ru")
    assert _check(report, "uk")[0] == "unknown", _check(report, "uk")  # nor does it support


def _pan(path: Path, signs: list[tuple[str, str, tuple[int, int]]], seconds: float = 6.0, travel: int = 480,
         caption: tuple[str, str] | None = None, walker_y: int = 520) -> Path:
    """A pan across a 1760x720 photograph holding ``signs`` (text, language, corner): a 1280x720 window moving
    ``travel`` px to the right over ``seconds``, so the signs move left with the picture. Someone (a 200-px
    patch of another photograph) walks through the bottom of the shot against the pan, so the shot is not one
    flat image panned, whose signs decide nothing (analysis.RIGID_RESIDUAL: the pan alone measured 0.06, a
    shaken still 0.078-0.12, under the bar 0.14). ``caption``: (text, language) held at the bottom of every
    frame, laid over the pan (then put the walker higher, ``walker_y``)."""
    wide = _photo("chelsea", (1760, 720))
    for text, language, at in signs:
        wide = _boxed(wide, text, language, 56, at=at, **PANEL)
    walker = _photo("astronaut", (200, 200))
    n = round(seconds * 25)
    frames = []
    for i, x in enumerate(round(travel * i / (n - 1)) for i in range(n)):
        frame = wide.crop((x, 0, x + 1280, 720))
        frame.paste(walker, (40 + 6 * i, walker_y))
        if caption is not None:
            frame = _boxed(frame, caption[0], caption[1], 44)
        frames.append(frame)
    return suite.encode(frames, path, keyint=50)


@needs_ocr
def test_a_sign_moving_with_the_picture_is_scene_text_and_decides(tmp_path: Path) -> None:
    """The other side of N1: a sign that moves with a panning picture is shown to be in the scene, so its
    language supports a claim of that language and contradicts one of another script; beside a Cyrillic sign
    (round 2, defect 2) the Korean one no longer supports alone."""
    report = verify(_pan(tmp_path / "pan_ko.mp4", [("출입 금지 구역", "ko", (700, 150))]), pipeline=_pipeline())
    korean = [i for i in report.text.items if i.script == "Hangul" and not i.low_confidence]
    assert korean and korean[0].kind == "scene" and "moved with the picture" in korean[0].kind_basis, \
        [(i.text, i.kind, i.kind_basis) for i in report.text.items]
    assert _check(report, "ko")[0] == "supports", _check(report, "ko")
    assert _check(report, "ru")[0] == "contradicts", _check(report, "ru")
    both = _pan(tmp_path / "pan_ko_ru.mp4", [("출입 금지 구역", "ko", (700, 150)),
                                              ("Военная комендатура", "ru", (700, 420))])
    result, detail = _check(verify(both, pipeline=_pipeline()), "ko")
    assert result == "neutral" and "Cyrillic" in detail, (result, detail)


@needs_ocr
def test_letters_russian_lacks_settle_ukrainian_and_the_claim_does_not_count_them_as_maybe_russian(
        tmp_path: Path) -> None:
    """N5: "Росія напала" (і, read at 0.92) and "СРОЧНО: мы в Курске" (ы, 0.95) were "language not told", and
    the ru claim then counted the Ukrainian line as Cyrillic that "may be the expected ru". A confident
    reading's own і/ї/є/ґ or ы/э/ъ/ё settle it when the models' comparison did not."""
    _boxed(_photo("coffee"), "Росія напала", "uk", 48, at=(100, 300)).save(tmp_path / "uk.jpg", quality=92)
    report = verify(tmp_path / "uk.jpg", pipeline=_pipeline())
    line = [i for i in report.text.items if "напала" in i.text and not i.low_confidence]
    # і: Ukrainian, Belarusian or Kazakh; the letters settle "not Russian", never name Ukrainian alone (round 6)
    assert line and line[0].languages == ["uk", "be", "kk"], [(i.text, i.languages, i.language_basis)
                                                              for i in report.text.items]
    assert "letters і (Ukrainian, not Russian), read at 0." in line[0].language_basis, line[0].language_basis
    _lower_third(_photo("rocket"), "СРОЧНО: мы в Курске", "ru", 40).save(tmp_path / "ru.jpg", quality=92)
    russian = [i for i in verify(tmp_path / "ru.jpg", pipeline=_pipeline()).text.items if "Курске" in i.text]
    assert russian and russian[0].languages == ["ru", "be", "kk"] and "letters ы" in russian[0].language_basis, \
        russian
    # a Korean sign moving with a pan, the Ukrainian line laid over it: nothing Russian is on screen
    clip = _pan(tmp_path / "pan.mp4", [("출입 금지 구역", "ko", (700, 150))])
    with av.open(str(clip)) as c:
        shots = [_boxed(f.to_image(), "Росія напала", "uk", 48, at=(100, 560)) for f in c.decode(video=0)]
    report = verify(suite.encode(shots, tmp_path / "pan_uk.mp4", keyint=50), pipeline=_pipeline())
    overlay = [i for i in report.text.items if "напала" in i.text and not i.low_confidence]
    assert overlay and overlay[0].languages == ["uk", "be", "kk"], [(i.text, i.languages, i.kind)
                                                                      for i in report.text.items]
    result, detail = _check(report, "ru")
    assert result == "contradicts" and "language is not told" not in detail, (result, detail)


def test_a_readings_own_letters_settle_russian_or_ukrainian() -> None:
    assert settled_by_letters("Росія напала")[0] == "uk"
    assert settled_by_letters("Ґанок і двір")[0] == "uk"
    assert settled_by_letters("СРОЧНО: мы в Курске")[0] == "ru"
    assert settled_by_letters("Срочно: мьі в Курске")[0] == "ru"  # ы split as ь + і by the Ukrainian model
    assert settled_by_letters("Колонна техники")[0] is None  # no telling letter
    assert settled_by_letters("Їжак съел")[0] is None  # both: not told
    assert settled_by_letters("출입 금지")[0] is None  # not Cyrillic
    # є alone is Russian е to the recogniser (the text benchmark's held-out look: "вьезжаєт" named Ukrainian)
    assert settled_by_letters("Колонна военной техники вьезжаєт в город")[0] is None


@needs_ocr
def test_the_page_says_the_confidence_cut_off_the_settings_used(tmp_path: Path) -> None:
    """N4: with `min_confidence = 0.95`, a sign read at 0.91 was dropped to report.json, yet the page said
    "(under 0.70 or too few letters)"."""
    im = _boxed(_photo("chelsea"), "Обмін валют", "uk", 56, at=(80, 200), **PANEL)
    im = _boxed(im, "Лікарня", "uk", 56, at=(80, 420), **PANEL)
    im.save(tmp_path / "signs.jpg", quality=92)
    report = verify(tmp_path / "signs.jpg", pipeline=_pipeline(min_confidence=0.97))
    assert report.text.min_confidence == 0.97
    held = [i for i in report.text.items if i.low_confidence and 0.7 <= i.confidence < 0.97]
    assert held, [(i.text, i.confidence, i.low_confidence) for i in report.text.items]
    folder = write_report(report, tmp_path / "strict")
    for page in ("report.md", "report.html"):
        shown = (folder / page).read_text()
        assert "under 0.97 (" in shown and "min_confidence) or too few letters" in shown, page  # md escapes [ ]
        assert "under 0.70" not in shown, page
    default = verify(tmp_path / "signs.jpg", pipeline=_pipeline())
    assert not [i for i in default.text.items if i.low_confidence and i.confidence >= 0.7]


@needs_ocr
def test_search_reads_punctuation_as_spaces_and_shows_the_stored_text(tmp_path: Path) -> None:
    """N6: `search "Харьков 2014"` gave 0 hits against the caption "Харьков, 2014": search was a literal
    substring match. Punctuation and whitespace runs are folded on both sides; the hit shows the text as stored."""
    _boxed(_photo("astronaut"), "Харьков, 2014", "ru", 56, at=(100, 300)).save(tmp_path / "kh.jpg", quality=92)
    report = verify(tmp_path / "kh.jpg", pipeline=_pipeline())
    stored = [i.text for i in report.text.items if "2014" in i.text and not i.low_confidence]
    assert stored and "Харьков, 2014" in stored[0], [i.text for i in report.text.items]
    write_report(report, tmp_path / "reports")
    for query in ("Харьков 2014", "харьков,2014", "Харьков —  2014", "ХАРЬКОВ. 2014"):
        found = search(query, [tmp_path / "reports"])
        assert [h.text for h in found.hits] == [stored[0]], (query, found.hits)  # as stored, comma and all
        assert found.hits[0].where.startswith("on-screen text"), found.hits[0].where  # a still: role not told
    for query in ("Харьков 2015", "Харьков 20 14"):
        assert not search(query, [tmp_path / "reports"]).hits, query


def test_claim_show_keeps_its_columns_after_a_hangul_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Tester 13, L2: `claim show` padded the file column by characters, so the check, result and detail columns
    of a row named "러시아군_도착.jpg" (Hangul: two terminal columns each) stood to the right of the others'."""
    monkeypatch.setenv("PROVENANCE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.chdir(tmp_path)
    code, out, err = cli_in_process(capsys, "claim", "add", "--statement", "troops arrive", "--languages", "ko",
                                    "--date", "2022-03", "--id", "c-1")
    assert code == 0, err
    for name, photo in (("러시아군_도착.jpg", "coffee"), ("plain.jpg", "chelsea")):
        im = _photo(photo, (640, 360))
        exif = im.getexif()
        exif.get_ifd(0x8769)[0x9003] = "2014:05:01 10:00:00"  # DateTimeOriginal, years before the claimed date
        im.save(tmp_path / name, quality=90, exif=exif)
        code, out, err = cli_in_process(capsys, "verify", "--claim", "c-1", tmp_path / name)
        assert code == 0, (out, err)
    code, out, err = cli_in_process(capsys, "claim", "show", "c-1")
    assert code == 0, err
    lines = out.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("file ") and " check " in line), None)
    assert header is not None, out
    columns = [lines[header].index(word) for word in ("check", "result", "detail")]
    named = [line for line in lines[header + 1:] if line.startswith(("러시아군", "plain")) and "capture_time" in line]
    assert len(named) == 2, out
    for line in named:
        first = line.split("  ")[0]
        rest = line[len(first):]
        check = rest.lstrip(" ").split(" ")[0]
        at = display_width(first) + len(rest) - len(rest.lstrip(" "))  # terminal column where the check starts
        assert at == columns[0], (line, at, columns)
    assert display_width("러시아군_도착.jpg") == 17 and display_width("plain.jpg") == 9 and check


def test_a_box_recut_in_place_is_not_a_box_moved_with_the_picture() -> None:
    """A caption's box grows when the detector joins picture edges beside it: its centre shifts, but it was not
    carried by the picture (that would make it scene text that decides a claim); a sign carried by a pan was."""
    line = (0.30, 0.80, 0.70, 0.86)
    assert not _moved(line, (0.30, 0.80, 0.95, 0.86))  # grown on the right: same place, re-cut
    assert not _moved(line, (0.31, 0.80, 0.71, 0.86))  # jitter
    assert _moved(line, (0.05, 0.80, 0.45, 0.86))  # same size, a quarter of the frame to the left
    assert _moved(line, (0.30, 0.60, 0.70, 0.66))  # up by three of its heights
