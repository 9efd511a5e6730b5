"""`search TEXT --reports DIR` reads every report folder in DIR, whatever its name (issue 18 round 8, N3): a
copy of a real report put in ``DIR/r3`` was never searched (its hit missed) and an edited copy in ``DIR/r1`` was
never listed as refused, because only ``<stem>-<sha12>`` entries were read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_text import needs_ocr

from provenance.pipeline import Pipeline, verify
from provenance.report.writer import write_report
from provenance.search import search

from conftest import cli_in_process

DATA = Path(__file__).parent / "data" / "text18"


@needs_ocr
def test_report_folders_of_any_name_are_searched_or_refused(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    pipeline = Pipeline.from_dict({"audio": {"enabled": False}, "visual": {"enabled": False},
                                   "metadata": {"enabled": False}, "text": {}}, name="text-test")
    report = verify(DATA / "bg_sign2.mp4", pipeline=pipeline)
    run = write_report(report, tmp_path / "reports").resolve()
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
