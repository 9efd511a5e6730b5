"""Issue 19: the report links the keyframes. `verify` (and `batch`) write the shot frames at the source's
resolution into the run folder (``keyframes/``), list them in report.json with time, size and SHA-256, and
report.html / report.md link each shot's thumbnail to its frame; `report check` finds a swapped frame.

The clip is made from real photographs (scikit-image): two 2-s shots, then an 8-s pan over a third photograph.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import cv2
import numpy as np
import pytest

from provenance.batch import BatchOptions, run_batch
from provenance.report.integrity import IntegrityError, digest_of, dumps, read_verified
from provenance.report.model import Report
from provenance.report.writer import write_report

from conftest import SAMPLES, cli_in_process, read_frames, write_clip

skdata = pytest.importorskip("skimage.data")

W, H, FPS = 960, 540, 25
CUTS = (2.0, 4.0)
EVERY = 3.0  # [visual.keyframes] every_s of the test profile: the 8-s pan gets two more frames
PROFILE = f"""name = "frames"
description = "the stages that read pictures, keyframes every {EVERY} s within a shot"
[audio]
enabled = false
[text]
enabled = false
[visual.keyframes]
every_s = {EVERY}
"""


def _fit(img: np.ndarray) -> np.ndarray:
    img = img if img.ndim == 3 else np.stack([img] * 3, axis=-1)
    return cv2.resize(img[..., :3], (W, H), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    astronaut, coffee = _fit(skdata.astronaut()), _fit(skdata.coffee())
    wide = cv2.resize(skdata.chelsea(), (W * 2, H), interpolation=cv2.INTER_AREA)
    frames = [astronaut] * int(CUTS[0] * FPS) + [coffee] * int((CUTS[1] - CUTS[0]) * FPS)
    frames += [np.ascontiguousarray(wide[:, i * 4:i * 4 + W]) for i in range(8 * FPS)]  # a pan: 4 px a frame
    folder = tmp_path_factory.mktemp("clips")
    return write_clip(folder / "three shots.mp4", frames, FPS, crf=20)


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "frames.toml"
    path.write_text(PROFILE)
    return path


class Links(HTMLParser):
    """Every href and src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name in ("href", "src"):
            value = dict(attrs).get(name)
            if value is not None:
                self.links.append((value, {"tag": tag, "class": dict(attrs).get("class")}))


def local_links(page: Path) -> list[tuple[str, dict[str, str | None]]]:
    """The page's links to files (not data: URIs, web addresses or anchors)."""
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return [(link, a) for link, a in parser.links
            if not link.startswith(("data:", "#")) and not urlsplit(link).scheme]


def resolve(page: Path, link: str) -> Path:
    return page.parent / unquote(urlsplit(link).path)


def check_links_resolve(folder: Path, keyframes: list[dict]) -> None:
    """report.html links every keyframe (the contact sheet's thumbnails and a "full" badge), every local link of
    the pages resolves relative to the page, and the keyframes index page links back to the report."""
    html = folder / "report.html"
    links = local_links(html)
    targets = {unquote(link) for link, _ in links}
    for f in keyframes:
        assert f["path"] in targets, f"report.html does not link {f['path']}"
    around_thumbs = [link for link, a in links if a["class"] == "keyframe"]
    assert {unquote(x) for x in around_thumbs} == {f["path"] for f in keyframes}
    for page in (html, folder / "keyframes" / "index.html"):
        for link, _ in local_links(page):
            assert resolve(page, link).is_file(), f"{page.name}: {link} does not resolve"
    assert any(resolve(folder / "keyframes" / "index.html", link).resolve() == html.resolve()
               for link, _ in local_links(folder / "keyframes" / "index.html"))
    md = (folder / "report.md").read_text()
    for f in keyframes:
        assert f"](<{f['path']}>)" in md and (folder / f["path"]).is_file()


def test_verify_writes_linked_full_resolution_frames_that_resolve_where_the_reports_go(
        clip: Path, profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports"
    code, _, err = cli_in_process(capsys, "verify", clip, "--pipeline", profile, "--out", out)
    assert code == 0, err
    (latest,) = [p for p in out.iterdir() if p.is_symlink()]
    data = json.loads((latest / "report.json").read_text())
    keys = data["visual"]["keyframes"]
    frames = keys["frames"]
    times = [f["t"] for f in frames]
    shots = [f["t"] for f in frames if f["shot_change"]]
    assert times[0] == 0.0 and len(shots) == 2
    assert all(abs(s - c) <= 0.25 for s, c in zip(shots, CUTS, strict=True))  # shot thumbnails every 0.2 s
    assert data["visual"]["shot_changes"] == pytest.approx(shots)
    extra = [t for t in times if t > CUTS[1] + 0.5]  # within the 8-s pan, one each EVERY s after its start
    assert len(extra) == 2 and all(abs(t - e) <= 0.25 for t, e in zip(extra, (7.0, 10.0), strict=True))
    decoded, _ = read_frames(clip)
    for f in frames:
        path = latest / f["path"]
        raw = path.read_bytes()
        assert (f["width"], f["height"], f["size_bytes"]) == (W, H, len(raw))
        assert f["sha256"] == hashlib.sha256(raw).hexdigest()
        picture = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        assert picture.shape == (H, W, 3)  # the source's resolution, not a thumbnail's
        source = decoded[round(f["t"] * FPS)]
        assert float(np.abs(picture.astype(int) - source.astype(int)).mean()) < 3.0  # that very frame
    assert set(keys["files"]) == {"keyframes/index.html", "keyframes/contact-sheet.jpg"}
    assert "integrity" in data and not any("/" in name for name in data["integrity"]["files"])
    check_links_resolve(latest, frames)
    # the reports folder moved elsewhere, its links to runs kept as links or copied as folders
    for symlinks in (True, False):
        moved = tmp_path / f"moved-{symlinks}"
        shutil.copytree(out, moved, symlinks=symlinks)
        check_links_resolve(moved / latest.name, frames)
        code, stdout, _ = cli_in_process(capsys, "report", "check", moved / latest.name)
        assert code == 2 and "FAIL" not in stdout  # 2: unsigned (origin unknown), nothing failed
    # written again from its JSON (no bytes of its frames to carry): the listing is left out, never left dangling
    again = Report.from_dict(data)
    rewritten = write_report(again, tmp_path / "again")
    assert json.loads((rewritten / "report.json").read_text())["visual"]["keyframes"] is None
    assert not (rewritten / "keyframes").exists() and cli_in_process(capsys, "report", "check", rewritten)[0] == 2
    # ... but a report that has some of them, and not as listed, is not written: it would fail its own check
    partial = Report.from_dict(data)
    partial.artefacts.files[frames[0]["path"]] = (latest / frames[1]["path"]).read_bytes()
    with pytest.raises(ValueError, match="without those bytes"):
        write_report(partial, tmp_path / "partial")
    # `provenance keyframes` on the same clip with the same spacing writes the same frames, byte for byte
    code, _, err = cli_in_process(capsys, "keyframes", clip, "--out", tmp_path / "k", "--every", str(EVERY))
    assert code == 0, err
    (folder,) = (tmp_path / "k").iterdir()
    command = json.loads((folder / "keyframes.json").read_text())["frames"]
    assert [(f["t"], f["sha256"]) for f in command] == [(f["t"], f["sha256"]) for f in frames]


def test_a_swapped_or_missing_frame_fails_report_check(clip: Path, profile: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out, ws = tmp_path / "reports", tmp_path / "ws"
    assert cli_in_process(capsys, "init", ws)[0] == 0
    assert cli_in_process(capsys, "report", "key", "--workspace", ws)[0] == 0
    assert cli_in_process(capsys, "verify", clip, "--pipeline", profile, "--out", out, "--sign",
                          "--workspace", ws)[0] == 0
    (latest,) = [p for p in out.iterdir() if p.is_symlink()]
    run = latest.resolve()
    data = json.loads((run / "report.json").read_text())
    frames = data["visual"]["keyframes"]["frames"]
    first, second = run / frames[0]["path"], run / frames[1]["path"]
    pristine = tmp_path / "pristine"
    shutil.copytree(run, pristine)

    def check() -> tuple[int, str]:
        code, stdout, _ = cli_in_process(capsys, "report", "check", latest, "--workspace", ws)
        return code, stdout

    assert check() == (0, check()[1]) and "in keyframes/, 5 frames, contact-sheet.jpg, index.html" in check()[1]
    # another frame of the same clip put in its place: same size, a real picture, another moment
    shutil.copyfile(second, first)
    code, stdout = check()
    assert code == 1 and "FAIL" in stdout and frames[0]["path"] in stdout and "differs" in stdout
    with pytest.raises(IntegrityError, match="files"):
        read_verified(latest)
    # ... and the listing edited to the swapped frame's SHA-256, the digest recomputed: the signature fails
    data["visual"]["keyframes"]["frames"][0]["sha256"] = hashlib.sha256(second.read_bytes()).hexdigest()
    data["integrity"]["digest"] = digest_of(data)
    (run / "report.json").write_text(dumps(data))
    code, stdout = check()
    assert code == 1 and re.search(r"FAIL +signature", stdout) and not re.search(r"FAIL +files", stdout)
    shutil.copyfile(pristine / "report.json", run / "report.json")
    shutil.copyfile(pristine / frames[0]["path"], first)
    assert check()[0] == 0  # as written again
    first.unlink()
    code, stdout = check()
    assert code == 1 and f"{frames[0]['path']} is missing" in stdout
    # the whole folder swapped for a link to a copy elsewhere: the files are not read through it
    shutil.rmtree(run / "keyframes")
    (run / "keyframes").symlink_to(pristine / "keyframes")
    code, stdout = check()
    assert code == 1 and "keyframes is a symbolic link" in stdout
    (run / "keyframes").unlink()
    shutil.copytree(pristine / "keyframes", run / "keyframes")
    (run / "keyframes" / "extra.jpg").write_bytes(first.read_bytes() if first.exists() else b"\xff\xd8")
    code, stdout = check()
    assert code == 0 and "not covered: keyframes/extra.jpg" in stdout
    # the contact sheet and the index page are covered as the frames are
    (run / "keyframes" / "extra.jpg").unlink()
    (run / "keyframes" / "index.html").write_text("<p>another page</p>")
    code, stdout = check()
    assert code == 1 and "keyframes/index.html differs" in stdout
    # a listing edited to send the checker (and the page's links) out of the folder is refused, not followed
    data = json.loads((pristine / "report.json").read_text())
    data["visual"]["keyframes"]["frames"][0]["path"] = "keyframes/../../../report.json"
    data["integrity"]["digest"] = digest_of(data)
    (run / "report.json").write_text(dumps(data))
    code, stdout = check()
    assert code == 1 and "the keyframes listing (visual.keyframes) is malformed" in stdout


def test_batch_reports_carry_the_frames_and_a_rematch_carries_them_over(
        clip: Path, profile: Path, tmp_path: Path) -> None:
    from provenance import KnownImageryIndex, Workspace

    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copyfile(clip, clips / clip.name)
    out, ws = tmp_path / "reports", Workspace(tmp_path / "ws")
    result = run_batch([clips], pipeline=profile, workspace=ws, options=BatchOptions(out=out, workers=0))
    (item,) = result.items
    assert item.action == "verified"
    first = (out / item.report).resolve()
    data = read_verified(out / item.report / "report.json", ws.root)
    frames = data["visual"]["keyframes"]["frames"]
    assert len(frames) == 5 and all((first / f["path"]).is_file() for f in frames)
    check_links_resolve(out / item.report, frames)
    # a reference added: the batch matches the report again from its fingerprint, without decoding, as a new run
    KnownImageryIndex(ws).add([SAMPLES / "known" / "archive_footage.mp4"])
    again = run_batch([clips], pipeline=profile, workspace=ws, options=BatchOptions(out=out, workers=0))
    (item,) = again.items
    assert item.action == "rematched"
    second = (out / item.report).resolve()
    assert second != first and (first / "report.json").is_file()  # the earlier run stays as it was
    redone = read_verified(out / item.report / "report.json", ws.root)
    assert redone["visual"]["rematched"] and redone["visual"]["keyframes"] == data["visual"]["keyframes"]
    for f in frames:
        assert (second / f["path"]).read_bytes() == (first / f["path"]).read_bytes()
    check_links_resolve(out / item.report, frames)


def test_a_photo_or_a_profile_without_keyframes_writes_none(profile: Path, tmp_path: Path, clip: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports"
    code, _, err = cli_in_process(capsys, "verify", SAMPLES / "clips" / "photo_reuse.jpg", "--pipeline", profile,
                                  "--out", out)
    assert code == 0, err
    (latest,) = [p for p in out.iterdir() if p.is_symlink()]
    assert json.loads((latest / "report.json").read_text())["visual"]["keyframes"] is None
    assert not (latest / "keyframes").exists()
    off = tmp_path / "off.toml"
    off.write_text(PROFILE.replace(f"every_s = {EVERY}", "enabled = false"))
    code, _, err = cli_in_process(capsys, "verify", clip, "--pipeline", off, "--out", tmp_path / "off")
    assert code == 0, err
    (latest,) = [p for p in (tmp_path / "off").iterdir() if p.is_symlink()]
    assert json.loads((latest / "report.json").read_text())["visual"]["keyframes"] is None
    assert not (latest / "keyframes").exists() and not local_links(latest / "report.html")


def test_a_phone_clip_stored_sideways_gives_upright_frames(profile: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A portrait clip as phones store it: the picture turned into a landscape 960x540 stream with a display
    matrix saying to turn it back. The keyframes are the picture as shown: 540x960, upright."""
    import av

    upright = cv2.resize(skdata.astronaut(), (H, W), interpolation=cv2.INTER_AREA)  # 540 wide, 960 tall
    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"crf": "20", "preset": "veryfast"}
        s.set_display_rotation(90)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(upright, -1)), format="rgb24")
        for _ in range(FPS):
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    code, _, err = cli_in_process(capsys, "verify", path, "--pipeline", profile, "--out", tmp_path / "r")
    assert code == 0, err
    (latest,) = [p for p in (tmp_path / "r").iterdir() if p.is_symlink()]
    (f,) = json.loads((latest / "report.json").read_text())["visual"]["keyframes"]["frames"]
    picture = cv2.cvtColor(cv2.imread(str(latest / f["path"])), cv2.COLOR_BGR2RGB)
    assert (f["width"], f["height"]) == (H, W) and picture.shape == (W, H, 3)
    assert float(np.abs(picture.astype(int) - upright.astype(int)).mean()) < 4.0  # upright, not sideways


def test_the_frames_a_report_holds_are_bounded_in_bytes_and_it_says_so(
        clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``[visual.keyframes] max_mb`` bounds the JPEG bytes held until the report is written (a cut-heavy 8K clip's
    frames are ~8 MB each): past it no more frames are kept, and the report says from when."""
    capped = tmp_path / "capped.toml"
    capped.write_text(PROFILE + "max_mb = 0.3\n")
    code, _, err = cli_in_process(capsys, "verify", clip, "--pipeline", capped, "--out", tmp_path / "r")
    assert code == 0, err
    (latest,) = [p for p in (tmp_path / "r").iterdir() if p.is_symlink()]
    keys = json.loads((latest / "report.json").read_text())["visual"]["keyframes"]
    assert 1 <= len(keys["frames"]) < 5 and sum(f["size_bytes"] for f in keys["frames"]) <= 300_000
    assert keys["capped_at_s"] is not None and keys["capped_at_s"] > keys["frames"][-1]["t"]
    assert sorted(p.name for p in (latest / "keyframes").glob("frame-*")) == \
        sorted(f["path"].split("/")[1] for f in keys["frames"])
    assert "max_mb reached" in (latest / "report.html").read_text() and "max_mb reached" in \
        (latest / "report.md").read_text()
    assert "Stopped at" in (latest / "keyframes" / "index.html").read_text()
