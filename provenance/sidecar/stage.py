"""The sidecar stage: what the platform's own record beside the file says (posted when, by whom, with which
caption), checked against the evidence of the other stages.

The record is read by ``provenance.sidecar.formats`` (yt-dlp ``.info.json``, Telegram Desktop ``result.json``,
auto-archiver ``metadata.json``). Its findings run after every stage, so they can set the posting date beside
the metadata's capture time and the visual matches' first-seen dates: footage filmed or first seen well before
it was posted was not new when posted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from provenance.report.model import Finding, Report, SidecarSection
from provenance.sidecar.formats import SidecarError, find, instant
from provenance.sidecar.view import SidecarView
from provenance.stage import Context, Stage, StageConfig

# A capture time or first-seen date counts as before the posting only when it is more than this much earlier:
# a date without a time (first-seen dates, yt-dlp's upload_date) and a time without an offset (EXIF, Telegram's
# local `date`) are each up to a day off (time zones span UTC-12 to UTC+14), the same slack first-seen dates get
SLACK = dt.timedelta(days=1)


@dataclass
class SidecarConfig(StageConfig):
    """The sidecar stage's profile table ``[sidecar]``."""

    budget_s: float = 30.0  # parsing a 54-MiB Telegram export takes ~3 s on a loaded machine (measured), so
    # a 256-MiB one (formats.MAX_BYTES) ~15 s


def _days(a: dt.datetime, b: dt.datetime) -> str:
    days = (b - a).days
    return f"{days} day{'s' if days != 1 else ''}"


class SidecarStage(Stage):
    name = "sidecar"
    config_type = SidecarConfig
    section_type = SidecarSection
    kinds: ClassVar = frozenset({"video", "image", "audio"})
    view = SidecarView()

    def run(self, ctx: Context) -> SidecarSection:
        try:
            found = find(ctx.media.path, duration_s=ctx.media.duration_s if ctx.media.kind != "image" else None)
        except SidecarError as exc:
            return SidecarSection(status="ok", refused=str(exc))
        if found is None:
            return SidecarSection(status="ok")
        return SidecarSection(status="ok", found=True, **{k: getattr(found, k) for k in _FIELDS})

    def findings(self, report: Report) -> list[Finding]:
        s: SidecarSection = report.sidecar
        if s.status != "ok":
            return []
        if s.refused:
            return [Finding("sidecar_refused", "notice", f"A platform sidecar was found but refused: {s.refused}.",
                            {"reason": s.refused})]
        if not s.found:
            return []
        where = f"{s.format} sidecar {s.file}"
        who = f" by {s.posted_by}" if s.posted_by else ""
        chan = f" in {s.channel}" if s.channel and s.channel != s.posted_by else ""
        fwd = f", forwarded from {s.forwarded_from}" if s.forwarded_from else ""
        caption = f" with the caption “{_short(s.caption)}”" if s.caption else " with no caption"
        when = f"Posted {s.posted_at}" if s.posted_at else "Posted (no date given)"
        evidence = {k: getattr(s, k) for k in _FIELDS if k != "sha256" or s.sha256}
        out = [Finding("sidecar_posted", "info", f"{when}{who}{chan}{fwd}{caption} (from the {where}).", evidence)]
        posted = instant(s.posted_at)
        if posted is None:
            return out
        day = s.posted_at[:10]
        for m in report.visual.matches if report.visual.status == "ok" else []:
            seen = instant(m.first_seen)
            if seen is not None and seen < posted - SLACK:
                out.append(Finding(
                    "sidecar_posted_after_first_seen", "warning",
                    f"Posted {day} as in the {s.format} sidecar, but the footage was first seen {m.first_seen[:10]} "
                    f"(known imagery '{m.title or m.reference_id}'{', ' + m.source if m.source else ''}): "
                    f"{_days(seen, posted)} earlier.",
                    {"posted_at": s.posted_at, "first_seen": m.first_seen, "reference_id": m.reference_id,
                     "sidecar": s.file}))
        meta = report.metadata
        captured = instant(meta.capture_time) if meta.status == "ok" else None
        if captured is not None and captured < posted - SLACK:
            out.append(Finding(
                "sidecar_posted_after_capture", "notice",
                f"Posted {day} as in the {s.format} sidecar, but the file's capture time is {meta.capture_time} "
                f"(from {meta.capture_time_source}): recorded {_days(captured, posted)} before it was posted.",
                {"posted_at": s.posted_at, "capture_time": meta.capture_time, "sidecar": s.file}))
        elif captured is not None and captured > posted + SLACK:
            out.append(Finding(
                "sidecar_capture_after_post", "notice",
                f"The file's capture time {meta.capture_time} is after the posting date {day} in the {s.format} "
                f"sidecar: one of them is wrong, or the sidecar describes another file.",
                {"posted_at": s.posted_at, "capture_time": meta.capture_time, "sidecar": s.file}))
        return out


_FIELDS = ("format", "file", "title", "posted_by", "channel", "posted_at", "posted_at_field", "url", "caption",
           "forwarded_from", "message_id", "sha256")


def _short(text: str, limit: int = 140) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[:limit].rstrip() + "…"
