"""Enforcing ``[limits]``: refusing oversized inputs, and per-stage time budgets that cannot hang a batch.

How a budget is enforced, and why this way:

- Each stage runs in a thread of its own (``run_with_budget``) while the caller waits at most the budget, then
  a short grace. The caller always gets control back on time, whatever the stage is doing, so one file can
  never hold up a batch. ``signal.alarm`` was not usable: it works only in the main thread (Dask runs tasks in
  worker threads) and cannot interrupt native code anyway. A subprocess per stage would be killable but
  forks a process that holds OpenMP (FAISS) and decoder thread pools, which can deadlock the child, or spawns
  one that re-imports everything and reloads the Whisper model for every file (measured, issue 14: spawning
  a child that imports the pipeline, PyAV, OpenCV, FAISS and faster-whisper took 1.2-1.6 s wall, 0.45-0.5 s
  CPU, at load 8-12; plus ~0.8 s to load Whisper base and the index's search tables per file).
- The stage's own loops check a ``Deadline`` (one ``time.monotonic()`` call, ~50 ns, per decoded frame; a
  frame costs milliseconds) and raise ``BudgetExceeded``, so in practice the thread stops within a frame of the
  budget and releases what it holds. Every long loop of every stage checks it: decoding (video frames, audio
  frames), hashing, keypoint frames, the metadata walkers (boxes, chunks, elements, EXIF reads, XMP packets, and
  between readers, which keep their own failures), Whisper's segments and language-ID batches, the audio
  stage's regions; ExifTool is a process killed at what is left of the budget. After it, an abandoned stage
  burns no CPU (tests/test_cancellation.py: the process's CPU time over the next seconds). The deadline reaches
  helpers through a context variable (``current_deadline``), e.g. ExifTool's time-out is cut to what is left.
- A stage stuck in native code past the grace is abandoned: the report records the overrun ("still running in
  native code when left"), the thread is a daemon and runs on until its call returns and its next check stops
  it. The longest such calls: one Whisper window (seconds), Silero VAD over the whole track (~3 s of wall time
  per 10 min of audio here, so up to ~20 s for ``max_audio_s``), the C2PA SDK validating a large file. It
  cannot write into the report: stages return their section
  and the runner merges it only when the stage finished in time.
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from provenance.errors import ProvenanceError

T = TypeVar("T")


@dataclass
class Limits:
    """Bounds on what one input may cost (TOML section ``[limits]``); hostile files are refused or cut short.

    Input limits are read from the header at ingest and refuse the file (exit 2, one line naming the setting):
    nothing is decoded from a file that claims to be too big. Work limits cut a stage short and say so in a
    finding. Each stage's time budget is a setting of its own table (``[visual] budget_s``, ``StageConfig``).
    """

    # -- input, checked at ingest before anything is decoded
    max_file_bytes: int = 16 * 1024**3  # 16 GiB: half an hour of 4K phone video is ~12 GB
    max_duration_s: float = 6 * 3600.0  # declared duration; a day-long stream recording is not triage material
    max_pixels: int = 100_000_000  # width x height: 8K video is 33 MP, phone panoramas ~80 MP; bombs claim GPs
    # Samples an MP4/MOV declares (every track and fragment): FFmpeg allocates ~66 bytes of index per declared
    # sample before reading a frame (measured: 20 M samples, 1.5 GB peak). 6 h at 60 fps with AAC audio is 2.3 M;
    # 5 M costs ~330 MB. A 331 KB file declaring 170 M samples took `verify` to 8 GB.
    max_samples: int = 5_000_000
    # Wall-clock seconds identifying one file may take (Pillow's and FFmpeg's header probes, the declared-sample
    # walk, the metadata-only check), hashing excluded (linear, bounded by max_file_bytes). Real files take
    # 0.01-0.3 s (the shared corpus, 139 files); a TIFF of 100,000 pages took 69 s before frame counting was
    # limited to animating formats. Past it the file is refused (exit 2); a probe stuck in native code is left
    # to finish in its daemon thread, as a stage past its budget is.
    max_ingest_s: float = 60.0
    # -- the whole process
    # Memory of the CLI process (MiB; 0: no limit), the backstop behind the checks above: an allocation past it
    # fails (MemoryError, FFmpeg's ENOMEM) and the file gets one line or a failed stage naming this setting
    # instead of the machine swapping. Enforced as RLIMIT_DATA (private writable memory: the heap, anonymous
    # maps, thread stacks), not RLIMIT_AS: address space counts what native libraries only reserve (malloc
    # arenas, OpenMP and OpenBLAS pools), so `quick` needed 1.3-1.5 GB of it for 145-180 MB RSS and an
    # address-space limit of 1024 failed OpenBLAS and SQLite's WAL map (issue 14). Measured under RLIMIT_DATA:
    # 1024 runs `standard` with Whisper (474 MB RSS) and stops a 98 MP WebP decoded whole; 600 cannot start the
    # pipeline's threads, hence MIN_MEMORY_MB. 8 GiB leaves room for bigger models and machines.
    max_memory_mb: int = 8192
    # -- work, cut short with a finding
    max_frames_decoded: int = 100_000  # ~1 h at 25 fps; the 900-sample cap stops real clips long before this
    max_audio_s: float = 3600.0  # audio decoded for the audio stage (also caps [asr] max_seconds)
    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{f.name} must be a number >= 0, not {value!r}")
        memory = self.max_memory_mb
        if memory and not MIN_MEMORY_MB <= memory <= MAX_MEMORY_MB:
            why = (f"below {MIN_MEMORY_MB} the pipeline's own libraries cannot start" if memory < MIN_MEMORY_MB
                   else "that is more memory than any machine has")
            raise ValueError(f"max_memory_mb must be 0 (no limit) or between {MIN_MEMORY_MB} and {MAX_MEMORY_MB:,} "
                             f"MiB, not {memory!r}: {why}")


# [limits] max_memory_mb's range: 1024 is the least measured to run `standard` (600 could not start the
# pipeline's threads, issue 14); 2^30 MiB (1 PiB) keeps the byte count inside setrlimit's C long.
MIN_MEMORY_MB = 1024
MAX_MEMORY_MB = 1 << 30
# Set by apply_memory_limit for the processes this one starts (batch's Dask workers, index add's decoders): they
# inherit RLIMIT_DATA but not this module's state, so their messages said "max_memory_mb, no limit here" where
# verify said "8,192 MiB here" and their decode plans ignored the limit (issue 14 round 5, L1).
MEMORY_ENV = "PROVENANCE_APPLIED_MEMORY_MB"


def _inherited_mb() -> int | None:
    """The limit a parent applied (``MEMORY_ENV``), when this process really runs under it (RLIMIT_DATA's soft
    value is that many MiB); else None: a variable without the limit names nothing."""
    try:
        import resource

        mb = int(os.environ.get(MEMORY_ENV, ""))
        return mb if mb > 0 and resource.getrlimit(resource.RLIMIT_DATA)[0] == mb * 1024 * 1024 else None
    except (ImportError, ValueError, OSError):
        return None


_APPLIED_MB: int | None = _inherited_mb()  # the limit this process runs under, for messages and decode plans


def memory_limit_note() -> str:
    """"[limits] max_memory_mb = N" when this process runs under that limit, for messages about a failed
    allocation (an allocation failure must read as the memory limit, never as damaged data)."""
    return f"[limits] max_memory_mb = {_APPLIED_MB}" if _APPLIED_MB else "[limits] max_memory_mb"

# Peak memory one picture decode may take, bytes: the acceptance's 1 GiB peak RSS (issue 14) less what
# `verify --pipeline quick` holds before it decodes (~160-350 MB measured: Python, PyAV, OpenCV, NumPy, FAISS,
# the index). A batch worker process decodes one file at a time (``threads_per_worker`` 1), so the same bound
# holds per worker process; the machine's total is the CLI process plus that many workers.
DECODE_MEMORY_BYTES = 640 * 1024**2
# Bytes a pixel each still decoder holds at its peak, measured (issue 14, round 2: ru_maxrss of one decode of a
# 98-100 MP picture in a fresh process, less what the process held before it):
# - Pillow stores a pixel in 1 byte ("1", "L", "P"), 2 (the 16-bit "I;16" modes) or 4 (every other mode, RGB
#   included: Storage.c); a 16-bit RGBA PNG or TIFF decodes straight into 8-bit "RGBA" (4), a CMYK JPEG into
#   "CMYK" (4). Converting a mode other than RGB to RGB adds 4 (the copy; "I;16", "LA", "1" measured at 40 MP).
# - Some plugins hold their own buffer besides Pillow's: WebP 16 (libwebp's canvas and its copy: 98 MP took
#   1.64 GB), HEIF 7.5 (libheif's RGB and Pillow's copy: 99.7 MP, 691 MiB), AVIF 9 (libavif's YUV and RGB and
#   Pillow's copy: 36 MP, 308 MiB).
# - A progressive JPEG keeps every DCT coefficient of the whole picture until its last scan, whatever the output
#   scale: 2 bytes a coefficient, 64 a block, for each component at its sampling (CMYK, 4 full components: 8 a
#   pixel; 99.8 MP: 767 MiB; YCbCr 4:2:0: 3).
# - JPEG 2000 19.5 (OpenJPEG holds every component as 32-bit integers and its tile's wavelet buffers besides
#   Pillow's image: 25 MP and 49 MP untiled, 19.4 and 19.3; issue 14 round 3 measured ~19 at 81 MP: 1.67 GB),
#   JPEG XL 15.5 (libjxl's float32 planes and Pillow's copy through pillow-jxl-plugin: 25 MP, 15.2; ~13 at 98 MP).
PILLOW_DECODER_BYTES_PER_PIXEL = {"WEBP": 16.0, "HEIF": 7.5, "AVIF": 9.0, "JPEG2000": 19.5, "JXL": 15.5}
TO_RGB_BYTES_PER_PIXEL = 4  # Pillow's RGB copy of a picture in another mode
# Reduced decodes, when the full one would pass DECODE_MEMORY_BYTES (measured likewise):
# - OpenCV (PNG, TIFF, BMP, PNM) decodes rows straight into 8-bit BGR, 16-bit and alpha dropped on the way
#   (libpng's strip_16, libtiff's RGBA strips): 3 a pixel (100 MP 16-bit RGBA PNG 292 MiB, TIFF 295 MiB,
#   RLE8 BMP 292 MiB), against Pillow's 8 (RGBA and its RGB copy) or FFmpeg's 12 (rgba64 and swscale's
#   buffers: the PNG took `verify` to 1.34 GB).
# - pillow-heif straight to NumPy, without Pillow's copy: 5 (99.7 MP HEIC: 452 MiB).
# - FFmpeg scaled straight to hashing size: 4 for WebP (a lossless frame is ARGB; lossy 98 MP: 149 MiB, 1.5),
#   12 for anything else (the 16-bit PNG above).
# - JPEG with libjpeg's DCT scaling (Pillow's draft): a 64th of the picture, plus a progressive file's
#   coefficients (above).
# - JPEG 2000 with OpenJPEG's resolution reduction (Pillow's ``reduce``: 2^r smaller each way): the full figure
#   over 4^r plus 0.5 for the code-stream's own buffers (25 MP and 49 MP untiled at r=3: 0.68 and 0.62).
# - JPEG XL: no reduced decode in libjxl's Pillow plugin; a picture over the bound whole is refused.
# - RGBA/RGBX/LA pictures of formats only Pillow reads (TGA, SGI...): Pillow's image (4, LA stored as RGBA is)
#   and one channel at a time (1) shrunk before the next (``frames._by_channel``): 99 MP RLE RGBA TGA, 5.
OPENCV_BYTES_PER_PIXEL = 3.0
CHANNEL_BYTES_PER_PIXEL = 1.0
JPEG2000_REDUCED_OVERHEAD = 0.5
HEIF_NUMPY_BYTES_PER_PIXEL = 5.0
FFMPEG_STILL_BYTES_PER_PIXEL = {"WEBP": 4.0}
VIDEO_BYTES_PER_PIXEL = 12
# FFmpeg's probe (``avformat_find_stream_info``, run by every ``av.open``) decodes a still's first picture to learn
# its pixel format: the frame at its own depth, 8 for 16-bit RGBA (a 150 MP 16-bit PNG: av.open alone peaked at
# 1.21 GB, 8.0 a pixel; issue 14 H3). Readers that only want a still's tags do not open one past the bound.
FFMPEG_PROBE_BYTES_PER_PIXEL = 8
# FFmpeg playing an animation or video keeps reference frames and an RGBA conversion: 12 (an APNG of 99 MP
# frames: 1.35 GB).


# Pages of a multi-page TIFF the visual stage examines (each one a still: decoded within the decode bound one at a
# time, hashed and matched; issue 14 round 4 H3, only page 1 was checked, silently). Ingest counts pages up to one
# more than this (walking the IFD chain: 100,000 pages took 69 s), so "more than 64" is known without the walk.
# 64 covers scanned documents and photo sequences; at the 0.05-0.3 s a 1-12 MP page decodes and hashes here, the
# pages fit the visual stage's budget. Pages past it are named in a notice, never covered by a "No match".
MAX_STILL_PAGES = 64
# Pages ``index add`` counts in a TIFF with more than MAX_STILL_PAGES, to say which were not indexed ("pages 65-70");
# its own IFD walk is linear (one seek and two small reads a page: 100,000 pages 0.3 s here), past it "and more".
MAX_PAGES_COUNTED = 100_000


def decode_bound() -> str:
    """The decode memory bound in words, for the messages that refuse a decode past it: "the 640 MiB a picture
    decode may use (...)". It is a fixed bound, not ``[limits] max_memory_mb`` (8 GiB by default): messages said
    "(the 1 GiB memory bound)", which read as a setting contradicting the README (issue 14 round 4 L2)."""
    setting = f"{_APPLIED_MB:,} MiB here" if _APPLIED_MB else "no limit here"
    return (f"the {DECODE_MEMORY_BYTES / 2**20:.0f} MiB a picture decode may use (a fixed bound that keeps a run "
            f"within 1 GiB; [limits] max_memory_mb, {setting}, does not raise it)")


# Bytes a pixel FFmpeg holds besides the decoded frame when it brings a still to hashing size (swscale's line
# buffers and the small RGB output): 70 MP of gbrapf32le (16) peaked at ~16.5 a pixel (issue 14 round 3, H4).
FFMPEG_CONVERT_BYTES_PER_PIXEL = 1


def ffmpeg_still_bytes(stream: object) -> int:
    """Peak bytes FFmpeg takes to decode one picture of ``stream`` (a PyAV video stream) whole: its declared width x
    height at its pixel format's bytes (the sum of the components' bits), plus the conversion;
    ``VIDEO_BYTES_PER_PIXEL`` when the pixel format is not declared. Read from the headers FFmpeg's probe parsed,
    before any decode here."""
    cc = stream.codec_context  # type: ignore[attr-defined]
    fmt = getattr(cc, "format", None)
    try:
        depth = sum(c.bits for c in fmt.components) / 8 if fmt is not None else 0.0
    except (AttributeError, TypeError, ValueError):
        depth = 0.0
    per_pixel = depth + FFMPEG_CONVERT_BYTES_PER_PIXEL if depth else VIDEO_BYTES_PER_PIXEL
    return decode_bytes(cc.width or 0, cc.height or 0, per_pixel)


def ffmpeg_still_refusal(stream: object) -> str | None:
    """Why FFmpeg must not decode the one picture of ``stream`` (a still only it reads: OpenEXR, DDS...), which it
    decodes whole (``ffmpeg_still_bytes``): past the decode memory bound, or past what ``[limits] max_memory_mb``
    leaves; None when it fits. One check for ingest (``media``, exit 2) and the visual stage's FFmpeg decode
    (``frames._ffmpeg_picture``), which each word the refusal as their own error."""
    cc = stream.codec_context  # type: ignore[attr-defined]
    width, height, need = cc.width or 0, cc.height or 0, ffmpeg_still_bytes(stream)
    size = f"{width}x{height} ({width * height / 1e6:.0f} MP)"
    if need > DECODE_MEMORY_BYTES:
        return (f"its picture of {size} would take about {need / 2**20:,.0f} MiB to decode, over {decode_bound()}, "
                "and FFmpeg, its only decoder here, cannot decode it reduced")
    headroom = memory_headroom()
    if headroom is not None and need > headroom:
        return (f"out of memory ({memory_limit_note()}): its picture of {size} would take about "
                f"{need / 2**20:,.0f} MiB to decode, {max(0, headroom) / 2**20:,.0f} MiB were left under it; "
                "raise the setting (or set 0) to decode it")
    return None


def pillow_bytes_per_pixel(mode: str) -> int:
    """Bytes Pillow stores a pixel of ``mode`` in (its Storage.c: 1, 2 for the 16-bit modes, else 4)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16") or mode in ("BGR;15", "BGR;16"):
        return 2
    return 4


def shrunk_before_rgb(mode: str) -> bool:
    """Whether Pillow's decode path shrinks a picture of ``mode`` to hashing size before its RGB conversion (the
    16-bit and 32-bit grey modes "I;16*", "I", and float "F": ``frames._decode``), so the conversion costs nothing
    at full size. A 99 MP 32-bit float TIFF then decodes whole at 4 bytes a pixel (396 MB) instead of being sent
    to OpenCV, which reads no 32-bit samples (issue 14 round 4 M2)."""
    return mode.startswith("I") or mode == "F"


def jpeg_coefficient_bytes_per_pixel(layers: list[tuple[str, int, int, int]] | None) -> float:
    """Bytes a pixel a progressive JPEG's coefficient buffer holds: 2 x 64 per 8x8 block of every component at
    its sampling (``layers``: Pillow's ``JpegImageFile.layer``, (id, h, v, table) per component)."""
    if not layers:
        return 8.0  # unknown sampling: as for 4 full components (CMYK)
    h_max = max(h for _, h, _, _ in layers) or 1
    v_max = max(v for _, _, v, _ in layers) or 1
    return 2.0 * sum(h * v for _, h, v, _ in layers) / (h_max * v_max)


def still_bytes_per_pixel(fmt: str | None, mode: str, *, progressive: float = 0.0) -> float:
    """Peak bytes a pixel of a full-size Pillow decode of a ``fmt`` picture opened in ``mode``, converted to RGB:
    the plugin's own buffers, Pillow's image, its RGB copy, and a progressive JPEG's coefficients (see above)."""
    if fmt in PILLOW_DECODER_BYTES_PER_PIXEL:
        return PILLOW_DECODER_BYTES_PER_PIXEL[fmt]  # (measured whole, conversion included)
    convert = 0 if mode == "RGB" or shrunk_before_rgb(mode) else TO_RGB_BYTES_PER_PIXEL
    return pillow_bytes_per_pixel(mode) + convert + progressive


def decode_bytes(width: int, height: int, per_pixel: float) -> int:
    """Estimated peak memory of decoding a ``width`` x ``height`` picture at ``per_pixel`` bytes a pixel."""
    return int(width * height * per_pixel)


INDEX_BYTES_PER_SAMPLE = 66  # FFmpeg's MOV index and time tables per declared sample (measured, see max_samples)
GRACE_S = 2.0  # after the budget, how long the runner waits for the stage to notice its deadline


class LimitError(ProvenanceError):
    """The input exceeds a ``[limits]`` setting; the message names the setting and how to raise it."""


class BudgetExceeded(ProvenanceError):
    """A stage ran past its time budget (raised by the stage's own deadline checks, or by the runner)."""


@dataclass(frozen=True)
class Deadline:
    """A point in ``time.monotonic()`` time; ``None`` budgets make a deadline that never expires."""

    at: float | None
    budget_s: float | None = None
    what: str = "stage"

    @classmethod
    def after(cls, budget_s: float | None, what: str = "stage") -> Deadline:
        return cls(None if budget_s is None else time.monotonic() + budget_s, budget_s, what)

    def remaining(self) -> float | None:
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def check(self) -> None:
        """Raise ``BudgetExceeded`` once the deadline has passed."""
        if self.at is not None and time.monotonic() >= self.at:
            raise BudgetExceeded(self.message())

    def message(self, abandoned: bool = False) -> str:
        how = ("still running in native code when left; it stops at its next deadline check" if abandoned else
               "stopped there")
        return (f"{self.what} stage did not finish within its time budget of {self.budget_s:g} s "
                f"([{self.what}] budget_s): {how}")


NEVER = Deadline(None)
_CURRENT: contextvars.ContextVar[Deadline] = contextvars.ContextVar("provenance_deadline", default=NEVER)


def current_deadline() -> Deadline:
    """The deadline of the stage running in this thread (``NEVER`` outside a budgeted stage)."""
    return _CURRENT.get()


@dataclass
class BudgetOutcome(Generic[T]):
    value: T | None = None
    error: BaseException | None = None
    overrun: bool = False  # the budget (plus grace) passed before the stage returned
    abandoned: bool = False  # ... and its thread was still running: stuck in native code
    seconds: float = 0.0


def run_with_budget(fn: Callable[[], T], budget_s: float | None, what: str = "stage",
                    grace_s: float = GRACE_S) -> BudgetOutcome[T]:
    """Run ``fn`` in a daemon thread under a deadline; return within ``budget_s + grace_s`` whatever it does.

    With no budget, ``fn`` runs in the calling thread (no thread, no overhead).
    """
    started = time.monotonic()
    deadline = Deadline.after(budget_s, what)
    outcome: BudgetOutcome[T] = BudgetOutcome()
    if budget_s is None:
        try:
            outcome.value = fn()
        except Exception as exc:
            outcome.error = exc
        outcome.seconds = time.monotonic() - started
        return outcome

    done = threading.Event()
    box: dict[str, object] = {}

    def target() -> None:
        _CURRENT.set(deadline)
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller; nothing escapes a daemon thread silently
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name=f"provenance-{what}", daemon=True)
    try:
        thread.start()
    except RuntimeError as exc:  # "can't start new thread": its stack could not be mapped
        if not _APPLIED_MB:
            raise
        # under [limits] max_memory_mb (RLIMIT_DATA counts thread stacks): the limit's failure, named as such,
        # never an internal error (a 100 MP BMP decoded under 1024 left too little for the next stage's thread)
        outcome.error = MemoryError(f"could not start the {what} thread: {exc}")
        outcome.seconds = time.monotonic() - started
        return outcome
    # a budget past threading.TIMEOUT_MAX (~292 years; 1e300 is a valid "no practical limit") waits that long
    if not done.wait(min(budget_s + grace_s, threading.TIMEOUT_MAX)):
        outcome.overrun = outcome.abandoned = True
        outcome.error = BudgetExceeded(deadline.message(abandoned=True))
    elif "error" in box:
        error = box["error"]
        assert isinstance(error, BaseException)
        outcome.error = error
        outcome.overrun = isinstance(error, BudgetExceeded)
    else:
        outcome.value = box.get("value")  # type: ignore[assignment]
    outcome.seconds = time.monotonic() - started
    return outcome


def check_input(name: str, *, size: int | None = None, duration_s: float | None = None,
                width: int | None = None, height: int | None = None, samples: int | None = None,
                limits: Limits | None = None) -> None:
    """Raise ``LimitError`` when a declared property of the input exceeds its limit (0 turns a limit off)."""
    if limits is None:
        return
    if samples is not None and limits.max_samples and samples > limits.max_samples:
        raise LimitError(f"{name}: declares {samples:,} samples, over the limit of {limits.max_samples:,} "
                         "([limits] max_samples): reading its index alone would take "
                         f"{_bytes(samples * INDEX_BYTES_PER_SAMPLE)} of memory")
    max_bytes = limits.max_file_bytes
    if size is not None and max_bytes and size > max_bytes:
        raise LimitError(f"{name}: file is {_bytes(size)}, over the limit of {_bytes(max_bytes)} "
                         "([limits] max_file_bytes)")
    max_duration = limits.max_duration_s
    if duration_s is not None and max_duration and duration_s > max_duration:
        raise LimitError(f"{name}: declared duration {_clock(duration_s)} is over the limit of "
                         f"{_clock(max_duration)} ([limits] max_duration_s)")
    max_pixels = limits.max_pixels
    if width and height and max_pixels and width * height > max_pixels:
        raise LimitError(f"{name}: declared picture size {width}x{height} ({width * height / 1e6:.0f} MP) is over "
                         f"the limit of {max_pixels / 1e6:g} MP ([limits] max_pixels)")


def applied_memory_mb() -> int | None:
    """The ``[limits] max_memory_mb`` apply_memory_limit set on this process (MiB), or None."""
    return _APPLIED_MB


def memory_headroom() -> int | None:
    """Bytes this process may still map under the limit apply_memory_limit set (the limit less ``VmData``, what
    RLIMIT_DATA counts); None without a limit or where ``/proc`` cannot tell."""
    if not _APPLIED_MB:
        return None
    try:
        with open("/proc/self/status") as fh:
            used_kb = next((int(line.split()[1]) for line in fh if line.startswith("VmData:")), None)
    except (OSError, ValueError, IndexError):
        return None
    return None if used_kb is None else _APPLIED_MB * 1024 * 1024 - used_kb * 1024


def near_memory_limit(margin: float = 0.8) -> bool:
    """Whether this process's private writable memory (Linux ``VmData``, what RLIMIT_DATA counts) is past
    ``margin`` of the limit apply_memory_limit set: a failure then is the limit's, not the data's."""
    if not _APPLIED_MB:
        return False
    try:
        with open("/proc/self/status") as fh:
            used_kb = next((int(line.split()[1]) for line in fh if line.startswith("VmData:")), None)
    except (OSError, ValueError, IndexError):
        return True  # no way to tell under a limit: say the limit may be the cause
    return used_kb is None or used_kb * 1024 >= margin * _APPLIED_MB * 1024 * 1024


def apply_memory_limit(limits: Limits) -> None:
    """Cap this process's private writable memory at ``limits.max_memory_mb`` (RLIMIT_DATA; children inherit it:
    Dask workers, ExifTool). Never raises the limit above one already set (a ``ulimit -d`` of the user's stays);
    0 does nothing; a platform without ``resource`` (Windows) keeps no backstop."""
    global _APPLIED_MB
    if not limits.max_memory_mb:
        return
    try:
        import resource
    except ImportError:
        return
    want = int(limits.max_memory_mb) * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or want < soft:
        resource.setrlimit(resource.RLIMIT_DATA, (want, hard))
        _APPLIED_MB = want // (1024 * 1024)
        if want % (1024 * 1024) == 0:  # children take it from here (_inherited_mb)
            os.environ[MEMORY_ENV] = str(_APPLIED_MB)


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
