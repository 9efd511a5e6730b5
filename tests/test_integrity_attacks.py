"""Issue 15, performed as an attacker would: each attack on a real written report, and what refuses or detects it.

Reports of a sample photo are built and written for real (no verify run: the fast tier), the CLI is called through
its entry point, keys are real Ed25519 keys in a real workspace.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import itertools
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from provenance.claims import Attachment, Claim, to_csv
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
from provenance.report.model import ClaimAssessment, Report
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


def test_report_sign_never_replaces_a_signature_made_as_written(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `report sign` on an untouched report signed as written replaced that signature with a later one
    (check then said it could not vouch for the origin, and another desk's key could take its place)."""
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out",
                          signing_key=load_key(ws, create=False))
    before = (folder / "report.json").read_bytes()
    load_key(tmp_path / "other-desk", create=True)  # another desk, with its own key
    for other in (ws, tmp_path / "other-desk"):
        code, out, _ = run(capsys, "report", "sign", folder, "--workspace", other)
        assert code == 1 and "already signed" in out and "never replaced" in out
    assert (folder / "report.json").read_bytes() == before
    code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 0 and "signed by provenance as it wrote the report" in out


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


def test_a_forged_unsigned_report_is_never_a_plain_pass_nor_attached_silently(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a forged unsigned report with its digest recomputed said "result: PASS" (exit 0), and `claim attach`
    took it silently as evidence. The digest is public: only a signature made as written says who wrote it."""
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    forge(folder / "report.json")
    code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 2 and "result: PASS" not in out
    assert "CANNOT CHECK origin    digest ok, unsigned: origin unknown" in out
    assert out.splitlines()[-1].startswith("result: DIGEST OK, UNSIGNED: origin unknown")
    code, claim_id, _ = run(capsys, "claim", "add", "--statement", "coins on a table", "--date", "2019",
                            "--workspace", ws)
    claim_id = claim_id.strip()
    code, out, err = run(capsys, "claim", "attach", claim_id, folder, "--require-signature", "--workspace", ws)
    assert code == 2 and "unsigned: origin unknown" in err and "nothing was attached" in err
    assert "no reports attached" in run(capsys, "claim", "show", claim_id, "--workspace", ws)[1]
    code, out, err = run(capsys, "claim", "attach", claim_id, folder, "--workspace", ws)
    assert code == 0 and "(unsigned: origin unknown)" in out
    assert "warning:" in err and "unsigned: origin unknown" in err and "--require-signature" in err
    # a report signed as written by this workspace's key is said to be, and attaches without a warning
    signed = write_report(Report(media=probe(_photo(tmp_path, "other.jpg")).section()), tmp_path / "signed",
                          signing_key=load_key(ws, create=False))
    key_id = json.loads((signed / "report.json").read_text())["integrity"]["key_id"]
    code, out, err = run(capsys, "claim", "attach", claim_id, signed, "--require-signature", "--workspace", ws)
    assert code == 0 and f"(signed by this workspace as written, key {key_id})" in out and "warning" not in err
    code, out, _ = run(capsys, "report", "check", signed, "--workspace", ws, "--media", tmp_path / "other.jpg")
    assert code == 0 and out.splitlines()[-1] == f"result: PASS (signed by this workspace as written, key {key_id})"


def test_the_pages_say_whether_the_report_is_signed(tmp_path: Path, ws: Path) -> None:
    """Before: report.html said nothing of a signature made as written (the page is drawn before it is signed)."""
    media = probe(_photo(tmp_path)).section()
    unsigned = write_report(Report(media=media), tmp_path / "a")
    signed = write_report(Report(media=media), tmp_path / "b", signing_key=load_key(ws, create=False))
    key_id = json.loads((signed / "report.json").read_text())["integrity"]["key_id"]
    html = (signed / "report.html").read_text()
    assert f'id="report-signature">signed as written (key fingerprint <span class="mono">{key_id}</span>)' in html
    assert f"**Signature:** signed as written (key fingerprint `{key_id}`)" in (signed / "report.md").read_text()
    assert 'id="report-signature">unsigned' in (unsigned / "report.html").read_text()
    assert "**Signature:** unsigned" in (unsigned / "report.md").read_text()
    assert check_file(signed, workspace_root=ws, media=tmp_path / "photo.jpg").exit_code == 0


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
    assert run(capsys, "init", tmp_path / "empty")[0] == 0  # a workspace, with no key made for it
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
    # a batch that does not sign reuses it (nothing can tell the edit), but says it is unsigned: origin unknown
    code, text, _ = run(capsys, "batch", media, "--out", out, "--workers", "0", "--pipeline", "quick", "--workspace",
                        ws, "--quiet")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["resumed"] == 1 and summary["files"][0]["origin"] == "unsigned"
    assert "1 earlier report reused is unsigned (origin unknown" in text, text
    assert "report unsigned: origin unknown" in (out / "index.html").read_text()  # the page says it too
    code, _, _ = run(capsys, "batch", media, "--out", out, "--workers", "0", "--pipeline", "quick", "--quiet",
                     "--workspace", ws, "--sign")
    summary = json.loads((out / "summary.json").read_text())
    assert code == 0 and summary["counts"]["verified"] == 1 and "signature" in summary["files"][0]["refused"]
    assert summary["files"][0]["capture_time"] is None
    code, _text, _err = run(capsys, "batch", media, "--out", out, "--workers", "0", "--pipeline", "quick", "--quiet",
                          "--workspace", ws, "--sign")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["resumed"] == 1 and summary["files"][0]["refused"] is None


# -- (3) exports carry no attack; files follow the umask ----------------------------------------------------
FORMULAS = ["=HYPERLINK(\"x\")", "+1+1", "-2+3", "@SUM(1)"]


def _formula_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if cell.startswith(("=", "+", "-", "@"))]


def test_csv_exports_neutralise_formula_cells(tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    media = tmp_path / "media"
    media.mkdir()
    for n, name in enumerate(FORMULAS):  # two photos, two copies each: every file name is a formula
        shutil.copy(SAMPLES / "known" / ("photo_coins.jpg" if n % 2 else "photo_astronaut.jpg"), media / name)
    monkeypatch.chdir(media)  # paths are recorded as given: relative names start the cells
    # a claim id starting with "@" (one starting with "-" is refused: it would read as an option)
    run(capsys, "claim", "add", "--statement", "=cmd|' /C calc'!A0", "--id=@c1", "--workspace", ws)
    out = tmp_path / "reports"
    code, _, err = run(capsys, "batch", "--out", out, "--workers", "0", "--pipeline", "quick", "--quiet",
                       "--workspace", ws, "--claim=@c1", "--", *FORMULAS)
    assert code == 0, err
    summary = (out / "summary.csv").read_text()  # before: =HYPERLINK(...) reached the spreadsheet as a formula
    assert not _formula_cells(summary) and "'=HYPERLINK" in summary and "'-2+3" in summary
    code, exported, _ = run(capsys, "claim", "export", "--format", "csv", "--workspace", ws, "--", "@c1")
    assert code == 0 and not _formula_cells(exported) and "'@c1" in exported
    attachment = Attachment(claim_id="@c1", sha256="@x", media_path="=HYPERLINK(\"x\")", report_path="+r",
                            pipeline_digest="", assessment=[ClaimAssessment("-c", "unknown", "=1+1", {})])
    exported = to_csv(Claim(id="@c1", statement="s"), [attachment])
    assert not _formula_cells(exported) and csv.reader(io.StringIO(exported)).__next__()[0] == "claim_id"


def test_claimreview_json_ld_is_safe_inside_a_script_element(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    statement = "Troops </script><script>alert(1)</script> at <!--<script> a base \u2028& more"
    code, claim_id, _ = run(capsys, "claim", "add", "--statement", statement, "--place", "</SCRIPT><!--",
                            "--workspace", ws)
    run(capsys, "claim", "verdict", claim_id.strip(), "false", "--workspace", ws)  # a ClaimReview rates: a verdict
    code, text, _ = run(capsys, "claim", "export", claim_id.strip(), "--workspace", ws, "--author", "Desk & Co",
                        "--publisher-url", "https://desk.news/?a=1&b=2", "--url", "https://desk.news/c")
    assert code == 0 and not {"<", ">", "&", "\u2028"} & set(text)  # before: </script><script> passed through
    data = json.loads(text)  # any JSON reader gets the claim back exactly
    assert data["claimReviewed"] == statement and data["itemReviewed"]["contentLocation"]["name"] == "</SCRIPT><!--"
    page = f'<script type="application/ld+json">{text}</script>'
    assert page.lower().count("<script") == 1 and page.lower().count("</script") == 1


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_reports_summaries_and_exports_follow_the_umask_but_the_key_stays_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mask: int
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    _photo(media)
    saved = os.umask(mask)
    try:  # before: every file 0600 whatever the umask
        load_key(tmp_path / "ws", create=True)
        code, _, err = run(capsys, "batch", media, "--out", tmp_path / "out", "--workers", "0", "--pipeline",
                           "quick", "--quiet", "--workspace", tmp_path / "ws", "--sign")
        assert code == 0, err
        code, _, err = run(capsys, "claim", "add", "--statement", "s", "--id", "c1", "--status", "false",
                           "--workspace", tmp_path / "ws")
        code, _, err = run(capsys, "claim", "export", "c1", "--out", tmp_path / "c1.jsonld", "--workspace",
                           tmp_path / "ws", "--publisher", "Desk", "--publisher-url", "https://desk.news",
                           "--url", "https://desk.news/c1")
    finally:
        os.umask(saved)
    written = [*(tmp_path / "out").rglob("*.json"), *(tmp_path / "out").rglob("*.html"),
               *(tmp_path / "out").rglob("*.md"), *(tmp_path / "out").rglob("*.csv"), tmp_path / "c1.jsonld",
               tmp_path / "ws" / "provenance.db"]  # before: the database was 0644 whatever the umask
    assert len(written) >= 8
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path
    assert stat.S_IMODE((tmp_path / "ws" / KEY_FILE).stat().st_mode) == 0o600


# -- (4) reports are never overwritten; a folder is written whole -------------------------------------------
def test_verify_again_keeps_every_earlier_report_signed_ones_included(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo, out = _photo(tmp_path), tmp_path / "out"
    args = ("verify", photo, "--pipeline", "quick", "--workspace", ws, "--out", out)
    assert run(capsys, *args, "--sign")[0] == 0
    latest = next(out.glob("photo-*"))
    first = (latest / "report.json").read_bytes()
    assert json.loads(first)["integrity"]["signed_when"] == "written"
    assert run(capsys, *args)[0] == 0  # before: silently replaced the signed report
    runs = sorted((out / f"{latest.name}.runs").iterdir())
    assert len(runs) == 2 and (runs[0] / "report.json").read_bytes() == first
    assert latest.is_symlink() and latest.resolve() == runs[1].resolve()
    assert check_file(runs[0], workspace_root=ws).exit_code == 0
    assert json.loads((latest / "report.json").read_text())["integrity"]["signature"] is None


def test_a_report_folder_of_the_layout_before_is_kept_as_a_run(tmp_path: Path) -> None:
    report = Report(media=probe(_photo(tmp_path)).section())
    latest = write_report(report, tmp_path / "out")
    old = tmp_path / "old"
    shutil.copytree(latest.resolve(), old)
    shutil.rmtree(latest.with_name(latest.name + ".runs"))
    latest.unlink()
    shutil.copytree(old, latest)  # a plain folder, as versions before wrote it
    write_report(report, tmp_path / "out")
    runs = sorted(latest.with_name(latest.name + ".runs").iterdir())
    assert len(runs) == 2 and runs[0].name.endswith("-earlier")
    assert (runs[0] / "report.json").read_bytes() == (old / "report.json").read_bytes()


def _no_symlinks(monkeypatch: pytest.MonkeyPatch) -> None:
    """What FAT, exFAT and many network shares answer to symlink(2): the file system, not the writer, refuses."""
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "symlink", refuse)


def test_without_symbolic_links_a_pointer_file_names_the_latest_run_and_readers_follow_it(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: on a file system without symbolic links every report write failed (the latest-run link)."""
    _no_symlinks(monkeypatch)
    media = tmp_path / "media"
    media.mkdir()
    photo = _photo(media)
    out = tmp_path / "out"
    key = load_key(ws, create=False)
    first = write_report(Report(media=probe(photo).section()), out, signing_key=key)
    second = write_report(Report(media=probe(photo).section()), out, signing_key=key)
    pointer = next(p for p in out.iterdir() if p.is_file())  # out/photo-<sha12>, where the link would be
    runs = sorted(pointer.with_name(pointer.name + ".runs").iterdir())
    assert [first, second] == runs and not pointer.is_symlink()  # both runs kept, the writer returns the run
    assert pointer.read_text().splitlines()[1] == f"{pointer.name}.runs/{second.name}"
    code, stdout, _ = run(capsys, "report", "check", pointer, "--workspace", ws, "--media", photo)
    assert code == 0 and f"report {second / 'report.json'}" in stdout  # check follows the pointer
    code, claim_id, _ = run(capsys, "claim", "add", "--statement", "coins", "--workspace", ws)
    code, stdout, err = run(capsys, "claim", "attach", claim_id.strip(), pointer, "--workspace", ws)
    assert code == 0 and stdout.count("attached photo.jpg") == 1, err
    code, stdout, err = run(capsys, "claim", "attach", claim_id.strip(), out, "--workspace", ws)  # a folder of them
    assert code == 0 and stdout.count("attached photo.jpg") == 1, err
    code, stdout, err = run(capsys, "verify", photo, "--pipeline", "quick", "--workspace", ws, "--out", out)
    assert code == 0 and f"report written to {out / (pointer.name + '.runs')}" in stdout, err
    code, text, summary = _batch(capsys, media, tmp_path / "batch", ws)
    assert code == 0 and summary["files"][0]["action"] == "verified"
    code, text, summary = _batch(capsys, media, tmp_path / "batch", ws)  # resumes through the pointer
    assert code == 0 and summary["files"][0]["action"] == "resumed", text
    # a pointer can only name a run beside it: an edited one is not followed elsewhere
    pointer.write_text(f"provenance-report-link/1\n../../{pointer.name}.runs/{second.name}\n")
    code, stdout, err = run(capsys, "report", "check", pointer, "--workspace", ws)
    assert code == 2 and "is not a report" in err and stdout == ""
    monkeypatch.undo()  # the folder copied to a file system with symbolic links: the link replaces the pointer
    write_report(Report(media=probe(photo).section()), out)
    assert pointer.is_symlink() and (pointer / "report.json").is_file()


def _write_one(args: tuple[str, str, int]) -> str:
    photo, out, n = args
    report = Report(media=probe(Path(photo)).section())
    report.created_at = f"run {n}"  # each run's content differs, as two verify runs' do
    return str(write_report(report, out))


def test_concurrent_writes_of_one_report_never_leave_a_mixed_folder(tmp_path: Path) -> None:
    """Two writers of one file's report at once, 50 times: before, 1 in 8 left HTML of one run beside JSON of the
    other, and check passed it. Now each run is its own folder, renamed into place whole."""
    import multiprocessing

    photo, out = _photo(tmp_path), tmp_path / "out"
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        for round_ in range(50):
            latest = Path(pool.map(_write_one, [(str(photo), str(out), 2 * round_), (str(photo), str(out),
                                                                                      2 * round_ + 1)])[0])
            for folder in [latest, *latest.with_name(latest.name + ".runs").iterdir()]:
                data = json.loads((folder / "report.json").read_text())
                assert data["integrity"]["digest"] in (folder / "report.html").read_text(), folder
                assert data["integrity"]["digest"] in (folder / "report.md").read_text(), folder
    runs = list(latest.with_name(latest.name + ".runs").iterdir())
    assert len(runs) == 100 and not [r for r in runs if r.name.startswith(".")]
    assert latest.resolve() in {r.resolve() for r in runs}
    assert check_file(latest).exit_code in (0, 2)  # media not beside it: cannot, but nothing fails


# -- (5) one signed manifest covers every file of the folder ------------------------------------------------
def test_check_covers_every_file_of_the_folder_and_names_the_one_that_differs(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = _photo(tmp_path)
    code, _, err = run(capsys, "verify", photo, "--pipeline", "quick", "--workspace", ws, "--out", tmp_path / "out",
                       "--sign")
    assert code == 0, err
    folder = next((tmp_path / "out").glob("photo-*")).resolve()
    shutil.copy(photo, folder / photo.name)
    code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 0 and "PASS         files     fingerprint.npz, report.html, report.md exactly as written" in out
    html, md = (folder / "report.html").read_text(), (folder / "report.md").read_text()
    attacks = {  # before: each of these passed `report check`
        "report.html": html.replace("Report digest", "Report digest (verified genuine)"),
        "report.md": md.replace("Report digest", "Capture time: 2019-03-14; Report digest"),
    }
    if "data:image/" in html:  # the reference frame picture swapped for another
        attacks["report.html"] = html.replace("data:image/", "data:image/x-", 1)
    for name, text in attacks.items():
        (folder / name).write_text(text)
        code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws)
        assert code == 1 and f"FAIL         files     {name} differs from the one written" in out, out
        code, out, _ = run(capsys, "report", "sign", folder, "--workspace", ws)
        assert code == 1 and f"refusing to sign: files: {name} differs" in out
        (folder / name).write_text(html if name == "report.html" else md)
    (folder / "report.md").unlink()
    assert "report.md is missing" in next(x.message for x in check_file(folder).lines if x.name == "files")
    (folder / "report.md").write_text(md)
    (folder / "notes.txt").write_text("mine")
    result = check_file(folder, workspace_root=ws)
    assert result.exit_code == 0 and any("not covered: notes.txt" in line.message for line in result.lines)
    # the manifest itself edited to match an edited page: the signature covers it
    data = json.loads((folder / "report.json").read_text())
    (folder / "report.html").write_text(html + "<!-- edited -->")
    data["integrity"]["files"]["report.html"] = hashlib.sha256((html + "<!-- edited -->").encode()).hexdigest()
    (folder / "report.json").write_text(dumps(data))
    assert [x.state for x in check_file(folder, workspace_root=ws).lines if x.name == "signature"] == ["fail"]
    data["integrity"]["files"] = {"../../etc/passwd": "00"}  # a manifest that points out of the folder
    (folder / "report.json").write_text(dumps(data))
    assert "malformed" in next(x.message for x in check_file(folder).lines if x.name == "files")


# -- (7) control characters never reach the terminal raw ----------------------------------------------------
HOSTILE = "\x1b[2J\x1b]0;owned\x07\rPASS\x08\u202e\ngpj.jpg"  # clear screen, set title, overwrite, reorder


def _raw_controls(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f or c == "\u202e"}


def test_control_characters_in_names_are_escaped_in_every_command(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    hostile = Path(shutil.copy(SAMPLES / "known" / "photo_coins.jpg", media / HOSTILE))
    out = tmp_path / "out"
    outputs = [
        run(capsys, "verify", hostile, "--pipeline", "quick", "--workspace", ws, "--out", out),
        run(capsys, "batch", media, "--out", tmp_path / "batch", "--workers", "0", "--pipeline", "quick",
            "--workspace", ws),
        run(capsys, "index", "add", hostile, "--workspace", ws),  # the id made of the name: escaped
        run(capsys, "index", "add", hostile, "--id", "ref\x1b[31m", "--workspace", ws),  # refused, escaped
        run(capsys, "index", "list", "--workspace", ws),
    ]
    folder = next(out.glob("*.runs/*"))
    outputs.append(run(capsys, "report", "check", folder, "--workspace", ws))
    _code, claim_id, _ = run(capsys, "claim", "add", "--statement", "s\x1b[8mhidden", "--workspace", ws)
    outputs += [run(capsys, "claim", "attach", claim_id.strip(), folder, "--workspace", ws),
                run(capsys, "claim", "show", claim_id.strip(), "--workspace", ws),
                run(capsys, "claim", "list", "--workspace", ws),
                run(capsys, "verify", media / "no\x1b[31mfile.mp4", "--workspace", ws, "--out", out)]
    for _, stdout, stderr in outputs:  # before: each of these printed the escape sequences raw
        assert not _raw_controls(stdout + stderr), (stdout, stderr)
    seen = "".join(o + e for _, o, e in outputs)
    assert "\\x1b[2J" in seen and "\\x0agpj.jpg" in seen and "\\u202e" in seen and "s\\x1b[8mhidden" in seen
    assert outputs[-1][0] == 2  # a missing file is still exit 2, the name escaped in the one-line error
    summary = (tmp_path / "batch" / "summary.csv").read_text()  # before: the path cell held the raw ESC and BEL
    assert not _raw_controls(summary.replace("\n", "")) and "\\x1b[2J" in summary
    # the files a person `cat`s or opens: before, report.md's heading and the batch page held the raw ESC and BEL
    pages = [folder / "report.md", folder / "report.html", tmp_path / "batch" / "index.html"]
    for page in pages:
        text = page.read_text()
        assert not _raw_controls(text.replace("\n", "").replace("\t", "")), page
        assert "x1b" in text and "x07" in text, page  # escaped, still there to see


def test_a_media_name_starting_with_a_dash_never_makes_a_folder_that_reads_as_an_option(tmp_path: Path) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path, "-rf --no-preserve-root.jpg")).section()),
                          tmp_path / "out")
    assert not folder.name.startswith("-") and folder.name.startswith("rf_--no-preserve-root-")
    assert not any(p.name.startswith("-") for p in (tmp_path / "out").iterdir())


def test_malformed_reports_keep_the_exit_codes_meaning(tmp_path: Path, ws: Path) -> None:
    """Every top-level and integrity field replaced by a value of another type: check fails (1) or cannot (2),
    sign refuses, readers raise IntegrityError; nothing crashes."""
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out",
                          signing_key=load_key(ws, create=False))
    report = folder / "report.json"
    original = json.loads(report.read_text())
    values = [None, 1.5, "x", [], {"a": {"b": []}}]
    cases = [(key, None) for key in original] + [("integrity", key) for key in original["integrity"]]
    for (key, sub), value in itertools.product(cases, values):
        data = json.loads(json.dumps(original))
        if sub is None:
            data[key] = value
        else:
            data[key][sub] = value
        if data == original:
            continue
        report.write_text(dumps(data))
        result = check_file(report, workspace_root=ws)
        assert result.exit_code in (1, 2), (key, sub, value, result.lines)
        assert not sign_file(report, ws).ok, (key, sub, value)
        with pytest.raises(IntegrityError):
            read_verified(report, ws)


# -- tester's round 2: the manifest cannot be dropped, special files never hang a reader --------------------
@pytest.mark.parametrize("attack", ["strip", "null", "empty", "drop_md"])
def test_removing_or_emptying_the_manifest_is_a_fail_and_cannot_be_signed(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str], attack: str
) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    data = json.loads((folder / "report.json").read_text())
    if attack == "strip":
        data["integrity"].pop("files")
    elif attack == "null":
        data["integrity"]["files"] = None
    elif attack == "empty":
        data["integrity"]["files"] = {}
    else:
        data["integrity"]["files"].pop("report.md")
    (folder / "report.json").write_text(dumps(data))  # the digest does not cover integrity: it still holds
    html = (folder / "report.html").resolve()
    html.write_text(html.read_text().replace(data["media"]["sha256"][:16], "0" * 16))  # the page now lies
    code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 1 and "FAIL         files" in out and "DIGEST OK" not in out, out
    assert "PASS         files" not in out
    code, out, _ = run(capsys, "report", "sign", folder, "--workspace", ws)
    assert code == 1 and "refusing to sign: files:" in out
    with pytest.raises(IntegrityError, match="files"):
        read_verified(folder, ws)


def test_an_older_version_without_a_manifest_still_checks(tmp_path: Path, ws: Path) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    data = json.loads((folder / "report.json").read_text())
    data["integrity"].pop("files")
    data["tool"]["version"] = "0.2.0"  # before the manifest was always written: nothing to require
    data["integrity"]["digest"] = digest_of(data)
    (folder / "report.json").write_text(dumps(data))
    result = check_file(folder, workspace_root=ws)
    assert result.line("files") is None and result.exit_code == 2 and result.unsigned


@pytest.mark.parametrize("target", ["report.md", "report.html", "report.json"])
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_fifo_or_device_in_a_report_folder_fails_and_never_hangs(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str], target: str, kind: str
) -> None:
    """Before: a FIFO report.md hung `report check`, `claim attach` and batch resume; report.json as a link to
    /dev/zero ended in `internal error: MemoryError`. (pytest-timeout is not installed: a hang hangs the run.)"""
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    path = folder.resolve() / target
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    code, out, err = run(capsys, "report", "check", folder, "--workspace", ws)
    name = "report" if target == "report.json" else "files"
    what = "a FIFO" if kind == "fifo" else "a symbolic link"
    assert code == 1 and f"FAIL         {name}" in out and what in out and "internal error" not in err, out + err
    code, out, _ = run(capsys, "report", "sign", folder, "--workspace", ws)
    assert code == 1 and "refusing to sign" in out
    with pytest.raises(IntegrityError, match=what):
        read_verified(folder, ws)
    run(capsys, "claim", "add", "--statement", "s", "--id", "c1", "--workspace", ws)
    code, _, err = run(capsys, "claim", "attach", "c1", folder, "--workspace", ws)
    assert code != 0 and what in err and "internal error" not in err, err


def test_after_a_digest_fail_the_origin_line_does_not_say_digest_ok(tmp_path: Path, ws: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    forge(folder / "report.json", recompute=False)
    code, out, _ = run(capsys, "report", "check", folder, "--workspace", ws)
    assert code == 1 and "FAIL         digest" in out and "digest ok" not in out
    assert "CANNOT CHECK origin    unsigned: origin unknown" in out


def test_checking_a_path_with_no_report_is_an_error_not_a_cannot_check(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "check", tmp_path / "nonexistent", "--workspace", ws)
    assert code == 2 and "no report at" in err and "CANNOT CHECK" not in out and "nothing failed" not in out


def test_a_report_link_pointing_at_another_report_or_outside_its_runs_fails(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `ln -sfn <unrelated run> reports/<stem>-<sha12>` then `report check` said PASS."""
    out = tmp_path / "out"
    mine = write_report(Report(media=probe(_photo(tmp_path)).section()), out)
    other_media = tmp_path / "other.png"
    from PIL import Image
    from skimage import data as skdata
    Image.fromarray(skdata.astronaut()).save(other_media)
    other = write_report(Report(media=probe(other_media).section()), out)
    assert (run(capsys, "report", "check", mine, "--workspace", ws)[0]) == 2  # as written: unsigned, no failure
    os.unlink(mine)
    os.symlink(other.resolve(), mine)  # absolute link to the other report's run
    code, out_text, _ = run(capsys, "report", "check", mine, "--workspace", ws)
    assert code == 1 and "FAIL         report" in out_text and "not to a run in its own" in out_text, out_text
    code, out_text, _ = run(capsys, "report", "check", mine / "report.json", "--workspace", ws)
    assert code == 1 and "not to a run in its own" in out_text
    os.unlink(mine)  # a relative link of the writer's own form, into the other report's runs folder
    os.symlink(Path(other.name + ".runs") / os.listdir(out / (other.name + ".runs"))[0], mine)
    code, out_text, _ = run(capsys, "report", "check", mine, "--workspace", ws)
    assert code == 1 and "not to a run in its own" in out_text
    # the other report copied into this report's own runs folder: the folder's name says whose it is
    runs = out / (mine.name + ".runs")
    shutil.copytree(other.resolve(), runs / "20990101T000000000000Z-000000")
    os.unlink(mine)
    os.symlink(Path(runs.name) / "20990101T000000000000Z-000000", mine)
    code, out_text, _ = run(capsys, "report", "check", mine, "--workspace", ws)
    assert code == 1 and "FAIL         folder" in out_text and "another report put in its place" in out_text
    with pytest.raises(IntegrityError, match="folder"):
        read_verified(mine, ws)
    assert run(capsys, "report", "sign", mine, "--workspace", ws)[0] == 1


def test_a_runs_folder_that_is_a_link_is_never_written_through(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    report = Report(media=probe(_photo(tmp_path)).section())
    first = write_report(report, out)
    runs = out / (first.name + ".runs")
    shutil.rmtree(runs)
    runs.symlink_to(elsewhere)
    with pytest.raises(ValueError, match="symbolic link"):
        write_report(Report(media=probe(_photo(tmp_path)).section()), out)
    assert list(elsewhere.iterdir()) == []


def test_a_forged_unsigned_report_never_silently_replaces_a_signed_attachment(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: attaching a forged unsigned run of the same file over a signed one replaced it with only the usual
    "unsigned" warning, and `claim show` listed the forgery alone."""
    photo = _photo(tmp_path)
    signed = write_report(Report(media=probe(photo).section()), tmp_path / "out",
                          signing_key=load_key(ws, create=False))
    key_id = json.loads((signed / "report.json").read_text())["integrity"]["key_id"]
    forged = write_report(Report(media=probe(photo).section()), tmp_path / "forged")  # the same file, unsigned
    forge(forged / "report.json")
    claim_id = run(capsys, "claim", "add", "--statement", "coins", "--date", "2019", "--workspace", ws)[1].strip()
    assert run(capsys, "claim", "attach", claim_id, signed, "--workspace", ws)[0] == 0
    code, _, err = run(capsys, "claim", "attach", claim_id, forged, "--workspace", ws)
    assert code == 2 and "already has a report of this file signed by this workspace as written" in err
    assert "--replace" in err and "nothing was attached" in err
    _, out, _ = run(capsys, "claim", "show", claim_id, "--workspace", ws)
    assert f"signed by this workspace as written, key {key_id}" in out and str(signed.resolve()) in out
    shown = json.loads(run(capsys, "claim", "show", claim_id, "--json", "--workspace", ws)[1])
    assert [(a["signed"], a["key_id"]) for a in shown["attachments"]] == [("written", key_id)]
    code, out, _ = run(capsys, "claim", "attach", claim_id, forged, "--replace", "--workspace", ws)
    assert code == 0
    _, out, _ = run(capsys, "claim", "show", claim_id, "--workspace", ws)
    assert "unsigned: origin unknown" in out and "signed by this workspace" not in out
    code, text, _ = run(capsys, "claim", "export", claim_id, "--format", "csv", "--workspace", ws)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {r["signed"] for r in rows} == {"unsigned"}
    # the signed one takes its place back without --replace: signed as written by this workspace
    assert run(capsys, "claim", "attach", claim_id, signed, "--workspace", ws)[0] == 0


def test_verify_and_batch_with_a_claim_never_silently_replace_a_signed_attachment(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `verify --claim` and `batch --claim` without signing replaced a signed attachment of the same file
    by their unsigned report, which `claim attach` refuses without --replace."""
    photo = _photo(tmp_path)
    claim_id = run(capsys, "claim", "add", "--statement", "coins", "--date", "2019", "--workspace", ws)[1].strip()
    code, _, _ = run(capsys, "verify", photo, "--pipeline", "quick", "--sign", "--claim", claim_id, "--workspace", ws,
                     "--out", tmp_path / "signed")
    assert code == 0

    def origins() -> list[str]:
        shown = json.loads(run(capsys, "claim", "show", claim_id, "--json", "--workspace", ws)[1])
        return [a["signed"] for a in shown["attachments"]]

    assert origins() == ["written"]
    code, out, err = run(capsys, "verify", photo, "--pipeline", "quick", "--claim", claim_id, "--workspace", ws,
                         "--out", tmp_path / "unsigned")
    assert code == 3 and "report written to" in out  # the report is kept; only the claim refused it
    assert "not attached to claim" in err and f"claim attach --replace {claim_id}" in err, err
    assert origins() == ["written"]
    code, out, _ = run(capsys, "batch", photo, "--out", tmp_path / "batch", "--workers", "0", "--pipeline", "quick",
                       "--quiet", "--claim", claim_id, "--workspace", ws)
    assert code == 1 and "not attached to the claim: report written to" in out and "refusing" in out, out
    summary = json.loads((tmp_path / "batch" / "summary.json").read_text())
    assert "already has a report of this file" in summary["files"][0]["not_attached"]
    assert origins() == ["written"]
    code, _, _ = run(capsys, "verify", photo, "--pipeline", "quick", "--claim", claim_id, "--replace",
                     "--workspace", ws, "--out", tmp_path / "unsigned")
    assert code == 0 and origins() == ["unsigned"]


def test_batch_with_a_claim_goes_on_when_the_workspace_locks_mid_run(
    tmp_path: Path, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: another process taking the workspace lock during `batch --claim` ended the batch with exit 2 and
    "nothing was changed", after report folders had been written; the other files were never verified."""
    import sqlite3

    from provenance.batch import BatchOptions, run_batch
    from provenance.claims import ClaimStore
    from provenance.workspace import DB_NAME, Workspace

    monkeypatch.setenv("PROVENANCE_LOCK_TIMEOUT_S", "0.5")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("photo_coins.jpg", "photo_astronaut.jpg"):
        shutil.copy(SAMPLES / "known" / name, folder / name)
    workspace = Workspace(ws)
    claim = ClaimStore(workspace).add("coins", claimed_date="2019")
    holder = sqlite3.connect(ws / DB_NAME, isolation_level=None, check_same_thread=False)

    def take_the_lock(progress) -> None:
        if progress.phase == "verify" and progress.done == 1 and not holder.in_transaction:
            holder.execute("BEGIN EXCLUSIVE")  # another process writing from now on

    try:
        result = run_batch(folder, pipeline="quick", workspace=workspace, on_progress=take_the_lock,
                           options=BatchOptions(out=tmp_path / "out", workers=0, claim=claim.id))
    finally:
        holder.rollback()
        holder.close()
    assert [i.status for i in result.items] == ["ok", "ok"]  # both verified and written
    late = [i for i in result.items if i.not_attached]
    assert len(late) == 1 and "is locked by another process" in late[0].not_attached
    assert f"provenance claim attach {claim.id} " in late[0].not_attached and not result.ok
    attached = ClaimStore(workspace).attachments(claim.id)
    assert len(attached) == 1
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["complete"] is True


def test_attachments_made_before_migration_8_say_their_origin_was_not_recorded(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from provenance.workspace import DB_NAME
    folder = write_report(Report(media=probe(_photo(tmp_path)).section()), tmp_path / "out")
    claim_id = run(capsys, "claim", "add", "--statement", "coins", "--workspace", ws)[1].strip()
    assert run(capsys, "claim", "attach", claim_id, folder, "--workspace", ws)[0] == 0
    conn = sqlite3.connect(ws / DB_NAME)  # back to schema 7: the columns migrations 8 and 10 add, gone
    conn.executescript("ALTER TABLE claim_report DROP COLUMN signed; ALTER TABLE claim_report DROP COLUMN key_id;"
                       "ALTER TABLE reference DROP COLUMN partial; PRAGMA user_version = 7;")
    conn.close()
    _, out, _ = run(capsys, "claim", "show", claim_id, "--workspace", ws)
    assert "origin not recorded (attached before origins were)" in out
    from provenance.workspace import _MIGRATIONS
    conn = sqlite3.connect(ws / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(_MIGRATIONS) >= 8
    conn.close()


def test_a_tls_scheduler_without_credentials_is_refused_with_what_to_set(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: README's own `batch DIR --scheduler tls://host:8786` ended in "internal error: TypeError: TLS
    expects a `ssl_context` argument"."""
    for key in ("CA_FILE", "CLIENT__CERT", "CLIENT__KEY"):
        monkeypatch.delenv(f"DASK_DISTRIBUTED__COMM__TLS__{key}", raising=False)
    run(capsys, "init", ws)  # a workspace with its database
    code, _, err = run(capsys, "batch", _photo(tmp_path), "--scheduler", "tls://127.0.0.1:8786", "--quiet",
                       "--workspace", ws, "--out", tmp_path / "out")
    assert code == 2 and "internal error" not in err
    assert "no TLS credentials" in err and "DASK_DISTRIBUTED__COMM__TLS__CA_FILE" in err, err


def test_claim_attach_of_a_report_glob_attaches_the_latest_run_once(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: README's `claim attach ID reports/clip-*/` also matched `clip-….runs/` and attached every run in
    turn; `attach ID <latest> <older run>` let the older run replace the newer silently."""
    photo, out = _photo(tmp_path), tmp_path / "out"
    for _ in range(2):
        assert run(capsys, "verify", photo, "--pipeline", "quick", "--workspace", ws, "--out", out)[0] == 0
    claim_id = run(capsys, "claim", "add", "--statement", "coins", "--workspace", ws)[1].strip()
    globbed = sorted(out.glob("photo-*"))  # what the shell gives for reports/photo-*/
    assert len(globbed) == 2 and globbed[1].name.endswith(".runs")
    code, text, err = run(capsys, "claim", "attach", claim_id, *globbed, "--workspace", ws)
    assert code == 0 and text.count("attached ") == 1, (text, err)
    latest = (out / globbed[0].name).resolve()
    shown = json.loads(run(capsys, "claim", "show", claim_id, "--json", "--workspace", ws)[1])
    assert [Path(a["report_path"]).resolve() for a in shown["attachments"]] == [latest]
    older = next(p for p in globbed[1].iterdir() if p.resolve() != latest)
    code, _, err = run(capsys, "claim", "attach", claim_id, globbed[0], older, "--workspace", ws)
    assert code == 2 and "two reports of the same file" in err, err
    code, text, err = run(capsys, "claim", "detach", claim_id, *reversed(globbed), "--workspace", ws)  # .runs first
    assert code == 0 and text.count("detached ") == 1, (text, err)


def test_claim_export_never_overwrites_a_file(tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `claim export ID --format csv --out .provenance/provenance.db` replaced the workspace database with
    a 62-byte CSV (every reference and claim lost), and `--out <report>/report.json` a signed report."""
    claim_id = run(capsys, "claim", "add", "--statement", "s", "--workspace", ws)[1].strip()
    db = ws / "provenance.db"
    before = db.read_bytes()
    code, _, err = run(capsys, "claim", "export", claim_id, "--format", "csv", "--out", db, "--workspace", ws)
    assert code == 2 and "exists already" in err and db.read_bytes() == before
    code, _, err = run(capsys, "claim", "export", claim_id, "--format", "json", "--out", tmp_path / "c.json",
                       "--workspace", ws)
    assert code == 0 and json.loads((tmp_path / "c.json").read_text())["claim"]["id"] == claim_id
    assert str((tmp_path / "c.json").resolve()) in err  # says where it put it


def test_a_report_whose_media_was_swapped_is_neither_attached_nor_signed(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: verify, replace the media file by another, `claim attach` attached the report (only the usual
    "unsigned" warning) and `report sign` signed it, though `report check` FAILs it on media."""
    photo = _photo(tmp_path)
    folder = write_report(Report(media=probe(photo).section()), tmp_path / "out")
    shutil.copy(SAMPLES / "known" / "photo_astronaut.jpg", photo)  # the file the report names, swapped
    claim_id = run(capsys, "claim", "add", "--statement", "s", "--workspace", ws)[1].strip()
    code, _, err = run(capsys, "claim", "attach", claim_id, folder, "--workspace", ws)
    assert code == 2 and "not the file this report describes" in err, err
    code, out, _ = run(capsys, "report", "sign", folder, "--workspace", ws)
    assert code == 1 and "refusing to sign: media" in out, out


def test_claim_show_does_not_list_the_checks_of_a_report_edited_since_attaching(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the roll-up said the edited report was not used, and the table below still listed its rows."""
    photo = _photo(tmp_path)
    claim_id = run(capsys, "claim", "add", "--statement", "coins", "--date", "2019", "--workspace", ws)[1].strip()
    code, _, _ = run(capsys, "verify", photo, "--pipeline", "quick", "--sign", "--claim", claim_id, "--workspace", ws,
                     "--out", tmp_path / "out")
    assert code == 0
    _, shown, _ = run(capsys, "claim", "show", claim_id, "--workspace", ws)
    assert "first_seen" in shown and "NOT USED" not in shown
    forge(next((tmp_path / "out").glob("photo-*/report.json")))
    _, shown, _ = run(capsys, "claim", "show", claim_id, "--workspace", ws)
    assert "NOT USED" in shown and "signature" in shown and "first_seen" not in shown, shown
    # nor do the CSV and JSON exports carry its checks (round 3: they still did)
    code, text, err = run(capsys, "claim", "export", claim_id, "--format", "csv", "--workspace", ws)
    assert code == 0 and "first_seen" not in text and "not exported" in err, (text, err)
    code, text, err = run(capsys, "claim", "export", claim_id, "--format", "json", "--workspace", ws)
    assert code == 0 and json.loads(text)["attachments"] == [] and "not exported" in err


def test_a_rematched_run_is_described_by_its_own_signature_not_the_earlier_runs(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: after the index changed, a batch without --sign re-matched a signed report into a new unsigned run,
    and summary.json, summary.csv and index.html still said "signed by this workspace as written"."""
    media = tmp_path / "media"
    media.mkdir()
    _photo(media, "coins.jpg")
    out = tmp_path / "reports"
    args = ("batch", media, "--out", out, "--workers", "0", "--pipeline", "quick", "--quiet", "--workspace", ws)
    assert run(capsys, *args, "--sign")[0] == 0
    assert json.loads((out / "summary.json").read_text())["files"][0]["origin"] == "written"
    # a video reference: a still one would put a still on the keypoint shortlist, whose stretched check the
    # stored fingerprint of the first run does not hold (it then verifies in full: issue 12 round 7)
    assert run(capsys, "index", "add", SAMPLES / "known" / "archive_footage.mp4", "--workspace", ws)[0] == 0
    assert run(capsys, *args)[0] == 0
    row = json.loads((out / "summary.json").read_text())["files"][0]
    assert row["action"] == "rematched" and row["origin"] == "unsigned", row
    assert "signed by this workspace as written" not in (out / "index.html").read_text()


def test_a_second_batch_into_one_folder_keeps_the_first_batchs_summary(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a second batch into the same --out replaced summary.json, summary.csv and index.html silently."""
    first, second, out = tmp_path / "a", tmp_path / "b", tmp_path / "reports"
    for folder, name in ((first, "coins.jpg"), (second, "other.jpg")):
        folder.mkdir()
        _photo(folder, name)
    args = ("--out", out, "--workers", "0", "--pipeline", "quick", "--quiet", "--workspace", ws)
    assert run(capsys, "batch", first, *args)[0] == 0
    earlier = json.loads((out / "summary.json").read_text())
    assert run(capsys, "batch", second, *args)[0] == 0
    assert [Path(f["path"]).name for f in json.loads((out / "summary.json").read_text())["files"]] == ["other.jpg"]
    [kept] = (out / "summaries").iterdir()
    assert json.loads((kept / "summary.json").read_text()) == earlier
    assert {p.name for p in kept.iterdir()} == {"summary.json", "summary.csv", "index.html"}
