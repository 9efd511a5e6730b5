"""The on-screen text benchmark's held-out-5 split is built as its truth says (construction only: the text stage is
never run on it here, so the split stays unseen). Its sentences, pictures, source files and faces are no other
split's, it stays out of dev and "all", and each new kind really is what it says: the edge cut reaches the bottom
row, the side cut both side columns (and its truth is what lies inside), low contrast is under WCAG's 3:1, the
scene sign is in perspective."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import bench_text  # the benchmark's own selection, not a copy of it
import text_suite as suite

needs_material = pytest.mark.skipif(not suite.held_out_5_present(),
                                    reason="extremetuxracer-data, fonts-liberation2, fonts-paratype or fonts-nanum "
                                           "missing")


def _sources(case: suite.Case) -> set[str]:
    """The files a case is drawn from (pictures and faces), as far as the suite names them."""
    tables = [(suite.HELD_OUT_3_STILLS, lambda v: v[0]), (suite.HELD_OUT_3_VIDEO, lambda v: v),
              (suite.HELD_OUT_4_STILLS, lambda v: v[0]), (suite.HELD_OUT_4_VIDEO, lambda v: v),
              (suite.HELD_OUT_5_PICTURES, lambda v: v[0])]
    out = {str(get(t[case.picture])) for t, get in tables if case.picture in t and get(t[case.picture])}
    faces = {"held-out-3": suite.HELD_OUT_3_FACES, "held-out-4": suite.HELD_OUT_4_FACES,
             "held-out-5": suite.HELD_OUT_5_FACES}.get(case.split, {})
    out.add(str(faces[case.face]) if case.face else str(suite.HANGUL_FONT if case.language == "ko"
                                                        else suite.LATIN_CYRILLIC_FONT))
    return out


def test_held_out_5_is_new_and_kept_apart() -> None:
    """No held-out-5 name, sentence, picture, picture file or face file is another split's; the languages and kinds
    asked for are there; "all" leaves it out."""
    fifth = suite.held_out_5_cases()
    others = [c for c in suite.cases() if c.split != "held-out-5"]
    assert len(fifth) >= 18 and {c.split for c in fifth} == {"held-out-5"}
    assert not {c.name for c in fifth} & {c.name for c in others}
    assert not {c.text for c in fifth} & {c.text for c in others}
    assert not {line for c in fifth for line in c.text.split("\n")} & {c.text for c in others}
    assert not {c.picture for c in fifth} & {c.picture for c in others}
    assert not set().union(*map(_sources, fifth)) & set().union(*map(_sources, others))
    assert {c.language for c in fifth} == {"ru", "uk", "ko", "en"}
    assert {"edgecut", "sidecut", "twoline", "busy", "lowcaption", "lowsign", "scenesign"} == {c.kind for c in fifth}
    assert "held-out-5" in bench_text.ONE_LOOK


def test_closest_scores_two_lines_either_way() -> None:
    """A two-line truth read as two items, or as one joined item, scores 0; one line missing scores about half."""
    class Item:
        def __init__(self, text: str) -> None:
            self.text = text

    truth = "Road closed\nTurn back now"
    assert bench_text.closest([Item("Road closed"), Item("Turn back now")], truth)[1] == 0
    assert bench_text.closest([Item("Road closed Turn back now")], truth)[1] == 0
    assert 0.4 < bench_text.closest([Item("Road closed")], truth)[1] < 0.6


def _case(kind: str, **kw: str) -> suite.Case:
    return next(c for c in suite.held_out_5_cases() if c.kind == kind and all(getattr(c, k) == v
                                                                              for k, v in kw.items()))


def _frame(case: suite.Case) -> np.ndarray:
    face = suite.HELD_OUT_5_FACES[case.face]
    return np.asarray(suite._h5_frame(case, face)).astype(int)


@needs_material
def test_cuts_reach_the_edges_and_the_side_cut_truth_is_inside() -> None:
    """Edge cut: white caption letters on the frame's last row. Side cut: the caption is drawn (the frame differs
    from the bare picture) within 24 px of both sides, in its rows; the truth is a shorter run of the row's text."""
    white = lambda a: (a.min(axis=-1) > 235)  # noqa: E731
    edge = _frame(_case("edgecut", edit="none"))
    assert white(edge[-1]).sum() > 40
    side = _case("sidecut", edit="none")
    drawn = np.abs(_frame(side) - np.asarray(suite._h5_picture(side.picture)).astype(int)).max(axis=-1) > 60
    assert drawn[560:700, :24].sum() > 20 and drawn[560:700, -24:].sum() > 20 and not drawn[:500].any()
    truth = suite.held_out_5_truth(side)
    assert truth in side.text and len(side.text) * 0.6 < len(truth) < len(side.text) - 6


@needs_material
def test_low_contrast_is_under_wcag_and_the_sign_is_in_perspective() -> None:
    """The low-contrast caption's letters against the snow behind them, and the sign's letters against their panel,
    are under WCAG 2.1's 3:1 for large text; the scene sign's panel is taller at its left edge than at its right."""
    text_c, panel = suite.LOW_CONTRAST["sign"]
    assert suite.contrast_ratio(text_c, panel) < suite.WCAG_LARGE_TEXT
    low = _case("lowcaption", edit="none")
    background = np.median(np.asarray(suite._h5_picture(low.picture))[600:700].reshape(-1, 3), axis=0)
    assert suite.contrast_ratio(suite.LOW_CONTRAST["caption"][0], tuple(background)) < suite.WCAG_LARGE_TEXT
    scene = _case("scenesign", edit="none")
    f = _frame(scene)
    plain = np.asarray(suite._h5_picture(scene.picture)).astype(int)
    changed = np.abs(f - plain).max(axis=-1) > 30
    cols = np.nonzero(changed.any(axis=0))[0]
    left, right = changed[:, cols[0] + 3].sum(), changed[:, cols[-1] - 3].sum()
    assert left > 1.15 * right
