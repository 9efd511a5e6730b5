"""Audio track probing and decoding with PyAV: 16 kHz float32, what every Whisper engine takes.

A track of two or more channels is decoded as two planes (FFmpeg's stereo downmix: a 5.1 centre goes into
both), so the stage can check them before mixing to mono (``channels.py``); ``samples`` is the plain mix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from provenance.audio.errors import AudioError
from provenance.coverage import measure
from provenance.limits import current_deadline
from provenance.report.model import StreamCoverage
from provenance.threads import decoder_threads

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
_MAX_BAD_PACKETS = 200  # consecutive undecodable packets before a track counts as corrupt (bounds the loop)


@dataclass
class DecodedAudio:
    samples: np.ndarray  # float32, mono (FFmpeg's downmix, ``mix``), SAMPLE_RATE
    offset: float  # media time (s) of samples[0], so transcript times are from the start of the media
    truncated: bool  # decoding stopped at the max_seconds bound
    bad_packets: int = 0  # packets the decoder rejected and skipped
    planes: np.ndarray | None = None  # float32 (2, n): left and right, when the track has two or more channels
    channels: int = 1  # channels in the source track
    coverage: StreamCoverage | None = None  # the time ranges that decoded, against the declared duration

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def has_audio_stream(path: Path) -> bool:
    """Whether the container declares an audio stream (a silent video has none: not an error)."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return bool(container.streams.audio)
    except (av.FFmpegError, OSError) as exc:
        raise AudioError(f"cannot open {path.name} to read its audio: {_reason(exc)}") from exc


def decode_audio(path: Path, max_seconds: float | None = None) -> DecodedAudio:
    """Decode the first audio stream, stopping after ``max_seconds`` so long files cost a bounded time.

    Packets the decoder rejects are skipped (a scratch in a long recording should not lose the rest);
    a track that yields no samples at all, or a long run of bad packets, raises ``AudioError``.
    """
    limit = None if max_seconds is None or max_seconds <= 0 else int(max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    bad = run_of_bad = 0
    first_time: float | None = None
    truncated = False
    spans: list[tuple[float, float]] = []  # (start, end) s of each decoded frame: decoded coverage (coverage.py)
    error: str | None = None
    declared: float | None = None
    origin = 0.0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = next((a for a in container.streams.audio if a.codec_context is not None), None)
            if stream is None:  # none, or only streams FFmpeg has no decoder for
                raise AudioError(f"{path.name} has no decodable audio stream")
            stream.thread_type = "AUTO"
            stream.thread_count = decoder_threads()  # this process's share of the cores (threads.py)
            start = container.start_time / av.time_base if container.start_time is not None else 0.0
            channels = stream.codec_context.channels or 1
            layout = "stereo" if channels >= 2 else "mono"
            resampler = _resampler(layout)
            declared = _declared_s(container, stream, start)
            origin = float(stream.start_time * stream.time_base) - start if stream.start_time is not None else 0.0
            frames = container.decode(stream)
            stage = current_deadline()  # an hour of audio decodes in ~10 s
            while limit is None or total < limit:
                stage.check()
                try:
                    frame = next(frames)
                except StopIteration:
                    break
                except av.InvalidDataError as exc:
                    error = error or _reason(exc)
                    bad += 1
                    run_of_bad += 1
                    if run_of_bad > _MAX_BAD_PACKETS:
                        raise AudioError(
                            f"audio track of {path.name} is corrupt: "
                            f"{run_of_bad} undecodable packets in a row"
                        ) from None
                    continue
                run_of_bad = 0
                if first_time is None and frame.time is not None:
                    first_time = frame.time
                if frame.time is not None and frame.sample_rate:
                    spans.append((frame.time - start, frame.time - start + frame.samples / frame.sample_rate))
                frame.pts = None  # resample by sample count: broken timestamps must not reorder audio
                try:
                    out = resampler.resample(frame)
                except ValueError:  # format, rate or layout changed mid-stream: start a fresh resampler
                    chunks.extend(_arrays(resampler.resample(None)))
                    resampler = _resampler(layout)
                    out = resampler.resample(frame)
                for array in _arrays(out):
                    chunks.append(array)
                    total += array.shape[1]
            else:
                truncated = True
            if not truncated:
                chunks.extend(_arrays(resampler.resample(None)))
    except AudioError:
        raise
    except (av.FFmpegError, OSError) as exc:
        raise AudioError(f"cannot decode the audio of {path.name}: {_reason(exc)}") from exc
    planes = np.concatenate(chunks, axis=1) if chunks else np.zeros((1, 0), np.float32)
    if limit is not None and planes.shape[1] > limit:
        planes = planes[:, :limit]
        truncated = True
    samples = planes[0] if len(planes) == 1 else mix(planes[0], planes[1])
    if not len(samples):
        detail = f" ({bad} undecodable packets)" if bad else ""
        raise AudioError(f"audio track of {path.name} decodes to no samples{detail}")
    if bad:
        log.warning("%s: skipped %d undecodable audio packets", path.name, bad)
    offset = round(max(0.0, (first_time or 0.0) - start), 3)
    stereo = np.ascontiguousarray(planes, np.float32) if len(planes) == 2 else None
    coverage = measure("audio", spans, declared, origin=max(0.0, origin), bad_packets=bad, error=error,
                       limit="[audio] max_seconds" if truncated else None, frames_decoded=len(spans))
    return DecodedAudio(np.ascontiguousarray(samples, np.float32), offset, truncated, bad, stereo, channels, coverage)


def _declared_s(container: av.container.InputContainer, stream: av.AudioStream, start: float) -> float | None:
    """The track's declared end (s from the container's start, as transcript times are); None when not declared."""
    if stream.duration and stream.duration > 0 and stream.time_base:
        begin = float(stream.start_time * stream.time_base) if stream.start_time is not None else start
        return float(stream.duration * stream.time_base) + max(0.0, begin - start)
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    return None


def mix(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Mono as FFmpeg's own downmix makes it: (L + R) / sqrt(2) (swresample does not normalise float output).

    The same level as decoding straight to mono, so a plain stereo file gives the results it always gave.
    """
    return ((left + right) * np.float32(np.sqrt(0.5))).astype(np.float32)


def side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The side signal (L - R) / sqrt(2): what a mono mix cancels, at the mix's scale."""
    return ((left - right) * np.float32(np.sqrt(0.5))).astype(np.float32)


def _resampler(layout: str = "mono") -> av.AudioResampler:
    return av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)


def _arrays(frames: list[av.AudioFrame]) -> list[np.ndarray]:
    """(channels, samples) arrays of the resampled frames (planar float)."""
    return [f.to_ndarray().reshape(len(f.layout.channels), -1) for f in frames if f.samples]


def _reason(exc: BaseException) -> str:
    """FFmpeg errors repeat the path after the reason; keep the reason only, on one line."""
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return str(exc.strerror)
    return " ".join(str(exc).split()) or type(exc).__name__
