"""Untrusted text leaving the tool: CSV cells, JSON inside an HTML ``<script>``, terminal lines.

File names, metadata and claim text come from whoever made the file or the claim. A CSV cell starting with
``=``, ``+``, ``-`` or ``@`` is a formula to a spreadsheet; ``</script>`` or ``<!--`` in a JSON-LD string ends or
bends the script element a newsroom page embeds it in; control characters rewrite the user's terminal. The
encoders (csv, json) stay the standard library's; these are only the project's rules on top. Ids (references,
claims) are typed back and printed, so their rules live here too: :func:`id_problem` and :func:`as_id`.
"""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

from markupsafe import Markup

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 and C1 controls and DEL, but not tab; the bidirectional overrides and isolates that reorder what is shown
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice); others as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def script_safe_json(data: Any) -> str:
    """JSON (indented, UTF-8) that is also safe verbatim inside ``<script type="application/ld+json">``.

    ``<``, ``>``, ``&`` and the JavaScript line separators only ever occur inside JSON strings, where their
    ``\\uXXXX`` escapes mean the same: any JSON reader gets the same data back.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_UNSAFE[m.group()], text) + "\n"


# what a line may keep: its line breaks and tabs; everything else that steers a terminal is escaped
_STREAM_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text that keeps its line breaks and tabs, every other control character as ``\\xNN`` (bidirectional
    overrides as ``\\uNNNN``): for files a person may ``cat`` or open in a viewer (report.md, HTML pages)."""
    return _STREAM_CONTROL.sub(_escape, text)


def published(value: Any) -> Any:
    """``value`` (nested dicts and lists too) with every control and bidirectional-override character removed
    from its strings, line breaks and tabs as spaces: for text published to readers outside the desk (a
    ClaimReview), where an escape sequence or a right-to-left override only misleads."""
    if isinstance(value, str):
        return _STREAM_CONTROL.sub("", value.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))
    if isinstance(value, dict):
        return {k: published(v) for k, v in value.items()}
    if isinstance(value, list):
        return [published(v) for v in value]
    return value


def finalize_printable(value: Any) -> Any:
    """Jinja ``finalize``: every ``{{ value }}`` printable (:func:`printable`), markup kept as markup."""
    if isinstance(value, Markup):
        return Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value


class TerminalStream:
    """A text stream that escapes control characters in everything written to it but line breaks and tabs.

    The CLI installs it over stdout and stderr, so that a file name, a metadata value or a claim holding escape
    sequences can never recolour, overwrite or hide what the user reads. ``unfiltered`` is the stream beneath,
    for the progress line's own carriage return and erase sequence.
    """

    def __init__(self, stream: TextIO) -> None:
        self.unfiltered = stream

    def write(self, text: str) -> int:
        self.unfiltered.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unfiltered, name)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """One line safe to print: control characters (escape sequences, carriage returns, newlines) as ``\\xNN``."""
    return _CONTROL.sub(_escape, text)


# -- ids a user types and the tool prints ------------------------------------------------------------------

ID_MAX_CHARS = 200  # a reference or claim id is a name to type, not a document; longer is a mistake or an attack


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a reference or claim id, or None when it can.

    Ids are typed back on the command line and printed in tables and reports, and may hold ``/`` (folder-derived
    ids such as ``2020-05-09/IMG_0001``): one starting with ``-`` would read as an option, control characters
    would rewrite the terminal, and an absolute path or a ``..`` segment would name somewhere else wherever an id
    becomes part of a path.
    """
    if not value or not value.strip():
        return "it is empty"
    if value != value.strip():
        return "it starts or ends with white space"
    if value.startswith("-"):
        return "it starts with '-' (it would read as an option)"
    if _CONTROL.search(value):
        return "it holds control characters"
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        return "it is an absolute path"
    if any(part in ("", ".", "..") for part in re.split(r"[/\\]", value)):
        return "it has an empty, '.' or '..' folder part"
    if len(value) > ID_MAX_CHARS:
        return f"it is longer than {ID_MAX_CHARS} characters"
    return None


def as_id(parts: list[str]) -> str:
    """An id made of untrusted names (folder names, a file stem) that :func:`id_problem` accepts: control
    characters escaped, ``.``/``..``/empty parts and a leading ``-`` replaced by ``_``."""
    clean = [terminal(p.replace("/", "_").replace("\\", "_")).strip() for p in parts]
    clean = ["_" if p in ("", ".", "..") else p for p in clean]
    text = "/".join(clean)[-ID_MAX_CHARS:].lstrip("/")
    return "_" + text[1:] if text.startswith("-") else text or "_"


# What a derived id keeps of a name: letters and digits of any script (with their combining marks) and these
# few marks no shell gives a meaning to; every other run (spaces, tabs, commas, quotes, ~ $ ( ) ` ; & | * ? [ ] \ !,
# control and format characters, bytes that are not UTF-8) becomes one "_" (at a part's ends: nothing)
_ID_MARKS = frozenset("-_.+@")


def _unreadable(ch: str) -> bool:
    import unicodedata

    return not (ch.isalnum() or ch in _ID_MARKS or unicodedata.category(ch).startswith("M"))


def readable_id(parts: list[str]) -> str:
    """An id made of untrusted names (folder names, a file stem, as ``os.fsdecode`` gives them: bytes that are not
    UTF-8 as lone surrogates) that can be typed back in a shell unquoted and shown in a terminal or a report as
    it is: every run of other characters one "_" (``_ID_MARKS``), then :func:`as_id`'s rules. "IMG 0001 (copy)"
    becomes ``IMG_0001_copy``; a name holding an escape sequence or ``$(...)`` becomes its letters and digits
    (issue 14 round 8, low b: such ids were derived with a tab, "$(" or "\\x1b[31m" in them)."""
    clean = []
    for part in parts:
        out: list[str] = []
        bad = False
        for ch in part:
            if _unreadable(ch):
                bad = True
                continue
            if bad and out:
                out.append("_")
            bad = False
            out.append(ch)
        clean.append("".join(out))
    return as_id(clean)

