"""Claim records: the assessment of each check, the store, and end to end a recycled and an original clip."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import tomllib
from pathlib import Path

import av
import pytest

from provenance import KnownImageryIndex, Workspace
from provenance.claims import Claim, ClaimError, ClaimStore, Period, Publisher, assess, to_claimreview
from provenance.report.model import (
    C2PA,
    GPS,
    AudioSection,
    LanguageGuess,
    Match,
    MediaSection,
    MetadataSection,
    Report,
    TimelineRegion,
    VisualSection,
)

from conftest import cli

CLAIM = Claim(id="c-test", statement="Troops receive uniforms at a training ground in October 2024",
              claimed_date="2024-10", place="training ground", lat=48.45, lon=35.05, languages=["ru"])


def _report(**sections: object) -> Report:
    report = Report(media=MediaSection(path="clip.mp4", sha256="ab" * 32, kind="video"))
    report.visual = VisualSection(status="ok", index_frames=500)
    report.metadata = MetadataSection(status="ok", c2pa=C2PA(present=False))
    report.audio = AudioSection(status="ok")
    for name, value in sections.items():
        setattr(report, name, value)
    return report


def _results(report: Report, claim: Claim = CLAIM) -> dict[str, str]:
    return {a.check: a.result for a in assess(claim, report).assessment}


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("2024", "2024-01-01", "2024-12-31"), ("2024-02", "2024-02-01", "2024-02-29"),
     ("2024-10-05", "2024-10-05", "2024-10-05"), ("2024-10-05T23:10:00+03:00", "2024-10-05", "2024-10-05"),
     ("2024-10-01/2024-11", "2024-10-01", "2024-11-30")],
)
def test_claimed_date_is_a_range_of_days(text: str, start: str, end: str) -> None:
    period = Period.parse(text)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize("text", ["October 2024", "2024-13", "2024-10-05/2024-10-01"])
def test_bad_claimed_date_is_a_one_line_error(text: str) -> None:
    with pytest.raises(ClaimError, match="claimed date"):
        Period.parse(text)


def test_missing_evidence_is_unknown_not_a_contradiction() -> None:
    report = _report(visual=VisualSection(status="ok", index_frames=0))
    assert _results(report) == {"first_seen": "unknown", "capture_time": "unknown", "location": "unknown",
                                "language": "unknown", "on_screen_language": "unknown", "c2pa": "unknown"}
    assert _results(_report(audio=AudioSection(status="skipped")))["language"] == "unknown"
    bare = Claim(id="c-bare", statement="something happened")
    assert set(_results(_report(), bare).values()) <= {"unknown", "neutral"}


def test_first_seen_before_the_claimed_date_contradicts() -> None:
    def visual(first_seen: str | None) -> VisualSection:
        m = Match(reference_id="old", title="Old footage", first_seen=first_seen, query_coverage=0.8)
        return VisualSection(status="ok", matches=[m], index_frames=500)

    assert _results(_report(visual=visual("2019-03-14")))["first_seen"] == "contradicts"
    assert _results(_report(visual=visual("2024-10-20")))["first_seen"] == "neutral"
    assert _results(_report(visual=visual("2025-01-02")))["first_seen"] == "neutral"
    assert _results(_report(visual=visual(None)))["first_seen"] == "unknown"
    assert _results(_report())["first_seen"] == "neutral"  # no match in a non-empty index
    detail = assess(CLAIM, _report(visual=visual("2019-03-14"))).assessment[0]
    assert "2019-03-14" in detail.detail and detail.evidence["reference_id"] == "old"


@pytest.mark.parametrize(
    ("capture_time", "timezone", "result"),
    [("2024-10-05T10:00:00Z", "Z", "supports"), ("2024-05-02T09:30:00Z", "Z", "contradicts"),
     ("2024-11-01T01:00:00", None, "neutral"), ("2024-11-01T01:00:00+00:00", "+00:00", "contradicts"),
     ("2024-12-24T09:00:00+02:00", "+02:00", "contradicts")],
)
def test_capture_time_against_the_claimed_date(capture_time: str, timezone: str | None, result: str) -> None:
    meta = MetadataSection(status="ok", capture_time=capture_time, capture_time_source="EXIF:DateTimeOriginal",
                           timezone=timezone, c2pa=C2PA(present=False))
    assert _results(_report(metadata=meta))["capture_time"] == result


def test_gps_distance_from_the_claimed_place() -> None:
    def meta(lat: float, lon: float) -> MetadataSection:
        return MetadataSection(status="ok", gps=GPS(lat=lat, lon=lon, source="EXIF:GPS"), c2pa=C2PA(present=False))

    near = assess(CLAIM, _report(metadata=meta(48.4647, 35.0462))).assessment[2]
    assert near.result == "supports" and near.evidence["distance_km"] == pytest.approx(1.7, abs=0.1)
    assert _results(_report(metadata=meta(50.4501, 30.5234)))["location"] == "contradicts"  # Kyiv, ~390 km


def test_spoken_language_against_the_expected() -> None:
    def audio(code: str, p: float, timeline: list[TimelineRegion] | None = None) -> AudioSection:
        return AudioSection(status="ok", language=LanguageGuess(code, p), timeline=timeline or [])

    assert _results(_report(audio=audio("ru", 0.98)))["language"] == "supports"
    assert _results(_report(audio=audio("ko", 0.95)))["language"] == "contradicts"
    assert _results(_report(audio=audio("ko", 0.35)))["language"] == "unknown"  # a guess is no evidence
    # Whisper names wrong languages at up to 0.92 on speech it cannot place (espeak Korean as Thai 0.78-0.84,
    # espeak Quechua as Thai 0.76-0.92): under 0.93 a language is a lead, evidence neither way (round 11, H2)
    assert _results(_report(audio=audio("th", 0.84)))["language"] == "unknown"
    assert _results(_report(audio=audio("ru", 0.84)))["language"] == "unknown"
    assert _results(_report(audio=audio("ru", 0.93)))["language"] == "supports"
    mixed = audio("uk", 0.95, [TimelineRegion(0, 10, "uk", 0.95), TimelineRegion(10, 20, "ru", 0.94)])
    assert _results(_report(audio=mixed))["language"] == "neutral"
    assert _results(_report(audio=AudioSection(status="ok")))["language"] == "unknown"  # no speech


@pytest.mark.parametrize(("state", "result"), [("trusted", "supports"), ("valid", "neutral"),
                                                ("invalid", "contradicts"), ("error", "unknown")])
def test_content_credentials_state(state: str, result: str) -> None:
    meta = MetadataSection(status="ok", c2pa=C2PA(present=True, state=state, signer="Example News"))  # type: ignore[arg-type]
    assert _results(_report(metadata=meta))["c2pa"] == result


def test_store_validates_and_reattaching_replaces(tmp_path: Path) -> None:
    store = ClaimStore(Workspace(tmp_path / "ws"))
    for kwargs, message in [({"lat": 48.0}, "both"), ({"languages": "russian"}, "ISO 639"),
                            ({"languages": "xx,ru"}, "no language has the code xx"),
                            ({"source_url": "javascript:alert(3)"}, "not a web address"),
                            ({"status": "fake"}, "status"), ({"source_url": "t.me/x"}, "scheme")]:
        with pytest.raises(ClaimError, match=message):
            store.add("statement", **kwargs)
    claim = store.add("statement", claimed_date="2024-10", languages="RU, uk", id="c-1")
    assert claim.languages == ["ru", "uk"] and store.get("c-1") == claim
    with pytest.raises(ClaimError, match="already exists"):
        store.add("again", id="c-1")
    report = _report()
    store.attach("c-1", [(report, tmp_path / "r1")])
    store.attach("c-1", [(report, tmp_path / "r2")])
    [only] = store.attachments("c-1")
    assert only.report_path == str((tmp_path / "r2").resolve()) and len(only.assessment) == 6
    with pytest.raises(ClaimError, match="no claim"):
        store.attach("c-nope", [(report, tmp_path)])
    assert store.set_status("c-1", "false").status == "false"
    desk = Publisher("Desk", "https://desk.news", "https://desk.news/checks/c-1")
    review = to_claimreview(store.get("c-1"), store.attachments("c-1"), desk)
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "False", "name": "False", "ratingValue": 1,
                                      "bestRating": 5, "worstRating": 1}
    conn = sqlite3.connect(tmp_path / "ws" / "provenance.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 2


def _original_clip(src: Path, out: Path) -> Path:
    """Remux a clip (no re-encode) with a capture time in October 2024 and a GPS position, as a phone writes."""
    with av.open(str(src)) as inp, av.open(str(out), "w", options={"movflags": "use_metadata_tags"}) as c:
        c.metadata.update({"creation_time": "2024-10-05T10:12:00Z",
                           "com.apple.quicktime.location.ISO6709": "+48.4647+035.0462+100.000/"})
        streams = {s.index: c.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                c.mux(packet)
    return out


@pytest.mark.slow
def test_claim_end_to_end_recycled_and_original_clip(tmp_path: Path, samples: Path) -> None:
    ws = tmp_path / "ws"
    index = KnownImageryIndex(Workspace(ws))
    for ref in tomllib.loads((samples / "known" / "references.toml").read_text())["reference"]:
        index.add([samples / "known" / ref["file"]], id=ref["id"], title=ref["title"], first_seen=ref["first_seen"])
    code, out, err = cli("claim", "add", "--statement", CLAIM.statement, "--date", "2024-10", "--place",
                         "training ground near Dnipro", "--lat", "48.45", "--lon", "35.05", "--languages", "ru",
                         "--source-url", "https://t.me/example/123", "--workspace", ws)
    assert code == 0, err
    claim_id = out.strip()
    clips = tmp_path / "clips"
    clips.mkdir()
    _original_clip(samples / "clips" / "speech_ru.mp4", clips / "original.mp4")
    (clips / "recycled.mp4").write_bytes((samples / "clips" / "reuse_edited.mp4").read_bytes())

    # the standard pipeline (Whisper in each of two worker processes), attaching as results arrive
    code, _out, err = cli("batch", clips, "--claim", claim_id, "--workers", "2", "--out", tmp_path / "reports",
                          "--workspace", ws)
    assert code == 0, err
    code, _out, err = cli("verify", samples / "clips" / "photo_reuse.jpg", "--pipeline", "quick", "--claim", claim_id,
                          "--out", tmp_path / "reports", "--workspace", ws)
    assert code == 0, err

    code, out, err = cli("claim", "show", claim_id, "--json", "--workspace", ws)
    assert code == 0, err
    shown = json.loads(out)
    table = {Path(a["media_path"]).name: {x["check"]: x["result"] for x in a["assessment"]}
             for a in shown["attachments"]}
    assert table["recycled.mp4"] == {"first_seen": "contradicts", "capture_time": "contradicts",
                                     "location": "unknown", "language": "unknown", "on_screen_language": "unknown",
                                     "c2pa": "unknown"}
    assert table["original.mp4"] == {"first_seen": "neutral", "capture_time": "supports", "location": "supports",
                                     "language": "supports", "on_screen_language": "unknown", "c2pa": "unknown"}
    assert table["photo_reuse.jpg"]["first_seen"] == "contradicts"  # first seen 2016, photo of 2024 claimed
    assert shown["claim"]["languages"] == ["ru"] and shown["claim"]["status"] == "open"

    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["claim"] == claim_id
    rows = {Path(r["path"]).name: r for r in summary["files"]}
    assert rows["original.mp4"]["claim"]["language"] == "supports" and rows["original.mp4"]["language"] == "ru"
    report = json.loads((tmp_path / "reports" / rows["recycled.mp4"]["report"] / "report.json").read_text())
    assert report["claim"]["id"] == claim_id
    assert {a["check"]: a["result"] for a in report["claim"]["assessment"]}["first_seen"] == "contradicts"

    code, out, err = cli("claim", "show", claim_id, "--workspace", ws)
    assert code == 0, err
    assert "recycled.mp4" in out and "contradicts" in out and "2019-03-14" in out
    assert re.search(r"ru \d+% of the speech \(p [\d.]+, expected\)", out), out
    assert cli("claim", "verdict", claim_id, "false", "--workspace", ws)[0] == 0
    code, out, err = cli("claim", "export", claim_id, "--format", "claimreview", "--author", "Example Desk",
                         "--publisher-url", "https://desk.news", "--url", "https://desk.news/checks/1",
                         "--workspace", ws)
    assert code == 0, err
    review = json.loads(out)
    for key in ("claimReviewed", "reviewRating", "itemReviewed", "author", "datePublished", "url"):
        assert review[key], key
    assert review["@type"] == "ClaimReview" and review["author"]["name"] == "Example Desk"
    assert review["itemReviewed"]["appearance"][0]["url"] == "https://t.me/example/123"
    assert {m["name"] for m in review["associatedMedia"]} == {"original.mp4", "recycled.mp4", "photo_reuse.jpg"}
    code, out, _err = cli("claim", "export", claim_id, "--format", "csv", "--workspace", ws)
    assert len(list(csv.DictReader(io.StringIO(out)))) == 3 * 6


@pytest.mark.slow
def test_attach_written_reports_and_unknown_claim(tmp_path: Path, samples: Path) -> None:
    ws, reports = tmp_path / "ws", tmp_path / "reports"
    code, _out, err = cli("verify", samples / "clips" / "photo_reuse.jpg", "--pipeline", "quick", "--claim", "c-nope",
                          "--out", reports, "--workspace", ws)
    assert code == 2 and err.startswith("provenance: error: no claim") and not reports.exists()
    assert cli("init", ws)[0] == 0  # a --workspace naming no workspace is refused (a typo), so make it first
    code, _out, err = cli("verify", samples / "clips" / "photo_reuse.jpg", "--pipeline", "quick", "--out", reports,
                          "--workspace", ws)
    assert code == 0, err
    before = next(reports.glob("*/report.json")).read_bytes()
    code, claim_id, err = cli("claim", "add", "--statement", "A photo taken in 2024", "--date", "2024",
                              "--workspace", ws)
    assert code == 0, err
    code, out, err = cli("claim", "attach", claim_id.strip(), reports, "--workspace", ws)
    assert code == 0 and out.startswith("attached photo_reuse.jpg:"), err
    assert next(reports.glob("*/report.json")).read_bytes() == before  # written reports are never rewritten
    code, out, _err = cli("claim", "list", "--workspace", ws)
    assert claim_id.strip() in out


def test_a_claimed_date_in_the_future_is_refused_like_a_first_seen_date(tmp_path: Path) -> None:
    """Before: `claim add --date 2099-01-01` was stored. Today (with the first-seen rule's day of slack for time
    zones), this year and a range reaching into the future stay valid: the event may be under way."""
    store = ClaimStore(Workspace(tmp_path / "ws"))
    today = dt.datetime.now(dt.UTC).date()
    for future in ((today + dt.timedelta(days=3)).isoformat(), f"{today.year + 1}", f"{today.year + 1}-01/"
                   f"{today.year + 1}-02"):
        with pytest.raises(ClaimError, match="is in the future"):
            store.add("s", claimed_date=future)
    for fine in (today.isoformat(), f"{today.year}", f"{today.year - 1}-06/{today.year + 1}-06"):
        assert store.add("s", claimed_date=fine).claimed_date == fine
    assert len(store.list()) == 3


def test_rollup_counts_each_file_once() -> None:
    """Issue 18 round 8, N4: with one file against and one for the claim of four, "1 of 4 files (b.mp4) is for the
    claim" was followed by "3 of 4 files (b.mp4, c.mp4, d.mp4) show nothing against the claim": 5 of 4."""
    from provenance import dossier

    files = [dossier.FileRow(name, name, name[0] * 64, "video", "", "", []) for name in
             ("a.mp4", "b.mp4", "c.mp4", "d.mp4")]
    against = [dossier.EvidenceLine("first_seen", "contradicts", "a.mp4", "matches archive", [], "")]
    support = [dossier.EvidenceLine("text_language", "supports", "b.mp4", "ru sign", [], "")]
    lines = dossier.rollup(CLAIM, files, against, support, [])
    counted = [int(line.split(" of 4 files")[0]) for line in lines if " of 4 files" in line]
    assert sum(counted) == 4, lines
    assert "2 of 4 files (c.mp4, d.mp4) show nothing for or against the claim." in lines, lines
    assert "1 of 4 files (b.mp4) is for the claim by" in " ".join(lines), lines


def test_confidences_are_said_as_the_json_holds_them_never_rounded_up() -> None:
    """Issue 18 round 8, N5: a caption stored at 0.825 in the JSON was said "read at 0.82" (the binary float
    0.8249999... under ``:.2f``) while 0.835 was said 0.84. One helper rounds every page's and notice's figure.
    Round 9, L6: 0.7949 (stored 0.795) was said "0.80" though the claim check's 0.8 floor does not take it: what
    is said is the stored value cut to two places, so a figure said at 0.80 counts there."""
    from provenance.text.config import shown_confidence

    assert [shown_confidence(c) for c in (0.825, 0.835, 0.815, 0.8244, 0.7, 1.0)] == \
        ["0.82", "0.83", "0.81", "0.82", "0.70", "1.00"]
    assert [shown_confidence(c) for c in (0.7949, 0.795, 0.7999, 0.8)] == ["0.79", "0.79", "0.80", "0.80"]

