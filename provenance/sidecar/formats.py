"""Platform sidecars: what the tool that fetched a file recorded about where it was posted, by whom and when.

Analysts rarely receive a bare file: yt-dlp writes ``<name>.info.json`` beside a download (``--write-info-json``),
Telegram Desktop's export writes one ``result.json`` for a chat with a message naming each media file, and
Bellingcat's auto-archiver writes ``metadata.json`` (its JSON enricher: ``Metadata.to_dict()``) beside what it
archived. The field names come from each tool's documentation and source:

- yt-dlp (README "OUTPUT TEMPLATE" fields, ``YoutubeDL.process_info``): ``title``, ``uploader``, ``channel``,
  ``upload_date`` (``YYYYMMDD``, UTC), ``timestamp`` (UNIX seconds), ``webpage_url`` (``original_url``),
  ``description``.
- Telegram Desktop export (JSON): top-level ``name``/``type``/``messages`` (or ``chats.list[]`` of those for a
  whole-account export); per message ``id``, ``type`` ("message"), ``date`` (local time of the exporting
  computer, no offset), ``date_unixtime`` (UNIX seconds as a string, UTC), ``from``, ``forwarded_from``,
  ``text`` (a string, or a list of strings and ``{"type", "text"}`` entities), ``photo`` / ``file``: the media's
  path relative to the export folder.
- auto-archiver (``core/metadata.py``, ``modules/json_enricher``): ``{"status", "metadata": {"url", "title",
  "content", "timestamp", "upload_date", "_processed_at", ...the extractor's fields}, "media": [{"filename",
  "key", "urls", "properties"}]}``; datetimes written by ``json.dump(default=str)``, so "2024-03-02 10:15:00+00:00".
  ``_processed_at`` is when it was archived, not posted, and is never read as a posting time.

A sidecar is untrusted text written by whoever handed the file over. A malformed one (not JSON, over its size
limit, a field of the wrong type, an impossible date, control characters) is refused with one line
(:class:`SidecarError`) and nothing of it is used. This module is the standard library only: ``index add`` and
the sidecar stage both read it.
"""

from __future__ import annotations

import datetime as dt
import json
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
MAX_BYTES = {"yt-dlp": 16 << 20, "telegram": 64 << 20, "auto-archiver": 16 << 20}
# Posting dates before this are impossible for these platforms (YouTube opened in 2005, Telegram in 2013; a
# 1970 date is an unset timestamp); after today (+1 day for time zones, as first-seen dates) as well.
EARLIEST_POST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_CAPTION_CHARS = 4000  # a caption is shown in the report up to this, then cut with an ellipsis (Telegram's own
# caption limit is 4,096 characters for premium users; YouTube descriptions run to 5,000)
MAX_NESTING = 64  # JSON depth accepted: real sidecars nest under 10; deeper is a bomb for the parser
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0/C1 controls but tab, line feed, return
_TELEGRAM_FOLDERS = 2  # result.json is in the export folder, the media in it or in one subfolder (video_files/)


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

def candidates(media: Path) -> list[tuple[str, Path]]:
    """Sidecar files that may describe ``media``, nearest first: yt-dlp's ``<stem>.info.json``, auto-archiver's
    ``metadata.json`` in the same folder, Telegram's ``result.json`` in the folder or the one above."""
    out: list[tuple[str, Path]] = []
    info = media.with_name(media.stem + ".info.json")
    if info.exists():  # a FIFO or folder of that name is refused by _load, never waited on
        out.append(("yt-dlp", info))
    archived = media.with_name("metadata.json")
    if archived.exists():
        out.append(("auto-archiver", archived))
    folder = media.parent
    for _ in range(_TELEGRAM_FOLDERS):
        if (folder / "result.json").exists():
            out.append(("telegram", folder / "result.json"))
            break
        folder = folder.parent
    return out


def find(media: str | Path) -> Sidecar | None:
    """The sidecar describing ``media``, or None when there is none.

    A yt-dlp sidecar is named after the file, so it is taken whole; an auto-archiver ``metadata.json`` or a
    Telegram ``result.json`` counts only when it names this file. Raises :class:`SidecarError` when the sidecar
    found is malformed: the caller says so and uses none of it.
    """
    media = Path(media)
    for fmt, path in candidates(media):
        data = _load(path, fmt)
        found = _READERS[fmt](data, path, media)
        if found is not None:
            return found
    return None


# -- reading -------------------------------------------------------------------------------------------------

def _refuse(path: Path, problem: str) -> SidecarError:
    return SidecarError(f"sidecar {path}: {problem}; refused, nothing of it is used")


def _load(path: Path, fmt: str) -> Any:
    """Parse a sidecar's JSON: a regular file within its size limit, UTF-8, no NaN, not nested past MAX_NESTING."""
    limit = MAX_BYTES[fmt]
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _refuse(path, f"cannot be read ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise _refuse(path, "not a regular file")
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise _refuse(path, f"over {limit >> 20} MiB, larger than any {fmt} sidecar")
    depth = _depth(raw)
    if depth > MAX_NESTING:
        raise _refuse(path, f"JSON nested {depth} deep (at most {MAX_NESTING})")

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=no_constant)
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"not UTF-8 text (byte {exc.start})") from exc
    except (ValueError, RecursionError) as exc:
        raise _refuse(path, f"not valid JSON ({str(exc)[:120]})") from exc
    if not isinstance(data, dict):
        raise _refuse(path, f"a JSON {type(data).__name__}, not an object")
    return data


def _depth(raw: bytes) -> int:
    """The deepest nesting of brackets outside strings (a linear scan before parsing)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _text(data: dict[str, Any], key: str, path: Path, *, caption: bool = False) -> str | None:
    """A text field: absent or null is None; another type, or control characters, refuse the sidecar."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _refuse(path, f"field {key!r} is a {type(value).__name__}, not text")
    return _clean(value, key, path, caption=caption)


def _clean(value: str, key: str, path: Path, *, caption: bool = False) -> str | None:
    if _CONTROL.search(value):
        raise _refuse(path, f"field {key!r} holds control characters")
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
        raise _refuse(path, f"field {key!r} is not a UNIX time ({type(value).__name__})")
    try:
        when = dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise _refuse(path, f"field {key!r} = {value!r} is not a possible date") from exc
    _possible(when, key, path)
    return when.isoformat()


def _possible(when: dt.datetime, key: str, path: Path) -> None:
    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    latest = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    if aware < EARLIEST_POST or aware > latest:
        raise _refuse(path, f"field {key!r} = {when.isoformat()} is an impossible posting date (before "
                            f"{EARLIEST_POST.year} or in the future)")


def _iso(value: Any, key: str, path: Path) -> str:
    """An ISO 8601 date-time (auto-archiver's ``str(datetime)``: a space for the T), checked possible."""
    if not isinstance(value, str):
        raise _refuse(path, f"field {key!r} is a {type(value).__name__}, not a date")
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise _refuse(path, f"field {key!r} = {value[:40]!r} is not an ISO 8601 date") from exc
    _possible(when, key, path)
    return when.isoformat()


def _yyyymmdd(value: Any, key: str, path: Path) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{8}", value):
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


def _yt_dlp(data: dict[str, Any], path: Path, media: Path) -> Sidecar:
    """yt-dlp's ``.info.json``: the date from ``timestamp`` (UTC seconds) when present, else ``upload_date``."""
    posted, field_name = None, None
    if data.get("timestamp") is not None:
        posted, field_name = _from_unix(data["timestamp"], "timestamp", path), "timestamp"
    if data.get("upload_date") is not None:
        day = _yyyymmdd(data["upload_date"], "upload_date", path)
        if posted is None:
            posted, field_name = day, "upload_date"
    ident = data.get("id")
    return Sidecar(
        format="yt-dlp", file=str(path), title=_text(data, "title", path) or _text(data, "fulltitle", path),
        posted_by=_text(data, "uploader", path) or _text(data, "channel", path),
        channel=_text(data, "channel", path), posted_at=posted, posted_at_field=field_name,
        url=_url(data, ("webpage_url", "original_url"), path),
        caption=_text(data, "description", path, caption=True),
        message_id=_clean(str(ident), "id", path) if isinstance(ident, str | int) and not isinstance(ident, bool)
        else None)


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
    """The chats of an export: the file itself (one chat) or ``chats.list`` (a whole account). A ``result.json``
    with neither is another tool's file, not a sidecar: no chats (``result.json`` is a common name)."""
    if "messages" in data:
        return [data]
    chats = data.get("chats")
    listed = chats.get("list") if isinstance(chats, dict) else None
    if chats is not None and not isinstance(listed, list):
        raise _refuse(path, "'chats' holds no 'list' of chats")
    return [c for c in listed or [] if isinstance(c, dict)]


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
            if message.get("date_unixtime") is not None:
                posted, field_name = _from_unix(message["date_unixtime"], "date_unixtime", path), "date_unixtime"
            elif message.get("date") is not None:  # local time of the exporting computer: no offset known
                posted = _iso(message["date"], "date", path)
                field_name = "date (local time of the exporting computer, no offset)"
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
    names = set()
    for item in items:
        if not isinstance(item, dict):
            raise _refuse(path, "a 'media' entry is not an object")
        for key in ("filename", "key"):
            if isinstance(item.get(key), str):
                names.add(Path(item[key].replace("\\", "/")).name)
    if media.name not in names:
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
    found = {"title": title, "source": source, "url": sidecar.url, "first_seen": sidecar.first_seen()}
    return {k: v for k, v in found.items() if v}


_PLATFORM = {"yt-dlp": "yt-dlp download", "telegram": "Telegram export", "auto-archiver": "auto-archiver"}
