"""The only list of stages. Profiles, budgets, the report, findings and both writers iterate over it.

Adding a stage: a package with a ``Stage`` subclass (see ``provenance.stage``), and one line here. The order is
the order stages run in and the order of their sections in report.json, report.html and report.md.
"""

from __future__ import annotations

from provenance.audio.stage import AudioStage
from provenance.metadata.stage import MetadataStage
from provenance.stage import Stage
from provenance.visual.stage import VisualStage

STAGES: tuple[Stage, ...] = (
    VisualStage(),
    MetadataStage(),
    AudioStage(),
)


def get_stage(name: str) -> Stage:
    """The registered stage called ``name``; ``KeyError`` names the known ones."""
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise KeyError(f"no stage {name!r} (known: {', '.join(s.name for s in STAGES)})")
