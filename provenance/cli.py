"""Command line: argument parsing and printing only; the work is done by the library.

Start-up is light: the libraries of verification (PyAV, OpenCV, FAISS, Dask, Jinja2) are imported by the
handlers that use them, so ``--help``, ``claim`` and ``report check`` start in a fraction of a second
(``tests/test_imports.py`` holds ``provenance.cli`` to that).

Exit codes: 0 report written and every stage ok; 1 report written, some stage failed; 2 no report (bad
arguments, unreadable input, an input over its ``[limits]``, an unusable workspace); 3 (``verify --claim``) report
written but not attached to the claim (the workspace was locked or full: one line says so and gives the
``claim attach`` command to run later). Whatever goes wrong, the
user gets one line on stderr saying what failed, why and what to run next, never a traceback (``--debug``
anywhere on the command line shows it). Every command that uses a workspace names it on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import re
import sqlite3
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from provenance import cli_batch, cli_claim, cli_keyframes, cli_report, cli_search
from provenance._version import __version__
from provenance.claims import NotAttached
from provenance.cli_common import (
    add_pipeline_args,
    add_sign_arg,
    as_program,
    global_options,
    limit_memory,
    looks_like_json,
    merge_globals,
    misplaced_option,
    name_workspace,
    open_workspace,
    pipeline_from_args,
    refuse_url,
    say,
)
from provenance.config import load_pipeline
from provenance.errors import ProvenanceError
from provenance.safetext import TerminalStream, terminal
from provenance.workspace import Workspace, locate, new_workspace_in, workspace_problem

if TYPE_CHECKING:
    from provenance.visual.index import KnownImageryIndex, Reference

EXIT_OK, EXIT_STAGE_ERROR, EXIT_NO_REPORT = 0, 1, 2
EXIT_NOT_ATTACHED = 3  # verify --claim: the report was written, but the workspace refused the attachment

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _command_groups() -> list[Register]:
    """Each command group adds its subparsers and sets ``handler``; its logic lives in its own module."""
    return [_register_core, cli_report.register, cli_batch.register, cli_claim.register, cli_keyframes.register,
            cli_search.register]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provenance", parents=[global_options(0)],
        description="Offline media provenance: recycled-footage matching, metadata, spoken language.",
        epilog="--workspace and --debug may be given before or after the command. The workspace is --workspace "
        "DIR, else $PROVENANCE_WORKSPACE, else the nearest .provenance folder here or above (as git finds .git); "
        "every command names the one it used on stderr.",
    )
    parser.add_argument("--version", action="version", version=f"provenance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _command_groups():
        register(sub)
    return parser


def _register_core(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    v = sub.add_parser("verify", parents=[global_options(1)], help="verify one media file and write its report")
    v.add_argument("path", help="a media file (for a folder: provenance batch DIR)")
    add_pipeline_args(v)
    v.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default ./reports)")
    v.add_argument("--json", action="store_true", help="print the report JSON to stdout")
    v.add_argument("--claim", metavar="ID", help="assess the report against this claim and attach it")
    v.add_argument("--replace", action="store_true",
                   help="with --claim: replace the claim's signed report of this file even if this one is signed "
                        "otherwise or unsigned (as claim attach --replace)")
    add_sign_arg(v)
    v.set_defaults(handler=_verify)

    init = sub.add_parser("init", parents=[global_options(1)], help="create a workspace: ./.provenance, or "
                          "DIR/.provenance")
    init.add_argument("dir", nargs="?", type=Path, metavar="DIR", help="the project folder: the workspace is "
                      "DIR/.provenance, as git init DIR makes DIR/.git (DIR itself when it is called .provenance or "
                      "already holds provenance.db; default: --workspace, else $PROVENANCE_WORKSPACE, else the "
                      "nearest .provenance here or above, else ./.provenance)")
    init.set_defaults(handler=_init)

    idx = sub.add_parser("index", parents=[global_options(1)], help="manage the known-imagery index")
    idx.set_defaults(handler=_index)
    isub = idx.add_subparsers(dest="index_command", required=True, metavar="COMMAND")
    common = global_options(2)
    add = isub.add_parser("add", parents=[common], help="index videos, images or folders of them; re-adding an "
                          "indexed file updates the metadata given; the same bytes from another path or under "
                          "another --id become a linked reference sharing the indexed frames")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--id", help="reference id (one file only; default: the file stem, with its folder names "
                     "before it when another file has that stem)")
    _metadata_args(add)
    add.add_argument("--pipeline", default="standard", help="profile whose frame sampling to use")
    add.add_argument("--workers", type=int, default=0, metavar="N",
                     help="processes decoding files side by side (default 0: one per core); the index is written "
                          "by one process, a reference at a time, so an interrupted add re-run adds the rest")
    edit = isub.add_parser("edit", parents=[common], help="change a reference's title, source, URL or first-seen "
                           "date (the old values are kept in its history)")
    edit.add_argument("id")
    _metadata_args(edit, clear=True)
    for name, text in (("list", "list references with source, URL and first-seen date"), ("stats", "index size")):
        p = isub.add_parser(name, parents=[common], help=text)
        p.add_argument("--json", action="store_true")
    rm = isub.add_parser("remove", parents=[common], help="remove a reference and its frames (frames that linked "
                         "references share pass to the earliest-added of them)")
    rm.add_argument("id")
    ex = isub.add_parser("export", parents=[common], help="write the index's frame hashes and reference metadata "
                         "(no pictures) as a shareable hash list: vPDQ frame lines under JSON metadata lines")
    ex.add_argument("--out", type=Path, help="the list file to write; never overwritten (default: "
                    "known-footage-<UTC time>.txt here)")
    ex.add_argument("--name", help="the list's name, shown by matches in the workspaces that import it")
    im = isub.add_parser("import", parents=[common], help="add a shared hash list (provenance's export, or a vPDQ "
                         "hash file) as hash-only references: matches name the list and --source")
    im.add_argument("file", type=Path, metavar="FILE")
    im.add_argument("--source", required=True, help="who shared the list (a desk, an agency)")
    im.add_argument("--name", help="the list's name (default: its own, else the file name)")
    im.add_argument("--id", help="reference id, for a list of one reference (a vPDQ file)")
    im.add_argument("--title", help="title, for a list of one reference (a vPDQ file carries none)")
    im.add_argument("--url", help="where it was published, for a list of one reference")
    im.add_argument("--first-seen", help="earliest known publication (ISO 8601), for a list of one reference")


def _metadata_args(parser: argparse.ArgumentParser, clear: bool = False) -> None:
    empty = " ('' clears it)" if clear else ""
    parser.add_argument("--title", help="title" + empty)
    parser.add_argument("--source", help="who published it, e.g. a channel or agency" + empty)
    parser.add_argument("--url", help="where it was published" + empty)
    parser.add_argument("--first-seen", help="earliest known publication, ISO 8601: YYYY-MM-DD or a date-time "
                        "with its offset (2019-03-14T08:30+02:00); not in the future" + empty)


def main(argv: list[str] | None = None) -> int:
    """Run a command with stdout and stderr escaping control characters (names and metadata are untrusted)."""
    _printable_streams()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalStream(sys.stdout), TerminalStream(sys.stderr)  # type: ignore[assignment]
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = saved


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    words = sys.argv[1:] if argv is None else argv
    problem = misplaced_option(words, _commands(parser))
    if problem:
        parser.error(problem)
    args = parser.parse_args(words)
    try:
        merge_globals(args)
    except ProvenanceError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(message)s")
    try:
        return args.handler(args)
    except BrokenPipeError:  # `provenance claim show ID | head -1`: the reader left; not an error to report
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (ProvenanceError, OSError, ValueError, sqlite3.Error) as exc:
        if args.debug:  # the traceback, and the same exit code as without --debug
            traceback.print_exc()
        print(f"provenance: error: {_for_people(exc, args)}", file=sys.stderr)
        return EXIT_NO_REPORT
    except KeyboardInterrupt:
        print("provenance: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line for the user (and no report), the traceback under --debug
        if args.debug:
            traceback.print_exc()
        print(f"provenance: internal error: {type(exc).__name__}: {_one_line(exc)}"
              + ("" if args.debug else " (run with --debug for the traceback)"), file=sys.stderr)
        return EXIT_NO_REPORT


def _commands(parser: argparse.ArgumentParser) -> dict[str, set[str]]:
    """Each command and its subcommands (``index`` -> {add, edit, ...}; ``verify`` -> none)."""
    groups = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    found = {}
    for name, group in groups.items():
        subs = [a for a in group._actions if isinstance(a, argparse._SubParsersAction)]
        found[name] = set(subs[0].choices) if subs else set()
    return found


def _for_people(exc: BaseException, args: argparse.Namespace) -> str:
    """The one line: workspace and disk problems named as such, everything else as the library said it."""
    if isinstance(exc, sqlite3.Error | OSError):
        problem = workspace_problem(exc, locate(args.workspace).root)
        if problem is not None and isinstance(exc, sqlite3.Error):
            return problem
        code = getattr(exc, "errno", None)
        where = getattr(exc, "filename", None) or "a file"
        if code == errno.ENOSPC:
            return f"disk full while writing {where}: nothing half-written was left; free some space and run again"
        if code == errno.EROFS:
            root = locate(args.workspace).root
            if Path(where).is_relative_to(root) or not hasattr(args, "out"):
                return (f"cannot write {where}: the file system is read-only; use a workspace on a writable one "
                        f"(--workspace DIR)")
            return f"cannot write {where}: the file system is read-only; choose another folder (--out DIR)"
        if code == errno.EACCES:
            return f"cannot read or write {where}: permission denied"
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return " ".join(text.split())[:1000] or type(exc).__name__


def _printable_streams() -> None:
    """File names are untrusted bytes: print ones that are not UTF-8 as escapes instead of failing on them."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _verify(args: argparse.Namespace) -> int:
    from provenance.report.writer import to_json  # the verification's libraries load with the command that needs
    from provenance.service import verify_to_folder  # them: `provenance --help` or `claim list` pays for none
    from provenance.visual.index import KnownImageryIndex

    path = Path(args.path)
    refuse_url(args.path, "verify")
    if path.suffix == ".json" and path.is_file() and looks_like_json(path):
        raise ProvenanceError(f"{args.path}: a JSON file, not media (a report? check it with `provenance report "
                              f"check {args.path}`)")
    if path.is_dir():
        raise ProvenanceError(f"{args.path}: not a regular file (a folder); to verify every media file in it, run "
                              f"`provenance batch {args.path}`")
    workspace = open_workspace(args, "optional", later=True, claim=args.claim)
    pipeline = pipeline_from_args(args)
    # the index is read before any work, so a damaged workspace is exit 2 with no report (not a failed stage)
    index = KnownImageryIndex(workspace)
    if pipeline.enabled("visual"):
        index.matchable_frames(pipeline.visual.matching.min_quality)
    # the claim is looked up first: an unknown one is exit 2 before any work
    not_attached = None
    try:
        report, folder = verify_to_folder(path, pipeline=pipeline, workspace=workspace, out=args.out,
                                          claim_id=args.claim, index=index, sign=args.sign,
                                          replace=args.replace)
    except NotAttached as exc:  # the report is written: print it as usual, then why the claim lacks it
        report, folder, not_attached = exc.report, exc.folder, exc
    name_workspace(args)
    if args.json:
        sys.stdout.write(to_json(report))
        say(f"report written to {folder} (report.json, report.html, report.md)")
    else:
        print(f"{terminal(str(args.path))}: report written to {terminal(str(folder))} (report.json, "
              "report.html, report.md)")
        for f in report.findings:
            print(f"  [{f.severity}] {terminal(f.message)}")
    from provenance.findings import said_before

    same = said_before(report)  # a refusal two stages share is printed once
    for e in report.errors:
        failed = "failed: " if (s := report.sections.get(e.stage)) is None or s.status != "ok" else ""
        message = f"for the same reason as the {same[e.stage]} stage" if e.stage in same else e.message
        print(f"provenance: {e.stage} stage {failed}{terminal(message)}", file=sys.stderr)
    if not_attached is not None:
        print(f"provenance: error: {terminal(str(not_attached))}", file=sys.stderr)
        return EXIT_NOT_ATTACHED
    if args.claim:
        from provenance.claims import ClaimStore
        from provenance.cli_claim import refresh_dossier

        kept = next((a for a in ClaimStore(workspace).attachments(args.claim) if a.sha256 == report.media.sha256),
                    None)
        if kept is not None and Path(kept.report_path) != Path(folder).resolve():  # report/runs.py: D3
            print(f"provenance: notice: this run did not read the on-screen text; claim {terminal(args.claim)} keeps "
                  f"the earlier run of this file that did: {terminal(kept.report_path)}", file=sys.stderr)
        refresh_dossier(workspace, args.claim)
    return EXIT_STAGE_ERROR if report.errors else EXIT_OK


def _init(args: argparse.Namespace) -> int:
    """Create the workspace of DIR (or of --workspace DIR): DIR/.provenance in a project folder, as git init
    does (:func:`new_workspace_in`), so a command run in DIR finds it; else the one every other command here
    would use (:func:`locate`: $PROVENANCE_WORKSPACE, the nearest .provenance up the tree, else ./.provenance).
    An existing one is kept."""
    named = args.dir if args.dir is not None else (Path(args.workspace) if args.workspace else None)
    if named is not None:
        root = new_workspace_in(named)
        if args.dir is not None and args.workspace and root != new_workspace_in(args.workspace):
            raise ProvenanceError(f"init {args.dir} and --workspace {args.workspace} name two folders: give one")
        how = "as given"
    else:
        where = locate()
        root, how = where.root, where.described
    created = Workspace(root).initialise()
    say(f"workspace {root} (new: created by this command, {how})" if created else f"workspace {root} ({how})")
    print(f"created workspace {root}" if created else f"workspace {root} exists already: nothing changed")
    return EXIT_OK


def _media_in(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files ``index add`` indexes, and the files met in a named folder that are not media (by content:
    :func:`provenance.sniff.identify`, as ``batch`` finds them): a folder of footage often holds notes or a
    metadata file, which is skipped with a note, not an error. A file named on its own is always tried, so a
    named file that is not media is still an error."""
    from provenance.sniff import identify, walk  # PyAV: only for index add

    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for file in walk(path):
            (files if identify(file) is not None else skipped).append(file)
    return files, skipped


def _with_folder(shown: str, message: str) -> str:
    """An ``index add`` error naming the file with its folder (``known/references.toml: ...``): a message that
    starts with the bare file name gets the path it was given instead."""
    name = Path(shown).name
    if message.startswith(f"{name}: "):
        message = message[len(name) + 2:]
    return message if message.startswith(f"{shown}: ") else f"{shown}: {message}"


def _with_sidecars(files: list[Path], args: argparse.Namespace,
                   index: KnownImageryIndex) -> list[tuple[list[Path], dict[str, str | None]]]:
    """``index add``'s files, each with its metadata: the flags given, and what a platform sidecar beside the file
    (yt-dlp, Telegram export, auto-archiver: :mod:`provenance.sidecar.formats`) adds where no flag was given;
    said on stderr. A refused sidecar (malformed, or a record of another file: checked against the file's
    duration) is said and nothing of it is used; the file is indexed all the same. A sidecar fills only what a
    reference already indexed lacks: a value the desk recorded (by ``index edit``, a flag or an earlier sidecar)
    outranks it, as flags do. Files in the order given; neighbours without a sidecar go together."""
    from provenance.media import probe
    from provenance.sidecar.formats import REFERENCE_FIELDS, SidecarError, find, reference_metadata

    flags = {k: getattr(args, k) for k in REFERENCE_FIELDS}
    if args.id is not None and len(files) != 1:
        return [(files, flags)]  # index.add refuses it with its own message
    out: list[tuple[list[Path], dict[str, str | None]]] = []
    for file in files:
        sidecar = sha = None
        try:
            sidecar = find(file)
            if sidecar is not None:
                try:
                    media = probe(file)
                except ProvenanceError:
                    media = None  # index.add says why the file cannot be indexed
                if media is not None:
                    sha = media.sha256
                    find(file, duration_s=media.duration_s if media.kind != "image" else None)
        except SidecarError as exc:
            print(f"provenance: warning: {terminal(str(exc))}", file=sys.stderr)
            sidecar = None
        except OSError as exc:  # a sidecar that cannot be read: said with the file's name, the folder goes on
            print(f"provenance: warning: {terminal(str(file))}: its sidecar was not read "
                  f"({terminal(exc.strerror or str(exc))}); indexed without it", file=sys.stderr)
            sidecar = None
        taken = {k: v for k, v in reference_metadata(sidecar).items() if flags[k] is None} if sidecar else {}
        kept = _recorded(index, sha, taken) if taken else {}
        taken = {k: v for k, v in taken.items() if k not in kept}
        if kept:
            print(f"provenance: {terminal(str(file))}: kept {', '.join(k.replace('_', '-') for k in kept)} as "
                  f"recorded for {terminal(', '.join(sorted(set(kept.values()))))}, not the {sidecar.format} "
                  "sidecar's (a sidecar fills only what a reference lacks; change them with `provenance index "
                  "edit`)", file=sys.stderr)
        if not taken:
            if out and out[-1][1] is flags:
                out[-1][0].append(file)
            else:
                out.append(([file], flags))
            continue
        named = ", ".join(k.replace("_", "-") for k in taken)
        print(f"provenance: {terminal(str(file))}: {named} from the {sidecar.format} sidecar "
              f"{terminal(sidecar.file)}", file=sys.stderr)
        if "first_seen" in taken and sidecar.forwarded_from:
            print(f"provenance: {terminal(str(file))}: the first-seen date is when the message was forwarded from "
                  f"{terminal(sidecar.forwarded_from)}, not when that source first posted it", file=sys.stderr)
        out.append(([file], flags | taken))
    return out


def _recorded(index: KnownImageryIndex, sha256: str | None, taken: dict[str, str]) -> dict[str, str]:
    """Of the fields a sidecar would give, those a reference of these bytes already holds: field -> its id."""
    if not sha256:
        return {}
    kept: dict[str, str] = {}
    with index.workspace.reading() as conn:
        for row in conn.execute("SELECT * FROM reference WHERE sha256 = ?", (sha256,)).fetchall():
            for k in taken:
                if row[k] not in (None, "") and k not in kept:
                    kept[k] = row["id"]
    return kept


def _motion_photo(ref: Reference) -> str:
    """``index list``'s words for a motion photo indexed with its clip ("motion photo: still + 3.0 s clip, "),
    else nothing: listed as a plain "video", the JPEG's clip looked like a file that was not there."""
    if not ref.motion_photo():
        return ""
    length = f"{ref.duration_s:.1f} s " if ref.duration_s else ""
    return f"motion photo: still + {length}clip, "


def _frames(n: int) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"


def _index(args: argparse.Namespace) -> int:
    from provenance.visual.index import KnownImageryIndex  # FAISS, PyAV, OpenCV: only for the index commands

    cmd = args.index_command
    if getattr(args, "url", None) and "://" not in args.url:
        raise ProvenanceError(f"--url {args.url!r} is not a web address: give it with its scheme (https://...)")
    index = KnownImageryIndex(open_workspace(args, "write" if cmd in ("add", "import") else "existing"))
    if cmd in ("export", "import"):
        return _hash_list(args, index)
    if cmd == "add":
        profile = load_pipeline(args.pipeline)
        limit_memory(profile.limits)
        files, skipped = _media_in(args.paths)
        results = []
        if args.workers < 0:
            raise ProvenanceError(f"--workers {args.workers}: give a number of processes, or 0 for one per core")
        with index.parallel(files, workers=args.workers, frames=profile.visual.frames,
                            matching=profile.visual.matching, limits=profile.limits):
            for file, given in _with_sidecars(files, args, index):  # flags win over what a sidecar beside the file says
                results += index.add(file, id=args.id, frames=profile.visual.frames,
                                     matching=profile.visual.matching, limits=profile.limits, **given)
        said: set[str] = set()  # reasons given in full once: a folder of PDFs repeated the advice for each
        for r in results:  # ids, paths and messages hold file names: escaped, so a name cannot forge a line
            ref = r.reference
            if ref is None:
                line = _with_folder(r.path, r.message)
                why = line[len(r.path) + 2:] if line.startswith(f"{r.path}: ") else None
                if why is not None and why in said and (short := re.split(r"[:;]", why, maxsplit=1)[0]) != why:
                    line = f"{r.path}: {short} (as above)"
                elif why is not None:
                    said.add(why)
                print(f"provenance: error: {terminal(line)}", file=sys.stderr)
            elif r.status == "updated":
                print(f"updated: {terminal(ref.id)} ({r.message} changed; the old values are kept in its history: "
                      f"`provenance index list --json`) "
                      f"{terminal(r.path)}")
            elif r.status == "unchanged":
                print(f"unchanged: {terminal(ref.id)} (already indexed with this metadata) {terminal(r.path)}")
            elif r.status == "linked":
                print(f"linked: {terminal(ref.id)} ({terminal(r.message)}) {terminal(r.path)}")
            elif r.embedded is not None and r.embedded.error is None:  # a motion photo: what was indexed, said
                print(f"added: {terminal(ref.id)} ({r.embedded.describe()}, {_frames(ref.frames)}) "
                      f"{terminal(r.path)}")
                if r.near is not None:
                    print(f"  {terminal(ref.id)} is {terminal(r.near.describe())}")
                if r.partial is not None:
                    print(f"provenance: warning: {terminal(ref.id)}: {terminal(r.partial)}", file=sys.stderr)
            elif r.embedded is not None:  # its clip could not be read: the still alone, and why, on stderr
                print(f"added: {terminal(ref.id)} ({ref.kind}, {_frames(ref.frames)}) {terminal(r.path)}")
                print(f"provenance: warning: {terminal(ref.id)}: {terminal(r.partial or '')}", file=sys.stderr)
            elif ref.kind == "image" and r.partial:  # a TIFF's pages not indexed, in the line (issue 14 N6)
                print(f"added: {terminal(ref.id)} ({ref.kind}, {terminal(r.partial)}) {terminal(r.path)}")
                if r.near is not None:
                    print(f"  {terminal(ref.id)} is {terminal(r.near.describe())}")
            else:
                print(f"added: {terminal(ref.id)} ({ref.kind}, {_frames(ref.frames)}) {terminal(r.path)}")
                if r.near is not None:
                    print(f"  {terminal(ref.id)} is {terminal(r.near.describe())}")
                if r.partial is not None:
                    print(f"provenance: warning: {terminal(ref.id)} {terminal(r.partial)}", file=sys.stderr)
        if skipped:
            shown = ", ".join(terminal(str(f)) for f in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
            print(f"provenance: skipped {len(skipped)} {'file that is' if len(skipped) == 1 else 'files that are'} "
                  f"not media: {shown}", file=sys.stderr)
        if not results:
            print("provenance: error: no media files to add in the paths given", file=sys.stderr)
        return EXIT_OK if results and all(r.status != "error" for r in results) else EXIT_NO_REPORT
    if cmd == "edit":
        changes = {k: v for k in ("title", "source", "url", "first_seen") if (v := getattr(args, k)) is not None}
        if not changes:
            raise ProvenanceError("nothing to change: give --title, --source, --url or --first-seen")
        ref, changed = index.edit(args.id, **changes)
        if changed:
            was = {h["field"]: h["old"] for h in index.history(ref.id)[-len(changed):]}
            print(f"edited {terminal(ref.id)}: " + ", ".join(
                f"{k.replace('_', '-')} {terminal(getattr(ref, k) or '(none)')} (was {terminal(was.get(k) or 'none')})"
                for k in changed))
        else:
            print(f"unchanged: {terminal(ref.id)} already has these values")
        return EXIT_OK
    if cmd == "list":
        from provenance.visual.hashlist import origins

        refs = index.list()
        listed = origins(index.workspace, (r.id for r in refs))  # hash-only references: which shared list
        if args.json:
            print(json.dumps([asdict(r) | {"motion_photo": r.motion_photo(), "history": index.history(r.id),
                                           "hash_list": asdict(listed[r.id]) if r.id in listed else None}
                              for r in refs], indent=2, ensure_ascii=False))
            return EXIT_OK
        if not refs:
            say("the index is empty: add footage with `provenance index add FILE...`")
        rows = [tuple(map(terminal, (r.id, r.kind, _motion_photo(r) + _frames(r.frames)
                                     + (", partly indexed" if r.partial else "")
                                     + (f", same as {r.same_as}" if r.same_as else "")
                                     + (f", hashes only (list {listed[r.id].name!r})" if r.id in listed else ""),
                                     r.first_seen or "?", r.source or "-", r.url or "-", r.title or "")))
                for r in refs]
        header = ("id", "kind", "frames", "first seen", "source", "url", "title")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows] if rows else []:
            print("  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
        for r in refs:  # what of a reference was not indexed (pages, decoded time): it cannot match there
            if r.partial:
                print(f"  {terminal(r.id)}: partly indexed: {terminal(r.partial)}")
        return EXIT_OK
    if cmd == "stats":
        stats = index.stats()
        if args.json:
            print(json.dumps(asdict(stats), indent=2))
        else:
            for key, value in asdict(stats).items():
                print(f"{key.replace('_', ' ')}: {value}")
        return EXIT_OK
    if cmd == "remove":
        removed = index.remove(args.id)
        if removed:
            heir = removed.frames_to
            print(f"removed {terminal(args.id)}"
                  + (f" (its frames now belong to {terminal(heir)}, linked to it)" if heir else ""))
            return EXIT_OK
        print(f"provenance: error: no reference {terminal(args.id)!r} (`provenance index list` shows them)",
              file=sys.stderr)
        return EXIT_NO_REPORT
    raise AssertionError(cmd)


def _hash_list(args: argparse.Namespace, index: KnownImageryIndex) -> int:
    """``index export`` and ``index import``: shared known-footage lists (provenance/visual/hashlist.py)."""
    import datetime as dt

    from provenance.visual import hashlist

    if args.index_command == "export":
        out = args.out or Path(f"known-footage-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.txt")
        if out.is_dir():
            raise ProvenanceError(f"--out {terminal(str(out))} is a folder: give the list file's name")
        text, refs, frames, name = hashlist.export(index.workspace, args.name)
        if not refs:
            raise ProvenanceError("the index is empty: nothing to export (add footage with `provenance index add`)")
        hashlist.write_new(out, text)
        print(f"exported {refs} reference{'s' if refs != 1 else ''}, {_frames(frames)} to {terminal(str(out))} "
              f"(list {terminal(name)!r}; PDQ hashes and metadata, no pictures)")
        return EXIT_OK
    overrides = {"id": args.id, "title": args.title, "url": args.url, "first_seen": args.first_seen}
    if args.source is None or args.source == "":
        raise ProvenanceError("--source names who shared the list")
    listed, done, again = hashlist.import_list(index.workspace, args.file, source=args.source, name=args.name,
                                               overrides=overrides)
    index.sync_derived()  # the search's derived files: the list's frames appended, not rebuilt (index_files.py)
    if again is not None:
        print(f"unchanged: {terminal(str(args.file))} was imported from {terminal(args.source)} before (list "
              f"{again}): nothing added")
        return EXIT_OK
    with index.workspace.reading() as conn:
        here = conn.execute("SELECT value FROM meta WHERE key = 'workspace_id'").fetchone()
    if listed.exported_from and here and listed.exported_from == here[0]:
        print(f"note: {terminal(str(args.file))} was exported from this workspace: its references are here "
              "already, so they are linked to them, not indexed twice")
    if listed.reversed_bits:
        print(f"note: {terminal(str(args.file))} is a {listed.format} list (written before provenance used "
              "ThreatExchange's PDQ bit order): its hashes were read in that older order")
    for item in done:
        if item.already:
            print(f"already here: {terminal(item.id)} (the same frames and details as listed "
                  f"{terminal(item.listed_id)}): not added again")
            continue
        why = "renamed by --id" if getattr(args, "id", None) == item.id else "that id is taken here"
        renamed = f" (listed as {terminal(item.listed_id)}: {why})" if item.id != item.listed_id else ""
        linked = (f"; linked to {terminal(item.linked_to)}: the same frames, already indexed here"
                  if item.linked_to else "")
        print(f"imported: {terminal(item.id)} ({_frames(item.frames)}, hashes only{linked}){renamed}")
    added = sum(not item.already for item in done)
    print(f"list {terminal(args.name or listed.name)!r} from {terminal(args.source)}: {added} reference"
          f"{'s' if added != 1 else ''} added; matches on them name the list and cannot use keypoints")
    return EXIT_OK


def run() -> int:
    """The ``provenance`` program (console script and ``python -m provenance.cli``): ``main`` with the process-wide
    settings a program may make for itself (the address-space backstop, cli_common.limit_memory)."""
    as_program()
    return main()


if __name__ == "__main__":
    sys.exit(run())
