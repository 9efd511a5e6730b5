"""Pipeline profiles: which stages run, with which parameters, loaded from TOML.

A profile has one table per stage, named as the stage (``[visual]``, ``[visual.frames]``, ``[audio]``), typed by
the stage's ``config_type`` and holding its ``enabled`` flag and time budget ``budget_s``; ``[limits]`` bounds
what one input may cost. Every field has a documented default, so a profile names only what it changes.
Profiles in the layout before stages had their own tables (``[stages]``, ``[frames]``, ``[matching]``, ``[asr]``,
``[limits] <stage>_budget_s``) are read into the new one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance import registry
from provenance.limits import Limits
from provenance.stage import StageConfig

__all__ = ["Limits", "Pipeline", "load_pipeline"]

log = logging.getLogger(__name__)

PIPELINES_DIR = Path(__file__).resolve().parent.parent / "pipelines"


def _default_stages() -> dict[str, StageConfig]:
    return {stage.name: stage.config_type() for stage in registry.STAGES}


@dataclass
class Pipeline:
    """A resolved profile. ``pipeline.<stage name>`` is that stage's settings (``pipeline.visual.matching``)."""

    name: str = "standard"
    description: str = ""
    stages: dict[str, StageConfig] = field(default_factory=_default_stages)  # registry order
    limits: Limits = field(default_factory=Limits)

    def __getattr__(self, name: str) -> Any:
        stages = self.__dict__.get("stages")  # absent while unpickling: no recursion
        if stages is not None and name in stages:
            return stages[name]
        raise AttributeError(f"pipeline has no setting or stage {name!r}")

    def enabled(self, stage: str) -> bool:
        return stage in self.stages and self.stages[stage].enabled

    @property
    def digest(self) -> str:
        """SHA-256 of the resolved settings as canonical JSON: two reports with one digest ran the same settings."""
        blob = json.dumps(dataclasses.asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any], name: str = "custom") -> Pipeline:
        """Build a pipeline from a profile's TOML data; ``ValueError`` names an unknown table or setting."""
        data = _upgrade_layout(dict(data))
        pipeline = cls(name=str(data.pop("name", name)), description=str(data.pop("description", "")))
        if "limits" in data:
            pipeline.limits = _build(Limits, data.pop("limits"), "limits")
        for stage in registry.STAGES:
            if stage.name in data:
                pipeline.stages[stage.name] = _build(stage.config_type, data.pop(stage.name), stage.name)
        if data:
            known = ", ".join(["name", "description", "limits", *(s.name for s in registry.STAGES)])
            raise ValueError(f"unknown pipeline table(s) or setting(s): {', '.join(sorted(data))} (known: {known})")
        return pipeline


def _build(tp: type, values: Any, section: str) -> Any:
    """A settings dataclass from a TOML table; nested dataclass fields are sub-tables (``[visual.frames]``)."""
    if not isinstance(values, dict):
        raise ValueError(f"[{section}] must be a table, not {values!r}")
    values = dict(values)
    for old, new in getattr(tp, "renamed", {}).items():
        if old in values:
            log.warning("profile setting [%s] %s is now %s", section, old, new)
            values.setdefault(new, values.pop(old))
    fields = {f.name: f for f in dataclasses.fields(tp)}
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"unknown setting(s) in [{section}]: {', '.join(sorted(unknown))}")
    hints = typing.get_type_hints(tp)
    for key, value in values.items():
        sub = fields[key].default_factory
        if dataclasses.is_dataclass(sub):
            values[key] = _build(sub, value, f"{section}.{key}")
        else:
            _check_type(value, hints[key], f"[{section}] {key}")
    try:
        return tp(**values)
    except ValueError as exc:  # a dataclass's own range checks: say which table
        raise ValueError(f"[{section}] {exc}") from None


_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}


def _check_type(value: Any, hint: Any, where: str) -> None:
    """Refuse a TOML value of the wrong type (``enabled = "false"`` would be true; ``inf`` is no budget)."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None and type(None) in options:
        return
    for option in options:
        origin = typing.get_origin(option)
        if option is bool and isinstance(value, bool):
            return
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value):
                return
            raise ValueError(f"{where} must be a finite number, not {value!r}")
        if option is str and isinstance(value, str):
            return
        if origin is list and isinstance(value, list):
            (item,) = typing.get_args(option)
            for v in value:
                _check_type(v, item, where)
            return
    wanted = " or ".join(_WORDS.get(o, "a list" if typing.get_origin(o) is list else str(o)) for o in options
                         if o is not type(None))
    raise ValueError(f"{where} must be {wanted}, not {value!r}")


def _upgrade_layout(data: dict[str, Any]) -> dict[str, Any]:
    """Read a profile of the layout before per-stage tables into the per-stage one (nothing else changes)."""
    old_flags = data.pop("stages", None)
    for stage in registry.STAGES:
        for old, target in stage.config_type.legacy_tables.items():
            if old in data:
                table = data.setdefault(stage.name, {})
                if target:
                    table[target] = {**data.pop(old), **table.get(target, {})}
                else:
                    data[stage.name] = {**data.pop(old), **table}
    if isinstance(old_flags, dict):
        for stage_name, on in old_flags.items():
            if stage_name not in {s.name for s in registry.STAGES}:
                raise ValueError(f"unknown stage {stage_name!r} in [stages]")
            data.setdefault(stage_name, {}).setdefault("enabled", bool(on))
    limits = data.get("limits")
    if isinstance(limits, dict):
        for stage in registry.STAGES:
            if (old := f"{stage.name}_budget_s") in limits:
                data.setdefault(stage.name, {}).setdefault("budget_s", limits.pop(old))
    return data


def load_pipeline(name_or_path: str | Path | None = None) -> Pipeline:
    """Load a profile by name (``pipelines/NAME.toml``) or by path; None gives ``standard``.

    Raises ``FileNotFoundError`` (naming the known profiles) or ``ValueError`` (a bad table or setting).
    """
    if name_or_path is None:
        name_or_path = "standard"
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = PIPELINES_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in PIPELINES_DIR.glob("*.toml"))
        raise FileNotFoundError(f"no pipeline {str(name_or_path)!r} (known: {', '.join(known)})")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # tomllib's message names no file
        raise ValueError(f"profile {path} is not valid TOML: {exc}") from None
    return Pipeline.from_dict(data, name=path.stem)
