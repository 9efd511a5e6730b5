"""Verify a file into a report folder and attach it to a claim: the one way ``verify`` and ``batch`` do it.

With a claim, the report is assessed once: the assessment goes into the report (``report.claim``) before it is
written, and the claim record stores that same assessment, so the two always agree. ``batch`` verifies on Dask
workers and writes in its own process, so it uses the two halves, :func:`write_to_folder` and
:func:`attach_to_claim`, that :func:`verify_to_folder` chains after ``verify``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from provenance.claims import Claim, ClaimError, ClaimStore, NotAttached, assess
from provenance.config import Pipeline
from provenance.pipeline import verify
from provenance.report.integrity import write_key
from provenance.report.model import ClaimSection, Report
from provenance.report.writer import write_report
from provenance.visual.index import KnownImageryIndex
from provenance.workspace import Workspace, WorkspaceError, reading_workspace

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def verify_to_folder(
    path: str | Path,
    *,
    pipeline: Pipeline | str | Path | None = None,
    workspace: Workspace | str | Path | None = None,
    out: str | Path = "reports",
    claim_id: str | None = None,
    index: KnownImageryIndex | None = None,
    sign: bool | None = None,
    replace: bool = False,
) -> tuple[Report, Path]:
    """Verify ``path``, write its report folder into ``out`` and, with ``claim_id``, attach it to that claim.

    Returns the report and its folder (``out/<stem>-<sha256[:12]>``). Raises ``ClaimError`` for an unknown
    claim before any work, and ``MediaError`` when the input is not readable media (nothing is written);
    ``NotAttached`` when the report was written but not attached: the workspace was locked or full, or the claim
    holds a signed report of this file and this one is not signed the same way (``replace`` overrides that, as
    ``claim attach --replace`` does: see :meth:`ClaimStore.record`).
    ``index`` reuses a loaded known-imagery index; by default the workspace's is opened. ``sign`` (default
    ``$PROVENANCE_SIGN_REPORTS``) signs the report as written with the workspace's key, which must exist.
    """
    ws = workspace if isinstance(workspace, Workspace) else reading_workspace(workspace)  # never created here
    claims = ClaimStore(ws)
    claim = claims.get(claim_id) if claim_id else None
    key = write_key(ws.key_root, sign)  # a missing key stops us before any work
    report = verify(path, pipeline=pipeline, workspace=ws, index=index)
    folder = write_to_folder(report, out, claim=claim, signing_key=key)
    if claim is not None:
        try:
            attach_to_claim(claims, claim, report, folder, replace=replace)
        except WorkspaceError as exc:  # the report is written and kept: say so, and how to attach it later
            raise NotAttached(report, folder.resolve(), claim.id, str(exc)) from exc
        except ClaimError as exc:  # a signed attachment of this file stays: the same words as `claim attach`
            raise NotAttached(report, folder.resolve(), claim.id, str(exc), replace=True) from exc
    return report, folder


def write_to_folder(report: Report, out: str | Path, *, claim: Claim | None = None,
                    signing_key: Ed25519PrivateKey | None = None) -> Path:
    """Write the report folder into ``out`` (signed with ``signing_key``, if given); with ``claim``, first assess
    the report into ``report.claim``."""
    if claim is not None:
        report.claim = assess(claim, report)
    return write_report(report, out, signing_key=signing_key)


def attach_to_claim(claims: ClaimStore, claim: Claim, report: Report, folder: str | Path, *,
                    replace: bool = False) -> ClaimSection:
    """Attach a written report to ``claim`` and return the assessment stored.

    That is the report's own ``report.claim`` when it was assessed against this claim (see
    :func:`write_to_folder`); a report written without it (a batch resumed with ``--claim`` from reports of a
    run without) is assessed here. Without ``replace``, a signed attachment of the same file is not replaced by
    a report signed otherwise or unsigned (``ClaimError``, nothing stored; see :meth:`ClaimStore.record`).
    """
    section = report.claim if report.claim is not None and report.claim.id == claim.id else assess(claim, report)
    claims.record(claim, [(report, folder, section)], replace=replace)
    return section
