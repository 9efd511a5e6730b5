"""The ClaimReview export (issue 17): the publisher's identity and the review's URL from flags or the workspace's
settings.toml, placeholders refused with the flag and setting to give; a rating only once the desk recorded a
verdict; the earlier copies the evidence rests on as its URLs; a reviewBody in sentences; Google's required
properties and schema.org's property names checked; the JSON-LD safe to paste into a <script> element."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_coverage_seconds import reuse_in_long_clip

from provenance.claims import Claim, ClaimStore, Publisher, claimreview_problems, to_claimreview
from provenance.report.writer import write_report
from provenance.workspace import Workspace

from conftest import cli

HOSTILE = "Troops </script><script>alert(1)</script><!-- receive uniforms & more \u2028 at a training ground"
DESK = ["--publisher", "Kyiv Verification Desk", "--publisher-url", "https://verify.desk.news",
        "--url", "https://verify.desk.news/checks/{id}"]


@pytest.fixture
def desk(tmp_path: Path) -> dict[str, Path]:
    """A workspace with one claim and two attached reports (written by the real writer) of clips that reuse the
    archive montage, first seen 2019-03-14."""
    ws = tmp_path / "ws"
    store = ClaimStore(Workspace(ws))
    store.add(HOSTILE, claimed_date="2024-10", place="training ground", lat=48.45, lon=35.05,
              source_url="https://t.me/example_channel/4521", id="c-1")
    first, second = reuse_in_long_clip(), reuse_in_long_clip()
    second.media.path, second.media.sha256 = "other.mp4", "ef" * 32
    folders = [write_report(r, tmp_path / "reports") for r in (first, second)]
    store.attach_files("c-1", folders)
    return {"ws": ws, "first": folders[0], "second": folders[1]}


def export(desk: dict[str, Path], *args: str) -> tuple[int, str, str]:
    return cli("claim", "export", "c-1", "--format", "claimreview", *args, "--workspace", desk["ws"])


def test_placeholders_and_missing_identity_are_refused_naming_the_flag_and_setting(desk: dict[str, Path]) -> None:
    assert cli("claim", "verdict", "c-1", "false", "--workspace", desk["ws"])[0] == 0
    code, out, err = export(desk)
    assert code == 2 and out == ""
    assert "publisher" in err and "--publisher NAME" in err and "settings.toml" in err
    for bad, flag in ((["--publisher", "provenance"], "--publisher NAME"),
                      (["--publisher", "<your desk>"], "--publisher NAME"),
                      (["--publisher-url", "https://example.org"], "--publisher-url URL"),
                      (["--url", "urn:provenance:claim:c-1"], "--url URL"),
                      (["--url", "https://news.example/checks/1"], "--url URL")):
        args = [*DESK]
        i = args.index(bad[0])
        args[i + 1] = bad[1]
        code, out, err = export(desk, *args)
        assert code == 2 and out == "" and flag in err and ("placeholder" in err or "http(s)" in err), err


def test_no_rating_without_the_desks_verdict(desk: dict[str, Path]) -> None:
    code, out, err = export(desk, *DESK)
    assert code == 2 and out == "" and "no verdict" in err and "claim verdict c-1 RATING" in err


def test_claimreview_from_settings_with_earlier_copies_sentences_and_required_fields(desk: dict[str, Path]) -> None:
    (desk["ws"] / "settings.toml").write_text(
        '[claimreview]\npublisher = "Kyiv Verification Desk"\npublisher_url = "https://verify.desk.news"\n'
        'review_url = "https://verify.desk.news/checks/{id}"\n')
    assert cli("claim", "verdict", "c-1", "false", "--workspace", desk["ws"])[0] == 0
    code, text, err = export(desk)
    assert code == 0, err
    # embed safety: nothing in the text closes the <script> element or opens a comment, and it reads back the same
    assert "</script" not in text.lower() and "<!--" not in text and "\u2028" not in text
    review = json.loads(text)
    assert review["claimReviewed"] == HOSTILE
    assert claimreview_problems(review) == []
    assert review["url"] == "https://verify.desk.news/checks/c-1"
    assert review["author"] == {"@type": "Organization", "name": "Kyiv Verification Desk",
                                "url": "https://verify.desk.news"}
    assert review["reviewRating"]["alternateName"] == "False" and review["reviewRating"]["ratingValue"] == 1
    assert review["citation"] == [{"@type": "CreativeWork", "name": "Archive montage",
                                   "url": "https://archive.example.org/montage", "datePublished": "2019-03-14",
                                   "publisher": {"@type": "Organization", "name": "Demo archive"}}]
    body = review["reviewBody"]
    assert body.startswith("We examined 2 files attached to this claim. 2 of 2 files reuse footage first seen "
                           "2019-03-14, before the claimed date 2024-10.")
    assert ("Against the claim (published before), long.mp4: 'Archive montage' was first seen 2019-03-14, before "
            "the claimed date 2024-10; 9.0 s of 150.0 s match by PDQ hash") in body
    assert body.endswith("Our rating: False.") and "contradicts (" not in body
    assert {m["sha256"] for m in review["associatedMedia"]} == {"cd" * 32, "ef" * 32}
    # who vouched for each report, as the CSV and JSON exports say (before: the ClaimReview did not)
    assert all(m["description"].startswith("examined by provenance; its report is ") for m in review["associatedMedia"])


def test_a_report_failing_its_check_is_left_out_of_the_review(desk: dict[str, Path]) -> None:
    assert cli("claim", "verdict", "c-1", "misleading", "--workspace", desk["ws"])[0] == 0
    page = desk["second"] / "report.json"
    page.write_text(page.read_text().replace("Demo archive", "Forged archive"))
    code, text, err = export(desk, *DESK)
    assert code == 0, err
    review = json.loads(text)
    assert "not used in the ClaimReview: other.mp4" in err
    assert [m["sha256"] for m in review["associatedMedia"]] == ["cd" * 32]
    assert "We examined 1 file attached" in review["reviewBody"]


def test_the_validator_catches_what_google_requires() -> None:
    claim = Claim(id="c", statement="s", status="unproven")
    good = to_claimreview(claim, [], Publisher("Desk", "https://desk.news", "https://desk.news/c"))
    assert claimreview_problems(good) == [] and "ratingValue" not in good["reviewRating"]
    for key in ("claimReviewed", "reviewRating", "url"):
        broken = {k: v for k, v in good.items() if k != key}
        assert f"ClaimReview.{key}: required by Google, missing" in claimreview_problems(broken)
    assert "ClaimReview.reviewRating.alternateName: required by Google, missing" in claimreview_problems(
        good | {"reviewRating": {"@type": "Rating", "ratingValue": 1}})
    assert "ClaimReview.rating: not a schema.org property of ClaimReview" in claimreview_problems(good | {"rating": 1})


def test_claimreview_settings_of_the_wrong_type_are_refused_by_name(tmp_path: Path) -> None:
    """Before: `publisher = 42` was published as the organisation "42"; `publisher_url = ["x"]` read as missing."""
    from provenance.claims import ClaimError, claimreview_settings

    (tmp_path / "settings.toml").write_text('[claimreview]\npublisher = 42\npublisher_url = ["x"]\n')
    with pytest.raises(ClaimError, match="publisher, publisher_url must be text"):
        claimreview_settings(tmp_path)


def test_every_earlier_copy_is_evidence_and_a_citation_strongest_first(tmp_path: Path) -> None:
    """Before: only the earliest-dated match counted, so a scattered keypoint-only match (2015) hid the exact 9-s
    hash reuse of another reference (2018) and its URL from the dossier and the ClaimReview."""
    from provenance import dossier
    from provenance.report.model import Match, MatchedFrame, Segment

    report = reuse_in_long_clip()
    exact = report.visual.matches[0]
    exact.first_seen, exact.title, exact.url = "2018-05-01", "Bikes", "https://news.example.net/bikes"
    scattered = Match(reference_id="old", title="Old archive", source="Archive", url="https://archive.org/old",
                      first_seen="2015-01-01", query_coverage=0.02, reference_coverage=0.1, min_distance=256,
                      segments=[Segment(100.0, 100.0, 3.0, 3.0), Segment(120.0, 120.0, 7.0, 7.0)],
                      frames=[MatchedFrame(100.0, 3.0, 140, inliers=40), MatchedFrame(120.0, 7.0, 150, inliers=31)],
                      methods=["local"], local_inliers=40, reference_kind="video")
    report.visual.matches = [scattered, exact]
    ws = tmp_path / "ws"
    store = ClaimStore(Workspace(ws))
    store.add("Troops receive uniforms", claimed_date="2024-10", id="c-2")
    store.attach_files("c-2", [write_report(report, tmp_path / "reports")])
    d = dossier.build(store, "c-2", pictures=False)
    lines = [(e.check, e.copy.title if e.copy else None) for e in d.against]
    assert lines == [("first_seen", "Bikes"), ("first_seen", "Old archive")]  # the hash reuse first
    assert d.against[0].detail.startswith("'Bikes' was first seen 2018-05-01, before the claimed date 2024-10; 9.0 s "
                                          "of 150.0 s match by PDQ hash")
    assert "keypoints only: 40 inliers" in d.against[1].detail.lower()
    assert d.rollup[0] == "1 of 1 file reuses footage first seen 2015–2018, before the claimed date 2024-10."
    code, out, err = cli("claim", "show", "c-2", "--workspace", ws)  # the unknowns folded, one line per check
    assert code == 0 and "\nunknown (one line per check)\n" in out
    assert re.search(r"\n  capture_time +1 file: no capture", out), out
    assert not [line for line in out.splitlines() if "  unknown  " in line], out
    assert cli("claim", "verdict", "c-2", "false", "--workspace", ws)[0] == 0
    code, text, err = cli("claim", "export", "c-2", "--format", "claimreview", *DESK, "--workspace", ws)
    assert code == 0, err
    cited = [(c["name"], c["url"]) for c in json.loads(text)["citation"]]
    assert cited == [("Bikes", "https://news.example.net/bikes"), ("Old archive", "https://archive.org/old")]
    # claim show and the CSV name the strongest earlier copy and the others (before: only the earliest)
    code, out, err = cli("claim", "show", "c-2", "--workspace", ws)
    flat = " ".join(out.split())
    assert "matches 'Bikes' first seen 2018-05-01: 9.0 s" in flat, out
    assert "before the claimed date 2024-10; other earlier copies matched: 'Old archive' (2015-01-01)" in flat
    code, text, err = cli("claim", "export", "c-2", "--format", "csv", "--workspace", ws)
    assert code == 0 and "'Bikes' first seen 2018-05-01" in text and "'Old archive' (2015-01-01)" in text


def test_published_text_carries_no_control_or_bidi_characters() -> None:
    claim = Claim(id="c", statement="Troops\x1b[2J\x08 receive \u202egnp.exe uniforms", status="false")
    review = to_claimreview(claim, [], Publisher("Desk\x07", "https://desk.news", "https://desk.news/c"))
    assert review["claimReviewed"] == "Troops[2J receive gnp.exe uniforms"
    assert review["author"]["name"] == "Desk"


@pytest.mark.parametrize("url", ["https://127.0.0.1/c", "https://10.0.0.1/c", "http://192.168.1.20/x",
                                 "https://[::1]/c", "https://169.254.1.1/c", "https://0.0.0.0/c"])
def test_a_review_url_nobody_else_can_open_is_refused(desk: dict[str, Path], url: str) -> None:
    assert cli("claim", "verdict", "c-1", "false", "--workspace", desk["ws"])[0] == 0
    args = [*DESK]
    args[args.index("--url") + 1] = url
    code, out, err = export(desk, *args)
    assert code == 2 and out == "" and "not a public address" in err and "--url URL" in err, err
    args[args.index("--url") + 1] = "https://203.0.113.9/c"  # TEST-NET-3: documentation, not global either
    assert export(desk, *args)[0] == 2
