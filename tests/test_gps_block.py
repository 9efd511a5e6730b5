"""A GPS block with no position is not "no GPS" (issue 14, tester D8).

A camera whose receiver had no fix writes a GPS IFD holding only GPSVersionID; an editor that strips the position
may leave the block behind. ExifTool shows the block; the report said nothing at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from skimage import data
from test_metadata import MODES

from provenance import verify

from conftest import cli


def _photo(path: Path, gps: dict) -> Path:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x8825] = gps  # GPSInfo IFD
    Image.fromarray(data.astronaut()).save(path, "JPEG", exif=exif.tobytes(), quality=90)
    return path


def test_a_gps_block_holding_only_its_version_is_said_to_have_no_position(tmp_path: Path) -> None:
    path = _photo(tmp_path / "no_fix.jpg", {0: b"\x02\x02\x00\x00"})
    report = verify(path, pipeline="quick")
    meta = report.metadata
    assert meta.gps is None
    check = next(c for c in meta.consistency if c.code == "gps_no_position")
    assert check.message.startswith("GPS block present without a position")
    assert "GPSVersionID" in json.dumps(check.evidence)
    assert "gps_no_position" in {f.code for f in report.findings}
    code, _out, err = cli("verify", path, "--pipeline", "quick", "--out", tmp_path / "out")
    assert code in (0, 1), err
    page = next((tmp_path / "out").glob("*/report.md")).read_text()
    assert "**GPS:** block present without a position" in page


def test_a_gps_block_with_a_position_gives_it_and_no_such_check(tmp_path: Path) -> None:
    """Control: the same photo with latitude and longitude (Kyiv) reads as a position, not as an empty block."""
    gps = {0: b"\x02\x02\x00\x00", 1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 24.0)}
    meta = verify(_photo(tmp_path / "fix.jpg", gps), pipeline="quick").metadata
    assert meta.gps is not None and abs(meta.gps.lat - 50.45) < 1e-6 and abs(meta.gps.lon - 30.5233) < 1e-4
    assert not any(c.code.startswith("gps_") and c.code != "gps_present" for c in meta.consistency)


@pytest.mark.parametrize("with_exiftool", MODES)
def test_a_position_without_its_hemisphere_is_unknown_not_a_position(
    tmp_path: Path, with_exiftool: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tester N7: GPSLatitude/GPSLongitude without GPSLatitudeRef/GPSLongitudeRef was reported as "GPS position
    50.00000, 30.00000". Without N/S and E/W the numbers fit four points (Kyiv's 50 N 30 E, or 50 S 30 W in the
    South Atlantic ...): the report says the place is unknown and why, in JSON, Markdown and HTML."""
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "exiftool" if with_exiftool else "0")
    path = _photo(tmp_path / "no_ref.jpg", {0: b"\x02\x02\x00\x00", 2: (50.0, 0.0, 0.0), 4: (30.0, 0.0, 0.0)})
    code, out, err = cli("verify", path, "--pipeline", "quick", "--json", "--out", tmp_path / "out")
    assert code in (0, 1), err
    report = json.loads(out)
    assert report["metadata"]["gps"] is None
    findings = {f["code"]: f["message"] for f in report["findings"]}
    assert "gps_present" not in findings
    message = findings["gps_no_hemisphere"]
    assert "50.00000, 30.00000 without GPSLatitudeRef and GPSLongitudeRef" in message
    assert "Where it was taken is unknown" in message and "not a usable position" in message
    folder = next((tmp_path / "out").glob("*/report.md")).parent
    assert "**GPS:** unknown: latitude and longitude without N/S or E/W" in (folder / "report.md").read_text()
    assert "unknown: latitude and longitude without N/S or E/W" in (folder / "report.html").read_text()


def test_one_missing_reference_is_enough_to_make_the_position_unknown(tmp_path: Path) -> None:
    """The latitude's N is there, the longitude's E/W is not: 30 E and 30 W are 4,300 km apart at 50 N."""
    gps = {1: "N", 2: (50.0, 0.0, 0.0), 4: (30.0, 0.0, 0.0)}
    meta = verify(_photo(tmp_path / "no_lon_ref.jpg", gps), pipeline="quick").metadata
    assert meta.gps is None
    [check] = [c for c in meta.consistency if c.code == "gps_no_hemisphere"]
    assert "without GPSLongitudeRef:" in check.message and "GPSLatitudeRef" not in check.message.split(":")[0]


def test_a_claimed_place_is_not_checked_against_a_position_without_hemisphere(tmp_path: Path) -> None:
    """A claim "taken in Kyiv" against GPS 50, 30 without N/S and E/W: neither supports nor contradicts (the
    numbers fit Kyiv and three other points), and the claim check says why rather than "no GPS"."""
    from provenance.claims import Claim, check_location

    report = verify(_photo(tmp_path / "no_ref.jpg", {2: (50.0, 27.0, 0.0), 4: (30.0, 31.0, 24.0)}), pipeline="quick")
    claim = Claim(id="c1", statement="taken in Kyiv", place="Kyiv", lat=50.45, lon=30.5233)
    assessment = check_location(claim, report)
    assert assessment.result == "unknown"
    assert "no usable GPS position" in assessment.detail and "without GPSLatitudeRef" in assessment.detail


@pytest.mark.parametrize("with_exiftool", [True, False])
def test_an_invalid_reference_is_named_invalid_not_missing(
    tmp_path: Path, with_exiftool: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 round 3, L1: GPSLatitudeRef "X" was reported "without GPSLatitudeRef", but the file has one, and
    it is invalid: a reader checking the file with ExifTool would see the tag and doubt the report."""
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "exiftool" if with_exiftool else "0")
    gps = {1: "X", 2: (50.0, 0.0, 0.0), 3: "E", 4: (30.0, 0.0, 0.0)}
    meta = verify(_photo(tmp_path / "ref_x.jpg", gps), pipeline="quick").metadata
    assert meta.gps is None
    [check] = [c for c in meta.consistency if c.code == "gps_no_hemisphere"]
    assert "with an invalid GPSLatitudeRef 'X' (N or S expected)" in check.message, check.message
    assert "without GPSLatitudeRef" not in check.message and "GPSLongitudeRef" not in check.message
