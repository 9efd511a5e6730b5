"""Every profile value of every section is checked when the profile loads, with one line naming the setting.

Issue 14 (tester, D5): ``[text] interval_s = 0`` ended a run with "text stage failed: ZeroDivisionError",
``[audio] beam_size = -1`` with "audio stage failed: TypeError", and -1, 0 or 1e300 passed for lid_window_s,
max_real_time_factor, frame_size, max_frames... The table below is walked over every numeric setting the
registry's stages and ``[limits]`` declare, so a setting added later without a check fails here.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from pathlib import Path

import pytest

from provenance import registry
from provenance.config import Limits, Pipeline, load_pipeline

from conftest import SAMPLES, cli


def _numeric_settings() -> list[tuple[str, str, type]]:
    """(table, key, int or float) for every numeric setting of every section, nested tables included."""
    out: list[tuple[str, str, type]] = []

    def walk(tp: type, table: str) -> None:
        hints = typing.get_type_hints(tp)
        for f in dataclasses.fields(tp):
            if dataclasses.is_dataclass(f.default_factory):
                walk(f.default_factory, f"{table}.{f.name}")  # type: ignore[arg-type]
            elif hints[f.name] in (int, float):
                out.append((table, f.name, hints[f.name]))

    for stage in registry.STAGES:
        walk(stage.config_type, stage.name)
    walk(Limits, "limits")
    return out


SETTINGS = _numeric_settings()


def _profile(table: str, key: str, value: object) -> dict:
    data: dict = {}
    node = data
    for part in table.split("."):
        node = node.setdefault(part, {})
    node[key] = value
    return data


def _refused(table: str, key: str, value: object) -> str | None:
    try:
        Pipeline.from_dict(_profile(table, key, value))
    except ValueError as exc:
        return str(exc)
    return None


def test_the_table_covers_every_section() -> None:
    tables = {t.split(".")[0] for t, _, _ in SETTINGS}
    assert tables >= {"visual", "audio", "text", "metadata", "sidecar", "limits"}
    assert len(SETTINGS) >= 40


@pytest.mark.parametrize(("table", "key", "kind"), SETTINGS, ids=[f"{t}.{k}" for t, k, _ in SETTINGS])
def test_negative_and_non_finite_values_are_refused_naming_the_setting(table: str, key: str, kind: type) -> None:
    """-1 is no count, size, duration, share or factor any setting takes; inf and nan are no number of seconds."""
    bad: list[object] = [-1] + ([math.inf, math.nan, -0.5] if kind is float else [])
    for value in bad:
        message = _refused(table, key, value)
        assert message is not None, f"[{table}] {key} = {value!r} was accepted"
        assert message.startswith(f"[{table}] {key} ") and "\n" not in message, message


# Values each setting's meaning rules out, beyond negatives: zero where it divides or means "nothing", and
# magnitudes past a stated upper bound (the constant named in each message).
OUT_OF_RANGE = [
    ("text", "interval_s", 0), ("text", "frame_size", 0),
    ("text", "frame_size", 100_000), ("text", "max_frames", 0), ("text", "max_reads", 0),
    ("text", "min_confidence", 1.5), ("text", "models", []), ("text", "models", [""]),
    ("audio", "beam_size", 0), ("audio", "beam_size", 1000), ("audio", "lid_window_s", 0),
    ("audio", "lid_window_s", 1e300), ("audio", "lid_hop_s", 0), ("audio", "lid_hop_s", 20.0),
    ("audio", "max_real_time_factor", 0), ("audio", "max_real_time_factor", 1e300), ("audio", "max_seconds", 0),
    ("audio", "uncertain_below", 5), ("audio", "mixed_min_share", 0), ("audio", "mixed_min_share", 0.9),
    ("audio", "compute_type", "int3"), ("audio", "model", ""),
    ("visual.frames", "interval_s", 0), ("visual.frames", "max_frames", 0), ("visual.frames", "shot_threshold", 2),
    ("visual.matching", "max_distance", 256), ("visual.keyframes", "max_mb", 0),
    ("metadata", "budget_s", math.inf), ("sidecar", "budget_s", -1),
]


@pytest.mark.parametrize(("table", "key", "value"), OUT_OF_RANGE, ids=[f"{t}.{k}={v!r}" for t, k, v in OUT_OF_RANGE])
def test_values_out_of_a_settings_range_are_refused(table: str, key: str, value: object) -> None:
    message = _refused(table, key, value)
    assert message is not None, f"[{table}] {key} = {value!r} was accepted"
    assert message.startswith(f"[{table}] {key} ") and "\n" not in message, message


def test_shipped_profiles_and_defaults_pass() -> None:
    for profile in Path(__file__).resolve().parent.parent.joinpath("pipelines").glob("*.toml"):
        load_pipeline(profile)
    Pipeline.from_dict({})


def test_a_bad_text_interval_is_one_line_before_any_work(tmp_path: Path) -> None:
    """Before: exit 1 after the run, "text stage failed: ZeroDivisionError: float division by zero"."""
    profile = tmp_path / "p.toml"
    profile.write_text("[text]\nenabled = true\ninterval_s = 0\n")
    code, out, err = cli("verify", SAMPLES / "clips" / "unrelated.mp4", "--pipeline", profile, "--out", tmp_path / "r")
    assert code == 2 and out == "", err
    assert "[text] interval_s must be > 0 seconds, not 0" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_a_budget_of_no_practical_limit_runs(tmp_path: Path) -> None:
    """Before: budget_s = 1e300 (accepted by validation) ended every run in "internal error: OverflowError"."""
    profile = tmp_path / "p.toml"
    profile.write_text('name = "huge"\n[limits]\nmax_ingest_s = 1e300\n[visual]\nbudget_s = 1e300\n'
                       '[metadata]\nbudget_s = 1e300\n[audio]\nenabled = false\n')
    code, _out, err = cli("verify", SAMPLES / "clips" / "unrelated.mp4", "--pipeline", profile, "--out", tmp_path / "r")
    assert code in (0, 1) and "internal error" not in err and "OverflowError" not in err, err
