"""Turn what the readers saw into the report's fields: capture time, device, GPS, encoder, and raw tags.

Preference follows ExifTool's composites: EXIF DateTimeOriginal (with OffsetTimeOriginal), then QuickTime
Keys CreationDate (which carries the offset), then EXIF DateTimeDigitized, then the container's header time.
Every time tag seen is kept as a ``Stamp`` so the consistency checks can compare them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from provenance.report.model import GPS, Device

from .container import ContainerTags
from .exif import ExifTags, group_of

RAW_VALUE_MAX = 1024  # characters kept per raw tag value
RAW_TAGS_MAX = 256  # tags kept per raw group (a TIFF can hold thousands of IFDs)

_TIME = re.compile(
    r"^\s*(\d{4})[-:/](\d{2})[-:/](\d{2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.IGNORECASE,
)
# ISO 6709 as QuickTime writes it: +DD.DDDD+DDD.DDDD[+AAA.AAA][CRS...]/ ; also DDMM.MM and DDMMSS.S forms.
_ISO6709 = re.compile(r"^\s*([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?(?:CRS[^/]*)?/?\s*$")

# Container/Keys tags, in preference order, for each device field.
_MAKE_KEYS = ("com.apple.quicktime.make", "make", "com.android.manufacturer")
_MODEL_KEYS = ("com.apple.quicktime.model", "model", "com.android.model")
_SOFTWARE_KEYS = ("com.apple.quicktime.software", "software", "com.android.version")
_LOCATION_KEYS = ("com.apple.quicktime.location.ISO6709", "location")
# Tags whose values name the software that wrote the file: the re-encoding trace reads these.
_WRITER_KEYS = ("encoder", "software", "handler_name", "vendor_id", "com.apple.quicktime.software")
# FFmpeg's mov/mp4 muxer writes ftyp minor version 0x200 (seen with the isom and qt brands); devices write 0.
_FFMPEG_FTYP_MINOR = "512"


@dataclass(frozen=True)
class Stamp:
    """One time tag as read: ``when`` is None when the tag is zeroed (an unset clock, not a capture time)."""

    source: str  # "EXIF:DateTimeOriginal", "QuickTime:creation_time"
    raw: str
    when: datetime | None
    tz: str | None  # "+03:00", "Z", or None when the tag carries no offset
    nominal_utc: bool = False  # QuickTime header times: UTC by the spec, local time on many cameras

    @property
    def zeroed(self) -> bool:
        return self.when is None

    @property
    def iso(self) -> str | None:
        if self.when is None:
            return None
        text = self.when.isoformat()
        return text[:-6] + "Z" if self.tz == "Z" and text.endswith("+00:00") else text


@dataclass
class Facts:
    """Everything the section and the consistency checks need, with the tag each value came from."""

    kind: str
    stamps: list[Stamp] = field(default_factory=list)
    capture: Stamp | None = None
    modify: Stamp | None = None
    device: Device = field(default_factory=Device)
    device_sources: dict[str, str] = field(default_factory=dict)
    gps: GPS | None = None
    gps_rejected: list[dict[str, Any]] = field(default_factory=list)
    encoder: str | None = None
    writers: list[tuple[str, str]] = field(default_factory=list)  # (tag, value) naming writing software
    bitstream: list[str] = field(default_factory=list)
    duration_s: float | None = None


# --- times --------------------------------------------------------------------------------------------------


def parse_time(
    text: str | None, source: str, *, offset: str | None = None, nominal_utc: bool = False
) -> Stamp | None:
    """Parse an EXIF ("2016:09:28 18:18:05") or ISO 8601 time; None when absent or unparseable."""
    if text is None:
        return None
    text = text.replace("\x00", "").strip()
    if not text:
        return None
    if not re.search(r"[1-9]", text):  # "0000:00:00 00:00:00" or "    :  :     :  :  ": clock never set
        return Stamp(source, text, None, None, nominal_utc)
    match = _TIME.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    tz_text = _offset(zone) if zone else _offset(offset)
    try:
        when = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((frac or "0")[:6].ljust(6, "0")),
        )
        if tz_text is not None:
            when = when.replace(tzinfo=_tzinfo(tz_text))
    except ValueError:  # month 13, hour 25, offset +99:00...
        return None
    if _is_epoch(when):
        return Stamp(source, text, None, None, nominal_utc)
    return Stamp(source, text, when, tz_text, nominal_utc)


def _offset(text: str | None) -> str | None:
    """Normalise "+0300", "+03", "+03:00", "Z", "UTC" to "+03:00" / "Z"; None for anything else."""
    if not text:
        return None
    text = text.strip().upper()
    if text in ("Z", "UTC", "GMT"):
        return "Z"
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    return f"{sign}{hours}:{minutes or '00'}"


def _tzinfo(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _is_epoch(when: datetime) -> bool:
    """QuickTime's 1904 epoch and the Unix epoch at exactly midnight: a zeroed header, not a date."""
    naive = when.replace(tzinfo=None)
    return naive in (datetime(1904, 1, 1), datetime(1970, 1, 1))


# --- GPS ----------------------------------------------------------------------------------------------------


def parse_iso6709(text: str | None) -> tuple[float, float, float | None] | None:
    """Decode "+32.0929+034.8620+010.000/" (also the DDMM and DDMMSS forms); None when malformed."""
    match = _ISO6709.match(text or "")
    if match is None:
        return None
    lat_text, lon_text, alt_text = match.groups()
    try:
        lat, lon = _iso_angle(lat_text, 2), _iso_angle(lon_text, 3)
    except ValueError:
        return None
    alt = float(alt_text) if alt_text else None
    return lat, lon, alt


def _iso_angle(text: str, degree_digits: int) -> float:
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:]
    whole, _, frac = body.partition(".")
    frac_value = float("0." + frac) if frac else 0.0
    if len(whole) == degree_digits:
        value = int(whole) + frac_value
    elif len(whole) == degree_digits + 2:
        value = int(whole[:degree_digits]) + (int(whole[degree_digits:]) + frac_value) / 60
    elif len(whole) == degree_digits + 4:
        value = (
            int(whole[:degree_digits])
            + int(whole[degree_digits : degree_digits + 2]) / 60
            + (int(whole[degree_digits + 2 :]) + frac_value) / 3600
        )
    else:
        raise ValueError(text)
    return sign * value


def exif_gps(exif: ExifTags) -> tuple[float, float, float | None] | str | None:
    """EXIF GPS as signed decimal degrees; None when absent, a reason string when present but unusable."""
    lat_tag, lon_tag = exif.get("GPS GPSLatitude"), exif.get("GPS GPSLongitude")
    if lat_tag is None or lon_tag is None:
        return None
    try:
        lat, lon = _dms(lat_tag.values), _dms(lon_tag.values)
    except (ValueError, ZeroDivisionError, TypeError, AttributeError, IndexError):
        return f"unreadable rationals: {lat_tag} / {lon_tag}"
    if (exif.text("GPS GPSLatitudeRef") or "N").upper().startswith("S"):
        lat = -lat
    if (exif.text("GPS GPSLongitudeRef") or "E").upper().startswith("W"):
        lon = -lon
    alt = None
    alt_tag = exif.get("GPS GPSAltitude")
    if alt_tag is not None:
        try:
            alt = _rational(alt_tag.values[0])
            ref = exif.get("GPS GPSAltitudeRef")
            if ref is not None and list(ref.values)[:1] == [1]:  # 1 = below sea level
                alt = -alt
        except (ValueError, ZeroDivisionError, TypeError, AttributeError, IndexError):
            alt = None
    return lat, lon, alt


def _rational(value: Any) -> float:
    denominator = getattr(value, "denominator", 1)
    if denominator == 0 or getattr(value, "_denominator", 1) == 0:
        raise ZeroDivisionError("rational with zero denominator")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(value)
    return result


def _dms(values: Any) -> float:
    parts = [_rational(v) for v in list(values)[:3]]
    if not parts:
        raise ValueError("empty")
    parts += [0.0] * (3 - len(parts))
    return parts[0] + parts[1] / 60 + parts[2] / 3600


# --- assembling ---------------------------------------------------------------------------------------------


def _tag(tags: dict[str, str], key: str) -> str | None:
    """A container tag, falling back to its language variants ("location-eng"); cleaned, None when empty."""
    value = tags.get(key)
    if value is None:
        value = next((v for k, v in tags.items() if k.startswith(key + "-")), None)
    return (clean(value) or None) if value is not None else None


def clean(value: str) -> str:
    """Drop NULs, control characters (QuickTime's Pascal-string length bytes) and padding."""
    return "".join(c for c in value if c.isprintable() or c == " ").strip()


def facts(kind: str, box: ContainerTags, exif: ExifTags) -> Facts:
    out = Facts(kind=kind, duration_s=box.duration_s, bitstream=list(box.bitstream))
    group = box.family
    tags = box.tags

    # Times, in capture-time preference order; the first that is set and not zeroed wins.
    candidates = [
        parse_time(
            exif.text("EXIF DateTimeOriginal"),
            "EXIF:DateTimeOriginal",
            offset=exif.text("EXIF OffsetTimeOriginal"),
        ),
        parse_time(
            _tag(tags, "com.apple.quicktime.creationdate"), f"{group}:com.apple.quicktime.creationdate"
        ),
        parse_time(
            exif.text("EXIF DateTimeDigitized"),
            "EXIF:DateTimeDigitized",
            offset=exif.text("EXIF OffsetTimeDigitized"),
        ),
        parse_time(_tag(tags, "creation_time"), f"{group}:creation_time", nominal_utc=group == "QuickTime"),
    ]
    out.stamps = [s for s in candidates if s is not None]
    out.capture = next((s for s in out.stamps if not s.zeroed), None)
    out.modify = parse_time(exif.text("Image DateTime"), "EXIF:DateTime", offset=exif.text("EXIF OffsetTime"))

    # Device: EXIF IFD0 first (IFD1 when a writer left only the thumbnail's), then QuickTime Keys/udta tags.
    for name, exif_keys, keys in (
        ("make", ("Image Make", "Thumbnail Make"), _MAKE_KEYS),
        ("model", ("Image Model", "Thumbnail Model"), _MODEL_KEYS),
        ("software", ("Image Software",), _SOFTWARE_KEYS),
    ):
        for key in exif_keys:
            if value := exif.text(key):
                setattr(out.device, name, value)
                out.device_sources[name] = "EXIF:" + key.split(" ", 1)[1]
                break
        else:
            for key in keys:
                if value := _tag(tags, key):
                    setattr(out.device, name, value)
                    out.device_sources[name] = f"{group}:{key}"
                    break

    _gps(out, group, tags, exif)

    out.encoder = _tag(tags, "encoder") or next(
        (v for s in box.streams if (v := _tag(s.tags, "encoder"))), None
    )
    for key in _WRITER_KEYS:
        if value := _tag(tags, key):
            out.writers.append((f"{group}:{key}", value))
        for stream in box.streams:
            if value := _tag(stream.tags, key):
                out.writers.append((f"{group}:Stream{stream.index}:{key}", value))
    if group == "QuickTime" and tags.get("minor_version") == _FFMPEG_FTYP_MINOR:
        out.writers.append((f"{group}:minor_version", _FFMPEG_FTYP_MINOR))
    if value := exif.text("Image Software"):
        out.writers.append(("EXIF:Software", value))
    return out


def _gps(out: Facts, group: str, tags: dict[str, str], exif: ExifTags) -> None:
    found: list[tuple[str, tuple[float, float, float | None] | str]] = []
    value = exif_gps(exif)
    if value is not None:
        found.append(("EXIF:GPSLatitude", value))
    for key in _LOCATION_KEYS:
        text = _tag(tags, key)
        if text:
            found.append((f"{group}:{key}", parse_iso6709(text) or f"malformed ISO 6709: {text!r}"))
    for source, value in found:
        if isinstance(value, str):
            out.gps_rejected.append({"source": source, "reason": value})
            continue
        lat, lon, alt = value
        if lat == 0 and lon == 0:
            out.gps_rejected.append({"source": source, "lat": lat, "lon": lon, "reason": "zero"})
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            out.gps_rejected.append({"source": source, "lat": lat, "lon": lon, "reason": "out of range"})
        elif out.gps is None:
            out.gps = GPS(lat=lat, lon=lon, alt=alt, source=source)


def raw_groups(box: ContainerTags, exif: ExifTags) -> dict[str, dict[str, str]]:
    """{group: {tag: text}} for the report: values truncated, binary and thumbnail data dropped."""
    raw: dict[str, dict[str, str]] = {}
    if box.tags:
        raw[box.family] = {k: _shorten(v) for k, v in box.tags.items()}
    for stream in box.streams:
        entry = {"type": stream.type, **({"codec": stream.codec} if stream.codec else {})}
        entry.update({k: _shorten(v) for k, v in stream.tags.items()})
        raw[f"{box.family}:Stream{stream.index}"] = entry
    for key, tag in exif.tags.items():
        group, name = group_of(key)
        if _is_binary(name, tag):
            continue
        bucket = raw.setdefault(group, {})
        if len(bucket) < RAW_TAGS_MAX:
            bucket[name] = _shorten(str(tag))
    return {group: tags for group, tags in raw.items() if tags}


def _is_binary(name: str, tag: Any) -> bool:
    if isinstance(tag, bytes | bytearray) or "Thumbnail" in name or name in ("MakerNote", "PrintIM"):
        return True
    values = getattr(tag, "values", None)
    # exifread field type 7 is UNDEFINED: bytes shown as a list of numbers; short ones (versions) are kept.
    return getattr(tag, "field_type", None) == 7 and isinstance(values, list | bytes) and len(values) > 64


def _shorten(value: str) -> str:
    value = clean(str(value))
    return value if len(value) <= RAW_VALUE_MAX else value[: RAW_VALUE_MAX - 1] + "…"
