"""Write a report folder: ``report.json`` (the contract), a self-contained ``report.html`` and ``report.md``.

Writes are atomic (temporary file in the same folder, then rename), so a crash never leaves a half report
that a resumed batch would mistake for a finished one. ``report.json`` is sealed with its own digest first
(``integrity``), and the HTML and Markdown show that digest. ``report.json`` is written last: a folder holding
it is a finished report.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.fileio import atomic_write
from provenance.report.html import render_html
from provenance.report.integrity import dumps, seal, sign_data
from provenance.report.markdown import render_markdown
from provenance.report.model import Integrity, Report

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["atomic_write", "render_html", "render_markdown", "report_dir_name", "to_json", "write_report"]


def report_dir_name(report: Report) -> str:
    """``<stem>-<sha256[:12]>``, with the stem reduced to safe characters (media names are untrusted)."""
    stem = Path(report.media.path).stem
    safe = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._")[:80] or "media"
    return f"{safe}-{report.media.sha256[:12]}"


def to_json(report: Report) -> str:
    return dumps(report.to_dict())


def write_report(report: Report, out: str | Path = "reports", *, signing_key: Ed25519PrivateKey | None = None) -> Path:
    """Seal the report, write ``report.html``, ``report.md`` and ``report.json`` into ``out/<stem>-<sha12>/``.

    With ``signing_key`` the report is signed as it is written (``signed_when: "written"``): the only signature
    that says provenance produced this content.
    """
    folder = Path(out) / report_dir_name(report)
    seal(report)
    if signing_key is not None:
        report.integrity = Integrity(**sign_data(report.to_dict(), signing_key, "written")["integrity"])
    atomic_write(folder / "report.html", render_html(report))
    atomic_write(folder / "report.md", render_markdown(report))
    atomic_write(folder / "report.json", to_json(report))
    return folder
