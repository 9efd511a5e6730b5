"""ISO base media files read box by box: MP4, MOV, 3GP, M4V/M4A, HEIC/HEIF, AVIF and Canon CR3.

PyAV shows the tags FFmpeg maps, and FFmpeg maps neither the 3GPP ``loci`` box, nor ``©mak``/``©mod`` in every
form, nor handler names, brands, track matrices, compressor names or the Exif/XMP items of HEIF and AVIF. Those
are what tell a camera original from a re-encode, so this walks the boxes itself: bounded in depth, count and
bytes read, never trusting a size field further than the file.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from provenance.limits import current_deadline

from .reading import Reading, Tagged, text

_MAX_DEPTH = 24
_MAX_BOXES = 20_000
_MAX_PAYLOAD = 16 << 20  # bytes read from one metadata box
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf", b"iprp", b"ipco", b"tref"}
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")  # CR3: CMT1..CMT4 TIFF blocks
_C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_EPOCH_1904 = datetime(1904, 1, 1, tzinfo=UTC)
_DATA_HANDLERS = {"alis", "url ", "rsrc"}  # minf/dinf data-reference handlers, not media handlers

# udta text atoms: the name ExifTool gives each, and which field it feeds.
_UDTA_TEXT = {
    b"\xa9mak": ("Make", "make"),
    b"\xa9mod": ("Model", "model"),
    b"\xa9swr": ("Software", "software"),
    b"\xa9too": ("Encoder", "writer"),
    b"\xa9enc": ("EncodedBy", "writer"),
    b"\xa9day": ("ContentCreateDate", "created"),
    b"\xa9xyz": ("GPSCoordinates", "gps"),
    b"\xa9fmt": ("Format", None),
    b"\xa9inf": ("Information", None),
    b"\xa9nam": ("Title", None),
    b"\xa9cmt": ("Comment", None),
    b"\xa9des": ("Description", None),
    b"manu": ("Make", "make"),
    b"modl": ("Model", "model"),
}
# Keys (mdta) names and the field each feeds.
_KEYS = {
    "com.apple.quicktime.make": "make",
    "com.apple.quicktime.model": "model",
    "com.apple.quicktime.software": "software",
    "com.apple.quicktime.creationdate": "capture",
    "com.apple.quicktime.location.ISO6709": "gps",
    "com.android.manufacturer": "make",
    "com.android.model": "model",
    "com.android.version": "software",
}
# iTunes-style ilst (mdir) items.
_ILST = {b"\xa9too": ("Encoder", "writer"), b"\xa9day": ("ContentCreateDate", None), b"\xa9swr": ("Software", None)}


def sniff(head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


class _Walk:
    def __init__(self, fh: BinaryIO, size: int, out: Reading) -> None:
        self.fh, self.size, self.out = fh, size, out
        self.deadline = current_deadline()  # the running stage's (ingest's, for the declared-sample walk)
        self.boxes = 0
        self.tracks: list[dict[str, object]] = []
        self.keys: list[str] = []
        self.items: dict[int, tuple[bytes, str]] = {}  # HEIF item id -> (type, content type)
        self.locations: dict[int, list[tuple[int, int]]] = {}

    def read(self, offset: int, length: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(max(0, min(length, _MAX_PAYLOAD, self.size - offset)))

    def children(self, start: int, end: int, depth: int, path: tuple[bytes, ...]) -> None:
        offset = start
        while offset + 8 <= end:
            self.deadline.check()
            self.boxes += 1
            if self.boxes > _MAX_BOXES:
                raise ValueError(f"more than {_MAX_BOXES} boxes")
            header = self.read(offset, 16)
            if len(header) < 8:
                return
            size, kind = struct.unpack(">I4s", header[:8])
            body = offset + 8
            if size == 1 and len(header) >= 16:
                size = struct.unpack(">Q", header[8:16])[0]
                body = offset + 16
            elif size == 0:
                size = end - offset
            if size < body - offset or offset + size > end:
                if path:  # a bad child size inside a parent: stop reading this parent
                    return
                size = end - offset  # a truncated last top-level box (payload cut out): read what is there
            self.box(kind, body, offset + size, depth, path)
            offset += size

    def box(self, kind: bytes, start: int, end: int, depth: int, path: tuple[bytes, ...]) -> None:
        if depth > _MAX_DEPTH:
            raise ValueError(f"boxes nested deeper than {_MAX_DEPTH}")
        here = (*path, kind)
        if kind == b"ftyp" and not path:
            self.ftyp(self.read(start, min(end - start, 4096)))
        elif kind in _CONTAINERS:
            if kind == b"trak":
                self.tracks.append({})
            self.children(start, end, depth + 1, here)
        elif kind == b"meta":
            head = self.read(start, 12)
            # ISO meta is a full box (4 bytes of version/flags); QuickTime's is a plain container.
            skip = 0 if head[4:8] in (b"hdlr", b"keys", b"ilst") else 4
            outer, self.keys = self.keys, []  # an ilst indexes the keys of its own meta box
            self.children(start + skip, end, depth + 1, here)
            self.keys = outer
        elif kind in (b"mvhd", b"tkhd", b"mdhd"):
            self.header(kind, self.read(start, min(end - start, 256)))
        elif kind == b"hdlr":
            self.hdlr(self.read(start, min(end - start, 4096)), path)
        elif kind == b"stsd":
            self.stsd(self.read(start, min(end - start, 4096)))
        elif kind == b"keys":
            self.keys_box(self.read(start, end - start))
        elif kind == b"ilst":
            self.ilst(start, end, depth)
        elif kind == b"loci":
            self.loci(self.read(start, min(end - start, 4096)))
        elif kind == b"XMP_":
            self.out.embedded.setdefault("xmp", self.read(start, end - start))
        elif kind == b"uuid":
            self.uuid(start, end, depth, here)
        elif kind in (b"CMT1", b"CMT2", b"CMT3", b"CMT4"):
            self.out.embedded.setdefault(f"tiff:{kind.decode()}", self.read(start, end - start))
        elif kind == b"iinf":
            self.iinf(self.read(start, end - start))
        elif kind == b"iloc":
            self.iloc(self.read(start, end - start))
        elif b"udta" in path and kind in _UDTA_TEXT:
            self.udta_text(kind, self.read(start, min(end - start, 65536)))

    def ftyp(self, data: bytes) -> None:
        if len(data) < 8:
            return
        brands = [data[:4]] + [data[i : i + 4] for i in range(8, len(data) - 3, 4)]
        names = [b.decode("latin-1") for b in brands if b.strip(b"\x00")]
        self.out.brands = list(dict.fromkeys(names))
        self.out.put("QuickTime", "MajorBrand", names[0] if names else "")
        self.out.put("QuickTime", "MinorVersion", struct.unpack(">I", data[4:8])[0])
        self.out.put("QuickTime", "CompatibleBrands", " ".join(names[1:]))

    def header(self, kind: bytes, data: bytes) -> None:
        if len(data) < 20:
            return
        version = data[0]
        if version == 1 and len(data) >= 32:
            created, modified = struct.unpack(">QQ", data[4:20])
        else:
            created, modified = struct.unpack(">II", data[4:12])
        if kind == b"mvhd":
            for tag, value, bucket in (
                ("CreateDate", created, self.out.created),
                ("ModifyDate", modified, self.out.modified),
            ):
                stamp = _mac_time(value)
                self.out.put("QuickTime", tag, stamp or "0000:00:00 00:00:00")
                # UTC by the specification (many cameras write local time: ``utc`` lets the checks allow for it)
                bucket.append(Tagged(f"QuickTime:{tag}", stamp or "0000:00:00 00:00:00", offset="Z", utc=True))
            return
        if kind == b"tkhd" and self.tracks:
            # tkhd: times, track id, reserved, duration, reserved(8), layer, group, volume, reserved, matrix
            matrix_at = 40 if version == 0 else 52
            if len(data) >= matrix_at + 36:
                a, b, _u, c, d = struct.unpack(">iiiii", data[matrix_at : matrix_at + 20])
                if a or b or c or d:
                    angle = round(math.degrees(math.atan2(b / 65536, a / 65536))) % 360
                    self.tracks[-1]["rotation"] = angle
            self.tracks[-1]["created"] = _mac_time(created)

    def hdlr(self, data: bytes, path: tuple[bytes, ...]) -> None:
        if len(data) < 24:
            return
        handler_type = data[8:12].decode("latin-1")
        vendor = data[12:16].decode("latin-1").strip("\x00")
        raw_name = data[24:]
        # QuickTime writes a Pascal string (length byte first); ISO writes a NUL-terminated UTF-8 string.
        if raw_name and raw_name[0] == len(raw_name) - 1 and raw_name[0] > 0:
            raw_name = raw_name[1:]
        name = text(raw_name.split(b"\x00", 1)[0] if raw_name[:1] != b"\x00" else raw_name[1:].split(b"\x00")[0])
        where = "Track" if b"trak" in path else "Meta" if b"meta" in path else "Movie"
        if where == "Track" and self.tracks:
            self.tracks[-1].setdefault("handler_type", handler_type)
            group = f"Track{len(self.tracks)}"
        else:
            group = "QuickTime"
        self.out.put(group, "HandlerType", handler_type)
        if vendor:
            self.out.put(group, "HandlerVendorID", vendor)
        if name:
            self.out.put(group, "HandlerDescription" if handler_type not in _DATA_HANDLERS else "DataHandler", name)
            if handler_type not in _DATA_HANDLERS and not (where == "Meta" and handler_type in ("mdta", "mdir")):
                self.out.handlers.append(name)
                self.out.writers.append(Tagged(f"{group}:HandlerDescription", name))

    def stsd(self, data: bytes) -> None:
        # full box (4) + entry count (4), then the first sample entry: size(4) format(4) reserved(6) dref(2)
        if len(data) < 24 or not self.tracks:
            return
        entry = data[8:]
        fmt = entry[4:8].decode("latin-1")
        group = f"Track{len(self.tracks)}"
        self.out.put(group, "CompressorID", fmt)
        if self.tracks[-1].get("handler_type") == "vide" and len(entry) >= 82:
            vendor = entry[20:24].decode("latin-1").strip("\x00 ")
            length = entry[50]
            compressor = text(entry[51 : 51 + min(length, 31)])
            if vendor:
                self.out.put(group, "VendorID", vendor)
                self.out.writers.append(Tagged(f"{group}:VendorID", vendor))
            if compressor:
                self.out.put(group, "CompressorName", compressor)
                self.out.writers.append(Tagged(f"{group}:CompressorName", compressor))

    def keys_box(self, data: bytes) -> None:
        if len(data) < 8:
            return
        count = struct.unpack(">I", data[4:8])[0]
        offset = 8
        for _ in range(min(count, 4096)):
            if offset + 8 > len(data):
                break
            size = struct.unpack(">I", data[offset : offset + 4])[0]
            if size < 8 or offset + size > len(data):
                break
            self.keys.append(data[offset + 8 : offset + size].decode("utf-8", "replace"))
            offset += size

    def ilst(self, start: int, end: int, depth: int) -> None:
        data = self.read(start, end - start)
        offset = 0
        while offset + 8 <= len(data):
            size, kind = struct.unpack(">I4s", data[offset : offset + 8])
            if size < 8 or offset + size > len(data):
                break
            value = _data_value(data[offset + 8 : offset + size])
            index = struct.unpack(">I", kind)[0]
            if self.keys and 1 <= index <= len(self.keys):
                self.key_value(self.keys[index - 1], value)
            elif kind in _ILST and value is not None:
                tag, role = _ILST[kind]
                self.out.put("ItemList", tag, value)
                if role == "writer":
                    self.out.writers.append(Tagged(f"ItemList:{tag}", text(value)))
            elif value is not None:
                self.out.put("ItemList", kind.decode("latin-1"), value)
            offset += size

    def key_value(self, key: str, value: str | None) -> None:
        if value is None:
            return
        value = text(value)
        self.out.put("Keys", key, value)
        self._assign(f"Keys:{key}", _KEYS.get(key), value)

    def loci(self, data: bytes) -> None:
        """3GPP LocationInformation: name, role, then 16.16 fixed-point longitude, latitude, altitude."""
        if len(data) < 7:
            return
        body = data[6:]  # version/flags (4) + packed language (2)
        if body[:2] in (b"\xfe\xff", b"\xff\xfe"):  # UTF-16 name, terminated by two NULs
            end = next((i for i in range(2, len(body) - 1, 2) if body[i : i + 2] == b"\x00\x00"), len(body))
            name, rest = body[:end], body[end + 2 :]
        else:
            name, _, rest = body.partition(b"\x00")
        if len(rest) < 13:
            self.out.gps.append(("UserData:LocationInformation", "truncated loci box"))
            return
        lon, lat, alt = (v / 65536 for v in struct.unpack(">iii", rest[1:13]))
        label = text(name)
        self.out.put("UserData", "LocationInformation", f"{label} Lat={lat:.5f} Lon={lon:.5f} Alt={alt:.2f}")
        self.out.gps.append(("UserData:LocationInformation", (lat, lon, alt)))

    def udta_text(self, kind: bytes, data: bytes) -> None:
        value = _udta_string(data)
        if value is None:
            return
        tag, role = _UDTA_TEXT[kind]
        self.out.put("UserData", tag, value)
        self._assign(f"UserData:{tag}", role, value)

    def _assign(self, source: str, role: str | None, value: str) -> None:
        """File a tag's value under the normalised field its role names (Keys and user data share roles)."""
        tagged = Tagged(source, value)
        if role == "make":
            self.out.make.append(tagged)
        elif role == "model":
            self.out.model.append(tagged)
        elif role == "software":
            self.out.software.append(tagged)
            self.out.writers.append(tagged)
        elif role == "writer":
            self.out.writers.append(tagged)
        elif role == "created":
            self.out.created.append(tagged)
        elif role == "capture":
            self.out.capture.append(tagged)
        elif role == "gps":
            self.out.gps.append((source, _iso6709_or_reason(value)))

    def uuid(self, start: int, end: int, depth: int, path: tuple[bytes, ...]) -> None:
        ident = self.read(start, 16)
        if ident == _XMP_UUID:
            self.out.embedded.setdefault("xmp", self.read(start + 16, end - start - 16))
        elif ident == _CANON_UUID:
            self.children(start + 16, end, depth + 1, path)
        elif ident == _C2PA_UUID:
            self.out.put("QuickTime", "C2PAManifestBox", "present")

    def iinf(self, data: bytes) -> None:
        if len(data) < 6:
            return
        version = data[0]
        offset = 6 if version == 0 else 8
        while offset + 8 <= len(data):
            size, kind = struct.unpack(">I4s", data[offset : offset + 8])
            if size < 8 or offset + size > len(data):
                break
            if kind == b"infe":
                body = data[offset + 8 : offset + size]
                if body[:1] in (b"\x02", b"\x03") and len(body) >= 12:
                    id_len = 2 if body[0] == 2 else 4
                    item_id = int.from_bytes(body[4 : 4 + id_len], "big")
                    item_type = body[4 + id_len + 2 : 4 + id_len + 6]
                    names = body[4 + id_len + 6 :].split(b"\x00")
                    content_type = names[1].decode("latin-1") if item_type == b"mime" and len(names) > 1 else ""
                    self.items[item_id] = (item_type, content_type)
            offset += size

    def iloc(self, data: bytes) -> None:
        if len(data) < 8:
            return
        version = data[0]
        sizes = data[4:6]
        off_size, len_size, base_size = sizes[0] >> 4, sizes[0] & 15, sizes[1] >> 4
        index_size = sizes[1] & 15 if version in (1, 2) else 0
        pos = 6
        count_len = 4 if version == 2 else 2
        count = int.from_bytes(data[pos : pos + count_len], "big")
        pos += count_len
        for _ in range(min(count, 4096)):
            id_len = 4 if version == 2 else 2
            if pos + id_len > len(data):
                return
            item_id = int.from_bytes(data[pos : pos + id_len], "big")
            pos += id_len + (2 if version in (1, 2) else 0) + 2  # construction method, data reference index
            base = int.from_bytes(data[pos : pos + base_size], "big")
            pos += base_size
            extents = int.from_bytes(data[pos : pos + 2], "big")
            pos += 2
            spans = []
            for _ in range(min(extents, 64)):
                pos += index_size
                offset = int.from_bytes(data[pos : pos + off_size], "big")
                pos += off_size
                length = int.from_bytes(data[pos : pos + len_size], "big")
                pos += len_size
                spans.append((base + offset, length))
            self.locations[item_id] = spans

    def finish(self) -> None:
        for item_id, (item_type, content_type) in self.items.items():
            spans = self.locations.get(item_id)
            if not spans:
                continue
            end = max(offset + length for offset, length in spans)
            if item_type in (b"Exif", b"mime") and end > self.size:
                # cut off by a truncated file: unreadable, not absent (a cut HEIC read as "no capture time")
                what = "EXIF" if item_type == b"Exif" else "XMP"
                self.out.error = (f"{what} item cut off: it ends at byte {end:,}, past the end of the file at "
                                  f"{self.size:,} (a truncated file): {what} unreadable, not absent")
                continue
            blob = b"".join(self.read(offset, length) for offset, length in spans[:8])
            if item_type == b"Exif" and len(blob) > 4:
                skip = int.from_bytes(blob[:4], "big")
                if 4 + skip < len(blob):
                    self.out.embedded.setdefault("exif", blob[4 + skip :])
            elif (item_type == b"mime" and "xmp" in content_type) or content_type == "application/rdf+xml":
                self.out.embedded.setdefault("xmp", blob)
        rotations = {t["rotation"] for t in self.tracks if "rotation" in t and t.get("handler_type") == "vide"}
        if rotations:
            self.out.rotation = int(rotations.pop())
            self.out.put("Composite", "Rotation", self.out.rotation)


def read(path: Path) -> Reading:
    """Walk the file's boxes; never raises for a bad file (the error is kept in the reading)."""
    out = Reading(name="isobmff")
    try:
        with path.open("rb") as fh:
            size = path.stat().st_size
            if not sniff(fh.read(12)):
                return out
            walk = _Walk(fh, size, out)
            try:
                walk.children(0, size, 0, ())
            finally:
                walk.finish()
    except (OSError, ValueError, struct.error, IndexError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    return out


@dataclass(frozen=True)
class CutItems:
    """HEIF/AVIF items whose data lies (partly) past the end of the file: a download cut short."""

    pictures: int  # picture items (coded images and grid tiles) declared
    pictures_cut: int  # ... of which data is missing
    metadata_cut: tuple[str, ...]  # "Exif", "XMP" items cut off


_PICTURE_ITEMS = {b"hvc1", b"av01", b"jpeg", b"avc1", b"vvc1", b"unci", b"j2k1"}


def cut_items(path: Path) -> CutItems | None:
    """Which of a HEIF/AVIF file's items end past its last byte (from ``iloc``), or None when none do.

    libheif decodes a cut HEIC without an error: missing grid tiles come out flat green (a pug.heic cut to 90%
    was hashed ~90% green), and FFmpeg reads a cut Xiaomi HEIC as one 512x512 tile. Comparing each item's
    extents with the file size tells a truncated picture before any pixel is decoded (issue 14).
    """
    out = Reading(name="isobmff")
    try:
        with path.open("rb") as fh:
            size = path.stat().st_size
            if not sniff(fh.read(12)):
                return None
            walk = _Walk(fh, size, out)
            walk.children(0, size, 0, ())
    except (OSError, ValueError, struct.error, IndexError):
        return None
    pictures = cut = 0
    meta: list[str] = []
    for item_id, (item_type, content_type) in walk.items.items():
        spans = walk.locations.get(item_id)
        if not spans:
            continue
        beyond = max(offset + length for offset, length in spans) > size
        if item_type in _PICTURE_ITEMS:
            pictures += 1
            cut += beyond
        elif beyond and item_type == b"Exif":
            meta.append("Exif")
        elif beyond and item_type == b"mime" and "xmp" in content_type:
            meta.append("XMP")
    if not cut and not meta:
        return None
    return CutItems(pictures=pictures, pictures_cut=cut, metadata_cut=tuple(meta))


def _mac_time(seconds: int) -> str | None:
    """QuickTime seconds since 1904 as "YYYY:MM:DD hh:mm:ss" (UTC by the spec); None for zero."""
    if seconds <= 0:
        return None
    try:
        return (_EPOCH_1904 + timedelta(seconds=seconds)).strftime("%Y:%m:%d %H:%M:%S")
    except OverflowError:
        return None


def _data_value(box: bytes) -> str | None:
    """The value of an ilst item's 'data' box: text for UTF-8/UTF-16 types, numbers as text."""
    if len(box) < 16 or box[4:8] != b"data":
        return None
    kind = int.from_bytes(box[9:12], "big")
    payload = box[16 : int.from_bytes(box[:4], "big")]
    if kind == 1:
        return payload.decode("utf-8", "replace")
    if kind == 2:
        return payload.decode("utf-16-be", "replace")
    if kind in (21, 22) and 0 < len(payload) <= 8:
        return str(int.from_bytes(payload, "big", signed=kind == 21))
    if kind == 23 and len(payload) == 4:
        return repr(struct.unpack(">f", payload)[0])
    return None


def _udta_string(data: bytes) -> str | None:
    """A udta text atom: QuickTime form (length + language + text), 3GPP form (full box + language + text)."""
    if len(data) >= 4:
        length = int.from_bytes(data[:2], "big")
        if 0 < length <= len(data) - 4:
            return text(data[4 : 4 + length]) or None
    if len(data) >= 7 and data[:4] == b"\x00\x00\x00\x00":
        return text(data[6:].split(b"\x00", 1)[0]) or None
    value = text(data.split(b"\x00", 1)[0])
    return value or None


def _iso6709_or_reason(value: str) -> tuple[float, float, float | None] | str:
    from .normalise import parse_iso6709

    return parse_iso6709(value) or f"malformed ISO 6709: {value[:80]!r}"


# -- declared sample counts, read before FFmpeg allocates for them ------------------------------------------------
_SAMPLE_PATH = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf"}
_TABLE_MAX = 64 << 20  # bytes of one stts/ctts table summed (6 h of variable-rate 240 fps video: 41 MB)


def declared_samples(path: Path) -> int:
    """How many index entries FFmpeg's MOV/MP4 demuxer would allocate for ``path``, from its declared tables.

    FFmpeg builds one index entry (~66 bytes with its time tables, measured: 20 million declared samples took
    the CLI to 1.5 GB) per sample of every track (``stsz``/``stz2`` sample count, ``stts``/``ctts`` run totals)
    and of every fragment (``trun``), before any frame is read; a 331 KB file can declare 170 million. Audio
    with one ``stts`` run of duration 1 (uncompressed PCM) is indexed per chunk instead, as FFmpeg does. The walk
    is bounded like the metadata reader (depth, box count, bytes read per table); 0 for files that are not
    ISO BMFF. Never raises for a bad file: what cannot be read counts nothing.
    """
    total = 0
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            if not sniff(fh.read(12)):
                return 0
            boxes = [0]
            track: dict[str, int | str] = {}
            deadline = current_deadline()

            def table_sum(offset: int, end: int, stride: int) -> int:
                fh.seek(offset + 12)  # full box header (8) + version/flags (4), then the entry count
                (entries,) = struct.unpack(">I", fh.read(4) or b"\0\0\0\0")
                length = min(entries * stride, end - offset - 16)
                if length > _TABLE_MAX:
                    return entries * 1024  # a table this long: count it as far over any limit
                raw = fh.read(max(0, length))
                return _fast_sum(raw[: len(raw) - len(raw) % stride], stride)

            def walk(start: int, end: int, depth: int) -> None:
                nonlocal total
                offset = start
                while offset + 8 <= end and depth <= _MAX_DEPTH:
                    deadline.check()
                    boxes[0] += 1
                    if boxes[0] > _MAX_BOXES:
                        return
                    fh.seek(offset)
                    header = fh.read(16)
                    if len(header) < 8:
                        return
                    box_size, kind = struct.unpack(">I4s", header[:8])
                    body = offset + 8
                    if box_size == 1 and len(header) == 16:
                        box_size, body = struct.unpack(">Q", header[8:16])[0], offset + 16
                    elif box_size == 0:
                        box_size = end - offset
                    if box_size < body - offset:
                        return
                    stop = min(offset + box_size, end)
                    if kind == b"trak":
                        track.clear()
                        walk(body, stop, depth + 1)
                        total += _track_entries(track)
                    elif kind in _SAMPLE_PATH:
                        walk(body, stop, depth + 1)
                    elif kind == b"hdlr":
                        fh.seek(body + 8)
                        track.setdefault("handler", fh.read(4).decode("latin-1"))
                    elif kind in (b"stsz", b"stz2"):
                        fh.seek(body + 8)  # after version/flags and the sample size (stz2: field size)
                        track["samples"] = struct.unpack(">I", fh.read(4) or b"\0\0\0\0")[0]
                    elif kind in (b"stts", b"ctts"):
                        track[kind.decode()] = table_sum(offset, stop, 8)
                        if kind == b"stts":
                            fh.seek(body + 4)
                            head = fh.read(12)
                            track["pcm_like"] = int(len(head) == 12 and head[:4] == b"\0\0\0\1" and
                                                    head[8:12] == b"\0\0\0\1")
                    elif kind in (b"stco", b"co64"):
                        fh.seek(body + 4)
                        track["chunks"] = struct.unpack(">I", fh.read(4) or b"\0\0\0\0")[0]
                    elif kind == b"trun":
                        fh.seek(body + 4)
                        total += struct.unpack(">I", fh.read(4) or b"\0\0\0\0")[0]
                    offset = stop

            walk(0, size, 0)
    except (OSError, ValueError, struct.error):
        pass
    return total


def _fast_sum(raw: bytes, stride: int) -> int:
    """Sum of the big-endian 32-bit counts at the start of each ``stride``-byte entry."""
    import array
    import sys

    words = array.array("I", raw)
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words[:: stride // 4])


def _track_entries(track: dict[str, int | str]) -> int:
    if track.get("handler") == "soun" and track.get("pcm_like"):
        return int(track.get("chunks", 0))  # FFmpeg indexes uncompressed audio by chunk
    return max(int(track.get("samples", 0)), int(track.get("stts", 0)), int(track.get("ctts", 0)))
