"""``provenance search TEXT [--reports DIR...] [--json]``: words in on-screen text and speech across reports.

Exit 0 with at least one hit, 1 with none, 2 when there was nothing to search (no report folder found).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from provenance.cli_common import global_options, name_workspace, open_workspace
from provenance.errors import ProvenanceError
from provenance.report.integrity import UNSIGNED_WHY
from provenance.safetext import terminal


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("search", parents=[global_options(1)], help="find words in the on-screen text and speech "
                       "transcripts of the workspace's reports (each verified before it is read)")
    s.add_argument("query", metavar="TEXT")
    s.add_argument("--reports", type=Path, nargs="+", default=[], metavar="DIR", help="report folders to search "
                   "as well (default: the workspace's batch output folders and claim attachments, and ./reports)")
    s.add_argument("--json", action="store_true", help="print the hits as JSON")
    s.set_defaults(handler=_search)


def _search(args: argparse.Namespace) -> int:
    from provenance.search import search, searchable, workspace_folders

    if not " ".join(args.query.split()):
        raise ProvenanceError("nothing to search for: give the words to find (an empty TEXT matches every report)")
    if not searchable(args.query):
        raise ProvenanceError(f"nothing to search for: {args.query!r} has no letter or digit, and punctuation is "
                              "ignored (read as spaces) on both sides; give the words to find")
    files = [str(p) for p in args.reports if p.exists() and not p.is_dir()]
    if files:
        raise ProvenanceError(f"not a folder: {', '.join(files)} (--reports names report folders, such as a batch "
                              "run's output folder or ./reports)")
    missing = [str(p) for p in args.reports if not p.is_dir()]
    if missing:
        raise ProvenanceError(f"no such report folder: {', '.join(missing)}")
    ws = open_workspace(args, "optional", later=True)
    if ws.exists:  # without one, nothing to say: search matches no index (its note would talk of one)
        name_workspace(args)
    folders = [*args.reports, *workspace_folders(ws)]
    if not args.reports and Path("reports").is_dir():
        folders.append(Path("reports"))
    if not folders and not ws.exists:  # where no workspace was found, without the note's talk of an index
        where = str(getattr(args, "workspace_note", "") or "no workspace").split(": no index:")[0]
        raise ProvenanceError(f"no report folders to search: {where} (`provenance init` makes one, as `provenance "
                              "index add FILE...` and `provenance claim add` do; its batch runs and claims' attached "
                              "reports are searched), and no ./reports; name folders with --reports DIR")
    if not folders:
        raise ProvenanceError("no report folders to search: the workspace has no batch runs or attached reports; "
                              "name folders with --reports DIR")
    result = search(args.query, folders, ws.root if ws.exists else None)
    if args.json:
        print(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
    else:
        for hit in result.hits:
            said = ([f"same file, {hit.runs} runs"] if hit.runs > 1 else []) + (
                [f"found in {hit.folders} folders"] if hit.folders > 1 else []) + (
                ["unsigned"] if hit.unsigned else []) + ([hit.signed] if hit.signed else [])
            print(terminal(f"{hit.report}\t{hit.where}\t{hit.text}" + (f"\t({', '.join(said)})" if said else "")))
        for line in result.refused:
            print(terminal(f"refused (failed verification): {line}"))
        for folder in result.empty:
            print(terminal(f"no report found in {folder} (a report folder holds a report.json)"))
        # "verified" is the digest's check: an unsigned report passes it after any edit (issue 18 round 9, M1)
        unsigned = f", {result.unsigned} of them unsigned ({UNSIGNED_WHY})" if result.unsigned else ""
        if result.other_signer:  # a key not this workspace's, or a signature added later: vouches for no origin
            unsigned += (f", {result.other_signer} signed but not by this workspace as written (by another key, or "
                         "later: that says who signed, not that provenance wrote it)")
        print(terminal(f"{len(result.hits)} hit(s) in {result.searched} verified report(s){unsigned}"
                       + (f"; {len(result.refused)} refused" if result.refused else "")))
    return 0 if result.hits else 1
