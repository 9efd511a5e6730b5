"""How reports show the sidecar stage: the platform's record of the post, each fact with the field it came from."""

from __future__ import annotations

from provenance.report.model import Report, SidecarSection
from provenance.report.view import md, render_partial, safe_link
from provenance.stage import StageView


def rows(s: SidecarSection) -> list[tuple[str, str]]:
    """(label, value) of what the sidecar says; the posting time names its field."""
    out = [("Sidecar", f"{s.format}: {s.file}" + (f" (SHA-256 {s.sha256})" if s.sha256 else ""))]
    when = f"{s.posted_at} ({s.posted_at_field})" if s.posted_at else "not given"
    out.append(("Posted", when))
    for label, value in (("Posted by", s.posted_by), ("Channel", s.channel), ("Forwarded from", s.forwarded_from),
                         ("Title", s.title), ("URL", s.url), ("Post id", s.message_id), ("Caption", s.caption)):
        if value:
            out.append((label, value))
    return out


class SidecarView(StageView):
    def html(self, report: Report) -> str:
        s: SidecarSection = report.sidecar
        if s.status != "ok" or not (s.found or s.refused):
            return ""
        return render_partial("provenance.sidecar", "sidecar.html.j2", s=s, rows=rows(s) if s.found else [],
                              link=safe_link(s.url))

    def markdown(self, report: Report) -> list[str]:
        s: SidecarSection = report.sidecar
        if s.status != "ok" or not (s.found or s.refused):
            return []
        out = ["## Platform sidecar", ""]
        if s.refused:
            out.append(f"- refused: {md(s.refused)}")
        else:
            out += [f"- **{label}:** {md(value)}" for label, value in rows(s)]
        return [*out, ""]
