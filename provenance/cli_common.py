"""What every command shares: the global options at any level, the workspace it uses, and the pipeline options.

The command modules (``cli_batch``, ``cli_claim``, ``cli_report``) import from here, never from ``cli``, which
imports them to build the parser: the dependency runs one way.

Global options (``--workspace``, ``--debug``) are accepted before the command, between a group and its command
(``index --workspace W add``) and after it. argparse copies a subcommand's defaults over what the level above
parsed, which silently dropped ``provenance --workspace W index add``; so each level stores them under its own
name, nothing when absent, and :func:`merge_globals` joins them (two different folders are refused).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Literal

from provenance.config import Pipeline, load_pipeline
from provenance.errors import ProvenanceError
from provenance.limits import Limits, apply_memory_limit
from provenance.workspace import Location, Workspace, empty_workspace, locate, named_workspace

_program = False  # the CLI is this process's program (set by cli.run), so it may set process-wide limits


def as_program() -> None:
    """Say the CLI is this process's program (``provenance``, ``python -m provenance.cli``): see limit_memory."""
    global _program
    _program = True


def limit_memory(limits: Limits) -> None:
    """``[limits] max_memory_mb`` as RLIMIT_AS, only when the CLI is the process's program (``provenance`` or
    ``python -m provenance.cli``): a caller of ``cli.main`` in its own process (a test suite, a notebook) keeps its
    address space, and so do the browsers and tools it starts later."""
    if _program:
        apply_memory_limit(limits)


LEVELS = 3  # provenance [options] GROUP [options] COMMAND [options]


def global_options(level: int) -> argparse.ArgumentParser:
    """A parent parser with the global options, stored per ``level`` (0: before the command)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="DIR", dest=f"workspace_{level}", default=argparse.SUPPRESS,
                        help="workspace folder, or a folder holding .provenance/ (default: $PROVENANCE_WORKSPACE, "
                        "else the nearest .provenance in this folder or above, else ./.provenance)")
    common.add_argument("--debug", action="store_true", dest=f"debug_{level}", default=argparse.SUPPRESS,
                        help="show tracebacks and debug logging")
    return common


def merge_globals(args: argparse.Namespace) -> argparse.Namespace:
    """Set ``args.workspace`` and ``args.debug`` from whichever level gave them."""
    given = [getattr(args, f"workspace_{i}") for i in range(LEVELS) if hasattr(args, f"workspace_{i}")]
    given = [g for g in given if g is not None]
    if any(not str(g).strip() for g in given):  # `--workspace "$UNSET"`: never fall back to another workspace
        raise ProvenanceError("--workspace is empty: give the workspace folder (an unset shell variable?)")
    if len({named_workspace(folder) for folder in given}) > 1:  # `wsA` and `wsA/` are one folder
        raise ProvenanceError(f"--workspace given twice with different folders ({', '.join(sorted(set(given)))}): "
                              "give it once")
    args.workspace = given[0] if given else None
    args.debug = any(getattr(args, f"debug_{i}", False) for i in range(LEVELS))
    return args


Need = Literal["write", "existing", "optional"]


def open_workspace(args: argparse.Namespace, need: Need, *, later: bool = False, claim: str | None = None
                   ) -> Workspace:
    """The workspace for this command, named on stderr in one line (with ``later``, by :func:`name_workspace`
    once the command has done its work: ``verify`` of a file that is not media says only that, in one line).

    A ``--workspace DIR`` with nothing of a workspace in it (no database, no signing key, no ``.provenance/``)
    is a typo until shown otherwise, whatever the command (exit 2: ``provenance init DIR`` makes one).
    ``write``: created when absent (``index add``, ``claim add``: ``./.provenance``, or the folder
    ``$PROVENANCE_WORKSPACE`` names). ``existing``: must exist (exit 2 with the next command to run).
    ``optional``: ``verify`` and ``batch`` work without one, against an empty index in a temporary folder; no
    workspace is left behind.
    With ``claim`` (``--claim ID``) one must exist: the claim is in it. A read-only workspace is used for
    reading; ``write`` and ``claim`` refuse it before any work.
    """
    where = locate(args.workspace)
    if where.how == "--workspace" and not where.present and claim is None:
        # named on this command line, and nothing of a workspace there (not even the signing key `report key`
        # makes before any index exists): a typo must not start a second workspace or give an empty-index report
        # (with --claim, "no claim" below says it, naming the workspace)
        raise ProvenanceError(no_workspace_named(where.root))
    if where.exists:
        note, ws = f"workspace {where.root} ({where.described})", Workspace(where.root, create=False)
        if ws.read_only:
            note = f"workspace {where.root} ({where.described}; read-only: reading only)"
            if need == "write" or claim is not None:  # say it before any work, not after decoding
                ws.require_writable()
    elif need == "write":
        note, ws = f"workspace {where.root} (new: created by this command, {where.described})", Workspace(where.root)
    elif claim is not None:
        raise ProvenanceError(f"no claim {claim!r}: {_absent(where)}; record the claim first with `provenance claim "
                              "add --statement ...`, or name its workspace with --workspace DIR")
    elif need == "existing":
        raise ProvenanceError(_absent(where) + ": create one with `provenance init` (or by `provenance index add "
                              "FILE...` or `provenance claim add --statement ...`), or name one with --workspace DIR")
    else:
        note = _absent(where) + ": no index: nothing to match against; create one with " \
            "`provenance index add FILE...`"
        ws = empty_workspace(where.root)
    args.workspace_note = note
    if not later:
        name_workspace(args)
    return ws


def no_workspace_named(root: Path) -> str:
    """Exit 2 for a ``--workspace DIR`` naming no workspace (see :func:`open_workspace`)."""
    return (f"no workspace at {root} (--workspace names a workspace folder, or a folder holding .provenance/; "
            f"create one with `provenance init {root}`)")


def name_workspace(args: argparse.Namespace) -> None:
    """Say which workspace the command used (once)."""
    note = getattr(args, "workspace_note", None)
    if note:
        say(note)
        args.workspace_note = None


def _absent(where: Location) -> str:
    if where.root.is_dir():
        return f"workspace {where.root} ({where.described}) is empty (no database yet)"
    if where.how in ("--workspace", "PROVENANCE_WORKSPACE"):
        return f"no workspace at {where.root} ({where.described})"
    return f"no workspace: no {where.root.name} folder in {where.root.parent} or any folder above it"


def say(text: str) -> None:
    print(f"provenance: {text}", file=sys.stderr)


def add_pipeline_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pipeline", default="standard", help="profile name in pipelines/ or a TOML file")
    parser.add_argument("--asr-model", metavar="MODEL",
                        help="Whisper model: a CTranslate2 folder, an openai-whisper .pt file (needs the "
                        "openai-whisper extra), or a faster-whisper name like 'small' (downloaded: needs a network). "
                        "Default: $PROVENANCE_WHISPER_MODEL, then the bundled base model")


def add_sign_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sign", action="store_true", default=None,
                        help="sign each report as it is written with this workspace's key (`report key` makes it; "
                        "default: $PROVENANCE_SIGN_REPORTS)")


def pipeline_from_args(args: argparse.Namespace) -> Pipeline:
    """The profile, with command-line overrides applied before its digest is taken."""
    pipeline = load_pipeline(args.pipeline)
    if args.asr_model:
        pipeline.audio.model = args.asr_model
    limit_memory(pipeline.limits)  # the backstop: [limits] max_memory_mb for this process and its children
    return pipeline


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def refuse_url(text: str, command: str) -> None:
    """A URL where a file belongs: say that the tool is offline and what to do (Path() would eat a slash)."""
    if _URL.match(text):
        what = "DIR" if command == "batch" else "FILE"
        raise ProvenanceError(f"{text} is a URL: provenance works offline on local files; download it first (e.g. "
                              f"with yt-dlp), then run `provenance {command} {what}`")


def looks_like_json(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


GLOBAL_FLAGS = {"--debug", "-h", "--help", "--version"}


def misplaced_option(argv: list[str], commands: dict[str, set[str]]) -> str | None:
    """A command's own option given before the command (``provenance --json verify x``): the message to refuse
    it with, naming where it goes; None when every option before a command is a global one."""
    i, path = 0, []
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return None
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            if len(name) > 2 and "--workspace".startswith(name):  # argparse takes unambiguous prefixes too
                i += 1 if "=" in word else 2
                continue
            if name not in GLOBAL_FLAGS and not any(len(name) > 2 and flag.startswith(name) for flag in GLOBAL_FLAGS):
                here = " ".join(["provenance", *path])
                choices = commands.get(path[0], set()) if path else set(commands)
                then = next((w for w in argv[i + 1:] if w in choices), "COMMAND")
                return (f"{name} is not an option of `{here}`: give it after the command it belongs to "
                        f"(`{here} {then} ... {name}`); only --workspace and --debug go anywhere")
            i += 1
            continue
        path.append(word)
        if len(path) == 1 and commands.get(word):
            i += 1
            continue
        return None  # the command itself: argparse checks the rest
    return None
