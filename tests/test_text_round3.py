"""Issue 18 round 2's remaining defects, on real photographs (scikit-image) with signs drawn in Debian's fonts as
the tester drew them (a light panel 10 px round the letters): a panel's edge read as a leading "І"/"Ї" and a
look-alike verdict that followed the background (D4), a scene sign's time range reaching back across the cut
that opened its shot (D8), the HTML saying "No text read." where the Markdown counted the regions read, and
search's wording and paths (D9)."""

from __future__ import annotations

from pathlib import Path

import pytest
import skimage.data
from PIL import Image, ImageEnhance
from test_text import needs_ocr, suite
from test_text_fixes import _boxed, _photo, _pipeline

from provenance.pipeline import verify
from provenance.report.writer import write_report
from provenance.search import search

from conftest import cli_in_process

PANEL = {"fill": (255, 255, 255), "ink": (0, 0, 0), "pad": 10}


def _sign(picture: str, text: str, language: str, tmp_path: Path, at: tuple[int, int] = (80, 200),
          size: int = 64, **panel: object) -> list:
    path = tmp_path / f"{picture}_{len(list(tmp_path.iterdir()))}.png"
    _boxed(_photo(picture), text, language, size, at=at, **(panel or PANEL)).save(path)
    return [i for i in verify(path, pipeline=_pipeline()).text.items if not i.low_confidence]


@needs_ocr
def test_a_panel_edge_is_not_a_letter_and_lookalikes_do_not_follow_the_background(tmp_path: Path) -> None:
    """D4: "РЕКА" on a white panel was "Latin script" 0.89 (stored PEKA) on chelsea and "script not told" with a
    leading "І" on coffee; "ТАКСИ" (И has no Latin twin) was not told; "Пункт выдачи паспортов" beside the
    rocket's tower was read "ІПункт вьщдачи", and the Ukrainian model, which has І, won over the Russian one."""
    verdicts = {}
    for picture in ("chelsea", "coffee"):
        items = _sign(picture, "РЕКА", "ru", tmp_path)
        sign = [i for i in items if i.text.upper().translate(str.maketrans("PEKA", "РЕКА")).endswith("РЕКА")]
        assert len(sign) == 1, [(i.text, i.script) for i in items]
        assert len(sign[0].text) == 4, sign[0].text  # no edge read as a letter
        verdicts[picture] = (sign[0].script, sign[0].language)
    assert verdicts["chelsea"] == verdicts["coffee"] == (None, None), verdicts  # both alphabets: not told
    taxi = [i for i in _sign("coffee", "ТАКСИ", "ru", tmp_path) if "АКС" in i.text]
    assert [(i.text, i.script) for i in taxi] == [("ТАКСИ", "Cyrillic")], taxi
    panel = {"fill": (240, 240, 230), "ink": (20, 20, 120), "pad": 10}
    read = _sign("rocket", "Пункт выдачи паспортов", "ru", tmp_path, at=(80, 150), **panel)
    line = [i for i in read if "паспорт" in i.text]
    assert line and line[0].text.startswith("Пункт"), [(i.text, i.confidence) for i in read]
    assert line[0].language != "uk" and not any(c in line[0].text for c in "іїєґ"), line[0]


@needs_ocr
def test_a_scene_sign_range_does_not_reach_back_across_the_cut_that_opened_its_shot(tmp_path: Path) -> None:
    """D8: a sign appearing at the 2.0-s cut had range_from 0.0 (the frame read before, in the other shot). Its
    shot begins at the cut, which the visual stage names up to two 0.2-s steps late: the bound stays true. The
    shot after the cut pans, so the sign moves with the picture and is shown to be scene text (a sign over an
    unchanging shot is "not told" and may be a caption laid over both shots, whose range may reach back)."""
    before = _photo("camera")
    wide = _boxed(_photo("coffee", (1760, 720)), "출입 금지", "ko", 60, at=(900, 100), fill=(240, 240, 230),
                  ink=(20, 20, 120), pad=10)
    # the light drifts as the camera pans (auto exposure) and someone walks through the lower left against the
    # pan: not one flat image panned, which would leave the sign's role untold (a caption burned into a panned
    # still moves the same way; issue 18 round 6, N2). The light's drift alone measured 0.127
    # (analysis.RIGID_RESIDUAL), as close to one flat image as a shaken still is
    walker = _photo("astronaut", (300, 300))
    pan = []
    for i, x in enumerate(round(400 * i / 74) for i in range(75)):
        frame = wide.crop((x, 0, x + 1280, 720))
        frame.paste(walker, (40 + 6 * i, 400))
        pan.append(ImageEnhance.Brightness(frame).enhance(1.0 - 0.1 * i / 74))
    report = verify(suite.encode([before] * 50 + pan, tmp_path / "cut.mp4", keyint=250), pipeline=_pipeline())
    signs = [i for i in report.text.items if "금지" in i.text]
    assert signs and report.text.shot_changes, ([(i.text, i.start) for i in report.text.items],
                                                report.text.shot_changes)
    sign = signs[0]
    assert sign.kind == "scene" and 1.9 <= sign.start <= 2.3, (sign.kind, sign.start, sign.kind_basis)
    assert 1.5 <= sign.range_from <= 2.0, sign.range_from  # was 0.0; 2.0 is the true start
    md = (write_report(report, tmp_path / "reports") / "report.md").read_text()
    assert "(at most 0:00.0" not in md.split("출입")[1].split("\n")[0], md


@needs_ocr
def test_the_html_counts_regions_read_unsurely_as_the_markdown_does(tmp_path: Path) -> None:
    """The stage's HTML said "No text read." with no item though regions went to the recogniser, where the
    Markdown and JSON said "N text-like regions, none read confidently". skimage's coffee photograph (no text:
    a saucer's rim and the wood's grain) sends a region to the recogniser and keeps no reading."""
    path = tmp_path / "coffee.png"
    Image.fromarray(skimage.data.coffee()).convert("RGB").resize((1280, 720)).save(path)
    report = verify(path, pipeline=_pipeline())
    folder = write_report(report, tmp_path / "reports")
    html = (folder / "report.html").read_text()
    section = html[html.index('id="text"'):]
    md = (folder / "report.md").read_text()
    if report.text.regions_read and not report.text.items:
        assert "No text read" not in section and "none read confidently" in section, section[:600]
        assert "none read confidently" in md
    else:  # the premise of the test no longer holds: say so rather than pass on nothing
        pytest.fail(f"coffee: {report.text.regions_read} regions read, items {[i.text for i in report.text.items]}")


@needs_ocr
def test_search_paths_are_relative_and_its_refusals_say_why(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """D9: outside a workspace search did not name `provenance init`; `--reports /etc/passwd` said "no such
    report folder"; hits named the same reports by absolute and by relative paths."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROVENANCE_WORKSPACE", raising=False)
    code, out, err = cli_in_process(capsys, "search", "москва")
    assert code == 2 and "provenance init" in err, (out, err)
    code, out, err = cli_in_process(capsys, "search", "x", "--reports", "/etc/passwd")
    assert code == 2 and "not a folder" in err and "/etc/passwd" in err, (out, err)
    _boxed(_photo("chelsea"), "Военная комендатура", "ru", 56, at=(80, 200), **PANEL).save(tmp_path / "s.png")
    write_report(verify(tmp_path / "s.png", pipeline=_pipeline()), tmp_path / "reports")
    named = {h.report for h in search("комендатура", [tmp_path / "reports"]).hits}
    named |= {h.report for h in search("комендатура", [Path("reports")]).hits}
    assert len(named) == 1 and next(iter(named)).startswith("reports/"), named
    code, out, err = cli_in_process(capsys, "search", "комендатура", "--reports", tmp_path / "reports")
    assert code == 0 and out.startswith("reports/"), (out, err)
