"""Which signal of a stereo track carries the speech: the channels are checked before mixing to mono.

A mono mix is the mean of left and right. It loses the speech when the channels cancel (one phase-inverted
against the other: a wiring fault, a deliberate trick, a bad re-encode) and buries it when one channel is
silent or far louder than the other (a lavalier on one channel, music or wind on the other). Whisper then
hears near silence and invents a word or two in some language. The levels (RMS over the decoded track) say
which case it is, cheaply:

- **cancelling**: the mix is ``CANCEL_DB`` or more below the channels' own level (identical channels: +3 dB,
  unrelated ones: 0 dB, exactly inverted ones: silence), so the side signal (L - R) carries what the mix lost;
- **one silent channel**: under ``SILENT_DBFS``, or ``SILENT_DB`` below the other: the other channel alone;
- **much louder channel**: ``IMBALANCE_DB`` or more apart: VAD decides which channel holds more speech
  (the louder one on a tie), since the quiet one may be the voice under loud music.

Otherwise the mix, exactly as before (FFmpeg's own downmix). What was chosen and why goes into the report
(``AudioSection.channels``) and, when it is not the mix, into a finding.
"""

from __future__ import annotations

import numpy as np

from provenance.audio.decode import SAMPLE_RATE, DecodedAudio, side
from provenance.audio.speech import speech_regions
from provenance.report.model import AudioChannels

# The mix against the channels' mean power, in dB. (L + R) / sqrt(2) of identical channels is +3 dB, of
# unrelated ones 0 dB, of opposite ones -inf; a real stereo recording with wide microphones stays above -6 dB.
# -10 dB leaves the side signal at least 10 dB above the mix: it holds most of what was recorded.
CANCEL_DB = -10.0
# A channel this far below the other is off or unconnected: a live channel's noise floor alone sits 40-60 dB
# below speech at a normal recording level.
SILENT_DB = -40.0
SILENT_DBFS = -70.0  # 16-bit dither is about -96 dBFS; a recorded but unused input about -70 to -60
# Channels further apart than this: a 20 dB louder channel is 10x its amplitude, and a mix is dominated by it.
IMBALANCE_DB = 20.0
# VAD speech seconds must differ by this share for the quieter channel to win against the louder one.
SPEECH_MARGIN = 0.1


def _db(x: np.ndarray) -> float:
    """RMS level in dBFS (float samples, full scale 1.0); silence is -200."""
    power = float(np.mean(np.square(x, dtype=np.float64))) if len(x) else 0.0
    return round(float(10 * np.log10(power)), 1) if power > 1e-20 else -200.0


def choose(audio: DecodedAudio) -> tuple[np.ndarray, AudioChannels]:
    """The mono signal to analyse, and the record of the check (``AudioChannels``)."""
    if audio.planes is None:
        return audio.samples, AudioChannels(count=audio.channels, used="mono")
    left, right = audio.planes
    levels = {"left": _db(left), "right": _db(right), "mix": _db(audio.samples), "side": _db(side(left, right))}
    record = AudioChannels(count=audio.channels, used="mix", levels_db=levels)
    channel_db = float(10 * np.log10((10 ** (levels["left"] / 10) + 10 ** (levels["right"] / 10)) / 2))
    loud, quiet = ("left", "right") if levels["left"] >= levels["right"] else ("right", "left")
    gap = levels[loud] - levels[quiet]
    planes = {"left": left, "right": right}
    if levels[loud] <= SILENT_DBFS:  # a silent track: nothing to choose
        return audio.samples, record
    if levels[quiet] <= SILENT_DBFS or gap >= -SILENT_DB:
        how = "silent" if levels[quiet] <= SILENT_DBFS else f"{gap:.0f} dB below the {loud}: off or unconnected"
        record.used, record.reason = loud, f"the {quiet} channel is {how}"
        return planes[loud], record
    if levels["mix"] - channel_db <= CANCEL_DB:
        record.used = "side"
        record.reason = (f"the channels cancel when mixed to mono (the mix is {channel_db - levels['mix']:.0f} dB "
                         "below them: one is phase-inverted)")
        return side(left, right), record
    if gap >= IMBALANCE_DB:
        speech = {name: _speech_s(planes[name]) for name in (loud, quiet)}
        pick = quiet if speech[quiet] > speech[loud] * (1 + SPEECH_MARGIN) + 0.5 else loud
        record.used = pick
        record.reason = (f"the {loud} channel is {gap:.0f} dB louder; the {pick} channel holds more speech "
                         f"({speech[pick]:.1f} s against {speech[quiet if pick == loud else loud]:.1f} s)")
        return planes[pick], record
    return audio.samples, record


def _speech_s(samples: np.ndarray) -> float:
    return sum(r.end - r.start for r in speech_regions(samples)) / SAMPLE_RATE
