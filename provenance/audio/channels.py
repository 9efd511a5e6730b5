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

Levels alone miss speech that only the side carries under music in the mid (L = music + speech, R = music -
speech: the mix is the music, at the channels' level; issue 13). So VAD then runs on each candidate (mix, side,
left, right; ~0.3% of the duration each) and one that holds clearly more speech than the mix
(``SPEECH_MARGIN``) is analysed instead, the side first on a tie (it drops a centred music bed).

Two channels that each carry speech but are not the same signal (correlation under ``SAME_SIGNAL_CORR``: an
interpreter on one channel, two microphones) would be analysed as one mix, and one language lost: the channel
with more speech is analysed, and the other is returned for language ID of its own (``choose_with_second``).

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
# VAD speech seconds must differ by this share (and half a second) for the quieter channel to win against the
# louder one, or another candidate against the mix.
SPEECH_MARGIN = 0.1
# Channels whose sample correlation is under this (in magnitude) are not one signal: identical channels give 1,
# a phase-inverted one -1; an interpreter on one channel and the speaker on the other 0.00 (issue 13's tester
# clip, Festival en / ru). Music in the mid with speech in the side gives -0.4 to 0.13, but there the mix has no
# speech and the side is chosen first. Wide-spaced microphones can fall under it too: each channel then gets
# its language ID, which costs one pass and names the same language.
SAME_SIGNAL_CORR = 0.5
# Lags searched for one signal on both channels: two microphones 17 m apart are 50 ms apart (343 m/s); the
# tester's two-microphone clip is 20 ms (issue 13 round 2, M4: 0.04 at lag 0).
MAX_LAG_S = 0.05
# One signal on both channels with a lag under this (1 ms: 16 samples) is mixed as before; a longer lag comb-filters
# the mix (notches every 1/lag Hz), so the louder channel alone is analysed.
SAME_TIME_S = 0.001
# Each channel must hold at least this much VAD speech to count as a second voice (a cough is not one).
SECOND_VOICE_S = 2.0


# A mix this far below its channels is silence, not a level: 16-bit PCM spans 96 dB, so an exact inversion
# (L = m, R = -m) came out "the mix is 179 dB below them" (float rounding; issue 13 round 6, L2) and says "cancel to
# silence" instead.
EXACT_CANCEL_DB = 90.0

def _db(x: np.ndarray) -> float:
    """RMS level in dBFS (float samples, full scale 1.0); silence is -200."""
    power = float(np.mean(np.square(x, dtype=np.float64))) if len(x) else 0.0
    return round(float(10 * np.log10(power)), 1) if power > 1e-20 else -200.0


def choose(audio: DecodedAudio) -> tuple[np.ndarray, AudioChannels]:
    """The mono signal to analyse, and the record of the check (``AudioChannels``)."""
    samples, record, _ = choose_with_second(audio)
    return samples, record


def choose_with_second(audio: DecodedAudio) -> tuple[np.ndarray, AudioChannels, np.ndarray | None]:
    """As ``choose``, with the other channel when the two carry different speech (else None).

    Checked where the mix is kept and where one channel is much louder or far below the other (an interpreter
    20-40 dB under the speaker was dropped, and a claim for the interpreter's language "contradicted"; issue 13
    round 2, H1): the other channel must hold ``SECOND_VOICE_S`` of its own VAD speech and not be the same
    signal (``_correlation``, lags up to ``MAX_LAG_S``). The same speech on both channels a few ms apart (two
    microphones) is analysed on the louder channel alone: the mix of two delayed copies is comb-filtered.
    """
    samples, record, speech = _choose(audio)
    if audio.planes is None or record.used not in ("mix", "left", "right"):
        return samples, record, None
    left, right = audio.planes
    planes = {"left": left, "right": right}
    if record.used != "mix":  # one channel much louder, or the other far below it
        used = record.used
        other = "right" if used == "left" else "left"
        if other not in speech:
            speech[other] = _speech_s(planes[other])
        if speech[other] < SECOND_VOICE_S:
            return samples, record, None
        corr, _ = _correlation(left, right)
        if abs(corr) >= SAME_SIGNAL_CORR:
            return samples, record, None
        record.reason = (f"{record.reason}; the {other} channel carries different speech ({speech[other]:.1f} s, "
                         f"correlation {corr:.2f}): its language identified on its own")
        return samples, record, planes[other]
    corr, lag = _correlation(left, right)
    if abs(corr) >= SAME_SIGNAL_CORR:
        if abs(lag) < SAME_TIME_S:
            return samples, record, None
        loud = "left" if (record.levels_db or {}).get("left", 0.0) >= (record.levels_db or {}).get("right", 0.0) \
            else "right"
        record.used = loud  # type: ignore[assignment]
        record.reason = (f"the left and right channels carry the same speech {abs(lag) * 1000:.0f} ms apart "
                         f"(correlation {corr:.2f}: two microphones): the louder {loud} channel is analysed")
        return planes[loud], record, None
    speech = {"left": _speech_s(left), "right": _speech_s(right)}
    if min(speech.values()) < SECOND_VOICE_S:
        return samples, record, None
    main, other = ("left", "right") if speech["left"] >= speech["right"] else ("right", "left")
    record.used = main  # type: ignore[assignment]
    record.reason = (f"the left and right channels carry different speech (correlation {corr:.2f}; "
                     f"{speech['left']:.0f} s and {speech['right']:.0f} s): the {main} channel is transcribed, the "
                     f"{other} channel's language identified on its own")
    return planes[main], record, planes[other]


def _correlation(a: np.ndarray, b: np.ndarray, max_lag_s: float = MAX_LAG_S) -> tuple[float, float]:
    """The largest normalised cross-correlation of two channels within +-``max_lag_s``, and its lag in seconds.

    Blockwise FFT (blocks of ~4 s at 16 kHz, 2^17-point transforms): linear in the duration, ~0.3 s for ten
    minutes. Normalised by the whole signals' energies (the lags are tiny against the duration). Silence gives 1:
    nothing tells the channels apart.
    """
    a = (a - a.mean()).astype(np.float64)
    b = (b - b.mean()).astype(np.float64)
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    den = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    if den <= 0:
        return 1.0, 0.0
    lag = round(max_lag_s * SAMPLE_RATE)
    size = 1 << 17
    block = size // 2 - 2 * lag  # x (block) + y (block + 2 lag) stays under the transform: no circular wrap
    acc = np.zeros(2 * lag + 1)
    for start in range(0, n, block):
        x = a[start : start + block]
        lo = max(0, start - lag)
        y = b[lo : start + len(x) + lag]
        corr = np.fft.irfft(np.conj(np.fft.rfft(x, size)) * np.fft.rfft(y, size), size)
        off = start - lo  # corr[m] = sum x[t] y[t + m]; b's lag k is y's m = k + off (negative m wraps: none there)
        acc += corr[np.arange(off - lag, off + lag + 1)]
    best = int(np.argmax(np.abs(acc)))
    return float(acc[best]) / den, (best - lag) / SAMPLE_RATE


def _choose(audio: DecodedAudio) -> tuple[np.ndarray, AudioChannels, dict[str, float]]:
    """The signal, its record, and the VAD speech seconds of the channels measured on the way (by name)."""
    if audio.planes is None:
        return audio.samples, AudioChannels(count=audio.channels, used="mono"), {}
    left, right = audio.planes
    levels = {"left": _db(left), "right": _db(right), "mix": _db(audio.samples), "side": _db(side(left, right))}
    record = AudioChannels(count=audio.channels, used="mix", levels_db=levels)
    channel_db = float(10 * np.log10((10 ** (levels["left"] / 10) + 10 ** (levels["right"] / 10)) / 2))
    loud, quiet = ("left", "right") if levels["left"] >= levels["right"] else ("right", "left")
    gap = levels[loud] - levels[quiet]
    planes = {"left": left, "right": right}
    if levels[loud] <= SILENT_DBFS:  # a silent track: nothing to choose
        return audio.samples, record, {}
    if levels[quiet] <= SILENT_DBFS:
        record.used, record.reason = loud, f"the {quiet} channel is silent"
        return planes[loud], record, {quiet: 0.0}
    if gap >= -SILENT_DB:
        record.used, record.reason = loud, f"the {quiet} channel is {gap:.0f} dB below the {loud}: off or unconnected"
        return planes[loud], record, {}
    if levels["mix"] - channel_db <= CANCEL_DB:
        record.used = "side"
        depth = channel_db - levels["mix"]
        record.reason = ("the channels cancel to silence when mixed to mono (one is phase-inverted)"
                         if depth >= EXACT_CANCEL_DB else
                         f"the channels cancel when mixed to mono (the mix is {depth:.0f} dB below them: one is "
                         "phase-inverted)")
        return side(left, right), record, {}
    if gap >= IMBALANCE_DB:
        speech = {name: _speech_s(planes[name]) for name in (loud, quiet)}
        pick = quiet if speech[quiet] > speech[loud] * (1 + SPEECH_MARGIN) + 0.5 else loud
        record.used = pick
        if pick == quiet:
            record.reason = (f"the {loud} channel is {gap:.0f} dB louder, but the {quiet} channel holds more speech "
                             f"({speech[quiet]:.1f} s against {speech[loud]:.1f} s)")
        else:
            record.reason = (f"the {loud} channel is {gap:.0f} dB louder and is analysed (speech: {speech[loud]:.1f} s "
                             f"on the {loud}, {speech[quiet]:.1f} s on the {quiet})")
        return planes[pick], record, speech
    # levels see nothing wrong: still, the speech may be where the mix has none (music mid, speech side)
    signals = {"mix": audio.samples, "side": side(left, right), "left": left, "right": right}
    speech = {name: _speech_s(x) for name, x in signals.items()}
    better = [n for n in signals if n != "mix" and speech[n] > speech["mix"] * (1 + SPEECH_MARGIN) + 0.5]
    if better:
        pick = max(better, key=lambda n: speech[n])  # the first (side) on a tie
        record.used = pick  # type: ignore[assignment]
        record.reason = (f"the mix holds {speech['mix']:.1f} s of speech, the {pick} "
                         f"{'signal' if pick == 'side' else 'channel'} {speech[pick]:.1f} s (speech in the side "
                         "under a centred sound, or on one channel only)")
        return signals[pick], record, {}
    return audio.samples, record, {}


def _speech_s(samples: np.ndarray) -> float:
    return sum(r.end - r.start for r in speech_regions(samples)) / SAMPLE_RATE
