"""Issue 18 round 7's defects, on the tester's own media (tests/data/text18, made from scikit-image photographs
with PyAV x264 and a seed-1 handheld shake): a Ukrainian lower third burned into a shaken still was scene text
that contradicted an ru claim, split into three items of three roles (D1); a sign carried 73 px by the shake was
reported as a caption that "stayed in place while the picture changed" (D2)."""

from __future__ import annotations

from pathlib import Path

from test_text import needs_ocr

from provenance.claims import Claim, check_on_screen_language
from provenance.pipeline import Pipeline, verify

DATA = Path(__file__).parent / "data" / "text18"


def _pipeline() -> Pipeline:
    return Pipeline.from_dict({"audio": {"enabled": False}, "visual": {"enabled": False},
                               "metadata": {"enabled": False}, "text": {}}, name="text-test")


@needs_ocr
def test_a_lower_third_in_a_shaken_still_decides_no_claim() -> None:
    """D1: the red band "Росіяни їдуть через наше село" is part of the photo, filmed with a hand shake: it moves
    exactly with the picture, as a sign would, so nothing tells it from a burned-in caption. Every item of the line
    is uncertain and neither an ru nor a uk claim is decided by it."""
    report = verify(DATA / "shk_tv_uk.mp4", pipeline=_pipeline())
    band = [i for i in report.text.items if "наше село" in i.text]
    assert band, [(i.text, i.kind) for i in report.text.items]
    assert {i.kind for i in band} == {"uncertain"}, [(i.text, i.kind, i.kind_basis) for i in band]
    for lang in ("ru", "uk"):
        result = check_on_screen_language(Claim(id="c", statement="s", languages=[lang]), report)
        assert result.result == "unknown", (lang, result.result, result.detail)


@needs_ocr
def test_a_sign_carried_by_a_hand_shake_is_not_a_caption() -> None:
    """D2: the sign "Военная комендатура" on the astronaut photo moved 73 px with the picture between 0 s and
    2 s; the busy photo changed the thumbnail, but a box that moved with the picture is never a caption, and no
    "Caption" notice is given."""
    report = verify(DATA / "shk_sign_ru_astro.mp4", pipeline=_pipeline())
    sign = [i for i in report.text.items if "комендатур" in i.text]
    assert sign, [(i.text, i.kind) for i in report.text.items]
    assert all(i.kind != "caption" for i in sign), [(i.kind, i.kind_basis) for i in sign]
    captions = [f.message for f in report.findings if f.code == "on_screen_caption"]
    assert not [m for m in captions if "комендатур" in m], captions
