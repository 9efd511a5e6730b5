"""The batch's options, its rows (one per file found) and its result: plain data, written to summary.json as is."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from provenance.errors import ProvenanceError
from provenance.visual.signals import PDQ

ItemStatus = Literal["pending", "ok", "stage_error", "error"]
# verified: in this run; resumed: its report from an earlier run was reused; rematched: its earlier report was
# matched against another index state, so its frames were matched again from the stored fingerprint (see stale);
# duplicate: same SHA-256 as another file of this batch (see duplicate_of); failed: no report.
Action = Literal["pending", "verified", "resumed", "rematched", "duplicate", "failed"]
Phase = Literal["discover", "hash", "rematch", "verify", "links", "done"]


class BatchError(ProvenanceError):
    """The batch cannot start (no such folder, nothing to verify, no cluster); one line for the user."""


@dataclass
class LinkConfig:
    """When two files of a batch count as sharing footage (DESIGN: PDQ matching thresholds)."""

    max_distance: int = PDQ.max_distance  # PDQ Hamming distance at or below which two frames match
    min_quality: int = PDQ.min_quality  # frames flatter than this are ignored (they match anything flat)
    min_shared_frames: int = 2  # frames of each file that match the other; 1 when either is a still
    examples: int = 5  # matched frame times kept per link as evidence


@dataclass
class BatchOptions:
    out: Path = Path("reports")  # report folders and the summary files go here
    workers: int | None = None  # local worker processes; None: one per CPU core; 0: in this process (no Dask)
    threads_per_worker: int = 1  # one file at a time per process: decoders and Whisper bring their own threads
    scheduler: str | None = None  # address of an existing Dask scheduler (then ``workers`` is unused)
    claim: str | None = None  # claim id: assess every report against it and attach it as results arrive
    redo: bool = False  # verify again even where a report for the same SHA-256 and pipeline exists
    # with ``claim``: replace a signed attachment of a file by a report signed otherwise or unsigned (else refused)
    replace: bool = False
    links: LinkConfig = field(default_factory=LinkConfig)
    sign: bool | None = None  # sign each report as written (the workspace key); None: $PROVENANCE_SIGN_REPORTS
    checkpoint_s: float = 30.0  # rewrite the (incomplete) summary this often during a long batch
    # >0: the known-imagery index split by reference into this many shards, held by the Dask workers
    # (provenance.visual.sharded), each file's search fanned out to them; 0: each worker loads the whole index
    shards: int = 0


@dataclass
class BriefFinding:
    code: str
    severity: str
    message: str


@dataclass
class BatchItem:
    """One row of the summary: a file found, what happened to it, and what its report says."""

    path: str
    size_bytes: int = 0
    identified_by: str = ""
    status: ItemStatus = "pending"
    action: Action = "pending"
    sha256: str | None = None
    kind: str | None = None
    report: str | None = None  # report folder, relative to the output folder
    duplicate_of: str | None = None  # path of the file with the same SHA-256 that was verified
    top_match: str | None = None  # reference id of the best known-imagery match
    top_match_first_seen: str | None = None
    top_match_coverage: float | None = None  # share of the clip's sampled frames with detail that matched (a detail)
    top_match_s: float | None = None  # clip seconds the best match covers (``visual.wording.coverage``)
    top_match_title: str | None = None  # the best match's reference title, source and URL, as indexed
    top_match_source: str | None = None
    top_match_url: str | None = None
    duration_s: float | None = None  # the file's duration (None for a still)
    capture_time: str | None = None
    language: str | None = None
    language_probability: float | None = None
    # how far the language is evidence (``audio.languages``): "identified" (p >= FIRM_P, counted), "lead" (counted,
    # under FIRM_P), "best guess" (the stage called it uncertain, or it is not counted); None without a language
    language_strength: str | None = None
    findings: list[BriefFinding] = field(default_factory=list)
    claim: dict[str, str] = field(default_factory=dict)  # check -> result, with --claim
    group: int | None = None  # shared-footage group (see BatchResult.groups)
    message: str | None = None  # why there is no report, or which stages failed
    seconds: float | None = None  # verification time on the worker
    # an earlier report of this file that failed its integrity check, with the reason: not reused, verified again
    refused: str | None = None
    # why the earlier report's matches were stale ("index changed since the report: 1 reference added"): it was
    # matched again (action "rematched"), or verified in full when its stored fingerprint could not be used
    stale: str | None = None
    fingerprint_refused: str | None = None  # why the stored fingerprint could not be used (then: verified again)
    not_attached: str | None = None  # with --claim: why the report was not attached (a signed one stays attached)
    # who vouches for the report (claims.SIGNED_WORDS): "unsigned" passes its digest check even if edited on purpose
    origin: str | None = None


@dataclass
class Link:
    """Two files that share footage: how many frames of each matched the other, and where."""

    a: str
    b: str
    a_frames: int
    b_frames: int
    min_distance: int
    examples: list[tuple[float, float]] = field(default_factory=list)  # (time in a, time in b)
    # linked through the index instead of by their own frames: both show this reference over overlapping
    # stretches (``links.reference_spans``); ``examples`` are then (start, end) of that shared stretch in it,
    # seconds (a still's page key, page - 1) and the frame counts and distance are of their matches (issue 12 D9)
    via: str | None = None


@dataclass
class Group:
    id: int
    members: list[str]
    links: list[Link] = field(default_factory=list)


@dataclass
class Counts:
    files: int = 0
    verified: int = 0
    resumed: int = 0
    rematched: int = 0  # earlier reports matched again against the changed index, from their stored fingerprint
    duplicates: int = 0
    errors: int = 0  # files without a report
    stage_errors: int = 0  # reports where some stage failed
    ignored: int = 0  # files that are not media


@dataclass
class Progress:
    phase: Phase
    done: int
    total: int
    elapsed_s: float
    eta_s: float | None = None  # None until there is a rate to go by
    item: BatchItem | None = None  # the file just finished, in the verify phase


@dataclass
class BatchResult:
    items: list[BatchItem]
    groups: list[Group]
    ignored: list[str]
    counts: Counts
    out: Path
    summary: Path  # summary.json; summary.csv and index.html sit beside it
    elapsed_s: float
    scheduler: str

    @property
    def ok(self) -> bool:
        return all(i.status == "ok" and not i.not_attached for i in self.items)
