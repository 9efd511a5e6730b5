"""Write a report folder: ``report.json`` (the contract) and a self-contained ``report.html``.

Writes are atomic (temporary file in the same folder, then rename), so a crash never leaves a half report
that a resumed batch would mistake for a finished one.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from provenance.report.model import Report

_env = Environment(
    loader=PackageLoader("provenance.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_dir_name(report: Report) -> str:
    """``<stem>-<sha256[:12]>``, with the stem reduced to safe characters (media names are untrusted)."""
    stem = Path(report.media.path).stem
    safe = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._")[:80] or "media"
    return f"{safe}-{report.media.sha256[:12]}"


def atomic_write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_html(report: Report) -> str:
    return _env.get_template("report.html.j2").render(r=report, data=report.to_dict())


def write_report(report: Report, out: str | Path = "reports") -> Path:
    """Write ``report.json`` and ``report.html`` into ``out/<stem>-<sha12>/`` and return that folder."""
    folder = Path(out) / report_dir_name(report)
    atomic_write(folder / "report.json", to_json(report))
    atomic_write(folder / "report.html", render_html(report))
    return folder
