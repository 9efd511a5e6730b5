"""Camera metadata inside the H.264 stream itself: the AVCHD "MDPM" SEI (capture time with offset, make, model).

AVCHD camcorders (Canon, Sony, Panasonic, JVC) write no container tags worth the name in their MTS/M2TS files:
what they record is in an unregistered-user-data SEI message of the video stream, which survives a remux but
not a re-encode. Layout as documented in ExifTool's H264 module: UUID 17ee8c60-f84d-11d9-8cd6-0800200c9a66,
"MDPM", a count, then 5-byte records (tag + 4 bytes); tags 0x18/0x19 hold the BCD date and time, 0xe0 the make
code, 0xe4-0xe6 Sony's model name.
"""

from __future__ import annotations

from pathlib import Path

from .reading import Reading, Tagged, read_head, text

_MARKER = bytes.fromhex("17ee8c60f84d11d98cd60800200c9a66") + b"MDPM"
_SCAN = 8 << 20  # bytes of the file searched for the SEI
_MAKES = {0x0103: "Panasonic", 0x0108: "Sony", 0x1011: "Canon", 0x1104: "JVC"}
_TS_PACKETS = (188, 192)


def read(path: Path) -> Reading:
    out = Reading(name="h264")
    if (head := read_head(path, _SCAN, out)) is None:
        return out
    at = head.find(_MARKER)
    stream = head
    if at < 0 and (payload := _ts_payload(head)):
        stream, at = payload, payload.find(_MARKER)
    if at < 0:
        return out
    records = _unescape(stream[at + len(_MARKER) : at + len(_MARKER) + 1 + 255 * 6])
    parse(records, out)
    return out


def parse(records: bytes, out: Reading) -> None:
    """Decode MDPM records (count byte, then tag + 4 bytes each) into the reading."""
    if not records:
        return
    values: dict[int, bytes] = {}
    for i in range(records[0]):
        rec = records[1 + 5 * i : 6 + 5 * i]
        if len(rec) < 5:
            break
        values.setdefault(rec[0], rec[1:])
    date, time = values.get(0x18), values.get(0x19)
    if date and time:
        tz = date[0]
        digits = date[1:].hex() + time.hex()  # YYYYMM + DDhhmmss, BCD
        if digits.isdigit():
            stamp = f"{digits[:4]}:{digits[4:6]}:{digits[6:8]} {digits[8:10]}:{digits[10:12]}:{digits[12:14]}"
            offset = None
            if not tz & 0x80:  # 0x80: no zone recorded
                offset = f"{'-' if tz & 0x20 else '+'}{(tz >> 1) & 0x0F:02d}:{'30' if tz & 0x01 else '00'}"
            out.put("H264", "DateTimeOriginal", stamp + (offset or ""))
            out.capture.append(Tagged("H264:DateTimeOriginal", stamp, offset=offset))
    if make_model := values.get(0xE0):
        code = int.from_bytes(make_model[:2], "big")
        make = _MAKES.get(code)
        out.put("H264", "Make", make or f"unknown maker code 0x{code:04x}")
        if make:
            out.make.append(Tagged("H264:Make", make))
    model = b"".join(values.get(tag, b"") for tag in (0xE4, 0xE5, 0xE6)).split(b"\x00", 1)[0]
    if model and values.get(0xE0, b"")[:2] == b"\x01\x08":
        name = text(model)
        out.put("H264", "Model", name)
        out.model.append(Tagged("H264:Model", name))


def _unescape(data: bytes) -> bytes:
    """Remove H.264 emulation-prevention bytes (00 00 03 -> 00 00)."""
    return data.replace(b"\x00\x00\x03", b"\x00\x00")


def _ts_payload(head: bytes) -> bytes | None:
    """The video PID's payload of an MPEG transport stream, so an SEI split across packets reads whole."""
    for size in _TS_PACKETS:
        sync = size - 188
        if len(head) < size * 3 or any(head[sync + i * size] != 0x47 for i in range(3)):
            continue
        by_pid: dict[int, bytearray] = {}
        for start in range(sync, len(head) - 187, size):
            packet = head[start : start + 188]
            if packet[0] != 0x47:
                break
            pid = ((packet[1] & 0x1F) << 8) | packet[2]
            body = 4
            if packet[3] & 0x20:  # adaptation field
                body += 1 + packet[4]
            if packet[3] & 0x10 and body < 188:
                by_pid.setdefault(pid, bytearray()).extend(packet[body:])
        for payload in by_pid.values():
            if _MARKER in payload:
                return bytes(payload)
    return None
