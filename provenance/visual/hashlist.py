"""Shareable known-footage lists: the index's frame hashes with their reference metadata, and no pixels.

Two desks can share "known footage" without sharing footage. ``index export`` writes every reference's PDQ frame
hashes in vPDQ's per-frame line format (ThreatExchange ``vpdq/cpp/vpdq/cpp/io/vpdqio.cpp``:
``frame_number,quality,pdq_hex,timestamp`` with the timestamp in seconds to three decimals, one line per frame,
the hex in ThreatExchange's bit order as ``signals.PDQ.pack`` writes it), each reference's block preceded by one
comment line of JSON metadata, the file by one header line::

    #provenance.hashlist/1 {"name": ..., "exported_at": ..., "exported_from": <workspace id>, "signal": "pdq",
                            "frame_line": "frame_number,quality,pdq_hex,timestamp", "references": N, "frames": M}
    #reference {"id", "title", "source", "url", "first_seen", "kind", "duration_s", "sha256", "frames"}
    0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000
    ...

The lines of one block, without the ``#`` lines, are a vPDQ hash file; ``frame_number`` is the frame's rank among
the reference's sampled frames (provenance samples by time, every ``reference_interval_s``, and keeps no decoder
frame numbers), ``timestamp`` is what matching reads. ``index import`` reads such a list, or a plain vPDQ file
(the output of vPDQ's hasher: one reference, named by the file or ``--id``). Imported references hold hashes only:
keypoint matching (crops, insets, quarter turns that PDQ misses) cannot find them, the report says so, and no
reference pictures can be shown. A list is untrusted input: every line is checked and a bad one refuses the whole
list with its line number; nothing is imported half.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance import fileio
from provenance.errors import ProvenanceError
from provenance.fileio import sha256_file
from provenance.media import display_path
from provenance.report.model import HashListOrigin, Match
from provenance.safetext import as_id, id_problem
from provenance.visual.signals import PDQ
from provenance.workspace import Workspace

FORMAT = "provenance.hashlist/1"
FRAME_LINE = "frame_number,quality,pdq_hex,timestamp"
# A list holds ~75 bytes a frame: 512 MiB is ~7 million frames, about 1,000 hours of references at 0.5 s. Beyond
# it a list is refused before reading (each frame becomes a database row).
MAX_BYTES = 512 << 20
MAX_TIMESTAMP_S = 7 * 24 * 3600.0  # a frame time past a week is no video a desk indexes: a damaged line
_HEADER_MAX = 64 * 1024  # one metadata line (titles and URLs of one reference): JSON of at most this many bytes
_TEXT_MAX = 2000  # characters of a title, source or URL from a list
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_HEX = re.compile("[0-9a-f]{64}")


class HashListError(ProvenanceError):
    """A hash list cannot be read or imported: one line naming the file (and line) and the problem."""


@dataclass
class ListedReference:
    """One reference of a hash list: its metadata as the list gives it, and its frames (time order)."""

    id: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    first_seen: str | None = None
    kind: str = "video"
    duration_s: float | None = None
    sha256: str | None = None  # of the media the hashes were made from, as the list says (not checked: no file)
    frames: list[tuple[int, int, bytes, float]] = field(default_factory=list)  # frame_number, quality, pdq, t
    declared_frames: int | None = None  # the count its #reference line gives (checked against the lines)


@dataclass
class HashList:
    name: str
    format: str  # FORMAT, or "vpdq" for a plain vPDQ file
    references: list[ListedReference]
    exported_at: str | None = None
    exported_from: str | None = None


@dataclass(frozen=True)
class Imported:
    """One reference an import added: its id here, its id in the list, and its frame count."""

    id: str
    listed_id: str
    frames: int


# -- export --------------------------------------------------------------------------------------------------

def export(workspace: Workspace, name: str) -> tuple[str, int, int]:
    """The workspace's references as a hash list (text), with the counts of references and frames.

    A linked reference (byte-identical to another, ``same_as``) is written with the frames it shares, so each
    reference of the list stands on its own in the workspace that imports it.
    """
    with workspace.reading() as conn:
        refs = conn.execute("SELECT * FROM reference ORDER BY id").fetchall()
        workspace_id = conn.execute("SELECT value FROM meta WHERE key = 'workspace_id'").fetchone()
        blocks: list[str] = []
        total = 0
        for ref in refs:
            rows = conn.execute("SELECT t, pdq, quality FROM frame WHERE reference_id = ? ORDER BY t, rowid",
                                (ref["same_as"] or ref["id"],)).fetchall()
            meta = {"id": ref["id"], "title": ref["title"], "source": ref["source"], "url": ref["url"],
                    "first_seen": ref["first_seen"], "kind": ref["kind"], "duration_s": ref["duration_s"],
                    "sha256": ref["sha256"] or None, "frames": len(rows)}
            lines = [f"#reference {json.dumps(meta, ensure_ascii=False)}"]
            lines += [f"{n},{int(r['quality'])},{bytes(r['pdq']).hex()},{float(r['t']):.3f}"
                      for n, r in enumerate(rows)]
            blocks.append("\n".join(lines))
            total += len(rows)
    header = {"name": name, "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "exported_from": workspace_id[0] if workspace_id else None, "signal": PDQ.name,
              "frame_line": FRAME_LINE, "references": len(refs), "frames": total}
    text = f"#{FORMAT} {json.dumps(header, ensure_ascii=False)}\n" + "".join(b + "\n" for b in blocks)
    return text, len(refs), total


def write_new(path: Path, text: str) -> None:
    """Write the export whole, never over an existing file (:func:`provenance.fileio.write_new`)."""
    try:
        fileio.write_new(path, text)
    except FileExistsError as exc:
        raise HashListError(f"{display_path(path)} exists already: choose another name (an export never "
                            "overwrites a file)") from exc


# -- reading -------------------------------------------------------------------------------------------------

def _bad(path: Path, line: int | None, problem: str) -> HashListError:
    where = f"{display_path(path)}" + (f" line {line}" if line else "")
    return HashListError(f"{where}: {problem}; nothing was imported")


def _text(meta: dict[str, Any], key: str, path: Path, line: int) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(path, line, f"{key!r} is a {type(value).__name__}, not text")
    if _CONTROL.search(value):
        raise _bad(path, line, f"{key!r} holds control characters")
    return value.strip()[:_TEXT_MAX] or None


def _json_line(text: str, path: Path, line: int) -> dict[str, Any]:
    if len(text) > _HEADER_MAX:
        raise _bad(path, line, f"a metadata line over {_HEADER_MAX} bytes")

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    try:
        data = json.loads(text, parse_constant=no_constant)
    except (ValueError, RecursionError) as exc:
        raise _bad(path, line, f"metadata is not valid JSON ({str(exc)[:80]})") from exc
    if not isinstance(data, dict):
        raise _bad(path, line, "metadata is not a JSON object")
    return data


def _frame(text: str, path: Path, line: int) -> tuple[int, int, bytes, float]:
    parts = text.split(",")
    if len(parts) < 4:
        raise _bad(path, line, f"not a vPDQ frame line ({FRAME_LINE})")
    try:
        number, quality, timestamp = int(parts[0]), int(parts[1]), float(parts[3])
    except ValueError as exc:
        raise _bad(path, line, f"not a vPDQ frame line ({FRAME_LINE})") from exc
    hexdigits = parts[2].strip().lower()
    if not _HEX.fullmatch(hexdigits):
        raise _bad(path, line, "the PDQ hash is not 64 hex digits")
    if number < 0 or not 0 <= quality <= 100:
        raise _bad(path, line, "frame number below 0 or quality outside 0-100")
    if not math.isfinite(timestamp) or not 0 <= timestamp <= MAX_TIMESTAMP_S:
        raise _bad(path, line, f"timestamp {parts[3].strip()[:20]} is not a time in a video")
    return number, quality, bytes.fromhex(hexdigits), timestamp


def read(path: Path) -> HashList:
    """Parse a hash list (ours, or a plain vPDQ file) completely; :class:`HashListError` on any bad line."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise HashListError(f"{display_path(path)}: cannot read it ({exc.strerror or exc})") from exc
    if not path.is_file():
        raise HashListError(f"{display_path(path)}: not a regular file")
    if size > MAX_BYTES:
        raise _bad(path, None, f"over {MAX_BYTES >> 20} MiB")
    header: dict[str, Any] | None = None
    refs: list[ListedReference] = []
    current: ListedReference | None = None
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise _bad(path, number, "not UTF-8 text") from exc
            if not text.strip():
                continue
            if number == 1 and text.startswith(f"#{FORMAT}"):
                header = _json_line(text[len(FORMAT) + 1:], path, number)
            elif text.startswith("#reference "):
                if header is None:
                    raise _bad(path, number, f"a #reference line without the #{FORMAT} header")
                current = _listed(_json_line(text[len("#reference "):], path, number), path, number)
                refs.append(current)
            elif text.startswith("#"):
                raise _bad(path, number, "an unknown # line")
            else:
                if current is None:
                    if header is not None:
                        raise _bad(path, number, "a frame line before any #reference line")
                    current = ListedReference(id=as_id([path.stem]))  # a plain vPDQ file: one reference
                    refs.append(current)
                current.frames.append(_frame(text, path, number))
    if not refs or not any(r.frames for r in refs):
        raise _bad(path, None, "no frame hashes in it")
    for r in refs:
        r.frames.sort(key=lambda f: (f[3], f[0]))
        if header is None:
            r.duration_s = r.frames[-1][3] if r.frames else None
        elif len(r.frames) != r.declared_frames:
            raise _bad(path, None, f"reference {r.id!r} declares {_n(r.declared_frames)} but "
                       f"{len(r.frames)} follow: the list is truncated or edited")
    if header is None:
        return HashList(name=display_path(path.name), format="vpdq", references=refs)
    name = _text(header, "name", path, 1) or display_path(path.name)
    if header.get("signal", PDQ.name) != PDQ.name:
        raise _bad(path, 1, f"signal {str(header.get('signal'))[:20]!r} is not pdq")
    return HashList(name=name, format=FORMAT, references=refs, exported_at=_text(header, "exported_at", path, 1),
                    exported_from=_text(header, "exported_from", path, 1))


def _n(frames: int | None) -> str:
    return f"{frames} frame" if frames == 1 else f"{frames} frames"


def _listed(meta: dict[str, Any], path: Path, line: int) -> ListedReference:
    from provenance.visual.index import KnownIndexError, normalise_date

    ref_id = _text(meta, "id", path, line)
    if ref_id is None:
        raise _bad(path, line, "a reference without an id")
    kind = meta.get("kind", "video")
    if kind not in ("video", "image"):
        raise _bad(path, line, f"kind {str(kind)[:20]!r} is neither video nor image")
    duration = meta.get("duration_s")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float)
                                 or not math.isfinite(duration) or not 0 <= duration <= MAX_TIMESTAMP_S):
        raise _bad(path, line, "duration_s is not a duration in seconds")
    declared = meta.get("frames")
    if isinstance(declared, bool) or not isinstance(declared, int) or declared < 0:
        raise _bad(path, line, "'frames' is not a count")
    url = _text(meta, "url", path, line)
    if url is not None and "://" not in url:
        raise _bad(path, line, "url is not a web address")
    try:
        first_seen = normalise_date(_text(meta, "first_seen", path, line), "first_seen")
    except KnownIndexError as exc:
        raise _bad(path, line, str(exc)) from exc
    sha = _text(meta, "sha256", path, line)
    if sha is not None and not re.fullmatch("[0-9a-f]{64}", sha):
        raise _bad(path, line, "sha256 is not 64 hex digits")
    ref = ListedReference(id=ref_id if id_problem(ref_id) is None else as_id([ref_id]),
                          title=_text(meta, "title", path, line), source=_text(meta, "source", path, line), url=url,
                          first_seen=first_seen, kind=kind,
                          duration_s=float(duration) if duration is not None else None, sha256=sha,
                          declared_frames=declared)
    return ref


# -- import --------------------------------------------------------------------------------------------------

def import_list(workspace: Workspace, path: Path, *, source: str, name: str | None = None,
                overrides: dict[str, str | None] | None = None) -> tuple[HashList, list[Imported], int | None]:
    """Add every reference of the list at ``path`` as a hash-only reference, in one transaction.

    ``source`` is who shared the list (recorded with the list and named by every match on it). A reference's id
    is its id in the list when free here, else ``<source>/<id>`` (then ``-2``, ``-3``...). ``overrides`` (title,
    url, first_seen, id; for a plain vPDQ file, which carries none) apply when the list holds one reference.
    Returns the list, what was imported, and the id of an earlier import of the same bytes from the same source
    (then nothing is imported again).
    """
    from provenance.visual.index import normalise_date

    if not source or not source.strip() or _CONTROL.search(source):
        raise HashListError("--source names who shared the list: give it as text")
    hashes = read(path)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    if overrides and len(hashes.references) != 1:
        raise HashListError("--id, --title, --url and --first-seen apply to a list of one reference only")
    if "first_seen" in overrides:
        overrides["first_seen"] = normalise_date(overrides["first_seen"])
    if "id" in overrides and (problem := id_problem(overrides["id"])) is not None:
        raise HashListError(f"--id cannot be a reference id: {problem}")
    digest = sha256_file(path)  # streamed: a list may be hundreds of MB
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    done: list[Imported] = []
    with workspace.transaction(immediate=True) as conn:
        again = conn.execute("SELECT id FROM hash_list WHERE sha256 = ? AND source = ?", (digest, source)).fetchone()
        if again is not None:
            return hashes, [], int(again[0])
        cursor = conn.execute(
            "INSERT INTO hash_list (name, source, format, path, sha256, exported_at, exported_from, imported_at)"
            " VALUES (?,?,?,?,?,?,?,?)", (name or hashes.name, source.strip(), hashes.format,
                                         display_path(path.resolve()), digest, hashes.exported_at,
                                         hashes.exported_from, now))
        list_id = cursor.lastrowid
        for ref in hashes.references:
            meta = {"title": ref.title, "url": ref.url, "first_seen": ref.first_seen} | overrides
            ref_id = _free_id(conn, overrides.get("id") or ref.id, source)
            conn.execute(
                "INSERT INTO reference (id, title, source, url, first_seen, path, sha256, kind, duration_s,"
                " frames, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (ref_id, meta["title"] or ref.id, ref.source, meta["url"], meta["first_seen"],
                 f"{display_path(path.resolve())}#{ref.id}", "", ref.kind, ref.duration_s, len(ref.frames), now))
            conn.executemany("INSERT INTO frame (reference_id, t, pdq, quality, phash) VALUES (?,?,?,?,?)",
                             [(ref_id, t, pdq, quality, "") for _n, quality, pdq, t in ref.frames])
            conn.execute("INSERT INTO hash_list_reference (reference_id, list_id, listed_id, media_sha256)"
                         " VALUES (?,?,?,?)", (ref_id, list_id, ref.id, ref.sha256))
            done.append(Imported(ref_id, ref.id, len(ref.frames)))
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")
    return hashes, done, None


def _free_id(conn: Any, wanted: str, source: str) -> str:
    def free(candidate: str) -> bool:
        return conn.execute("SELECT 1 FROM reference WHERE id = ?", (candidate,)).fetchone() is None

    if free(wanted):
        return wanted
    base = as_id([source.strip(), wanted])
    candidate, n = base, 2
    while not free(candidate):
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# -- matches -------------------------------------------------------------------------------------------------

def origins(workspace: Workspace, ids: Iterable[str]) -> dict[str, HashListOrigin]:
    """The list each of these references was imported from (references of the desk's own files: absent)."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, HashListOrigin] = {}
    if not wanted:
        return found
    with workspace.reading() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = conn.execute(
                "SELECT r.reference_id, r.listed_id, l.name, l.source, l.format, l.imported_at, l.exported_at"
                " FROM hash_list_reference r JOIN hash_list l ON l.id = r.list_id"
                f" WHERE r.reference_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            for r in rows:
                found[r[0]] = HashListOrigin(name=r[2], source=r[3], format=r[4], listed_id=r[1], imported_at=r[5],
                                             exported_at=r[6])
    return found


def annotate(matches: list[Match], workspace: Workspace) -> None:
    """Name the hash list (and who shared it) on each match against an imported, hash-only reference."""
    found = origins(workspace, (m.reference_id for m in matches))
    for m in matches:
        m.hash_list = found.get(m.reference_id)
