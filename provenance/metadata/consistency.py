"""Consistency checks over the normalised facts: each problem found becomes a ConsistencyCheck with evidence.

Only problems are listed; an empty list means nothing was flagged, not that the file is authentic. The checks
are deliberately about traces a verifier can explain to a reader ("written by FFmpeg", "clock unset"), and
leave severity to the findings rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from provenance.report.model import ConsistencyCheck

from .normalise import GPS_IMPOSSIBLE, GPS_NO_HEMISPHERE, GPS_NO_POSITION, GPS_UNREADABLE, Facts, Stamp

# Values written by FFmpeg (libavformat/libavcodec) and the tools built on it. A camera or phone writes its
# own encoder and handler names ("Core Media Video", "VideoHandle", "GoPro AVC"), never these.
_SOFTWARE_WRITERS = re.compile(r"^Lav[fc]\d|\bFFmpeg\b|HandBrake|\blibx26[45]\b|\bx26[45]\b", re.IGNORECASE)
# FFmpeg's mov/mp4 muxer names each track's handler like this when no handler name is given.
_FFMPEG_HANDLERS = {"VideoHandler", "SoundHandler", "SubtitleHandler", "DataHandler", "TimeCodeHandler"}
_FFMPEG_VENDOR = "FFMP"
_FFMPEG_FTYP_MINOR = "512"  # ftyp minor version FFmpeg's muxer writes (0x200); devices write 0
_APPLE_BRANDS = {"qt  ", "mp42", "M4V ", "M4A ", "heic", "heix", "mif1", "3gp4", "3gp5"}
_EDITORS = re.compile(
    r"Photoshop|Lightroom|\bGIMP\b|Affinity|Pixelmator|Snapseed|Picsart|Canva|Luminar|Capture One|"
    r"Premiere|After Effects|Final Cut|iMovie|DaVinci|CapCut|InShot|Adobe Express|Facetune|Meitu",
    re.IGNORECASE,
)

TIME_TOLERANCE_S = 180.0  # clocks of one device agree to the second; minutes allow for end-of-recording writes
FUTURE_SLACK = timedelta(days=1)  # a time without offset may be up to 14 h ahead of UTC
MAX_OFFSET = timedelta(hours=14)  # the widest real time-zone offset
OFFSET_STEP_S = 900  # time-zone offsets are whole quarter hours (+05:45 exists)


def check(facts: Facts, now: datetime | None = None) -> list[ConsistencyCheck]:
    now = now or datetime.now(UTC)
    checks: list[ConsistencyCheck] = []
    rules: list[Callable[[Facts], list[ConsistencyCheck]]] = [
        reencode_trace,
        lambda f: capture_time_sanity(f, now),
        time_mismatch,
        gps_sanity,
        editing_software,
        editing_history,
        modified_after_capture,
        brand_mismatch,
        impossible_duration,
        slow_motion,
    ]
    for rule in rules:
        checks += rule(facts)
    return checks


def reencode_trace(facts: Facts) -> list[ConsistencyCheck]:
    """(a) FFmpeg/Lavf/Lavc/HandBrake in encoder, software, handler, vendor, ftyp tags; x264 in the stream."""
    traces = []
    for tag, value in facts.writers:
        name = tag.rsplit(":", 1)[-1]
        if (
            _SOFTWARE_WRITERS.search(value)
            or (name in ("handler_name", "HandlerDescription") and value in _FFMPEG_HANDLERS)
            or (name in ("vendor_id", "VendorID") and value == _FFMPEG_VENDOR)
            or (name == "minor_version" and value == _FFMPEG_FTYP_MINOR)
        ):
            traces.append({"tag": tag, "value": value})
    traces += [{"tag": "Bitstream:encoder_info", "value": text} for text in facts.bitstream]
    if not traces:
        return []
    named = ", ".join(dict.fromkeys(t["value"] for t in traces[:3]))
    return [
        ConsistencyCheck(
            code="reencode_trace",
            message=(
                f"Written by FFmpeg-based software ({named}): the file was re-encoded or re-muxed after "
                "capture, so its container tags were rewritten by software and its dates and device tags "
                "may be copied or invented."
            ),
            evidence={"traces": traces},
        )
    ]


def capture_time_sanity(facts: Facts, now: datetime) -> list[ConsistencyCheck]:
    """(b) A zeroed time tag (unset clock, or a writer that blanked it) and a capture time in the future."""
    checks = []
    zeroed = [{"tag": s.source, "value": s.raw} for s in facts.stamps if s.zeroed]
    if zeroed:
        checks.append(
            ConsistencyCheck(
                code="capture_time_zeroed",
                message=(
                    "A date tag is zeroed (the 1904/1970 epoch or 0000:00:00): the clock was never set, or "
                    "the software that wrote the file blanked it."
                ),
                evidence={"tags": zeroed},
            )
        )
    stamp = facts.capture
    if stamp is not None and stamp.when is not None:
        when = stamp.when if stamp.when.tzinfo else stamp.when.replace(tzinfo=UTC)
        if when > now + FUTURE_SLACK:
            checks.append(
                ConsistencyCheck(
                    code="capture_time_future",
                    message=f"The capture time {stamp.iso} ({stamp.source}) lies in the future.",
                    evidence={"tag": stamp.source, "value": stamp.raw, "checked_at": now.isoformat()},
                )
            )
    return checks


def time_mismatch(facts: Facts) -> list[ConsistencyCheck]:
    """(c) Two time tags disagree by more than a few minutes, beyond what a time-zone offset explains."""
    stamps = [s for s in facts.stamps if s.when is not None and not s.date_only]  # a bare day is no moment
    tolerance = TIME_TOLERANCE_S + min(facts.duration_s or 0.0, 6 * 3600.0)  # header may be written at the end
    checks = []
    for i, first in enumerate(stamps):
        for second in stamps[i + 1 :]:
            if first.source.startswith("EXIF:") and second.source.startswith("EXIF:"):
                continue  # Original vs Digitized differ legitimately (scans); see modified_after_capture
            gap = _unexplained_gap(first, second, tolerance)
            if gap is None:
                continue
            checks.append(
                ConsistencyCheck(
                    code="time_mismatch",
                    message=(
                        f"{first.source} ({first.iso}) and {second.source} ({second.iso}) differ by "
                        f"{_human(gap)}, more than a time-zone offset explains: one of them was rewritten, "
                        "or the file was assembled from different sources."
                    ),
                    evidence={
                        "a": {"tag": first.source, "value": first.raw},
                        "b": {"tag": second.source, "value": second.raw},
                        "difference_s": round(gap, 3),
                        "tolerance_s": tolerance,
                    },
                )
            )
    return checks


def _unexplained_gap(a: Stamp, b: Stamp, tolerance: float) -> float | None:
    """Seconds between two stamps not explained by an offset; None when they agree."""
    if a.when is None or b.when is None:
        return None
    wall = (a.when.replace(tzinfo=None) - b.when.replace(tzinfo=None)).total_seconds()
    if a.when.tzinfo and b.when.tzinfo:
        instant = (a.when - b.when).total_seconds()
        if abs(instant) <= tolerance:
            return None
        # A QuickTime header time is UTC by the spec but local time on many cameras: agreeing wall clocks
        # then mean a camera that ignored the spec, not a rewrite.
        if (a.nominal_utc or b.nominal_utc) and abs(wall) <= tolerance:
            return None
        return abs(instant)
    # One side has no offset: any whole quarter-hour offset up to 14 h may separate the two wall clocks.
    if abs(wall) > MAX_OFFSET.total_seconds() + tolerance:
        return abs(wall)
    residual = abs(wall - round(wall / OFFSET_STEP_S) * OFFSET_STEP_S)
    if tolerance >= OFFSET_STEP_S / 2 or residual <= tolerance:
        return None
    return residual


def gps_sanity(facts: Facts) -> list[ConsistencyCheck]:
    """(d) GPS at exactly 0,0 ("null island": a placeholder, never a fix), unreadable, without a position, without
    its hemisphere (N/S, E/W references missing) or out of range."""
    kinds = (  # (code, which rejected tags, message); a tag goes to the first kind that takes it
        ("gps_zero", lambda why: why == "zero",
         "GPS reads 0,0 (null island): a placeholder written without a fix, not a location."),
        ("gps_unreadable", lambda why: why.startswith(GPS_UNREADABLE),
         f"{GPS_UNREADABLE}: the file has a GPS block, but no position can be read from it (damaged or emptied). "
         "Where it was taken is unknown, which is not the same as no GPS."),
        ("gps_no_position", lambda why: why.startswith(GPS_NO_POSITION),
         f"{GPS_NO_POSITION}: the file has a GPS block, but it holds no latitude or longitude (a receiver without a "
         "fix, or a position removed). Where it was taken is unknown, which is not the same as no GPS."),
        ("gps_no_hemisphere", lambda why: why.startswith(GPS_NO_HEMISPHERE),
         "{reason}. Where it was taken is unknown: without N/S or E/W the numbers fit points in mirrored "
         "hemispheres, so this is not a usable position."),
        ("gps_invalid", lambda why: why.startswith(GPS_IMPOSSIBLE), "{reason}. Where it was taken is unknown."),
        ("gps_invalid", lambda why: True, "A GPS tag is present but unusable (malformed, empty or out of range)."),
    )
    left, checks = list(facts.gps_rejected), []
    for code, takes, message in kinds:
        tags = [r for r in left if takes(str(r.get("reason", "")))]
        left = [r for r in left if r not in tags]
        if tags:
            message = message.replace("{reason}", str(tags[0].get("reason", "")))  # its numbers, for the finding
            checks.append(ConsistencyCheck(code=code, message=message, evidence={"tags": tags}))
    return checks


def editing_software(facts: Facts) -> list[ConsistencyCheck]:
    """An editor named in a software tag: the file was saved by an editing application after capture."""
    hits = [{"tag": tag, "value": value} for tag, value in facts.writers if _EDITORS.search(value)]
    if not hits:
        return []
    return [
        ConsistencyCheck(
            code="editing_software",
            message=f"Saved by editing software ({hits[0]['value']}): the content may have been altered.",
            evidence={"tags": hits},
        )
    ]


def modified_after_capture(facts: Facts) -> list[ConsistencyCheck]:
    """A modification time (EXIF DateTime, XMP ModifyDate/MetadataDate, QuickTime ModifyDate) well after capture.

    Cameras write both at the moment of capture; a later one means the file was re-saved, usually by software.
    When one of the two carries no offset, any real time-zone offset (up to 14 h) is allowed for.
    """
    capture = facts.capture
    if capture is None or capture.when is None or capture.date_only:
        return []
    tolerance = TIME_TOLERANCE_S + (facts.duration_s or 0.0)
    late = []
    for modify in facts.modified:
        if modify.when is None or modify.date_only:
            continue
        if modify.when.tzinfo and capture.when.tzinfo:
            seconds = (modify.when - capture.when).total_seconds()
            allowed = tolerance
        else:
            seconds = (modify.when.replace(tzinfo=None) - capture.when.replace(tzinfo=None)).total_seconds()
            same_clock = modify.source.startswith("EXIF:") and capture.source.startswith("EXIF:")
            if modify.nominal_utc and capture.nominal_utc:
                same_clock = True
            allowed = tolerance if same_clock else tolerance + MAX_OFFSET.total_seconds()
        if seconds > allowed:
            late.append((modify, seconds))
    if not late:
        return []
    modify, seconds = max(late, key=lambda item: item[1])
    return [
        ConsistencyCheck(
            code="modified_after_capture",
            message=(
                f"{modify.source} ({modify.iso}) is {_human(seconds)} after the capture time ({capture.iso}, "
                f"{capture.source}): the file was saved again long after it was recorded."
            ),
            evidence={
                "capture": {"tag": capture.source, "value": capture.raw},
                "modified": [{"tag": m.source, "value": m.raw, "after_s": round(s, 3)} for m, s in late],
                "difference_s": round(seconds, 3),
            },
        )
    ]


def editing_history(facts: Facts) -> list[ConsistencyCheck]:
    """XMP's xmpMM:History: each save with its software, action and time, as the editor recorded it."""
    entries = [e for e in facts.history if e.get("action") not in (None, "created")]
    if not entries:
        return []
    software = list(dict.fromkeys(e["software"] for e in entries if e.get("software")))
    actions = list(dict.fromkeys(e["action"] for e in entries if e.get("action")))
    named = ", ".join(software[:3]) or "unnamed software"
    return [
        ConsistencyCheck(
            code="editing_history",
            message=(
                f"The XMP editing history records {len(entries)} step(s) ({', '.join(actions[:4])}) by {named}: "
                "the file was opened and saved by software after it was created."
            ),
            evidence={"history": entries[:20]},
        )
    ]


def brand_mismatch(facts: Facts) -> list[ConsistencyCheck]:
    """ISO BMFF brands that the claimed device does not write.

    Apple's camera and screen recorder write QuickTime (major brand "qt  "), AVFoundation exports "mp42" or
    "M4V "; FFmpeg's muxer writes "isom" with minor version 512 whatever device the tags name.
    """
    if not facts.brands or facts.kind == "image":
        return []
    major = facts.brands[0]
    make = (facts.device.make or "").strip()
    problems = []
    if make.lower().startswith("apple") and major not in _APPLE_BRANDS:
        problems.append(f"major brand {major!r} is not one Apple devices write ({', '.join(sorted(_APPLE_BRANDS))})")
    if (make or facts.device.model) and major == "isom" and facts.minor_version == _FFMPEG_FTYP_MINOR:
        problems.append("brand 'isom' with minor version 512 is FFmpeg's muxer default, not a camera's")
    if not problems:
        return []
    claimed = " ".join(x for x in (facts.device.make, facts.device.model) if x)
    return [
        ConsistencyCheck(
            code="brand_mismatch",
            message=f"The file's brands do not fit the device its tags name ({claimed}): {'; '.join(problems)}.",
            evidence={
                "brands": facts.brands,
                "minor_version": facts.minor_version,
                "device": {"make": facts.device.make, "model": facts.device.model},
                "device_sources": facts.device_sources,
            },
        )
    ]


SLOW_MOTION_RATIO = 1.2  # capture rate over playback rate worth a word: 120/100 fps is not slow motion to a viewer


def impossible_duration(facts: Facts) -> list[ConsistencyCheck]:
    """A declared duration that cannot be (negative): refused as the clip's duration, and said."""
    if facts.impossible_duration_s is None:
        return []
    return [ConsistencyCheck(
        code="impossible_duration",
        message=f"The container declares an impossible duration ({facts.impossible_duration_s:.6g} s): the "
                "header is damaged or forged; the duration is reported as unknown.",
        evidence={"declared_s": facts.impossible_duration_s},
    )]


def slow_motion(facts: Facts) -> list[ConsistencyCheck]:
    """A clip recorded faster than it plays (Android writes ``com.android.capture.fps``): times read from the
    playback are stretched; the real-time span is duration x playback rate / capture rate."""
    if facts.capture_fps is None or not facts.playback_fps:
        return []
    source, captured = facts.capture_fps
    if captured < facts.playback_fps * SLOW_MOTION_RATIO:
        return []
    ratio = captured / facts.playback_fps
    span = f"its {facts.duration_s:.1f} s of playback show about {facts.duration_s / ratio:.1f} s of real time" \
        if facts.duration_s else f"each second of playback shows {1 / ratio:.2f} s of real time"
    return [ConsistencyCheck(
        code="slow_motion",
        message=f"Slow motion: recorded at {captured:g} fps, played at {facts.playback_fps:g} fps ({source}); "
                f"{span}. Durations and times read from the playback are {ratio:.1f}x real time.",
        evidence={"capture_fps": captured, "playback_fps": facts.playback_fps, "tag": source,
                  "duration_s": facts.duration_s,
                  "real_time_s": round(facts.duration_s / ratio, 3) if facts.duration_s else None},
    )]


def _human(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
