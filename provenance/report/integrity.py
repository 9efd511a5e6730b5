"""Tamper evidence for written reports: a digest over canonical JSON, Ed25519 signatures, and the checks.

A report travels between desks; the reader must be able to tell that nobody changed it and that it still
describes the media file beside it. The digest covers every field except ``integrity`` itself, serialised
canonically (keys sorted, no whitespace, UTF-8, Python's shortest round-trip floats), so it names the content
whatever the layout; ``check`` also compares the file's bytes with the writer's layout, so any edit shows. A
digest alone only catches accidental change (anyone can recompute it); a signature by a key the reader knows
is what shows a deliberate edit. The signature covers the same canonical form of everything but itself, the
integrity record included (digest, key, time). The signing key lives in the workspace, created on first use,
readable by its owner only.

Since the digest algorithm is public, a signature only means "provenance produced this" when it is made as the
report is written (``signed_when: "written"``). ``report sign`` on an existing file can only vouch for what the
file holds when it is signed, so it first checks the digest and the structure, refuses a report that fails, and
records ``signed_when: "later"``; ``check`` says so and cannot call such a report produced by this tool. Every
reader of a report (claims, batch resume) goes through :func:`read_verified` and refuses one that fails.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from provenance.errors import ProvenanceError
from provenance.fileio import atomic_write, sha256_file
from provenance.report.model import SCHEMA, Integrity, Report

CANONICALISATION = "json-sorted-compact-utf8/1"
ALGORITHM = "sha256"
KEY_FILE = "report-signing-key.pem"  # in the workspace root, mode 0600
REPORT_FILE = "report.json"
# Every version from this one on writes ``integrity``: a report naming such a version without it was edited.
INTEGRITY_SINCE = (0, 1, 0)
# Every version from this one on lists report.html and report.md in ``integrity.files``: a report naming such a
# version with fewer was edited (the manifest came in 0.2.x; "0.0.0+source", a source tree without installation,
# counts as current). A listed fingerprint.npz is checked like them.
FILES_SINCE = (0, 3, 0)
PAGE_FILES = ("report.html", "report.md")
FINGERPRINT_FILE = "fingerprint.npz"  # visual.store.FINGERPRINT_FILE (not imported: that module loads NumPy)
# The largest report.json read: a report of the longest clip the limits allow (900 sampled frames at ~150 bytes,
# an hour of transcript at ~100 kB) is well under 1 MB; 64 MiB leaves room and keeps a hostile file from
# exhausting memory.
REPORT_MAX_BYTES = 64 << 20
SignedWhen = Literal["written", "later"]
_INTEGRITY_FIELDS = {f.name for f in fields(Integrity)}


class IntegrityError(ProvenanceError):
    """A report or key cannot be read or written; the message is one line for the user."""


# -- serialisation -------------------------------------------------------------------------------------------


def dumps(data: dict[str, Any]) -> str:
    """The report file's exact layout: the writer and ``report sign`` both use it, ``check`` compares to it."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical_bytes(data: dict[str, Any]) -> bytes:
    """What the digest covers: everything but ``integrity``, in one canonical form."""
    return _canonical({k: v for k, v in data.items() if k != "integrity"})


def signed_bytes(data: dict[str, Any]) -> bytes:
    """What the signature covers: everything but the signature itself (so digest, key and time are signed too)."""
    record = data.get("integrity") if isinstance(data.get("integrity"), dict) else {}
    return _canonical({**data, "integrity": {k: v for k, v in record.items() if k != "signature"}})


def digest_of(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def file_digests(contents: dict[str, str | bytes]) -> dict[str, str]:
    """The folder manifest: SHA-256 of each file's bytes as written (text as UTF-8)."""
    return {name: hashlib.sha256(c.encode() if isinstance(c, str) else c).hexdigest() for name, c in contents.items()}


def seal(report: Report) -> Integrity:
    """Record the report's digest in ``report.integrity``; an earlier signature stays only if the content did."""
    data = json.loads(json.dumps(report.to_dict()))  # exactly what a reader of the file will parse
    digest = digest_of(data)
    old = report.integrity
    if old is not None and old.digest == digest and old.signature:
        return old
    report.integrity = Integrity(algorithm=ALGORITHM, canonicalisation=CANONICALISATION, digest=digest)
    return report.integrity


# -- keys ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    raw: bytes  # 32 bytes

    @property
    def b64(self) -> str:
        return base64.b64encode(self.raw).decode()

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()[:16]

    @classmethod
    def from_argument(cls, value: str) -> PublicKey:
        """A key given by the user: as ``report key`` prints it, PEM, or a file holding either."""
        path = Path(value.strip())
        if len(value) < 4096 and path.is_file():
            value = path.read_text(errors="replace")
        return cls.parse(value)

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """Base64 of the raw 32 bytes (as ``report key`` prints it and reports record it), or a PEM public key."""
        text = text.strip()
        try:
            if text.startswith("-----BEGIN"):
                key = serialization.load_pem_public_key(text.encode())
                if not isinstance(key, Ed25519PublicKey):
                    raise ValueError("not an Ed25519 key")
                raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            else:
                raw = base64.b64decode(text, validate=True)
        except ValueError as exc:
            raise IntegrityError(f"not an Ed25519 public key (base64 of 32 bytes or PEM): {exc}") from exc
        if len(raw) != 32:
            raise IntegrityError(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}")
        return cls(raw)


def key_path(workspace_root: Path) -> Path:
    return Path(workspace_root) / KEY_FILE


def load_key(workspace_root: Path, *, create: bool) -> Ed25519PrivateKey | None:
    """The workspace's signing key; created (0600, atomically) when ``create`` and absent, else None."""
    path = key_path(workspace_root)
    if not path.exists():
        if not create:
            return None
        _create_key(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise IntegrityError(f"cannot read the signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise IntegrityError(f"{path} is not an Ed25519 private key")
    return key


SIGN_ENV = "PROVENANCE_SIGN_REPORTS"


def write_key(workspace_root: Path, sign: bool | None = None) -> Ed25519PrivateKey | None:
    """The key to sign reports with as they are written: when ``sign`` (default: ``$PROVENANCE_SIGN_REPORTS``).

    Signing at write needs a key made beforehand (``provenance report key``), so that a typo in a workspace
    path never signs with a fresh key nobody knows; asked to sign without one, ``IntegrityError``.
    """
    if sign is None:
        sign = os.environ.get(SIGN_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    if not sign:
        return None
    key = load_key(workspace_root, create=False)
    if key is None:
        raise IntegrityError(f"no signing key in {workspace_root}: create it with `provenance report key` first")
    return key


def key_is_private(workspace_root: Path) -> bool:
    """False when the key file can be read by group or others (someone could sign as this desk)."""
    return not (key_path(workspace_root).stat().st_mode & 0o077)


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile: theirs wins
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def public_key_of(key: Ed25519PrivateKey) -> PublicKey:
    return PublicKey(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


# -- reading report files ------------------------------------------------------------------------------------


class NotAFileError(IntegrityError):
    """A path in a report folder is not a regular file (a FIFO, a device, a symbolic link, a folder): provenance
    writes only regular files, and opening anything else could hang a reader or feed it endless bytes."""


def open_regular(path: Path) -> int:
    """A read-only descriptor of the regular file at ``path``; :class:`NotAFileError` for anything else.

    The last component is never followed when it is a symbolic link (``O_NOFOLLOW``) and the open never waits for
    a FIFO's writer (``O_NONBLOCK``, which changes nothing for a regular file); the type is checked on the open
    descriptor, so nothing can be swapped in between. ``FileNotFoundError`` passes through.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if os.path.islink(path):
            raise NotAFileError(f"{path} is a symbolic link, not a file provenance wrote") from exc
        raise IntegrityError(f"cannot read {path}: {exc.strerror or exc}") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a folder" if stat.S_ISDIR(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
        raise NotAFileError(f"{path} is {kind}, not a regular file provenance wrote")
    return fd


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path`` (see :func:`open_regular`), refused over ``max_bytes``."""
    with os.fdopen(open_regular(path), "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise NotAFileError(f"{path} is over {max_bytes >> 20} MiB, larger than any report provenance writes")
    return data


def sha256_regular(path: Path) -> str:
    """Streaming SHA-256 of the regular file at ``path`` (see :func:`open_regular`)."""
    digest = hashlib.sha256()
    with os.fdopen(open_regular(path), "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()



# A report folder's "latest" name on a file system without symbolic links: a file holding this line and then
# ``<stem>-<sha12>.runs/<run>`` (report.writer writes it; every reader follows it through report_file).
POINTER_MAGIC = "provenance-report-link/1"
RUNS_SUFFIX = ".runs"  # <report folder>.runs/ holds every run of a report; the folder links to the latest
_POINTER_MAX_BYTES = 4096


def follow_pointer(path: Path) -> Path | None:
    """The run folder a pointer file names, or None when ``path`` is not one. Only ``<its name>.runs/<run>``
    beside it is followed: a pointer cannot send a reader anywhere else."""
    try:
        if not path.is_file() or path.stat().st_size > _POINTER_MAX_BYTES:
            return None
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) != 2 or lines[0] != POINTER_MAGIC:
        return None
    runs, _, run = lines[1].partition("/")
    if runs != path.name + RUNS_SUFFIX or not run or "/" in run or "\\" in run or run.startswith("."):
        return None
    return path.parent / runs / run


# A report folder's name, ``<stem>-<sha256[:12]>`` (report.writer.report_dir_name), and its runs folder.
_FOLDER_NAME = re.compile(r".-([0-9a-f]{12})$")
_RUNS_NAME = re.compile(r".-([0-9a-f]{12})\.runs$")


def _check_link(path: Path) -> None:
    """A symbolic link named like a report folder (``<stem>-<sha12>``) is the writer's latest-run link: it may
    name only ``<its name>.runs/<run>`` beside it, neither of them a link, or a reader would take another report
    (or anything at all) for this one. ``NotAFileError`` otherwise."""
    if not path.is_symlink() or not _FOLDER_NAME.search(path.name):
        return
    target = os.readlink(path)
    runs, _, run = target.partition("/")
    if (runs != path.name + RUNS_SUFFIX or not run or "/" in run or "\\" in run or run.startswith(".")
            or (path.parent / runs).is_symlink() or (path.parent / runs / run).is_symlink()):
        raise NotAFileError(f"{path} is a link to {target}, not to a run in its own {path.name}.runs/ beside it: "
                            "not a report folder provenance wrote")


def report_file(path: str | Path) -> Path:
    """``REPORT`` may name the report.json, the report folder, or its latest-run link or pointer file (a link only
    into its own ``.runs`` folder: :class:`NotAFileError` otherwise)."""
    path = Path(path)
    _check_link(path)
    if path.name == REPORT_FILE:  # ``<stem>-<sha12>/report.json``: the folder is a link to check the same way
        _check_link(path.parent)
    if path.is_dir():
        return path / REPORT_FILE
    target = follow_pointer(path)
    return target / REPORT_FILE if target is not None else path


def _load(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and data. Bad UTF-8 or JSON raise ValueError: a damaged file fails, it is not unchecked."""
    try:
        raw = read_regular(path, REPORT_MAX_BYTES)
    except FileNotFoundError as exc:
        raise IntegrityError(f"no report at {path}") from exc
    text = raw.decode("utf-8")
    try:
        data = json.loads(text)
    except RecursionError as exc:  # a hostile nesting depth is a damaged file, not a crash
        raise ValueError("nested too deeply") from exc
    if not isinstance(data, dict) or not {"schema", "media", "integrity"} & data.keys():
        raise IntegrityError(f"{path}: not a provenance report (no schema, media or integrity field)")
    return text, data


# -- sign ----------------------------------------------------------------------------------------------------


@dataclass
class SignResult:
    path: Path
    ok: bool
    message: str
    key_id: str | None = None


def sign_data(data: dict[str, Any], key: Ed25519PrivateKey, when: SignedWhen) -> dict[str, Any]:
    """Record a fresh digest and an Ed25519 signature in ``data["integrity"]`` (in place) and return it."""
    public = public_key_of(key)
    files = (data.get("integrity") or {}).get("files") if isinstance(data.get("integrity"), dict) else None
    data["integrity"] = {
        "algorithm": ALGORITHM,
        "canonicalisation": CANONICALISATION,
        "digest": digest_of(data),
        "signature": None,
        "public_key": public.b64,
        "key_id": public.key_id,
        "signed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "signed_when": when,
        "files": files,
    }
    data["integrity"]["signature"] = base64.b64encode(key.sign(signed_bytes(data))).decode()
    return data


def sign_file(path: str | Path, workspace_root: Path) -> SignResult:
    """Sign a written report in place, as a later signature; refuses one whose digest or structure fails.

    The digest is public, so anyone can edit a report and recompute it: a later signature vouches for the
    content as it is now, and says so (``signed_when: "later"``), never that provenance produced it.
    """
    try:
        path = report_file(path)
    except NotAFileError as exc:
        return SignResult(Path(path), False, f"refusing to sign: {exc}")
    result = CheckResult(path)
    try:
        text, data = _load(path)
    except ValueError as exc:
        return SignResult(path, False, f"refusing to sign: {path} is not valid JSON ({exc})")
    except IntegrityError as exc:
        return SignResult(path, False, f"refusing to sign: {exc}")
    _check_digest(result, text, data)
    _check_structure(result, data)
    _check_files(result, path, data)
    _check_signature(result, data, workspace_root, None, False)
    _check_folder(result, path, data)
    _check_media(result, path, data, None)  # a report beside another file than the one it describes: not signed
    bad = [line for line in result.lines if line.state == "fail" or (line.state == "cannot" and line.name == "digest")]
    if bad:
        return SignResult(path, False, f"refusing to sign: {bad[0].name}: {bad[0].message}")
    integrity = data.get("integrity") or {}
    if integrity.get("signature"):  # replacing it would erase the proof of who wrote the report
        key_id, when = integrity.get("key_id") or "unknown", integrity.get("signed_when") or "when unknown"
        return SignResult(path, False, f"refusing to sign: {path} is already signed (key {key_id}, {when}); "
                                       "a signature is never replaced")
    key = load_key(workspace_root, create=True)
    assert key is not None
    public = public_key_of(key)
    atomic_write(path, dumps(sign_data(data, key, "later")))
    return SignResult(path, True, f"signed {path} with key {public.key_id} (a later signature: it vouches for the "
                                  "content as it is now, not that provenance wrote it)", public.key_id)


def read_verified(path: str | Path, workspace_root: Path | None = None, *,
                  signed_by: PublicKey | None = None) -> dict[str, Any]:
    """A report's data, only when its digest, file layout, structure and any signature hold.

    Every reader that acts on a report (claims, batch resume) uses this: an edited report is refused with its
    path and the reason (``IntegrityError``), never trusted. The media file is not needed. With ``signed_by``
    the report must also have been signed by that key as it was written (a desk that signs every report
    reuses only its own).
    """
    path = report_file(path)
    result = CheckResult(path)
    try:
        text, data = _load(path)
    except ValueError as exc:
        raise IntegrityError(f"{path}: not valid UTF-8 JSON ({exc})") from exc
    _check_digest(result, text, data)
    _check_structure(result, data)
    _check_files(result, path, data)
    _check_signature(result, data, workspace_root, signed_by, signed_by is not None)
    _check_folder(result, path, data)
    for line in result.lines:
        if (line.state == "fail" or (line.state == "cannot" and line.name == "digest")
                or (signed_by is not None and line.name == "origin" and line.state != "pass")):
            raise IntegrityError(f"{path}: {line.name}: {line.message}")
    return data


@dataclass(frozen=True)
class Origin:
    """Who vouches for a report that passed :func:`read_verified`: said to the user when it is used as evidence."""

    by_workspace: bool  # signed as written by this workspace's key: "signed by this workspace"
    text: str


def origin_of(data: dict[str, Any], workspace_root: Path | None) -> Origin:
    """Whether ``data`` (a verified report) was signed as written by the key in ``workspace_root``, in words."""
    result = CheckResult(Path(REPORT_FILE))
    _check_signature(result, data, workspace_root, None, False)
    signature, origin = result.line("signature"), result.line("origin")
    if signature is not None and signature.state == "pass" and origin is not None and origin.state == "pass":
        key_id = (data.get("integrity") or {}).get("key_id")
        return Origin(True, f"signed by this workspace as written, key {key_id}")
    if result.unsigned:
        return Origin(False, "unsigned: origin unknown")
    worst = next((line for line in result.lines if line.state != "pass"), None)
    return Origin(False, worst.message if worst is not None else "origin unknown")


# -- check ---------------------------------------------------------------------------------------------------

State = Literal["pass", "fail", "skip", "cannot"]
# The origin line of an unsigned report: its digest can be right and still say nothing about who wrote it.
UNSIGNED = ("digest ok, unsigned: origin unknown (anyone can edit a report and recompute its digest; only a report "
            "signed as it is written, `verify --sign`, shows that provenance produced it)")
# The same, for an unsigned report whose digest or layout did not hold: saying "digest ok" there would contradict it.
UNSIGNED_UNCHECKED = "unsigned: origin unknown"
# Why an unsigned report that passed its check is no evidence of who wrote it, where such reports are used or
# counted (batch's reused reports, search's hits)
UNSIGNED_WHY = "origin unknown: an edit with its digest recomputed would pass"


@dataclass
class CheckLine:
    name: str  # report | digest | file | files | structure | signature | origin | folder | media
    state: State
    message: str


@dataclass
class CheckResult:
    path: Path
    lines: list[CheckLine] = field(default_factory=list)

    @property
    def unsigned(self) -> bool:
        """Nothing vouches for who wrote the report (its origin line is :data:`UNSIGNED`)."""
        return any(line.name == "origin" and line.message in (UNSIGNED, UNSIGNED_UNCHECKED) for line in self.lines)

    def line(self, name: str) -> CheckLine | None:
        return next((line for line in self.lines if line.name == name), None)

    @property
    def exit_code(self) -> int:
        """0 every check passed; 1 some check failed; 2 nothing failed but something could not be checked (an
        unsigned report's origin included: its digest can be recomputed by anyone)."""
        states = {line.state for line in self.lines}
        return 1 if "fail" in states else 2 if "cannot" in states else 0

    def add(self, name: str, state: State, message: str) -> None:
        self.lines.append(CheckLine(name, state, message))


def check_file(
    path: str | Path,
    *,
    workspace_root: Path | None = None,
    media: str | Path | None = None,
    trusted_key: PublicKey | None = None,
    require_signature: bool = False,
) -> CheckResult:
    """Check a report's digest, layout, signature and media file; never writes anything (nor creates a key)."""
    result = CheckResult(Path(path))
    try:
        path = result.path = report_file(path)
        text, data = _load(path)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
        result.add("report", "fail", f"not valid UTF-8 JSON: the file was damaged or edited ({exc})")
        return result
    except NotAFileError as exc:
        result.add("report", "fail", str(exc))
        return result
    except IntegrityError as exc:
        result.add("report", "cannot", str(exc))
        return result
    _check_digest(result, text, data)
    _check_structure(result, data)
    _check_files(result, path, data)
    _check_signature(result, data, workspace_root, trusted_key, require_signature)
    _check_folder(result, path, data)
    _check_media(result, path, data, media)
    return result


def _folder_sha12(report_path: Path) -> tuple[str, str] | None:
    """The folder a report.json was reached through and the SHA-256 prefix its name gives (``<stem>-<sha12>``
    itself, or a run in ``<stem>-<sha12>.runs/``); None for a folder not named by the writer."""
    parent = report_path.parent
    if found := _FOLDER_NAME.search(parent.name):
        return parent.name, found.group(1)
    if found := _RUNS_NAME.search(parent.parent.name):
        return parent.parent.name, found.group(1)
    return None


def _check_folder(result: CheckResult, report_path: Path, data: dict[str, Any]) -> None:
    """A report folder is named by its media's SHA-256: one holding another media's report was moved or linked."""
    named = _folder_sha12(report_path)
    media = data.get("media") if isinstance(data.get("media"), dict) else {}
    sha = str(media.get("sha256") or "")
    if named is not None and sha and not sha.startswith(named[1]):
        result.add("folder", "fail", f"the folder {named[0]} is named for media {named[1]}…, but the report "
                                     f"describes media {sha[:12]}…: another report put in its place")


def _version_tuple(text: object) -> tuple[int, ...] | None:
    """``0.1.0`` and ``0.2.0rc1+local`` as leading integers; None when it names no version."""
    parts = []
    for piece in str(text or "").split("+")[0].split("."):
        digits = "".join(itertools.takewhile(str.isdigit, piece))
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) or None


def _check_structure(result: CheckResult, data: dict[str, Any]) -> None:
    """The content must read as a report: a digest can be recomputed over anything."""
    try:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"schema {data.get('schema')!r}, not {SCHEMA!r}")
        if not isinstance(data.get("media"), dict) or not isinstance(data.get("tool"), dict):
            raise ValueError("no media or tool section")
        Report.from_dict(data)
    except RecursionError:
        result.add("structure", "fail", "not a provenance report: nested too deeply")
    except Exception as exc:  # whatever a malformed section makes the model raise: the file is not a report
        text = " ".join(str(exc).split())[:200] or type(exc).__name__
        result.add("structure", "fail", f"not a provenance report: {text}")


def _check_digest(result: CheckResult, text: str, data: dict[str, Any]) -> None:
    integrity = data.get("integrity")
    if integrity is None:
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        version = _version_tuple(tool.get("version"))
        if version is not None and version < INTEGRITY_SINCE:
            result.add("digest", "cannot", f"the report records no digest of itself (written by provenance "
                                           f"{tool.get('version')}, before reports carried one)")
        else:  # a report that names no version, or one that always writes the record: it was removed
            result.add("digest", "fail", f"no integrity record, but provenance {tool.get('version') or ''} writes "
                                         "one in every report: removed from the file".replace("  ", " "))
        return
    if (not isinstance(integrity, dict) or not isinstance(integrity.get("digest"), str)
            or integrity.keys() - _INTEGRITY_FIELDS):
        result.add("digest", "fail", "the integrity record is malformed (fields missing or unknown): edited")
        return
    if integrity.get("algorithm") != ALGORITHM or integrity.get("canonicalisation") != CANONICALISATION:
        result.add("digest", "cannot", f"unknown digest method {integrity.get('algorithm')!r} / "
                                       f"{integrity.get('canonicalisation')!r} (written by a newer version?)")
        return
    digest = digest_of(data)
    if digest != integrity["digest"]:
        result.add("digest", "fail", f"content changed since it was written: its SHA-256 is {digest[:16]}…, "
                                     f"the report records {str(integrity['digest'])[:16]}…")
        return
    result.add("digest", "pass", f"content matches its recorded SHA-256 {digest[:16]}…")
    if text != dumps(data):
        result.add("file", "fail", "the content matches, but the file's bytes differ from what provenance wrote "
                                   "(whitespace or escaping edited)")
    else:
        result.add("file", "pass", "bytes are exactly as provenance wrote them")


def _check_signature(
    result: CheckResult, data: dict[str, Any], workspace_root: Path | None, trusted: PublicKey | None,
    required: bool,
) -> None:
    integrity = data.get("integrity") if isinstance(data.get("integrity"), dict) else {}
    signature, key_text = integrity.get("signature"), integrity.get("public_key")
    if not signature and any(integrity.get(k) for k in ("public_key", "key_id", "signed_at", "signed_when")):
        result.add("signature", "fail", "the record names a signer but holds no signature: the signature was removed")
        return
    if not signature:
        if required or trusted:
            result.add("signature", "fail", "not signed, and a signature was asked for: anyone can edit an unsigned "
                                            "report and recompute its digest")
            return
        result.add("signature", "skip", "not signed: the digest alone catches accidental change, not a deliberate "
                                        "edit")
        digest = result.line("digest")
        result.add("origin", "cannot", UNSIGNED if digest is None or digest.state == "pass" else UNSIGNED_UNCHECKED)
        return
    try:
        public = PublicKey.parse(str(key_text or ""))
        raw_signature = base64.b64decode(str(signature), validate=True)
        if public.b64 != key_text or base64.b64encode(raw_signature).decode() != signature:
            raise ValueError("not canonical base64")  # spare bits set: the text was edited, the bytes were not
        if integrity.get("key_id") != public.key_id:
            raise ValueError("key_id does not name the public key")
        Ed25519PublicKey.from_public_bytes(public.raw).verify(raw_signature, signed_bytes(data))
    except (IntegrityError, ValueError, InvalidSignature):
        result.add("signature", "fail", "the signature does not verify over this content: changed after signing, "
                                        "or signed over other content")
        return
    if trusted is not None:
        if public.raw == trusted.raw:
            result.add("signature", "pass", f"valid Ed25519 signature by the key you named ({public.key_id})")
            _check_origin(result, integrity, required)
        else:
            result.add("signature", "fail", f"valid signature, but by key {public.key_id}, not the key you named "
                                            f"({trusted.key_id})")
        return
    own = load_key(workspace_root, create=False) if workspace_root is not None else None
    if own is not None and public_key_of(own).raw == public.raw:
        result.add("signature", "pass", f"valid Ed25519 signature by this workspace's key ({public.key_id})")
        _check_origin(result, integrity, required)
        return
    unknown = (f"valid signature by key {public.key_id}, which is not this workspace's key: anyone can sign with a "
               "key of their own; pass --public-key with the signer's key to check who signed")
    if required:  # --require-signature asks for a signature that vouches: an unknown key's does not (claim attach
        result.add("signature", "fail", unknown)  # --require-signature refuses the same report)
        return
    result.add("signature", "cannot", unknown)
    # the origin a signature records is only as good as the key: an unknown key vouches for nothing
    result.add("origin", "cannot", "the record says it was signed as provenance wrote it, by a key not known here: "
                                   "who produced it cannot be told")


def required_files(data: dict[str, Any]) -> set[str]:
    """The files a report's own version always lists in ``integrity.files`` (see :data:`FILES_SINCE`)."""
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    version = _version_tuple(tool.get("version"))
    if version is not None and version < FILES_SINCE and any(version):
        return set()
    # not fingerprint.npz: a report written again from its JSON (write_report of a loaded Report) has none, and
    # one whose manifest entry was removed only loses its batch re-match (visual/store.py reads a listed file only)
    return set(PAGE_FILES)


KEYFRAMES_FOLDER = "keyframes"  # visual.keyframes.REPORT_FOLDER (not imported: that module loads OpenCV)
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _in_folder(path: object) -> bool:
    """``keyframes/<plain name>``: the only place a section may name a file of the report folder (never ``..``,
    a hidden name or a deeper folder, so a listing cannot send the checker anywhere else)."""
    if not isinstance(path, str) or "\\" in path:
        return False
    folder, _, name = path.partition("/")
    return folder == KEYFRAMES_FOLDER and name == Path(name).name and name not in ("", ".", "..") \
        and not name.startswith(".")


def listed_files(data: dict[str, Any]) -> dict[str, str] | None:
    """Files a report's sections name in its folder, path -> SHA-256: the keyframes folder of ``visual.keyframes``
    (its frames, index page and contact sheet; issue 19). They are listed in the section, not in
    ``integrity.files`` (the files beside report.json), so a reader from before sees a manifest it knows; the
    digest and any signature cover the listing all the same. None when the listing is malformed."""
    visual = data.get("visual")
    keyframes = visual.get("keyframes") if isinstance(visual, dict) else None
    if keyframes is None:
        return {}
    if not isinstance(keyframes, dict) or not isinstance(keyframes.get("frames", []), list) \
            or not isinstance(keyframes.get("files", {}), dict):
        return None
    out: dict[str, str] = {}
    pairs = [(f.get("path"), f.get("sha256")) if isinstance(f, dict) else (None, None)
             for f in keyframes.get("frames", [])]
    for path, sha in [*pairs, *keyframes.get("files", {}).items()]:
        if not _in_folder(path) or not isinstance(sha, str) or not _SHA256_HEX.fullmatch(sha) or path in out:
            return None
        out[path] = sha
    return out


def _check_files(result: CheckResult, report_path: Path, data: dict[str, Any]) -> None:
    """Every file of the folder named in the manifest (``integrity.files``) or listed by a section (the keyframes:
    :func:`listed_files`) must be there with its SHA-256, and the manifest must list every file the report's
    version writes: dropping an entry (or the whole list) would otherwise take that file out of every check."""
    integrity = data.get("integrity") if isinstance(data.get("integrity"), dict) else {}
    files = integrity.get("files")
    required = required_files(data) if isinstance(data.get("integrity"), dict) else set()
    listed = listed_files(data)
    if listed is None:
        result.add("files", "fail", "the keyframes listing (visual.keyframes) is malformed: edited")
        return
    if files is None and not required and not listed:
        return  # written before the manifest: only report.json is covered
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    if files is None and required:
        result.add("files", "fail", f"no folder manifest (integrity.files), but provenance {tool.get('version')} "
                                    "writes one in every report: removed from the file")
        return
    files = {} if files is None else files
    if not isinstance(files, dict) or not all(
        isinstance(name, str) and isinstance(sha, str) and name == Path(name).name and name not in (".", "..", "")
        and name != REPORT_FILE for name, sha in files.items()
    ):
        result.add("files", "fail", "the folder manifest (integrity.files) is malformed: edited")
        return
    if required - files.keys():
        result.add("files", "fail", f"the folder manifest (integrity.files) does not list "
                                    f"{', '.join(sorted(required - files.keys()))}, which provenance "
                                    f"{tool.get('version')} always lists: removed from the record")
        return
    bad = []
    if listed and (report_path.parent / KEYFRAMES_FOLDER).is_symlink():  # its files would be read elsewhere
        bad.append(f"{KEYFRAMES_FOLDER} is a symbolic link, not the folder provenance wrote")
        listed = {}
    for name, expected in sorted({**files, **listed}.items()):
        path = report_path.parent / name
        try:
            actual = sha256_regular(path)
        except FileNotFoundError:
            bad.append(f"{name} is missing")
            continue
        except (IntegrityError, OSError) as exc:
            bad.append(str(exc) if isinstance(exc, NotAFileError) else f"{name} cannot be read ({exc})")
            continue
        if actual != expected:
            bad.append(f"{name} differs from the one written (SHA-256 {actual[:16]}…, written {expected[:16]}…)")
    if bad:
        result.add("files", "fail", "; ".join(bad))
    else:
        frames = sum("/frame-" in name for name in listed)
        others = sorted(Path(name).name for name in listed if "/frame-" not in name)
        inside = f"; in {KEYFRAMES_FOLDER}/, {', '.join([f'{frames} frame' + ('s' if frames != 1 else ''), *others])}"
        result.add("files", "pass", f"{', '.join(sorted(files))} exactly as written beside report.json"
                                    f"{inside if listed else ''}")
    media = data.get("media") if isinstance(data.get("media"), dict) else {}
    known = {*files, REPORT_FILE, Path(str(media.get("path") or "")).name}
    folders = {name.partition("/")[0] for name in listed}
    with contextlib.suppress(OSError):
        extra = sorted(p.name for p in report_path.parent.iterdir() if p.name not in known | folders)
        for folder in sorted(folders):
            extra += sorted(f"{folder}/{p.name}" for p in (report_path.parent / folder).iterdir()
                            if f"{folder}/{p.name}" not in listed)
        if extra:
            result.add("files", "skip", f"not written by provenance, not covered: {', '.join(extra)}")


def _check_origin(result: CheckResult, integrity: dict[str, Any], required: bool = False) -> None:
    """Only a signature made as the report was written says that provenance produced this content; when a
    signature is required (``--require-signature``, as ``claim attach`` asks it) a later one fails."""
    when = integrity.get("signed_when")
    if when == "written":
        result.add("origin", "pass", "signed by provenance as it wrote the report")
    elif required:
        result.add("origin", "fail", f"the signature was added later ({integrity.get('signed_at')}, `report sign`), "
                                     "and a signature made as the report was written was asked for")
    else:
        result.add("origin", "cannot", f"the signature was added later ({integrity.get('signed_at')}, `report sign`): "
                                       "it vouches for the content from then on, not that provenance produced it")


def media_problem(report_path: Path, data: dict[str, Any]) -> str | None:
    """Why the media file beside the report (or at its recorded path) is not the one the report describes, or
    None (it is, or there is none to look at: a report travels without its media). Claims use it before
    counting a report as evidence: its digest cannot tell that the file it names was swapped."""
    result = CheckResult(report_path)
    _check_media(result, report_path, data, None)
    line = result.line("media")
    return line.message if line is not None and line.state == "fail" else None


def _check_media(result: CheckResult, report_path: Path, data: dict[str, Any], media: str | Path | None) -> None:
    section = data.get("media") if isinstance(data.get("media"), dict) else {}
    expected, recorded = str(section.get("sha256") or ""), str(section.get("path") or "")
    if not expected:
        result.add("media", "cannot", "the report records no media SHA-256")
        return
    if media is not None:
        candidates = [Path(media)]
    else:
        candidates = [report_path.parent / Path(recorded).name] if recorded else []
        if recorded:
            candidates.append(Path(recorded))
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        where = " or ".join(str(c) for c in candidates) or "(no media path recorded)"
        result.add("media", "cannot", f"no media file to check at {where}: pass --media FILE")
        return
    actual = sha256_file(found)
    if actual == expected:
        result.add("media", "pass", f"{found} has the recorded SHA-256 {expected[:16]}…")
    else:
        result.add("media", "fail", f"{found} has SHA-256 {actual[:16]}…, the report records {expected[:16]}…: "
                                    "not the file this report describes")
