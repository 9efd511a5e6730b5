"""Dialect and accent cues: lexical markers of language varieties, matched on the transcript.

A claim like "the soldiers speak with a North Korean accent" cannot be settled from audio by this tool, but
the words said can support or undercut it: 동무 and 남조선 are North Korean usage, 북한 South Korean;
нема and хлопцы in Russian speech are Ukrainian words. Marker lists live in TOML files (``dialects/`` here,
plus any the profile names), one ``[[variety]]`` each, so a desk can add its own without code. Every match is
reported with the word as transcribed and its time, and every cue is low confidence: word lists say what was
said, not who said it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from provenance.audio.errors import AudioError
from provenance.report.model import Cue, CueMatch

BUNDLED_DIR = Path(__file__).resolve().parent / "dialects"
MAX_MATCHES = 50  # per cue: enough evidence to judge, a bounded report on a long clip full of one word
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*")


@dataclass(frozen=True)
class Variety:
    """One language variety's markers, as read from a marker file."""

    id: str
    label: str
    languages: frozenset[str]
    words: dict[str, str]  # normalised word -> gloss
    prefixes: dict[str, str]
    patterns: tuple[tuple[re.Pattern[str], str, str], ...]  # (compiled, source, gloss)
    note: str = ""
    source: str = ""

    def match(self, token: str) -> tuple[str, str] | None:
        """The (marker, gloss) a transcript token matches, if any; ``token`` is case-folded."""
        word = normalise(token)
        if word in self.words:
            return word, self.words[word]
        for prefix, gloss in self.prefixes.items():
            if word.startswith(prefix):
                return prefix, gloss
        for pattern, source, gloss in self.patterns:
            if pattern.search(token):
                return source, gloss
        return None


@dataclass
class TextSpan:
    """A transcript segment in media time, with word times when the engine gave them."""

    start: float
    end: float
    language: str | None
    text: str
    words: list[tuple[float, float, str]] = field(default_factory=list)


def normalise(word: str) -> str:
    """Case-folded, ё read as е (Russian writes both), so a marker matches however it was spelled."""
    return word.casefold().replace("ё", "е")


def load_varieties(extra: Iterable[str | Path] = ()) -> list[Variety]:
    """The bundled marker files, then ``extra`` ones; a bad file raises ``AudioError`` naming it."""
    paths = sorted(BUNDLED_DIR.glob("*.toml")) + [Path(p).expanduser() for p in extra]
    return [v for path in paths for v in _load_file(path.resolve())]


@cache
def _load_file(path: Path) -> tuple[Variety, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        out = []
        for entry in data.get("variety", []):
            patterns = tuple(
                (re.compile(p, re.IGNORECASE), p, str(gloss)) for p, gloss in entry.get("patterns", {}).items()
            )
            out.append(
                Variety(
                    id=str(entry["id"]),
                    label=str(entry["label"]),
                    languages=frozenset(entry["languages"]),
                    words={normalise(w): str(g) for w, g in entry.get("words", {}).items()},
                    prefixes={normalise(w): str(g) for w, g in entry.get("prefixes", {}).items()},
                    patterns=patterns,
                    note=str(entry.get("note", "")),
                    source=path.name,
                )
            )
        return tuple(out)
    except (OSError, UnicodeError, tomllib.TOMLDecodeError, KeyError, TypeError, re.error) as exc:
        raise AudioError(f"dialect marker file {path}: {type(exc).__name__}: {exc}") from exc


def find_cues(spans: Sequence[TextSpan], varieties: Sequence[Variety]) -> list[Cue]:
    """One cue per variety with at least one match, its matches in time order."""
    cues: dict[tuple[str, str], Cue] = {}
    for span in spans:
        if not span.language:
            continue
        for variety in varieties:
            if span.language not in variety.languages:
                continue
            for token, start, end, timing in _tokens(span):
                hit = variety.match(token)
                if hit is None:
                    continue
                cue = cues.setdefault(
                    (variety.id, span.language),
                    Cue("dialect", variety.id, variety.label, span.language, note=variety.note, source=variety.source),
                )
                if len(cue.matches) < MAX_MATCHES:
                    cue.matches.append(CueMatch(token, hit[0], hit[1], round(start, 2), round(end, 2), timing))
    return list(cues.values())


def _tokens(span: TextSpan) -> Iterable[tuple[str, float, float, str]]:
    """(token, start, end, timing) for each word: word timestamps when present, else spread over the segment."""
    if span.words:
        for start, end, word in span.words:
            for m in _TOKEN.finditer(word.casefold()):
                yield m.group(), start, end, "word"
        return
    text = span.text.casefold()
    length, duration = max(1, len(text)), span.end - span.start
    for m in _TOKEN.finditer(text):
        yield (
            m.group(),
            span.start + duration * m.start() / length,
            span.start + duration * m.end() / length,
            "estimated",
        )
