"""Turn stage results into findings: what was observed, how strong it is, and where it came from.

Each stage owns its rules (``Stage.findings``); this gathers them in registry order, adds the findings a run
noted (work cut short by a limit) and one per failed stage, and orders them by severity (stable within one).
Findings are evidence, not verdicts. Severity says how much an analyst should look, not whether the footage
is fake: a missing capture time or Content Credentials manifest is "unknown", never proof of manipulation.
"""

from __future__ import annotations

from collections.abc import Iterable

from provenance import coverage, registry
from provenance.report.model import Finding, Report

_ORDER = {"warning": 0, "notice": 1, "info": 2}


def said_before(report: Report) -> dict[str, str]:
    """For each stage whose error repeats an earlier stage's word for word, that earlier stage: the visual and text
    stages decode a still with the same decoder and failed with the same refusal, printed twice (issue 14 round
    4 L1); the second says "for the same reason as the visual stage" instead."""
    first: dict[str, str] = {}
    return {e.stage: first[e.message] for e in report.errors if first.setdefault(e.message, e.stage) != e.stage}


def stage_errors(report: Report) -> list[Finding]:
    """One finding per failed stage. An error of a stage whose section is ``ok`` is a partly decoded stream
    (``provenance.coverage``): the stage did not fail, and its ``decoded_coverage`` finding says what decoded."""
    same = said_before(report)
    return [Finding("stage_error", "notice", f"The {e.stage} stage failed: "
                    + (f"for the same reason as the {same[e.stage]} stage." if e.stage in same else e.message),
                    {"stage": e.stage})
            for e in report.errors if (s := report.sections.get(e.stage)) is None or s.status != "ok"]


def derive_findings(report: Report, noted: Iterable[Finding] = ()) -> list[Finding]:
    """Every stage's findings, then ``noted`` ones and stage errors, sorted warning > notice > info."""
    findings = [f for stage in registry.STAGES for f in stage.findings(report)]
    findings += [*coverage.findings(report), *noted, *stage_errors(report)]
    return sorted(findings, key=lambda f: _ORDER[f.severity])
