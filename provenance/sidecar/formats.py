"""Platform sidecars: what the tool that fetched a file recorded about where it was posted, by whom and when.

Analysts rarely receive a bare file: yt-dlp writes ``<name>.info.json`` beside a download (``--write-info-json``),
Telegram Desktop's export writes one ``result.json`` for a chat with a message naming each media file, and
Bellingcat's auto-archiver writes ``metadata.json`` (its JSON enricher: ``Metadata.to_dict()``) beside what it
archived. The field names come from each tool's documentation and source:

- yt-dlp (README "OUTPUT TEMPLATE" fields, ``YoutubeDL.process_info``): ``title``, ``uploader``, ``channel``,
  ``upload_date`` (``YYYYMMDD``, UTC), ``timestamp`` (UNIX seconds), ``webpage_url`` (``original_url``),
  ``description``.
- Telegram Desktop export (JSON): top-level ``name``/``type``/``messages`` (or ``chats.list[]`` and
  ``left_chats.list[]`` of those for a whole-account export, whose media sit in ``chats/chat_NNN/video_files/``);
  per message ``id``, ``type`` ("message"), ``date`` (local time of the exporting
  computer, no offset), ``date_unixtime`` (UNIX seconds as a string, UTC), ``from``, ``forwarded_from``,
  ``text`` (a string, or a list of strings and ``{"type", "text"}`` entities), ``photo`` / ``file``: the media's
  path relative to the export folder.
- auto-archiver (``core/metadata.py``, ``modules/json_enricher``): ``{"status", "metadata": {"url", "title",
  "content", "timestamp", "upload_date", "_processed_at", ...the extractor's fields}, "media": [{"filename",
  "_key", "urls", "properties": {"hash": "SHA-256:<hex>", ...}}]}``; datetimes written by
  ``json.dump(default=str)``, so "2024-03-02 10:15:00+00:00". ``_processed_at`` is when it was archived, not
  posted, and is never read as a posting time. The JSON enricher writes this file in a temporary folder before
  storage, so ``media[].filename`` are temporary paths holding the original names; ``LocalStorage`` then copies
  every file, the JSON included, into its folder (``core/storage.py`` ``set_key``: with the default
  ``path_generator: flat`` and ``filename_generator: static`` each is named ``<hash[:24]><ext>``, the hash
  enricher's digest of its bytes). So a JSON in the media's folder describes it when one of its media entries names
  the file (``filename``, ``_key`` or a ``urls`` entry, by file name), or, for a file named ``<24 hex
  digits><ext>``, when an entry's ``properties.hash`` is the file's own SHA-256 or SHA3-512
  (``modules/hash_enricher``). ``metadata.json`` (a hand-made or older layout) and ``<24 hex>.json`` files are
  read; at most ``_ARCHIVE_JSON_MAX`` of them per folder.

A sidecar is untrusted text written by whoever handed the file over. A malformed one (not JSON, over its size
limit, a key given twice, a field of the wrong type, an impossible date, two dates that disagree, control
characters or unpaired UTF-16 surrogates such as ``\ud800``) is refused with one line (:class:`SidecarError`)
and nothing of it is used; so is a yt-dlp record of another file (its ``_filename`` names another file, or its
``duration`` is not the file's). A refused sidecar never stops the file's report or indexing: the caller says so
and goes on. A parsed export is kept for the process (by path, size and modification time), so ``index add`` of a
channel's hundred videos parses its ``result.json`` once. This module needs the standard library and NumPy only: ``index
add`` and the sidecar stage both read it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.errors import ProvenanceError

# Size limits, bytes. yt-dlp's info.json of a YouTube video is 0.1-2 MB (the formats list dominates; with
# --write-comments a popular video's runs to several MB); Telegram's result.json holds a whole chat (a busy channel
# export of years: tens of MB). Beyond these a file is refused rather than parsed (json.loads keeps it all in memory).
MAX_BYTES = {"yt-dlp": 16 << 20, "telegram": 256 << 20, "auto-archiver": 16 << 20}
# (a 256-MiB export parses into about 2 GB of Python objects, within [limits] max_memory_mb's 8 GB; it is parsed
# once per process: _PARSED)
# Posting dates before this are impossible for these platforms (YouTube opened in 2005, Telegram in 2013; a
# 1970 date is an unset timestamp); after today (+1 day for time zones, as first-seen dates) as well.
EARLIEST_POST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_CAPTION_CHARS = 4000  # a caption is shown in the report up to this, then cut with an ellipsis (Telegram's own
# caption limit is 4,096 characters for premium users; YouTube descriptions run to 5,000)
MAX_NESTING = 64  # JSON depth accepted: real sidecars nest under 10; deeper is a bomb for the parser
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0/C1 controls but tab, line feed, return
_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON "\\ud800" escapes parse to these; no UTF-8 can encode them
# result.json is in the export folder; a chat export's media in it or one subfolder (video_files/), a whole-account
# export's three below it (chats/chat_001/video_files/)
_TELEGRAM_FOLDERS = 4
_ARCHIVE_JSON_MAX = 500  # auto-archiver JSON files read per folder (flat storage: one per archived URL)
_ARCHIVE_NAME = re.compile(r"[0-9a-f]{24}")  # LocalStorage's static file names: the first 24 hex digits of a hash
# a yt-dlp record's duration (whole seconds, as the platform declares it) and the file's may differ by rounding
# and by the container's own rounding of the last frame: more than this (or 2 %) and it describes another file
DURATION_SLACK_S = 2.0
# two posting times of one record (yt-dlp timestamp and upload_date, Telegram date and date_unixtime) are a day
# apart at most (time zones span UTC-12 to UTC+14); further apart, the record contradicts itself
DATE_SLACK = dt.timedelta(days=1)


class SidecarError(ProvenanceError):
    """A sidecar was found but refused (malformed or hostile): one line naming the file and the problem."""


@dataclass(frozen=True)
class Sidecar:
    """What a platform sidecar says about one media file. None: the sidecar does not say."""

    format: str  # "yt-dlp", "telegram" or "auto-archiver"
    file: str  # the sidecar's path
    title: str | None = None
    posted_by: str | None = None  # who posted it: the uploader, the message's author or channel
    channel: str | None = None  # the channel or chat it was posted in
    posted_at: str | None = None  # ISO 8601: a date-time with its offset, a date-time without one, or a date
    posted_at_field: str | None = None  # the sidecar field it came from ("timestamp", "date_unixtime", ...)
    url: str | None = None
    caption: str | None = None  # the post's text (a video description, a message's text)
    forwarded_from: str | None = None  # Telegram: the message was forwarded from this chat or person
    message_id: str | None = None  # the post's id on the platform (a yt-dlp id, a Telegram message id)
    sha256: str | None = None  # of the sidecar file as read: a later swap of the sidecar shows
    duration_s: float | None = None  # the duration the record declares (yt-dlp ``duration``), seconds
    names_file: str | None = None  # the media file name the record gives (yt-dlp ``_filename``), checked

    @property
    def posted_instant(self) -> dt.datetime | None:
        """``posted_at`` as an instant (a date alone: its midnight UTC; no offset: taken as UTC)."""
        return instant(self.posted_at)

    def first_seen(self) -> str | None:
        """The posting date as an ``index add --first-seen`` value (the date alone when no offset is known)."""
        if self.posted_at is None:
            return None
        when = dt.datetime.fromisoformat(self.posted_at) if len(self.posted_at) > 10 else None
        if when is not None and when.tzinfo is None:
            return when.date().isoformat()  # a local time of unknown zone: the day is what is sure
        return self.posted_at


def instant(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = (dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC) if len(value) == 10
                else dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# -- finding a sidecar ---------------------------------------------------------------------------------------

def _exists(path: Path) -> bool:
    """Whether ``path`` exists; False when the name cannot exist: a media file named with 246-255 bytes gives a
    ``<stem>.info.json`` past the file system's NAME_MAX (255 bytes on ext4, XFS, APFS), ENAMETOOLONG, and no
    sidecar can have that name (issue 14 round 6, D4: one such name aborted a whole ``index add FOLDER``)."""
    try:
        return path.exists()
    except OSError:
        return False


def candidates(media: Path) -> list[tuple[str, Path]]:
    """Sidecar files that may describe ``media``, nearest first: yt-dlp's ``<stem>.info.json``, auto-archiver's
    JSON files in the same folder (``metadata.json``, ``<24 hex>.json``), Telegram's ``result.json`` in the folder
    or up to three above it."""
    out: list[tuple[str, Path]] = []
    info = media.with_name(media.stem + ".info.json")
    if _exists(info):  # a FIFO or folder of that name is refused by _load, never waited on
        out.append(("yt-dlp", info))
    archived = media.with_name("metadata.json")
    if _exists(archived):
        out.append(("auto-archiver", archived))
    try:
        stored = sorted(p for p in media.parent.glob("*.json") if _ARCHIVE_NAME.fullmatch(p.stem))
    except OSError:
        stored = []
    out += [("auto-archiver", p) for p in stored[:_ARCHIVE_JSON_MAX]]
    folder = media.parent
    for _ in range(_TELEGRAM_FOLDERS):
        if _exists(folder / "result.json"):
            out.append(("telegram", folder / "result.json"))
            break
        if folder.parent == folder:
            break
        folder = folder.parent
    return out


def find(media: str | Path, *, duration_s: float | None = None) -> Sidecar | None:
    """The sidecar describing ``media``, or None when there is none.

    A yt-dlp sidecar is named after the file, so it is taken whole, once it is checked to describe this file:
    its ``_filename`` names it, and its ``duration`` is ``duration_s`` (the file's, when known). An auto-archiver
    JSON or a Telegram ``result.json`` counts only when it names this file. Raises :class:`SidecarError` when the
    sidecar found is malformed or describes another file: the caller says so and uses none of it.
    """
    media = Path(media)
    for fmt, path in candidates(media):
        if fmt == "auto-archiver" and path.name != "metadata.json" and not _mentions(path, media):
            continue  # one of many archived items' JSON in a flat storage folder: not parsed unless it may fit
        data, digest = _load(path, fmt)
        found = _READERS[fmt](data, path, media)
        if found is not None:
            found = _with(found, sha256=digest)
            describes_this(found, media, duration_s)
            return found
    return None


def _with(sidecar: Sidecar, **changes: Any) -> Sidecar:
    import dataclasses

    return dataclasses.replace(sidecar, **changes)


def describes_this(sidecar: Sidecar, media: Path, duration_s: float | None) -> None:
    """Refuse (:class:`SidecarError`) a record that describes another file than ``media``: the file name it gives
    is another one (compared without extensions: yt-dlp's ``--remux-video`` changes it after writing the record),
    or the duration it declares is not the file's (``duration_s``, seconds; None: not checked)."""
    path = Path(sidecar.file)
    if sidecar.names_file is not None:
        named = Path(sidecar.names_file.replace("\\", "/")).name
        if _stem(named) != _stem(media.name):
            raise _refuse(path, f"it describes another file ('_filename' is {named!r}, not {media.name!r})")
    if duration_s is not None and sidecar.duration_s is not None:
        slack = max(DURATION_SLACK_S, 0.02 * sidecar.duration_s)
        if abs(sidecar.duration_s - duration_s) > slack:
            raise _refuse(path, f"it describes another file (its 'duration' is {sidecar.duration_s:g} s, the file's "
                                f"{duration_s:.1f} s)")


def _stem(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"\.f[0-9A-Za-z_-]+$", "", stem)  # yt-dlp's per-format part files: NAME.f137.mp4


def _mentions(path: Path, media: Path) -> bool:
    """Whether an auto-archiver JSON may describe ``media``: it holds the file's name, or (a file stored under
    a hash name) the start of its hash. A cheap byte search before parsing: a flat folder holds hundreds."""
    try:
        if path.stat().st_size > MAX_BYTES["auto-archiver"]:
            return True  # _load refuses it in words
        raw = path.read_bytes()
    except OSError:
        return True  # _load says why it cannot be read
    if json.dumps(media.name)[1:-1].encode() in raw or media.name.encode() in raw:
        return True
    return bool(_ARCHIVE_NAME.fullmatch(media.stem)) and media.stem.encode() in raw


# -- reading -------------------------------------------------------------------------------------------------

def _refuse(path: Path, problem: str) -> SidecarError:
    return SidecarError(f"sidecar {path}: {problem}; refused, nothing of it is used")


# parsed sidecars of this process: (path, format) -> ((size, mtime_ns, inode), parsed JSON or refusal, SHA-256).
# ``index add`` of a Telegram channel's videos would otherwise parse its export once per video (6 s for 54 MiB).
_PARSED: dict[tuple[str, str], tuple[tuple[int, int, int], Any, str]] = {}
_PARSED_MAX = 4  # exports kept (each a whole parsed JSON in memory)


def _load(path: Path, fmt: str) -> tuple[Any, str]:
    """Parse a sidecar's JSON: a regular file within its size limit, UTF-8, no NaN, no key given twice, not nested
    past MAX_NESTING. Returns it with the file's SHA-256. A file unchanged since it was last read in this process
    (same size, modification time and inode) is not parsed again."""
    limit = MAX_BYTES[fmt]
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _refuse(path, f"cannot be read ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(path, "not a regular file")
        key, version = (str(path.absolute()), fmt), (info.st_size, info.st_mtime_ns, info.st_ino)
        cached = _PARSED.get(key)
        if cached is not None and cached[0] == version:
            if isinstance(cached[1], SidecarError):
                raise cached[1]
            return cached[1], cached[2]
        raw = fh.read(limit + 1)
    digest = hashlib.sha256(raw).hexdigest()
    try:
        data: Any = _parse(raw, path, fmt, limit)
    except SidecarError as exc:
        data = exc
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[key] = (version, data, digest)
    if isinstance(data, SidecarError):
        raise data
    return data, digest


def _parse(raw: bytes, path: Path, fmt: str, limit: int) -> Any:
    if len(raw) > limit:
        raise _refuse(path, f"over {limit >> 20} MiB, larger than any {fmt} sidecar")
    depth = _depth(raw)
    if depth > MAX_NESTING:
        raise _refuse(path, f"JSON nested {depth} deep (at most {MAX_NESTING})")

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    def once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set[str] = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise _refuse(path, f"key {_shown(twice)} is given twice in one object (which one is meant?)")
        return out

    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=no_constant, object_pairs_hook=once)
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"not UTF-8 text (byte {exc.start})") from exc
    except (ValueError, RecursionError) as exc:
        raise _refuse(path, f"not valid JSON ({str(exc)[:120]})") from exc
    if not isinstance(data, dict):
        raise _refuse(path, f"a JSON {type(data).__name__}, not an object")
    return data


def _shown(text: str) -> str:
    """A key or value for a message: quoted, cut, and with unpaired surrogates escaped (they cannot be printed)."""
    return repr(text[:40]).encode("utf-8", "backslashreplace").decode("utf-8")


def _depth(raw: bytes, chunk: int = 8 << 20) -> int:
    """The deepest nesting of brackets outside strings, before parsing, at C speed: quotes not escaped (an even
    run of backslashes before them) toggle the in-string state (a running XOR), and brackets outside strings are
    summed: 0.8 s for a 54-MiB export on a loaded machine, where a byte loop took 4.7-7.9 s. Chunked (8 MiB)."""
    import numpy as np

    data = np.frombuffer(raw, dtype=np.uint8)
    inside, depth, deepest = 0, 0, 0
    for start in range(0, len(data), chunk):
        part = data[start:start + chunk]
        quotes = np.flatnonzero(part == 0x22) + start
        after_slash = quotes[(quotes > 0) & (data[np.maximum(quotes - 1, 0)] == 0x5C)]
        escaped = [q for q in after_slash.tolist() if _slashes_before(raw, q) % 2 == 1]
        toggles = np.zeros(len(part), dtype=np.uint8)
        toggles[quotes - start] = 1
        if escaped:
            toggles[np.array(escaped) - start] = 0
        state = np.bitwise_xor.accumulate(toggles) ^ inside  # 1 inside a string (its opening quote included)
        inside = int(state[-1]) if len(state) else inside
        folded = part | 0x20  # "[" 0x5B and "{" 0x7B fold to 0x7B, "]" and "}" to 0x7D
        brackets = np.flatnonzero(((folded == 0x7B) | (folded == 0x7D)) & (state == 0))
        if len(brackets):
            steps = np.where(folded[brackets] == 0x7B, 1, -1).cumsum() + depth
            deepest, depth = max(deepest, int(steps.max())), int(steps[-1])
    return deepest


def _slashes_before(raw: bytes, at: int) -> int:
    n = 0
    while at - n - 1 >= 0 and raw[at - n - 1] == 0x5C:
        n += 1
    return n


def _text(data: dict[str, Any], key: str, path: Path, *, caption: bool = False) -> str | None:
    """A text field: absent or null is None; another type, or control characters, refuse the sidecar."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _refuse(path, f"field {key!r} is {_kind(value)}, not text")
    return _clean(value, key, path, caption=caption)


def _kind(value: Any) -> str:
    """What a JSON value is, in words: "a number", "an object"..."""
    if isinstance(value, bool):
        return "true or false"
    return {int: "a number", float: "a number", list: "a list", dict: "an object", str: "text"}.get(
        type(value), f"a {type(value).__name__}")


def _clean(value: str, key: str, path: Path, *, caption: bool = False) -> str | None:
    if _CONTROL.search(value):
        raise _refuse(path, f"field {key!r} holds control characters")
    if _SURROGATE.search(value):
        raise _refuse(path, f"field {key!r} holds an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape): not text")
    if not caption:
        value = " ".join(value.split())
    value = value.strip()
    if len(value) > MAX_CAPTION_CHARS:
        value = value[:MAX_CAPTION_CHARS].rstrip() + "…"
    return value or None


def _from_unix(value: Any, key: str, path: Path) -> str:
    """UNIX seconds (a number, or digits as text as Telegram writes them) as ISO 8601 UTC."""
    if isinstance(value, str) and re.fullmatch(r"\d{1,12}", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refuse(path, f"field {key!r} is {_kind(value)}, not a UNIX time")
    try:
        when = dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise _refuse(path, f"field {key!r} = {value!r} is not a possible date") from exc
    _possible(when, key, path)
    return when.isoformat(timespec="seconds")  # a post's time to the second: the fraction is noise in a report


def _possible(when: dt.datetime, key: str, path: Path) -> None:
    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    latest = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    if aware < EARLIEST_POST or aware > latest:
        raise _refuse(path, f"field {key!r} = {when.isoformat()} is an impossible posting date (before "
                            f"{EARLIEST_POST.year} or in the future)")


def _iso(value: Any, key: str, path: Path) -> str:
    """An ISO 8601 date-time (auto-archiver's ``str(datetime)``: a space for the T), checked possible."""
    if not isinstance(value, str):
        raise _refuse(path, f"field {key!r} is {_kind(value)}, not a date")
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise _refuse(path, f"field {key!r} = {value[:40]!r} is not an ISO 8601 date") from exc
    _possible(when, key, path)
    return when.isoformat()


def _yyyymmdd(value: Any, key: str, path: Path) -> str:
    if not isinstance(value, str):
        raise _refuse(path, f"field {key!r} is {_kind(value)}, not YYYYMMDD text (yt-dlp writes \"20240302\")")
    if not re.fullmatch(r"\d{8}", value):
        raise _refuse(path, f"field {key!r} = {str(value)[:40]!r} is not a YYYYMMDD date")
    try:
        day = dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise _refuse(path, f"field {key!r} = {value} is not a calendar date") from exc
    _possible(dt.datetime.combine(day, dt.time(), dt.UTC), key, path)
    return day.isoformat()


def _url(data: dict[str, Any], keys: tuple[str, ...], path: Path) -> str | None:
    for key in keys:
        text = _text(data, key, path)
        if text is not None:
            if not re.match(r"https?://", text):
                raise _refuse(path, f"field {key!r} is not a web address")
            if re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069\\s]", text):  # a web address has no spaces
                raise _refuse(path, f"field {key!r} holds spaces or bidirectional controls: not a web address")
            return text
    return None


def _agree(first: str, second: str, names: str, path: Path) -> None:
    """Two posting times of one record must be within DATE_SLACK of each other, else the record is refused."""
    a, b = instant(first), instant(second)
    if a is not None and b is not None and abs(a - b) > DATE_SLACK:
        raise _refuse(path, f"{names} disagree ({first[:19]} and {second[:19]}, {abs(a - b).days} days apart): "
                            "which one is the posting date?")


def _yt_dlp(data: dict[str, Any], path: Path, media: Path) -> Sidecar:
    """yt-dlp's ``.info.json``: the date from ``timestamp`` (UTC seconds) when present, else ``upload_date``;
    both present must agree within a day. ``_filename`` and ``duration`` are kept to check it is this file's."""
    posted, field_name = None, None
    if data.get("timestamp") is not None:
        posted, field_name = _from_unix(data["timestamp"], "timestamp", path), "timestamp"
    if data.get("upload_date") is not None:
        day = _yyyymmdd(data["upload_date"], "upload_date", path)
        if posted is None:
            posted, field_name = day, "upload_date"
        else:
            _agree(posted, day, "'timestamp' and 'upload_date'", path)
    duration = data.get("duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float)
                                 or not math.isfinite(duration) or duration < 0):
        raise _refuse(path, f"field 'duration' is {_kind(duration)}, not a duration in seconds")
    named = _text(data, "_filename", path) or _text(data, "filename", path)
    ident = data.get("id")
    return Sidecar(
        format="yt-dlp", file=str(path), title=_text(data, "title", path) or _text(data, "fulltitle", path),
        posted_by=_text(data, "uploader", path) or _text(data, "channel", path),
        channel=_text(data, "channel", path), posted_at=posted, posted_at_field=field_name,
        url=_url(data, ("webpage_url", "original_url"), path),
        caption=_text(data, "description", path, caption=True),
        message_id=_clean(str(ident), "id", path) if isinstance(ident, str | int) and not isinstance(ident, bool)
        else None, duration_s=float(duration) if duration is not None else None, names_file=named)


def _telegram_text(value: Any, path: Path) -> str | None:
    """A message's text: a string, or a list of strings and entities ``{"type": ..., "text": ...}``."""
    if value is None or isinstance(value, str):
        return _clean(value, "text", path, caption=True) if value else None
    if not isinstance(value, list):
        raise _refuse(path, f"a message's 'text' is a {type(value).__name__}")
    parts = []
    for part in value:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
        else:
            raise _refuse(path, "a message's 'text' entity is neither text nor {type, text}")
    return _clean("".join(parts), "text", path, caption=True)


def _chats(data: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """The chats of an export: the file itself (one chat) or ``chats.list`` and ``left_chats.list`` (a whole
    account: the chats it is in, and those it left). A ``result.json`` with none is another tool's file, not a
    sidecar: no chats (``result.json`` is a common name)."""
    if "messages" in data:
        return [data]
    out: list[dict[str, Any]] = []
    for key in ("chats", "left_chats"):
        chats = data.get(key)
        listed = chats.get("list") if isinstance(chats, dict) else None
        if chats is not None and not isinstance(listed, list):
            raise _refuse(path, f"{key!r} holds no 'list' of chats")
        out += [c for c in listed or [] if isinstance(c, dict)]
    return out


def _telegram(data: dict[str, Any], path: Path, media: Path) -> Sidecar | None:
    """The message of a Telegram Desktop export whose ``photo`` or ``file`` is ``media``; None when none is."""
    folder = path.parent
    try:
        target = media.resolve()
    except OSError:
        return None
    for chat in _chats(data, path):
        messages = chat.get("messages")
        if not isinstance(messages, list):
            raise _refuse(path, "'messages' is not a list")
        for message in messages:
            if not isinstance(message, dict):
                raise _refuse(path, "a message is not an object")
            names = [message.get(k) for k in ("file", "photo")]
            if not any(isinstance(n, str) and n and (folder / n).resolve() == target for n in names):
                continue
            posted, field_name = None, None
            local = _iso(message["date"], "date", path) if message.get("date") is not None else None
            if message.get("date_unixtime") is not None:
                posted, field_name = _from_unix(message["date_unixtime"], "date_unixtime", path), "date_unixtime"
                if local is not None:  # local time of the exporting computer: within a day of the instant
                    _agree(posted, local, "a message's 'date' and 'date_unixtime'", path)
            elif local is not None:
                posted = local
                field_name = ("date" if dt.datetime.fromisoformat(local).tzinfo is not None  # _iso checked it
                              else "date (local time of the exporting computer, no offset)")
            chat_name = _text(chat, "name", path)
            ident = message.get("id")
            return Sidecar(
                format="telegram", file=str(path), title=None,
                posted_by=_text(message, "from", path) or chat_name, channel=chat_name,
                posted_at=posted, posted_at_field=field_name, url=None,
                caption=_telegram_text(message.get("text"), path),
                forwarded_from=_text(message, "forwarded_from", path),
                message_id=str(ident) if isinstance(ident, int) and not isinstance(ident, bool) else None)
    return None


def _auto_archiver(data: dict[str, Any], path: Path, media: Path) -> Sidecar | None:
    """auto-archiver's ``metadata.json``, when one of its ``media`` entries names this file (by file name)."""
    meta, items = data.get("metadata"), data.get("media")
    if meta is None and items is None:
        return None  # another tool's metadata.json (a common name), not auto-archiver's
    if not isinstance(meta, dict) or not isinstance(items, list):
        raise _refuse(path, "'metadata' is not an object or 'media' not a list")
    names: set[str] = set()
    hashes: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            raise _refuse(path, "a 'media' entry is not an object")
        urls = item.get("urls")
        for value in [item.get("filename"), item.get("key"), item.get("_key"),
                      *(urls if isinstance(urls, list) else [])]:
            if isinstance(value, str):
                names.add(Path(value.replace("\\", "/").split("?", 1)[0]).name)
        props = item.get("properties")
        digest = props.get("hash") if isinstance(props, dict) else None
        if isinstance(digest, str):
            hashes.add(digest.strip().lower())
    if media.name not in names and not _hash_named(media, hashes):
        return None
    posted, field_name = None, None
    for key in ("timestamp", "upload_date"):  # when posted; _processed_at is when archived
        if meta.get(key) is not None:
            value = meta[key]
            posted = _from_unix(value, key, path) if isinstance(value, int | float) else _iso(value, key, path)
            field_name = f"metadata.{key}"
            break
    return Sidecar(
        format="auto-archiver", file=str(path), title=_text(meta, "title", path),
        posted_by=_text(meta, "uploader", path) or _text(meta, "author", path) or _text(meta, "channel", path),
        channel=_text(meta, "channel", path), posted_at=posted, posted_at_field=field_name,
        url=_url(meta, ("url", "webpage_url"), path), caption=_text(meta, "content", path, caption=True),
        message_id=_text(meta, "id", path) if isinstance(meta.get("id"), str) else None)


def _hash_named(media: Path, hashes: set[str]) -> bool:
    """Whether ``media`` is stored under its hash (``<24 hex><ext>``: auto-archiver's static file names) and one
    of ``hashes`` (``properties.hash``: "SHA-256:<hex>" or "SHA3-512:<hex>") is the hash of its bytes."""
    if not hashes or not _ARCHIVE_NAME.fullmatch(media.stem):
        return False
    for name, algorithm in (("sha-256", hashlib.sha256), ("sha3-512", hashlib.sha3_512)):
        wanted = {h.split(":", 1)[1] for h in hashes if h.startswith(f"{name}:")}
        if any(w.startswith(media.stem) for w in wanted):
            digest = algorithm()
            try:
                with media.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
            except OSError:
                return False
            if digest.hexdigest() in wanted:
                return True
    return False


_READERS = {"yt-dlp": _yt_dlp, "telegram": _telegram, "auto-archiver": _auto_archiver}


REFERENCE_FIELDS = ("title", "source", "url", "first_seen")


def reference_metadata(sidecar: Sidecar) -> dict[str, str]:
    """What ``index add`` takes from a sidecar for a reference: title (a Telegram post has none: its caption's
    first line), source (who posted it, and where), url, first_seen (the posting date). Only what it gives."""
    title = sidecar.title
    if title is None and sidecar.caption:
        first = sidecar.caption.strip().splitlines()[0]
        title = first if len(first) <= 120 else first[:120].rstrip() + "…"
    who = sidecar.posted_by or sidecar.channel
    if who and sidecar.channel and sidecar.channel != who:
        who = f"{who} in {sidecar.channel}"
    source = f"{who} ({_PLATFORM[sidecar.format]})" if who else None
    if source and sidecar.forwarded_from:  # the post's date is the forward's: the footage was out by then
        source = f"{source}, forwarded from {sidecar.forwarded_from}"
    found = {"title": title, "source": source, "url": sidecar.url, "first_seen": sidecar.first_seen()}
    return {k: v for k, v in found.items() if v}


_PLATFORM = {"yt-dlp": "yt-dlp download", "telegram": "Telegram export", "auto-archiver": "auto-archiver"}
