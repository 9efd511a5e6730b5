"""Issue 18 round 5's defects left after fix18g, on the tester's own media (tests/data/text18, made from
scikit-image photographs) and on lines drawn in Debian's fonts: a Ukrainian reading named against the models'
comparison (D8), a query typed with a Latin I missing the stored Cyrillic І and punctuation-only queries (D6, D7),
the claim check calling Cyrillic scene text Latin (D4), outlined overlays misread at 0.9 (D5), one handheld sign
as four items (D8), a panorama sign split at a tile's edge (D6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from test_text import needs_ocr
from test_text_fixes import _boxed, _photo
from test_text_round5 import PANEL, _pan

from provenance.claims import Claim, check_on_screen_language
from provenance.pipeline import Pipeline, verify
from provenance.report.writer import write_report
from provenance.search import search
from provenance.text.analysis import _norm, levenshtein, similarity

from conftest import cli_in_process

DATA = Path(__file__).parent / "data" / "text18"


def _pipeline(**text: object) -> Pipeline:
    return Pipeline.from_dict({"audio": {"enabled": False}, "text": dict(text)}, name="text-test")


@needs_ocr
def test_a_reading_the_russian_model_reads_far_better_is_not_named_ukrainian() -> None:
    """D8: "Не прислоняться" (22 px, blurred) read "Не прислоняті": the Ukrainian model 0.56, the Russian one
    0.89, yet named Ukrainian (recogniser "ukr") against the rule that the named model leads by 0.1. Its і is the
    mixed models' misread of ть, so the language is not told."""
    report = verify(DATA / "ru_lean_blur.jpg", pipeline=_pipeline())
    line = [i for i in report.text.items if "прислон" in i.text]
    assert line, [(i.text, i.language) for i in report.text.items]
    assert line[0].language != "uk", (line[0].text, line[0].language_basis)
    assert "(ukr)" not in line[0].recogniser, line[0].recogniser
    result = check_on_screen_language(Claim(id="c", statement="s", languages=["ru"]), report)
    assert result.result == "unknown" and "uk:" not in result.detail, result.detail


@needs_ocr
def test_search_with_a_typed_latin_i_finds_the_stored_cyrillic_one(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """D6/D7: the sign "Участок I" is stored as read, with Cyrillic І; a desk types the Roman numeral as Latin I
    and got 0 hits. Punctuation-only queries gave hits for "," and none for "-": now refused, exit 2."""
    report = verify(DATA / "ru_roman_numeral.jpg", pipeline=_pipeline())
    stored = [i.text for i in report.text.items if "Участок" in i.text and not i.low_confidence]
    assert stored and "І" in stored[0], [i.text for i in report.text.items]  # Cyrillic І, as the recogniser wrote
    write_report(report, tmp_path / "reports")
    for query in ("Участок I", "участок i", "Участок І", "Yчасток I"):  # Latin I; Cyrillic І; a Latin Y typed
        assert [h.text for h in search(query, [tmp_path / "reports"]).hits] == stored, query
    for query in ("Участок II", "Участок 1", "I"):
        assert not search(query, [tmp_path / "reports"]).hits, query
    for query in (":", ",", "...", "-"):
        code, out, err = cli_in_process(capsys, "search", query, "--reports", tmp_path / "reports")
        assert code == 2 and "no letter or digit" in err and "hit" not in out, (query, code, out, err)


@needs_ocr
def test_cyrillic_scene_text_is_not_called_latin_by_the_claim_check(tmp_path: Path) -> None:
    """D4: a Russian sign on a pan ("Продукты", scene) under a fixed Korean caption, with a ko claim: the check
    said "Latin-script scene text ... decide nothing"; the caption's basis said "over an unchanging shot"."""
    report = verify(_pan(tmp_path / "pan_rusign_kocap.mp4", [("Продукты", "ru", (700, 150))],
                         caption=("러시아군이 도착했다", "ko"), walker_y=300), pipeline=_pipeline())
    sign = [i for i in report.text.items if "Продукт" in i.text and not i.low_confidence]
    caption = [i for i in report.text.items if i.script == "Hangul" and not i.low_confidence]
    assert sign and sign[0].kind == "scene" and "ru" in sign[0].languages, [(i.text, i.kind)
                                                                           for i in report.text.items]
    assert caption and caption[0].kind == "caption", [(i.text, i.kind, i.kind_basis) for i in caption]
    assert "unchanging" not in caption[0].kind_basis, caption[0].kind_basis
    result = check_on_screen_language(Claim(id="c", statement="s", languages=["ko"]), report)
    assert result.result == "unknown", result.detail
    assert "Latin" not in result.detail and "ru, be or kk: 1 scene" in result.detail, result.detail


@needs_ocr
def test_outlined_overlays_are_read_or_not_shown_as_sure() -> None:
    """D5: outlined 9:16 overlays: yellow "Мы уходим из Бахмута" gave nothing read confidently and its JSON
    reading "ІМьг уходимтизі" was named Ukrainian; white "Росіяни обстрілюють Харків" read "ббстрілююдь" at 0.92.
    A reading shown at 0.9 or more must be right (CER <= 0.1); one whose outlined letters read otherwise as
    surely is shown less sure."""
    truths = {"outlined_ru_yellow.jpg": "Мы уходим из Бахмута", "outlined_uk_white.jpg": "Росіяни обстрілюють Харків"}
    for name, truth in truths.items():
        report = verify(DATA / name, pipeline=_pipeline())
        near = [i for i in report.text.items if similarity(_norm(i.text), _norm(truth)) >= 0.5]
        assert near, (name, [(i.text, i.confidence) for i in report.text.items])
        for item in near:
            cer = levenshtein(_norm(item.text), _norm(truth)) / len(_norm(truth))
            assert item.confidence < 0.9 or cer <= 0.1, (name, item.text, item.confidence)
        if name == "outlined_ru_yellow.jpg":  # its misread "ІМьг уходимтизі" was named Ukrainian
            assert all(i.language != "uk" for i in near), [(i.text, i.language, i.language_basis) for i in near]
        else:  # "ббстрілююдь" at 0.92, its outlined letters read "обстр люють Харк в" at 0.92: shown less sure
            assert all(i.confidence < 0.85 for i in near if "ббстр" in i.text), [(i.text, i.confidence) for i in near]


@needs_ocr
def test_a_handheld_sign_is_one_item_not_four() -> None:
    """D8: a shaking handheld sign gave four items ("М Военная комендатура", "Военная комендатура", "Военная я.",
    "комендатура"): readings of part of the line at its place and time belong to the surer whole one."""
    report = verify(DATA / "shaky_ru_sign_ko_cap.mp4", pipeline=_pipeline())
    shown = [i for i in report.text.items if i.script == "Cyrillic" and not i.low_confidence]
    assert [i.text for i in shown] == ["Военная комендатура"], [(i.text, i.confidence) for i in shown]
    assert "read in part" in shown[0].kind_basis, shown[0].kind_basis
    assert any(i.script == "Hangul" and not i.low_confidence for i in report.text.items)  # the caption stays


@needs_ocr
def test_a_long_sign_across_panorama_tiles_is_read_whole(tmp_path: Path) -> None:
    """D6: a 110-px sign on a 6000x800 panorama, longer than a tile, was read as "Военная комендатур" and
    "города Курска" (the letter at the tile's edge lost), so `search "комендатура города"` found nothing."""
    pano = Image.new("RGB", (6000, 800))
    for n, name in enumerate(("coffee", "astronaut", "rocket", "chelsea")):
        pano.paste(_photo(name, (1500, 800)), (n * 1500, 0))
    _boxed(pano, "Военная комендатура города Курска", "ru", 110, at=(700, 150), **PANEL)
    pano.save(tmp_path / "pano.jpg", quality=90)
    report = verify(tmp_path / "pano.jpg", pipeline=_pipeline())
    write_report(report, tmp_path / "reports")
    for query in ("Военная комендатура", "комендатура города", "города Курска"):
        hits = search(query, [tmp_path / "reports"]).hits
        assert hits, (query, [(i.text, i.confidence) for i in report.text.items])
