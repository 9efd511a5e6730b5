"""The report model: typed dataclasses that serialise to the ``provenance.report/1`` JSON contract.

Field names are the contract in DESIGN.md; other tools read them, so none is renamed without a schema bump.
Each stage fills its own section; ``None`` means "not observed / unknown", never "false".
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA = "provenance.report/1"

Kind = Literal["video", "image", "audio"]
Severity = Literal["info", "notice", "warning"]
# Stage status: ok, error (see report.errors), skipped (not in the pipeline profile),
# not_applicable (e.g. visual stage on an audio file), no_audio (media without an audio track).
Status = Literal["ok", "error", "skipped", "not_applicable", "no_audio"]


@dataclass
class ToolInfo:
    name: str = "provenance"
    version: str = ""


@dataclass
class PipelineInfo:
    name: str = "standard"
    digest: str = ""  # sha256 of the profile's canonical JSON, so two reports can be compared


@dataclass
class VideoInfo:
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frames: int | None = None  # as declared by the container; None where it declares none


@dataclass
class AudioInfo:
    codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None


@dataclass
class MediaSection:
    path: str = ""
    sha256: str = ""
    size_bytes: int = 0
    kind: Kind = "video"
    container: str | None = None
    duration_s: float | None = None
    video: VideoInfo | None = None
    audio: AudioInfo | None = None


@dataclass
class FrameHash:
    t: float  # presentation time in seconds from the start
    pdq: str  # 64 hex digits
    quality: int  # PDQ quality 0-100; frames under the matching threshold are not matched
    phash: str  # 16 hex digits, imagehash order


@dataclass
class Segment:
    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    mirrored: bool = False  # most of the segment matched the left-right mirror of the query


@dataclass
class Match:
    reference_id: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    first_seen: str | None = None  # ISO 8601 date of the reference's earliest known publication
    query_coverage: float = 0.0  # share of the query's usable frames that matched this reference
    reference_coverage: float = 0.0  # share of the reference's frames that some query frame matched
    min_distance: int = 256
    segments: list[Segment] = field(default_factory=list)


@dataclass
class VisualSection:
    status: Status = "skipped"
    frames_sampled: int = 0
    frames: list[FrameHash] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    frames_decoded: int = 0  # how many frames the decoder produced to get the sample
    frames_usable: int = 0  # sampled frames with PDQ quality at or above the matching threshold
    shot_changes: list[float] = field(default_factory=list)  # times of detected cuts
    index_frames: int = 0  # matchable frames in the known-imagery index when this ran (0: nothing to match)


@dataclass
class Device:
    make: str | None = None
    model: str | None = None
    software: str | None = None


@dataclass
class GPS:
    lat: float
    lon: float
    alt: float | None = None
    source: str = ""  # the tag it came from, e.g. "QuickTime:com.apple.quicktime.location.ISO6709"


@dataclass
class C2PA:
    present: bool | None = None  # None: not checked
    state: Literal["valid", "invalid", "trusted", "error"] | None = None
    signer: str | None = None
    claim_generator: str | None = None
    actions: list[str] = field(default_factory=list)
    ingredients: list[str] = field(default_factory=list)


@dataclass
class ConsistencyCheck:
    code: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class MetadataSection:
    status: Status = "skipped"
    capture_time: str | None = None  # ISO 8601, with offset where known
    capture_time_source: str | None = None  # e.g. "EXIF:DateTimeOriginal"
    timezone: str | None = None  # "+03:00", "Z", or None when the source carries none
    device: Device = field(default_factory=Device)
    gps: GPS | None = None
    encoder: str | None = None
    c2pa: C2PA = field(default_factory=C2PA)
    consistency: list[ConsistencyCheck] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)  # source group -> {tag: value as text}


@dataclass
class LanguageGuess:
    code: str
    probability: float
    top: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class TimelineRegion:
    start: float
    end: float
    language: str
    probability: float


@dataclass
class TranscriptSegment:
    start: float
    end: float
    language: str | None
    text: str


@dataclass
class AudioSection:
    status: Status = "skipped"
    engine: str | None = None
    model: str | None = None
    language: LanguageGuess | None = None
    timeline: list[TimelineRegion] = field(default_factory=list)
    segments: list[TranscriptSegment] = field(default_factory=list)
    cues: list[dict[str, Any]] = field(default_factory=list)
    real_time_factor: float | None = None  # stage seconds / audio seconds


@dataclass
class Finding:
    code: str
    severity: Severity
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class ClaimAssessment:
    check: str
    result: Literal["supports", "contradicts", "neutral", "unknown"]
    detail: str


@dataclass
class ClaimSection:
    id: str
    assessment: list[ClaimAssessment] = field(default_factory=list)


@dataclass
class StageError:
    stage: str
    message: str


@dataclass
class Artefacts:
    """What a report shows but its JSON does not carry: small JPEG thumbnails of the sampled frames."""

    thumbnails: dict[float, bytes] = field(default_factory=dict)  # frame time -> JPEG, long side THUMB_SIZE


@dataclass
class Report:
    media: MediaSection
    schema: str = SCHEMA
    tool: ToolInfo = field(default_factory=ToolInfo)
    created_at: str = ""
    pipeline: PipelineInfo = field(default_factory=PipelineInfo)
    visual: VisualSection = field(default_factory=VisualSection)
    metadata: MetadataSection = field(default_factory=MetadataSection)
    audio: AudioSection = field(default_factory=AudioSection)
    findings: list[Finding] = field(default_factory=list)
    claim: ClaimSection | None = None
    errors: list[StageError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    # not part of the JSON contract (see _to_jsonable): pixels for the HTML report, if the run kept them
    artefacts: Artefacts = field(default_factory=Artefacts, repr=False, compare=False, metadata={"json": False})

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return _to_jsonable(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return _from_jsonable(cls, data)


def _to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.metadata.get("json", True)
        }
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_jsonable(v) for v in value]
    return value


def _from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild typed values from JSON data, guided by the dataclasses' annotations."""
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _from_jsonable(options[0], data) if len(options) == 1 else data
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        kwargs = {k: _from_jsonable(hints[k], v) for k, v in data.items() if k in names}
        return tp(**kwargs)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_from_jsonable(item, v) for v in data]
    if origin is tuple:
        return tuple(_from_jsonable(a, v) for a, v in zip(typing.get_args(tp), data, strict=False))
    return data
