"""The pipeline as a whole: profiles, stage isolation, and the findings a user reads."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from provenance import load_pipeline, verify
from provenance.config import Pipeline
from provenance.report.writer import to_json


def test_profiles_load_and_differ(tmp_path: Path) -> None:
    standard, quick = load_pipeline("standard"), load_pipeline("quick")
    assert standard.audio.enabled and not quick.audio.enabled and quick.visual.enabled and quick.metadata.enabled
    assert standard.visual.matching.max_distance == 31 and standard.visual.matching.min_quality == 50
    assert standard.digest != quick.digest
    custom = tmp_path / "mine.toml"
    custom.write_text('[visual.frames]\ninterval_s = 0.5\n[audio]\nenabled = false\n[metadata]\nbudget_s = 5\n')
    mine = load_pipeline(custom)
    assert mine.name == "mine" and mine.visual.frames.interval_s == 0.5 and not mine.audio.enabled
    assert mine.metadata.budget == 5.0 and mine.visual.budget == 900.0 and mine.visual.matching.mirror
    # a profile in the layout before per-stage tables means the same settings
    custom.write_text('[frames]\ninterval_s = 0.5\n[stages]\naudio = false\n[limits]\nmetadata_budget_s = 5\n')
    assert load_pipeline(custom) == mine and load_pipeline(custom).digest == mine.digest
    for bad in ("[frames]\ninterval = 2\n", "[visual.frames]\ninterval = 2\n", "[visual]\nbudget_s = -1\n",
                "[sound]\nenabled = false\n"):
        custom.write_text(bad)
        with pytest.raises(ValueError, match=r"unknown|budget_s"):
            load_pipeline(custom)


def _clip_with_corrupt_audio(src: Path, out: Path) -> Path:
    """Good H.264 video beside an AAC track whose packets are random bytes."""
    with av.open(str(src)) as inp, av.open(str(out), "w") as c:
        vs = c.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = 640, 272, "yuv420p"
        audio = c.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for frame in inp.decode(video=0):
            frame.pts = None
            for packet in vs.encode(frame.reformat(format="yuv420p")):
                c.mux(packet)
        for packet in vs.encode():
            c.mux(packet)
        rng = np.random.default_rng(0)
        for i in range(300):
            packet = av.Packet(rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
            packet.stream, packet.pts, packet.dts = audio, i * 1024, i * 1024
            packet.time_base = Fraction(1, 48000)
            c.mux(packet)
    return out


@pytest.mark.slow
def test_corrupt_audio_track_does_not_cost_the_visual_match(samples: Path, tmp_path: Path) -> None:
    from provenance import KnownImageryIndex, Workspace

    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([samples / "clips" / "unrelated.mp4"], id="bikes", first_seen="2020-01-01")
    clip = _clip_with_corrupt_audio(samples / "clips" / "unrelated.mp4", tmp_path / "bad_audio.mp4")
    report = verify(clip, index=index)
    assert report.media.audio is not None
    assert report.audio.status == "error" and [e.stage for e in report.errors] == ["audio"]
    assert "audio track" in report.errors[0].message
    assert report.visual.status == "ok" and report.visual.matches[0].reference_id == "bikes"
    assert report.metadata.status == "ok"
    assert "stage_error" in {f.code for f in report.findings}


def test_gps_and_capture_time_become_findings(tmp_path: Path, samples: Path) -> None:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 80D"
    exif.get_ifd(0x8769)[0x9003] = "2023:10:06 22:53:51"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (50.0, 27.0, 0.36)  # 50.4501 N
    gps[3], gps[4] = "E", (30.0, 31.0, 24.12)  # 30.5234 E
    photo = tmp_path / "geotagged.jpg"
    with Image.open(samples / "known" / "photo_coins.jpg") as img:
        img.save(photo, "JPEG", exif=exif, quality=90)
    report = verify(photo, pipeline="quick")
    codes = {f.code: f for f in report.findings}
    assert codes["gps_present"].evidence["lat"] == pytest.approx(50.4501, abs=1e-4)
    assert codes["gps_present"].evidence["lon"] == pytest.approx(30.5234, abs=1e-4)
    assert codes["capture_time"].evidence["capture_time"].startswith("2023-10-06T22:53:51")
    assert "Canon EOS 80D" in codes["device"].message
    assert "no_capture_metadata" not in codes


@pytest.mark.slow
def test_reencoded_reuse_shows_reencode_trace_and_first_seen(samples: Path, tmp_path: Path) -> None:
    from provenance import KnownImageryIndex, Workspace

    index = KnownImageryIndex(Workspace(tmp_path / "ws"))
    index.add([samples / "known" / "archive_footage.mp4"], first_seen="2019-03-14")
    report = verify(samples / "clips" / "reuse_edited.mp4", pipeline="quick", index=index)
    codes = {f.code: f for f in report.findings}
    assert "2019-03-14" in codes["known_imagery_match"].message
    assert codes["known_imagery_match"].severity == "warning"
    assert "reencode_trace" in codes and "no_capture_metadata" not in codes  # it carries a creation_time
    assert report.audio.status == "skipped"
    assert json.loads(to_json(report))["pipeline"]["name"] == "quick"


@pytest.mark.slow
@pytest.mark.parametrize(("clip", "code"), [("speech_ru.mp4", "ru"), ("speech_en.mp4", "en")])
def test_speech_clips_report_their_language(samples: Path, clip: str, code: str) -> None:
    report = verify(samples / "clips" / clip, pipeline=Pipeline())
    assert report.audio.status == "ok" and report.audio.language.code == code
    assert report.audio.language.probability > 0.8 and len(report.audio.language.top) == 3
    assert report.audio.segments and all(s.text for s in report.audio.segments)
    assert {f.code for f in report.findings} >= {"spoken_language"}
    assert report.errors == []
