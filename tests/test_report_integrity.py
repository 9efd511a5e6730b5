"""Tamper evidence: `report check` passes on what was written, fails on any one-byte edit and on a swapped file.

Real reports of a real clip, real Ed25519 keys in a real workspace, the CLI in a subprocess as a user runs it.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from provenance import Workspace, verify, write_report
from provenance.report.integrity import KEY_FILE, check_file, digest_of, load_key, sign_file
from provenance.report.model import Report

from conftest import cli, write_clip

# Every test verifies and writes a clip first, most then run the CLI: 2-7 s each. The fast tier checks the same
# behaviour on a built report, in tests/test_report_check.py.
pytestmark = pytest.mark.slow


def _clip(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    base = (rng.random((6, 8, 3)) * 255).astype(np.uint8)
    frames = [np.kron(np.roll(base, i // 8, axis=1), np.ones((8, 8, 1), dtype=np.uint8)) for i in range(24)]
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_clip(path, frames, fps=12, metadata={"title": f"clip {seed}"})


@pytest.fixture
def written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """(report folder with the media copied beside it, the original media path, workspace)."""
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "off")  # what ExifTool adds is not what these tests are about
    ws = tmp_path / "ws"
    clip = _clip(tmp_path / "media" / "clip.mp4", seed=1)
    folder = write_report(verify(clip, pipeline="quick", workspace=Workspace(ws)), tmp_path / "out")
    shutil.copy(clip, folder / clip.name)  # a report travels with its media
    return folder, clip, ws


def _edit(path: Path, pos: int) -> None:
    """Replace one byte with another that keeps the file plausible: digit for digit, letter for letter."""
    data = bytearray(path.read_bytes())
    c = chr(data[pos])
    if c.isdigit():
        new = str((int(c) + 1) % 10)
    elif c.isalpha() and c.isascii():
        new = "a" if c == "z" else "A" if c == "Z" else chr(ord(c) + 1)
    elif c == " ":
        new = "\t"
    elif c == "\n":
        new = " "
    else:
        new = "x"
    data[pos] = ord(new)
    path.write_bytes(bytes(data))


def test_fresh_report_passes_unsigned_and_records_its_digest(written: tuple[Path, Path, Path]) -> None:
    folder, clip, ws = written
    data = json.loads((folder / "report.json").read_text())
    assert data["integrity"]["digest"] == digest_of(data) and data["integrity"]["signature"] is None
    code, out, err = cli("report", "check", folder, "--workspace", ws)
    assert code == 2, out + err  # nothing failed, but an unsigned report's origin is unknown
    assert "PASS         digest" in out and "PASS         file" in out and "SKIP         signature" in out
    assert f"PASS         media     {folder / clip.name} has the recorded SHA-256" in out
    assert "result: DIGEST OK, UNSIGNED: origin unknown" in out
    code, out, _ = cli("report", "check", folder, "--workspace", ws, "--require-signature")
    assert code == 1 and "FAIL         signature" in out


def test_sign_then_check_with_this_workspace_and_with_the_signers_key(
    written: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    folder, _, ws = written
    code, out, err = cli("report", "sign", folder / "report.json", "--workspace", ws)
    assert code == 0, out + err
    key = ws / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    signed = json.loads((folder / "report.json").read_text())["integrity"]
    assert signed["signature"] and signed["key_id"] in out
    code, out, _ = cli("report", "check", folder, "--workspace", ws)
    assert "PASS         signature valid Ed25519 signature by this workspace's key" in out
    assert code == 2 and "CANNOT CHECK origin    the signature was added later" in out  # not "provenance wrote it"
    # another desk: the signer's key is unknown until it is named
    other = tmp_path / "other-ws"
    code, out, _ = cli("report", "check", folder, "--workspace", other)
    assert code == 2 and "CANNOT CHECK signature" in out and "result: CANNOT CHECK" in out
    assert not (other / KEY_FILE).exists()  # checking never creates a key
    code, public, _ = cli("report", "key", "--workspace", ws)
    assert code == 0
    code, out, _ = cli("report", "check", folder, "--workspace", other, "--public-key", public.strip())
    assert code == 2 and "PASS         signature valid Ed25519 signature by the key you named" in out, out
    code, stranger, _ = cli("report", "key", "--workspace", other)
    code, out, _ = cli("report", "check", folder, "--workspace", other, "--public-key", stranger.strip())
    assert code == 1 and "not the key you named" in out
    # signing again is refused: a signature is never replaced, and the report stays as it was
    again = sign_file(folder, ws)
    assert not again.ok and "already signed" in again.message
    assert json.loads((folder / "report.json").read_text())["integrity"] == signed


def test_one_byte_edits_anywhere_in_a_signed_report_fail(written: tuple[Path, Path, Path]) -> None:
    """Every byte of the integrity record and every 3rd byte elsewhere (each check costs ~2 ms on two cores)."""
    folder, _, ws = written
    report = folder / "report.json"
    signed = Report.from_dict(json.loads(report.read_text()))
    write_report(signed, folder.parent, signing_key=load_key(ws, create=True))  # signed as written
    original = report.read_bytes()
    assert check_file(report, workspace_root=ws).exit_code == 0
    record = original.index(b'"integrity"')
    passed = []
    for pos in sorted({*range(0, len(original), 3), *range(record, len(original))}):
        _edit(report, pos)
        result = check_file(report, workspace_root=ws)
        if result.exit_code != 1:
            passed.append((pos, original[max(0, pos - 20):pos + 20], [(x.name, x.state) for x in result.lines]))
        report.write_bytes(original)
    assert not passed, passed[:5]
    assert check_file(report, workspace_root=ws).exit_code == 0


def test_content_edit_of_an_unsigned_report_fails_in_the_cli(written: tuple[Path, Path, Path]) -> None:
    folder, _, ws = written
    report = folder / "report.json"
    text = report.read_text()
    pos = text.index('"size_bytes": ') + len('"size_bytes": ')
    _edit(report, pos)
    code, out, _ = cli("report", "check", folder, "--workspace", ws)
    assert code == 1 and "FAIL         digest    content changed since it was written" in out
    assert out.rstrip().endswith("result: FAIL (1 check failed)")
    report.write_text(text.replace("\n", "\r\n", 1))  # layout only: the content is the same
    code, out, _ = cli("report", "check", folder, "--workspace", ws)
    assert code == 1 and "PASS         digest" in out and "FAIL         file" in out
    report.write_text(text[: len(text) // 2])  # truncated in transit
    code, out, _ = cli("report", "check", folder, "--workspace", ws)
    assert code == 1 and "FAIL         report    not valid UTF-8 JSON" in out
    report.write_text(text)
    code, out, _ = cli("report", "sign", folder, "--workspace", ws)
    assert code == 0
    report.write_text(report.read_text().replace('"kind": "video"', '"kind": "image"'))
    code, out, _ = cli("report", "sign", folder, "--workspace", ws)
    assert code == 1 and "refusing to sign" in out


def test_swapped_or_missing_media_is_caught(written: tuple[Path, Path, Path], tmp_path: Path) -> None:
    folder, clip, ws = written
    beside = folder / clip.name
    other = _clip(tmp_path / "other.mp4", seed=2)
    shutil.copy(other, beside)  # same name, other pictures
    code, out, _ = cli("report", "check", folder, "--workspace", ws)
    assert code == 1 and f"FAIL         media     {beside} has SHA-256" in out and "not the file" in out
    beside.unlink()  # now the recorded path is the one checked: still the original
    code, out, _ = cli("report", "check", folder, "--workspace", ws)
    assert code == 2 and f"PASS         media     {clip}" in out and "result: DIGEST OK, UNSIGNED" in out
    shutil.copy(other, clip)  # the original swapped in place
    assert check_file(folder, workspace_root=ws).exit_code == 1
    clip.unlink()
    result = check_file(folder, workspace_root=ws)
    assert result.exit_code == 2 and result.lines[-1].state == "cannot" and "--media" in result.lines[-1].message
    assert check_file(folder, workspace_root=ws, media=other).exit_code == 1
    code, out, err = cli("report", "check", tmp_path / "nowhere", "--workspace", ws)
    assert code == 2 and out == "" and "no report at" in err  # a plain error: nothing there to check
