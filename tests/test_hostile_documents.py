"""Files that hold more than one picture, or pictures inside a document (issue 14 round 4: H2 PDF, H3 multi-page
TIFF), and stills that carry no metadata (M3).

A desk asks "has this been published before?": a "No match" for pictures that were never looked at discredits the
tool. Each case runs the real CLI in a child process (tests/test_hostile.py's launcher) on pictures made from
scikit-image's photographs, against a real index made with `index add`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from skimage import data
from test_hostile import TRACEBACK, _env, run_cli


def _photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)())


def _index(tmp_path: Path, name: str) -> None:
    """Add skimage's ``name`` photo, saved as a PNG, to the workspace's known-imagery index as ``name``."""
    path = tmp_path / f"{name}.png"
    _photo(name).save(path)
    run = run_cli("index", "add", path, "--id", name, env=_env(tmp_path))
    assert run.code == 0 and "added" in run.stdout, run.stderr


def _verify(path: Path, tmp_path: Path, pipeline: str = "quick") -> tuple[object, dict]:
    run = run_cli("verify", path, "--pipeline", pipeline, "--json", "--out", tmp_path / "out", env=_env(tmp_path))
    assert not TRACEBACK.search(run.stderr), run.stderr
    assert run.code in (0, 1), (run.code, run.stderr)
    return run, json.loads(run.stdout)


def _codes(report: dict) -> dict[str, str]:
    return {f["code"]: f["message"] for f in report["findings"]}


def test_a_pdf_is_a_document_whose_pictures_are_not_called_unmatched(tmp_path: Path) -> None:
    """H2: a 3-page PDF (astronaut, coffee, cat) was verified as a 25 fps MJPEG "video" of its first page, and the
    indexed coffee picture on page 2 got "No match". Now: a document with its metadata, the visual stage failing
    with the reason (its pictures are not examined, extract them), exit 1, and no no-match wording anywhere."""
    _index(tmp_path, "coffee")
    pdf = tmp_path / "three.pdf"
    _photo("astronaut").save(pdf, save_all=True, append_images=[_photo("coffee"), _photo("chelsea")])
    run, report = _verify(pdf, tmp_path)
    assert run.code == 1, run.stderr
    assert report["media"]["kind"] == "document" and report["media"]["container"] == "pdf"
    assert report["media"]["video"] is None
    assert report["visual"]["status"] == "error"
    assert "a PDF document, not footage: its embedded pictures are not examined" in run.stderr, run.stderr
    assert "pdfimages" in run.stderr
    assert "no_known_match" not in _codes(report)
    assert "No match" not in run.stdout + run.stderr
    assert report["metadata"]["status"] == "ok"  # Pillow writes the PDF's CreationDate into its Info dictionary
    assert "PDF" in json.dumps(report["metadata"]["raw"])
    added = run_cli("index", "add", pdf, "--id", "doc", env=_env(tmp_path))
    assert added.code != 0 and "its embedded pictures are not examined" in added.stdout + added.stderr


def test_sniff_knows_a_pdf_by_its_header() -> None:
    from provenance.sniff import sniff

    assert sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj") == "pdf"
    assert sniff(b"%!PS-Adobe-3.0 EPSF-3.0\n") is None


def test_every_page_of_a_multi_page_tiff_is_examined(tmp_path: Path) -> None:
    """H3: a TIFF (astronaut, then the indexed coffee photo) was checked on page 1 only and said "No match",
    silently. Now each page is hashed and matched: the coffee on page 2 is found, and the report says how many
    pages were examined and which matched."""
    _index(tmp_path, "coffee")
    tiff = tmp_path / "two.tif"
    _photo("astronaut").save(tiff, save_all=True, append_images=[_photo("coffee")])
    run, report = _verify(tiff, tmp_path)
    assert run.code == 0, run.stderr
    assert report["media"]["video"]["frames"] == 2 and report["visual"]["frames_sampled"] == 2
    codes = _codes(report)
    assert "no_known_match" not in codes and "animated_first_frame_only" not in codes
    assert "Reuses known imagery 'coffee'" in codes["known_imagery_match"]
    assert codes["tiff_pages"] == ("A TIFF of 2 pages: 2 examined, each as a picture of its own; page 2 matched "
                                   "known imagery.")


def test_pages_past_the_cap_are_named_and_not_covered_by_no_match(tmp_path: Path) -> None:
    """H3, bounded: a TIFF of 70 pages (crops of skimage's photos) is examined up to limits.MAX_STILL_PAGES, one
    page decoded at a time; the notice says the pages after it were not checked, and the "No match" says it is
    for the pages examined only."""
    from provenance.limits import MAX_STILL_PAGES

    _index(tmp_path, "coffee")
    source = _photo("astronaut")
    pages = [source.crop((x, y, x + 160, y + 120)) for x in range(0, 350, 50) for y in range(0, 390, 39)][:70]
    assert len(pages) == 70
    tiff = tmp_path / "many.tif"
    pages[0].save(tiff, save_all=True, append_images=pages[1:])
    run, report = _verify(tiff, tmp_path)
    assert run.code == 1, run.stderr  # partly examined, as a PDF (round 5 L4)
    assert f"visual stage partly examined: a TIFF of more than {MAX_STILL_PAGES} pages" in run.stderr, run.stderr
    assert report["visual"]["frames_sampled"] == MAX_STILL_PAGES
    codes = _codes(report)
    assert codes["tiff_pages_not_examined"].startswith(f"A TIFF of more than {MAX_STILL_PAGES} pages: "
                                                       f"{MAX_STILL_PAGES} examined")
    assert f"pages after {MAX_STILL_PAGES}" in codes["tiff_pages_not_examined"]
    assert f"for the {MAX_STILL_PAGES} pages examined" in codes["no_known_match"]
    assert "animated" not in json.dumps(report["findings"])


@pytest.mark.parametrize("ext", ["dib", "icns", "im"])
def test_a_still_with_no_metadata_is_unknown_not_a_failed_stage(ext: str, tmp_path: Path) -> None:
    """M3: Pillow saves of skimage's astronaut as .dib/.icns/.im (no EXIF, no XMP; FFmpeg reads none of these
    formats, ExifTool says "Unknown file type") got "metadata stage failed" and exit 1. A file without metadata
    is "unknown": exit 0, the metadata section ok, and the usual no-capture-metadata notice."""
    path = tmp_path / f"astro.{ext}"
    _photo("astronaut").save(path)
    run, report = _verify(path, tmp_path)
    assert run.code == 0, run.stderr
    assert report["metadata"]["status"] == "ok" and "metadata stage failed" not in run.stderr
    assert "no_capture_metadata" in _codes(report)
    assert report["visual"]["status"] == "ok"


def test_a_cut_video_with_nothing_readable_still_fails_its_metadata_stage(tmp_path: Path) -> None:
    """The other side of M3: for video, which FFmpeg opened at ingest, nothing readable is a real read error."""
    from provenance.metadata import MetadataError, extract

    path = tmp_path / "bytes.mp4"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(MetadataError, match=r"no metadata could be read from bytes\.mp4"):
        extract(path, "video")
    assert extract(path, "image").status == "ok"


@pytest.mark.skipif(shutil.which("gs") is not None, reason="Ghostscript is installed: the EPS decodes")
def test_an_eps_without_ghostscript_says_so_once_in_words(tmp_path: Path) -> None:
    """L4: an EPS (Pillow's save of the astronaut) said Pillow's "Unable to locate Ghostscript on paths"; L1: the
    visual and text stages, which share the still decoder, printed that refusal twice word for word. Now a
    sentence for the user, said once; the second stage points at the first."""
    path = tmp_path / "astro.eps"
    _photo("astronaut").save(path)
    run, report = _verify(path, tmp_path, "standard")  # its text stage reads stills with the visual decoder
    assert run.code == 1, run.stderr
    assert "Unable to locate Ghostscript" not in run.stderr
    assert run.stderr.count("drawn by Ghostscript, which is not installed here") == 1, run.stderr
    assert "provenance: text stage failed: for the same reason as the visual stage" in run.stderr, run.stderr
    failed = [f["message"] for f in report["findings"] if f["code"] == "stage_error"]
    assert "The text stage failed: for the same reason as the visual stage." in failed, failed
    assert {e["stage"] for e in report["errors"]} == {"visual", "text"}  # the report keeps both errors whole


def test_a_multi_page_tiff_reference_shows_the_page_that_matched(tmp_path: Path) -> None:
    """An indexed multi-page TIFF is indexed page by page (frame t = page - 1); the evidence thumbnail of a match
    on its page 2 must be page 2, not page 1 for every page."""
    import io

    import numpy as np

    from provenance.fileio import sha256_file
    from provenance.visual.evidence import _reference_thumbnails

    tiff = tmp_path / "two.tif"
    _photo("astronaut").save(tiff, save_all=True, append_images=[_photo("coffee")])
    added = run_cli("index", "add", tiff, "--id", "pages", env=_env(tmp_path))
    assert added.code == 0 and "2 frames" in added.stdout, added.stdout + added.stderr
    thumbs = _reference_thumbnails(tiff, sha256_file(tiff), "image", [0.0, 1.0])

    def off(jpeg: bytes, name: str) -> float:
        got = Image.open(io.BytesIO(jpeg)).convert("RGB")
        want = _photo(name).convert("RGB").resize(got.size)
        return float(np.abs(np.asarray(got, float) - np.asarray(want, float)).mean())

    assert off(thumbs[0.0], "astronaut") < 12 and off(thumbs[1.0], "coffee") < 12
