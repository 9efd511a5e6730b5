"""Coverage in seconds of the clip (issue 17): an exact 9-s reuse in a 150-s clip reads "9.0 s of 150.0 s", not
"6% of frames", in the HTML report, report.md, the finding, the claim's detail and the batch overview; the share
of sampled frames stays as a detail, and report.json keeps ``query_coverage``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from provenance.batch.model import BatchItem, Counts
from provenance.batch.summary import render_overview
from provenance.claims import Claim, assess
from provenance.findings import derive_findings
from provenance.report.markdown import render_markdown
from provenance.report.model import (
    C2PA,
    FrameHash,
    Match,
    MatchedFrame,
    MediaSection,
    MetadataSection,
    Report,
    Segment,
    VisualSection,
)
from provenance.report.writer import render_html
from provenance.visual.wording import coverage

CLAIM = Claim(id="c-cov", statement="Troops receive uniforms at a training ground", claimed_date="2024-10")


def reuse_in_long_clip() -> Report:
    """A 150-s clip sampled once a second whose 0:40-0:48 reuses 9 s of an archive clip frame for frame."""
    report = Report(media=MediaSection(path="long.mp4", sha256="cd" * 32, kind="video", duration_s=150.0))
    frames = [FrameHash(t=float(t), pdq="0" * 64, quality=90, phash="0" * 16) for t in range(150)]
    pairs = [MatchedFrame(query_t=float(t), reference_t=float(t - 30), distance=4) for t in range(40, 49)]
    match = Match(reference_id="archive", title="Archive montage", source="Demo archive",
                  url="https://archive.example.org/montage", first_seen="2019-03-14",
                  query_coverage=round(9 / 150, 3), reference_coverage=0.4, min_distance=4,
                  segments=[Segment(40.0, 48.0, 10.0, 18.0)], frames=pairs, methods=["pdq"], reference_kind="video")
    report.visual = VisualSection(status="ok", frames_sampled=150, frames_usable=150, index_frames=42,
                                  frames=frames, matches=[match])
    report.metadata = MetadataSection(status="ok", c2pa=C2PA(present=False))
    report.findings = derive_findings(report)
    return report


def test_coverage_is_seconds_of_the_clip_with_the_share_as_a_detail() -> None:
    report = reuse_in_long_clip()
    cov = coverage(report.visual.matches[0], report)
    assert (cov.seconds, cov.clip_s) == (9.0, 150.0)
    assert cov.words == "9.0 s of 150.0 s (6% of the sampled frames with detail)"

    html = render_html(report)
    assert '<dd class="coverage">9.0 s of 150.0 s (6% of the sampled frames with detail)</dd>' in html
    assert "6% of frames" not in html
    md = render_markdown(report)
    assert "| Clip covered |" in md and "9.0 s of 150.0 s (6% of the sampled frames with detail)" in md

    [finding] = [f for f in report.findings if f.code == "known_imagery_match"]
    assert (finding.evidence["matched_s"], finding.evidence["clip_s"]) == (9.0, 150.0)
    assert finding.evidence["query_coverage"] == 0.06  # the contract's field stays
    assert "9.0 s of 150.0 s" in finding.message

    first_seen = assess(CLAIM, report).assessment[0]
    assert first_seen.result == "contradicts"
    assert "first seen 2019-03-14: 9.0 s of 150.0 s (6% of the sampled frames with detail)" in first_seen.detail
    assert (first_seen.evidence["matched_s"], first_seen.evidence["clip_s"]) == (9.0, 150.0)


def test_a_still_has_no_seconds() -> None:
    report = reuse_in_long_clip()
    report.media = MediaSection(path="photo.jpg", sha256="ef" * 32, kind="image")
    assert coverage(report.visual.matches[0], report).words == "the picture (6% of the sampled frames with detail)"


def test_batch_overview_states_the_top_match_in_seconds(tmp_path: Path) -> None:
    item = BatchItem(path="in/long.mp4", status="ok", action="verified", kind="video", report="long-cdcdcdcdcdcd",
                     top_match="archive", top_match_title="Archive montage", top_match_first_seen="2019-03-14",
                     top_match_coverage=0.06, top_match_s=9.0, duration_s=150.0)
    page = render_overview({
        "counts": asdict(Counts(files=1, verified=1)), "files": [asdict(item)], "groups": [], "ignored": [],
        "complete": True,
        "pipeline": {"name": "quick"}, "scheduler": "local", "elapsed_s": 1.0, "claim": None})
    assert "9.0 s of 150.0 s" in " ".join(page.split())
