"""What one reader found, in a shape every reader shares, so normalisation can weigh them side by side.

Each value keeps the tag it came from ("QuickTime:UserData:©mak", "XMP:xmp:CreateDate"), so the report can say
where a capture time or a device name was read, and the consistency checks can quote their evidence.
Values are kept as text and cut to ``VALUE_MAX`` characters: metadata is written by whoever made the file, so
it may hold markup, control characters or megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

VALUE_MAX = 1024  # characters kept per value (raw tags and normalised fields alike)
TAGS_MAX = 256  # tags kept per raw group


def text(value: object, limit: int = VALUE_MAX) -> str:
    """A value as printable text: NULs and control characters dropped, padding stripped, truncated."""
    if isinstance(value, bytes | bytearray):
        raw = bytes(value[: limit * 4])
        value = raw.decode("utf-16") if raw[:2] in (b"\xfe\xff", b"\xff\xfe") else raw.decode("utf-8", "replace")
    out = "".join(c for c in str(value)[: limit * 4] if c.isprintable() or c == " ").strip()
    return out if len(out) <= limit else out[: limit - 1] + "…"


@dataclass(frozen=True)
class Tagged:
    """One value with the tag it came from; ``offset`` and ``utc`` only matter for times."""

    source: str
    value: str
    offset: str | None = None  # time-zone offset written beside the time (EXIF OffsetTime*)
    utc: bool = False  # a QuickTime header time: UTC by the specification, local time on many cameras


@dataclass
class Reading:
    """Everything one reader contributes. Lists are in the reader's own order of preference."""

    name: str  # "isobmff", "xmp", "riff", "h264", "matroska", "exiftool"
    capture: list[Tagged] = field(default_factory=list)  # when the picture was taken (DateTimeOriginal kind)
    created: list[Tagged] = field(default_factory=list)  # when the file/container was made (CreateDate kind)
    modified: list[Tagged] = field(default_factory=list)  # last modification (ModifyDate, MetadataDate)
    make: list[Tagged] = field(default_factory=list)
    model: list[Tagged] = field(default_factory=list)
    software: list[Tagged] = field(default_factory=list)
    gps: list[tuple[str, tuple[float, float, float | None] | str]] = field(default_factory=list)
    writers: list[Tagged] = field(default_factory=list)  # values naming the software that wrote the file
    handlers: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    rotation: int | None = None
    history: list[dict[str, str]] = field(default_factory=list)  # XMP xmpMM:History entries
    raw: dict[str, dict[str, str]] = field(default_factory=dict)  # group -> {tag: text}
    embedded: dict[str, bytes] = field(default_factory=dict)  # blocks for other readers: "exif", "xmp", ...
    error: str | None = None
    warning: str | None = None  # the reader read the file but said something was off (ExifTool's Warning tag)

    def put(self, group: str, tag: str, value: object) -> None:
        bucket = self.raw.setdefault(group, {})
        if len(bucket) < TAGS_MAX:
            bucket[text(tag, 128)] = text(value)

    @property
    def found(self) -> bool:
        return any(
            (self.capture, self.created, self.modified, self.make, self.model, self.software, self.gps,
             self.writers, self.handlers, self.brands, {g: t for g, t in self.raw.items() if g != "ExifTool"})
        )  # fmt: skip


def read_head(path: Path, limit: int, out: Reading) -> bytes | None:
    """The first ``limit`` bytes of ``path`` (fewer for a shorter file): the bounded read every format reader
    starts with, so none reads more of a hostile file than its own cap. An unreadable file is the reading's
    error ("cannot read: ..."), never an exception: the reader then returns ``out`` as it is (None here)."""
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError as exc:
        out.error = f"cannot read: {exc.strerror or exc}"
        return None
