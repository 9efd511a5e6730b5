"""Impossible or misleading values are said, not passed on: a negative Matroska duration, a GPS block that points
into padding ("present but unreadable", not "no GPS"), an Android slow-motion clip (how much real time it shows).

Every file is made by the hostile corpus script (tests/hostile/make_corpus.py) from a real encode or photograph.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from provenance import verify
from provenance.report.markdown import render_markdown

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus


@pytest.fixture(autouse=True)
def _no_exiftool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVENANCE_EXIFTOOL", "0")


def _codes(report: object) -> dict[str, object]:
    return {f.code: f for f in report.findings}  # type: ignore[attr-defined]


def test_a_negative_matroska_duration_is_unknown_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "minus.mkv"
    path.write_bytes(make_corpus.matroska_duration(make_corpus.clip(2.0, seed=7, fmt="matroska"), -1e12))
    report = verify(path, pipeline="quick")
    assert report.media.duration_s is None  # was -1,000,000,000 s
    flagged = _codes(report)["impossible_duration"]
    assert "impossible duration (-1e+09 s)" in flagged.message
    assert report.visual.status == "ok" and report.visual.frames_sampled >= 2  # the pictures are still read


def test_a_gps_block_pointing_into_padding_is_present_but_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "PXL_20240517.jpg"
    path.write_bytes(make_corpus.jpeg_gps_into_padding())
    report = verify(path, pipeline="quick")
    meta = report.metadata
    assert meta.gps is None and meta.readers["exif"] == "ok"
    finding = _codes(report)["gps_unreadable"]
    assert finding.message.startswith("GPS block present but unreadable")
    assert "- **GPS:** present but unreadable" in render_markdown(report)
    assert (meta.device.make, meta.device.model) == ("Google", "Pixel 7")


def test_no_gps_block_is_still_none_recorded(tmp_path: Path) -> None:
    """The control: the same photograph without a GPS pointer says "none recorded" and flags nothing."""
    path = tmp_path / "plain.jpg"
    data = make_corpus.jpeg_gps_into_padding()
    path.write_bytes(data.replace(b"\x25\x88\x04\x00", b"\x32\x01\x04\x00", 1))  # GPSInfo tag -> DateTime tag id
    report = verify(path, pipeline="quick")
    assert "gps_unreadable" not in _codes(report) and "- **GPS:** none recorded" in render_markdown(report)


def test_android_slow_motion_says_how_much_real_time_it_shows(tmp_path: Path) -> None:
    path = tmp_path / "VID_20240517_slowmo.mp4"
    path.write_bytes(make_corpus.android_slow_motion())
    report = verify(path, pipeline="quick")
    assert report.media.duration_s == pytest.approx(8.0, abs=0.05)
    finding = _codes(report)["slow_motion"]
    assert "recorded at 120 fps, played at 25 fps" in finding.message
    assert "about 1.7 s of real time" in finding.message
    assert finding.evidence["real_time_s"] == pytest.approx(8.0 * 25 / 120, abs=0.02)
