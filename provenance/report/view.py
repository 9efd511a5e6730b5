"""What the report views share: time and link formatting, evidence flattening, timeline pieces, partials.

Stages build their part of ``report.html`` and ``report.md`` from these (see ``Stage.html``, ``Stage.markdown``,
``Stage.timeline_rows``). Light: Jinja only. Every partial is rendered with autoescape on, so nothing from the
media (tags, titles, file names, transcript) is ever marked safe; a stage's markup reaches the page already
escaped.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from provenance.safetext import finalize_printable, printable

SEVERITIES = ("warning", "notice", "info")
SEVERITY_WORDS = {
    "warning": "look at these first",
    "notice": "worth checking",
    "info": "for the record",
}
_EVIDENCE_MAX = 300  # characters per evidence value shown
STATUS_WORDS = {  # a section's status for people; report.json keeps the status words of the contract
    "ok": "ran",
    "error": "failed (see errors)",
    "skipped": "not in this pipeline",
    "not_applicable": "does not apply to this kind of file",
    "no_audio": "no audio track",
    "unavailable": "not available (engine not installed)",
}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " "))


def fmt_t(seconds: float | None) -> str:
    """``m:ss.s`` (``h:mm:ss`` past an hour): how editors cite a moment in a clip."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    if seconds >= 3600:
        h, rest = divmod(int(seconds), 3600)
        return f"{h}:{rest // 60:02d}:{rest % 60:02d}"
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:04.1f}"


def tick_label(seconds: int) -> str:
    """A timeline axis label: ``m:ss``, ``h:mm:ss`` past an hour."""
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def data_uri(jpeg: bytes | None) -> str | None:
    if not jpeg or not jpeg.startswith(b"\xff\xd8"):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def safe_link(url: str | None) -> str | None:
    """Only http(s) URLs become links; anything else (``javascript:``, ``data:``) stays text."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def osm_link(lat: float, lon: float) -> str | None:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=16/{lat:.6f}/{lon:.6f}"


def evidence_items(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """A finding's evidence as (label, text) pairs, nested values flattened to one readable line each."""
    return [(str(k).replace("_", " "), _short(_flatten(v))) for k, v in evidence.items()]


def _flatten(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_flatten(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, dict) for v in value):
            return "; ".join(_flatten(v) for v in value)
        return ", ".join(_flatten(v) for v in value) if value else "none"
    return str(value)


def _short(text: str) -> str:
    return text if len(text) <= _EVIDENCE_MAX else text[: _EVIDENCE_MAX - 1] + "…"


# -- Markdown -------------------------------------------------------------------------------------------------

# Enough to stop links, images, raw HTML, emphasis and table breaks; ``_`` only where it could open emphasis
# (inside a word it cannot), so tag names like creation_time stay readable in plain-text chat.
_SPECIAL = re.compile(r"([\\`*\[\]<>|~])|(?<![0-9A-Za-z])(_)|(_)(?![0-9A-Za-z])")


def md(text: object) -> str:
    """Inline text safe for CommonMark/GFM: specials backslash-escaped, line breaks folded to spaces."""
    flat = " ".join(str(text).split())
    return printable(_SPECIAL.sub(lambda m: "\\" + m.group(0), flat))  # ESC, BEL: `cat report.md` is common


def md_url(url: str) -> str:
    """A link destination that cannot close its brackets or a table cell."""
    return "".join(f"%{ord(c):02X}" if c in "<>| \\" else c for c in url)


# -- timeline ---------------------------------------------------------------------------------------------


@dataclass
class Bar:
    left: float  # percent of the clip
    width: float
    label: str
    title: str
    css: str = ""


@dataclass
class TimelineRow:
    label: str
    bars: list[Bar] = field(default_factory=list)
    note: str = ""  # shown when the row has no bars
    css: str = ""


@dataclass
class Timeline:
    duration: float
    rows: list[TimelineRow]
    ticks: list[Bar]
    legend: list[tuple[str, str]]  # (css class, text)


def pct(t: float, duration: float) -> float:
    """``t`` as a percentage of the clip, clamped to it."""
    return round(100.0 * min(max(t, 0.0), duration) / duration, 3)


def bar(start: float, end: float, duration: float, label: str, title: str, css: str = "") -> Bar:
    """A timeline bar from ``start`` to ``end`` seconds."""
    left = pct(start, duration)
    width = max(pct(end, duration) - left, 0.6)  # a one-frame segment stays visible
    return Bar(left, min(width, 100.0 - left) if left < 99.4 else 0.6, label, title, css)


# -- partial templates ----------------------------------------------------------------------------------------


@functools.cache
def environment(package: str) -> Environment:
    """The Jinja environment of a package's ``templates/`` folder (autoescaped, as the page is)."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize_printable,  # a file name holding ESC or BEL must not reach whoever `cat`s the page
    )
    env.globals.update(fmt_t=fmt_t, evidence_items=evidence_items)
    return env


def render_partial(package: str, template: str, **context: Any) -> Markup:
    """Render ``package``'s ``templates/template``; the result is markup, its values escaped by autoescape."""
    return Markup(environment(package).get_template(template).render(**context))
