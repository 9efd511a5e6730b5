"""`search TEXT --reports DIR` reads every report folder in DIR, whatever its name (issue 18 round 8, N3): a
copy of a real report put in ``DIR/r3`` was never searched (its hit missed) and an edited copy in ``DIR/r1`` was
never listed as refused, because only ``<stem>-<sha12>`` entries were read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_text import needs_ocr

from provenance.pipeline import Pipeline, verify
from provenance.report.integrity import load_key
from provenance.report.writer import write_report
from provenance.search import search

from conftest import cli_in_process

DATA = Path(__file__).parent / "data" / "text18"


def _sign_run(tmp_path: Path) -> Path:
    """The report folder of one text-only run over the Bulgarian sign clip (its on-screen text is searched)."""
    pipeline = Pipeline.from_dict({"audio": {"enabled": False}, "visual": {"enabled": False},
                                   "metadata": {"enabled": False}, "text": {}}, name="text-test")
    return write_report(verify(DATA / "bg_sign2.mp4", pipeline=pipeline), tmp_path / "reports").resolve()


@needs_ocr
def test_report_folders_of_any_name_are_searched_or_refused(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    run = _sign_run(tmp_path)
    desk = tmp_path / "desk"
    shutil.copytree(run, desk / "r3")
    shutil.copytree(run, desk / "r1")
    edited = desk / "r1" / "report.json"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Българска", "Руска"), encoding="utf-8")
    (desk / "notes").mkdir()  # a folder holding no report is not one, and not refused

    found = search("Българска", [desk])
    assert [Path(h.report).name for h in found.hits] == ["r3"], found
    assert found.searched == 1 and len(found.refused) == 1 and "r1" in found.refused[0], found
    assert search("Руска", [desk]).hits == []  # the edit is never searched

    code, out, _ = cli_in_process(capsys, "search", "Руска", "--reports", desk)
    assert code == 1 and "refused (failed verification)" in out and "r1" in out, out
    code, out, _ = cli_in_process(capsys, "search", "Българска", "--reports", desk / "notes")
    assert code == 1 and f"no report found in {desk / 'notes'}" in out, out


def _redigested(folder: Path, old: str, new: str) -> None:
    """``folder``'s report.json with ``old`` replaced by ``new`` and its digest recomputed: what anyone can forge."""
    import json

    from provenance.report.integrity import digest_of, dumps

    path = folder / "report.json"
    data = json.loads(path.read_text(encoding="utf-8").replace(old, new))
    data["integrity"]["digest"] = digest_of(data)
    path.write_text(dumps(data), encoding="utf-8")


@needs_ocr
def test_unsigned_hits_copies_and_a_split_yery(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18 round 9: a forged (re-digested, unsigned) report was a plain "verified" hit (M1); byte-identical
    copies of one run in two folders were "2 runs" (L2); "выход" missed a sign stored "ВЬІХОД" (L1)."""
    run = _sign_run(tmp_path)
    desk = tmp_path / "desk"
    shutil.copytree(run, desk / "Отчёт 1")
    shutil.copytree(run, desk / "r3")
    found = search("Българска", [desk])
    assert len(found.hits) == 1 and found.hits[0].runs == 1 and found.hits[0].folders == 2, found
    assert found.hits[0].unsigned and found.unsigned == 2, found
    code, out, _ = cli_in_process(capsys, "search", "Българска", "--reports", desk)
    assert code == 0 and "found in 2 folders" in out and "2 runs" not in out, out
    assert "2 of them unsigned (origin unknown: an edit with its digest recomputed would pass)" in out, out

    forged = tmp_path / "forged"
    shutil.copytree(run, forged / "f")
    _redigested(forged / "f", "Българска", "ВЬІХОД Българска")
    code, out, _ = cli_in_process(capsys, "search", "выход", "--reports", forged)
    assert code == 0 and "ВЬІХОД" in out and "(unsigned)" in out and "1 of them unsigned" in out, out


@needs_ocr
def test_a_hit_signed_by_another_key_or_later_is_marked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18 recheck N1: a report signed with a key not this workspace's (a forgery signed with a throwaway
    key, or one the desk signed later with `report sign`) was a plain hit, looking better vouched for than an
    honest unsigned one. Its hit and the total line say how it is signed."""
    run = _sign_run(tmp_path)
    desk = tmp_path / "desk"
    shutil.copytree(run, desk / "r")
    forger, ours = tmp_path / "forger", tmp_path / "ours"  # two workspaces, each with its signing key
    for ws in (forger, ours):
        load_key(ws, create=True)
    code, out, err = cli_in_process(capsys, "report", "sign", desk / "r", "--workspace", forger)
    assert code == 0, out + err
    found = search("Българска", [desk], ours)
    assert len(found.hits) == 1 and not found.hits[0].unsigned and found.other_signer == 1, found
    assert found.hits[0].signed == "signed later (`report sign`)", found
    code, out, _ = cli_in_process(capsys, "search", "Българска", "--reports", desk, "--workspace", ours)
    assert code == 0 and "(signed later (`report sign`))" in out and "1 signed but not by this workspace" in out, out
