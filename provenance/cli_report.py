"""``provenance report sign|check|key``: tamper evidence for written reports (logic in report.integrity).

Exit codes for ``check``: 0 every check passed, the report signed as it was written by this workspace's key (or
the key given with ``--public-key``); 1 some check failed (edited report, wrong signer, swapped media, unsigned
or signed only later with ``--require-signature``); 2 nothing failed but something could not be checked (no
digest, unknown signer, media not found, a signature added later, or no signature at all: "digest ok, unsigned:
origin unknown", since anyone can recompute a digest). No report at the path given is an error (2), not a check.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from provenance.cli_common import global_options, looks_like_json, no_workspace_named, say
from provenance.errors import ProvenanceError
from provenance.report.integrity import (
    IntegrityError,
    PublicKey,
    check_file,
    follow_pointer,
    key_is_private,
    key_path,
    load_key,
    public_key_of,
    report_file,
    sign_file,
)
from provenance.safetext import terminal
from provenance.workspace import locate

EXIT_PASS, EXIT_FAIL, EXIT_CANNOT = 0, 1, 2
_WORDS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "cannot": "CANNOT CHECK"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rep = sub.add_parser("report", parents=[global_options(1)], help="check and sign written reports")
    rsub = rep.add_subparsers(dest="report_command", required=True, metavar="COMMAND")
    common = global_options(2)

    s = rsub.add_parser("sign", parents=[common], help="sign report.json with this workspace's Ed25519 key")
    s.add_argument("report", type=Path, help="report.json or its folder")
    s.set_defaults(handler=_sign)

    c = rsub.add_parser("check", parents=[common], help="check a report's digest, signature and media file")
    c.add_argument("report", type=Path, help="report.json or its folder")
    c.add_argument("--media", type=Path, help="the media file to compare (default: beside the report, then the "
                   "path it records)")
    c.add_argument("--public-key", metavar="KEY", help="the signer's public key (as `report key` prints it, or a "
                   "file holding it): the signature must be by this key")
    c.add_argument("--require-signature", action="store_true", help="an unsigned report, or one signed "
                   "only later (`report sign`), fails")
    c.set_defaults(handler=_check)

    k = rsub.add_parser("key", parents=[common], help="print this workspace's public signing key (created if absent)")
    k.set_defaults(handler=_key)


def _root(args: argparse.Namespace, need: str = "write") -> Path:
    """The workspace folder holding the signing key, named on stderr: ``sign`` and ``key`` create it (the key
    only, no database), ``check`` only reads it. ``sign`` with a ``--workspace DIR`` naming no workspace is a
    typo, as for every other command: a key invented there would sign with a key no reader knows."""
    where = locate(args.workspace)
    if need == "sign" and where.how == "--workspace" and not where.present:
        raise ProvenanceError(no_workspace_named(where.root))
    if where.root.is_dir():
        say(f"workspace {where.root} ({where.described})")
    elif need == "sign":  # the key (and its folder) are made only once the report has passed its checks
        say(f"workspace {where.root} (new if the report is signed: its signing key is made there, "
            f"{where.described})")
    elif need == "write":
        say(f"workspace {where.root} (new: created for the signing key, {where.described})")
    else:
        say(f"no workspace at {where.root} ({where.described}): no signing key of yours to trust; a signature "
            "is trusted only with --public-key")
    return where.root


def _warn_if_exposed(root: Path) -> None:
    if not key_is_private(root):
        print(f"provenance: warning: {key_path(root)} is readable by others: chmod 600 it", file=sys.stderr)


def _report_argument(path: Path) -> None:
    """Refuse a media file given where a report belongs (exit 2), saying how to make its report."""
    if path.is_file() and path.suffix != ".json" and not looks_like_json(path) and follow_pointer(path) is None:
        raise ProvenanceError(f"{path} is not a report (report.json or its folder); to make one: `provenance "
                              f"verify {path}`")


def _sign(args: argparse.Namespace) -> int:
    _report_argument(args.report)
    root = _root(args, "sign")
    result = sign_file(args.report, root)
    if not result.ok:
        print(f"FAIL  {terminal(result.message)}")
        return EXIT_FAIL
    _warn_if_exposed(root)
    key = load_key(root, create=False)
    print(terminal(result.message))
    if key is not None:
        print(f"public key {public_key_of(key).b64} (give it to readers: `report check --public-key`)")
    return EXIT_PASS


def _check(args: argparse.Namespace) -> int:
    _report_argument(args.report)
    # nothing there is an error, not a check that could not run; a link out of its own folder: FAIL, below
    with contextlib.suppress(IntegrityError):
        if not os.path.lexists(report_file(args.report)):
            raise ProvenanceError(f"no report at {args.report} (report.json, its folder, or its latest-run link)")
    trusted = PublicKey.from_argument(args.public_key) if args.public_key else None
    result = check_file(args.report, workspace_root=_root(args, "read"), media=args.media, trusted_key=trusted,
                        require_signature=args.require_signature)
    print(f"report {terminal(str(result.path))}")
    for line in result.lines:
        print(f"{_WORDS[line.state]:<12} {line.name:<9} {terminal(line.message)}")
    code = result.exit_code
    failed = sum(line.state == "fail" for line in result.lines)
    unchecked = sum(line.state == "cannot" for line in result.lines)
    if code == EXIT_FAIL:
        print(f"result: FAIL ({failed} check{'s' if failed != 1 else ''} failed)")
    elif code == EXIT_CANNOT and result.unsigned and unchecked == 1:
        print("result: DIGEST OK, UNSIGNED: origin unknown (nothing failed, but anyone can edit a report and "
              "recompute its digest; sign reports as they are written: `provenance verify FILE --sign`)")
    elif code == EXIT_CANNOT:
        also = " (unsigned: origin unknown)" if result.unsigned else ""
        print(f"result: CANNOT CHECK ({unchecked} check{'s' if unchecked != 1 else ''} could not be made; "
              f"nothing failed){also}")
    else:  # a pass needs a signature made as written by a key the reader trusts: say whose
        signature = result.line("signature")
        key_id = signature.message.rsplit("(", 1)[-1].rstrip(")") if signature is not None else "?"
        whose = "the key you named" if args.public_key else "this workspace"
        print(f"result: PASS (signed by {whose} as written, key {key_id})")
    return code


def _key(args: argparse.Namespace) -> int:
    root = _root(args)
    key = load_key(root, create=True)
    assert key is not None
    _warn_if_exposed(root)
    public = public_key_of(key)
    print(public.b64)
    print(f"key id {public.key_id} · private key {key_path(root)}", file=sys.stderr)
    return EXIT_PASS
