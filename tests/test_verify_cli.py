"""End to end through the CLI, as a user runs it: the report contract, exit codes and bad input."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from provenance import KnownImageryIndex, Report, Workspace, verify, write_report

from conftest import cli

# Every field of the report contract in DESIGN.md, as dotted paths ("[]" descends into list items).
CONTRACT = """
schema tool.name tool.version created_at pipeline.name pipeline.digest media.path media.sha256
media.size_bytes media.kind media.container media.duration_s media.video.codec media.video.width
media.video.height media.video.fps media.video.frames media.audio.codec media.audio.sample_rate
media.audio.channels visual.status visual.frames_sampled visual.frames[].t visual.frames[].pdq
visual.frames[].quality visual.frames[].phash visual.matches[].reference_id visual.matches[].title
visual.matches[].source visual.matches[].url visual.matches[].first_seen
visual.matches[].query_coverage visual.matches[].reference_coverage visual.matches[].min_distance
visual.matches[].segments[].query_start visual.matches[].segments[].query_end
visual.matches[].segments[].reference_start visual.matches[].segments[].reference_end
metadata.status metadata.capture_time metadata.capture_time_source metadata.timezone
metadata.device.make metadata.device.model metadata.device.software metadata.gps metadata.encoder
metadata.c2pa.present metadata.c2pa.state metadata.c2pa.signer metadata.c2pa.claim_generator
metadata.c2pa.actions metadata.c2pa.ingredients metadata.consistency metadata.raw audio.status
audio.engine audio.model audio.language audio.timeline audio.segments audio.cues findings[].code
findings[].severity findings[].message findings[].evidence errors visual.keyframes.frames[].t
visual.keyframes.frames[].path visual.keyframes.frames[].width visual.keyframes.frames[].height
visual.keyframes.frames[].size_bytes visual.keyframes.frames[].sha256 visual.keyframes.files
""".split()  # noqa: SIM905


def missing_fields(data: dict, paths: list[str] = CONTRACT) -> list[str]:
    missing = []
    for path in paths:
        nodes = [data]
        for part in path.split("."):
            key, many = part.removesuffix("[]"), part.endswith("[]")
            nxt = []
            for node in nodes:
                if not isinstance(node, dict) or key not in node:
                    missing.append(path)
                    break
                value = node[key]
                nxt.extend(value if many else [value])
            nodes = nxt
    return sorted(set(missing))


@pytest.fixture(scope="module")
def sample_workspace(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    assert cli("init", ws)[0] == 0  # a --workspace naming no workspace is refused (a typo)
    refs = tomllib.loads((samples / "known" / "references.toml").read_text())["reference"]
    for ref in refs:
        code, _out, err = cli("index", "add", samples / "known" / ref["file"], "--id", ref["id"], "--title",
                             ref["title"], "--first-seen", ref["first_seen"], "--workspace", ws)
        assert code == 0, err
    return ws


@pytest.fixture(scope="module")
def truth(samples: Path) -> dict:
    return json.loads((samples / "truth.json").read_text())


@pytest.mark.slow
def test_edited_reuse_lists_reference_with_aligned_segment(sample_workspace: Path, samples: Path, truth: dict,
                                                           tmp_path: Path) -> None:
    code, out, err = cli("verify", samples / "clips" / "reuse_edited.mp4", "--pipeline", "quick", "--json",
                         "--workspace", sample_workspace, "--out", tmp_path)
    assert code == 0, err
    report = json.loads(out)
    assert missing_fields(report) == []
    expect = truth["reuse_edited.mp4"]
    top = report["visual"]["matches"][0]
    assert top["reference_id"] == expect["reference_id"] and top["first_seen"] == "2019-03-14"
    seg = max(top["segments"], key=lambda s: s["query_end"] - s["query_start"])
    assert seg["reference_start"] == pytest.approx(expect["reference_start"], abs=2.0)
    assert seg["reference_end"] == pytest.approx(expect["reference_end"], abs=2.0)
    assert seg["query_start"] == pytest.approx(expect["query_start"], abs=2.0)
    assert "known_imagery_match" in {f["code"] for f in report["findings"]}
    folder = next(tmp_path.iterdir())
    assert folder.name.startswith("reuse_edited-") and (folder / "report.html").stat().st_size > 1000
    assert json.loads((folder / "report.json").read_text()) == report


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["unrelated.mp4", "speech_ru.mp4", "speech_en.mp4"])
def test_unrelated_clips_match_nothing(sample_workspace: Path, samples: Path, clip: str, tmp_path: Path) -> None:
    index = KnownImageryIndex(Workspace(sample_workspace))
    report = verify(samples / "clips" / clip, pipeline="quick", index=index)
    assert report.visual.status == "ok" and report.visual.frames_usable > 0
    assert report.visual.matches == []
    assert "no_known_match" in {f.code for f in report.findings}


@pytest.mark.slow
def test_edited_photo_matches_its_original(sample_workspace: Path, samples: Path, truth: dict) -> None:
    report = verify(samples / "clips" / "photo_reuse.jpg", pipeline="quick", workspace=sample_workspace)
    assert report.media.kind == "image"
    assert [m.reference_id for m in report.visual.matches] == [truth["photo_reuse.jpg"]["reference_id"]]


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.mp4", b""), ("notes.mp4", b"just some text, no video here\n" * 40), ("noise.mov", bytes(4096))],
)
def test_non_media_gives_exit_2_and_one_line(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, _out, err = cli("verify", path, "--out", tmp_path / "reports")
    assert code == 2
    assert err.startswith("provenance: error:") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "reports").exists()


def test_truncated_mp4_gives_report_with_stage_error_or_exit_2(tmp_path: Path, samples: Path) -> None:
    data = (samples / "clips" / "unrelated.mp4").read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[: len(data) // 3])
    code, out, err = cli("verify", path, "--pipeline", "quick", "--json", "--out", tmp_path / "r")
    assert "Traceback" not in err
    assert code in (0, 1, 2)
    if code == 2:
        assert err.startswith("provenance: error:")
    else:
        report = json.loads(out)
        assert report["media"]["kind"] == "video"
        assert code == (1 if report["errors"] else 0)


def test_missing_pipeline_and_missing_file_are_clear(tmp_path: Path, samples: Path) -> None:
    code, _, err = cli("verify", samples / "clips" / "unrelated.mp4", "--pipeline", "nonesuch")
    assert code == 2 and "no pipeline 'nonesuch'" in err and "quick" in err
    code, _, err = cli("verify", tmp_path / "absent.mp4")
    assert code == 2 and "no such file" in err


@pytest.mark.slow
def test_index_commands(tmp_path: Path, samples: Path) -> None:
    ws = tmp_path / "ws"
    assert cli("init", ws)[0] == 0  # a --workspace naming no workspace is refused (a typo)
    code, out, _ = cli("index", "add", samples / "known" / "photo_coins.jpg", "--first-seen", "2014-11-02",
                       "--workspace", ws)
    assert code == 0 and out.startswith("added: photo_coins (image, 1 frame)")
    code, out, _ = cli("index", "list", "--json", "--workspace", ws)
    assert [r["id"] for r in json.loads(out)] == ["photo_coins"]
    code, out, _ = cli("index", "stats", "--workspace", ws)
    assert "references: 1" in out and "frames: 1" in out
    code, _, err = cli("index", "add", samples / "known" / "photo_coins.jpg", "--first-seen", "soon",
                       "--workspace", ws)
    assert code == 2 and "ISO 8601" in err
    assert cli("index", "remove", "photo_coins", "--workspace", ws)[0] == 0
    code, _, err = cli("index", "remove", "photo_coins", "--workspace", ws)
    assert code == 2 and "no reference" in err


def test_report_round_trips_and_html_escapes_media_strings(tmp_path: Path, samples: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    index = KnownImageryIndex(ws)
    index.add([samples / "known" / "photo_astronaut.jpg"], title="<script>alert(1)</script>", first_seen="2016-07-21")
    report = verify(samples / "clips" / "photo_reuse.jpg", pipeline="quick", index=index)
    assert Report.from_dict(json.loads(json.dumps(report.to_dict()))) == report
    html = (write_report(report, tmp_path / "out") / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
