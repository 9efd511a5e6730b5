"""``provenance claim``: add, attach, show, list, verdict, report (the dossier) and export; the work is in
``provenance.claims`` and ``provenance.dossier``."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import unicodedata
from collections import Counter
from pathlib import Path
from typing import TextIO

from provenance import dossier
from provenance.claims import (
    STATUSES,
    Attachment,
    Claim,
    ClaimError,
    ClaimStore,
    claimreview_problems,
    export_text,
    publisher_for,
    to_claimreview,
    to_csv,
    to_json,
)
from provenance.cli_common import global_options, looks_like_json, open_workspace, say
from provenance.errors import ProvenanceError
from provenance.fileio import write_new
from provenance.report.integrity import RUNS_SUFFIX, follow_pointer
from provenance.safetext import terminal
from provenance.workspace import Workspace

EXIT_OK, EXIT_CANCELLED = 0, 2


def _confirm(question: str) -> bool:
    """Ask on the terminal; without one (a script), the answer is no: scripts say --yes."""
    if not sys.stdin.isatty():
        return False
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _check_report_argument(path: Path, claim_id: str) -> None:
    """Refuse a media file (or anything not JSON) given where a report belongs, saying what to run instead."""
    if not path.is_file():
        return  # folders and missing paths: attach_files explains
    if not looks_like_json(path) and follow_pointer(path) is None:
        raise ClaimError(f"{path} is not a report (report.json or its folder); to assess a media file, verify it "
                         f"first: `provenance verify {path} --claim {claim_id}`")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser("claim", parents=[global_options(1)], help="claim records and the evidence attached to them")
    csub = c.add_subparsers(dest="claim_command", required=True, metavar="COMMAND")
    common = global_options(2)

    add = csub.add_parser("add", parents=[common], help="record a claim; prints its id")
    add.add_argument("--statement", required=True, help="what the footage is said to show")
    add.add_argument("--date", help="claimed date: YYYY, YYYY-MM, YYYY-MM-DD or START/END (ISO 8601)")
    add.add_argument("--place", help="claimed place name")
    add.add_argument("--lat", type=float, help="claimed place latitude (decimal degrees)")
    add.add_argument("--lon", type=float, help="claimed place longitude (decimal degrees)")
    add.add_argument("--radius-km", type=float, default=25.0, help="GPS within this distance supports the place "
                     "(default 25)")
    add.add_argument("--languages", help="expected languages (spoken and on screen), ISO 639 codes, "
                     "comma-separated (e.g. ru,uk; rus is stored as ru)")
    add.add_argument("--source-url", help="where the claim was seen")
    add.add_argument("--status", default="open", choices=STATUSES, help="your rating (default open)")
    add.add_argument("--id", help="claim id (default: generated, c-xxxxxxxx)")

    attach = csub.add_parser("attach", parents=[common], help="assess written reports against a claim")
    attach.add_argument("id")
    attach.add_argument("reports", nargs="+", type=Path, metavar="REPORT",
                        help="report.json, its folder, or a folder of report folders")
    attach.add_argument("--require-signature", action="store_true",
                        help="attach only reports signed as written by this workspace's key (an unsigned report "
                        "is attached with a warning otherwise: its origin is unknown)")
    attach.add_argument("--replace", action="store_true",
                        help="replace an attached signed report of the same file by one signed otherwise or unsigned "
                        "(refused without it)")

    show = csub.add_parser("show", parents=[common], help="the claim and its evidence table")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")

    lst = csub.add_parser("list", parents=[common], help="list claims")
    lst.add_argument("--json", action="store_true")

    status = csub.add_parser("status", parents=[common], help="set your rating of a claim (as claim verdict)")
    status.add_argument("id")
    status.add_argument("status", choices=STATUSES)

    verdict = csub.add_parser("verdict", parents=[common], help="record the desk's verdict on a claim (the rating a "
                              "ClaimReview publishes; 'open' withdraws it)")
    verdict.add_argument("id")
    verdict.add_argument("status", metavar="RATING", choices=STATUSES, help=", ".join(STATUSES))

    dossier = csub.add_parser("report", parents=[common], help="write the claim's dossier: dossier.html (self-"
                              "contained) and dossier.md in OUT/claim-ID/; refreshed on every attach after that")
    dossier.add_argument("id")
    dossier.add_argument("--out", type=Path, help="folder to write claim-ID/ into (default: where the last dossier "
                         "of this claim was written, else ./reports)")

    delete = csub.add_parser("delete", parents=[common], help="delete a claim and its attachments (reports on "
                             "disk stay)")
    delete.add_argument("id")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    detach = csub.add_parser("detach", parents=[common], help="detach reports from a claim (reports on disk stay)")
    detach.add_argument("id")
    detach.add_argument("reports", nargs="+", metavar="REPORT",
                        help="report folder or report.json, media path, or media SHA-256 (12+ hex digits)")

    export = csub.add_parser("export", parents=[common], help="ClaimReview JSON-LD, JSON or CSV")
    export.add_argument("id")
    export.add_argument("--format", choices=("claimreview", "json", "csv"), default="claimreview")
    export.add_argument("--publisher", "--author", dest="publisher", help="ClaimReview: your organisation's name "
                        "(default: publisher under [claimreview] in the workspace's settings.toml)")
    export.add_argument("--publisher-url", help="ClaimReview: your organisation's site (default: publisher_url in "
                        "settings.toml)")
    export.add_argument("--url", help="ClaimReview: where the review of this claim is published, on your site "
                        "(default: review_url in settings.toml, where {id} is the claim id)")
    export.add_argument("--out", type=Path, help="write to this file (default: stdout)")
    c.set_defaults(handler=_claim)


def _claim(args: argparse.Namespace) -> int:
    cmd = args.claim_command
    store = ClaimStore(open_workspace(args, "write" if cmd == "add" else "existing"))
    if cmd == "add":
        claim = store.add(args.statement, claimed_date=args.date, place=args.place, lat=args.lat, lon=args.lon,
                          radius_km=args.radius_km, languages=args.languages, source_url=args.source_url,
                          status=args.status, id=args.id)
        print(claim.id)
    elif cmd == "attach":
        store.get(args.id)
        for path in args.reports:
            _check_report_argument(path, args.id)
        for a in store.attach_files(args.id, args.reports, require_signature=args.require_signature,
                                    replace=args.replace):
            origin = a.origin.text if a.origin is not None else "origin unknown"
            print(f"attached {terminal(a.name)}: {_tally(a)} ({origin})")
            if a.origin is not None and not a.origin.by_workspace:
                print(f"provenance: warning: {terminal(a.report_path)}: {terminal(origin)}: its digest checks, but "
                      "anyone can edit a report and recompute the digest; sign reports as they are written "
                      "(`provenance verify FILE --sign`), or give --require-signature to refuse such reports",
                      file=sys.stderr)
        refresh_dossier(store, args.id)
    elif cmd == "show":
        claim, attachments = store.get(args.id), store.attachments(args.id)
        if args.json:
            print(json.dumps(to_json(claim, attachments), indent=2, ensure_ascii=False))
        else:
            # the roll-up, from the verified reports (a report failing its check is named, not used)
            summary = dossier.build(store, claim.id, pictures=False) if attachments else None
            print_claim(claim, attachments, sys.stdout, summary)
            out = dossier.written_to(store, claim.id)
            page = out / dossier.folder_name(claim.id) / dossier.DOSSIER_HTML if out else None
            print(f"\ndossier: {terminal(str(page))} (refreshed on every attach)" if page and page.exists() else
                  f"\ndossier: none yet: `provenance claim report {terminal(claim.id)}` writes one (HTML and Markdown)")
    elif cmd == "list":
        claims = store.list()
        if args.json:
            print(json.dumps([vars(c) for c in claims], indent=2, ensure_ascii=False))
        for c in [] if args.json else claims:
            print(terminal(f"{c.id}\t{c.status}\t{c.claimed_date or '-'}\t{c.statement}"))
    elif cmd in ("status", "verdict"):
        claim = store.set_status(args.id, args.status)
        print(f"{claim.id}: {claim.status}")
        refresh_dossier(store, claim.id)
    elif cmd == "report":
        store.get(args.id)
        page = dossier.write(store, args.id, args.out)
        print(terminal(str(page)))
        print(f"provenance: dossier.md beside it; written again there whenever a report is attached to "
              f"{terminal(args.id)}", file=sys.stderr)
    elif cmd == "delete":
        claim = store.get(args.id)
        attached = len(store.attachments(args.id))
        if not args.yes and not _confirm(f"delete claim {claim.id} ({claim.statement[:60]}) and its {attached} "
                                         "attachment(s)? [y/N] "):
            why = "" if sys.stdin.isatty() else "no terminal to ask on: "
            print(f"provenance: nothing deleted ({why}give --yes to delete without asking)", file=sys.stderr)
            return EXIT_CANCELLED
        store.delete(args.id)
        dossier.forget(store, args.id)
        print(f"deleted claim {claim.id} ({attached} attachment{'s' if attached != 1 else ''}; report files kept)")
    elif cmd == "detach":
        done: set[str] = set()  # report folder names detached by this command
        for which in args.reports:
            if Path(which.rstrip("/")).name.removesuffix(RUNS_SUFFIX) in done:
                continue  # `reports/clip-*/` names a report and its .runs folder, in either order: detached once
            for a in store.detach(args.id, which):
                done.add(Path(a.report_path).parent.name.removesuffix(RUNS_SUFFIX))
                print(f"detached {terminal(a.name)} from {args.id} (report kept: {terminal(a.report_path)})")
        refresh_dossier(store, args.id)
    elif cmd == "export":
        claim = store.get(args.id)
        if args.format in ("csv", "json"):
            # the evidence of verified reports only, as claim show, the dossier and the ClaimReview use it
            d = dossier.build(store, claim.id, pictures=False)
            for r in d.refused:
                print(f"provenance: warning: not exported (its report fails its check now): {terminal(r.name)}: "
                      f"{terminal(r.reason)}", file=sys.stderr)
            used = {f.sha256 for f in d.files}
            attachments = [a for a in store.attachments(args.id) if a.sha256 in used]
        if args.format == "csv":
            text = to_csv(claim, attachments)
        else:
            data = to_json(claim, attachments) if args.format == "json" else _claimreview(store, claim, args)
            text = export_text(data)
        if args.out:
            try:
                write_new(Path(args.out), text)
            except FileExistsError as exc:
                raise ProvenanceError(f"{args.out} exists already: choose another name (an export never overwrites "
                                      "a file)") from exc
            say(f"claim {args.id} exported ({args.format}) to {Path(args.out).resolve()}")
        else:
            sys.stdout.write(text)
    else:
        raise AssertionError(cmd)
    return EXIT_OK


def _claimreview(store: ClaimStore, claim: Claim, args: argparse.Namespace) -> dict:
    """The ClaimReview of ``claim``: publisher from the flags or settings (placeholders refused), evidence from
    the verified attached reports only (a report failing its check is left out, and said on stderr)."""
    publisher = publisher_for(claim, store.workspace.root, name=args.publisher, url=args.publisher_url,
                              review_url=args.url)
    d = dossier.build(store, claim.id)
    for r in d.refused:
        print(f"provenance: warning: not used in the ClaimReview: {terminal(r.name)}: {terminal(r.reason)}",
              file=sys.stderr)
    used = {f.sha256 for f in d.files}
    data = to_claimreview(claim, [a for a in store.attachments(claim.id) if a.sha256 in used], publisher,
                          earlier=dossier.earlier_copies(d), body=dossier.review_text(d))
    problems = claimreview_problems(data)
    if problems:  # a bug, not the user's: say it rather than publish it
        raise ClaimError("the ClaimReview made is not valid: " + "; ".join(problems))
    return data


def refresh_dossier(store: ClaimStore | Workspace, claim_id: str) -> None:
    """Write a fresh dossier where the claim's last one was written, if one was (``claim attach``, ``detach``,
    ``verdict``, ``verify --claim``, ``batch --claim``); a failure costs only a warning (the attachment is
    stored)."""
    try:
        page = dossier.refresh(store if isinstance(store, ClaimStore) else ClaimStore(store), claim_id)
    except (OSError, ProvenanceError, ValueError) as exc:
        print(f"provenance: warning: the dossier of claim {terminal(claim_id)} was not refreshed: {terminal(str(exc))};"
              f" run `provenance claim report {terminal(claim_id)}`", file=sys.stderr)
        return
    if page is not None:
        print(f"provenance: dossier refreshed: {terminal(str(page))}", file=sys.stderr)


def _tally(a: Attachment) -> str:
    counts = Counter(x.result for x in a.assessment)
    return ", ".join(f"{counts[r]} {r}" for r in ("supports", "contradicts", "neutral", "unknown") if counts[r])


def print_rollup(d: dossier.Dossier, out: TextIO) -> None:
    """The dossier's sentences, then each report not used with its reason."""
    print("in short", file=out)
    for sentence in [*d.rollup, *d.runs]:
        for i, line in enumerate(textwrap.wrap(terminal(sentence), width=116) or [""]):
            print(("  - " if i == 0 else "    ") + line, file=out)
    for r in d.refused:
        print(f"  not used: {terminal(r.name)}: {terminal(r.reason)}", file=out)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian Wide and Fullwidth characters two (Unicode UAX #11, as
    terminals draw Hangul and CJK), combining marks and zero-width format characters none, the rest one. The
    ``claim show`` table padded by ``len`` shifted its columns after a Hangul file name (issue 13 tester, L2)."""
    return sum(0 if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")
               else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns (``display_width``)."""
    return text + " " * max(0, width - display_width(text))


def print_claim(claim: Claim, attachments: list[Attachment], out: TextIO,
                summary: dossier.Dossier | None = None) -> None:
    """The claim, its roll-up (``summary``), then the evidence table: one line per (file, check), the file named on
    its first line."""
    print(f"claim {claim.id} [{claim.status}]", file=out)
    print(f"  statement  {terminal(claim.statement)}", file=out)
    if claim.claimed_date:
        print(f"  date       {claim.claimed_date}", file=out)
    if claim.place or claim.lat is not None:
        coords = f" ({claim.lat:.4f}, {claim.lon:.4f}; within {claim.radius_km:g} km)" if claim.lat is not None else ""
        print(f"  place      {claim.place or ''}{coords}".rstrip(), file=out)
    if claim.languages:
        print(f"  languages  {', '.join(claim.languages)}", file=out)
    if claim.source_url:
        print(f"  source     {claim.source_url}", file=out)
    if not attachments:
        print("\nno reports attached (provenance claim attach ID REPORT..., or verify/batch --claim ID)", file=out)
        return
    if summary is not None:
        print(file=out)
        print_rollup(summary, out)
    # a report that fails its check now is not evidence: its rows are not shown, its reason is (issue 15)
    refused = {r.report_path: r.reason for r in summary.refused} if summary is not None else {}
    # with the roll-up, the unknowns are folded into one line per check below the table (as in the dossier)
    fold = summary is not None
    rows = []
    names = dossier.shown_names(attachments)  # two files of one name, told apart by their SHA-256
    for a in attachments:
        if a.report_path in refused:
            continue
        shown = [x for x in a.assessment if not (fold and x.result == "unknown")]
        rows += [(terminal(names[a.sha256]) if i == 0 else "", x.check, x.result, terminal(x.detail))
                 for i, x in enumerate(shown)]
    w_file = max([4] + [display_width(r[0]) for r in rows])
    w_check = max([5] + [len(r[1]) for r in rows] + [len(f.check) for f in (summary.folded if fold else [])])
    w_result = 11
    indent = w_file + w_check + w_result + 6
    if rows:  # none when every attached report is missing or refused (named below)
        print(file=out)
        print(f"{'file':<{w_file}}  {'check':<{w_check}}  {'result':<{w_result}}  detail", file=out)
    for name, check, result, detail in rows:
        lines = textwrap.wrap(detail, width=max(40, 120 - indent)) or [""]
        print(f"{pad(name, w_file)}  {check:<{w_check}}  {result:<{w_result}}  {lines[0]}", file=out)
        for more in lines[1:]:
            print(" " * indent + more, file=out)
    if summary is not None and (unknown := [f for f in summary.folded if f.result == "unknown"]):
        print("\nunknown (one line per check)", file=out)
        for f in unknown:
            k = len(f.reasons) - 1
            more = f" (and {k} other reason{'s' if k != 1 else ''}: `provenance claim report` lists them)" if k else ""
            print(f"  {f.check:<{w_check}}  {f.count} file{'s' if f.count != 1 else ''}: "
                  f"{terminal(f.reasons[0][0])}{more}", file=out)
    print(file=out)
    for a in attachments:
        if a.report_path in refused:
            print(f"{terminal(names[a.sha256])}: NOT USED: {terminal(refused[a.report_path])}  (report "
                  f"{terminal(a.report_path)})", file=out)
            continue
        print(f"{terminal(names[a.sha256])}: {_tally(a)}  (report {terminal(a.report_path)}; {a.origin_text})",
              file=out)
