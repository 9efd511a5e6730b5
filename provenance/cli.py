"""Command line: argument parsing and printing only; the work is done by the library.

Exit codes: 0 report written and every stage ok; 1 report written, some stage failed; 2 no report (bad
arguments, unreadable input, an input over its ``[limits]``). Whatever goes wrong, the user gets one line on
stderr, never a traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from provenance import cli_batch, cli_claim, cli_report
from provenance._version import __version__
from provenance.cli_common import add_pipeline_args, add_sign_arg, pipeline_from_args
from provenance.config import load_pipeline
from provenance.errors import ProvenanceError
from provenance.report.writer import to_json
from provenance.safetext import TerminalStream, terminal
from provenance.service import verify_to_folder
from provenance.visual.index import KnownImageryIndex
from provenance.workspace import Workspace

EXIT_OK, EXIT_STAGE_ERROR, EXIT_NO_REPORT = 0, 1, 2

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]", argparse.ArgumentParser], None]


def _command_groups() -> list[Register]:
    """Each command group adds its subparsers and sets ``handler``; its logic lives in its own module."""
    return [_register_core, cli_report.register, cli_batch.register, cli_claim.register]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="DIR", help="workspace folder (default ./.provenance or "
                        "$PROVENANCE_WORKSPACE)")
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")

    parser = argparse.ArgumentParser(
        prog="provenance", parents=[common],
        description="Offline media provenance: recycled-footage matching, metadata, spoken language.",
    )
    parser.add_argument("--version", action="version", version=f"provenance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in _command_groups():
        register(sub, common)
    return parser


def _register_core(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    v = sub.add_parser("verify", parents=[common], help="verify one media file and write its report")
    v.add_argument("path", type=Path)
    add_pipeline_args(v)
    v.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default ./reports)")
    v.add_argument("--json", action="store_true", help="print the report JSON to stdout")
    v.add_argument("--claim", metavar="ID", help="assess the report against this claim and attach it")
    add_sign_arg(v)
    v.set_defaults(handler=_verify)

    idx = sub.add_parser("index", parents=[common], help="manage the known-imagery index")
    idx.set_defaults(handler=_index)
    isub = idx.add_subparsers(dest="index_command", required=True)
    add = isub.add_parser("add", parents=[common], help="index videos, images or folders of them")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--id", help="reference id (one file only; default: the file stem)")
    add.add_argument("--title")
    add.add_argument("--source", help="who published it, e.g. a channel or agency")
    add.add_argument("--url")
    add.add_argument("--first-seen", help="earliest known publication, ISO 8601 (YYYY-MM-DD)")
    add.add_argument("--pipeline", default="standard", help="profile whose frame sampling to use")
    for name, text in (("list", "list references"), ("stats", "index size")):
        p = isub.add_parser(name, parents=[common], help=text)
        p.add_argument("--json", action="store_true")
    rm = isub.add_parser("remove", parents=[common], help="remove a reference and its frames")
    rm.add_argument("id")


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
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(message)s")
    try:
        return args.handler(args)
    except (ProvenanceError, OSError, ValueError) as exc:
        if args.debug:
            raise
        print(f"provenance: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_NO_REPORT
    except KeyboardInterrupt:
        print("provenance: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line for the user (and no report), the traceback under --debug
        if args.debug:
            raise
        print(f"provenance: internal error: {type(exc).__name__}: {_one_line(exc)} (run with --debug for the "
              "traceback)", file=sys.stderr)
        return EXIT_NO_REPORT


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
    # the claim is looked up first: an unknown one is exit 2 before any work
    report, folder = verify_to_folder(args.path, pipeline=pipeline_from_args(args), workspace=args.workspace,
                                      out=args.out, claim_id=args.claim, sign=args.sign)
    if args.json:
        sys.stdout.write(to_json(report))
    else:
        print(f"{terminal(str(args.path))}: report written to {terminal(str(folder))}/report.json and report.html")
        for f in report.findings:
            print(f"  [{f.severity}] {terminal(f.message)}")
    for e in report.errors:
        print(f"provenance: {e.stage} stage failed: {terminal(e.message)}", file=sys.stderr)
    return EXIT_STAGE_ERROR if report.errors else EXIT_OK


def _index(args: argparse.Namespace) -> int:
    index = KnownImageryIndex(Workspace(args.workspace))
    cmd = args.index_command
    if cmd == "add":
        profile = load_pipeline(args.pipeline)
        results = index.add(args.paths, id=args.id, title=args.title, source=args.source, url=args.url,
                            first_seen=args.first_seen, frames=profile.visual.frames, matching=profile.visual.matching,
                            limits=profile.limits)
        for r in results:
            if r.reference is not None:
                print(terminal(f"{r.status}: {r.reference.id} ({r.reference.kind}, {r.reference.frames} frames) "
                               f"{r.path}"))
            else:
                print(f"error: {terminal(str(r.message))}", file=sys.stderr)
        if not results:
            print("nothing to add", file=sys.stderr)
        return EXIT_OK if results and all(r.status != "error" for r in results) else EXIT_NO_REPORT
    if cmd == "list":
        refs = index.list()
        if args.json:
            print(json.dumps([asdict(r) for r in refs], indent=2, ensure_ascii=False))
        for r in refs if not args.json else []:
            print(terminal(f"{r.id}\t{r.kind}\t{r.frames} frames\tfirst seen {r.first_seen or '?'}\t{r.title or ''}"))
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
        if index.remove(args.id):
            print(f"removed {args.id}")
            return EXIT_OK
        print(f"provenance: error: no reference {args.id!r}", file=sys.stderr)
        return EXIT_NO_REPORT
    raise AssertionError(cmd)


if __name__ == "__main__":
    sys.exit(main())
