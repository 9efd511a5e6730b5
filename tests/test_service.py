"""``verify_to_folder`` and batch with a claim: one assessment per file, the same in the report and the claim record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provenance import claims, service
from provenance.batch import BatchOptions, run_batch
from provenance.claims import Claim, ClaimError, ClaimStore
from provenance.report.model import ClaimSection, Report
from provenance.service import verify_to_folder
from provenance.workspace import Workspace


@pytest.fixture
def assessments(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The media paths of every assessment made (the real ``assess``, counted wherever it is called from)."""
    made: list[str] = []
    real = claims.assess

    def counted(claim: Claim, report: Report) -> ClaimSection:
        made.append(Path(report.media.path).name)
        return real(claim, report)

    monkeypatch.setattr(claims, "assess", counted)
    monkeypatch.setattr(service, "assess", counted)
    return made


def _stored(ws: Workspace, claim_id: str) -> dict[str, list[dict]]:
    return {Path(a.media_path).name: [vars(x) for x in a.assessment] for a in ClaimStore(ws).attachments(claim_id)}


def _in_report(folder: Path) -> list[dict]:
    return json.loads((folder / "report.json").read_text())["claim"]["assessment"]


def test_verify_to_folder_assesses_once_and_the_record_matches_the_report(
    tmp_path: Path, samples: Path, assessments: list[str]
) -> None:
    ws = Workspace(tmp_path / "ws")
    claim = ClaimStore(ws).add("A photo taken in October 2024", claimed_date="2024-10", id="c-photo")
    report, folder = verify_to_folder(samples / "clips" / "photo_reuse.jpg", pipeline="quick", workspace=ws,
                                      out=tmp_path / "reports", claim_id=claim.id)
    assert assessments == ["photo_reuse.jpg"]
    assert folder.parent == tmp_path / "reports" and (folder / "report.html").is_file()
    assert report.claim is not None and report.claim.id == "c-photo"
    assert _stored(ws, "c-photo") == {"photo_reuse.jpg": _in_report(folder)}


def test_verify_to_folder_refuses_an_unknown_claim_before_any_work(tmp_path: Path, samples: Path) -> None:
    with pytest.raises(ClaimError, match="no claim"):
        verify_to_folder(samples / "clips" / "photo_reuse.jpg", pipeline="quick", workspace=tmp_path / "ws",
                         out=tmp_path / "reports", claim_id="c-nope")
    assert not (tmp_path / "reports").exists()


def test_batch_assesses_each_file_once_and_not_again_on_resume(
    tmp_path: Path, samples: Path, assessments: list[str]
) -> None:
    ws, out = Workspace(tmp_path / "ws"), tmp_path / "reports"
    clips = tmp_path / "in"
    clips.mkdir()
    for name in ("photo_reuse.jpg", "unrelated.mp4"):
        (clips / name).write_bytes((samples / "clips" / name).read_bytes())
    run_batch([clips], pipeline="quick", workspace=ws, options=BatchOptions(out=out, workers=0))  # no claim yet
    assert assessments == []
    ClaimStore(ws).add("Bikes in October 2024", claimed_date="2024-10", id="c-bikes")

    # resumed reports were written without the claim: assessed once each, here
    first = run_batch([clips], pipeline="quick", workspace=ws,
                      options=BatchOptions(out=out, workers=0, claim="c-bikes"))
    assert first.counts.resumed == 2 and sorted(assessments) == ["photo_reuse.jpg", "unrelated.mp4"]
    # fresh reports: assessed once each, into the report, and that assessment is the one attached
    assessments.clear()
    fresh = run_batch([clips], pipeline="quick", workspace=ws,
                      options=BatchOptions(out=out, workers=0, claim="c-bikes", redo=True))
    assert fresh.counts.verified == 2 and sorted(assessments) == ["photo_reuse.jpg", "unrelated.mp4"]
    stored = _stored(ws, "c-bikes")
    for item in fresh.items:
        assert stored[Path(item.path).name] == _in_report(out / item.report)
        assert item.claim == {x["check"]: x["result"] for x in _in_report(out / item.report)}
    # resumed reports that carry this claim's assessment are not assessed again
    assessments.clear()
    again = run_batch([clips], pipeline="quick", workspace=ws,
                      options=BatchOptions(out=out, workers=0, claim="c-bikes"))
    assert again.counts.resumed == 2 and assessments == []
    assert [i.claim for i in again.items] == [i.claim for i in fresh.items]


def test_the_python_api_refuses_a_url_with_a_clear_error() -> None:
    """Before: `provenance.verify("https://x/y.mp4")` said "https:/x/y.mp4: no such file" (a slash lost)."""
    import provenance
    from provenance.media import MediaError

    with pytest.raises(MediaError, match="is a URL"):
        provenance.verify("https://x.example/y.mp4", pipeline="quick")
