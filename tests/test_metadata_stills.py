"""Photos FFmpeg cannot read well get a report: HEIC/HEIF through pillow-heif (libheif), AVIF through Pillow, and a
file whose pixels no reader decodes but whose metadata reads gets its metadata and a visual-stage error (exit 1).

The HEICs are made by the hostile corpus script (tests/hostile/make_corpus.py: a real photograph through libheif's
x265 encoder with a Galaxy phone's EXIF); the others are real files of ../shared/corpus (its README gives origins).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from provenance import verify
from provenance.media import probe

from conftest import CORPUS, cli

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus


@pytest.fixture(autouse=True)
def _no_exiftool(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's own readers must find the photo's metadata; ExifTool is optional on a user's machine."""
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "0")


def test_a_phone_heic_is_a_photo_with_its_metadata(tmp_path: Path) -> None:
    path = tmp_path / "20240517_184207.heic"
    path.write_bytes(make_corpus.phone_heic())
    media = probe(path)
    assert (media.kind, media.container) == ("image", "heif")  # FFmpeg alone made it a one-frame "video"
    assert media.video is not None and (media.video.width, media.video.height) == (451, 300)
    report = verify(path, pipeline="quick")
    assert report.visual.status == "ok" and report.visual.frames_sampled == 1
    meta = report.metadata
    assert meta.capture_time == "2024-05-17T18:42:07+02:00" and meta.timezone == "+02:00"
    assert (meta.device.make, meta.device.model) == ("samsung", "SM-S911B")
    assert meta.gps is not None and abs(meta.gps.lat - 52.52014) < 1e-4 and abs(meta.gps.lon - 13.40083) < 1e-4


def test_undecodable_heic_gets_a_metadata_report_and_a_visual_error(tmp_path: Path) -> None:
    """A HEIC in a codec no reader has: not "not a media file" (exit 2) but its metadata and a stage error."""
    path = tmp_path / "IMG_unknown_codec.heic"
    path.write_bytes(make_corpus.phone_heic(damage="codec"))
    code, out, err = cli("verify", path, "--pipeline", "quick", "--json", "--out", tmp_path / "out")
    assert code == 1, err
    report = json.loads(out)
    assert report["media"]["kind"] == "image" and report["media"]["video"] is None
    assert report["visual"]["status"] == "error"
    assert "visual stage failed: cannot decode image: no decoder reads its pixels" in err
    assert report["metadata"]["capture_time"] == "2024-05-17T18:42:07+02:00"
    assert report["metadata"]["device"]["model"] == "SM-S911B"


def test_bytes_that_only_start_like_a_photo_are_still_refused(tmp_path: Path) -> None:
    """The metadata-only path needs metadata: a HEIC header followed by noise is no report (exit 2)."""
    head = make_corpus.phone_heic(damage="codec")[:24]
    path = tmp_path / "noise.heic"
    path.write_bytes(head + bytes(range(256)) * 40)
    code, _out, err = cli("verify", path, "--pipeline", "quick", "--out", tmp_path / "out")
    assert code == 2 and "provenance: error:" in err, err


needs_corpus = pytest.mark.skipif(not (CORPUS / "index.json").is_file(), reason=f"corpus not found at {CORPUS}")


@needs_corpus
@pytest.mark.parametrize(("name", "kind", "fmt", "visual"), [
    ("c2pa/sample1.heif", "image", "heif", "ok"),
    ("c2pa/sample1.avif", "image", "avif", "ok"),
    ("exiftool/QuickTime.heic", "image", "heif", "error"),  # ExifTool's stub: payload cut out
    ("exiftool/CanonRaw.cr3", "image", "cr3", "error"),  # a raw photo: no decoder here, EXIF readable
])
def test_real_stills_of_the_corpus_get_a_report(name: str, kind: str, fmt: str, visual: str) -> None:
    report = verify(CORPUS / name, pipeline="quick")
    assert (report.media.kind, report.media.container) == (kind, fmt)
    assert report.visual.status == visual and report.metadata.status == "ok"
    if name.endswith(".cr3"):  # ExifTool's gold: Canon EOS M50, DateTimeOriginal 2018:02:21 12:08:56
        assert report.metadata.device.model == "Canon EOS M50"
        assert report.metadata.capture_time.startswith("2018-02-21T12:08:56")


@needs_corpus
@pytest.mark.parametrize(("name", "capture"), [
    ("exiftool/ASF.wmv", "2004-10-28T17:23:34"),  # ExifTool's gold: ASF:CreationDate 2004:10:28 17:23:34Z
    ("exiftool/Real.rm", "2004-12-05T09:54:03"),
    ("exiftool/Red.r3d", "2016-01-18T21:35:55"),
    ("exiftool/Matroska.mkv", "2010-02-03T21:17:48"),
])
def test_clips_no_decoder_opens_get_their_metadata(name: str, capture: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """ExifTool's stubs (payload cut out): FFmpeg opens none of them; their dates are what the desk needs."""
    from provenance.metadata import exiftool

    monkeypatch.delenv("PROVENANCE_EXIFTOOL")
    if exiftool.executable() is None:
        pytest.skip("ExifTool is not installed (ASF, RealMedia and R3D dates are read by it)")
    report = verify(CORPUS / name, pipeline="quick")
    assert report.media.kind == "video" and report.media.video is None
    assert report.visual.status == "error" and report.metadata.capture_time.startswith(capture)


def test_a_heic_item_location_flood_is_read_in_bounded_time(tmp_path: Path) -> None:
    """exifread's own HEIC walker looped 2^32 - 1 times over zero-sized fields (194 s on a fuzzed file); the
    box reader hands EXIF over instead, so the metadata reads at once (and the pixels are another matter)."""
    import time

    from provenance.metadata import exif, extract

    path = tmp_path / "iloc.heic"
    path.write_bytes(make_corpus.phone_heic(damage="iloc"))
    started = time.monotonic()
    exif.read(path)
    section = extract(path, "image")
    assert time.monotonic() - started < 5.0
    assert section.status == "ok"


@needs_corpus
def test_a_51_megapixel_heic_decodes_without_copies(tmp_path: Path) -> None:
    """An 8736x5856 HEIC (c2pa sample1.heic) is 153 MB as RGB; the transposed and converted copies the still
    loader made took the CLI to 700 MiB. Each copy avoided is a sixth of the way to the 1 GiB bound."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_hostile import _env, run_cli

    run = run_cli("verify", CORPUS / "c2pa" / "sample1.heic", "--pipeline", "quick", "--out", tmp_path / "out",
                  env=_env(tmp_path))
    assert run.code == 0, run.stderr
    assert run.peak_rss_kb < 600 * 1024, run.peak_rss_kb // 1024


@pytest.mark.parametrize(("minutes", "seconds", "said"), [(75, 0, "GPSLatitude has 75 arc-minutes"),
                                                          (30, 60, "GPSLatitude has 60 arc-seconds")])
def test_gps_minutes_or_seconds_past_59_are_flagged_not_reported_as_a_position(
        minutes: int, seconds: int, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Round 4 L3: 50 deg 75' N read as 51.25 and was reported as a position, unflagged. EXIF writes minutes and
    seconds under 60: the position is rejected with its reason (and ExifTool's decimal of it is not used either)."""
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational
    from skimage import data

    from provenance.metadata import extract

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Google", "Pixel 7"
    exif[0x8825] = {1: "N", 2: (IFDRational(50), IFDRational(minutes), IFDRational(seconds)), 3: "E",
                    4: (IFDRational(30), IFDRational(0), IFDRational(0))}
    path = tmp_path / "gps.jpg"
    Image.fromarray(data.astronaut()).save(path, exif=exif, quality=90)
    section = extract(path, "image")
    assert section.gps is None
    invalid = [c for c in section.consistency if c.code == "gps_invalid"]
    assert invalid and said in invalid[0].message and "impossible value" in invalid[0].message, section.consistency
    exif[0x8825] = {1: "N", 2: (IFDRational(50), IFDRational(59), IFDRational(59)), 3: "E",
                    4: (IFDRational(30), IFDRational(0), IFDRational(0))}
    Image.fromarray(data.astronaut()).save(path, exif=exif, quality=90)
    assert extract(path, "image").gps.lat == pytest.approx(50 + 59 / 60 + 59 / 3600)
