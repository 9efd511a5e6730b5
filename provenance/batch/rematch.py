"""Stale reports in a batch re-run: reports matched against another index state, matched again without decoding.

A report records the known-imagery index it was matched against (``visual.index_state``). When references were
added, removed or edited since (a first-seen date corrected), its matches may be wrong while its frames are not:
the visual section is matched again from the fingerprint stored beside it (``fingerprint.npz``, see
``provenance.visual.store``) against the index as it is now, and written as a new run of the report, which says so
(``visual.rematched``). The other sections (metadata, audio) are the earlier run's: the file has not changed (its
SHA-256 is the report's) and they do not depend on the index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from pathlib import Path

from provenance._version import __version__
from provenance.config import Pipeline
from provenance.findings import derive_findings
from provenance.report.model import Finding, IndexState, Rematch, Report, ToolInfo
from provenance.visual.index import KnownImageryIndex
from provenance.visual.keyframes import carried_files
from provenance.visual.stage import rematch_embedded, rematch_section
from provenance.visual.store import EMBEDDED_FINGERPRINT_FILE, FINGERPRINT_FILE, load

_VISUAL = "visual"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def stale_reason(report: Report, now: IndexState) -> str | None:
    """Why ``report``'s matches may not be what the index ``now`` gives, or None when they are.

    Only the visual section depends on the index: a report whose visual stage did not run (audio, a profile
    without it) or failed is never stale for this reason. A report with no match made when the index was empty,
    and an index still empty, cannot differ.
    """
    visual = report.visual
    if visual.status != "ok":
        return None
    then = visual.index_state
    if now.references == 0 and not visual.matches and (then is None or then.references == 0):
        return None
    if then is None:
        return "the report does not record the index state it was matched against"
    if then.workspace != now.workspace:
        return "it was matched against another workspace's index"
    parts = []
    added = now.references - then.references
    if added:
        parts.append(f"{_plural(abs(added), 'reference')} {'added' if added > 0 else 'removed'}")
    elif now.generation != then.generation:
        parts.append("reference frames changed")
    if now.reference_generation != then.reference_generation and now.generation == then.generation:
        parts.append("reference details edited (title, source, url or first-seen date)")
    elif added > 0 and now.reference_generation - then.reference_generation > added:
        # each reference row added, edited or removed bumps reference_generation once (workspace.py's triggers),
        # so more bumps than adds mean more than adds: "3 references added" alone hid a first-seen date edited
        # in the same interval (issue 12 round 8, L2); a removal and another add would bump it too, so both are said
        parts.append("and reference details edited (title, source, url or first-seen date) or a reference removed")
    return f"index changed since the report: {', '.join(parts)}" if parts else None


def _canonical(finding: Finding) -> str:
    return json.dumps([finding.code, finding.severity, finding.message, finding.evidence], sort_keys=True,
                      default=str)


def rematch(old: Report, folder: Path, *, pipeline: Pipeline, index: KnownImageryIndex, reason: str) -> Report:
    """A new report for ``old``'s file with its visual section matched again from the stored fingerprint.

    ``folder`` is the report's folder (the link to its latest run, or the run itself). ``old`` must have passed
    ``read_verified``. A motion photo's embedded clip is matched again from its own stored fingerprint
    (``visual.store.EMBEDDED_FINGERPRINT_FILE``). Raises ``FingerprintError`` (one line) when a stored fingerprint
    cannot be used (or a report that examined an embedded clip stored none): the caller then verifies the file in
    full.
    """
    started = time.perf_counter()
    run = Path(folder).resolve()
    fp, data = load(old, run)
    report = Report.from_dict(json.loads(json.dumps(old.to_dict())))  # a copy: ``old`` stays as it was read
    report.integrity, report.claim = None, None  # sealed anew; assessed anew by the writer when there is a claim
    report.tool = ToolInfo(version=__version__)
    report.created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = Rematch(from_run=f"{run.parent.name}/{run.name}", from_created_at=old.created_at,
                     from_tool_version=old.tool.version, previous_index_state=old.visual.index_state, reason=reason,
                     fingerprint_sha256=hashlib.sha256(data).hexdigest())
    report.visual = rematch_section(old.visual, fp, pipeline.stages[_VISUAL], index, record)
    emb = old.visual.embedded_video
    if emb is not None and emb.error is None:  # a motion photo's clip: matched again too, as verify matches it
        clip_fp, clip_data = load(old, run, embedded=True)  # none stored (an older report): verified in full
        report.visual.embedded_video = rematch_embedded(emb, clip_fp, pipeline.stages[_VISUAL], index)
        report.artefacts.files[EMBEDDED_FINGERPRINT_FILE] = clip_data
    # this run's work only: the other stages' timings are in the report of ``from_run``
    report.timings = {_VISUAL: round(time.perf_counter() - started, 3)}
    report.artefacts.thumbnails = {f.t: f.thumbnail for f in fp.frames if f.thumbnail}
    report.artefacts.files[FINGERPRINT_FILE] = data  # so that this report, too, can be matched again
    report.artefacts.files.update(carried_files(old.visual, run))  # the same file's keyframes (visual/keyframes)
    if report.visual.matches:
        from provenance.visual.evidence import attach_match_evidence

        t0 = time.perf_counter()
        attach_match_evidence(report.visual.matches, index, report.artefacts)
        report.timings["evidence"] = round(time.perf_counter() - t0, 3)
    # findings only the earlier run knew (limits it noted) stay; the rules' findings are derived anew
    derived = {_canonical(f) for f in derive_findings(old)}
    noted = [f for f in old.findings if _canonical(f) not in derived]
    report.findings = derive_findings(report, noted)
    report.timings["total"] = round(time.perf_counter() - started, 3)
    return report
