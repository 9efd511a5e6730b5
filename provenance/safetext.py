"""Untrusted text leaving the tool: CSV cells, JSON inside an HTML ``<script>``, terminal lines.

File names, metadata and claim text come from whoever made the file or the claim. A CSV cell starting with
``=``, ``+``, ``-`` or ``@`` is a formula to a spreadsheet; ``</script>`` or ``<!--`` in a JSON-LD string ends or
bends the script element a newsroom page embeds it in; control characters rewrite the user's terminal. The
encoders (csv, json) stay the standard library's; these are only the project's rules on top.
"""

from __future__ import annotations

import json
import re
from typing import Any

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


def terminal(text: str) -> str:
    """One line safe to print: control characters (escape sequences, carriage returns, newlines) as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        text)
