"""The CLI as a user meets it: global options in any position, the workspace it finds and names, messages.

Most runs call ``provenance.cli.main`` in this process (the real parser and handlers, seconds instead of a
Python start per run); runs that need a second process (a lock held elsewhere, a traceback) use the console
script. Each asserts what the user sees (exit code, stdout, stderr) and which workspace changed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from provenance.cli import build_parser, main
from provenance.media import probe
from provenance.report.model import Report
from provenance.report.writer import write_report
from provenance.workspace import DB_NAME, workspace_problem

from conftest import ROOT, SAMPLES

PHOTO = SAMPLES / "clips" / "photo_reuse.jpg"
KNOWN = SAMPLES / "known" / "photo_coins.jpg"
OTHER = SAMPLES / "known" / "photo_astronaut.jpg"


def run(*args: str | os.PathLike, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``provenance ARGS`` in this process; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse refusals
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*args: str | os.PathLike, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The console script in a subprocess running this tree's code."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "provenance.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=full)
    return proc.returncode, proc.stdout, proc.stderr


def state(root: Path) -> str:
    """Everything a workspace holds (its database rows and its files), to tell which workspace changed."""
    if not root.exists():
        return "absent"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "derived" not in p.parts
                   and not p.name.endswith(("-wal", "-shm")))
    rows = ""
    if (root / DB_NAME).is_file():
        conn = sqlite3.connect(root / DB_NAME)
        try:
            rows = "\n".join(conn.iterdump())
        finally:
            conn.close()
    return "\n".join(files) + rows


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A workspace with one reference and a claim with one attached report, built once through the CLI."""
    base = tmp_path_factory.mktemp("template")
    ws, reports = base / "ws", base / "reports"
    env = {"PROVENANCE_WORKSPACE": str(ws)}
    assert run_process("index", "add", KNOWN, "--first-seen", "2014-11-02", cwd=base, env=env)[0] == 0
    code, out, err = run_process("claim", "add", "--statement", "coins on a table", "--id", "c-one", cwd=base,
                                 env=env)
    assert code == 0 and out.strip() == "c-one", err
    code, _out, err = run_process("verify", PHOTO, "--pipeline", "quick", "--out", reports, "--claim", "c-one",
                                  cwd=base, env=env)
    assert code == 0, err
    return {"ws": ws, "reports": reports}


@pytest.fixture
def desk(template: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A copy of the template workspace (W), and two decoys that must stay untouched when W is named:
    $PROVENANCE_WORKSPACE and a .provenance in the current folder."""
    ws = tmp_path / "W"
    shutil.copytree(template["ws"], ws)
    reports = tmp_path / "reports"
    shutil.copytree(template["reports"], reports)
    env_decoy, cwd = tmp_path / "env-decoy", tmp_path / "here"
    shutil.copytree(template["ws"], env_decoy)
    shutil.copytree(template["ws"], cwd / ".provenance")
    media = tmp_path / "incoming"
    media.mkdir()
    shutil.copy(PHOTO, media / "photo.jpg")
    monkeypatch.setenv("PROVENANCE_WORKSPACE", str(env_decoy))
    monkeypatch.chdir(cwd)
    folder = next(reports.glob("*/report.json")).parent
    return {"ws": ws, "reports": reports, "report": folder, "env_decoy": env_decoy, "cwd_decoy": cwd / ".provenance",
            "media": media, "out": tmp_path / "out"}


# (name, argv with {placeholders}, exit code, whether the named workspace changes, a stdout fragment)
COMMANDS = [
    ("verify", "verify {photo} --pipeline quick --out {out}", 0, False, "report written to"),
    ("batch", "batch {media} --workers 0 --pipeline quick --out {out} --quiet", 0, True, "1 file: 1 verified"),
    ("index add", "index add {other} --source agency", 0, True, "added: photo_astronaut"),
    ("index edit", "index edit photo_coins --source 'channel X'", 0, True, "edited photo_coins"),
    ("index list", "index list", 0, False, "photo_coins"),
    ("index stats", "index stats --json", 0, False, '"references": 1'),
    ("index remove", "index remove photo_coins", 0, True, "removed photo_coins"),
    ("claim add", "claim add --statement 'a second claim' --id c-two", 0, True, "c-two"),
    ("claim attach", "claim attach c-one {report}", 0, True, "attached"),
    ("claim show", "claim show c-one", 0, False, "claim c-one"),
    ("claim list", "claim list", 0, False, "c-one"),
    ("claim status", "claim status c-one false", 0, True, "c-one: false"),
    ("claim export", "claim export c-one --format json", 0, False, '"c-one"'),
    ("claim delete", "claim delete c-one --yes", 0, True, "deleted claim c-one"),
    ("claim detach", "claim detach c-one {report}", 0, True, "detached"),
    ("report sign", "report sign {report}", 0, True, "public key"),
    ("report check", "report check {report}", 2, False, "result: DIGEST OK, UNSIGNED: origin unknown"),
    ("init", "init", 0, False, "exists already: nothing changed"),
    ("report key", "report key", 0, True, ""),
    ("index export", "index export --out {out}/known.txt", 0, False, "exported 1 reference"),
    ("claim verdict", "claim verdict c-one false", 0, True, "c-one: false"),
    ("claim report", "claim report c-one --out {out}", 0, True, "dossier.html"),
    ("search", "search coins", 1, False, "hit(s) in"),
]


def _argv(template: str, desk: dict[str, Path]) -> list[str]:
    values = {"photo": PHOTO, "other": OTHER, **desk}
    return [part.format(**values) for part in shlex.split(template)]


def _place(argv: list[str], where: str, option: list[str]) -> list[str]:
    """Put ``option`` before the command, after it, or between a group and its command."""
    if where == "before":
        return [*option, *argv]
    if where == "between":
        return [argv[0], *option, *argv[1:]]
    return [*argv, *option]


POSITIONS = ["before", "between", "after"]


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize(("name", "template_argv", "code", "changes", "shown"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_uses_the_workspace_named_in_any_position(
        desk: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str, template_argv: str, code: int,
        changes: bool, shown: str, position: str) -> None:
    argv = _argv(template_argv, desk)
    if position == "between" and " " not in name:
        pytest.skip(f"{name} has no group")
    ws = desk["ws"]
    before = {k: state(desk[k]) for k in ("ws", "env_decoy", "cwd_decoy")}
    got, out, err = run(*_place(argv, position, ["--workspace", str(ws)]), capsys=capsys)
    assert got == code, err
    assert shown in out
    named = [line for line in err.splitlines() if "workspace" in line and str(ws) in line]
    assert len(named) == 1, err  # one line names the workspace used
    assert state(desk["env_decoy"]) == before["env_decoy"] and state(desk["cwd_decoy"]) == before["cwd_decoy"]
    assert (state(ws) != before["ws"]) == changes
    assert not (Path.cwd() / "reports").exists() or name == "verify"


@pytest.mark.parametrize("position", POSITIONS)
def test_debug_in_any_position_shows_the_traceback(tmp_path: Path, position: str) -> None:
    argv = _place(["claim", "show", "c-none"], position, ["--debug"])
    code, _out, err = run_process(*argv, cwd=tmp_path, env={"PROVENANCE_WORKSPACE": str(tmp_path / "ws")})
    assert code == 2 and "Traceback" in err  # the exit code keeps its meaning (2: no report) under --debug
    code, _out, err = run_process("claim", "show", "c-none", cwd=tmp_path,
                                  env={"PROVENANCE_WORKSPACE": str(tmp_path / "ws")})
    assert code == 2 and "Traceback" not in err and err.count("\n") <= 2


def test_python_dash_m_provenance_is_the_same_program(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "provenance", "verify", str(tmp_path / "missing.jpg")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "no such file" in done.stderr, done.stderr


@pytest.mark.parametrize(("name", "template_argv", "code", "changes", "shown"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_in_a_subfolder_uses_the_workspace_above(
        desk: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str,
        template_argv: str, code: int, changes: bool, shown: str) -> None:
    monkeypatch.delenv("PROVENANCE_WORKSPACE")
    above = desk["cwd_decoy"]
    deep = above.parent / "case" / "clips"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    before = state(above)
    got, out, err = run(*_argv(template_argv, desk), capsys=capsys)
    assert got == code and shown in out, err
    assert f"workspace {above} (found above the current folder)" in err
    assert (state(above) != before) == changes and not (deep / ".provenance").exists()


# what each command does in a folder with no workspace in it or above: exit code, whether it creates one here
WITHOUT_WORKSPACE = {"verify": (0, False), "batch": (0, False), "index add": (0, True), "claim add": (0, True),
                     "report sign": (0, True), "report check": (2, False), "report key": (0, True), "init": (0, True)}


@pytest.mark.parametrize(("name", "template_argv"), [c[:2] for c in COMMANDS], ids=[c[0] for c in COMMANDS])
def test_every_command_in_a_folder_without_a_workspace(
        desk: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        name: str, template_argv: str) -> None:
    monkeypatch.delenv("PROVENANCE_WORKSPACE")
    bare = tmp_path / "bare"
    bare.mkdir()
    monkeypatch.chdir(bare)
    code, creates = WITHOUT_WORKSPACE.get(name, (2, False))
    got, out, err = run(*_argv(template_argv, desk), capsys=capsys)
    assert got == code, err
    assert (bare / ".provenance").exists() == creates
    if creates:
        assert f"workspace {bare / '.provenance'} (new" in err
    elif code == 2 and name != "report check":  # check works without one: an unsigned report's origin is unknown
        assert out == "" and f"no workspace: no .provenance folder in {bare}" in err and "index add" in err
    else:
        assert "no workspace" in err


@pytest.mark.parametrize(("argv", "belongs"), [
    (["--json", "verify", "x.mp4"], "`provenance verify ... --json`"),
    (["index", "--json", "list"], "`provenance index list ... --json`"),
    (["--pipeline", "quick", "batch", "d"], "`provenance batch ... --pipeline`"),
    (["claim", "--yes", "delete", "c-1"], "`provenance claim delete ... --yes`"),
])
def test_a_command_option_before_its_command_is_refused_with_where_it_goes(
        argv: list[str], belongs: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(*argv, capsys=capsys)
    assert code == 2 and out == "" and belongs in err


def test_two_different_workspaces_are_refused(desk: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run("--workspace", desk["ws"], "index", "list", "--workspace", desk["env_decoy"],
                          capsys=capsys)
    assert code == 2 and "--workspace given twice" in err
    code, out, _err = run("--workspace", desk["ws"], "index", "list", "--workspace", desk["ws"], capsys=capsys)
    assert code == 0 and "photo_coins" in out
    code, out, err = run(f"--workspace={desk['ws']}", "index", "list", capsys=capsys)
    assert code == 0 and "photo_coins" in out and str(desk["ws"]) in err
    code, out, err = run("--work", desk["ws"], "--deb", "index", "list", capsys=capsys)  # prefixes, as argparse
    assert code == 0 and "photo_coins" in out and str(desk["ws"]) in err


# -- finding the workspace ------------------------------------------------------------------------------------
@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no workspace in it or above it, and no $PROVENANCE_WORKSPACE."""
    monkeypatch.delenv("PROVENANCE_WORKSPACE", raising=False)
    folder = tmp_path / "nowhere"
    folder.mkdir()
    assert not any((p / ".provenance").exists() for p in (folder, *folder.parents))
    monkeypatch.chdir(folder)
    return folder


def test_reading_commands_never_create_a_workspace(nowhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["index", "list"], ["index", "stats"], ["claim", "list"], ["claim", "show", "c-x"],
                 ["index", "edit", "x", "--title", "t"], ["index", "remove", "x"], ["claim", "status", "c-x", "open"]):
        code, out, err = run(*argv, capsys=capsys)
        assert code == 2 and out == ""
        assert f"no .provenance folder in {nowhere}" in err and "provenance index add" in err, err
    assert not (nowhere / ".provenance").exists()


def test_verify_without_a_workspace_says_so_and_leaves_none(nowhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run("verify", PHOTO, "--pipeline", "quick", "--json", capsys=capsys)
    assert code == 0 and out.startswith("{")
    assert "no workspace" in err and "no index: nothing to match against" in err
    # --json: the folder and its three files on stderr
    assert re.search(r"report written to reports/photo_reuse-[0-9a-f]{12} \(report.json, report.html, report.md\)",
                     err)
    assert not (nowhere / ".provenance").exists() and (nowhere / "reports").is_dir()


def test_a_writing_command_creates_the_workspace_here_and_says_so(nowhere: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run("claim", "add", "--statement", "s", capsys=capsys)
    assert code == 0 and out.startswith("c-")
    assert f"workspace {nowhere / '.provenance'} (new" in err
    assert (nowhere / ".provenance" / DB_NAME).is_file()


def test_a_subfolder_uses_the_workspace_above(nowhere: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run("claim", "add", "--statement", "s", "--id", "c-top", capsys=capsys)[0] == 0
    deep = nowhere / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    code, out, err = run("claim", "list", capsys=capsys)
    assert code == 0 and "c-top" in out
    assert f"workspace {nowhere / '.provenance'} (found above the current folder)" in err
    assert run("claim", "add", "--statement", "t", "--id", "c-deep", capsys=capsys)[0] == 0
    assert not (deep / ".provenance").exists() and "c-deep" in run("claim", "list", capsys=capsys)[1]
    code, _out, err = run("verify", PHOTO, "--pipeline", "quick", "--out", deep / "r", capsys=capsys)
    assert code == 0 and f"workspace {nowhere / '.provenance'}" in err and not (deep / ".provenance").exists()


def test_explicit_beats_environment_beats_discovery(nowhere: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for ws, cid in ((nowhere / ".provenance", "c-found"), (nowhere / "env", "c-env"), (nowhere / "explicit", "c-x")):
        assert run("init", ws, capsys=capsys)[0] == 0
        assert run("claim", "add", "--statement", "s", "--id", cid, "--workspace", ws, capsys=capsys)[0] == 0
    monkeypatch.setenv("PROVENANCE_WORKSPACE", str(nowhere / "env"))
    code, out, err = run("claim", "list", capsys=capsys)
    assert code == 0 and "c-env" in out and "c-found" not in out and "from $PROVENANCE_WORKSPACE" in err
    code, out, err = run("claim", "list", "--workspace", nowhere / "explicit", capsys=capsys)
    assert code == 0 and "c-x" in out and "c-env" not in out and "from --workspace" in err


def test_an_empty_named_workspace_is_not_the_default_one(desk: dict[str, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a --workspace naming no workspace (a typo) gave a report matched against an empty index."""
    empty, absent = tmp_path / "EMPTY", tmp_path / "ABSENT"
    empty.mkdir()
    for named in (empty, absent):
        for command in (["verify", PHOTO], ["batch", desk["media"]]):
            code, out, err = run("--workspace", named, *command, "--pipeline", "quick", "--out", tmp_path / "r",
                                 capsys=capsys)
            assert code == 2 and out == "", err
            assert err == f"provenance: error: no workspace at {named} (--workspace names a workspace folder, or a " \
                          f"folder holding .provenance/; create one with `provenance init {named}`)\n"
    assert list(empty.iterdir()) == [] and not absent.exists() and not (tmp_path / "r").exists()
    code, out, err = run("init", absent, capsys=capsys)
    made = absent / ".provenance"
    assert code == 0 and out == f"created workspace {made}\n" and (made / DB_NAME).is_file()
    code, out, err = run("--workspace", absent, "verify", PHOTO, "--pipeline", "quick", "--json", "--out",
                         tmp_path / "r", capsys=capsys)
    assert code == 0 and '"index_frames": 0' in out and f"workspace {made} (from --workspace)" in err


# -- one layout: init, --workspace, $PROVENANCE_WORKSPACE and discovery agree -----------------------------------
def test_init_dir_makes_the_workspace_a_command_run_in_dir_finds(nowhere: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `init case1` made case1/provenance.db; `cd case1; index add` looked for case1/.provenance, found
    none and created a second workspace there ("new: created by this command"), leaving init's one unused."""
    code, out, err = run("init", "case1", capsys=capsys)
    ws = nowhere / "case1" / ".provenance"
    assert code == 0 and out == f"created workspace {ws}\n", err
    monkeypatch.chdir(nowhere / "case1")
    code, out, err = run("index", "add", KNOWN, capsys=capsys)
    assert code == 0 and "added: photo_coins" in out, err
    assert f"workspace {ws} (in the current folder)" in err and "new" not in err
    assert sorted(p.name for p in (nowhere / "case1").iterdir()) == [".provenance"]
    monkeypatch.chdir(nowhere)
    for named in (["--workspace", "case1"], ["--workspace", "case1/"], ["--workspace", str(ws)]):
        code, out, err = run("index", "list", *named, capsys=capsys)
        assert code == 0 and "photo_coins" in out and f"workspace {ws} (from --workspace)" in err
    monkeypatch.setenv("PROVENANCE_WORKSPACE", "case1")
    code, out, err = run("index", "list", capsys=capsys)
    assert code == 0 and "photo_coins" in out and f"workspace {ws} (from $PROVENANCE_WORKSPACE)" in err
    code, out, _err = run("init", "case1", capsys=capsys)
    assert code == 0 and out == f"workspace {ws} exists already: nothing changed\n"


def test_workspace_naming_a_project_folder_uses_its_provenance_folder(
        nowhere: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `--workspace proj index add` with proj/.provenance/ made proj/provenance.db beside it, and
    `index list --workspace proj` then said "empty"."""
    proj = nowhere / "proj"
    proj.mkdir()
    monkeypatch.chdir(proj)
    assert run("index", "add", KNOWN, capsys=capsys)[0] == 0  # proj/.provenance, as discovery makes it
    monkeypatch.chdir(nowhere)
    code, out, err = run("--workspace", "proj", "index", "add", OTHER, capsys=capsys)
    assert code == 0 and "added: photo_astronaut" in out and f"workspace {proj / '.provenance'}" in err, err
    assert not (proj / DB_NAME).exists()
    code, out, _err = run("index", "list", "--workspace", "proj", capsys=capsys)
    assert code == 0 and "photo_coins" in out and "photo_astronaut" in out
    # the same folder written two ways is one workspace, not "given twice"
    code, out, err = run("--workspace", "proj", "index", "list", "--workspace", "proj/", capsys=capsys)
    assert code == 0 and "photo_coins" in out, err


@pytest.mark.parametrize("argv", [["index", "add", str(KNOWN)], ["claim", "add", "--statement", "s"],
                                  ["index", "list"], ["claim", "list"], ["verify", str(PHOTO), "--pipeline", "quick"]],
                         ids=lambda a: " ".join(a[:2]))
def test_a_mistyped_workspace_is_refused_by_every_command(nowhere: Path, capsys: pytest.CaptureFixture[str],
                                                          argv: list[str]) -> None:
    """Before: `--workspace wsA index add` (a typo for ws) created wsA: "new: created by this command"."""
    code, out, err = run("--workspace", "wsA", *argv, capsys=capsys)
    assert code == 2 and out == "", err
    assert f"no workspace at {nowhere / 'wsA'}" in err and f"`provenance init {nowhere / 'wsA'}`" in err
    assert list(nowhere.iterdir()) == []


def test_report_sign_that_fails_does_not_claim_to_create_a_workspace(
        nowhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = nowhere / "bad.json"
    bad.write_text("{}")
    code, out, err = run("report", "sign", bad, capsys=capsys)  # the default place: made only if it signs
    assert code != 0 and "FAIL" in out
    assert "created" not in err and "new if the report is signed" in err and not (nowhere / ".provenance").exists()


def test_report_sign_with_a_mistyped_workspace_invents_no_key(
        nowhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `report sign R --workspace TYPO` made TYPO and a new key there, and signed with it (exit 0)."""
    folder = write_report(Report(media=probe(KNOWN).section()), nowhere / "out")
    code, out, err = run("report", "sign", folder, "--workspace", "typo", capsys=capsys)
    assert code == 2 and out == "" and f"no workspace at {nowhere / 'typo'}" in err, err
    assert not (nowhere / "typo").exists()


# -- index add of a folder ----------------------------------------------------------------------------------------
def test_index_add_of_a_folder_skips_what_is_not_media(nowhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `index add known/` added the photos, then `error: references.toml: not a media file`, exit 2."""
    known = nowhere / "known"
    known.mkdir()
    for src in (KNOWN, OTHER, SAMPLES / "known" / "references.toml"):
        shutil.copy(src, known / src.name)
    code, out, err = run("index", "add", "known/", capsys=capsys)
    assert code == 0 and out.count("added: ") == 2, err
    assert "provenance: skipped 1 file that is not media: known/references.toml" in err and "error" not in err
    code, out, err = run("index", "add", "known/references.toml", capsys=capsys)  # named: still an error
    assert code == 2 and "provenance: error: known/references.toml: not a media file" in err, err


@contextlib.contextmanager
def _locked(ws: Path) -> Iterator[None]:
    """Another process's write lock on the workspace (an exclusive SQLite transaction) while the block runs."""
    holder = sqlite3.connect(ws / DB_NAME, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- waiting for the lock ---------------------------------------------------------------------------------------
def test_a_wait_for_the_workspace_lock_is_said(desk: dict[str, Path]) -> None:
    """Before: up to PROVENANCE_LOCK_TIMEOUT_S (30 s) of silence while another command held the lock."""
    ws = desk["ws"]
    with _locked(ws):
        code, out, err = run_process("claim", "add", "--statement", "s", "--id", "c-waited", "--workspace", ws,
                                     cwd=desk["ws"].parent, env={"PROVENANCE_LOCK_TIMEOUT_S": "2.5"})
    assert code == 2 and "is locked by another process" in err
    assert err.count("waiting for the workspace lock") == 1, err
    assert "c-waited" not in state(ws)
    # a lock released during the wait: the command goes on, having said it waited
    with _locked(ws):
        proc = subprocess.Popen([sys.executable, "-m", "provenance.cli", "claim", "add", "--statement", "s", "--id",
                                 "c-waited", "--workspace", str(ws)], cwd=ws.parent, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "PYTHONPATH": str(ROOT), "PROVENANCE_LOCK_TIMEOUT_S": "60"})
        said = []
        assert proc.stderr is not None
        for line in proc.stderr:  # until it says it waits (or ends: then the asserts below say why)
            said.append(line)
            if "waiting for the workspace lock" in line:
                break
    out, rest = proc.communicate(timeout=120)
    err = "".join(said) + rest
    assert proc.returncode == 0 and out.strip() == "c-waited", err
    assert err.count("waiting for the workspace lock") == 1



# -- the index ------------------------------------------------------------------------------------------------
def test_index_add_updates_changed_metadata_and_edit_keeps_history(
        desk: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ws = ["--workspace", desk["ws"]]
    code, out, _ = run("index", "add", KNOWN, *ws, capsys=capsys)
    assert code == 0 and out.startswith("unchanged: photo_coins")
    code, out, _ = run("index", "add", KNOWN, "--first-seen", "2013-05-01", "--source", "agency", *ws, capsys=capsys)
    assert code == 0 and out.startswith("updated: photo_coins (source, first_seen changed")
    code, out, _ = run("index", "edit", "photo_coins", "--url", "https://example.org/coins", "--title", "Coins",
                       "--first-seen", "2013-05-01T08:30:00+02:00", *ws, capsys=capsys)
    assert code == 0 and "first-seen 2013-05-01T08:30:00+02:00 (was 2013-05-01)" in out and "(was none)" in out
    code, out, _ = run("index", "list", *ws, capsys=capsys)
    header, row = out.splitlines()
    assert header.split()[:4] == ["id", "kind", "frames", "first"]
    assert "1 frame " in row and "agency" in row and "https://example.org/coins" in row and "2013-05-01T08:30" in row
    import json
    listed = json.loads(run("index", "list", "--json", *ws, capsys=capsys)[1])[0]
    assert [h["field"] for h in listed["history"]] == ["source", "first_seen", "title", "url", "first_seen"]
    assert listed["history"][1]["old"] == "2014-11-02"
    code, _out, err = run("index", "edit", "photo_coins", "--first-seen", "2030-01-01", *ws, capsys=capsys)
    assert code == 2 and "in the future" in err
    code, _out, err = run("index", "edit", "photo_coins", "--first-seen", "14/11/2014", *ws, capsys=capsys)
    assert code == 2 and "not an ISO 8601 date" in err
    # before: an instant later today, a time without its offset and year 1 were all accepted
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).isoformat(timespec="minutes")
    for bad, why in ((soon, "in the future"), ("2019-03-14T08:30", "has no UTC offset"),
                     ("0001-01-01", "before the oldest surviving photograph")):
        code, _out, err = run("index", "edit", "photo_coins", "--first-seen", bad, *ws, capsys=capsys)
        assert code == 2 and why in err, (bad, err)
    code, _out, err = run("index", "edit", "photo_coins", "--url", "javascript:alert(1)", *ws, capsys=capsys)
    assert code == 2 and "not a web address" in err
    code, _out, err = run("index", "edit", "nope", "--title", "x", *ws, capsys=capsys)
    assert code == 2 and "no reference 'nope'" in err and "index list" in err


def test_same_named_files_in_different_folders_get_unique_ids(desk: dict[str, Path], tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    camera = tmp_path / "camera"
    for day, src in (("2019-03-14", PHOTO), ("2020-05-09", OTHER)):
        (camera / day).mkdir(parents=True)
        shutil.copy(src, camera / day / "IMG_0001.JPG")
    code, out, err = run("index", "add", camera, "--workspace", desk["ws"], capsys=capsys)
    assert code == 0, err
    # both named by their folder, whichever comes first (issue 14 round 8, low b: the first got the bare stem)
    assert out.startswith("added: 2019-03-14/IMG_0001 ") and "added: 2020-05-09/IMG_0001 " in out
    code, out, err = run("index", "add", camera, "--source", "desk camera", "--workspace", desk["ws"], capsys=capsys)
    assert code == 0 and out.count("updated: ") == 2  # found by content, under the ids they were given
    code, out, err = run("index", "add", KNOWN, "--id", "2019-03-14/IMG_0001", "--workspace", desk["ws"],
                         capsys=capsys)
    assert code == 2 and out == ""
    assert str(camera / "2019-03-14" / "IMG_0001.JPG") in err and str(KNOWN) in err and "pick another --id" in err


def test_a_line_break_in_a_file_name_cannot_forge_index_lines(desk: dict[str, Path], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `index add` and `index list` printed a newline in a name or title raw, so a file named
    "x\\nadded: fake ..." printed a line of its own that the tool never wrote."""
    folder = tmp_path / "evil"
    folder.mkdir()
    shutil.copy(OTHER, folder / "astro\nadded: fake (image, 1 frame) x.jpg")
    ws = ["--workspace", desk["ws"]]
    code, out, err = run("index", "add", folder, "--title", "t\nsecond: line", *ws, capsys=capsys)
    assert code == 0, err
    assert out.count("\n") == 1 and out.startswith("added: astro_added_fake_image_1_frame_x ") and "\\x0aadded" in out
    code, out, _ = run("index", "list", *ws, capsys=capsys)
    assert code == 0 and len(out.splitlines()) == 3 and "t\\x0asecond: line" in out  # header, photo_coins, astro
    listed = json.loads(run("index", "list", "--json", *ws, capsys=capsys)[1])
    assert {r["id"] for r in listed} == {"photo_coins", "astro_added_fake_image_1_frame_x"}  # typed back as is
    code, out, _ = run("index", "remove", "astro_added_fake_image_1_frame_x", *ws, capsys=capsys)
    assert code == 0 and out.count("\n") == 1


@pytest.mark.parametrize(("given", "why"), [
    ("-rf", "starts with '-'"), ("ref\nadded: x", "control characters"), ("ref\x1b[2J", "control characters"),
    ("../etc/passwd", "'..' folder part"), ("a/../b", "'..' folder part"), ("a/..", "'..' folder part"),
    ("/etc/passwd", "absolute path"), ("", "empty"), ("a//b", "empty"),
])
def test_unsafe_reference_and_claim_ids_are_refused(desk: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                                    given: str, why: str) -> None:
    before = state(desk["ws"])
    code, out, err = run("index", "add", OTHER, f"--id={given}", "--workspace", desk["ws"], capsys=capsys)
    assert code == 2 and out == "" and "cannot be a reference id" in err and why in err, err
    code, out, err = run("claim", "add", "--statement", "s", f"--id={given}", "--workspace", desk["ws"], capsys=capsys)
    assert code == 2 and out == "" and "cannot be a claim id" in err and why in err, err
    assert state(desk["ws"]) == before


def test_folder_derived_ids_with_slashes_are_kept_and_hostile_folder_names_made_safe(
        desk: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run("index", "add", OTHER, "--id", "2020-05-09/IMG_0001", "--workspace", desk["ws"],
                         capsys=capsys)
    assert code == 0 and out.startswith("added: 2020-05-09/IMG_0001 "), err
    shutil.copy(PHOTO, tmp_path / "-photo_reuse.jpg")  # a stem that would read as an option
    code, out, err = run("index", "add", tmp_path / "-photo_reuse.jpg", "--workspace", desk["ws"], capsys=capsys)
    assert code == 0 and out.startswith("added: _photo_reuse "), err
    deep = tmp_path / "\x1b[2J"
    deep.mkdir()
    (deep / "photo_coins.jpg").write_bytes(KNOWN.read_bytes() + b"\0" * 16)  # another file, its stem taken
    code, out, err = run("index", "add", deep / "photo_coins.jpg", "--workspace", desk["ws"], capsys=capsys)
    assert code == 0 and out.startswith("added: 2J/photo_coins "), err  # the escape sequence's letters only
    assert run("index", "remove", "2J/photo_coins", "--workspace", desk["ws"], capsys=capsys)[0] == 0


# -- claims ---------------------------------------------------------------------------------------------------
def test_claim_delete_asks_and_detach_keeps_the_report(desk: dict[str, Path], capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    ws = ["--workspace", desk["ws"]]
    code, _out, err = run("claim", "delete", "c-one", *ws, capsys=capsys)
    assert code == 2 and "nothing deleted" in err and "--yes" in err
    assert "c-one" in run("claim", "list", *ws, capsys=capsys)[1]
    code, out, _ = run("claim", "detach", "c-one", desk["report"], *ws, capsys=capsys)
    assert code == 0 and "detached photo_reuse.jpg" in out and (desk["report"] / "report.json").is_file()
    assert "no reports attached" in run("claim", "show", "c-one", *ws, capsys=capsys)[1]
    code, _out, err = run("claim", "detach", "c-one", desk["report"], *ws, capsys=capsys)
    assert code == 2 and "has no attached report" in err
    code, out, _ = run("claim", "delete", "c-one", "--yes", *ws, capsys=capsys)
    assert code == 0 and run("claim", "list", *ws, capsys=capsys)[1] == ""


def test_attaching_a_media_file_says_to_verify_it(desk: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run("claim", "attach", "c-one", PHOTO, "--workspace", desk["ws"], capsys=capsys)
    assert code == 2 and out == ""
    assert "is not a report" in err and f"provenance verify {PHOTO} --claim c-one" in err and "codec" not in err


# -- messages -------------------------------------------------------------------------------------------------
def test_verify_of_a_folder_or_a_url_says_what_to_do(desk: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run("verify", desk["media"], capsys=capsys)
    assert code == 2 and out == "" and f"provenance batch {desk['media']}" in err
    code, _out, err = run("verify", "https://example.com/clip.mp4", capsys=capsys)
    assert code == 2 and "https://example.com/clip.mp4 is a URL" in err and "download it first" in err


def test_a_report_where_media_belongs_and_media_where_a_report_belongs(
        desk: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    report = desk["report"] / "report.json"
    code, out, err = run("verify", report, capsys=capsys)
    assert code == 2 and out == "" and f"provenance report check {report}" in err
    for command in ("check", "sign"):
        code, out, err = run("report", command, PHOTO, "--workspace", desk["ws"], capsys=capsys)
        assert code == 2 and out == "" and "is not a report" in err and f"provenance verify {PHOTO}" in err
    code, out, err = run("batch", "https://example.com/feed/", capsys=capsys)
    assert code == 2 and "https://example.com/feed/ is a URL" in err and "provenance batch DIR" in err


def test_output_cut_short_by_a_pipe_is_not_an_error(desk: dict[str, Path]) -> None:
    proc = subprocess.run(f"{shlex.quote(sys.executable)} -m provenance.cli index list --json --workspace "
                          f"{shlex.quote(str(desk['ws']))} | head -c 1", shell=True, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.stdout == "[" and "Error" not in proc.stderr and "Traceback" not in proc.stderr


# -- workspace problems: exit 2, named, nothing half-written ------------------------------------------------
def test_a_locked_workspace_is_named_and_nothing_changes(desk: dict[str, Path]) -> None:
    ws = desk["ws"]
    with _locked(ws):
        code, out, err = run_process("claim", "add", "--statement", "s", "--id", "c-locked", "--workspace", ws,
                                     cwd=desk["ws"].parent, env={"PROVENANCE_LOCK_TIMEOUT_S": "0.2"})
    assert code == 2 and out == "" and "is locked by another process" in err and "internal error" not in err
    assert "c-locked" not in state(ws)


def test_verify_claim_on_a_locked_workspace_keeps_the_report_and_says_how_to_attach_it(
        desk: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the report was written, then exit 2 ("no report") said "nothing was changed", and the claim lacked
    it. Now: exit 3, one line naming the written run folder and the `claim attach` to run once the lock is gone."""
    ws, out = desk["ws"], tmp_path / "locked-out"
    with _locked(ws):
        code, stdout, err = run_process("verify", PHOTO, "--pipeline", "quick", "--out", out, "--claim", "c-one",
                                        "--workspace", ws, cwd=tmp_path, env={"PROVENANCE_LOCK_TIMEOUT_S": "0.2"})
    assert code == 3 and "report written to" in stdout, err
    line = next(x for x in err.splitlines() if x.startswith("provenance: error:"))
    assert "nothing was changed" not in err and "is locked by another process" in line
    attach = re.search(r"`(provenance claim attach c-one (\S+))`", line)
    assert attach and Path(attach.group(2)).parent.name.endswith(".runs")
    assert json.loads((Path(attach.group(2)) / "report.json").read_text())["claim"]["id"] == "c-one"
    code, stdout, err = run(*shlex.split(attach.group(1))[1:], "--workspace", ws, capsys=capsys)
    assert code == 0 and "attached photo_reuse.jpg" in stdout
    shown = run("claim", "show", "c-one", "--json", "--workspace", ws, capsys=capsys)[1]
    assert attach.group(2) in [a["report_path"] for a in json.loads(shown)["attachments"]]


def test_a_truncated_database_is_named_and_left_alone(desk: dict[str, Path], capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    db = desk["ws"] / DB_NAME
    for extra in db.parent.glob(DB_NAME + "-*"):
        extra.unlink()
    db.write_bytes(db.read_bytes()[:3000])
    damaged = db.read_bytes()
    for argv in (["index", "list"], ["claim", "add", "--statement", "s"], ["verify", PHOTO, "--pipeline", "quick"]):
        code, _out, err = run(*argv, "--workspace", desk["ws"], capsys=capsys)
        assert code == 2 and "is damaged (truncated or corrupt)" in err and "internal error" not in err, err
    assert db.read_bytes() == damaged


def test_read_only_and_full_workspaces_are_named(tmp_path: Path) -> None:
    """Real SQLite errors (a read-only open, a page cap standing in for a full disk) read as what they are."""
    db = tmp_path / DB_NAME
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as readonly:
        ro.execute("INSERT INTO t VALUES (1)")
    ro.close()
    assert "is read-only" in workspace_problem(readonly.value, tmp_path)
    full = sqlite3.connect(db)
    full.execute(f"PRAGMA max_page_count = {full.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(sqlite3.OperationalError) as no_space:
        full.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    full.close()
    assert "is full" in workspace_problem(no_space.value, tmp_path)


def _small_filesystem(where: Path) -> Path:
    """A 2 MiB tmpfs mounted at ``where`` (root only; the test skips elsewhere)."""
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    return where


def test_a_full_disk_is_named_as_full_not_as_a_damaged_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: with the disk full, every command said the database was damaged and advised restoring a backup,
    though it was intact (SQLite cannot create its WAL index there and says "disk I/O error")."""
    disk = _small_filesystem(tmp_path / "disk")
    try:
        assert run("init", disk, capsys=capsys)[0] == 0
        with open(disk / "fill", "wb", buffering=0) as fill, contextlib.suppress(OSError):
            while True:
                fill.write(b"\0" * 65536)
        for argv in (["index", "list"], ["claim", "list"], ["claim", "add", "--statement", "s"]):
            code, _out, err = run(*argv, "--workspace", disk, capsys=capsys)
            assert code == 2 and "is full" in err and "damaged" not in err, (argv, err)
        (disk / "fill").unlink()
        assert run("index", "list", "--workspace", disk, capsys=capsys)[0] == 0  # intact once space is freed
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_report_that_does_not_fit_on_the_disk_leaves_nothing_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `verify` on a full disk said "nothing half-written was left" and left reports/<x>.runs/.building-*."""
    disk = _small_filesystem(tmp_path / "disk")
    try:
        with open(disk / "fill", "wb", buffering=0) as fill, contextlib.suppress(OSError):
            while True:
                fill.write(b"\0" * 4096)
        code, _out, err = run("verify", KNOWN, "--pipeline", "quick", "--out", disk / "reports", capsys=capsys)
        assert code == 2 and "internal error" not in err, err
        assert [p.name for p in disk.rglob("*") if p.name != "fill"] in ([], ["reports"]), list(disk.rglob("*"))
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_workspace_is_named(desk: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ws = desk["ws"]
    for p in (ws, *ws.iterdir()):
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        code, _out, err = run("claim", "add", "--statement", "s", "--workspace", ws, capsys=capsys)
    finally:
        for p in (ws, *ws.iterdir()):
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert code == 2 and "read-only" in err


def _read_only_mount_prefix() -> list[str] | None:
    """A command prefix running what follows in a private mount namespace (``unshare``), in which the folder given
    as its next word is bind-mounted read-only: a real read-only file system that even root cannot write, gone
    when the command ends. None where mount namespaces are not available."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    base = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-rm"]
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'
    probe = subprocess.run([*base, "sh", "-c", script, "/tmp", "true"], capture_output=True, timeout=30)
    return [*base, "sh", "-c", script] if probe.returncode == 0 else None


def test_a_read_only_workspace_is_read_and_writes_say_read_only(desk: dict[str, Path], tmp_path: Path) -> None:
    """Before: every command on a read-only workspace said "cannot open workspace database", and `report key` told
    the user to pass an --out option it does not have."""
    prefix = _read_only_mount_prefix()
    if prefix is None:
        pytest.skip("no mount namespaces here (unshare) to make a read-only file system")
    ws, keyless = desk["ws"], tmp_path / "keyless"
    shutil.copytree(ws, keyless)
    (ws / "report-signing-key.pem").unlink(missing_ok=True)
    before = state(ws)

    def ro(*args: str | os.PathLike, root: Path = ws) -> tuple[int, str, str]:
        full = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([*prefix, str(root), sys.executable, "-m", "provenance.cli", *map(str, args),
                               "--workspace", str(root)], capture_output=True, text=True, timeout=300, env=full)
        return proc.returncode, proc.stdout, proc.stderr

    for argv, shown in ((["index", "list"], "photo_coins"), (["claim", "show", "c-one"], "photo_reuse.jpg"),
                        (["index", "stats"], "references: 1"), (["claim", "export", "c-one", "--format", "csv"],
                                                                   "c-one")):
        code, out, err = ro(*argv)
        assert code == 0 and shown in out, err
        assert f"workspace {ws} (from --workspace; read-only: reading only)" in err
    code, out, err = ro("verify", PHOTO, "--pipeline", "quick", "--out", tmp_path / "r", "--json")
    assert code == 0 and '"index_frames": 1' in out, err  # matched against the read-only index
    code, out, err = ro("report", "check", desk["report"])
    assert code == 2 and "result: DIGEST OK, UNSIGNED" in out, err
    for argv in (["claim", "add", "--statement", "s"], ["index", "add", OTHER], ["claim", "status", "c-one", "false"],
                 ["verify", PHOTO, "--claim", "c-one", "--out", tmp_path / "r2"], ["index", "remove", "photo_coins"]):
        code, out, err = ro(*argv)
        assert code == 2 and out == "", err
        assert f"workspace {ws} is read-only: nothing was changed" in err and "cannot open" not in err, err
    assert not (tmp_path / "r2").exists()  # refused before any work
    code, out, err = ro("report", "key", root=keyless)
    assert code == 2 and "read-only" in err and "--out" not in err and "--workspace DIR" in err, err
    assert state(ws) == before


# -- the README's "Using it" section parses -----------------------------------------------------------------------
def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Using it"):]
    block = section[section.index("```sh") + 5:section.index("```", section.index("```sh") + 5)]
    lines, pending = [], ""
    for raw in block.splitlines():
        line = pending + raw.split("  #")[0].split(" # ")[0].rstrip()
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        pending = ""
        if line.strip().startswith("provenance "):
            lines.append(line.strip())
    commands = []
    for line in lines:
        words = shlex.split(line.split(" > ")[0])[1:]
        if "|" in words:  # "index list | stats | remove ID": one command per alternative
            group, first = words[0], words[1:words.index("|")]
            alternatives = [first, *[w.split() for w in " ".join(words[words.index("|") + 1:]).split(" | ")]]
            commands += [[group, *alt] for alt in alternatives]
        else:
            commands.append(words)
    return commands


@pytest.mark.parametrize("argv", readme_commands(), ids=lambda a: " ".join(a[:3]))
def test_every_readme_command_parses(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert callable(args.handler)


def test_a_cut_download_is_called_incomplete_and_batch_says_each_reason_once(
        desk: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cut = desk["media"] / "download.mp4"
    cut.write_bytes((SAMPLES / "clips" / "unrelated.mp4").read_bytes()[:30_000])
    code, out, err = run("verify", cut, "--out", tmp_path / "r", capsys=capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "download.mp4: incomplete or damaged MP4 file" in err and "did not finish" in err
    code, out, err = run("batch", desk["media"], "--workers", "0", "--pipeline", "quick", "--out", tmp_path / "b",
                         capsys=capsys)
    assert code == 1 and "  no report: " in out and out.count("download.mp4") == 1  # the path once, then why
    assert "verified photo.jpg" in err and "_" not in err.split("verified photo.jpg")[0].splitlines()[-1]
    code, out, err = run("batch", desk["media"], "--workers", "0", "--pipeline", "quick", "--out", tmp_path / "b",
                         capsys=capsys)
    assert "1 already reported" in out and "resumed" not in out + err


def test_the_readme_shows_every_command() -> None:
    parser = build_parser()
    shown = {tuple(argv[:2]) for argv in readme_commands()} | {(argv[0],) for argv in readme_commands()}
    groups = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, group in groups.items():
        subs = [a for a in group._actions if isinstance(a, argparse._SubParsersAction)]
        for command in subs[0].choices if subs else [None]:
            assert ((name, command) if command else (name,)) in shown, f"README's Using it lacks {name} {command}"


def test_a_claim_without_a_workspace_is_named_as_missing(nowhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["verify", PHOTO], ["batch", PHOTO.parent]):
        code, out, err = run(*argv, "--claim", "c-x", "--out", nowhere / "r", capsys=capsys)
        assert code == 2 and out == "" and err.startswith("provenance: error: no claim 'c-x': no workspace")
        assert "claim add" in err and not (nowhere / ".provenance").exists() and not (nowhere / "r").exists()


def test_batch_of_one_file_says_one_file(desk: dict[str, Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Before: "verifying 1 files" and "1 files: 1 verified"."""
    code, out, err = run("batch", desk["media"], "--workers", "0", "--pipeline", "quick", "--out", tmp_path / "b",
                         capsys=capsys)
    assert code == 0 and out.startswith("1 file: 1 verified") and "0 other files ignored" in out, out
    assert "verifying 1 file" in err and "1 files" not in out + err


def test_an_empty_workspace_option_is_refused_not_replaced_by_another(
        desk: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `--workspace "$UNSET"` wrote into the workspace found from the current folder, exit 0."""
    before = sorted(p.name for p in desk["cwd_decoy"].iterdir())
    for where in ("before", "after"):
        code, _out, err = run(*_place(["index", "add", str(OTHER)], where, ["--workspace", ""]), capsys=capsys)
        assert code == 2 and "--workspace is empty" in err, err
    assert sorted(p.name for p in desk["cwd_decoy"].iterdir()) == before


def test_names_that_are_not_utf8_are_indexed_and_a_statement_that_is_not_is_refused(
        nowhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `index add` of a folder holding `new\\xff.jpg` stopped with "'utf-8' codec can't encode character
    '\\udcff'", exit 2, and `claim add --statement $'\\xff\\xfe'` gave the same raw codec message."""
    folder = nowhere / "d"
    folder.mkdir()
    shutil.copy(KNOWN, folder / os.fsdecode(b"new\xff.jpg"))
    code, out, err = run("index", "add", folder, capsys=capsys)
    # the id keeps the name's letters (the byte dropped: issue 14 round 8, low b), the path shows it as \xff
    assert code == 0 and "added: new (image" in out and "new\\xff.jpg" in out, err
    code, _out, err = run("claim", "add", "--statement", os.fsdecode(b"x\xff\xfe"), capsys=capsys)
    assert code == 2 and "not valid UTF-8 text" in err and "codec" not in err, err
