"""Issue 18 round 8's N1/N2: the Russian sign "ВЫХОД" in a camera pan was read "ІВЬХОД" (Ы read as Ь and І, the
І moved to the front) at 0.84-0.88 in 8 of the tester's 21 pans, named "Ukrainian, not Russian" and contradicted
a ru claim; beside a right "ВЫХОД" reading it was a second confident item of another language."""

from __future__ import annotations

from pathlib import Path

from test_text import needs_ocr

from provenance.claims import Claim, check_on_screen_language
from provenance.pipeline import Pipeline, verify
from provenance.text.language import cyrillic_candidates, join_yery, recognised_letters, settled_by_letters

DATA = Path(__file__).parent / "data" / "text18"


def _pipeline() -> Pipeline:
    return Pipeline.from_dict({"audio": {"enabled": False}, "visual": {"enabled": False},
                               "metadata": {"enabled": False}, "text": {}}, name="text-test")


def test_an_i_beside_a_soft_sign_is_a_split_yery_not_ukrainian() -> None:
    """Ы read in two, in either order or with the І at the word's front, keeps Russian among the candidates; a
    Ukrainian word whose і and ь are apart (сіль, ЛЬВІВ, СІЛЬСЬКА) stays Ukrainian."""
    for misread in ("ІВЬХОД", "ВЬІХОД", "ВІЬХОД", "ВЬIХОД", "мьі"):
        assert "ru" in cyrillic_candidates(recognised_letters(misread)), misread
        assert settled_by_letters(misread)[0] != "uk", misread
    for word in ("сіль", "ЛЬВІВ", "СІЛЬСЬКА", "Ільїн"):
        assert join_yery(word) == word
        assert "ru" not in cyrillic_candidates(recognised_letters(word)), word


@needs_ocr
def test_a_russian_exit_sign_in_a_pan_does_not_contradict_a_ru_claim() -> None:
    """N1/N2 on the tester's own clips: no item is named Ukrainian-not-Russian, none read with ы split in two is
    shown at 0.8 or more (so no claim takes it), and the ru claim is not contradicted."""
    for name in ("ru_vyhod_pan.mp4", "ru_vyhod_pan2.mp4"):
        report = verify(DATA / name, pipeline=_pipeline())
        items = [(i.text, i.confidence, i.language, i.language_basis) for i in report.text.items]
        assert not any("not Russian" in (i.language_basis or "") for i in report.text.items), items
        assert not any(i.language == "uk" for i in report.text.items), items
        split = [i for i in report.text.items if join_yery(i.text) != i.text]
        assert all(i.confidence < 0.8 for i in split), items
        result = check_on_screen_language(Claim(id="c", statement="s", languages=["ru"]), report)
        assert result.result != "contradicts", (result.detail, items)
        assert "uk, be or kk" not in result.detail, (result.detail, items)
