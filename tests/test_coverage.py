"""Decoded coverage: a partly decodable file says which time ranges decoded, per stream, against its declared
duration; a clean clip says it decoded whole (issue 14).

The damaged files are built by the hostile corpus's own builder (tests/hostile/make_corpus.py) from a real clip of
sample_media: bytes overwritten in the middle, a cut download, an audio track damaged on its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from provenance import verify
from provenance.audio.decode import decode_audio
from provenance.config import load_pipeline
from provenance.coverage import measure, short
from provenance.report.html import render_html
from provenance.report.markdown import render_markdown
from provenance.report.model import Report
from provenance.visual.frames import sample_video

from conftest import SAMPLES

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus

CLIPS = sorted(p for p in (SAMPLES / "clips").iterdir() if p.suffix == ".mp4") + \
    sorted(p for p in (SAMPLES / "known").iterdir() if p.suffix == ".mp4")


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("damaged")
    out = {}
    for kind in ("middle", "truncated", "audio"):
        out[kind] = root / f"{kind}.mp4"
        out[kind].write_bytes(make_corpus.damaged_real_clip(kind))
    return out


def _quick(path: Path, tmp_path: Path) -> Report:
    return verify(path, pipeline=load_pipeline("quick"), workspace=tmp_path / "ws")


@pytest.mark.slow
@pytest.mark.parametrize("clip", CLIPS, ids=[p.name for p in CLIPS])
def test_every_sample_clip_decodes_whole_and_says_so(clip: Path, tmp_path: Path) -> None:
    report = _quick(clip, tmp_path)
    c = report.visual.coverage
    assert c is not None and not short(c) and c.gaps == [] and c.ended_at_s is None and c.bad_packets == 0
    assert c.declared_s == pytest.approx(report.media.duration_s, abs=0.05)
    assert len(c.decoded) == 1 and c.decoded[0].start == 0.0 and c.decoded_s >= c.declared_s - 0.1
    assert c.frames_sampled == report.visual.frames_sampled and c.frames_decoded == report.visual.frames_decoded
    assert not report.errors and not any(f.code == "decoded_coverage" for f in report.findings)
    assert f"video: all {c.declared_s:.1f} s decoded" in render_markdown(report)
    assert f"video: all {c.declared_s:.1f} s decoded" in render_html(report)
    if report.media.audio is not None:  # the audio stage's decoder, without Whisper
        a = decode_audio(clip).coverage
        assert a is not None and not short(a) and a.gaps == [] and a.decoded_s >= a.declared_s - 0.1


def test_a_damaged_middle_is_a_gap_and_the_rest_still_decodes(damaged: dict[str, Path], tmp_path: Path) -> None:
    """40 KB overwritten in the middle of a real 14.6-s clip: before, decoding stopped there (6.2 s) and the
    report read as complete on the audio side; now the video goes on past the damage and the hole is named."""
    report = _quick(damaged["middle"], tmp_path)
    c = report.visual.coverage
    assert c is not None and short(c) and c.ended_at_s is None and c.bad_packets > 10
    assert c.declared_s == pytest.approx(14.56, abs=0.01)
    assert 5.5 < c.gaps[0].start < 7.0 and c.gaps[-1].end < 9.0  # the damaged stretch, nothing else
    assert c.decoded[0].start == 0.0 and c.decoded[-1].end == pytest.approx(14.56, abs=0.1)
    assert max(f.t for f in report.visual.frames) > 13.0  # frames after the damage were sampled and matched
    assert report.visual.status == "ok"
    [error] = report.errors
    assert error.stage == "visual" and "in the middle did not decode" in error.message
    [finding] = [f for f in report.findings if f.code == "decoded_coverage"]
    assert finding.severity == "warning" and finding.evidence["gaps"][0][0] == c.gaps[0].start
    assert not any(f.code == "stage_error" for f in report.findings)  # partial, not failed
    md, page = render_markdown(report), render_html(report)
    assert "in the middle did not decode" in md and "in the middle did not decode" in page
    assert 'class="bar undecoded"' in page  # the hole on the clip's timeline


def test_a_truncated_clip_says_where_decoding_stopped(damaged: dict[str, Path], tmp_path: Path) -> None:
    report = _quick(damaged["truncated"], tmp_path)
    c = report.visual.coverage
    assert c is not None and short(c) and c.gaps == [] and 7.5 < c.ended_at_s < 10.0
    assert c.declared_s == pytest.approx(14.56, abs=0.01) and c.limit is None
    message = f"decoding stopped at {c.ended_at_s:.1f} s of 14.6 s"
    assert [e.stage for e in report.errors] == ["visual"] and message in report.errors[0].message
    assert any(f.code == "decoded_coverage" and message in f.message for f in report.findings)
    a = decode_audio(damaged["truncated"]).coverage
    assert a is not None and short(a) and 7.5 < a.ended_at_s < 10.0


def test_damage_in_the_audio_track_only(damaged: dict[str, Path], tmp_path: Path) -> None:
    """The video decodes whole; the audio decoder stops at the first damaged packet (5.0 s) and the audio's
    coverage says so. Through the audio stage itself: tests/test_hostile.py (real_damaged_audio.mp4, standard)."""
    video = sample_video(damaged["audio"]).coverage
    assert video is not None and not short(video)
    audio = decode_audio(damaged["audio"]).coverage
    assert audio is not None and short(audio) and audio.ended_at_s == pytest.approx(5.0, abs=0.1)
    assert audio.declared_s == pytest.approx(14.56, abs=0.05) and audio.bad_packets >= 1 and audio.error


def test_coverage_rules() -> None:
    frames = [(i / 25, (i + 1) / 25) for i in range(250)]  # 10 s at 25 fps
    assert not short(measure("video", frames, 10.0))
    hole = [f for f in frames if not 4.0 <= f[0] < 6.0]
    # a 2-s hole with packets in it is damage; without packets it is a variable-frame-rate pause
    with_packets = measure("video", hole, 10.0, packets=[f[0] for f in frames])
    assert [(g.start, g.end) for g in with_packets.gaps] == [(4.0, 6.0)] and with_packets.decoded_s == 8.0
    assert not short(measure("video", hole, 10.0, packets=[f[0] for f in hole]))
    # a short hole counts only when the decoder refused a packet in it
    small = [f for f in frames if not 4.0 <= f[0] < 4.2]
    assert not short(measure("video", small, 10.0))
    assert short(measure("video", small, 10.0, refused=[4.08]))
    # a tail cut by a configured cap is not a shortfall (its own finding says so); by damage it is
    head = frames[:100]
    assert not short(measure("video", head, 10.0, limit="[visual.frames] max_frames"))
    stopped = measure("video", head, 10.0, error="Invalid data")
    assert short(stopped) and stopped.ended_at_s == 4.0
    # a track that starts late is not missing its opening
    late = [(t + 3.0, e + 3.0) for t, e in frames[:175]]
    assert not short(measure("audio", late, 10.0, origin=3.0)) and short(measure("audio", late, 10.0))
