"""Issue 15, performed as an attacker would: each attack on a real written report, and what refuses or detects it.

Reports of a sample photo are built and written for real (no verify run: the fast tier), the CLI is called through
its entry point, keys are real Ed25519 keys in a real workspace.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from provenance.cli import main
from provenance.media import probe
from provenance.report.integrity import (
    KEY_FILE,
    IntegrityError,
    check_file,
    digest_of,
    dumps,
    load_key,
    read_verified,
    sign_file,
)
from provenance.report.model import Report
from provenance.report.writer import write_report

from conftest import SAMPLES


def _photo(tmp_path: Path, name: str = "photo.jpg") -> Path:
    return Path(shutil.copy(SAMPLES / "known" / "photo_coins.jpg", tmp_path / name))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with its signing key made beforehand (`report key`)."""
    root = tmp_path / "ws"
    load_key(root, create=True)
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def forge(report: Path, *, recompute: bool = True) -> dict:
    """The attack: change a value, recompute the (public) digest, write the file in the writer's layout."""
    data = json.loads(report.read_text())
    data["metadata"]["capture_time"] = "2019-03-14T10:00:00+00:00"
    if recompute and isinstance(data.get("integrity"), dict):
        data["integrity"]["digest"] = digest_of(data)
    report.write_text(dumps(data))
    return data


# -- (1) signing means "this tool produced this" ------------------------------------------------------------
def test_signed_as_written_passes_and_a_forgery_of_it_is_refused(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out",
                          signing_key=load_key(ws, create=False))
    integrity = json.loads((folder / "report.json").read_text())["integrity"]
    assert integrity["signed_when"] == "written" and integrity["signature"]
    code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws, "--media", tmp_path / "photo.jpg")
    assert code == 0 and "PASS         origin    signed by provenance as it wrote the report" in out
    forge(folder / "report.json")  # before: `report sign` re-signed this with exit 0 and check said PASS
    code, out, _ = run(capsys, "report", "sign", folder, "--workspace", ws)
    assert code == 1 and "refusing to sign: signature: the signature does not verify" in out
    code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 1 and "FAIL         signature" in out


def test_forged_unsigned_report_signed_later_never_passes_as_produced_by_the_tool(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    forge(folder / "report.json")
    code, out, _ = run(capsys, "report", "sign", folder, "--workspace", ws)
    assert code == 0 and "later signature" in out  # the digest is consistent: signing cannot tell, but says so
    assert json.loads((folder / "report.json").read_text())["integrity"]["signed_when"] == "later"
    code, public, _ = run(capsys, "report", "key", "--workspace", ws)
    for extra in ([], ["--public-key", public.strip(), "--workspace", tmp_path / "other"]):
        code, out, _ = run(capsys, "report", "check", folder, *(extra or ["--workspace", ws]))
        assert code == 2 and "CANNOT CHECK origin    the signature was added later" in out, out
        assert "result: PASS" not in out


def test_deleting_the_integrity_field_is_a_fail_and_cannot_be_signed(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    data = json.loads((folder / "report.json").read_text())
    del data["integrity"]
    (folder / "report.json").write_text(dumps(data))
    code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 1 and "FAIL         digest    no integrity record, but provenance" in out
    code, out, _ = run(capsys, "report", "sign", folder, "--workspace", ws)
    assert code == 1 and "refusing to sign" in out
    assert "integrity" not in json.loads((folder / "report.json").read_text())  # nothing added
    # a report of a version before 0.1.0 (which wrote no digest) still only "cannot" be checked
    data["tool"]["version"] = "0.0.9"
    (folder / "report.json").write_text(dumps(data))
    assert check_file(folder, workspace_root=ws).exit_code == 2


def test_malformed_structure_with_a_recomputed_digest_is_refused(tmp_path: Path, ws: Path) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    data = json.loads((folder / "report.json").read_text())
    data["visual"] = {"status": "ok", "matches": "not a list", "frames": 7}
    data["integrity"]["digest"] = digest_of(data)
    (folder / "report.json").write_text(dumps(data))
    result = sign_file(folder, ws)
    assert not result.ok and "structure" in result.message
    assert check_file(folder, workspace_root=ws).exit_code == 1


def test_200000_deep_nesting_is_a_fail_not_a_crash(tmp_path: Path, ws: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    depth = 200_000
    report.write_text('{"schema": "provenance.report/1", "media": ' + "[" * depth + "]" * depth + "}")
    code, out, err = run(capsys, "report", "check", report, "--workspace", ws)
    assert code == 1 and "FAIL" in out and "nested too deeply" in out and "internal error" not in err
    code, out, err = run(capsys, "report", "sign", report, "--workspace", ws)
    assert code == 1 and "refusing to sign" in out and "internal error" not in err
    with pytest.raises(IntegrityError, match="nested too deeply"):
        read_verified(report)


def test_sign_at_write_needs_a_key_made_beforehand(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    photo = _photo(tmp_path)
    code, _, err = run(capsys, "verify", photo, "--pipeline", "quick", "--sign", "--workspace", tmp_path / "empty",
                       "--out", tmp_path / "out")
    assert code == 2 and "no signing key" in err and not (tmp_path / "out").exists()
    assert not (tmp_path / "empty" / KEY_FILE).exists()
    ws = tmp_path / "ws"
    load_key(ws, create=True)
    monkeypatch.setenv("PROVENANCE_SIGN_REPORTS", "1")  # the setting, without the flag
    code, _, err = run(capsys, "verify", photo, "--pipeline", "quick", "--workspace", ws, "--out", tmp_path / "out")
    assert code == 0, err
    report = next((tmp_path / "out").glob("*/report.json"))
    assert json.loads(report.read_text())["integrity"]["signed_when"] == "written"
    assert check_file(report, workspace_root=ws).exit_code == 0


# -- (2) every reader verifies a report before use ----------------------------------------------------------
def test_claim_attach_refuses_an_edited_report_with_its_path_and_reason(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    code, claim_id, _ = run(capsys, "claim", "add", "--statement", "coins on a table", "--date", "2019",
                            "--workspace", ws)
    forge(folder / "report.json", recompute=False)  # before: attached, and its capture time "supported" the claim
    code, out, err = run(capsys, "claim", "attach", claim_id.strip(), folder, "--workspace", ws)
    assert code == 2 and f"refusing {folder / 'report.json'}: digest: content changed" in err
    code, out, _ = run(capsys, "claim", "show", claim_id.strip(), "--workspace", ws)
    assert "no reports attached" in out


def _batch(capsys: pytest.CaptureFixture[str], media: Path, out: Path, ws: Path) -> tuple[int, str, dict]:
    code, text, err = run(capsys, "batch", media, "--out", out, "--workers", "0", "--pipeline", "quick", "--quiet",
                          "--workspace", ws)
    assert "internal error" not in err, err
    return code, text, json.loads((out / "summary.json").read_text())


def test_batch_resume_refuses_edited_and_malformed_reports_and_goes_on(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    _photo(media, "coins.jpg")
    shutil.copy(SAMPLES / "known" / "photo_astronaut.jpg", media / "astronaut.jpg")
    out = tmp_path / "reports"
    code, _, summary = _batch(capsys, media, out, ws)
    assert code == 0 and summary["counts"]["verified"] == 2
    coins = next(out.glob("coins-*/report.json"))
    astronaut = next(out.glob("astronaut-*/report.json"))
    forge(coins)  # digest recomputed: only the layout and structure are right
    coins.write_text(coins.read_text().replace('"metadata"', '"metadata" ', 1))  # and a byte the digest ignores
    data = json.loads(astronaut.read_text())
    data["findings"] = [1, 2, 3]  # malformed, sealed again: before, every later batch died of AttributeError
    data["integrity"]["digest"] = digest_of(data)
    astronaut.write_text(dumps(data))
    code, text, summary = _batch(capsys, media, out, ws)
    assert code == 0 and summary["counts"] == {**summary["counts"], "verified": 2, "resumed": 0}
    rows = {Path(r["path"]).name: r for r in summary["files"]}
    assert rows["coins.jpg"]["capture_time"] != "2019-03-14T10:00:00+00:00"
    assert str(coins) in rows["coins.jpg"]["refused"] and "file" in rows["coins.jpg"]["refused"]
    assert str(astronaut) in rows["astronaut.jpg"]["refused"] and "structure" in rows["astronaut.jpg"]["refused"]
    assert f"earlier report refused, verified again: {coins}" in text
    assert "refused" in (out / "summary.csv").read_text().splitlines()[0]


def test_a_signing_batch_reuses_only_its_own_signed_reports(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    _photo(media, "coins.jpg")
    out = tmp_path / "reports"
    code, _, _ = _batch(capsys, media, out, ws)  # unsigned reports
    forge(next(out.glob("coins-*/report.json")))  # digest recomputed, layout kept: passes an unsigned check
    code, text, err = run(capsys, "batch", media, "--out", out, "--workers", "0", "--pipeline", "quick", "--quiet",
                          "--workspace", ws, "--sign")
    summary = json.loads((out / "summary.json").read_text())
    assert code == 0 and summary["counts"]["verified"] == 1 and "signature" in summary["files"][0]["refused"]
    assert summary["files"][0]["capture_time"] is None
    code, text, err = run(capsys, "batch", media, "--out", out, "--workers", "0", "--pipeline", "quick", "--quiet",
                          "--workspace", ws, "--sign")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["resumed"] == 1 and summary["files"][0]["refused"] is None
