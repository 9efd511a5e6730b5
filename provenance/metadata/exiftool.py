"""ExifTool, when it is installed: maker notes, IPTC, embedded telemetry and formats no other reader here knows.

Run as ``exiftool -j -G1 -a -n -ee`` (JSON, family-1 groups, duplicates kept, numbers unconverted, embedded
streams extracted) with a time limit. Its values only fill what the project's own readers left empty, and every
one keeps "ExifTool:" in its source, so a report says which tool read it. Everything works without it.

``PROVENANCE_EXIFTOOL`` chooses: unset uses ``exiftool`` from PATH; "0", "off", "no" or "false" disables it
(the report says "disabled"); any other value is the path of the executable to run.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import ctypes
import functools
import itertools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from provenance.limits import current_deadline

from .normalise import hemisphere_missing
from .reading import Reading, Tagged, text

ENV = "PROVENANCE_EXIFTOOL"
TIMEOUT_ENV = "PROVENANCE_EXIFTOOL_TIMEOUT"
TIMEOUT_S = 30.0  # per file; a pathological file (thousands of IFDs) is given up on, not waited for
_OFF = {"0", "off", "no", "false", "disabled"}
_ARGS = ("-j", "-G1", "-a", "-n", "-ee", "-api", "LargeFileSupport=1", "-charset", "filename=utf8")
_OUTPUT_MAX = 64 << 20
# Address space of the ExifTool child (RLIMIT_AS, bytes). Perl with ExifTool's modules maps ~40 MB and reads the
# shared corpus within ~80 MB; a PNG iTXt chunk of 828 KB that inflates to 800 MB of XMP took it to 2.3 GB
# (issue 14). Past this cap Perl stops with "Out of memory!" and the reading says so.
MEMORY_BYTES = 512 * 1024**2
_H264_MAKES = {"259": "Panasonic", "264": "Sony", "4113": "Canon", "4356": "JVC"}  # H264:Make with -n
# Tags by role, in preference order. Group "*" is any group; Composite comes last so real tags win.
_CAPTURE = ("DateTimeOriginal", "CreationDate", "DateTimeCreated", "DateCreated")
_CREATED = ("CreateDate", "MediaCreateDate", "TrackCreateDate", "ContentCreateDate")
_MODIFIED = ("ModifyDate", "MetadataDate", "FileModifyDate")
_WRITERS = ("Software", "CreatorTool", "Encoder", "HandlerDescription", "CompressorName", "HistorySoftwareAgent",
            "WritingApp", "MuxingApp", "ToolName", "EncodedBy")  # fmt: skip
_SKIP_GROUPS = ("System", "File", "ExifTool", "ICC-header", "ICC_Profile", "ICC-view", "ICC-meas")


def executable() -> str | None:
    """The ExifTool to run, or None when it is disabled or not installed."""
    choice = os.environ.get(ENV, "").strip()
    if choice.lower() in _OFF:
        return None
    if choice:
        return choice if Path(choice).is_file() else shutil.which(choice)
    return shutil.which("exiftool")


def status() -> str:
    """ "disabled", "absent", or "ok" — what the report's ``readers`` says about ExifTool."""
    if os.environ.get(ENV, "").strip().lower() in _OFF:
        return "disabled"
    return "ok" if executable() else "absent"


@functools.cache
def version(exe: str) -> str | None:
    try:
        done = subprocess.run([exe, "-ver"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("ascii", "replace").strip() or None


def read(path: Path, max_s: float | None = None) -> Reading:
    """ExifTool's view of the file as a reading; an empty reading when it is disabled or absent.

    ``max_s`` shortens the time-out for a caller that only needs a quick answer (ingest's metadata-only check).
    """
    out = Reading(name="exiftool")
    exe = executable()
    if exe is None:
        return out
    timeout = _timeout() if max_s is None else min(_timeout(), max_s)
    left = current_deadline().remaining()  # never past the metadata stage's budget
    if left is not None:
        timeout = max(0.5, min(timeout, left))
    try:
        with _from_pdf_header(path) as readable:
            output = _RUNNER.run(exe, readable, timeout)
    except TimeoutError:
        out.error = f"ExifTool gave no answer within {timeout:.0f} s"
        return out
    except OSError as exc:
        if str(exc) == "ExifTool exited":  # mid-file: Perl's "Out of memory!" at the cap is the one seen
            out.error = (f"ExifTool stopped while reading this file (it may use {MEMORY_BYTES >> 20} MiB of memory; "
                         "a block of this file inflates past that?)")
        else:
            out.error = f"ExifTool could not be run: {exc.strerror or exc}"
        return out
    try:
        data = json.loads(output[:_OUTPUT_MAX].decode("utf-8", "replace") or "[]")
    except json.JSONDecodeError:
        data = []
    if not data or not isinstance(data[0], dict):
        out.error = "ExifTool: no output for this file"
        return out
    tags = data[0]
    if problem := tags.get("ExifTool:Error"):
        out.error = f"ExifTool: {text(problem, 200)}"
    parse(tags, out)
    if version_text := version(exe):
        out.put("ExifTool", "ExifToolVersion", version_text)
    if warning := tags.get("ExifTool:Warning"):
        out.put("ExifTool", "Warning", warning)
        out.warning = text(warning, 200)
    return out


@contextlib.contextmanager
def _from_pdf_header(path: Path) -> Iterator[Path]:
    """``path``, or for a PDF with bytes before its "%PDF-" header (a BOM, NULs, a text line: ``sniff.
    pdf_prefix_tolerated``) a temporary copy from the header on. ExifTool looks for the header at byte 0 only and
    read such a PDF as "JPEG-like data after unknown 321-byte header": no dates, said as none (issue 14 round 6,
    D6). PDF readers take the header's position as offset 0 (Adobe's implementation note on 3.4.1), so the copy
    is the document they read."""
    import shutil
    import tempfile

    from provenance.sniff import HEAD_BYTES, PDF_HEADER_WINDOW, sniff

    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        head = b""
    at = head.find(b"%PDF-", 0, PDF_HEADER_WINDOW)
    if at <= 0 or sniff(head) != "pdf":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="provenance-pdf-") as tmp:
        copy = Path(tmp) / "document.pdf"
        with path.open("rb") as src, copy.open("wb") as dst:
            src.seek(at)
            shutil.copyfileobj(src, dst, 1 << 20)
        yield copy


# ExifTool's warnings that mean it read none of a PDF's metadata: ReadPDF's error returns (PDF.pm, %pdfWarning:
# the xref table or trailer not found or not read) and its decryption failures (DecryptInit: a password, an
# unsupported filter), after which it returns before the Info dictionary and XMP (ExifTool 12.57 source). A cut
# PDF, one with bytes after %%EOF, an encrypted one: their dates read as "none" with readers.exiftool "ok" and
# "absence is not evidence" (issue 14 round 5, N8). Other warnings ("[minor] ...", "IPTCDigest is not current")
# come with tags read: they are said beside "ok", never as unreadable.
_UNREADABLE = re.compile(
    r"^(Error (seeking in|reading) (file|xref table|trailer|main dictionary)|Invalid xref (table|offset|stream in "
    r"main dictionary)|Document is password protected|Encryption (filter|version) .* not supported|Unsupported "
    r".*encryption|Missing Encrypt|Invalid Encrypt|Invalid O or U Encrypt|Can't decrypt|Install Digest)")


def unreadable(warning: str | None) -> bool:
    """Whether ExifTool's ``warning`` says it could not read the file's metadata at all (``_UNREADABLE``)."""
    return bool(warning) and bool(_UNREADABLE.match(warning))


def _timeout() -> float:
    try:
        return max(1.0, float(os.environ.get(TIMEOUT_ENV, TIMEOUT_S)))
    except ValueError:
        return TIMEOUT_S


def _cap_memory() -> None:
    """In the child, before exec: cap its address space at ``MEMORY_BYTES`` (never above a limit already set)."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(MEMORY_BYTES, hard)
    if soft == resource.RLIM_INFINITY or want < soft:
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))


def _child_setup() -> None:
    """In the child, before exec: tied to the parent's thread, and capped in memory."""
    _cap_memory()
    die_with_parent()


def die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the thread that started us ends (the process dying included).

    A stay-open ExifTool ignores the end of its input, so without this it outlived a SIGKILLed batch.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


class _Runner:
    """One ExifTool kept running (``-stay_open``): Perl's start-up costs ~0.3 s, a file then costs ~20 ms.

    Requests are serialised by a lock; a request that times out kills that process and the next starts anew.
    Paths with a line break cannot go through the argument stream and run in a process of their own. On Linux
    the process is tied to ours (parent-death signal), and started from one long-lived thread, because that
    signal fires when the *thread* that started it ends, and stages run in short-lived threads.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.exe: str | None = None
        self.counter = itertools.count(1)
        self._spawner: concurrent.futures.ThreadPoolExecutor | None = None
        atexit.register(self.close)

    def _start(self, exe: str) -> subprocess.Popen[bytes]:
        args = [exe, "-stay_open", "True", "-@", "-"]
        kwargs: dict[str, Any] = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.DEVNULL}
        if not sys.platform.startswith("linux"):
            return subprocess.Popen(args, preexec_fn=_cap_memory if os.name == "posix" else None, **kwargs)
        if self._spawner is None:
            self._spawner = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="provenance-exiftool")
        return self._spawner.submit(subprocess.Popen, args, preexec_fn=_child_setup, **kwargs).result()

    def run(self, exe: str, path: Path, timeout: float) -> bytes:
        name = str(path.resolve())  # absolute, so never read as an option (no "--": it would eat -execute)
        if "\n" in name or "\r" in name:
            return self.once(exe, name, timeout)
        with self.lock:
            if self.proc is None or self.proc.poll() is not None or self.exe != exe:
                self.close()
                self.proc = self._start(exe)
                self.exe = exe
            number = next(self.counter)
            # the name as the file system's bytes: names that are not UTF-8 reach ExifTool unchanged
            request = b"\n".join([*(a.encode() for a in _ARGS), os.fsencode(name), f"-execute{number}".encode(), b""])
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write(request)
                self.proc.stdin.flush()
                return self._answer(number, timeout)
            except (TimeoutError, OSError):
                self.kill()  # it is busy (or gone): asking it to stop would only wait
                raise

    def _answer(self, number: int, timeout: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        marker = f"{{ready{number}}}".encode()
        fd = self.proc.stdout.fileno()
        buffer = bytearray()
        deadline = time.monotonic() + timeout
        while marker not in buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise OSError("ExifTool exited")
            buffer += chunk
            if len(buffer) > _OUTPUT_MAX:
                raise OSError("ExifTool output too large")
        return bytes(buffer[: buffer.index(marker)])

    def once(self, exe: str, name: str, timeout: float) -> bytes:
        try:
            done = subprocess.run(
                [exe, *_ARGS, "--", name], capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL,
                preexec_fn=_cap_memory if os.name == "posix" else None,
            )
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError from exc
        return done.stdout

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.write(b"-stay_open\nFalse\n")
                proc.stdin.flush()
                proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()


_RUNNER = _Runner()


def parse(tags: dict[str, Any], out: Reading) -> None:
    """Sort ExifTool's "Group:Tag" JSON into the reading's roles (values as text, numbers as ExifTool gave)."""
    by_name: dict[str, list[tuple[str, str]]] = {}
    for key, value in tags.items():
        group, _, name = key.partition(":")
        if not name or group in _SKIP_GROUPS or isinstance(value, dict):
            continue
        shown = text(", ".join(map(str, value)) if isinstance(value, list) else value)
        if not shown or shown.startswith("(Binary data"):
            continue
        out.put(f"ExifTool:{group}", name, shown)
        by_name.setdefault(name, []).append((group, shown))

    def ordered(name: str) -> list[tuple[str, str]]:
        entries = by_name.get(name, [])
        return [e for e in entries if e[0] != "Composite"] + [e for e in entries if e[0] == "Composite"]

    for names, bucket in ((_CAPTURE, out.capture), (_CREATED, out.created), (_MODIFIED, out.modified)):
        for name in names:
            for group, value in ordered(name):
                offset = _offset_for(by_name, group, name)
                bucket.append(Tagged(f"ExifTool:{group}:{name}", value, offset=offset, utc=_nominal_utc(group)))
    for name, bucket in (("Make", out.make), ("Model", out.model), ("Software", out.software)):
        for group, value in ordered(name):
            if name == "Make" and group == "H264":
                value = _H264_MAKES.get(value, value)
            bucket.append(Tagged(f"ExifTool:{group}:{name}", value))
    for name in ("AndroidMake", "AndroidModel"):
        for group, value in ordered(name):
            (out.make if name == "AndroidMake" else out.model).append(Tagged(f"ExifTool:{group}:{name}", value))
    for name in _WRITERS:
        for group, value in by_name.get(name, []):
            out.writers.append(Tagged(f"ExifTool:{group}:{name}", value))
    out.handlers += [value for _group, value in by_name.get("HandlerDescription", [])]
    _gps(by_name, out)
    for group, value in by_name.get("Rotation", []):
        if out.rotation is None and value.lstrip("-").isdigit() and group in ("Composite", "QuickTime"):
            out.rotation = int(value) % 360
    for _group, value in by_name.get("MajorBrand", []) + by_name.get("CompatibleBrands", []):
        out.brands += [b for b in value.replace(",", " ").split() if b not in out.brands]


def _gps(by_name: dict[str, list[tuple[str, str]]], out: Reading) -> None:
    """Composite GPS first (signed), then any group with both coordinates (signed by its refs)."""
    lats, lons = dict(by_name.get("GPSLatitude", [])), dict(by_name.get("GPSLongitude", []))
    alts = dict(by_name.get("GPSAltitude", []))
    groups = (["Composite"] if "Composite" in lats else []) + [g for g in lats if g != "Composite"]
    for group in groups:
        if group not in lons:
            continue
        try:
            lat, lon = float(lats[group]), float(lons[group])
        except ValueError:
            out.gps.append((f"ExifTool:{group}:GPSLatitude", f"unreadable: {lats[group][:40]!r}"))
            continue
        refs = {n: dict(by_name.get(n, [])).get(group, "") for n in ("GPSLatitudeRef", "GPSLongitudeRef")}
        if group != "Composite":  # ExifTool writes a Composite position only when both references are there
            if reason := hemisphere_missing(lat, lon, refs["GPSLatitudeRef"], refs["GPSLongitudeRef"]):
                out.gps.append((f"ExifTool:{group}:GPSLatitude", reason))
                continue
            lat = -abs(lat) if refs["GPSLatitudeRef"].upper().startswith("S") else lat
            lon = -abs(lon) if refs["GPSLongitudeRef"].upper().startswith("W") else lon
        try:
            alt = float(alts[group]) if group in alts else None
        except ValueError:
            alt = None
        out.gps.append((f"ExifTool:{group}:GPSLatitude", (lat, lon, alt)))


def _offset_for(by_name: dict[str, list[tuple[str, str]]], group: str, name: str) -> str | None:
    """EXIF keeps the offset of DateTimeOriginal/CreateDate/ModifyDate in its own OffsetTime* tags."""
    partner = {"DateTimeOriginal": "OffsetTimeOriginal", "CreateDate": "OffsetTimeDigitized",
               "ModifyDate": "OffsetTime"}.get(name)  # fmt: skip
    if partner is None or group not in ("ExifIFD", "IFD0"):
        return None
    return next((v for g, v in by_name.get(partner, []) if g == "ExifIFD"), None)


def _nominal_utc(group: str) -> bool:
    return group == "QuickTime" or group.startswith("Track")
