"""The only list of stages. Profiles, budgets, the report, findings and both writers iterate over it.

Adding a stage: a package with a ``Stage`` subclass (see ``provenance.stage``), and one line here. The order is
the order stages run in and the order of their sections in report.json, report.html and report.md.
"""

from __future__ import annotations

from provenance.audio.stage import AudioStage
from provenance.metadata.stage import MetadataStage
from provenance.sidecar.stage import SidecarStage
from provenance.stage import Stage
from provenance.text.stage import TextStage
from provenance.visual.stage import VisualStage

STAGES: tuple[Stage, ...] = (
    VisualStage(),
    MetadataStage(),
    AudioStage(),
    TextStage(),
    SidecarStage(),
)


def check(stages: tuple[Stage, ...]) -> None:
    """Refuse a registry whose stage names collide: with each other, a profile's own keys, or report fields."""
    names = [s.name for s in stages]
    for stage in stages:
        profile_key = stage.name in {"name", "description", "limits", "stages"}
        if profile_key or names.count(stage.name) > 1 or stage.section_type.key != stage.name:
            raise TypeError(f"stage name {stage.name!r} is taken (by another stage, a profile key, or a report field),"
                            f" or is not its section's key {stage.section_type.key!r}")


check(STAGES)
