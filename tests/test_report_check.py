"""`report sign` and `report check` in the fast tier: a report of a sample photo, built here and written, checked
through the CLI entry point in-process (tests/test_report_integrity.py runs the same on verified clips, slowly).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from provenance.cli import main
from provenance.media import probe
from provenance.report.integrity import KEY_FILE
from provenance.report.model import Report
from provenance.report.writer import write_report

from conftest import SAMPLES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A written report of a copy of a sample photo, with the photo beside it as a report travels."""
    photo = shutil.copy(SAMPLES / "known" / "photo_coins.jpg", tmp_path / "photo.jpg")
    out = write_report(Report(media=probe(photo).section()), tmp_path / "reports")
    shutil.copy(photo, out / "photo.jpg")
    return out


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().out


def test_written_report_passes_and_signing_is_checked(folder: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    code, out = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 2 and "SKIP         signature" in out and "CANNOT CHECK origin    digest ok, unsigned" in out
    assert "\nresult: DIGEST OK, UNSIGNED: origin unknown" in out and "result: PASS" not in out
    assert run(capsys, "report", "sign", folder, "--workspace", ws)[0] == 2  # no workspace there: a typo
    assert run(capsys, "report", "key", "--workspace", ws)[0] == 0 and (ws / KEY_FILE).is_file()
    code, out = run(capsys, "report", "sign", folder, "--workspace", ws)
    assert code == 0
    code, out = run(capsys, "report", "check", folder, "--workspace", ws, "--require-signature")
    assert "PASS         signature valid Ed25519 signature by this workspace's key" in out
    # a later signature is not one made as written: --require-signature fails it, as `claim attach` refuses it
    assert code == 1 and "FAIL         origin    the signature was added later" in out
    code, out = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 2 and "CANNOT CHECK origin    the signature was added later" in out  # not "provenance wrote it"
    code, out = run(capsys, "report", "check", folder, "--workspace", tmp_path / "other")
    assert code == 2 and "CANNOT CHECK signature" in out  # a signer this desk does not know
    assert "PASS         origin" not in out and "by a key not known here" in out  # so its origin is unknown
    code, out = run(capsys, "report", "check", folder, "--workspace", tmp_path / "other", "--require-signature")
    assert code == 1 and "FAIL         signature" in out  # as claim attach --require-signature refuses it


def test_edited_report_and_swapped_photo_fail(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws, report = tmp_path / "ws", folder / "report.json"
    text = report.read_text()
    data = json.loads(text)
    report.write_text(text.replace(f'"size_bytes": {data["media"]["size_bytes"]}', '"size_bytes": 1'))
    code, out = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 1 and "FAIL         digest    content changed since it was written" in out
    report.write_text(text)
    shutil.copy(SAMPLES / "known" / "photo_astronaut.jpg", folder / "photo.jpg")
    code, out = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 1 and "not the file this report describes" in out
