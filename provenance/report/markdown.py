"""``report.md``: a short Markdown summary to paste into a ticket or a chat.

The frame (media, findings, errors) is written here; each stage adds its own section (``Stage.markdown``), in
registry order. Strings from the media are escaped for CommonMark renderers: a tag holding ``![x](https://tracker/)`` or
``<img ...>`` must not become an image that phones home or markup in the ticket system. Newlines inside a
value are folded so a value cannot start a heading, a list or a table row of its own.
"""

from __future__ import annotations

from pathlib import PurePath

from provenance import coverage, registry
from provenance.report.model import Report
from provenance.report.view import SEVERITIES, SEVERITY_WORDS, evidence_items, fmt_t, md


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
        i = r.integrity
        out.append(f"- **Signature:** signed {'as written' if i.signed_when == 'written' else 'later'} (key "
                   f"fingerprint `{md(i.key_id)}`)" if i.key_id else
                   "- **Signature:** unsigned (origin unknown: the digest catches accidental change only)")
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
    for stage in registry.STAGES:
        out += stage.view.markdown(r)
    streams = [c for section in r.sections.values() for c in coverage.coverages(section)]
    if streams:
        out += ["", "## Decoded", ""]
        for c in streams:
            frames = (f"{c.frames_sampled} frames sampled of {c.frames_decoded} decoded" if c.frames_sampled is not None
                      else f"{c.frames_decoded} audio frames")
            ranges = ", ".join(f"{fmt_t(x.start)}–{fmt_t(x.end)}" for x in c.decoded) or "nothing"
            out.append(f"- {'**' if coverage.short(c) else ''}{md(coverage.describe(c))}"
                       f"{'**' if coverage.short(c) else ''} · decoded {ranges} · {frames}")
    if r.errors:
        out += ["", "## Errors", ""]
        out += [f"- {md(e.stage)}: {md(e.message)}" for e in r.errors]
    return "\n".join(out).rstrip() + "\n"
