"""Property-based tests (Hypothesis): the metadata normalisers never raise on what a forger can write and keep
their promises (printable, bounded, in range), and every report survives the JSON round trip unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import re
import types
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from provenance.metadata import normalise, reading
from provenance.metadata.container import ContainerTags, StreamTags
from provenance.metadata.exif import ExifTags
from provenance.metadata.reading import Reading, Tagged
from provenance.report.model import Report

# CI runs the same examples every time (derandomize): a submission must not fail on a draw that the previous one
# never saw. HYPOTHESIS_PROFILE=explore searches afresh, with more examples, when you are hunting for bugs.
settings.register_profile("ci", max_examples=150, deadline=None, database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=2000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Text as metadata arrives: any code point but lone surrogates (decoders never produce them), control
# characters, bidi overrides and escapes well represented, sometimes long.
_NASTY = st.sampled_from(["\x00", "\x1b[31m", "\u202e", "\r\n", "\x7f", "\ufeff", "\u200b", " ", "\t", "…"])
any_text = st.lists(st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), _NASTY),
                    max_size=30).map("".join)
long_text = st.builds(lambda s, n: s * n, any_text, st.integers(1, 400))


def printable(value: str) -> bool:
    return all(c.isprintable() or c == " " for c in value)


# -- text cleaning ----------------------------------------------------------------------------------------
@given(st.one_of(any_text, long_text, st.binary(max_size=3000)), st.integers(1, 2000))
def test_reading_text_is_printable_bounded_and_idempotent(value: str | bytes, limit: int) -> None:
    out = reading.text(value, limit)
    assert printable(out) and len(out) <= limit
    assert reading.text(out, limit) == out


@given(st.one_of(any_text, long_text))
def test_clean_keeps_only_printable_text(value: str) -> None:
    out = normalise.clean(value)
    assert printable(out) and out == out.strip() and normalise.clean(out) == out
    assert set(out) <= set(value)


# -- times ------------------------------------------------------------------------------------------------
@given(any_text)
def test_parse_time_never_raises(value: str) -> None:
    stamp = normalise.parse_time(value, "Test:Tag")
    if stamp is not None and stamp.when is not None:
        assert 1 <= stamp.when.year <= 9999
        assert stamp.iso is not None and dt.datetime.fromisoformat(stamp.iso.replace("Z", "+00:00"))


_OFFSETS = st.builds(lambda sign, h, m: f"{sign}{h:02d}:{m:02d}", st.sampled_from("+-"), st.integers(0, 14),
                     st.sampled_from([0, 30, 45]))


@given(st.datetimes(min_value=dt.datetime(1905, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0)), st.one_of(st.none(), _OFFSETS),
    st.sampled_from(["{:%Y:%m:%d %H:%M:%S}", "{:%Y-%m-%dT%H:%M:%S}", "{:%Y-%m-%d %H:%M:%S}"]))
@example(dt.datetime(1970, 1, 1), None, "{:%Y:%m:%d %H:%M:%S}")  # the explore profile's draw
def test_exif_and_iso_times_round_trip(when: dt.datetime, offset: str | None, layout: str) -> None:
    text = layout.format(when)
    stamp = normalise.parse_time(text, "EXIF:DateTimeOriginal", offset=offset)
    if when == dt.datetime(1970, 1, 1):  # the Unix epoch at midnight is a zeroed clock, not a time (_is_epoch)
        assert stamp is not None and stamp.when is None
        return
    assert stamp is not None and stamp.when is not None
    assert stamp.when.replace(tzinfo=None) == when
    assert stamp.tz == offset
    if offset is not None:
        assert stamp.when.utcoffset() is not None
    again = normalise.parse_time(stamp.iso, "again")
    assert again is not None and again.when == stamp.when


@given(st.one_of(st.none(), any_text, _OFFSETS, st.from_regex(r"[+-]\d{2}:?\d{2}", fullmatch=True)))
def test_offsets_normalise_to_one_form(value: str | None) -> None:
    out = normalise._offset(value)
    assert out is None or re.fullmatch(r"Z|[+-]\d\d:\d\d", out)


# -- GPS --------------------------------------------------------------------------------------------------
@given(any_text)
def test_iso6709_never_raises(value: str) -> None:
    normalise.parse_iso6709(value)


@given(st.floats(-90, 90), st.floats(-180, 180), st.one_of(st.none(), st.floats(-500, 9000)))
@example(0.0, 0.03125, None)  # a binary tie: "%.4f" rounds it half-even to 0.0312, 5e-5 plus a float's ulp away
def test_iso6709_decimal_degrees_round_trip(lat: float, lon: float, alt: float | None) -> None:
    text = f"{lat:+08.4f}{lon:+09.4f}" + (f"{alt:+08.3f}" if alt is not None else "") + "/"
    parsed = normalise.parse_iso6709(text)
    assert parsed is not None
    half_unit = 5e-5 + 1e-12  # four decimals written: half a unit of the last, plus the decimal-to-binary error
    assert abs(parsed[0] - lat) <= half_unit and abs(parsed[1] - lon) <= half_unit
    assert (parsed[2] is None) == (alt is None)


coordinate = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-200, 200))


@given(st.lists(st.tuples(st.text(max_size=8), st.one_of(
    any_text, st.tuples(coordinate, coordinate, st.one_of(st.none(), coordinate)))), max_size=6),
    st.dictionaries(st.sampled_from(["location", "com.apple.quicktime.location.ISO6709", "creation_time", "make",
                                     "encoder", "com.apple.quicktime.creationdate"]), any_text, max_size=6))
def test_facts_keep_only_plausible_gps_and_never_raise(gps: list, tags: dict[str, str]) -> None:
    found = Reading(name="xmp", gps=gps)
    facts = normalise.facts("video", ContainerTags(format="mov", family="QuickTime", tags=tags), ExifTags(), [found])
    if facts.gps is not None:
        assert math.isfinite(facts.gps.lat) and math.isfinite(facts.gps.lon)
        assert -90 <= facts.gps.lat <= 90 and -180 <= facts.gps.lon <= 180
        assert (facts.gps.lat, facts.gps.lon) != (0, 0)
        assert facts.gps.alt is None or math.isfinite(facts.gps.alt)
    if facts.capture is not None:
        assert facts.capture.source and facts.capture.when is not None


@pytest.mark.slow
@given(st.dictionaries(any_text, st.one_of(any_text, long_text), max_size=300),
       st.lists(st.dictionaries(any_text, long_text, max_size=5), max_size=3),
       st.dictionaries(st.text(max_size=12), st.dictionaries(any_text, long_text, max_size=20), max_size=4))
def test_raw_groups_are_printable_and_bounded(tags: dict[str, str], streams: list[dict[str, str]],
                                              groups: dict[str, dict[str, str]]) -> None:
    box = ContainerTags(format="mov", family="QuickTime", tags=tags,
                        streams=[StreamTags(i, "video", None, s) for i, s in enumerate(streams)])
    found = Reading(name="xmp")
    for group, values in groups.items():
        for key, value in values.items():
            found.put(group, key, value)
            found.capture.append(Tagged(f"{group}:{key}", value))
    raw = normalise.raw_groups(box, ExifTags(), [found])
    for values in raw.values():
        assert len(values) <= normalise.RAW_TAGS_MAX
        for value in values.values():
            assert printable(value) and len(value) <= normalise.RAW_VALUE_MAX
    json.dumps(raw, ensure_ascii=False).encode("utf-8")  # always writable as UTF-8
    normalise.facts("video", box, ExifTags(), [found])


# -- the report model round trip --------------------------------------------------------------------------
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False,
                        allow_infinity=False), st.text(max_size=20))
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """Values of a report-model annotation, built from the dataclasses' own type hints (so new fields count)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return json_value
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a) for a in args))
    if tp is type(None):
        return st.none()
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = {f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(tp)
                  if f.metadata.get("json", True)}
        return st.builds(tp, **fields)
    if origin is list:
        return st.lists(strategy_for(args[0]), max_size=3)
    if origin is tuple:
        return st.tuples(*(strategy_for(a) for a in args))
    if origin is dict:
        return st.dictionaries(strategy_for(args[0]), strategy_for(args[1]), max_size=3)
    scalars = {str: st.text(max_size=30), int: st.integers(-(2**53), 2**53), bool: st.booleans(),
               float: st.floats(allow_nan=False, allow_infinity=False)}
    if tp in scalars:
        return scalars[tp]
    raise TypeError(f"no strategy for {tp!r}: extend strategy_for")


@settings(max_examples=60)
@given(strategy_for(Report))
def test_report_round_trips_through_json(report: Report) -> None:
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    again = Report.from_dict(json.loads(text))
    assert again == report
    assert again.to_dict() == report.to_dict()


@given(st.sampled_from(["video", "image", "audio"]), st.text(max_size=60))
def test_minimal_report_round_trips(kind: str, path: str) -> None:
    from provenance.report.model import MediaSection

    report = Report(media=MediaSection(path=path, sha256="0" * 64, kind=kind))  # type: ignore[arg-type]
    assert Report.from_dict(json.loads(json.dumps(report.to_dict()))) == report
