"""The report model: typed dataclasses that serialise to the ``provenance.report/1`` JSON contract.

Field names are the contract in DESIGN.md; other tools read them, so none is renamed without a schema bump.
Each stage fills its own section, a subclass of ``Section`` that names its JSON key (``key="visual"``);
``None`` means "not observed / unknown", never "false". This module imports nothing but the standard library:
it sits at the bottom of the import graph, so reading or checking a report never loads a decoder or a model.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

SCHEMA = "provenance.report/1"

# "index": a file that describes media and holds none (a camcorder's MOI index of its MOD/TOD clip): metadata only
# "document": a PDF; its embedded pictures are not examined (metadata only; the visual stage says why)
Kind = Literal["video", "image", "audio", "index", "document"]
Severity = Literal["info", "notice", "warning"]
# Stage status: ok, error (see report.errors), skipped (not in the pipeline profile),
# not_applicable (e.g. visual stage on an audio file), no_audio (media without an audio track),
# unavailable (the stage's engine is not installed: the section says why; not a failure of the run).
Status = Literal["ok", "error", "skipped", "not_applicable", "no_audio", "unavailable"]


# Top-level keys of report.json that are not stage sections (Report's fields): a stage may not take one.
RESERVED_KEYS = frozenset({"media", "schema", "tool", "created_at", "pipeline", "sections", "findings", "claim",
                           "errors", "timings", "integrity", "unknown", "artefacts"})


@dataclass
class Section:
    """A stage's section of the report, serialised at the top level of the JSON under its ``key``.

    Subclasses declare their key in the class statement (``class VisualSection(Section, key="visual")``),
    which registers them for ``Report.from_dict``; a stage package defines its own section this way.
    """

    status: Status = "skipped"

    types: ClassVar[dict[str, type[Section]]] = {}
    key: ClassVar[str] = ""

    def __init_subclass__(cls, key: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if key:
            if key in RESERVED_KEYS or not key.isidentifier():
                raise TypeError(f"report section key {key!r} is a report field or not an identifier")
            if Section.types.get(key, cls).__qualname__ != cls.__qualname__:
                raise TypeError(f"report section key {key!r} is taken by {Section.types[key].__qualname__}")
            cls.key = key
            Section.types[key] = cls


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
    # display rotation (degrees counter-clockwise, 90/180/270) from the stream's display matrix; width and height
    # are then the picture as shown (a phone's 1920x1080 stream turned 90 degrees is 1080x1920). None: not turned
    rotation: int | None = None


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
    rotation: int = 0  # degrees counter-clockwise most of the segment's clip frames were turned to match (0-270)
    # reference seconds per clip second (reference_t = speed * query_t + shift): 2.0 for a clip sped up to double
    # speed, 0.5 for half-speed slow motion; 1.0 when the clip runs at the footage's own pace
    speed: float = 1.0
    # [earliest, latest] reference time the segment may start at, when it rests on keypoints alone and they fit
    # reference frames that far apart alike (a pan or zoom over one picture: every moment shows the same
    # points): reference_start is then only the likeliest, and the report says the moment cannot be told.
    # None: the start is told (0.3)
    reference_window: list[float] | None = None
    # against a still reference (a photograph, a page of a multi-page TIFF or PDF): the page matched, 1-based;
    # reference_start and reference_end are then that page's key (page - 1), as its frame pairs' reference_t.
    # None against a video, or in a report from before (issue 12, visual.segments)
    reference_page: int | None = None
    # of a multi-page still submitted (a TIFF's pages): the page of the submitted file this segment is, 1-based; its
    # query times are that page's key (page - 1). Each page is matched on its own, one segment per (page, reference
    # moment or page) pair. None for a video or a one-page picture (issue 12 round 7 H2)
    query_page: int | None = None
    # [slowest, fastest] speed the segment's frame pairs fit alike when that is wider than +-15% of ``speed``
    # (matching.SPEED_TOLD_WITHIN): the speed is then not told, only that range. None: told (or 1, or 0: a held
    # frame, whose reference_start = reference_end is the moment held)
    speed_range: list[float] | None = None


@dataclass
class MatchedFrame:
    """One sampled clip frame of a match beside the reference frame it matched: what a reader compares."""

    query_t: float
    reference_t: float
    distance: int  # PDQ Hamming distance, of 256 bits
    mirrored: bool = False  # the clip frame's left-right mirror matched
    inliers: int = 0  # > 0: matched by local features (ORB keypoints agreeing under RANSAC), not by the hash
    rotation: int = 0  # degrees counter-clockwise the clip frame (after any mirror) was turned to match


@dataclass
class HashListOrigin:
    """The shared hash list a hash-only reference was imported from (``index import``, visual/hashlist.py)."""

    name: str  # the list's own name
    source: str  # who shared it (``index import --source``)
    format: str  # "provenance.hashlist/2" (or /1, written before the PDQ bit-order change) or "vpdq"
    listed_id: str  # the reference's id in the list
    imported_at: str
    exported_at: str | None = None


@dataclass
class Match:
    reference_id: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    first_seen: str | None = None  # ISO 8601 date of the reference's earliest known publication
    query_coverage: float = 0.0  # share of the query's usable frames that matched this reference
    # share of the reference the match covers: of its duration for a video (0.3: matched frames before, which
    # references sampled twice as densely as clips kept under one half), of its frames for a still
    reference_coverage: float = 0.0
    min_distance: int = 256
    segments: list[Segment] = field(default_factory=list)
    frames: list[MatchedFrame] = field(default_factory=list)  # per matched clip frame, its reference frame
    # how the match was found: "pdq" (global hash), "local" (ORB keypoints + RANSAC: crops, rotation, inset)
    methods: list[str] = field(default_factory=list)
    local_inliers: int = 0  # most keypoint inliers of one local verification (0: PDQ alone)
    reference_kind: str | None = None  # "video" or "image" (a photo: its times mean nothing); None before 0.3
    # set when the reference came from a shared hash list: PDQ hashes only, so no keypoint match and no pictures
    hash_list: HashListOrigin | None = None
    # what of the reference did not decode when it was indexed ("only 11.9 s of 21.0 s decoded: 11.9-21.0 s
    # missing..."); None: all of it did. The clip's footage there could not be compared (issue 14)
    reference_partial: str | None = None
    # pages the still reference was indexed with (its frames): > 1 for a multi-page TIFF or PDF, whose page is
    # then named; None for a video or a report from before (issue 12, visual.segments)
    reference_pages: int | None = None
    # the video reference's indexed duration (s): no segment's reference range, nor its shown end, runs past it
    # (visual.segments.shown_ends; issue 12, N5). None for a still, or in a report from before
    reference_duration_s: float | None = None


@dataclass
class MatchThresholds:
    """What "match" meant in this report: the frame signal and the thresholds the visual stage used."""

    signal: str  # "pdq"
    bits: int  # hash length: a distance is out of this many bits
    max_distance: int  # frames at or below this Hamming distance match
    min_quality: int  # frames under this quality are too flat to match (not looked up)


@dataclass
class SamplingStop:
    """Frame sampling ended before the end of the clip: frames after ``at_s`` were not compared."""

    reason: Literal["max_frames", "max_frames_decoded", "decode_error"]
    at_s: float  # presentation time of the last sampled frame
    message: str | None = None  # the decoder's one-line error, for "decode_error"


@dataclass
class TimeRange:
    start: float  # seconds from the start of the stream
    end: float


@dataclass
class StreamCoverage:
    """Which time ranges of one stream its decoder delivered, against the duration the file declares (0.3).

    Built as the stage decodes (``provenance/coverage.py``: a timestamp per decoded frame and per packet, never a
    second decode). A gap is over 1 s without a decoded frame where the stream had data; ``ended_at_s`` is set
    when decoding ended over 1 s before ``declared_s``: by damage or truncation, or by a configured cap
    (``limit`` names it). Either, but a cap, makes the report say the stream partly decoded (a
    ``decoded_coverage`` finding and a stage error).
    """

    stream: Literal["video", "audio"]
    declared_s: float | None  # the stream's duration as the file's headers declare it (None: not declared)
    decoded: list[TimeRange] = field(default_factory=list)  # stretches that decoded, in order
    decoded_s: float = 0.0  # their total length
    gaps: list[TimeRange] = field(default_factory=list)  # stretches between them that did not decode
    ended_at_s: float | None = None  # decoding ended here, short of declared_s; None: it reached the end
    limit: str | None = None  # the cap that ended it on purpose ("[visual.frames] max_frames"), said by its finding
    error: str | None = None  # the decoder's one-line error, when one ended decoding
    bad_packets: int = 0  # packets the decoder rejected
    frames_decoded: int = 0  # frames the decoder produced (video: reference frames only; audio: audio frames)
    frames_sampled: int | None = None  # video: frames sampled for matching; None for audio
    # damage the decoder hid by filling in picture data (a raw H.264/HEVC stream cut or overwritten inside a
    # frame decodes without a refused packet): its first error and how many frames it marked corrupt; None: none
    concealed: str | None = None


@dataclass
class IndexState:
    """The known-imagery index a match was made against (``provenance.visual.index.KnownImageryIndex.state``).

    Two states name the same index content when ``workspace``, ``generation`` and ``reference_generation`` are
    equal; the counts are for people ("3 references added since").
    """

    workspace: str  # the workspace's random id: counters of two workspaces are not comparable
    generation: int  # bumped by every change of indexed frames (a reference added or removed)
    reference_generation: int  # bumped by every change of a reference row (added, removed, title/first-seen edited)
    references: int
    matchable_frames: int  # indexed frames at or above the matching quality threshold


@dataclass
class Rematch:
    """This visual section was matched again, from the frame fingerprint stored with an earlier report, without
    decoding the file: the other sections (and the sampled frames) are that earlier run's."""

    from_run: str  # run folder of the earlier report (``<stem>-<sha12>.runs/<run>``)
    from_created_at: str
    from_tool_version: str
    previous_index_state: IndexState | None  # what the earlier report was matched against (None: not recorded)
    reason: str  # why: "index changed since the report: 1 reference added"
    fingerprint_sha256: str  # of the stored fingerprint file the frames were read from


@dataclass
class KeyframeFile:
    """One shot frame at the source's resolution, in the run folder (issue 19)."""

    t: float  # presentation time (s), a sampled frame's (``visual.frames``)
    path: str  # relative to the report folder, POSIX: ``keyframes/frame-NNN-<m>m<ss.sss>s.jpg``
    shot_change: bool  # the first frame of a shot (else the clip's first frame, or one within a long shot)
    width: int  # pixels, upright as shown
    height: int
    size_bytes: int
    sha256: str  # of the file's bytes: covered by the report's digest and signature, checked by ``report check``


@dataclass
class Keyframes:
    """The report's keyframes folder: the frames, and its index page and contact sheet (``files``)."""

    folder: str = "keyframes"  # beside report.json
    every_s: float = 10.0  # one more frame every this many seconds within a shot
    capped_at_s: float | None = None  # ``[visual.keyframes] max_frames`` reached here: no frame after it written
    frames: list[KeyframeFile] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # the folder's other files: path -> sha256


@dataclass
class VisualSection(Section, key="visual"):
    frames_sampled: int = 0
    frames: list[FrameHash] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    frames_decoded: int = 0  # how many frames the decoder produced to get the sample
    frames_usable: int = 0  # sampled frames with PDQ quality at or above the matching threshold
    shot_changes: list[float] = field(default_factory=list)  # times of detected cuts
    index_frames: int = 0  # matchable frames in the known-imagery index when this ran (0: nothing to match)
    thresholds: MatchThresholds | None = None  # None in reports written before 0.2
    stopped: SamplingStop | None = None  # sampling ended early (a cap or a decode error); None: the whole clip
    index_state: IndexState | None = None  # the index matched against (None: not recorded, or not matched)
    rematched: Rematch | None = None  # set when matched again from a stored fingerprint (batch), not decoded
    coverage: StreamCoverage | None = None  # what of the video stream decoded (0.3; None: a still, or before)
    # full-resolution shot frames in the run folder (issue 19; None: a still, not in the profile, or before)
    keyframes: Keyframes | None = None
    # a multi-page TIFF's pages that did not decode: page number ("2") -> why (issue 14 round 5, N7; {} before)
    pages_not_decoded: dict[str, str] = field(default_factory=dict)
    # a video held in the still's file (a phone's motion photo), examined too (issue 14 round 6, D3; None: none)
    embedded_video: EmbeddedVideo | None = None
    # frames without timestamps (raw H.264/HEVC): how their times were made, "25 fps (assumed: ...)" (round 6, D5)
    frames_untimed: str | None = None


@dataclass
class EmbeddedVideo:
    """A clip appended to a still picture's file (a motion photo: JPEG, then an MP4), sampled and matched like a
    submitted clip; its matches are its own (times are within the embedded clip)."""

    offset: int  # bytes: where the clip starts in the file
    size_bytes: int
    duration_s: float | None = None
    frames_sampled: int = 0
    matches: list[Match] = field(default_factory=list)
    error: str | None = None  # why it was not examined; None when it was
    # its sampled frames (times within the clip), as ``VisualSection.frames``: a batch re-match checks the stored
    # ``embedded_fingerprint.npz`` against them (visual.embedded; issue 14 round 7)
    frames: list[FrameHash] = field(default_factory=list)


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
    # The five-way outcome, "absent" included (``state`` stays null for absent, per the contract); None: not
    # checked (no SDK, or a format the SDK does not read).
    validation: Literal["trusted", "valid", "invalid", "absent", "error"] | None = None
    signer_trusted: bool | None = None  # the signing chain ends in the shipped trust list; None: unknown
    trust_list: str | None = None  # which trust anchors were used ("C2PA-TRUST-LIST.pem", or a user file)
    signed_at: str | None = None  # the signature's time-stamp, when it carries one
    validation_codes: list[str] = field(default_factory=list)  # the SDK's failure/untrusted codes
    note: str | None = None  # one sentence an analyst can read: what this state does and does not show


@dataclass
class ConsistencyCheck:
    code: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class MetadataSection(Section, key="metadata"):
    capture_time: str | None = None  # ISO 8601, with offset where known
    capture_time_source: str | None = None  # e.g. "EXIF:DateTimeOriginal"
    timezone: str | None = None  # "+03:00", "Z", or None when the source carries none
    device: Device = field(default_factory=Device)
    gps: GPS | None = None
    encoder: str | None = None
    c2pa: C2PA = field(default_factory=C2PA)
    consistency: list[ConsistencyCheck] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)  # source group -> {tag: value as text}
    modify_time: str | None = None  # last modification the file admits to, ISO 8601 with offset where known
    modify_time_source: str | None = None
    # a document's (media kind "document", a PDF) creation time: when the file was made, never a capture time
    # (a picture in it may be far older), so capture_time stays None for a document (issue 14, pages14)
    document_created: str | None = None
    document_created_source: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # report field ("device.make") -> tag it came from
    brands: list[str] = field(default_factory=list)  # ISO BMFF major brand first, then compatible brands
    handlers: list[str] = field(default_factory=list)  # track/item handler names ("Core Media Video")
    rotation: int | None = None  # display rotation in degrees from the track matrix, where there is one
    history: list[dict[str, str]] = field(default_factory=list)  # XMP editing history: action, software, when
    readers: dict[str, str] = field(default_factory=dict)  # reader -> "ok", "absent", "disabled" or its error


# How sure the audio stage is of the clip's language: one language; two or more, each with a real share of
# the speech; a best guess the model itself is unsure of; or no speech at all (then ``language`` is None).
# unidentified: speech was found (``speech_s``) but its language could not be identified (no language given)
LanguageStatus = Literal["single", "mixed", "uncertain", "unidentified", "no_speech"]


@dataclass
class LanguageGuess:
    code: str
    probability: float  # mean window probability of ``code`` where it is spoken
    top: list[tuple[str, float]] = field(default_factory=list)  # window distributions averaged over the speech
    seconds: float | None = None  # seconds of speech in this language (VAD speech, pauses excluded)
    share: float | None = None  # seconds / all speech
    # a second look agrees (audio/analysis.py ``_corroborate``): None where not checked (an uncertain guess, a
    # small share, a report from before issue 13 round 3). Only a corroborated language counts against a claim.
    corroborated: bool | None = None
    doubt: str | None = None  # why it is not corroborated


@dataclass
class TimelineRegion:
    start: float
    end: float
    language: str
    probability: float  # mean probability of ``language`` over the region's language-ID windows
    top: list[tuple[str, float]] = field(default_factory=list)  # the region's averaged distribution
    uncertain: bool = False  # probability under the profile's ``uncertain_below``: a best guess only
    speech_s: float | None = None  # seconds of speech in the region
    transcribed: bool = True  # False: the time budget ran out before this region was transcribed
    withheld: str | None = None  # why its text is not shown (an uncertain or uncorroborated language)


@dataclass
class AudioChannels:
    """Which signal of the track the audio stage analysed, checked before mixing to mono (audio/channels.py)."""

    count: int = 1  # channels in the source track
    used: Literal["mono", "mix", "left", "right", "side"] = "mono"  # side: (left - right), channels that cancel
    reason: str | None = None  # why not the plain mix, in words
    levels_db: dict[str, float] = field(default_factory=dict)  # RMS dBFS of left, right, mix and side


@dataclass
class TranscriptSegment:
    start: float
    end: float
    language: str | None
    text: str
    translation: str | None = None  # English (Whisper's translate task) when the profile asks for it
    untrusted: str | None = None  # why the text may not be what was said (a region of uncertain language)


@dataclass
class CueMatch:
    word: str  # as transcribed
    marker: str  # the marker it matched (a word, a stem, or a pattern)
    gloss: str  # what the marker means and why it hints at the variety
    start: float
    end: float
    timing: Literal["word", "estimated"] = "estimated"  # word timestamps, or interpolated in its segment


@dataclass
class Cue:
    """A lexical hint of a language variety in the transcript: evidence to weigh, never an identification.

    JSON: ``{kind, variety, label, language, confidence, matches [{word, marker, gloss, start, end, timing}],
    note, source}``.
    """

    kind: Literal["dialect"]
    variety: str  # e.g. "ko-north"
    label: str  # e.g. "North Korean usage"
    language: str  # the transcript language the markers were matched in
    matches: list[CueMatch] = field(default_factory=list)
    confidence: Literal["low"] = "low"  # word lists cannot tell who speaks, only what was said
    note: str = ""
    source: str = ""  # the marker file


@dataclass
class AudioSection(Section, key="audio"):
    engine: str | None = None
    model: str | None = None
    language: LanguageGuess | None = None  # the language with the most speech
    timeline: list[TimelineRegion] = field(default_factory=list)
    segments: list[TranscriptSegment] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    real_time_factor: float | None = None  # stage seconds / audio seconds
    language_status: LanguageStatus | None = None  # None where the stage did not run on an audio track
    languages: list[LanguageGuess] = field(default_factory=list)  # every language heard, most speech first
    speech_s: float | None = None  # seconds of speech found by VAD
    unidentified_s: float | None = None  # seconds of speech whose language could not be identified (0.3)
    # seconds of VAD speech the checks did not confirm as speech (music, noise, or speech Whisper wrote nothing
    # sure over): never a language, never text. Languages' seconds + unidentified_s + unconfirmed_s = the analysed
    # channel's VAD speech (``audio.analysis.unconfirmed``); None in reports before it, or when nothing is left over
    unconfirmed_s: float | None = None
    analysed_s: float | None = None  # seconds of audio decoded (max_seconds caps it)
    budget_exhausted: bool = False  # the time budget stopped transcription or translation early
    channels: AudioChannels | None = None  # the channel check (0.3): which signal was analysed, and why
    coverage: StreamCoverage | None = None  # what of the audio stream decoded (0.3; None: not decoded, or before)


@dataclass
class SidecarSection(Section, key="sidecar"):
    """What the platform's record beside the file says (``provenance.sidecar``): a yt-dlp ``.info.json``, a
    Telegram Desktop ``result.json`` message naming the file, an auto-archiver ``metadata.json``. ``refused``: one
    was found but is malformed, and nothing of it is used."""

    found: bool = False
    format: str | None = None  # "yt-dlp", "telegram", "auto-archiver"
    file: str | None = None  # the sidecar's path
    title: str | None = None
    posted_by: str | None = None
    channel: str | None = None
    posted_at: str | None = None  # ISO 8601 as the sidecar gives it: with offset, without, or a date alone
    posted_at_field: str | None = None  # the sidecar field the posting time came from
    url: str | None = None
    caption: str | None = None
    forwarded_from: str | None = None
    message_id: str | None = None
    refused: str | None = None
    sha256: str | None = None  # of the sidecar file as read (None in reports before it): a later swap shows


# What the on-screen text stage saw: a burned-in caption (overlaid: it stays in place while the picture around it
# changes, or sits centred in the top or bottom band) or text in the scene itself (signs, markings, documents).
# "uncertain": neither staying in place over a changing picture (caption) nor moving with it (scene) was seen,
# as on any still or unchanging shot (text/analysis.py _kind); such an item never decides a claim
TextKind = Literal["caption", "scene", "uncertain"]


@dataclass
class TextItem:
    """One piece of on-screen text, read in one or more sampled frames and merged across them (text/items.py).

    ``box`` is [x0, y0, x1, y1] as fractions (0-1) of the frame as shown, so it holds across resolutions.
    ``start``/``end`` are the first and last sampled frames it was read in (seconds); ``range_from``/``range_to``
    the neighbouring frames read where it was not seen (or the clip's start and end): it was on screen at least
    from ``start`` to ``end`` and at most from ``range_from`` to ``range_to``.
    """

    text: str
    start: float
    end: float
    box: list[float] = field(default_factory=list)
    # "Hangul", "Cyrillic", "Latin", "mixed" or None: no letters, or only letters the Latin and Cyrillic
    # alphabets share ("РНАВМАСУ" / "PHARMACY": language_basis gives both readings)
    script: str | None = None
    language: str | None = None  # ISO 639-1 ("ru", "uk", "ko", "en"); None: the letters do not tell
    language_basis: str = ""  # why: "letters ы, ё (Russian)", "Hangul", "English words: the, at"
    # Cyrillic: the languages it may be (text/language.py CYRILLIC_ALPHABETS: the alphabets holding all its letters,
    # narrowed by the recogniser's Russian/Ukrainian comparison); ``language`` is set only when one is left
    languages: list[str] = field(default_factory=list)
    confidence: float = 0.0  # the recogniser's mean word confidence of its best reading, 0-1
    recogniser: str = ""  # engine, version and language models, e.g. "tesseract 5.5.4 (rus+ukr+eng+kor)"
    kind: TextKind = "scene"
    kind_basis: str = ""  # why caption, scene or uncertain (the position given as a hint)
    frames: int = 1  # sampled frames it was read in
    frame_t: float = 0.0  # the frame whose crop the HTML report shows (the best reading)
    range_from: float | None = None  # s: the frame read before ``start`` where it was not seen (0: the clip's start)
    range_to: float | None = None  # s: the frame read after ``end`` where it was not seen (or the clip's end)
    # under the stage's plausibility floor (text/analysis.py FINDING_CONFIDENCE, letters): kept here, never shown
    # as text on screen (no finding, not in Markdown or search, no claim evidence)
    low_confidence: bool = False


@dataclass
class TextSection(Section, key="text"):
    engine: str | None = None  # "tesseract 5.5.4"
    models: list[str] = field(default_factory=list)  # language models used ("rus", "ukr", "kor", "eng")
    unavailable: str | None = None  # status "unavailable": why (engine or language model missing)
    # "shots+interval" (the first frame of every shot and one every interval_s) or "image"
    sampling: str | None = None
    interval_s: float | None = None  # s between frames read, besides shot changes
    shot_changes: list[float] = field(default_factory=list)  # s: the cuts found (each one's first frame is read)
    regions_failed: int = 0  # regions the recogniser failed on (an error of its own; the rest were read)
    frames_sampled: int = 0
    frames_with_text: int = 0  # frames the detector found text-like regions in
    regions_read: int = 0  # regions sent to the recogniser (others were unchanged from the frame before)
    max_gap_s: float | None = None  # longest gap between sampled frames: text shown shorter may be missed
    items: list[TextItem] = field(default_factory=list)  # by start time
    # the time budget or the read cap stopped reading before the end, or pages of a multi-page TIFF were not read
    budget_exhausted: bool = False
    # a multi-page TIFF (text/analysis.py _read_pages): its pages as counted at ingest (media.video.frames; more
    # than limits.MAX_STILL_PAGES means pages past the cap were not read), the pages read and those that were not
    # (1-based, within the cap: did not decode, or reading stopped); an item's start is then its page - 1
    pages: int | None = None
    pages_read: list[int] = field(default_factory=list)
    pages_not_read: list[int] = field(default_factory=list)
    # text-like regions found but not read because a frame held more than the detector's per-frame cap
    # (text/detect.py MAX_REGIONS, MAX_REGIONS_STILL), and the frames where that happened
    regions_capped: int = 0
    frames_capped: int = 0
    # ``[text] min_confidence`` as used (0-1): readings under it, or under the stage's floor (text/analysis.py
    # FINDING_CONFIDENCE, 0.7), are flagged low_confidence; None in reports written before it was recorded
    min_confidence: float | None = None
    # a still read shrunk: its size as read (px, [width, height]) and its own; None when read at its own size
    read_size: list[int] | None = None
    source_size: list[int] | None = None


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
    evidence: dict[str, Any] = field(default_factory=dict)  # the values the check compared


@dataclass
class ClaimSection:
    id: str
    assessment: list[ClaimAssessment] = field(default_factory=list)
    statement: str | None = None  # the claim as recorded when this report was assessed
    claimed_date: str | None = None


@dataclass
class StageError:
    stage: str
    message: str


@dataclass
class Artefacts:
    """What a report shows but its JSON does not carry: JPEG thumbnails of sampled and matched frames."""

    thumbnails: dict[float, bytes] = field(default_factory=dict)  # frame time -> JPEG, long side THUMB_SIZE
    # reference id -> {reference time: JPEG} for the matched frames a report shows beside the clip's
    references: dict[str, dict[float, bytes]] = field(default_factory=dict)
    reference_notes: dict[str, str] = field(default_factory=dict)  # reference id -> why no frames are shown
    # file name -> bytes of further files the report folder carries: the visual stage's fingerprint.npz, written
    # beside report.json and covered by its manifest (``integrity.files``), and its ``keyframes/<name>`` files,
    # covered by the listing in ``visual.keyframes`` (``integrity.listed_files``)
    files: dict[str, bytes] = field(default_factory=dict)
    # picture key -> JPEG of further pictures a stage's view shows (the on-screen text stage: "text/<item>", the
    # frame crop each text item was read from)
    crops: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Integrity:
    """Tamper evidence for the report itself: a digest over its canonical JSON, optionally signed (Ed25519).

    The digest covers every field except ``integrity``; the signature everything but itself (see
    ``provenance.report.integrity``).
    """

    algorithm: str = "sha256"
    canonicalisation: str = ""  # how the digested bytes were serialised
    digest: str = ""  # hex
    signature: str | None = None  # Ed25519 over the canonical bytes, base64
    public_key: str | None = None  # raw 32-byte Ed25519 public key, base64
    key_id: str | None = None  # first 16 hex digits of the public key's SHA-256: the name people compare
    signed_at: str | None = None
    # "written": signed by provenance as it wrote the report (it produced this content); "later": by
    # ``report sign`` on an existing file (it vouches for the content from then on only)
    signed_when: str | None = None
    # the manifest of the report folder: SHA-256 of every other file written with it (report.html, report.md),
    # covered by the signature, so an edit of the page or the Markdown is caught like one of the JSON
    files: dict[str, str] | None = None


@dataclass
class Report:
    """One file's provenance report. Stage sections are in ``sections`` (stage name -> ``Section``), in the order
    the stages ran, and are read and set as attributes: ``report.visual`` is ``report.sections["visual"]``. Every
    registered section type the report does not hold is added as a default one (status "skipped"), as a report
    from a profile without that stage has it.
    """

    media: MediaSection
    schema: str = SCHEMA
    tool: ToolInfo = field(default_factory=ToolInfo)
    created_at: str = ""
    pipeline: PipelineInfo = field(default_factory=PipelineInfo)
    # serialised at the top level, between ``pipeline`` and ``findings`` (see to_dict)
    sections: dict[str, Section] = field(default_factory=dict, metadata={"json": False})
    findings: list[Finding] = field(default_factory=list)
    claim: ClaimSection | None = None
    errors: list[StageError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    integrity: Integrity | None = None  # set when the report is written (digest) and signed
    # sections of stages this version does not know (a report from a newer one): kept as read, so the digest holds
    unknown: dict[str, Any] = field(default_factory=dict, repr=False, metadata={"json": False})
    # not part of the JSON contract (see _to_jsonable): pixels for the HTML report, if the run kept them
    artefacts: Artefacts = field(default_factory=Artefacts, repr=False, compare=False, metadata={"json": False})

    def __post_init__(self) -> None:
        for key, tp in Section.types.items():
            if key not in self.sections:
                self.sections[key] = tp()

    def __getattr__(self, name: str) -> Any:
        sections = self.__dict__.get("sections")  # absent while unpickling: no recursion
        if sections is not None and name in Section.types:
            return sections.setdefault(name, Section.types[name]())  # a type registered after this was built
        raise AttributeError(f"{type(self).__name__!s} has no attribute or section {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in Section.types and name not in _FIELDS:
            self.sections[name] = value
        else:
            object.__setattr__(self, name, value)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "findings":  # stage sections go where the contract has always had them
                out.update((k, _to_jsonable(v)) for k, v in self.sections.items())
                out.update(self.unknown)
            if f.metadata.get("json", True):
                out[f.name] = _to_jsonable(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Rebuild a report from its JSON; sections are typed by their registered ``Section`` subclass."""
        sections, unknown = {}, {}
        for key, value in data.items():
            if key in _FIELDS:
                continue
            if key in Section.types and isinstance(value, dict):
                sections[key] = _from_jsonable(Section.types[key], value)
            else:
                unknown[key] = value
        fields = {k: v for k, v in data.items() if k in _FIELDS and k not in _NOT_JSON}
        report = _from_jsonable(cls, fields)
        report.sections = {**sections, **{k: v for k, v in report.sections.items() if k not in sections}}
        report.unknown = unknown
        return report


_NOT_JSON = {"sections", "unknown", "artefacts"}
_FIELDS = frozenset(f.name for f in dataclasses.fields(Report))


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
