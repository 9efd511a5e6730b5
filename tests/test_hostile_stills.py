"""Stills that are cut short or cost more memory than the file's size says (issue 14, tester's D1, D2, D3, D7).

Each runs the real CLI in a child process and reads its peak RSS (tests/test_hostile.py's launcher): the bound
is the acceptance's 1 GiB. The inputs are the hostile corpus's own (tests/hostile/make_corpus.py) and the real
phone HEICs of tests/data/phone cut as an unfinished download cuts them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_hostile import CASE_TIMEOUT_S, PEAK_RSS_MAX_KB, TRACEBACK, _env, _profile, run_cli

from provenance.limits import MIN_MEMORY_MB, Limits

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus

PHONE = Path(__file__).parent / "data" / "phone"
# M3 (issue 14 round 3): memory cases run under the default profile too (its text stage on), at the same 1 GiB bar
PIPELINES = ["quick", "standard"]


def _verify(path: Path, tmp_path: Path, pipeline: str | Path = "quick") -> tuple[object, dict | None]:
    run = run_cli("verify", path, "--pipeline", pipeline, "--json", "--out", tmp_path / "out", env=_env(tmp_path))
    assert not TRACEBACK.search(run.stderr), run.stderr
    assert run.peak_rss_kb <= PEAK_RSS_MAX_KB, f"peak RSS {run.peak_rss_kb / 1024:.0f} MiB"
    assert run.seconds < CASE_TIMEOUT_S, run.seconds
    return run, (json.loads(run.stdout) if run.code in (0, 1) else None)


def _stage_error(report: dict, stage: str) -> str:
    """The one-line error a failed stage left in the report's ``errors`` (empty when it did not fail)."""
    return " ".join(e["message"] for e in report.get("errors", []) if e.get("stage") == stage)


@pytest.mark.parametrize("kind", ["zTXt", "iCCP", "iTXt"])
def test_a_png_text_bomb_keeps_its_pixels_and_memory_bounded(kind: str, tmp_path: Path) -> None:
    """828 KB PNGs whose one chunk inflates to 800 MB: FFmpeg's probe took them to 1.7-3.3 GB, ExifTool the XMP
    one to 2.3 GB, and Pillow's refusal failed the visual stage of a fine picture. Now: exit 0, pixels hashed,
    and an XMP packet too large to read is said to be unread, not reported as absent."""
    path = tmp_path / f"bomb_{kind}.png"
    path.write_bytes(make_corpus.png_text_bomb(kind))
    run, report = _verify(path, tmp_path)
    assert run.code == 0, run.stderr
    assert report["media"]["kind"] == "image" and report["visual"]["status"] == "ok"
    if kind == "iTXt":
        readers = report["metadata"]["readers"]
        assert readers["xmp"].startswith("XMP too large: not read"), readers
        codes = {f["code"]: f["message"] for f in report["findings"]}
        assert "no_capture_metadata" not in codes  # not "absence is not evidence": the date is there, unread
        assert "XMP too large" in codes["capture_metadata_unreadable"]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_60_mp_webp_is_decoded_reduced_and_still_looks_like_itself(pipeline: str, tmp_path: Path) -> None:
    """Pillow's WebP decoder holds ~16 bytes a pixel: 60 MP took `verify` to 1.04 GB (98 MP: 1.64 GB). FFmpeg
    decodes it scaled to hashing size; the picture must still be the photograph. Under the default profile too
    (M3: its text stage decoded stills whole, 98 MP: 1.81 GB)."""
    from skimage import data

    from provenance.visual.frames import load_image

    path = tmp_path / "big.webp"
    path.write_bytes(make_corpus.big_webp())
    run, report = _verify(path, tmp_path, pipeline)
    assert run.code == 0 and report["visual"]["status"] == "ok", run.stderr
    picture = load_image(path)
    h, w = picture.shape[:2]
    assert max(h, w) <= 1024 and abs(w / h - 12000 / 5000) < 0.02, picture.shape
    from PIL import Image

    expected = np.asarray(Image.fromarray(data.astronaut()).resize((w, h), Image.Resampling.BOX), dtype=float)
    assert np.abs(picture.astype(float) - expected).mean() < 12  # the same photograph (unrelated ones: ~60)


def test_an_animation_of_99_mp_frames_is_refused_before_decoding(tmp_path: Path) -> None:
    """FFmpeg plays an APNG holding reference frames at full size (8 x 99 MP: 1.35 GB, 44 s)."""
    path = tmp_path / "huge.png"
    path.write_bytes(make_corpus.apng_huge_frames())
    run, _ = _verify(path, tmp_path)
    assert run.code == 2 and "a picture decode may use" in run.stderr and "9999x9999" in run.stderr, run.stderr


@pytest.mark.parametrize(("name", "cut_at", "tiles"), [("xiaomi.heic", 89_601, "23 of its 24"),
                                                       ("pug.heic", 129_908, "41 of its 50")])
def test_a_cut_heic_is_not_reported_as_complete(name: str, cut_at: int, tiles: str, tmp_path: Path) -> None:
    """libheif fills missing tiles green (exit 0, ~90% green hashed) and FFmpeg read a cut Xiaomi grid as a
    512x512 "video" whose cut EXIF became "no capture time ... absence is not evidence of editing"."""
    source = PHONE / name
    if not source.is_file():
        pytest.skip(f"{source} not present")
    path = tmp_path / f"cut_{name}"
    path.write_bytes(source.read_bytes()[:cut_at])
    run, report = _verify(path, tmp_path)
    assert run.code == 1 and f"cut short: {tiles} picture items" in run.stderr, run.stderr
    assert report["media"]["kind"] == "image" and report["visual"]["status"] != "ok"
    codes = {f["code"]: f["message"] for f in report["findings"]}
    if name == "xiaomi.heic":  # its EXIF item lies past the cut
        assert "no_capture_metadata" not in codes
        assert "EXIF item cut off" in codes["capture_metadata_unreadable"]
    else:  # pug's EXIF comes before its tiles: the capture time is still read
        assert report["metadata"]["capture_time"].startswith("2023-02-21T14:33:08")


def test_max_memory_mb_is_range_checked_with_the_setting_named() -> None:
    """600 gave "workspace database is damaged" (SQLite could not map its WAL index under RLIMIT_AS) and
    2^63 - 1 "internal error: OverflowError"; both are now one line naming the setting."""
    for value in (600, 9_223_372_036_854_775_807):
        with pytest.raises(ValueError, match=rf"max_memory_mb must be 0 \(no limit\) or between {MIN_MEMORY_MB}"):
            Limits(max_memory_mb=value)
    assert Limits(max_memory_mb=0).max_memory_mb == 0 and Limits(max_memory_mb=MIN_MEMORY_MB)


def test_the_acceptance_bound_of_1024_mb_is_a_workable_setting(tmp_path: Path) -> None:
    """Under RLIMIT_AS 1024 failed OpenBLAS ("SystemError", "MemoryError" stage errors): address space counts
    what native libraries only reserve. Under RLIMIT_DATA a real clip verifies cleanly."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(make_corpus.clip(2.0, seed=3))
    profile = _profile(tmp_path, "max_memory_mb = 1024")
    run, report = _verify(path, tmp_path, profile)
    assert run.code == 0, run.stderr
    assert report["visual"]["status"] == "ok" and report["metadata"]["status"] == "ok"


@pytest.fixture(scope="module")
def png16(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("png16") / "rgba16_99mp.png"
    path.write_bytes(make_corpus.png_rgba16_photo())
    return path


def _looks_like_astronaut(picture: np.ndarray) -> float:
    """Mean absolute difference from scikit-image's astronaut at ``picture``'s size (unrelated photos: ~60)."""
    from PIL import Image
    from skimage import data

    h, w = picture.shape[:2]
    expected = np.asarray(Image.fromarray(data.astronaut()).resize((w, h), Image.Resampling.BOX), dtype=float)
    return float(np.abs(picture.astype(float) - expected).mean())


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_99_mp_16_bit_rgba_png_is_decoded_reduced_under_1_gib(pipeline: str, png16: Path, tmp_path: Path) -> None:
    """Issue 14 round 2, N1: Pillow holds it as RGBA plus an RGB copy (8 bytes a pixel) and FFmpeg's reduced
    decode as rgba64 (1.34 GB peak). OpenCV reads it row by row into 8-bit BGR reduced: exit 0, the photo
    hashed, peak under 1 GiB, and no raw DecompressionBombWarning on stderr (N2)."""
    from provenance.visual.frames import load_image

    run, report = _verify(png16, tmp_path, pipeline)
    assert run.code == 0 and report["visual"]["status"] == "ok", run.stderr
    assert "DecompressionBomb" not in run.stderr and "warnings.warn" not in run.stderr, run.stderr
    picture = load_image(png16)
    assert max(picture.shape[:2]) == 512 and _looks_like_astronaut(picture) < 12


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_99_mp_16_bit_grey_png_is_shrunk_before_its_8_bit_conversion(pipeline: str, tmp_path: Path) -> None:
    """Issue 14 round 4, H1: 16-bit grey ("I;16") was scaled to 8 bits through a float copy of the whole picture
    (99 MP: 1.5 GB quick, 1.76 GB standard); before that Pillow's conversion clipped it white. Now it is shrunk
    first: exit 0, peak under 1 GiB, and the hashed picture is the photograph, not a white page."""
    from provenance.visual.frames import load_image

    path = tmp_path / "grey16_99mp.png"
    path.write_bytes(make_corpus.png_rgba16_photo(grey=True))
    run, report = _verify(path, tmp_path, pipeline)
    assert run.code == 0 and report["visual"]["status"] == "ok", run.stderr
    picture = load_image(path)
    grey = np.asarray(Image.fromarray(picture).convert("L"), dtype=float)
    assert max(picture.shape[:2]) == 512 and 40 < grey.mean() < 200 and grey.std() > 20  # a photo, not white


def test_at_max_memory_mb_1024_a_big_still_is_never_called_damaged(png16: Path, tmp_path: Path) -> None:
    """N2 (b): under 1024 valid 99 MP stills were "its data is malformed (the decoder failed)" or "broken data
    stream". Now the picture is decoded reduced, or the visual stage names the setting; never damage."""
    profile = _profile(tmp_path, "max_memory_mb = 1024")
    run, report = _verify(png16, tmp_path, profile)
    assert run.code in (0, 1) and report is not None, run.stderr
    if report["visual"]["status"] != "ok":
        assert "out of memory ([limits] max_memory_mb = 1024)" in _stage_error(report, "visual"), report["errors"]
    for word in ("malformed", "broken data", "damaged", "decoder failed", "could not create"):
        assert word not in run.stderr, run.stderr


@pytest.mark.parametrize("lossless", [False, True])
def test_an_animated_webp_gets_a_report_of_its_first_frame(lossless: bool, tmp_path: Path) -> None:
    """N4: FFmpeg's WebP decoder reads no animation, and the file got exit 2 "not a media file FFmpeg can read".
    Pillow decodes it: a report (exit 0) hashing the first frame, which says the others were not compared."""
    from provenance.visual.frames import load_image

    path = tmp_path / "anim.webp"
    path.write_bytes(make_corpus.animated_webp(lossless=lossless))
    run, report = _verify(path, tmp_path)
    assert run.code == 0 and report["visual"]["status"] == "ok", run.stderr
    assert report["media"]["kind"] == "image" and report["media"]["video"]["frames"] == 3
    codes = {f["code"]: f["message"] for f in report["findings"]}
    assert "3 frames: only its first frame was compared" in codes["animated_first_frame_only"]
    assert _looks_like_astronaut(load_image(path)) < 12  # the first frame is the astronaut, not the coffee cup


def test_a_profile_that_is_not_toml_is_named() -> None:
    """N8: a duplicated [audio] table gave tomllib's "Cannot declare ('audio',) twice" without the file."""
    import tempfile

    from provenance.config import load_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dup.toml"
        path.write_text("[audio]\nenabled = false\n[audio]\nenabled = true\n")
        with pytest.raises(ValueError, match=r"profile .*dup\.toml is not valid TOML: Cannot declare"):
            load_pipeline(str(path))


@pytest.mark.parametrize(("name", "code", "said"), [
    ("exiftool/MOI.moi", 1, "a MOI file is a camcorder's index of a MOD/TOD clip"),
    ("exiftool/WTV.wtv", 1, "cannot open video: FFmpeg: invalid data found"),
    ("c2pa/tiff_poc.tiff", 2, "a damaged or malformed TIFF picture: neither Pillow nor FFmpeg"),
])
def test_files_no_decoder_reads_get_a_human_reason(name: str, code: int, said: str, tmp_path: Path) -> None:
    """N8: "[Errno 1094995529] Invalid data found ...: '/path'" for MOI and WTV, and FFmpeg's "video stream
    without dimensions" for a TIFF."""
    from test_hostile import CORPUS

    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    run, _ = _verify(path, tmp_path)
    assert run.code == code and said in run.stderr, run.stderr
    assert "Errno" not in run.stderr and "video stream without dimensions" not in run.stderr


def test_a_native_allocation_failure_under_the_limit_names_the_setting() -> None:
    """N2 (a): Whisper under 1024 failed as "audio stage failed: RuntimeError: mkl_malloc: failed to allocate
    memory". In a process that runs under the limit (the real RLIMIT_DATA), the stage error names it."""
    code = ("from provenance.limits import Limits, apply_memory_limit\n"
            "from provenance.pipeline import _message\n"
            "apply_memory_limit(Limits(max_memory_mb=4096))\n"
            "print(_message(RuntimeError('mkl_malloc: failed to allocate memory')))\n"
            "print(_message(RuntimeError('unrelated failure')))\n")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].startswith("stopped at the memory limit ([limits] max_memory_mb = 4096)"), out
    assert "mkl_malloc" in out[0] and out[1] == "RuntimeError: unrelated failure", out


@pytest.mark.slow
def test_a_two_worker_batch_of_big_stills_stays_under_1_gib_a_process(png16: Path, tmp_path: Path) -> None:
    """N1: a 2-worker batch of 99 MP stills peaked at 1.42 GB. A worker verifies one file at a time, so each
    process holds its libraries plus one decode within the bound: the largest process of the tree (the CLI or a
    Dask worker, as the launcher's wait4 reports it) stays under 1 GiB, and every still is reported."""
    folder = tmp_path / "stills"
    folder.mkdir()
    (folder / png16.name).write_bytes(png16.read_bytes())
    (folder / "webp_60mp.webp").write_bytes(make_corpus.big_webp())
    (folder / "anim.webp").write_bytes(make_corpus.animated_webp(lossless=True))
    run = run_cli("batch", folder, "--pipeline", "quick", "--out", tmp_path / "out", "--workers", "2", "--quiet",
                  env=_env(tmp_path), timeout=600)
    assert not TRACEBACK.search(run.stderr), run.stderr[-3000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [f["status"] for f in summary["files"]] == ["ok"] * 3, summary["files"]
    assert run.peak_rss_kb < PEAK_RSS_MAX_KB, f"peak RSS {run.peak_rss_kb / 1024:.0f} MiB"


# -- issue 14 round 3: stills past the decode bound that a reader other than the visual stage decoded (H2-H4, M1)


@pytest.fixture(scope="module")
def png16_exif_150mp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("png16x") / "rgba16_150mp_exif.png"
    path.write_bytes(make_corpus.png_rgba16_photo(12247, exif=True))
    return path


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_still_over_max_pixels_is_not_decoded_by_the_metadata_stage(pipeline: str, png16_exif_150mp: Path,
                                                                      tmp_path: Path) -> None:
    """H3: a 150 MP 16-bit PNG with a phone's EXIF. The visual stage refused its pixels, but the metadata stage's
    FFmpeg probe (av.open decodes a still's first picture) took `verify` to 1.33 GB. Now its tags are read by
    the readers that decode nothing, the container reader says why it was not run, and the peak stays under
    1 GiB under quick and the default profile alike."""
    run, report = _verify(png16_exif_150mp, tmp_path, pipeline)
    assert run.code == 1 and report is not None, run.stderr
    assert "[limits] max_pixels" in _stage_error(report, "visual"), report["errors"]
    meta = report["metadata"]
    assert meta["status"] == "ok" and "samsung" in json.dumps(meta["device"]).lower(), meta
    assert meta["readers"]["container"].startswith("not read: FFmpeg's container probe"), meta["readers"]


def test_load_image_honours_max_pixels_by_itself(png16_exif_150mp: Path) -> None:
    """Any stage that decodes a still through visual/frames.load_image is bounded by it (the text stage's H1):
    past [limits] max_pixels it refuses naming the setting, without its caller's check; 0 turns the limit off
    and leaves the decode memory bound, which decodes this one reduced."""
    from provenance.visual.frames import FrameError, load_image

    with pytest.raises(FrameError, match=r"150 MP\) is over the limit of 100 MP \(\[limits\] max_pixels\)"):
        load_image(png16_exif_150mp)
    with pytest.raises(FrameError, match=r"over the limit of 120 MP \(\[limits\] max_pixels\)"):
        load_image(png16_exif_150mp, max_pixels=120_000_000)


def test_index_add_refuses_the_pixels_verify_refuses(png16_exif_150mp: Path, tmp_path: Path) -> None:
    """M1: `index add` indexed the 150 MP still `verify` refuses (and over 179 MP said Pillow's raw "could be
    decompression bomb DOS attack"). Now it is refused, naming [limits] max_pixels, and nothing is added."""
    run = run_cli("index", "add", png16_exif_150mp, "--id", "p150", env=_env(tmp_path))
    assert run.code == 2, (run.code, run.stderr)
    assert "over the limit of 100 MP ([limits] max_pixels)" in run.stderr, run.stderr
    assert "DOS attack" not in run.stderr and not TRACEBACK.search(run.stderr)
    assert run.peak_rss_kb <= PEAK_RSS_MAX_KB
    listed = run_cli("index", "list", env=_env(tmp_path))
    assert "p150" not in listed.stdout, listed.stdout


def test_jpeg_xl_size_is_read_from_its_header() -> None:
    """libjxl's Pillow plugin decodes a whole picture to open it, so the size is read from the SizeHeader first
    (sniff.jxl_size): it must agree with what libjxl says for sizes the header codes each way (small multiples
    of 8, a fixed aspect ratio, any other) and for the shared corpus's JXL in its ISO BMFF container."""
    import io

    from PIL import Image

    from provenance.sniff import jxl_size

    for size in ((256, 128), (1920, 1080), (1001, 777), (640, 640)):
        data = make_corpus.flat_jpeg_xl(*size)
        assert jxl_size(data) == size == Image.open(io.BytesIO(data)).size
    corpus_jxl = Path("/work/shared/corpus/c2pa/sample1.jxl")
    if corpus_jxl.exists():
        assert jxl_size(corpus_jxl.read_bytes()[:65536]) == Image.open(corpus_jxl).size


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_jpeg_xl_past_the_decode_bound_is_refused_naming_it(pipeline: str, tmp_path: Path) -> None:
    """H2: JPEG XL decodes at ~15 bytes a pixel (a 98 MP one took `verify` to 1.59 GB) and has no reduced decode
    here: 49 MP (735 MiB whole) is refused before Pillow opens it, naming the bound; its metadata is reported."""
    path = tmp_path / "flat_49mp.jxl"
    path.write_bytes(make_corpus.flat_jpeg_xl(7000, 7000))
    run, report = _verify(path, tmp_path, pipeline)
    assert run.code == 1 and report is not None, run.stderr
    assert report["media"]["kind"] == "image" and report["metadata"]["status"] == "ok"
    assert "JPEG XL has no reduced decode here" in _stage_error(report, "visual"), report["errors"]


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_jpeg_2000_past_the_decode_bound_is_decoded_reduced(pipeline: str, tmp_path: Path) -> None:
    """H2: OpenJPEG holds ~19.5 bytes a pixel decoding whole (81 MP: 1.67 GB). A 36 MP one (702 MiB whole) is
    decoded at 1/8 through OpenJPEG's resolution reduction: exit 0, the photograph hashed, under 1 GiB."""
    from provenance.visual.frames import load_image

    path = tmp_path / "astronaut_36mp.jp2"
    path.write_bytes(make_corpus.jpeg2000_photo(6000))
    run, report = _verify(path, tmp_path, pipeline)
    assert run.code == 0 and report["visual"]["status"] == "ok", run.stderr
    picture = load_image(path)
    assert max(picture.shape[:2]) == 512 and _looks_like_astronaut(picture) < 12


def test_a_small_openexr_is_media_under_the_1024_limit(tmp_path: Path) -> None:
    """H4: under max_memory_mb = 1024 a valid EXR was exit 2 "not a media file (... FFmpeg's guess 'exr_pipe'
    decodes to no frame)". OpenEXR is now known by its magic number and sized before any decode."""
    path = tmp_path / "small.exr"
    path.write_bytes(make_corpus.openexr(320, 240))
    run, report = _verify(path, tmp_path, _profile(tmp_path, "max_memory_mb = 1024"))
    # (exit 1 while the text stage cannot decode stills only FFmpeg reads, issue 14 M2: the text stage's own)
    assert run.code in (0, 1) and report is not None, run.stderr
    assert report["media"]["kind"] == "image" and report["visual"]["status"] == "ok", report["errors"]
    assert "not a media file" not in run.stderr


@pytest.mark.slow
def test_an_openexr_past_the_decode_bound_is_refused_before_decoding(tmp_path: Path) -> None:
    """H4: FFmpeg decodes an EXR whole (no reduced decode); a 70 MP float RGBA one took `verify` to 1.28 GB with
    every stage off. Its declared size at its pixel format (42 MP x 17 bytes: 718 MiB) is refused at ingest,
    exit 2, naming the bound, in a fraction of that memory."""
    path = tmp_path / "black_42mp.exr"
    path.write_bytes(make_corpus.openexr(6500, 6500))
    run, _ = _verify(path, tmp_path)
    assert run.code == 2, run.stderr
    assert "a fixed bound that keeps a run within 1 GiB" in run.stderr, run.stderr
    assert "not a media file" not in run.stderr and "(the 1 GiB memory bound)" not in run.stderr, run.stderr
    assert run.peak_rss_kb < 400 * 1024, f"peak RSS {run.peak_rss_kb / 1024:.0f} MiB: it was decoded"


@pytest.mark.slow
def test_an_animated_webp_of_frames_past_the_bound_is_refused_as_readme_says(tmp_path: Path) -> None:
    """L2: README says animations whose frames pass the decode bound are refused (exit 2); an animated WebP of
    98 MP frames got exit 1 "the decoder that reduces it (ffmpeg) cannot read it" (FFmpeg plays no animated
    WebP, and Pillow's decoder holds 16 bytes a pixel). 42 MP frames (641 MiB): exit 2, the bound named."""
    path = tmp_path / "anim_42mp.webp"
    path.write_bytes(make_corpus.animated_webp(lossless=False, size=(7000, 6000)))
    run, _ = _verify(path, tmp_path)
    assert run.code == 2, run.stderr
    assert "animations and video cannot be" in run.stderr, run.stderr
    assert "a fixed bound that keeps a run within 1 GiB" in run.stderr, run.stderr


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_turned_100_mp_jpeg_is_turned_after_it_is_shrunk(pipeline: str, tmp_path: Path) -> None:
    """Round 4 M1: a 100 MP 4:4:4 JPEG with EXIF Orientation 6 took `verify` to 988 MB (standard): the turn
    copied the whole picture before it was shrunk (a second 400 MB). Now it is turned at hashing size: decoded
    whole once (400 MB) and upright (measured 508/615 MB quick/standard)."""
    from skimage import data

    from provenance.visual.frames import load_image

    path = tmp_path / "o6.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": the stored 10000x10000 landscape astronaut shows turned
    Image.fromarray(data.astronaut()).resize((10_000, 10_000)).save(path, quality=60, subsampling=0,
                                                                  exif=exif.tobytes())
    run, report = _verify(path, tmp_path, pipeline)
    assert run.code == 0 and report["visual"]["status"] == "ok", run.stderr
    assert run.peak_rss_kb < 760 * 1024, f"peak RSS {run.peak_rss_kb / 1024:.0f} MiB: a second full copy?"
    shown = load_image(path)
    upright = np.asarray(Image.fromarray(data.astronaut()).transpose(Image.Transpose.ROTATE_270))
    assert np.abs(shown.astype(int) - upright.astype(int)).mean() < 6, "not turned as the EXIF says"


def _big_photo(mode: str, width: int = 10_000, height: int = 8_600) -> Image.Image:
    """skimage's astronaut brought to ``width`` x ``height`` (86 MP: past the old plan's 8 bytes a pixel for
    RGBA and 32-bit modes, 688 MB over the 640 MiB bound) in ``mode``."""
    from skimage import data

    if mode == "F":  # floats in 0-1
        grey = Image.fromarray(data.astronaut()).convert("L").resize((width, height))
        return Image.fromarray(np.asarray(grey, np.float32) / np.float32(255), mode)
    if mode == "I":  # 32-bit integers past 16 bits
        grey = Image.fromarray(data.astronaut()).convert("L").resize((width, height))
        return Image.fromarray(np.asarray(grey, np.int32) * np.int32(65_537), mode)
    return Image.fromarray(data.astronaut()).convert(mode).resize((width, height))


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "suffix"), [("F", "tif"), ("I", "tif"), ("RGBA", "tga")])
def test_32_bit_tiffs_and_rgba_tgas_past_the_bound_get_a_report(mode: str, suffix: str, tmp_path: Path) -> None:
    """Round 4 M2: a 99 MP float or int32 TIFF was sent to OpenCV (which reads no 32-bit samples: "the decoder
    that reduces it (opencv) cannot read it", with OpenCV's raw "[ WARN:0@...]" lines on stderr), and a 99 MP RLE
    RGBA TGA was refused ("755 MiB to decode even reduced"). Now the grey ones are shrunk before their 8-bit
    conversion and the RGBA one is shrunk a channel at a time: a report, under the bound, looking like itself."""
    from provenance.visual.frames import load_image

    path = tmp_path / f"big.{suffix}"
    _big_photo(mode).save(path, **({"compression": "tiff_adobe_deflate"} if suffix == "tif" else {"rle": True}))
    run, report = _verify(path, tmp_path)
    assert run.code == 0 and report["visual"]["status"] == "ok", run.stderr
    assert "WARN" not in run.stderr and "cannot read it" not in run.stderr, run.stderr
    grey = np.asarray(Image.fromarray(load_image(path)).convert("L"), float)
    want = np.asarray(_big_photo("L", *grey.shape[::-1]), float)
    assert np.abs(grey - want).mean() < 12, "the picture is not the astronaut"
