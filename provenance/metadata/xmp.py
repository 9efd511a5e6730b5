"""XMP packets: creation, modification and metadata dates, creator tool, device, GPS and the editing history.

XMP is where editors say what they did: ``xmpMM:History`` lists each save with its software and time, and
``xmp:ModifyDate``/``MetadataDate`` move on while EXIF's capture time stays put. The packet is found by its
markers wherever the format keeps it (JPEG APP1, TIFF tag 700, PNG iTXt, WebP chunk, MP4 uuid, MOV XMP_,
HEIF item), and parsed with the standard library after refusing DTDs and entities (no entity expansion).
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from pathlib import Path

from provenance.limits import current_deadline

from .reading import Reading, Tagged, text

_HEAD = 32 << 20  # bytes scanned from the start of a file for packets
_TAIL = 8 << 20  # ... and from its end (MP4 writers often append moov and XMP there)
_PACKET_MAX = 4 << 20
_HISTORY_MAX = 100
_ENDS = (b"</x:xmpmeta>", b"</x:xapmeta>", b"</rdf:RDF>")

_NS = {
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xmp/1.0/DynamicMedia/": "xmpDM",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
}
# (prefix:name) -> field it feeds, in preference order within each field.
_CAPTURE = ("exif:DateTimeOriginal", "photoshop:DateCreated")
_CREATED = ("xmp:CreateDate", "exif:DateTimeDigitized", "pdf:CreationDate", "xmpDM:shotDate")
_MODIFIED = ("xmp:ModifyDate", "xmp:MetadataDate", "tiff:DateTime")
_WRITERS = ("xmp:CreatorTool", "tiff:Software", "pdf:Producer")


_STARTS = (b"<x:xmpmeta", b"<x:xapmeta", b"<rdf:RDF")
_PER_KIND = 8  # packets of one kind kept from a block: real files hold one to three


def packets(data: bytes) -> list[bytes]:
    """Every XMP packet in a block of bytes (the whole of a small file, or one box/segment).

    Found from each end tag back to the nearest start tag of its kind, so the block is read at most twice
    whatever it holds: searching forward from every start tag was quadratic (1 MB of ``<rdf:RDF `` took 17 s),
    and a flood of start tags before a real packet swallowed it.
    """
    spans: list[tuple[int, int]] = []
    for start_tag, end_tag in zip(_STARTS, _ENDS, strict=True):
        pos = kept = 0
        while kept < _PER_KIND:
            current_deadline().check()
            end = data.find(end_tag, pos)
            if end < 0:
                break
            start = _last_start(data, start_tag, pos, end)
            if start is not None and end - start <= _PACKET_MAX:
                spans.append((start, end + len(end_tag)))
                kept += 1
            pos = end + len(end_tag)
    spans.sort()
    # An rdf:RDF inside an x:xmpmeta is the same packet: keep the outer one.
    outer = [(a, b) for a, b in spans if not any((c, d) != (a, b) and c <= a and b <= d for c, d in spans)]
    return [data[a:b] for a, b in outer[:_PER_KIND]]


def _last_start(data: bytes, tag: bytes, low: int, high: int) -> int | None:
    """The last ``tag`` followed by whitespace or ``>`` in ``data[low:high]``, or None."""
    at = data.rfind(tag, low, high)
    while at >= 0:
        follower = data[at + len(tag) : at + len(tag) + 1]
        if follower.isspace() or follower == b">":
            return at
        at = data.rfind(tag, low, at)
    return None


def scan(path: Path) -> list[bytes]:
    """Packets in a file, read in bounded pieces from its start and end."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
        tail = b""
        if size > _HEAD:
            fh.seek(max(_HEAD, size - _TAIL))
            tail = fh.read(_TAIL)
    # A "packet" holding an Extended XMP signature straddles APP1 segments (their headers inside it): a piece of
    # Extended XMP, which jpeg_extended reads whole; parsed as it is, it only gave "XMP packet not parsed".
    return [p for p in packets(head) + packets(tail) if _EXTENSION not in p]


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHUNKS_MAX = 100_000  # chunks walked; a real PNG has tens (IDAT split in 8-64 KiB pieces: a few thousand)
_PNG_XMP_KEY = b"XML:com.adobe.xmp"


def png_packets(path: Path) -> tuple[list[bytes], str | None]:
    """XMP packets of a PNG's compressed ``iTXt`` chunks (``scan`` finds uncompressed ones), and an error when
    one inflates past ``_PACKET_MAX`` (4 MiB): that packet is not read, and the reading says so.

    Inflation stops at the cap, so a 828 KB chunk holding 800 MB of XMP costs 4 MiB here (ExifTool inflated all
    of it: 2.3 GB, issue 14); reporting "ok" with no XMP would read as "no XMP", which it is not.
    """
    found: list[bytes] = []
    error = None
    try:
        with path.open("rb") as fh:
            if fh.read(8) != _PNG_SIGNATURE:
                return [], None
            for _ in range(_PNG_CHUNKS_MAX):
                current_deadline().check()
                header = fh.read(8)
                if len(header) < 8:
                    break
                length, kind = int.from_bytes(header[:4], "big"), header[4:]
                if kind == b"IEND":
                    break
                if kind != b"iTXt" or length > _HEAD:
                    fh.seek(length + 4, 1)
                    continue
                data = fh.read(length)
                fh.seek(4, 1)  # CRC
                key, _, rest = data.partition(b"\x00")
                if key != _PNG_XMP_KEY or len(rest) < 2 or rest[0] != 1:
                    continue  # another keyword, or uncompressed (found by scan)
                _, _, rest = rest[2:].partition(b"\x00")  # language tag
                _, _, compressed = rest.partition(b"\x00")  # translated keyword
                inflater = zlib.decompressobj()
                try:
                    packet = inflater.decompress(compressed, _PACKET_MAX + 1)
                except zlib.error as exc:
                    error = f"XMP not read: its compressed PNG iTXt chunk is damaged ({exc})"
                    continue
                if len(packet) > _PACKET_MAX:
                    error = (f"XMP too large: not read (its compressed PNG iTXt chunk inflates past "
                             f"{_PACKET_MAX >> 20} MiB)")
                    continue
                found += packets(packet)
    except OSError as exc:
        error = f"XMP not read: {exc.strerror or exc}"
    return found, error


_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"
_JPEG_SEGMENTS_MAX = 4096  # header segments walked; Extended XMP of 4 MiB needs ~65 APP1 segments


def jpeg_extended(path: Path) -> tuple[list[bytes], str | None]:
    """Extended XMP of a JPEG (XMP specification part 3, 1.1.3.1): what does not fit the 64 KB APP1 packet, split
    in APP1 segments of "http://ns.adobe.com/xmp/extension/", a 32-character GUID, the full length and the
    chunk's offset, in any order. ``scan`` sees only the pieces (a photo's PDF CreationDate sat there, unread).

    Reassembled per GUID up to ``_PACKET_MAX`` (4 MiB); a longer one is not read and the error says so (a hostile
    JPEG declared 4 GB: ExifTool took 242 MB). An incomplete one is read as far as its first gap.
    """
    chunks: dict[bytes, tuple[int, dict[int, bytes]]] = {}
    error = None
    try:
        with path.open("rb") as fh:
            if fh.read(2) != b"\xff\xd8":
                return [], None
            for _ in range(_JPEG_SEGMENTS_MAX):
                current_deadline().check()
                head = fh.read(4)
                if len(head) < 4 or head[0] != 0xFF or head[1] in (0xD9, 0xDA):
                    break
                length = int.from_bytes(head[2:], "big")
                if length < 2:
                    break
                if head[1] != 0xE1:
                    fh.seek(length - 2, 1)
                    continue
                body = fh.read(length - 2)
                if not body.startswith(_EXTENSION) or len(body) < len(_EXTENSION) + 40:
                    continue
                at = len(_EXTENSION)
                guid = body[at : at + 32]
                full, offset = struct.unpack(">II", body[at + 32 : at + 40])
                if full > _PACKET_MAX:
                    error = (f"Extended XMP too large: not read (it declares {full:,} bytes, over "
                             f"{_PACKET_MAX >> 20} MiB)")
                    continue
                declared, pieces = chunks.setdefault(guid, (full, {}))
                if len(chunks) <= _PER_KIND and full == declared:
                    pieces[offset] = body[at + 40 :]
    except OSError as exc:
        error = f"Extended XMP not read: {exc.strerror or exc}"
    found: list[bytes] = []
    for full, pieces in chunks.values():
        data, end = bytearray(), 0
        for offset in sorted(pieces):
            if offset > end:
                break  # a missing chunk: read what came before it
            data += pieces[offset][end - offset :]
            end = len(data)
        found += packets(bytes(data[:full]))
    return found, error


def read(blocks: list[bytes]) -> Reading:
    """Parse packets into a reading; a malformed packet becomes the reading's error, never an exception."""
    out = Reading(name="xmp")
    for block in blocks:
        try:
            _parse(block, out)
        except (ET.ParseError, ValueError) as exc:
            out.error = f"XMP packet not parsed: {exc}"
    return out


def _parse(block: bytes, out: Reading) -> None:
    if b"<!DOCTYPE" in block or b"<!ENTITY" in block:
        raise ValueError("DTD or entity declaration in an XMP packet (refused)")
    root = ET.fromstring(block.replace(b"\x00", b""))
    values: dict[str, str] = {}
    for element in root.iter():
        name = _name(element.tag)
        if name == "rdf:Description":
            for key, value in element.attrib.items():
                values.setdefault(_name(key), value)
        elif name and len(element) == 0 and element.text and element.text.strip():
            values.setdefault(name, element.text)
        elif name in ("dc:creator", "dc:title", "dc:description", "xmp:CreatorTool") and len(element):
            items = [li.text for li in element.iter() if _name(li.tag) == "rdf:li" and li.text]
            if items:
                values.setdefault(name, items[0])
    history = _history(root)

    for key, value in values.items():
        if key.startswith(("rdf:", "x:")) or ":" not in key:
            continue
        prefix, tag = key.split(":", 1)
        out.put(f"XMP-{prefix}", tag, value)
    for roles, bucket in ((_CAPTURE, out.capture), (_CREATED, out.created), (_MODIFIED, out.modified)):
        for key in roles:
            if value := values.get(key):
                bucket.append(Tagged(f"XMP:{key}", text(value)))
    for key, bucket in (("tiff:Make", out.make), ("tiff:Model", out.model)):
        if value := values.get(key):
            bucket.append(Tagged(f"XMP:{key}", text(value)))
    for key in _WRITERS:
        if value := values.get(key):
            out.writers.append(Tagged(f"XMP:{key}", text(value)))
            if key == "xmp:CreatorTool":
                out.software.append(Tagged(f"XMP:{key}", text(value)))
    lat, lon = values.get("exif:GPSLatitude"), values.get("exif:GPSLongitude")
    if lat and lon:
        try:
            out.gps.append(("XMP:exif:GPSLatitude", (_xmp_angle(lat), _xmp_angle(lon), None)))
        except ValueError:
            out.gps.append(("XMP:exif:GPSLatitude", f"unreadable XMP GPS {text(lat, 40)!r}"))
    for entry in history:
        out.history.append(entry)
        if agent := entry.get("software"):
            out.writers.append(Tagged("XMP:xmpMM:History", agent))
    for i, entry in enumerate(history[:20], 1):
        out.put("XMP-xmpMM", f"History{i}", "; ".join(f"{k}={v}" for k, v in entry.items()))


def _history(root: ET.Element) -> list[dict[str, str]]:
    entries = []
    for element in root.iter():
        if _name(element.tag) != "xmpMM:History":
            continue
        for li in element.iter():
            if _name(li.tag) != "rdf:li":
                continue
            fields = {_name(k): v for k, v in li.attrib.items()}
            fields.update({_name(c.tag): c.text or "" for c in li.iter() if c is not li and len(c) == 0})
            for child in li:  # <rdf:li><rdf:Description stEvt:action="..."/></rdf:li>
                fields.update({_name(k): v for k, v in child.attrib.items()})
            entry = {
                short: text(fields[key], 256)
                for key, short in (
                    ("stEvt:action", "action"),
                    ("stEvt:softwareAgent", "software"),
                    ("stEvt:when", "when"),
                    ("stEvt:changed", "changed"),
                    ("stEvt:parameters", "parameters"),
                )
                if fields.get(key)
            }
            if entry:
                entries.append(entry)
            if len(entries) >= _HISTORY_MAX:
                return entries
    return entries


def _name(tag: str) -> str:
    """ "{namespace-uri}local" -> "prefix:local" with the usual prefixes; unknown namespaces keep their URI."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        prefix = _NS.get(uri)
        if prefix is None:
            prefix = uri.rstrip("/#").rsplit("/", 1)[-1] or "ns"
        return f"{prefix}:{local}"
    return tag


def _xmp_angle(value: str) -> float:
    """XMP GPS "54,59.38N" or "54,59,22.8N" to signed degrees."""
    value = value.strip()
    if not value or value[-1].upper() not in "NSEW":
        raise ValueError(value)
    parts = [float(p) for p in value[:-1].split(",")]
    degrees = parts[0] + (parts[1] / 60 if len(parts) > 1 else 0) + (parts[2] / 3600 if len(parts) > 2 else 0)
    return -degrees if value[-1].upper() in "SW" else degrees


_GCAMERA = "{http://ns.google.com/photos/1.0/camera/}"
_ITEM = "{http://ns.google.com/photos/1.0/container/item/}"


@dataclass(frozen=True)
class MotionPhotoXmp:
    """What a JPEG's XMP says of a motion photo's clip (Google's Motion Photo format 1.0 and its MicroVideo
    predecessor): the clip is appended to the file, after any other declared items (an Ultra HDR gain map)."""

    declared: str  # the property that declares it: "GCamera:MotionPhoto" or "GCamera:MicroVideo"
    # bytes from the clip's start to the file's end: Container:Directory's MotionPhoto item and every item after
    # it (Item:Length, plus Item:Padding), or GCamera:MicroVideoOffset; None when the XMP gives no length
    from_end: int | None


def motion_photo(blocks: list[bytes]) -> MotionPhotoXmp | None:
    """The motion photo the XMP ``blocks`` declare (``GCamera:MotionPhoto="1"`` or ``GCamera:MicroVideo="1"``), or
    None. Parsed as ``read`` parses (DTDs and entities refused); a packet that does not parse declares nothing."""
    for block in blocks:
        if b"<!DOCTYPE" in block or b"<!ENTITY" in block:
            continue
        try:
            root = ET.fromstring(block.replace(b"\x00", b""))
        except ET.ParseError:
            continue
        attrs: dict[str, str] = {}
        items: list[dict[str, str]] = []
        for element in root.iter():
            if element.tag.startswith(_GCAMERA) and element.text and element.text.strip():
                attrs.setdefault(element.tag, element.text.strip())  # <GCamera:MotionPhoto>1</GCamera:MotionPhoto>
            for key, value in element.attrib.items():
                if key.startswith(_GCAMERA):
                    attrs.setdefault(key, value)
            item = {k.removeprefix(_ITEM): v for k, v in element.attrib.items() if k.startswith(_ITEM)}
            if "Semantic" in item:
                items.append(item)
        declared = next((f"GCamera:{name}" for name in ("MotionPhoto", "MicroVideo")
                         if attrs.get(_GCAMERA + name, "").strip() == "1"), None)
        if declared is None:
            continue
        return MotionPhotoXmp(declared, _from_end(items, attrs.get(_GCAMERA + "MicroVideoOffset")))
    return None


def _from_end(items: list[dict[str, str]], micro_offset: str | None) -> int | None:
    """Bytes from the clip's start to the file's end, from the directory's items (the clip's and those after it)
    or MicroVideo's offset; None when neither gives a positive whole number."""
    def number(value: str | None) -> int:
        try:
            return max(0, int((value or "0").strip()))
        except ValueError:
            return 0

    at = next((i for i, item in enumerate(items) if item.get("Semantic") == "MotionPhoto"), None)
    if at is not None:
        total = sum(number(item.get("Length")) + number(item.get("Padding")) for item in items[at:])
        if total > 0:
            return total
    return number(micro_offset) or None
