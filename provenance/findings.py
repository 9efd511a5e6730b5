"""Rules that turn stage results into findings: what was observed, how strong it is, and where it came from.

Findings are evidence, not verdicts. Severity says how much an analyst should look, not whether the footage
is fake: a missing capture time or Content Credentials manifest is "unknown", never proof of manipulation.
"""

from __future__ import annotations

from collections.abc import Callable

from provenance.report.model import Finding, Report

Rule = Callable[[Report], list[Finding]]

_LANGUAGE_NAMES = {
    "en": "English", "ru": "Russian", "uk": "Ukrainian", "ko": "Korean", "zh": "Chinese", "ar": "Arabic",
    "fa": "Persian", "de": "German", "fr": "French", "es": "Spanish", "tr": "Turkish", "he": "Hebrew",
    "be": "Belarusian", "pl": "Polish", "ja": "Japanese", "pt": "Portuguese", "it": "Italian",
}


def _fmt_t(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:04.1f}"


def known_imagery(report: Report) -> list[Finding]:
    visual = report.visual
    if visual.status != "ok":
        return []
    if not visual.matches:
        if visual.index_frames == 0:
            return [Finding("index_empty", "notice",
                            "The known-imagery index is empty: recycling was not checked.", {})]
        return [Finding("no_known_match", "info",
                        f"No match in the known-imagery index ({visual.index_frames} indexed frames); "
                        "this does not show the footage is new, only that it is not in the index.",
                        {"index_frames": visual.index_frames, "frames_usable": visual.frames_usable})]
    out = []
    for m in visual.matches:
        seen = f", first seen {m.first_seen}" if m.first_seen else ", first-seen date unknown"
        spans = "; ".join(
            f"{_fmt_t(s.query_start)}-{_fmt_t(s.query_end)} = reference {_fmt_t(s.reference_start)}-"
            f"{_fmt_t(s.reference_end)}{' (mirrored)' if s.mirrored else ''}"
            for s in m.segments
        )
        out.append(Finding(
            "known_imagery_match", "warning",
            f"Reuses known imagery '{m.title or m.reference_id}'{seen}: {m.query_coverage:.0%} of sampled "
            f"frames match (best PDQ distance {m.min_distance} of 256 bits). {spans}",
            {"reference_id": m.reference_id, "first_seen": m.first_seen, "source": m.source, "url": m.url,
             "query_coverage": m.query_coverage, "min_distance": m.min_distance,
             "segments": [s.__dict__ for s in m.segments]},
        ))
    return out


def capture_metadata(report: Report) -> list[Finding]:
    meta = report.metadata
    if meta.status != "ok":
        return []
    out = []
    if meta.capture_time is None:
        nodevice = not (meta.device.make or meta.device.model)
        out.append(Finding("no_capture_metadata", "notice",
                           "No capture time" + (" and no camera make or model" if nodevice else "")
                           + " in the metadata: when it was recorded is unknown. Messaging and social-media "
                           "re-uploads, screenshots and exports strip it; absence is not evidence of editing.",
                           {"device_known": not nodevice}))
    else:
        out.append(Finding("capture_time", "info",
                           f"Capture time {meta.capture_time} (from {meta.capture_time_source}).",
                           {"capture_time": meta.capture_time, "source": meta.capture_time_source,
                            "timezone": meta.timezone}))
    device = meta.device
    if device.make or device.model:
        name = " ".join(x for x in (device.make, device.model) if x)
        sw = f", software {device.software}" if device.software else ""
        out.append(Finding("device", "info", f"Recording device {name}{sw}.",
                           {"make": device.make, "model": device.model, "software": device.software}))
    if meta.gps is not None:
        g = meta.gps
        out.append(Finding("gps_present", "notice",
                           f"GPS position {g.lat:.5f}, {g.lon:.5f} (from {g.source}).",
                           {"lat": g.lat, "lon": g.lon, "alt": g.alt, "source": g.source}))
    for check in meta.consistency:
        out.append(Finding(check.code, "notice", check.message, dict(check.evidence)))
    c2pa = meta.c2pa
    if c2pa.present:
        severity = "warning" if c2pa.state in ("invalid", "error") else "info"
        out.append(Finding("c2pa", severity,
                           f"Content Credentials (C2PA) manifest: {c2pa.state}"
                           + (f", signed by {c2pa.signer}" if c2pa.signer else "")
                           + (" (not from a trusted signer)" if c2pa.state == "valid" else "") + ".",
                           {"state": c2pa.state, "signer": c2pa.signer, "claim_generator": c2pa.claim_generator}))
    return out


def _lang(code: str) -> str:
    return f"{_LANGUAGE_NAMES.get(code, code)} ({code})"


def spoken_language(report: Report) -> list[Finding]:
    audio = report.audio
    if audio.status != "ok":
        return []
    out: list[Finding] = []
    if audio.budget_exhausted:
        out.append(Finding("audio_incomplete", "notice",
                           "The audio time budget ran out: the transcript or translation stops early "
                           f"({audio.analysed_s or 0:.0f} s analysed).",
                           {"analysed_s": audio.analysed_s, "real_time_factor": audio.real_time_factor}))
    if audio.language is None:
        return [*out, Finding("no_speech", "info", "No intelligible speech found in the audio track.", {})]
    lang = audio.language
    top = ", ".join(f"{c} {p:.2f}" for c, p in lang.top)
    evidence = {"code": lang.code, "probability": lang.probability, "top": lang.top, "model": audio.model}
    if audio.language_status == "mixed":
        parts = ", ".join(f"{_lang(g.code)} {g.seconds or 0:.0f} s" for g in audio.languages)
        regions = "; ".join(f"{r.start:.0f}-{r.end:.0f} s {r.language}" for r in audio.timeline)
        out.append(Finding("mixed_language", "notice", f"More than one language is spoken: {parts} ({regions}).",
                           {**evidence, "languages": [g.code for g in audio.languages],
                            "timeline": [[r.start, r.end, r.language] for r in audio.timeline]}))
    elif audio.language_status == "uncertain":
        out.append(Finding("language_uncertain", "notice",
                           f"The spoken language is uncertain: best guess {_lang(lang.code)} at probability "
                           f"{lang.probability:.2f} (top: {top}); the audio may be unclear, music or a language "
                           "the model knows poorly.", evidence))
    else:
        out.append(Finding("spoken_language", "info",
                           f"Spoken language {_lang(lang.code)}, probability {lang.probability:.2f}; top: {top}.",
                           evidence))
    for cue in audio.cues:
        words = ", ".join(f"'{m.word}' at {m.start:.1f} s" for m in cue.matches[:5])
        out.append(Finding("dialect_cue", "info",
                           f"Lexical hint of {cue.label} (low confidence, not an identification of the speaker): "
                           f"{words}.", {"variety": cue.variety, "language": cue.language,
                                         "matches": [m.__dict__ for m in cue.matches], "source": cue.source}))
    return out


def stage_errors(report: Report) -> list[Finding]:
    return [Finding("stage_error", "notice", f"The {e.stage} stage failed: {e.message}", {"stage": e.stage})
            for e in report.errors]


RULES: tuple[Rule, ...] = (known_imagery, capture_metadata, spoken_language, stage_errors)
_ORDER = {"warning": 0, "notice": 1, "info": 2}


def derive_findings(report: Report, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    findings = [f for rule in rules for f in rule(report)]
    return sorted(findings, key=lambda f: _ORDER[f.severity])
