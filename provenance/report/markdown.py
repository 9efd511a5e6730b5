"""``report.md``: a short Markdown summary to paste into a ticket or a chat.

Strings from the media are escaped for CommonMark renderers: a tag holding ``![x](https://tracker/)`` or
``<img ...>`` must not become an image that phones home or markup in the ticket system. Newlines inside a
value are folded so a value cannot start a heading, a list or a table row of its own.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from provenance.report.html import SEVERITIES, SEVERITY_WORDS, evidence_items, fmt_t, osm_link, safe_link
from provenance.report.model import Report

# Enough to stop links, images, raw HTML, emphasis and table breaks; ``_`` only where it could open emphasis
# (inside a word it cannot), so tag names like creation_time stay readable in plain-text chat.
_SPECIAL = re.compile(r"([\\`*\[\]<>|~])|(?<![0-9A-Za-z])(_)|(_)(?![0-9A-Za-z])")


def md(text: object) -> str:
    """Inline text safe for CommonMark/GFM: specials backslash-escaped, line breaks folded to spaces."""
    flat = " ".join(str(text).split())
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), flat)


def _url(url: str) -> str:
    """A link destination that cannot close its brackets or a table cell."""
    return "".join(f"%{ord(c):02X}" if c in "<>| \\" else c for c in url)


def render_markdown(report: Report) -> str:
    r = report
    name = PurePath(r.media.path).name or r.media.path
    facts = [r.media.kind, r.media.container or "unknown container"]
    if r.media.duration_s:
        facts.append(f"{fmt_t(r.media.duration_s)} ({r.media.duration_s:.1f} s)")
    if r.media.video:
        facts.append(f"{r.media.video.width}×{r.media.video.height} {r.media.video.codec or ''}".strip())
    facts.append(f"{r.media.size_bytes:,} bytes")
    out = [
        f"# Provenance report: {md(name)}",
        "",
        f"- **Media:** {md(' · '.join(str(f) for f in facts))}",
        f"- **SHA-256:** `{r.media.sha256}`",
        f"- **Tool:** {md(r.tool.name)} {md(r.tool.version)} · pipeline {md(r.pipeline.name)} "
        f"(`{r.pipeline.digest[:12]}`) · {md(r.created_at)}",
    ]
    if r.integrity:
        out.append(f"- **Report digest:** {r.integrity.algorithm} `{r.integrity.digest}` "
                   "(verify with `provenance report check report.json`)")
    counts = ", ".join(f"{sum(f.severity == s for f in r.findings)} {s}" for s in SEVERITIES)
    out += ["", "## Findings", "", f"{counts}. *Evidence, not verdicts.*", ""]
    for sev in SEVERITIES:
        items = [f for f in r.findings if f.severity == sev]
        if not items:
            continue
        out.append(f"**{sev.capitalize()}** ({SEVERITY_WORDS[sev]}):")
        out.append("")
        for f in items:
            out.append(f"- {md(f.message)} `{f.code}`")
            ev = "; ".join(f"{k}: {v}" for k, v in evidence_items(f.evidence))
            if ev:
                out.append(f"  - evidence: {md(ev)}")
        out.append("")
    if r.visual.matches:
        out += ["## Known imagery", "",
                "| # | Reference | First seen | Source | Clip → reference | Covered | Closest |",
                "|---|---|---|---|---|---|---|"]
        for n, m in enumerate(r.visual.matches, 1):
            spans = "; ".join(f"{fmt_t(s.query_start)}–{fmt_t(s.query_end)} → {fmt_t(s.reference_start)}–"
                              f"{fmt_t(s.reference_end)}{' (mirrored)' if s.mirrored else ''}" for s in m.segments)
            title = md(m.title or m.reference_id)
            link = safe_link(m.url)
            ref = f"[{title}](<{_url(link)}>)" if link else title
            out.append(f"| {n} | {ref} | {md(m.first_seen or 'unknown')} | {md(m.source or 'unknown')} | {spans} | "
                       f"{m.query_coverage:.0%} | {m.min_distance}/256 |")
        out.append("")
    md_ = r.metadata
    out += ["## Metadata", ""]
    if md_.status != "ok":
        out.append(f"- not read ({md(md_.status)})")
    else:
        src = f" ({md(md_.capture_time_source)})" if md_.capture_time_source else ""
        out.append(f"- **Capture time:** {md(md_.capture_time or 'unknown')}{src}")
        device = " ".join(x for x in (md_.device.make, md_.device.model) if x)
        out.append(f"- **Device:** {md(device or 'unknown')}")
        out.append(f"- **Encoder:** {md(md_.encoder or 'unknown')}")
        if md_.gps:
            g = md_.gps
            link = osm_link(g.lat, g.lon)
            where = f"{g.lat:.6f}, {g.lon:.6f}"
            out.append(f"- **GPS:** {f'[{where}](<{link}>)' if link else where} ({md(g.source)})")
        else:
            out.append("- **GPS:** none recorded")
    out.append("")
    au = r.audio
    out += ["## Speech", ""]
    if au.language:
        top = ", ".join(f"{md(c)} {p:.2f}" for c, p in au.language.top)
        out.append(f"- **Language:** {md(au.language.code)} (probability {au.language.probability:.2f}; top: {top})")
        langs = ", ".join(f"{fmt_t(x.start)}–{fmt_t(x.end)} {md(x.language)}" for x in au.timeline)
        if langs:
            out.append(f"- **Regions:** {langs}")
        out.append(f"- **Model:** {md(au.engine or '')} · {md(au.model or '')}")
    else:
        out.append({"ok": "- no intelligible speech", "skipped": "- audio not analysed (not in this pipeline)"}.get(
            au.status, f"- {md(au.status)}"))
    if r.errors:
        out += ["", "## Errors", ""]
        out += [f"- {md(e.stage)}: {md(e.message)}" for e in r.errors]
    return "\n".join(out).rstrip() + "\n"
