"""The stage contract: one class owns everything about one step of the pipeline.

A stage has a name (its report section's key and its profile table, ``[visual]``), a typed settings section
(``StageConfig`` subclass, its time budget included), ``run(ctx) -> Section``, its findings rules and its view
(a ``StageView``: an HTML partial, Markdown lines, timeline rows). ``provenance.registry.STAGES`` is the only
list of stages: profiles, budgets, the report, findings and both writers iterate over it, so adding a stage is
one package plus one line there (the shape of PySceneDetect's detectors and Bellingcat auto-archiver's steps).

This module is light (no decoder, no model): stage modules import heavy libraries inside ``run``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from provenance.report.model import Finding, Kind, Report, Section

if TYPE_CHECKING:
    from provenance.config import Pipeline
    from provenance.media import MediaFile
    from provenance.report.model import Artefacts
    from provenance.report.view import TimelineRow
    from provenance.visual.index import KnownImageryIndex
    from provenance.workspace import Workspace


def require(ok: bool, rule: str, value: object) -> None:
    """A settings dataclass's range check: ``ValueError("<rule>, not <value>")``; ``config._build`` prefixes the
    profile table, so the user reads one line naming the setting (``[text] interval_s must be > 0 seconds``)."""
    if not ok:
        raise ValueError(f"{rule}, not {value!r}")


@dataclass
class StageConfig:
    """Settings every stage has, in its profile table ``[<stage name>]``.

    ``budget_s`` is the stage's wall-clock budget in seconds (0: none): a stage past it is recorded as failed
    and the other stages still run (see ``provenance.limits``). Subclasses override its default.
    """

    enabled: bool = True
    budget_s: float = 0.0

    # profile tables of the layout before stages had their own table, read into this one: {old table: field}
    # ("" reads the old table's keys into this section itself), and renamed keys {old key: new key}
    legacy_tables: ClassVar[dict[str, str]] = {}
    renamed: ClassVar[dict[str, str]] = {}

    def __post_init__(self) -> None:
        budget = self.budget_s
        if not isinstance(budget, int | float) or isinstance(budget, bool) or not 0 <= budget < math.inf:
            raise ValueError(f"budget_s must be a finite number of seconds >= 0 (0: no budget), not {budget!r}")

    @property
    def budget(self) -> float | None:
        """The budget in seconds, or None when the stage has none."""
        return float(self.budget_s) if self.budget_s else None


@dataclass
class Context:
    """What a stage's ``run`` may read, and the two things it may add to besides its section.

    Each stage gets its own context with fresh ``artefacts`` and ``notes``; the runner merges them only when the
    stage finished within its budget, so a stage abandoned in native code never writes into the report.
    """

    media: MediaFile
    pipeline: Pipeline
    workspace: Workspace
    index: KnownImageryIndex
    config: Any = None  # this stage's StageConfig subclass (set by the runner)
    artefacts: Artefacts | None = None  # pixels for the HTML report (not in the JSON)
    notes: list[Finding] = field(default_factory=list)  # findings only the run knows (work cut short by a limit)
    # the sections of the stages that ran before this one, read-only (the text stage reads the visual stage's
    # shot changes rather than decode every frame again); empty when a stage is run alone
    earlier: dict[str, Section] = field(default_factory=dict)


class StageView:
    """What report.html and report.md show of one stage; light (no decoder), from the report alone.

    Each method gets the whole report (a view may show the media's facts beside its section); the defaults show
    nothing, so a stage without a view is still listed in the run table.
    """

    def html(self, report: Report) -> str:
        """This stage's part of ``report.html``: autoescaped markup, rendered from the stage's own template."""
        return ""

    def markdown(self, report: Report) -> list[str]:
        """This stage's lines of ``report.md`` (a ``## Title`` section), media strings escaped."""
        return []

    def timeline_rows(self, report: Report, duration: float) -> list[TimelineRow]:
        """Rows this stage adds to the report's clip timeline (``duration`` in seconds, > 0)."""
        return []

    def timeline_end(self, report: Report) -> float:
        """The latest time (s) this stage's section refers to: the timeline spans the longest of them."""
        return 0.0

    def legend(self, report: Report) -> list[tuple[str, str]]:
        """Timeline legend entries (css class, text) for this stage's rows."""
        return []

    def run_details(self, report: Report) -> list[tuple[str, str]]:
        """(label, text) rows for the report's "Run" table: engines, models, readers this stage used."""
        return []


class Stage(ABC):
    """One step of the pipeline. Subclasses set the class attributes and implement ``run``."""

    name: ClassVar[str]  # report section key, profile table, timings key, error "stage"
    config_type: ClassVar[type[StageConfig]]
    section_type: ClassVar[type[Section]]
    kinds: ClassVar[frozenset[Kind]]  # media kinds it applies to; others get status "not_applicable"
    view: ClassVar[StageView] = StageView()  # what report.html and report.md show of it

    def applies(self, media: MediaFile) -> bool:
        return media.kind in self.kinds

    @abstractmethod
    def run(self, ctx: Context) -> Section:
        """Analyse ``ctx.media`` and return this stage's section (status "ok"); raise to record a failure.

        Raise a ``provenance.errors.ProvenanceError`` with a one-line message for failures a user can act on;
        anything else is recorded with its exception type.
        """

    def evidence(self, report: Report, ctx: Context) -> None:
        """After every stage ran: fetch what the view shows beside the section (pixels of matched reference
        frames) into ``ctx.artefacts``. Must not raise for bad material; the default does nothing."""
        return None

    def findings(self, report: Report) -> list[Finding]:
        """Findings from this stage's section: what was observed, how strong, and where it came from."""
        return []
