"""How reports show the metadata stage: each field with the tag it came from, the checks, every tag read."""

from __future__ import annotations

from dataclasses import dataclass

from provenance.report.model import MetadataSection, Report
from provenance.report.view import md, osm_link, render_partial, status_words
from provenance.stage import StageView

# What the GPS row says when a GPS block exists but gives no position (consistency.gps_sanity's codes).
_GPS_BLOCK_WORDS = {"gps_unreadable": "present but unreadable", "gps_no_position": "block present without a position",
                    "gps_no_hemisphere": "unknown: latitude and longitude without N/S or E/W (not a usable position)"}


@dataclass
class MetaRow:
    label: str
    value: str
    source: str
    link: str | None = None


@dataclass
class Page:
    """What the stage's template reads as ``v``."""

    meta_rows: list[MetaRow]
    raw_tags: int


def tag_source(section: MetadataSection, key: str, value: str | None) -> str:
    """The tag a field's value came from: the section's own record, else the raw tag holding exactly that value."""
    if value is None:
        return ""
    recorded = (getattr(section, "sources", None) or {}).get(key)
    if recorded and not recorded.startswith("container:"):  # "container:encoder" names no group: find the tag
        return recorded
    for group, tags in section.raw.items():
        if isinstance(tags, dict):
            for tag, text in tags.items():
                if str(text).strip() == value.strip():
                    return f"{group}:{tag}"
    return recorded or "derived (no single tag)"


def _meta_rows(section: MetadataSection) -> list[MetaRow]:
    rows = [MetaRow("Capture time", section.capture_time or "unknown", section.capture_time_source or "")]
    if getattr(section, "document_created", None):  # a document's own creation time, never a capture time
        rows = [MetaRow("Document created (not a capture time)", section.document_created,
                        section.document_created_source or "")]
    if getattr(section, "modify_time", None):
        rows.append(MetaRow("Modified", section.modify_time, section.modify_time_source or ""))
    rows.append(MetaRow("Time zone", section.timezone or "unknown",
                        (section.capture_time_source or "") if section.timezone else ""))
    for label, key, value in (("Device make", "device.make", section.device.make),
                              ("Device model", "device.model", section.device.model),
                              ("Device software", "device.software", section.device.software),
                              ("Encoder", "encoder", section.encoder)):
        rows.append(MetaRow(label, value or "unknown", tag_source(section, key, value)))
    if section.gps is not None:
        g = section.gps
        text = f"{g.lat:.6f}, {g.lon:.6f}" + (f", altitude {g.alt:g} m" if g.alt is not None else "")
        rows.append(MetaRow("GPS", text, g.source, osm_link(g.lat, g.lon)))
    elif unreadable := next((c for c in section.consistency if c.code in _GPS_BLOCK_WORDS), None):
        tags = unreadable.evidence.get("tags") or [{}]
        rows.append(MetaRow("GPS", _GPS_BLOCK_WORDS[unreadable.code], str(tags[0].get("source", ""))))
    else:
        rows.append(MetaRow("GPS", "none recorded", ""))
    sources = getattr(section, "sources", None) or {}
    if getattr(section, "rotation", None) is not None:
        rows.append(MetaRow("Display rotation", f"{section.rotation}°", sources.get("rotation", "track matrix (tkhd)")))
    if getattr(section, "brands", None):
        rows.append(MetaRow("File brands", ", ".join(section.brands), sources.get("brands", "ftyp box")))
    if getattr(section, "handlers", None):
        rows.append(MetaRow("Track handlers", ", ".join(section.handlers), sources.get("handlers", "hdlr boxes")))
    rows.append(MetaRow("Content Credentials", _c2pa_text(section),
                        "C2PA manifest store" if section.c2pa.present else ""))
    for step in getattr(section, "history", None) or []:
        text = " ".join(str(step.get(k, "")) for k in ("action", "softwareAgent", "software", "when") if step.get(k))
        rows.append(MetaRow("Editing history", text or str(step), "XMP:History"))
    return rows


def _c2pa_text(section: MetadataSection) -> str:
    c = section.c2pa
    validation = getattr(c, "validation", None)
    if c.present is None and validation is None:
        return "not checked"
    if c.present:
        text = f"manifest {validation or c.state or 'unread'}" + (f", signed by {c.signer}" if c.signer else "")
        trusted = getattr(c, "signer_trusted", None)
        text += {True: " (signer on the trust list)", False: " (signer not on the trust list)"}.get(trusted, "")
        text += f"; generator {c.claim_generator}" if c.claim_generator else ""
        text += f"; actions: {', '.join(c.actions)}" if c.actions else ""
    else:
        text = "no manifest (unknown: a re-save strips it; not evidence either way)"
    note = getattr(c, "note", None)
    return f"{text}. {note}" if note else text


class MetadataView(StageView):
    def html(self, report: Report) -> str:
        section: MetadataSection = report.metadata
        v = Page(
            meta_rows=_meta_rows(section),
            raw_tags=sum(len(tags) for tags in section.raw.values() if isinstance(tags, dict)),
        )
        return render_partial("provenance.metadata", "metadata.html.j2", r=report, v=v)

    def markdown(self, report: Report) -> list[str]:
        section: MetadataSection = report.metadata
        out = ["## Metadata", ""]
        if section.status != "ok":
            out.append(f"- not read ({md(status_words(section.status))})")
        else:
            src = f" ({md(section.capture_time_source)})" if section.capture_time_source else ""
            if section.document_created:  # a document's own creation time, never a capture time
                made = f" ({md(section.document_created_source)})" if section.document_created_source else ""
                out.append(f"- **Document created (not a capture time):** {md(section.document_created)}{made}")
            else:
                out.append(f"- **Capture time:** {md(section.capture_time or 'unknown')}{src}")
            device = " ".join(x for x in (section.device.make, section.device.model) if x)
            out.append(f"- **Device:** {md(device or 'unknown')}")
            out.append(f"- **Encoder:** {md(section.encoder or 'unknown')}")
            if section.gps:
                g = section.gps
                link = osm_link(g.lat, g.lon)
                where = f"{g.lat:.6f}, {g.lon:.6f}"
                out.append(f"- **GPS:** {f'[{where}](<{link}>)' if link else where} ({md(g.source)})")
            elif block := next((c.code for c in section.consistency if c.code in _GPS_BLOCK_WORDS), None):
                out.append(f"- **GPS:** {_GPS_BLOCK_WORDS[block]}")
            else:
                out.append("- **GPS:** none recorded")
        out.append("")
        return out

    def run_details(self, report: Report) -> list[tuple[str, str]]:
        readers = report.metadata.readers
        return [("Metadata readers", " · ".join(f"{k} {v}" for k, v in readers.items()))] if readers else []
