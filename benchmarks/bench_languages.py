"""Spoken-language benchmark: the audio stage's language regions against plain faster-whisper, in one run.

Corpus (``audio_corpus.py``, built once under benchmarks/.cache): real and synthesised speech in en, ru, de and
es, a switch every sentence (3-5 s), speech after 30-40 s of silence, music or noise, 150-170-s clips of 8-12-s
stretches, channel tricks (one channel phase-inverted, one silent, one under noise) and non-speech (Big Buck
Bunny's score, synthesised chords, white and brown noise, a tone, a sweep).

Three systems on each clip, with one loaded model:
  stage      provenance.audio.analyse, pipelines/standard.toml
  whole      WhisperModel.transcribe(samples) with faster-whisper's defaults: one language for the whole clip
             (from its first 30 s), and its transcript
  win30      WhisperModel.detect_language on each 30-s window: a language per window
Measures, per clip and summed per kind:
  acc        per-region language accuracy: the share of the truth's speech seconds (0.1-s steps) that a
             region / window of the right language covers (uncovered speech counts as wrong)
  bound      boundary error: for each truth switch between languages, the distance (s) from the start of the
             new language's part to the nearest reported start of a region / window of that language; a switch
             with none within 10 s is a miss (counted in ``miss``, not in the mean)
  false      false languages: regions / windows / whole-clip languages that hold less than 1 s of truth
             speech (on non-speech clips, or over the music before late speech)
  text       transcript segments (and their characters) lying outside the truth's speech (0.5 s margin)
  claims     (stage only) what a claim's spoken-language check (``claims.check_language``) says of the clip:
             ``sup`` claims expecting the truth's languages that are supported, of those made (one a speech
             case); ``bad`` wrong evidence: a claim expecting a language not spoken that is supported, one
             expecting the truth's languages that is contradicted, or any support or contradiction on non-speech
             (claims expecting Thai, Whisper base's sink for voices it cannot place, and the first of en, ru,
             de, es not spoken)
A fixed quarter of the cases (hash of the name, ``audio_corpus.held_out``) is held out: tune on ``dev`` (the
default) and run ``held-out`` once, at the end.
Held-out-2 (``--held-out``, ``audio_corpus.build_held_out``): 17 further cases built after issue 13 round 2 from
sentences, voices and seeds no dev case uses (fast turns, switches across long silences, speech over music and
in noise, channel tricks, a long clip); not looked at while tuning.
Held-out-3 (``--held-out-3``, ``audio_corpus.build_held_out_3``): 18 cases, issue 13's final look, with sentences,
espeak-ng voices and speeds and beds no other split uses (en/ru, ko/ru and uk/ru switches every 3-5 s, Korean and
Vietnamese that Whisper may call Thai, German, Spanish, Ukrainian, speech over a beat and in pink noise, late
speech after a beat, a beat, pink noise, telephone tones, phase-inverted / one-silent / beat-beside channels, a
106-s six-language clip); built and checked only (``python benchmarks/audio_corpus.py --split held-out-3``).
Held-out-4 (``--held-out-4``, ``audio_corpus.build_held_out_4``): 20 cases built after held-out-3 was looked at, with
sentences, espeak-ng named voice variants, Festival speeds and beds no other split uses (ru/uk, fast en/es and
de/ru/en switches, speech over a waltz and a siren, late Ukrainian after rain, a waltz, a siren, rain, an idling
engine, speech moving across the channels, speech that a mono downmix cancels, a waltz beside speech, a 113-s
six-language clip); built and checked only (``python benchmarks/audio_corpus.py --split held-out-4``).
Held-out-5 (``--held-out-5``, ``audio_corpus.build_held_out_5``): 23 cases built after held-out-4 was looked at,
never run while building: Italian, Portuguese and Polish (no other split speaks them) beside en, ru and uk; espeak-ng
variants and Festival voices (ked, Italian lp and pc) no other split uses; a short second language (one sentence
inside or after ~18 s of another: kind "short"), speech after a long silence, speech on one channel with music or
birdsong on the other, and negatives: reversed speech, a marimba, applause, birdsong; built and checked only
(``python benchmarks/audio_corpus.py --split held-out-5``).
Usage: python benchmarks/bench_languages.py [--split dev|held-out|all]
       [--held-out | --held-out-3 | --held-out-4 | --held-out-5]
       [--only SUBSTRING] [--stage-only]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from audio_corpus import Case, build, build_held_out, build_held_out_3, build_held_out_4, build_held_out_5, held_out

from provenance.audio import FasterWhisperEngine, analyse, resolve_model
from provenance.audio.decode import SAMPLE_RATE, decode_audio
from provenance.claims import Claim, check_language
from provenance.config import load_pipeline
from provenance.report.model import AudioSection, MediaSection, Report

STEP_S = 0.1  # accuracy is sampled every this many seconds of truth speech
MATCH_S = 10.0  # a reported boundary further than this from a truth switch does not count for it
FALSE_MIN_SPEECH_S = 1.0  # a region holding less truth speech than this names a language for non-speech
TEXT_MARGIN_S = 0.5  # a segment whose middle is this far outside every spoken part is text on non-speech
WINDOW_S = 30.0


@dataclass
class Span:
    """A reported stretch in one language (a region, a 30-s window, or the whole clip)."""

    start: float
    end: float
    language: str


@dataclass
class Result:
    """One system's figures on one case."""

    speech_s: float = 0.0
    correct_s: float = 0.0
    errors: list[float] = field(default_factory=list)
    misses: int = 0
    false: int = 0
    text_segments: int = 0
    text_chars: int = 0
    seconds: float = 0.0
    said: str = ""
    claims_made: int = 0  # claims expecting the truth's languages
    claims_supported: int = 0
    claims_bad: int = 0  # wrong evidence (module docstring)

    def add(self, other: Result) -> None:
        self.speech_s += other.speech_s
        self.correct_s += other.correct_s
        self.errors += other.errors
        self.misses += other.misses
        self.false += other.false
        self.text_segments += other.text_segments
        self.text_chars += other.text_chars
        self.seconds += other.seconds
        self.claims_made += other.claims_made
        self.claims_supported += other.claims_supported
        self.claims_bad += other.claims_bad

    def row(self, text: bool = True) -> str:
        acc = f"{self.correct_s / self.speech_s:6.1%}" if self.speech_s else "     -"
        bound = f"{np.mean(self.errors):5.2f}" if self.errors else "    -"
        txt = f"{self.text_segments:3d}/{self.text_chars:<4d}" if text else "   -    "
        return f"{acc} {bound} {self.misses:4d} {self.false:5d} {txt}"

    def claims_row(self) -> str:
        return f"claims sup {self.claims_supported}/{self.claims_made} bad {self.claims_bad}"


def score(case: Case, spans: list[Span], segments: list[tuple[float, float, str]]) -> Result:
    """The measures of the module docstring for one system's spans and transcript on one case."""
    out = Result(speech_s=case.speech_s)
    for part in case.parts:
        for t in np.arange(part.start + STEP_S / 2, part.end, STEP_S):
            if any(s.start <= t < s.end and s.language == part.language for s in spans):
                out.correct_s += STEP_S
    out.correct_s = min(out.correct_s, out.speech_s)
    for before, after in zip(case.parts, case.parts[1:], strict=False):
        if before.language == after.language:
            continue
        starts = [s.start for s in spans if s.language == after.language]
        near = [abs(s - after.start) for s in starts if abs(s - after.start) <= MATCH_S]
        if near:
            out.errors.append(min(near))
        else:
            out.misses += 1
    for s in spans:
        held = sum(max(0.0, min(s.end, p.end) - max(s.start, p.start)) for p in case.parts)
        if held < FALSE_MIN_SPEECH_S:
            out.false += 1
    for start, end, text in segments:
        mid = (start + end) / 2
        if text.strip() and not any(p.start - TEXT_MARGIN_S <= mid <= p.end + TEXT_MARGIN_S for p in case.parts):
            out.text_segments += 1
            out.text_chars += len(text.strip())
    return out


def judge_claims(case: Case, section: AudioSection, out: Result) -> str:
    """Add the claim measures (module docstring) of ``section`` to ``out``; return what each claim got."""
    report = Report(MediaSection(path=case.path.name, sha256="0" * 64, kind="audio"), sections={"audio": section})
    spoken = sorted({p.language for p in case.parts})
    wrong = ["th", next(c for c in ("en", "ru", "de", "es") if c not in spoken)]
    said = []
    if spoken:
        result = check_language(Claim(id="c-true", statement="as heard", languages=spoken), report).result
        out.claims_made += 1
        out.claims_supported += result == "supports"
        out.claims_bad += result == "contradicts"
        said.append(f"{','.join(spoken)}:{result}")
    for code in wrong:
        result = check_language(Claim(id=f"c-{code}", statement="not heard", languages=[code]), report).result
        out.claims_bad += result == "supports" or (not spoken and result == "contradicts")
        said.append(f"{code}:{result}")
    return " ".join(said)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "held-out", "all"), default="dev",
                    help="which cases: dev (default), the held-out quarter (once, at the end), or all")
    ap.add_argument("--only", default="", help="cases whose name contains this")
    ap.add_argument("--stage-only", action="store_true", help="skip the faster-whisper baselines (~6 min a run)")
    ap.add_argument("--held-out", action="store_true",
                    help="the held-out-2 cases (audio_corpus.build_held_out: new voices, sentences and seeds; "
                         "built after issue 13 round 2): look once, at the end, and say so in DESIGN.md")
    ap.add_argument("--held-out-3", action="store_true",
                    help="the held-out-3 cases (audio_corpus.build_held_out_3: issue 13's final look, never run "
                         "while building): the lead runs it once")
    ap.add_argument("--held-out-4", action="store_true",
                    help="the held-out-4 cases (audio_corpus.build_held_out_4: built after held-out-3 was looked at, "
                         "never run while building): run it once, at the end")
    ap.add_argument("--held-out-5", action="store_true",
                    help="the held-out-5 cases (audio_corpus.build_held_out_5: built after held-out-4 was looked at, "
                         "never run while building): run it once, at the end")
    args = ap.parse_args()

    if args.held_out_5:
        cases = [c for c in build_held_out_5() if args.only in c.name]
        args.split = "held-out-5"
    elif args.held_out_4:
        cases = [c for c in build_held_out_4() if args.only in c.name]
        args.split = "held-out-4"
    elif args.held_out_3:
        cases = [c for c in build_held_out_3() if args.only in c.name]
        args.split = "held-out-3"
    elif args.held_out:
        cases = [c for c in build_held_out() if args.only in c.name]
        args.split = "held-out-2"
    else:
        cases = [c for c in build() if args.only in c.name]
    if args.split not in ("all", "held-out-2", "held-out-3", "held-out-4", "held-out-5"):
        cases = [c for c in cases if held_out(c.name) == (args.split == "held-out")]
    engine = FasterWhisperEngine(resolve_model(None))
    model = engine._model  # the same loaded WhisperModel for the baselines
    config = load_pipeline("standard").audio
    isa = os.environ.get("CT2_FORCE_CPU_ISA", "(auto)")
    print(f"split {args.split}: {len(cases)} cases, {engine.model_id}, CT2_FORCE_CPU_ISA={isa}")

    totals: dict[tuple[str, str], Result] = defaultdict(Result)
    header = f"{'':6} {'acc':>6} {'bound':>5} {'miss':>4} {'false':>5} {'text':>8} {'s':>6}"
    for case in cases:
        samples = decode_audio(case.path).samples  # FFmpeg's mono downmix, as faster-whisper decodes
        results: dict[str, Result] = {}

        started = time.perf_counter()
        section = analyse(case.path, config, engine=engine)
        spans = [Span(r.start, r.end, r.language) for r in section.timeline]
        r = score(case, spans, [(s.start, s.end, s.text) for s in section.segments])
        r.seconds = time.perf_counter() - started
        claims = judge_claims(case, section, r)
        r.said = (f"{section.language_status}, speech {section.speech_s} s, unidentified {section.unidentified_s}"
                  f", channels {section.channels}: "
                  + " ".join(f"{x.language}[{x.start:.1f}-{x.end:.1f}]" for x in section.timeline)
                  + f"; claims {claims}")
        results["stage"] = r
        if args.stage_only:
            truth = " ".join(f"{p.language}[{p.start:.1f}-{p.end:.1f}]" for p in case.parts) or "no speech"
            print(f"\n{case.name} ({case.kind}, {case.duration:.0f} s): {truth}\n{header}")
            print(f"{'stage':6} {r.row(text=True)} {r.seconds:6.1f}   {r.said}", flush=True)
            totals[(case.kind, "stage")].add(r)
            totals[("all", "stage")].add(r)
            continue

        started = time.perf_counter()
        segments, info = model.transcribe(samples)
        segs = [(s.start, s.end, s.text) for s in segments]
        r = score(case, [Span(0.0, case.duration, info.language)], segs)
        r.seconds = time.perf_counter() - started
        r.said = f"{info.language} p {info.language_probability:.2f}, {sum(len(t) for *_, t in segs)} chars"
        results["whole"] = r

        started = time.perf_counter()
        windows = []
        for a in np.arange(0.0, case.duration, WINDOW_S):
            chunk = samples[round(a * SAMPLE_RATE) : round((a + WINDOW_S) * SAMPLE_RATE)]
            language, _, _ = model.detect_language(chunk)
            windows.append(Span(float(a), min(case.duration, float(a) + WINDOW_S), language))
        r = score(case, windows, [])
        r.seconds = time.perf_counter() - started
        r.said = " ".join(f"{w.language}[{w.start:.0f}-{w.end:.0f}]" for w in windows)
        results["win30"] = r

        truth = " ".join(f"{p.language}[{p.start:.1f}-{p.end:.1f}]" for p in case.parts) or "no speech"
        print(f"\n{case.name} ({case.kind}, {case.duration:.0f} s): {truth}")
        print(header)
        for name, r in results.items():
            print(f"{name:6} {r.row(text=name != 'win30')} {r.seconds:6.1f}   {r.said}")
            totals[(case.kind, name)].add(r)
            totals[("all", name)].add(r)

    print(f"\nby kind ({args.split}; acc = share of speech seconds in the right language, bound = mean boundary "
          "error s, miss = switches not found, false = languages on non-speech, text = segments/chars on "
          "non-speech, s = seconds)")
    print(f"{'kind':10} {header}")
    for kind in [*dict.fromkeys(c.kind for c in cases), "all"]:
        for name in ("stage",) if args.stage_only else ("stage", "whole", "win30"):
            r = totals[(kind, name)]
            claims = f"   {r.claims_row()}" if name == "stage" else ""
            print(f"{kind:10} {name:6} {r.row(text=name != 'win30')} {r.seconds:6.1f}{claims}")
    duration = sum(c.duration for c in cases)
    print(f"audio {duration:.0f} s; stage real-time factor {totals[('all', 'stage')].seconds / duration:.3f}")


if __name__ == "__main__":
    main()
