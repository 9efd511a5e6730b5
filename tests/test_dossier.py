"""The claim dossier (issue 17) on the seed scenario, as an editor gets it: `claim report` rendered in headless
Chromium. A claim about foreign troops receiving uniforms at a training ground near Dnipro in October 2024; three
clips from sample_media: one recycled from the indexed archive montage (first seen 2019-03-14), one whose GPS
is in Lisbon, one original (GPS at the training ground, Russian speech, captured in October 2024).

The screenshot is kept as reports/test-artifacts/seed_dossier.png.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from PIL import Image
from test_report_html import chromium, jpeg, parse

from conftest import cli

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("seed_scenario", ROOT / "scripts" / "seed_scenario.py")
assert _spec is not None and _spec.loader is not None
seed_scenario = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seed_scenario)

CLAIM_ID = "troops-uniforms"


def _as_browser(page: Path, href: str) -> Path:
    """Where a browser that opened ``page`` (by that path, through any link in it) finds ``href``: "../" is taken
    off the path given, never after following a symbolic link as the file system would."""
    return Path(os.path.normpath(page.parent / unquote(urlsplit(href).path)))


def _runs(reports: Path) -> list[str]:
    return sorted(p.name for p in (reports / f"claim-{CLAIM_ID}.runs").iterdir() if not p.name.startswith("."))


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The seed scenario through the CLI: a dossier written before any clip, then each clip verified with
    --claim (standard pipeline: Whisper hears the languages), each attachment refreshing the dossier."""
    base = tmp_path_factory.mktemp("seed")
    ws, reports = base / "ws", base / "reports"
    clips = seed_scenario.make_clips(base / "clips")
    assert cli("init", ws)[0] == 0
    code, _out, err = cli("index", "add", *seed_scenario.archive(), "--workspace", ws)
    assert code == 0, err
    code, out, err = cli("claim", "add", *seed_scenario.CLAIM, "--workspace", ws)
    assert code == 0 and out.strip() == CLAIM_ID, err
    code, out, err = cli("claim", "report", CLAIM_ID, "--out", reports, "--workspace", ws)
    assert code == 0, err
    empty = Path(out.strip()).read_text()
    runs = [_runs(reports)]
    for clip in clips.values():
        code, _out, err = cli("verify", clip, "--claim", CLAIM_ID, "--out", reports, "--workspace", ws)
        assert code == 0, err
        assert "dossier refreshed" in err, err
        runs.append(_runs(reports))
    return {"ws": ws, "reports": reports, "clips": clips, "empty": empty, "runs": runs,
            "page": reports / f"claim-{CLAIM_ID}" / "dossier.html"}


@pytest.mark.slow
def test_every_attachment_writes_a_new_dossier_and_none_is_overwritten(seed: dict) -> None:
    runs: list[list[str]] = seed["runs"]
    assert [len(r) for r in runs] == [1, 2, 3, 4]
    assert all(set(a) < set(b) for a, b in itertools.pairwise(runs))
    assert "No reports attached yet." in seed["empty"]
    latest = seed["reports"] / f"claim-{CLAIM_ID}"
    assert latest.is_symlink() and os.readlink(latest).endswith(runs[-1][-1])
    md = (latest / "dossier.md").read_text()
    assert "- 1 of 3 files (recycled.mp4) reuses footage first seen 2019-03-14, before the claimed date 2024-10." in md
    assert "<img" not in md and "<script" not in md
    code, out, err = cli("claim", "show", CLAIM_ID, "--workspace", seed["ws"])
    assert code == 0, err
    assert f"dossier: {latest / 'dossier.html'}" in out
    assert "in short\n  - 1 of 3 files (recycled.mp4) reuses footage first seen 2019-03-14" in out  # before the table


@pytest.mark.slow
def test_chromium_shows_the_dossier_rollup_evidence_order_thumbnails_colours_and_links(seed: dict) -> None:
    dom, shot = chromium(seed["page"], "seed_dossier")
    tree = parse(dom).root
    assert "Footage shows foreign troops receiving uniforms" in tree.find(id="statement")[0].text
    assert tree.find(id="claimed-date")[0].text == "2024-10" and tree.find(id="languages")[0].text == "ru, uk"
    rollup = [" ".join(li.text.split()) for li in tree.find(id="rollup")[0].find("li")]
    assert rollup[0] == ("1 of 3 files (recycled.mp4) reuses footage first seen 2019-03-14, before the claimed date "
                         "2024-10.")
    assert ("1 of 3 files (gps_far.mp4) has a GPS position far from training ground near Dnipro (3,663 km away)."
            in rollup)
    assert "none recorded" in tree.find(id="verdict")[0].text

    lines = [n for n in tree.find("div", cls="line")]
    against = [(n.attrs["data-check"], n.attrs["data-file"]) for n in lines if "contradicts" in n.classes]
    support = [(n.attrs["data-check"], n.attrs["data-file"]) for n in lines if "supports" in n.classes]
    # strongest first: the earlier publication, then GPS, then capture time, then language
    assert against == [("first_seen", "recycled.mp4"), ("location", "gps_far.mp4"),
                       ("capture_time", "recycled.mp4"), ("language", "gps_far.mp4")]
    assert support[0] == ("location", "original.mp4") and ("language", "original.mp4") in support
    reuse = lines[0]
    assert "Archive montage" in reuse.text and "Demo archive" in reuse.text and "2019-03-14" in reuse.text
    assert "9.9 s of 13.0 s" in reuse.text
    assert reuse.find("a", cls=None)[0].attrs["href"] == "https://archive.example.org/footage/2019/archive-montage"
    [clip_img] = reuse.find("img", cls="query-frame")
    [ref_img] = reuse.find("img", cls="reference-frame")
    clip, ref = jpeg(clip_img.attrs["src"]), jpeg(ref_img.attrs["src"])
    assert min(clip.size) >= 32 and min(ref.size) >= 32
    assert "Spoken language" in lines[3].text and "en 0:00" in lines[3].text  # the language timeline

    folded = {n.attrs["data-check"]: n for n in tree.find("details", cls="folded")}
    assert "3 files" in folded["c2pa"].text and "no Content Credentials" in folded["c2pa"].text

    # every report link resolves to the attached report of that file, relative to the page (no local path in it)
    links = tree.find("a", cls="report-link")
    assert len(links) == len(lines) + 3
    for a in links:
        assert not a.attrs["href"].startswith(("file:", "/")) and str(seed["ws"].parent) not in a.attrs["href"]
        path = _as_browser(seed["page"], a.attrs["href"])
        assert path.name == "report.html" and path.is_file()
        data = json.loads((path.parent / "report.json").read_text())
        assert Path(data["media"]["path"]).name in a.text or a.text == "report"

    # the colours are painted: red borders and chips against, green for
    px = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    red = int((np.abs(px - (0xCF, 0x22, 0x2E)).max(axis=2) < 12).sum())
    green = int((np.abs(px - (0x1A, 0x7F, 0x37)).max(axis=2) < 12).sum())
    assert red > 2000 and green > 2000, (red, green)


@pytest.mark.slow
def test_a_copied_or_moved_project_reads_and_writes_its_own_reports(seed: dict, tmp_path: Path) -> None:
    """Before: the dossier linked reports by absolute file: URIs, and a copied project's `claim report` wrote into
    the original's folder and read the original's reports (or called them tampered once moved away)."""
    original = seed["ws"].parent
    before = _runs(seed["reports"])
    copy = tmp_path / "copy"
    shutil.copytree(original, copy, symlinks=True)
    code, out, err = cli("claim", "report", CLAIM_ID, "--workspace", copy / "ws")
    assert code == 0, err
    page = Path(out.strip())
    assert page == copy / "reports" / f"claim-{CLAIM_ID}" / "dossier.html" and page.is_file()
    assert _runs(seed["reports"]) == before  # nothing written into the original project
    tree = parse(page.read_text()).root
    assert not tree.find(id="refused")
    for a in tree.find("a", cls="report-link"):
        target = _as_browser(page, a.attrs["href"])
        assert target.is_file() and target.resolve().is_relative_to(copy.resolve()), target
    moved = tmp_path / "moved"
    copy.rename(moved)  # the copy moved on, with nothing left where it was; the original is still there
    for _ in range(2):  # a write records the new place: the paths stored before must follow it, not fall back
        code, out, err = cli("claim", "report", CLAIM_ID, "--workspace", moved / "ws")
        page = Path(out.strip())
        assert code == 0 and page == moved / "reports" / f"claim-{CLAIM_ID}" / "dossier.html", err
        tree = parse(page.read_text()).root
        assert not copy.exists() and not tree.find(id="refused")
        for a in tree.find("a", cls="report-link"):
            target = _as_browser(page, a.attrs["href"])
            assert target.is_file() and target.resolve().is_relative_to(moved.resolve()), target
    assert _runs(seed["reports"]) == before


@pytest.mark.slow
def test_a_report_failing_its_check_is_named_and_not_used(seed: dict) -> None:
    """Runs last: it edits the recycled clip's attached report (a forged first-seen date)."""
    code, out, _err = cli("claim", "show", CLAIM_ID, "--json", "--workspace", seed["ws"])
    [recycled] = [a for a in json.loads(out)["attachments"] if a["media_path"].endswith("recycled.mp4")]
    report = Path(recycled["report_path"]) / "report.json"
    report.write_text(report.read_text().replace("2019-03-14", "2024-10-03"))
    code, out, err = cli("claim", "report", CLAIM_ID, "--workspace", seed["ws"])
    assert code == 0, err
    tree = parse(Path(out.strip()).read_text()).root
    [refused] = tree.find("li", cls="refused")
    assert "recycled.mp4" in refused.text and "digest" in refused.text
    rollup = " ".join(tree.find(id="rollup")[0].text.split())
    assert "reuses footage" not in rollup and "1 of 3 attached reports fails its integrity check" in rollup
    assert "of 2 files" in rollup
    assert not [n for n in tree.find("div", cls="line") if n.attrs.get("data-file") == "recycled.mp4"]
    code, out, err = cli("claim", "show", CLAIM_ID, "--workspace", seed["ws"])
    assert code == 0 and "not used: recycled.mp4: digest" in out, out + err


def test_dossier_of_written_reports_refuses_a_swapped_page_and_never_overwrites(tmp_path: Path) -> None:
    """Fast: reports written by the real writer (no decoding), attached, a dossier written twice; a report whose
    report.html was replaced after writing (a picture swapped) is named with its reason and not used."""
    from test_coverage_seconds import reuse_in_long_clip

    from provenance import dossier
    from provenance.claims import ClaimStore
    from provenance.report.writer import write_report
    from provenance.workspace import Workspace

    store = ClaimStore(Workspace(tmp_path / "ws"))
    store.add("Troops <img src=x onerror=alert(1)> receive uniforms [x](https://tracker.invalid/p.png)",
              claimed_date="2024-10", id="c/1")
    first = reuse_in_long_clip()
    second = reuse_in_long_clip()
    second.media.path, second.media.sha256 = "other.mp4", "ef" * 32
    folders = [write_report(r, tmp_path / "reports") for r in (first, second)]
    store.attach_files("c/1", folders)
    page = dossier.write(store, "c/1", tmp_path / "out")
    assert page.parent.name == dossier.folder_name("c/1") and page.parent.name.startswith("claim-c_1-")
    text = page.read_text()
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text  # shown as text
    md = (page.parent / "dossier.md").read_text()
    assert "\\<img src=x" in md and "\\[x\\](https://tracker.invalid" in md  # no image or link in a ticket
    assert "2 of 2 files reuse footage first seen 2019-03-14, before the claimed date 2024-10." in text
    assert "9.0 s of 150.0 s" in text

    html = folders[1] / "report.html"
    html.write_text(html.read_text().replace("Known imagery", "Known imagery (edited)"))
    again = dossier.write(store, "c/1")  # where the last one was written, remembered in the workspace
    assert again == page and dossier.written_to(store, "c/1") == (tmp_path / "out").resolve()
    tree = parse(again.read_text()).root
    [refused] = tree.find("li", cls="refused")
    assert "other.mp4" in refused.text and "report.html" in refused.text
    assert "1 of 1 file reuses footage" in " ".join(tree.find(id="rollup")[0].text.split())
    shutil.rmtree(folders[0].resolve())  # a report moved away: named, not a crash
    refused_now = {r.name: r.reason for r in dossier.build(store, "c/1", pictures=False).refused}
    assert set(refused_now) == {"long.mp4", "other.mp4"} and "no report at" in refused_now["long.mp4"]
    # a report moved away is missing, which is not tampering: the roll-up tells the two apart
    rollup = dossier.build(store, "c/1", pictures=False).rollup
    assert "1 of 2 attached reports is missing and is not used: long.mp4." in rollup
    assert "1 of 2 attached reports fails its integrity check and is not used: other.mp4." in rollup
    runs = sorted((tmp_path / "out" / f"{page.parent.name}.runs").iterdir())
    assert len(runs) == 2 and (runs[0] / "dossier.html").read_text() == text  # the first is kept as written


@pytest.mark.slow
def test_chromium_shows_the_batch_overview_in_plain_words(tmp_path: Path) -> None:
    """The batch page from the same parts: titles and sources (not reference ids), thumbnails, severity colours,
    claim checks collapsed with colour, the ignored and the failed file named with their reason, plain words."""
    ws, out = tmp_path / "ws", tmp_path / "reports"
    clips = seed_scenario.make_clips(tmp_path / "in")
    clips["original"].unlink()
    (tmp_path / "in" / "notes.txt").write_text("call the stringer back\n")
    (tmp_path / "in" / "broken.mp4").write_bytes(clips["recycled"].read_bytes()[:3000])
    assert cli("init", ws)[0] == 0
    assert cli("index", "add", *seed_scenario.archive(), "--workspace", ws)[0] == 0
    assert cli("claim", "add", *seed_scenario.CLAIM, "--workspace", ws)[0] == 0
    code, _out, err = cli("batch", tmp_path / "in", "--claim", CLAIM_ID, "--workers", "0", "--pipeline", "quick",
                          "--out", out, "--workspace", ws)
    assert code == 1, err  # the broken file has no report
    dom, shot = chromium(out / "index.html", "batch_overview")
    tree = parse(dom).root
    rows = {Path(r.attrs["data-path"]).name: r for r in tree.find("tr", cls="file")}
    assert set(rows) == {"recycled.mp4", "gps_far.mp4", "broken.mp4"}
    recycled = rows["recycled.mp4"]
    assert "warning" in recycled.classes
    match = recycled.find("td", cls="match")[0].text
    assert "Archive montage" in match and "Demo archive" in match and "archive_footage" not in match
    assert "9.9 s of 13.0 s" in match
    [thumb] = recycled.find("img")
    assert min(jpeg(thumb.attrs["src"]).size) >= 32
    assert "reuses known imagery" in recycled.text and "known_imagery_match" not in dom.split("<body")[1]
    [claim] = recycled.find("details", cls="claim")
    # first seen and capture time against; every other check (place, C2PA, speech, on-screen text) unknown
    from provenance.claims import _CHECKS
    assert [c.text for c in claim.find("summary")[0].find("span", cls="chip")] == [
        "2 against", f"{len(_CHECKS) - 2} unknown"]
    assert "contradicts" in claim.find("span", cls="chip")[0].classes
    assert "Published before" in claim.text
    failed = " ".join(tree.find(id="failed")[0].text.split()) if tree.find(id="failed") else ""
    broken_li = [li.text for li in tree.find("li", cls="failed")]
    assert len(broken_li) == 1 and "broken.mp4" in broken_li[0] and "MP4" in broken_li[0], failed
    [ignored] = tree.find("li", cls="ignored")
    assert "notes.txt" in ignored.text and "text, not media" in ignored.text  # the reason, from its first bytes
    for a in tree.find("a", cls="report-link"):
        assert (out / a.attrs["href"]).is_file()
    px = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert int((np.abs(px - (0xCF, 0x22, 0x2E)).max(axis=2) < 12).sum()) > 500  # red: the warning row and chips
