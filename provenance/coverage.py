"""Decoded coverage: which time ranges of each stream the decoders delivered, against the declared duration.

A damaged file decodes in part without any decoder raising to the user: bytes overwritten in the middle of a
19-s MP4 gave 4 s of video and 6.5 s of audio, exit 0 and a report that read as complete. A match (or its
absence) and a language timeline cover only what decoded, so each stage that decodes a stream records what its
decoder saw as it went (no second decode: a timestamp per decoded frame and per demuxed packet, ~100 ns each
against milliseconds of decoding) and the report states it per stream (``StreamCoverage``: ``visual.coverage``,
``audio.coverage``). A shortfall is a finding and a stage error (exit 1); the stage's section is kept, since
what did decode was analysed soundly.

Light: standard library and the report model only (the decoders and the report views both use it).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from provenance.report.model import Finding, Report, Section, StageError, StreamCoverage, TimeRange

if TYPE_CHECKING:
    from provenance.media import MediaFile

# A stretch of more than GAP_S seconds with no decoded frame, where the stream has packets (or, for audio,
# where audio frames are contiguous on either side), is a gap; less is left out unless the decoder refused a
# packet in it (then the hole is a gap whatever its length: the decoder said a picture is missing). Why 1 s: the
# visual stage samples about one frame a second (``[visual.frames] interval_s``), so a shorter hole hides at
# most one sampled frame; decoders conceal a frame or two of a scratch without it mattering to any finding; and
# a clean clip's decoded frames reach its declared end (every sample_media clip and the shared corpus's videos:
# 0.00 s short; the last frame's span counts), so 1 s leaves room for a track ending a few frames early.
GAP_S = 1.0
# Decoding that ends more than TAIL_S seconds before the stream's declared duration stopped short (a damaged or
# truncated tail), for the same reasons as GAP_S.
TAIL_S = 1.0

# With the file known to be cut, a tail shorter than this is rounding (decoded spans and declared durations are
# kept to the millisecond), anything more is the cut
_CUT_SLACK_S = 0.002

StreamKind = Literal["video", "audio"]


def measure(stream: StreamKind, spans: Sequence[tuple[float, float]], declared_s: float | None, *,
            packets: Sequence[float] = (), refused: Sequence[float] = (), origin: float = 0.0,
            bad_packets: int = 0, limit: str | None = None, error: str | None = None, frames_decoded: int = 0,
            frames_sampled: int | None = None, concealed: str | None = None,
            cut: str | None = None) -> StreamCoverage:
    """The coverage of one stream from the (start, end) seconds of every frame its decoder produced.

    ``packets``: presentation times of the packets demuxed (video): a hole between decoded frames with no packet
    in it is the stream having no frame there (variable frame rate, a screen recording holding a still), not
    damage. Without packets every hole over ``GAP_S`` counts. ``refused``: times of packets the decoder refused;
    the hole around each is a gap whatever its length (the decoder said that picture is missing). ``origin``:
    where the stream declares it starts (a track that begins later than the file is not missing its opening
    seconds). ``limit``: a cap that ended decoding on purpose (its own finding says so), so the missing tail is
    not a shortfall. ``error``: the decoder's one-line error. ``cut``: why the file's structure says its end is
    missing (``truncation.cut_reason``): decoding that ended before the declared end, by any amount, or without a
    declared end, stopped where the file is cut (a faststart MP4 cut by 10% decoded to 9.0 s of 10.0 s, inside
    ``TAIL_S``), and the reason joins the error. Times are seconds from the stream's start (video)
    or the file's (audio), as the stage's other times are.
    """
    ordered = sorted(spans)
    sorted_packets = sorted(packets)
    cuts = _refused_holes(ordered, sorted(refused))  # indices of spans that follow a hole holding a refused packet
    decoded: list[TimeRange] = []
    gaps: list[TimeRange] = []
    for i, (start, end) in enumerate(ordered):
        if decoded and i not in cuts and (start - decoded[-1].end <= GAP_S or (
                sorted_packets and not _packet_between(sorted_packets, decoded[-1].end, start))):
            decoded[-1].end = max(decoded[-1].end, end)  # contiguous, or the stream itself had nothing there
            continue
        if decoded:
            gaps.append(TimeRange(decoded[-1].end, start))
        decoded.append(TimeRange(start, end))
    if decoded and decoded[0].start - origin > GAP_S:  # the opening seconds did not decode
        gaps.insert(0, TimeRange(origin, decoded[0].start))
    last = decoded[-1].end if decoded else 0.0
    ended_at = None
    if declared_s is not None and declared_s - last > TAIL_S:
        ended_at = last
    if cut is not None and limit is None and decoded and (declared_s is None or declared_s - last > _CUT_SLACK_S):
        ended_at = last
        error = f"{error}; {cut}" if error else cut
    for r in (*decoded, *gaps):
        r.start, r.end = round(r.start, 3), round(r.end, 3)
    return StreamCoverage(
        stream=stream, declared_s=None if declared_s is None else round(declared_s, 3), decoded=decoded,
        decoded_s=round(sum(r.end - r.start for r in decoded), 3), gaps=gaps,
        ended_at_s=None if ended_at is None else round(ended_at, 3), limit=limit if ended_at is not None else None,
        error=error, bad_packets=bad_packets, frames_decoded=frames_decoded, frames_sampled=frames_sampled,
        concealed=concealed)


def _refused_holes(spans: list[tuple[float, float]], refused: list[float]) -> set[int]:
    """Indices of the spans (sorted) that come right after a hole holding a refused packet's time: decoding is cut
    there whatever the hole's length. A refused packet inside a decoded span, before the first or after the last
    decoded frame is not a hole between frames (the head and the tail are judged on their own)."""
    starts = [a for a, _ in spans]
    cuts: set[int] = set()
    reach = -1.0
    ends = []  # the furthest end reached by spans[:i + 1]
    for _, b in spans:
        reach = max(reach, b)
        ends.append(reach)
    for r in refused:
        i = bisect.bisect_right(starts, r)  # spans[:i] start at or before r
        if 0 < i < len(spans) and r >= ends[i - 1]:
            cuts.add(i)
    return cuts


def _packet_between(packets: Sequence[float], start: float, end: float) -> bool:
    i = bisect.bisect_right(packets, start)
    return i < len(packets) and packets[i] < end


def short(c: StreamCoverage) -> bool:
    """Whether decoding fell short: a gap, a tail missing for a reason other than a configured cap, or damage the
    decoder concealed (``StreamCoverage.concealed``: garbled pixels were hashed as if they were the footage)."""
    return bool(c.gaps) or (c.ended_at_s is not None and c.limit is None) or bool(getattr(c, "concealed", None))


def describe(c: StreamCoverage) -> str:
    """One phrase: "video: 6.2 s of 14.6 s decoded; decoding stopped at 6.2 s (FFmpeg's error)", or the gaps in
    the middle named ("2.0 s in the middle did not decode: 6.3-8.3 s"), or "video: all 14.6 s decoded"."""
    of = f" of {c.declared_s:.1f} s" if c.declared_s is not None else ""
    hidden = f"damaged data the decoder concealed ({c.concealed})" if getattr(c, "concealed", None) else ""
    if not c.gaps and c.ended_at_s is None:
        whole = f"{c.stream}: all {c.decoded_s:.1f} s decoded" if of else f"{c.stream}: {c.decoded_s:.1f} s decoded"
        return f"{whole}, with {hidden}" if hidden else whole
    parts = [f"{c.stream}: {c.decoded_s:.1f} s{of} decoded"]
    if c.gaps:
        holes = ", ".join(f"{g.start:.1f}-{g.end:.1f} s" for g in c.gaps[:5])
        more = f" and {len(c.gaps) - 5} more" if len(c.gaps) > 5 else ""
        where = "in the middle " if c.gaps[0].start > 0 or len(c.gaps) > 1 else "at the start "
        parts.append(f"{_sum(c.gaps):.1f} s {where}did not decode: {holes}{more}")
    if c.ended_at_s is not None:
        parts.append(f"decoding was stopped at {c.ended_at_s:.1f} s by {c.limit}" if c.limit else
                     f"decoding stopped at {c.ended_at_s:.1f} s{of}")
    if hidden:
        parts.append(hidden)
    text = "; ".join(parts)
    if short(c) and (c.error or c.bad_packets):
        refused = f"{c.bad_packets} packet{'s' if c.bad_packets != 1 else ''} refused" if c.bad_packets else ""
        text += f" ({'; '.join(x for x in (refused, c.error) if x)})"
    return text


def _sum(ranges: Iterable[TimeRange]) -> float:
    return sum(r.end - r.start for r in ranges)


def coverages(section: Section) -> list[StreamCoverage]:
    """The coverage records a stage's section holds (none for stages that decode no stream)."""
    value = getattr(section, "coverage", None)
    return [value] if isinstance(value, StreamCoverage) else []


# sampling stops (``SamplingStop.reason``) that leave the clip's end not compared, and the setting that set them
_SAMPLING_CAPS = {"max_frames": "[visual.frames] max_frames", "max_frames_decoded": "[limits] max_frames_decoded"}


def stage_errors(stage: str, section: Section, media: MediaFile | None = None) -> list[StageError]:
    """One stage error per stream that fell short, one when a sampling cap stopped the visual stage before the
    clip's end, and one for a multi-page TIFF whose pages the visual stage did not all examine (``pages_missed``):
    the report says the stage's analysis is partial (exit 1), as for a PDF whose pictures are not examined (issue
    12 round D6: a 24-min clip capped at 900 samples exited 0 with a notice; issue 14 round 5 L4: such a TIFF
    exited 0)."""
    out = [StageError(stage, f"partly decoded: {describe(c)}") for c in coverages(section) if short(c)]
    stop = getattr(section, "stopped", None)
    if stop is not None and getattr(stop, "reason", None) in _SAMPLING_CAPS:
        out.append(StageError(stage, f"partly examined: frames after {stop.at_s:.1f} s were not compared "
                                     f"({_SAMPLING_CAPS[stop.reason]})"))
    if stage == "visual" and media is not None and (missed := pages_missed(section, media)):
        out.append(StageError(stage, f"partly examined: {missed}"))
    embedded = getattr(section, "embedded_video", None)
    if stage == "visual" and embedded is not None and embedded.error:  # a motion photo's clip (issue 14 r6, D3)
        out.append(StageError(stage, f"partly examined: the embedded video (a motion photo) was not examined: "
                                     f"{embedded.error}"))
    return out


def pages_missed(section: Section, media: MediaFile) -> str | None:
    """The pages of a multi-page TIFF the visual stage did not examine, in words ("a TIFF of 3 pages: page 2 did not
    decode (page 2: BitsPerSample 7 ...)", "... pages after 64 ... were not checked"), or None when every page was."""
    from provenance.limits import MAX_STILL_PAGES

    reasons = getattr(section, "pages_not_decoded", None) or {}
    failed = sorted(int(p) for p in reasons)
    if media.kind != "image" or media.container not in ("tiff", "mpo", "jpeg") or media.video is None:
        return None
    pages = media.video.frames or 1
    said = []
    if failed:
        shown = ", ".join(map(str, failed[:5])) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        # the first page's reason in the line itself: a batch's summary.csv carries this line and no notice
        # (issue 14 round 6, low a: "(why: the pages notice)" pointed at nothing there)
        why = " ".join(str(reasons.get(str(failed[0]), "")).split())[:160]
        said.append(f"page{'s' if len(failed) > 1 else ''} {shown} did not decode"
                    + (f" (page {failed[0]}: {why})" if why else ""))
    if pages > MAX_STILL_PAGES:
        said.append(f"pages after {MAX_STILL_PAGES} (the most examined in one file) were not checked")
    if not said:
        return None
    counted = f"more than {MAX_STILL_PAGES}" if pages > MAX_STILL_PAGES else f"{pages}"
    what = {"tiff": "a TIFF", "mpo": "an MPO", "jpeg": "a JPEG with pictures appended"}[media.container]
    return f"{what} of {counted} pages: " + "; ".join(said)


def findings(report: Report) -> list[Finding]:
    """A ``decoded_coverage`` warning per stream that fell short, with the ranges as evidence.

    A warning, not a notice: the stage's results (a match or "no match", a language timeline) are silent about
    the missing time, and a damaged file is itself something to ask the source about.
    """
    out = []
    for name, section in report.sections.items():
        if section.status != "ok":
            continue
        for c in coverages(section):
            if not short(c):
                continue
            what = {"video": "the visual match", "audio": "the audio analysis"}[c.stream]
            out.append(Finding(
                "decoded_coverage", "warning",
                f"The {c.stream} only partly decoded, so {what} covers only what decoded: {describe(c)}. The file "
                "may be damaged or truncated.",
                {"stage": name, "stream": c.stream, "declared_s": c.declared_s, "decoded_s": c.decoded_s,
                 "decoded": [[r.start, r.end] for r in c.decoded], "gaps": [[r.start, r.end] for r in c.gaps],
                 "ended_at_s": c.ended_at_s, "error": c.error, "bad_packets": c.bad_packets}))
    return out
