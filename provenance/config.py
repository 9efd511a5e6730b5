"""Pipeline profiles: which stages run, with which parameters, loaded from TOML.

Every field has a documented default, so a profile file names only what it changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance.audio.config import AudioConfig
from provenance.limits import Limits
from provenance.visual.config import FramesConfig, MatchingConfig

__all__ = ["AudioConfig", "FramesConfig", "Limits", "MatchingConfig", "Pipeline", "load_pipeline"]

PIPELINES_DIR = Path(__file__).resolve().parent.parent / "pipelines"










@dataclass
class Pipeline:
    name: str = "standard"
    description: str = ""
    metadata: bool = True
    visual: bool = True
    audio: bool = True
    frames: FramesConfig = field(default_factory=FramesConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    asr: AudioConfig = field(default_factory=AudioConfig)
    limits: Limits = field(default_factory=Limits)

    @property
    def digest(self) -> str:
        blob = json.dumps(dataclasses.asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any], name: str = "custom") -> Pipeline:
        data = dict(data)
        stages = data.pop("stages", {})
        sub = {"frames": FramesConfig, "matching": MatchingConfig, "asr": AudioConfig, "limits": Limits}
        kwargs: dict[str, Any] = {"name": data.pop("name", name)}
        for key, value in data.items():
            if key in sub:
                kwargs[key] = _build(sub[key], value, key)
            elif key in {"description"}:
                kwargs[key] = value
            else:
                raise ValueError(f"unknown pipeline setting {key!r}")
        for stage, on in stages.items():
            if stage not in {"metadata", "visual", "audio"}:
                raise ValueError(f"unknown stage {stage!r} in [stages]")
            kwargs[stage] = bool(on)
        return cls(**kwargs)


def _build(tp: type, values: dict[str, Any], section: str) -> Any:
    names = {f.name for f in dataclasses.fields(tp)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown setting(s) in [{section}]: {', '.join(sorted(unknown))}")
    return tp(**values)


def load_pipeline(name_or_path: str | Path | None = None) -> Pipeline:
    """Load a profile by name (``pipelines/NAME.toml``) or by path; None gives ``standard``."""
    if name_or_path is None:
        name_or_path = "standard"
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = PIPELINES_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in PIPELINES_DIR.glob("*.toml"))
        raise FileNotFoundError(f"no pipeline {str(name_or_path)!r} (known: {', '.join(known)})")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return Pipeline.from_dict(data, name=path.stem)
