"""`index add` of a partly decodable clip says what decoded (issue 14, tester D6).

Before: a faststart copy of archive_footage.mp4 cut at half its bytes was "added: half (video, 22 frames)", exit 0,
with no word that only the first half decoded; a later match then read "12.0 s of 21.0 s match", as if the rest
of the clip were not from that reference.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES, cli

sys.path.insert(0, str(Path(__file__).resolve().parent / "hostile"))
import make_corpus

ARCHIVE = SAMPLES / "known" / "archive_footage.mp4"  # 21.0 s


@pytest.mark.parametrize(("damage", "missing"), [("truncated", r"^1\d\.\d\u201321\.0 s$"),  # the tail, to the end
                                                   ("middle", r"^1\d\.\d\u20131\d\.\d s")])  # the damaged middle
def test_index_add_of_a_partly_decodable_clip_says_what_is_missing(tmp_path: Path, damage: str, missing: str) -> None:
    clip = tmp_path / f"{damage}.mp4"
    clip.write_bytes(make_corpus.damaged_real_clip(damage, source=ARCHIVE))
    assert cli("init", tmp_path / "ws")[0] == 0
    code, out, err = cli("index", "add", clip, "--id", damage, "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert f"added: {damage} (video," in out
    said = re.search(r"provenance: warning: \S+ only (\d+\.\d) s of (\d+\.\d) s decoded: (.*?) missing", err)
    assert said, err
    decoded, declared = float(said.group(1)), float(said.group(2))
    assert declared == pytest.approx(21.0, abs=0.2) and 0 < decoded < declared - (1 if damage == "truncated" else 0)
    assert re.search(missing, said.group(3)) and "matches cannot cover what is missing" in err


def test_index_add_of_an_intact_clip_says_nothing_of_coverage(tmp_path: Path) -> None:
    assert cli("init", tmp_path / "ws")[0] == 0
    code, _out, err = cli("index", "add", ARCHIVE, "--id", "whole", "--workspace", tmp_path / "ws")
    assert code == 0 and "decoded" not in err, err


def test_a_match_against_a_partly_indexed_reference_names_the_missing_part(tmp_path: Path) -> None:
    """The whole clip verified against its own half-decodable copy: the match headline says the reference decoded
    only in part, so "11.9 s of 21.0 s match" is not read as the rest being from elsewhere."""
    half = tmp_path / "half.mp4"
    half.write_bytes(make_corpus.damaged_real_clip("truncated", source=ARCHIVE))
    assert cli("init", tmp_path / "ws")[0] == 0
    assert cli("index", "add", half, "--id", "half", "--workspace", tmp_path / "ws")[0] == 0
    code, out, err = cli("verify", ARCHIVE, "--pipeline", "quick", "--json", "--workspace", tmp_path / "ws",
                         "--out", tmp_path / "r")
    assert code in (0, 1), err
    match = next(m for m in json.loads(out)["visual"]["matches"] if m["reference_id"] == "half")
    assert match["reference_partial"].startswith("only 11.9 s of 21.0 s decoded: 11.9\u201321.0 s missing")
    page = next((tmp_path / "r").glob("*/report.md")).read_text()
    assert "The reference itself decoded only in part when indexed (only 11.9 s of 21.0 s decoded" in page
