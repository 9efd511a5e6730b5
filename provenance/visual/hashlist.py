"""Shareable known-footage lists: the index's frame hashes with their reference metadata, and no pixels.

Two desks can share "known footage" without sharing footage. ``index export`` writes every reference's PDQ frame
hashes in vPDQ's per-frame line format (ThreatExchange ``vpdq/cpp/vpdq/cpp/io/vpdqio.cpp``:
``frame_number,quality,pdq_hex,timestamp`` with the timestamp in seconds to three decimals, one line per frame, the
hex in ThreatExchange's bit order as ``signals.PDQ.pack`` writes it), each reference's block preceded by one comment
line of JSON metadata, the file by one header line::

    #provenance.hashlist/2 {"name": ..., "exported_at": ..., "exported_from": <workspace id>, "signal": "pdq",
                            "frame_line": "frame_number,quality,pdq_hex,timestamp", "references": N, "frames": M}
    #reference {"id", "title", "source", "url", "first_seen", "kind", "duration_s", "sha256", "frames",
                "shared_in": {"list", "source"} (a reference this desk imported from another's list)}
    0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000
    ...

The lines of one block, without the ``#`` lines, are a vPDQ hash file; ``frame_number`` is the frame's rank among
the reference's sampled frames (provenance samples by time, every ``reference_interval_s``, and keeps no decoder
frame numbers), ``timestamp`` is what matching reads. ``index import`` reads such a list, or a plain vPDQ file (the
output of vPDQ's hasher: one reference, named by the file or ``--id``). Bit order: ``/2`` lists and plain vPDQ files
are in ThreatExchange's order; ``/1`` lists, written before workspace migration 11, hold the hashes bit-reversed
(provenance's order then) and are read in that order, so they still match. Imported references hold hashes only:
keypoint matching (crops, insets, quarter turns that PDQ misses) cannot find them, the report says so, and no
reference pictures can be shown. A list is untrusted input: every line is checked and a bad one refuses the whole
list with its line number; nothing is imported half. The header's reference and frame counts are checked, so a list
cut at a block boundary is refused too. A listed reference whose frames are exactly those of a reference already
here (its own export imported back, a partner's copy of the same file) is linked to it (``same_as``), not indexed
twice: one match, not two.
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

FORMAT = "provenance.hashlist/2"  # 2: PDQ hex in ThreatExchange's bit order (signals.PdqSignal.pack)
OLD_FORMAT = "provenance.hashlist/1"  # PDQ hex bit-reversed (provenance before workspace migration 11)
FRAME_LINE = "frame_number,quality,pdq_hex,timestamp"
# A list holds ~75 bytes a frame: 512 MiB is ~7 million frames, about 1,000 hours of references at 0.5 s. Beyond
# it a list is refused before reading (each frame becomes a database row).
MAX_BYTES = 512 << 20
MAX_TIMESTAMP_S = 7 * 24 * 3600.0  # a frame time past a week is no video a desk indexes: a damaged line
_HEADER_MAX = 64 * 1024  # one metadata line (titles and URLs of one reference): JSON of at most this many bytes
_TEXT_MAX = 2000  # characters of a title, source or URL from a list
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # a JSON "\\ud800" escape parses to one; no UTF-8 can encode it
MAX_FRAME_NUMBER = int(MAX_TIMESTAMP_S * 1000)  # a decoder frame number within a week at 1,000 frames a second
# The oldest surviving motion picture (Roundhay Garden Scene, October 1888): a video reference first seen before
# it is a typo. Images keep the index's own floor (index.EARLIEST_FIRST_SEEN: the oldest surviving photograph).
EARLIEST_VIDEO = dt.date(1888, 10, 14)
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
    line: int = 0  # of its #reference line (1 for a plain vPDQ file), for messages
    frames: list[tuple[int, int, bytes, float]] = field(default_factory=list)  # frame_number, quality, pdq, t
    declared_frames: int | None = None  # the count its #reference line gives (checked against the lines)


@dataclass
class HashList:
    name: str
    format: str  # FORMAT, or "vpdq" for a plain vPDQ file
    references: list[ListedReference]
    exported_at: str | None = None
    exported_from: str | None = None
    reversed_bits: bool = False  # a /1 list: its hex was read bit-reversed, into ThreatExchange's order


@dataclass(frozen=True)
class Imported:
    """One reference an import added: its id here, its id in the list, its frame count, and the reference it was
    linked to (its frames are exactly that one's, already here: shared, not stored twice)."""

    id: str
    listed_id: str
    frames: int
    linked_to: str | None = None
    already: bool = False  # nothing added: ``linked_to`` holds the same frames and the same details already


# -- export --------------------------------------------------------------------------------------------------

def export(workspace: Workspace, name: str | None = None) -> tuple[str, int, int, str]:
    """The workspace's references as a hash list (text), with the counts of references and frames and the list's
    name (default: "known footage" with the workspace id's start and the date: no local path leaves the desk).

    A linked reference (byte-identical to another, ``same_as``) is written with the frames it shares, so each
    reference of the list stands on its own in the workspace that imports it. A reference imported from another
    desk's list keeps that list's name and sharer (``shared_in``) and the media SHA-256 it gave.
    """
    now = dt.datetime.now(dt.UTC)
    with workspace.reading() as conn:
        refs = conn.execute("SELECT * FROM reference ORDER BY id").fetchall()
        workspace_id = conn.execute("SELECT value FROM meta WHERE key = 'workspace_id'").fetchone()
        shared = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
            "SELECT r.reference_id, l.name, l.source, r.media_sha256 FROM hash_list_reference r"
            " JOIN hash_list l ON l.id = r.list_id")}
        blocks: list[str] = []
        total = 0
        for ref in refs:
            rows = conn.execute("SELECT t, pdq, quality FROM frame WHERE reference_id = ? ORDER BY t, rowid",
                                (ref["same_as"] or ref["id"],)).fetchall()
            listed = shared.get(ref["id"])
            meta = {"id": ref["id"], "title": ref["title"], "source": ref["source"], "url": ref["url"],
                    "first_seen": ref["first_seen"], "kind": ref["kind"], "duration_s": ref["duration_s"],
                    "sha256": ref["sha256"] or (listed[2] if listed else None), "frames": len(rows)}
            if listed:
                meta["shared_in"] = {"list": listed[0], "source": listed[1]}
            lines = [f"#reference {json.dumps(meta, ensure_ascii=False)}"]
            lines += [f"{n},{int(r['quality'])},{bytes(r['pdq']).hex()},{float(r['t']):.3f}"
                      for n, r in enumerate(rows)]
            blocks.append("\n".join(lines))
            total += len(rows)
    ident = workspace_id[0] if workspace_id else None
    name = name or f"known footage (workspace {(ident or 'unknown')[:8]}, {now:%Y-%m-%d})"
    header = {"name": name, "exported_at": now.isoformat(timespec="seconds"), "exported_from": ident,
              "signal": PDQ.name, "frame_line": FRAME_LINE, "references": len(refs), "frames": total}
    text = f"#{FORMAT} {json.dumps(header, ensure_ascii=False)}\n" + "".join(b + "\n" for b in blocks)
    return text, len(refs), total, name


def write_new(path: Path, text: str) -> None:
    """Write the export whole, never over an existing file (:func:`provenance.fileio.write_new`)."""
    if path.is_dir():
        raise HashListError(f"{display_path(path)} is a folder: give the list file's name")
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
    if _SURROGATE.search(value):
        raise _bad(path, line, f"{key!r} holds an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape): not text")
    return value.strip()[:_TEXT_MAX] or None


def _json_line(text: str, path: Path, line: int) -> dict[str, Any]:
    if len(text) > _HEADER_MAX:
        raise _bad(path, line, f"a metadata line over {_HEADER_MAX} bytes")

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    def once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            raise ValueError("a key is given twice in one object")
        return out

    try:
        data = json.loads(text, parse_constant=no_constant, object_pairs_hook=once)
    except (ValueError, RecursionError) as exc:
        raise _bad(path, line, f"metadata is not valid JSON ({str(exc)[:80]})") from exc
    if not isinstance(data, dict):
        raise _bad(path, line, "metadata is not a JSON object")
    return data


def _frame(text: str, path: Path, line: int, *, reverse: bool = False) -> tuple[int, int, bytes, float]:
    """One frame line; ``reverse``: its hex is in provenance's pre-migration-10 order (a /1 list)."""
    parts = text.split(",")
    if len(parts) != 4:
        raise _bad(path, line, f"not a vPDQ frame line ({FRAME_LINE}: four fields, {len(parts)} given)")
    try:
        number, quality, timestamp = int(parts[0]), int(parts[1]), float(parts[3])
    except ValueError as exc:
        raise _bad(path, line, f"not a vPDQ frame line ({FRAME_LINE})") from exc
    hexdigits = parts[2].strip().lower()
    if not _HEX.fullmatch(hexdigits):
        raise _bad(path, line, "the PDQ hash is not 64 hex digits")
    if not 0 <= number <= MAX_FRAME_NUMBER or not 0 <= quality <= 100:
        raise _bad(path, line, f"frame number outside 0-{MAX_FRAME_NUMBER} (a week at 1,000 frames a second) or "
                               "quality outside 0-100")
    if not math.isfinite(timestamp) or not 0 <= timestamp <= MAX_TIMESTAMP_S:
        raise _bad(path, line, f"timestamp {parts[3].strip()[:20]} is not a time in a video")
    pdq = bytes.fromhex(hexdigits)
    return number, quality, PDQ.reverse_bits(pdq) if reverse else pdq, timestamp


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
    reverse = False
    numbers: set[int] = set()  # frame numbers of the current reference: one line each
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise _bad(path, number, "not UTF-8 text") from exc
            if number == 1:
                text = text.removeprefix("\ufeff")  # a byte-order mark some editors write: not part of the line
            if not text.strip():
                continue
            if number == 1 and (text.startswith(f"#{FORMAT} ") or text.startswith(f"#{OLD_FORMAT} ")):
                version = FORMAT if text.startswith(f"#{FORMAT} ") else OLD_FORMAT
                header = _json_line(text[len(version) + 1:], path, number)
                reverse = version == OLD_FORMAT
            elif number == 1 and text.startswith("#provenance.hashlist/"):
                raise _bad(path, number, f"{text.split()[0][1:][:40]} is not a list version this provenance reads "
                                         f"({FORMAT} or {OLD_FORMAT})")
            elif text.startswith("#reference "):
                if header is None:
                    raise _bad(path, number, f"a #reference line without the #{FORMAT} header")
                current = _listed(_json_line(text[len("#reference "):], path, number), path, number)
                refs.append(current)
                numbers = set()
            elif text.startswith("#"):
                raise _bad(path, number, "an unknown # line")
            else:
                if current is None:
                    if header is not None:
                        raise _bad(path, number, "a frame line before any #reference line")
                    current = ListedReference(id=as_id([path.stem]), line=1)  # a plain vPDQ file: one reference
                    refs.append(current)
                    numbers = set()
                frame = _frame(text, path, number, reverse=reverse)
                if frame[0] in numbers:
                    raise _bad(path, number, f"frame number {frame[0]} is given twice for one reference")
                numbers.add(frame[0])
                current.frames.append(frame)
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
    for key, found in (("references", len(refs)), ("frames", sum(len(r.frames) for r in refs))):
        said = header.get(key)
        if isinstance(said, bool) or not isinstance(said, int) or said != found:
            raise _bad(path, None, f"the header gives {key} {str(said)[:20]} but {found} follow: the list is "
                                   "truncated or edited")
    name = _text(header, "name", path, 1) or display_path(path.name)
    if header.get("signal", PDQ.name) != PDQ.name:
        raise _bad(path, 1, f"signal {str(header.get('signal'))[:20]!r} is not pdq")
    return HashList(name=name, format=OLD_FORMAT if reverse else FORMAT, references=refs,
                    exported_at=_text(header, "exported_at", path, 1),
                    exported_from=_text(header, "exported_from", path, 1), reversed_bits=reverse)


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
    if kind == "video" and first_seen is not None and dt.date.fromisoformat(first_seen[:10]) < EARLIEST_VIDEO:
        raise _bad(path, line, f"first_seen {first_seen[:10]} is before the oldest surviving motion picture "
                               f"({EARLIEST_VIDEO.year}): a typo?")
    sha = _text(meta, "sha256", path, line)
    if sha is not None and not re.fullmatch("[0-9a-f]{64}", sha):
        raise _bad(path, line, "sha256 is not 64 hex digits")
    ref = ListedReference(id=ref_id if id_problem(ref_id) is None else as_id([ref_id]),
                          title=_text(meta, "title", path, line), source=_text(meta, "source", path, line), url=url,
                          first_seen=first_seen, kind=kind,
                          duration_s=float(duration) if duration is not None else None, sha256=sha,
                          declared_frames=declared, line=line)
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
            holder = _same_frames(conn, ref)
            if holder is not None and _same_details(conn, holder, ref.source, meta):
                done.append(Imported(holder, ref.id, len(ref.frames), holder, already=True))
                continue  # its own export imported back: the same reference, not a second one to match
            ref_id = _free_id(conn, overrides.get("id") or ref.id, source)
            conn.execute(
                "INSERT INTO reference (id, title, source, url, first_seen, path, sha256, kind, duration_s,"
                " frames, added_at, same_as) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (ref_id, meta["title"] or ref.id, ref.source, meta["url"], meta["first_seen"],
                 f"{display_path(path.resolve())}#{ref.id}", "", ref.kind, ref.duration_s, len(ref.frames), now,
                 holder))
            if holder is None:
                conn.executemany("INSERT INTO frame (reference_id, t, pdq, quality, phash) VALUES (?,?,?,?,?)",
                                 [(ref_id, t, pdq, quality, "") for _n, quality, pdq, t in ref.frames])
            conn.execute("INSERT INTO hash_list_reference (reference_id, list_id, listed_id, media_sha256)"
                         " VALUES (?,?,?,?)", (ref_id, list_id, ref.id, ref.sha256))
            done.append(Imported(ref_id, ref.id, len(ref.frames), holder))
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'index_generation'")
    return hashes, done, None


def _same_frames(conn: Any, ref: ListedReference) -> str | None:
    """A reference here (holding its own frames) whose frames are exactly the listed reference's (the same PDQ
    hashes at the same times, to the millisecond the list keeps), or None. Candidates: those of the media SHA-256
    the list gives, whether indexed from the file or imported from another list; then the frames decide, so a
    list that names a hash it was not made from links nothing."""
    if not ref.sha256 or not ref.frames:
        return None
    rows = conn.execute(
        "SELECT id FROM reference WHERE same_as IS NULL AND (sha256 = ? OR id IN (SELECT reference_id FROM"
        " hash_list_reference WHERE media_sha256 = ?)) ORDER BY added_at, rowid", (ref.sha256, ref.sha256)).fetchall()
    listed = [(round(t, 3), pdq) for _n, _q, pdq, t in ref.frames]
    for (candidate,) in rows:
        frames = conn.execute("SELECT t, pdq FROM frame WHERE reference_id = ? ORDER BY t, rowid",
                              (candidate,)).fetchall()
        if [(round(float(t), 3), bytes(pdq)) for t, pdq in frames] == listed:
            return str(candidate)
    return None


def _same_details(conn: Any, holder: str, source: str | None, meta: dict[str, str | None]) -> bool:
    """Whether reference ``holder`` has the listed title, source, url and first-seen date (nothing to add)."""
    row = conn.execute("SELECT title, source, url, first_seen FROM reference WHERE id = ?", (holder,)).fetchone()
    return row is not None and (row[0], row[1], row[2], row[3]) == (meta["title"], source, meta["url"],
                                                                      meta["first_seen"])


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
