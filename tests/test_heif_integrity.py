"""An overwritten HEIC/AVIF is a damaged picture, not a complete one (issue 14, tester N3).

A tester overwrote 4 KB of a HEIC/AVIF with random bytes at 50% and 80% of the file (or zeroed 8 KB at 60%):
libheif and libavif decoded every copy without an error, 2-58% of the pixels off by more than 32 levels, and an
indexed photo then got "No match". The same damage to a JPEG fails its decode. These tests make the same damage
to real phone and camera files (tests/data/phone, the shared corpus) in the test's tmp dir, and check that every
undamaged HEIC/AVIF still passes clean.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from provenance.limits import BudgetExceeded, run_with_budget
from provenance.visual.heif_integrity import damage

from conftest import CORPUS, cli

PHONE = Path(__file__).parent / "data" / "phone"
# Every HEIF/AVIF of the phone set and the corpus but three: corrupted.hif is cut short (media._cut_heif's case),
# exiftool/QuickTime.heic is ExifTool's 3 KB stub whose items hold no picture (its decode fails anyway), and
# 200MP.heic is over [limits] max_pixels, never decoded (its 817 tiles check clean in 7 s: the slow case below).
_SUFFIXES = (".heic", ".heif", ".avif", ".avifs")
CLEAN = sorted(p for p in PHONE.iterdir() if p.suffix in _SUFFIXES and p.name not in ("200MP.heic", "corrupted.hif"))
CLEAN += sorted(p for p in CORPUS.glob("*/*") if p.suffix in _SUFFIXES and p.name != "QuickTime.heic")


def _overwrite(src: Path, dst: Path, *, at: float, size: int, zero: bool = False, seed: int = 14) -> Path:
    """A copy of ``src`` with ``size`` bytes at ``at`` (a fraction of the file) replaced by random bytes or zeros:
    the tester's damage (a bad sector, a broken transfer), the file's length unchanged."""
    raw = bytearray(src.read_bytes())
    start = int(len(raw) * at)
    count = min(size, len(raw) - start)
    raw[start : start + count] = bytes(count) if zero else random.Random(seed).randbytes(count)
    dst.write_bytes(bytes(raw))
    return dst


def _differing_share(a: Path, b: Path) -> float:
    """Share of pixels whose largest channel difference exceeds 32 levels: what a viewer of the damaged copy sees."""
    import numpy as np

    with Image.open(a) as one, Image.open(b) as two:
        x, y = np.asarray(one.convert("RGB"), dtype=np.int16), np.asarray(two.convert("RGB"), dtype=np.int16)
    return float((np.abs(x - y).max(axis=2) > 32).mean())


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_every_real_heif_and_avif_passes_clean(path: Path) -> None:
    assert damage(path) is None


def test_pictures_encoded_here_pass_clean(tmp_path: Path) -> None:
    """libheif's x265 and libavif's AV1 encoder (through Pillow), at low and high quality."""
    photo = Image.fromarray(data.astronaut())
    for quality in (30, 95):
        for ext in ("heic", "avif"):
            path = tmp_path / f"astronaut_q{quality}.{ext}"
            photo.save(path, quality=quality)
            assert damage(path) is None, path.name


@pytest.mark.parametrize(
    ("name", "at", "size", "zero"),
    [("pug.heic", 0.5, 4096, False), ("pug.heic", 0.8, 4096, False), ("xiaomi.heic", 0.5, 4096, False),
     ("xiaomi.heic", 0.6, 8192, True), ("exif.avif", 0.5, 4096, False), ("exif.avif", 0.6, 8192, True),
     ("hopper.avif", 0.5, 4096, False), ("xmp_tags_orientation.avif", 0.8, 4096, False)],
)
def test_overwritten_copies_are_found_damaged(tmp_path: Path, name: str, at: float, size: int, zero: bool) -> None:
    src = PHONE / name
    copy = _overwrite(src, tmp_path / name, at=at, size=size, zero=zero)
    assert _differing_share(src, copy) > 0.005  # the damage shows: libheif/libavif decode it without an error
    found = damage(copy)
    assert found is not None and found.damaged >= 1 and found.checked >= found.damaged


def test_a_damaged_heic_fails_the_visual_stage_with_the_reason(tmp_path: Path) -> None:
    """Like the JPEG with the same damage: the visual stage fails (exit 1) and says why; metadata is still read."""
    copy = _overwrite(PHONE / "pug.heic", tmp_path / "pug.heic", at=0.5, size=4096)
    code, out, err = cli("verify", copy, "--pipeline", "quick", "--json", "--out", tmp_path / "out")
    assert code == 1, err
    report = json.loads(out)
    assert report["visual"]["status"] == "error"
    [error] = [e for e in report["errors"] if e["stage"] == "visual"]
    assert "coded picture data is damaged" in error["message"] and "of its 48 picture items" in error["message"]
    assert any(f["code"] == "stage_error" and "damaged" in f["message"] for f in report["findings"])
    assert report["metadata"]["status"] == "ok" and report["metadata"]["device"]["model"] == "iPhone 13 Pro"
    page = next((tmp_path / "out").glob("*/report.md")).read_text()
    assert "coded picture data is damaged" in page


def test_a_damaged_copy_of_an_indexed_avif_is_not_reported_as_no_match(tmp_path: Path) -> None:
    """The tester's case: the original indexed, an overwritten copy verified. Before: visual ok, "No match"
    (exit 0). Now: the pixels are not compared, and the report says the picture is damaged."""
    assert cli("index", "add", PHONE / "exif.avif")[0] == 0
    copy = _overwrite(PHONE / "exif.avif", tmp_path / "exif.avif", at=0.5, size=4096)
    code, out, err = cli("verify", copy, "--pipeline", "quick", "--json", "--out", tmp_path / "out")
    report = json.loads(out)
    assert code == 1, err
    assert report["visual"]["status"] == "error" and report["visual"]["matches"] == []
    codes = {f["code"] for f in report["findings"]}
    assert "no_known_match" not in codes and "stage_error" in codes
    # control: the undamaged original matches itself
    code, out, _ = cli("verify", PHONE / "exif.avif", "--pipeline", "quick", "--json", "--out", tmp_path / "out2")
    assert code == 0 and json.loads(out)["visual"]["matches"]


def test_a_damaged_copy_is_not_indexed_as_a_reference(tmp_path: Path) -> None:
    """The other side of the match: garbled tiles indexed as the reference would make the real photo's match
    fail later. ``index add`` refuses the copy with the reason (exit 2) and indexes the original."""
    copy = _overwrite(PHONE / "xiaomi.heic", tmp_path / "xiaomi.heic", at=0.6, size=8192, zero=True)
    code, _out, err = cli("index", "add", copy)
    assert code != 0 and "coded picture data is damaged" in err
    code, _out, err = cli("index", "add", PHONE / "xiaomi.heic")
    assert code == 0, err


@pytest.mark.slow
def test_a_200_mp_phone_heic_passes_clean() -> None:
    assert damage(PHONE / "200MP.heic") is None


def test_the_check_stops_at_the_stage_deadline() -> None:
    """The check runs inside the visual stage's budget: it looks at the deadline between items, so a stage out of
    time stops within one tile's decode (~20 ms) instead of finishing all 50 (~1 s)."""
    outcome = run_with_budget(lambda: damage(PHONE / "pug.heic"), 0.01, "visual")
    assert isinstance(outcome.error, BudgetExceeded) and "[visual] budget_s" in str(outcome.error)
    assert outcome.seconds < 0.5
