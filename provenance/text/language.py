"""Script and language of a piece of text, from its letters alone (no model): what an analyst checks by eye.

Scripts by Unicode block. A Cyrillic line's letters give the set of Cyrillic languages whose alphabets hold them all
(``CYRILLIC_ALPHABETS``: ru, uk, be, bg, kk, sr, mk); a language is named only when that set has one member, so
Russian is never named by letters alone (Kazakh writes all its letters). Russian and Ukrainian each have letters
the other lacks (Ukrainian і ї є ґ, Russian ы э ъ ё), which is all the recogniser's two models tell: between
those two only. OCR blurs exactly these letters (е/є, ъ/ь), so a line the
recogniser reads is decided by comparing its Russian and Ukrainian models' readings (engine.Tesseract._cyrillic);
``language_of`` decides typed text and the other scripts. Latin text is English only when it holds a common English
word: Latin letters alone are every language that writes with them (brand names, transliterations).
"""

from __future__ import annotations

import re
from collections import Counter

UK_LETTERS = frozenset("іїєґІЇЄҐ")
RU_LETTERS = frozenset("ыэъёЫЭЪЁ")
# an і/ї that is no letter of a word: one standing alone or beside digits ("Пост І", "Отдел І", "Участок I": a
# Roman numeral I the Ukrainian model writes as Cyrillic І, the issue 18 round-5 tester's pans and stills), or an
# І glued to the front of a line's first word before a capital ("ІГле мой лом" for "Где мой дом": the edge of
# the box read as a letter). Only an і/ї inside a word of two or more Cyrillic letters counts
_LONE_I = re.compile(r"(?<![^\W\d_])[іїІЇ](?![^\W\d_])")
_EDGE_I = re.compile(r"^\W*[іІ](?=[А-ЯЁЄІЇҐЎ][а-яёєіїґў])")
# common English words (function words and the commonest nouns/verbs of captions); a Latin line holding one
# is called English
EN_WORDS = frozenset((
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "by", "for", "from", "with", "without", "is", "are",
    "was", "were", "be", "been", "has", "have", "had", "not", "no", "this", "that", "these", "those", "it", "its",
    "they", "their", "there", "here", "we", "our", "you", "your", "he", "she", "his", "her", "who", "what", "when",
    "where", "why", "how", "all", "more", "most", "new", "near", "after", "before", "during", "over", "under",
    "into", "out", "up", "down", "off", "as", "if", "but", "so", "than", "then", "now", "today", "yesterday",
    "breaking", "news", "video", "footage", "troops", "soldiers", "army", "police", "city", "town", "border", "road",
    "street", "arriving", "arrive", "attack", "attacks", "killed", "war", "live", "update", "people", "children",
    "near", "says", "said", "will", "would", "can", "could",
))
_WORD = re.compile(r"[^\W\d_]+")
# a recognised Cyrillic line whose Russian and Ukrainian models' comparison named no language (engine.py
# RU_UK_MARGIN, WORD_SHARE) is named by its own letters (``settled_by_letters``) when read at least this sure:
# the claim check's floor (claims._TEXT_MIN_CONFIDENCE), where bench_text.py's dev readings had a character error
# rate of 0.1 or less. The issue 18 round-4 tester's "Росія напала" (0.92) and "СРОЧНО: мы в Курске" (0.95) were
# "language not told" though і and ы are letters the other language does not have
SETTLE_CONFIDENCE = 0.8
# ы as the recogniser writes it split in two: ь or ъ then і (the Ukrainian model), or a Latin I or a bar; і
# before ь (no Ukrainian word has it: ь follows consonants only, and ъ is no Ukrainian letter); and, in capitals,
# the I-stroke moved to the front of the word, before the letter ahead of Ы ("ВЫХОД" read "ІВЬХОД" at 0.84-0.88 in
# 8 of the issue 18 round-8 tester's 21 camera pans of that sign, named Ukrainian and contradicting a ru claim).
# Not Ukrainian і, but a likely misreading of Russian (or Belarusian, Kazakh) ы: ``join_yery``, ``split_yery``.
# Also an Ы kept whole with a stray і beside it ("ВЫХОД" read "ВЫІХОД" at 0.83 by this engine, FreeSerif Bold
# 32 px, the issue 18 round-9 tester's crop tests/data/text18/vyhod_fserb32_q40.png: no word of ru, uk, be or kk
# has ы beside і) and a Latin b before a Cyrillic і ("ВbІХОД", the same tester's probe)
_SPLIT_YERY = re.compile(r"[ьъЬЪb][іІI|]|[іІ][ьъЬЪ]|[ыЫ][іІ]|[іІ][ыЫ]")
_SPLIT_YERY_FRONT = re.compile(r"(?<![^\W\d_])І([А-ЯЁЄЇҐЎ])Ь")
# ... and ы, ь or ъ one space or one б before an і inside a word (or an і before them): a possible split ы, not
# joined, but its і settles no language and the line is not exempt from the word-list cap as a line Belarusian
# may be (engine.unlisted). The round-9 tester's engine sweep read "ВЫХОД" as "ВЬБІХОД" (0.74, named Ukrainian);
# "ВЬ ІХОД" is their probe of Tesseract's added space. The і must start or continue a word: the conjunction і
# ("сіль і хліб") and a word's last і ("у боротьбі") are Ukrainian. Other letters between are not counted:
# ЛЬВІВ, СІЛЬСЬКА, Ільїн are Ukrainian words with ь one letter from і
_NEAR_YERY = re.compile(r"(?<=[ыьъЫЬЪb])(?:\s|[бБ])?[іІ](?=[^\W\d_])|[іІ](?=[\sбБ]?[ыьъЫЬЪ])")


def join_yery(text: str) -> str:
    """``text`` with each ы the recogniser split in two (``_SPLIT_YERY``, ``_SPLIT_YERY_FRONT``) joined again, so
    its і does not count as a Ukrainian letter."""
    return _SPLIT_YERY.sub("ы", _SPLIT_YERY_FRONT.sub(r"\1ы", text))


def split_yery(text: str) -> bool:
    """Whether ``text`` holds an ы read split in two (``join_yery``): a likely misreading, shown at no more than
    engine.DOUBTED."""
    return join_yery(text) != text


def without_near_yery(text: str) -> str:
    """``text`` without each і that may be half of a split ы (``_NEAR_YERY``, the space or б between dropped too):
    the letters the line may have had."""
    return _NEAR_YERY.sub("", text)


def near_yery(text: str) -> bool:
    """Whether ``text`` holds an і that may be half of a split ы (``without_near_yery``)."""
    return without_near_yery(text) != text

# the Ukrainian letters no Russian letter is read as: і, ї (є and ґ are Russian е and г to the recogniser)
_UK_SURE = re.compile(r"[іїІЇ]")


def script_of_char(ch: str) -> str | None:
    o = ord(ch)
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "Hangul"
    if 0x0400 <= o <= 0x052F:
        return "Cyrillic"
    if ch.isalpha() and (ch.isascii() or 0x00C0 <= o <= 0x024F):
        return "Latin"
    if ch.isalpha():
        return "other"
    return None


def letters_by_script(text: str) -> dict[str, int]:
    """How many letters of each script ``text`` holds."""
    return dict(Counter(s for ch in text if (s := script_of_char(ch)) is not None))


def script_of(text: str) -> str | None:
    """The script holding at least 80% of the letters, "mixed" when none does, None with no letters."""
    counts = letters_by_script(text)
    total = sum(counts.values())
    if not total:
        return None
    script, n = max(counts.items(), key=lambda kv: kv[1])
    return script if n >= 0.8 * total else "mixed"


def word_letters(text: str) -> str:
    """``text`` without the і/ї that are no letter of a word (``_LONE_I``, ``_EDGE_I``): what the language is
    told from."""
    return _LONE_I.sub(" ", _EDGE_I.sub("", text))


def lone_i(text: str) -> bool:
    """Whether ``text`` holds an і/ї that is no letter of a word (``word_letters``)."""
    return word_letters(text) != text


def settled_by_letters(text: str) -> tuple[str | None, str]:
    """Russian or Ukrainian from a recognised line's own letters: і or ї (Ukrainian; Russian has neither; є and
    ґ alone do not settle it, see ``_UK_SURE``) without ы э ъ ё, or the other way round; None with both or
    neither. і beside ь/ъ is counted as the Russian ы the recogniser splits in two (``join_yery``). For a reading
    at ``SETTLE_CONFIDENCE`` or more (analysis._reading_language): its letters are then the recogniser's sure
    ones."""
    if script_of(text) != "Cyrillic":
        return None, ""
    joined = word_letters(join_yery(text))
    language, why = _ru_or_uk_letters(joined)
    if language == "uk" and not _UK_SURE.search(without_near_yery(joined)):
        return None, f"{why.split(' (')[0]} beside ь or ы only: a possibly split ы"
    if language == "uk" and not _UK_SURE.search(joined):
        # є and ґ alone do not settle it: Tesseract's Ukrainian model writes Russian е as є and г as ґ (the text
        # benchmark's held-out look, 2026-12-01: "вьезжает" read "вьезжаєт" at 0.88 and named Ukrainian)
        return None, f"{why.split(' (')[0]} alone: the recogniser writes Russian е, г so"
    return language, why


# Each Cyrillic language's alphabet (lower case), from the Unicode CLDR exemplar characters (main set) of each
# locale, which follow the official alphabets: ru 33 letters, uk 33 (2019 orthography), be 32 (official, no ґ;
# its apostrophe is no letter), bg 30 (ѝ is и with a grave, not a letter), kk 42 (the 1940-2021 Cyrillic
# alphabet: all of Russian's letters plus ә ғ қ ң ө ұ ү һ і), sr 30 (Vuk's alphabet), mk 31. Letters alone cannot
# name Russian: Kazakh writes every Russian letter, Belarusian ы э ё, Bulgarian ъ; і is Ukrainian, Belarusian and
# Kazakh (the issue 18 round-6 tester's "Выхад да метро", "Българска армия", "Праспект Незалежнасці" were named
# ru/uk and decided ru/uk claims). ``cyrillic_candidates`` gives the languages whose alphabet holds all of a
# line's letters
CYRILLIC_ALPHABETS: dict[str, frozenset[str]] = {
    "ru": frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя"),
    "uk": frozenset("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"),
    "be": frozenset("абвгдеёжзійклмнопрстуўфхцчшыьэюя"),
    "bg": frozenset("абвгдежзийклмнопрстуфхцчшщъьюя"),
    "kk": frozenset("аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"),
    "sr": frozenset("абвгдђежзијклљмнњопрстћуфхцчџш"),
    "mk": frozenset("абвгдѓежзѕијклљмнњопрстќуфхцчџш"),
}
# the order a set of candidates is written in ("Cyrillic: ru, be or kk")
_CYRILLIC_ORDER = tuple(CYRILLIC_ALPHABETS)


def cyrillic_candidates(text: str) -> list[str]:
    """The Cyrillic languages (``CYRILLIC_ALPHABETS``) whose alphabet holds every Cyrillic letter of ``text``'s
    words (``word_letters``: a lone і is no letter), in table order; empty when no one alphabet holds them all (or
    there is no Cyrillic letter). A Kazakh (қ ә ғ ң ө ұ ү һ), Serbian/Macedonian (ј љ њ ћ ђ џ ѓ ќ ѕ) or Belarusian
    (ў) letter leaves only the languages that write it."""
    letters = {c for c in word_letters(text).lower() if script_of_char(c) == "Cyrillic"}
    if not letters:
        return []
    # with an і that may be half of a split ы (``near_yery``), also the languages of the line without it
    unsplit = {c for c in word_letters(without_near_yery(text)).lower() if script_of_char(c) == "Cyrillic"}
    return [code for code in _CYRILLIC_ORDER if letters <= CYRILLIC_ALPHABETS[code]
            or (unsplit and unsplit <= CYRILLIC_ALPHABETS[code])]


def candidates_words(codes: list[str]) -> str:
    """"ru, be or kk": a set of candidate languages as the report writes it."""
    return codes[0] if len(codes) == 1 else f"{', '.join(codes[:-1])} or {codes[-1]}"


def recognised_letters(text: str, *, told_uk: bool = False) -> str:
    """A recognised Cyrillic line's letters as the candidates are told from: ы the recogniser splits in two
    (``join_yery``) joined again, and unless the models' comparison named Ukrainian (``told_uk``), є and ґ as the
    Russian е and г the Ukrainian model writes so (see ``settled_by_letters``)."""
    joined = join_yery(text)
    return joined if told_uk else joined.translate(_UK_LOOKALIKE)


_UK_LOOKALIKE = str.maketrans("єґЄҐ", "егЕГ")


def cyrillic_language(text: str, between: str | None = None) -> tuple[str | None, list[str], str]:
    """(language or None, candidates, why) for a Cyrillic line: its letters' candidates (``cyrillic_candidates``)
    narrowed by ``between``, what the recogniser's Russian and Ukrainian models told between those two only
    ("ru" drops uk, "uk" drops ru). A language is named only when one candidate is left."""
    cands = cyrillic_candidates(text)
    if between in ("ru", "uk"):
        cands = [c for c in cands if c != ("uk" if between == "ru" else "ru")]
    if not cands:
        return None, [], "Cyrillic letters no one Cyrillic alphabet holds together (a misreading)"
    if len(cands) == 1:
        return cands[0], cands, f"Cyrillic letters only {_NAMES.get(cands[0], cands[0])} writes all of"
    return None, cands, f"Cyrillic: {candidates_words(cands)} (letters those alphabets all hold)"


_NAMES = {"ru": "Russian", "uk": "Ukrainian", "be": "Belarusian", "bg": "Bulgarian", "kk": "Kazakh",
          "sr": "Serbian", "mk": "Macedonian"}


def _ru_or_uk_letters(text: str) -> tuple[str | None, str]:
    """Russian or Ukrainian, between those two only (``settled_by_letters``): letters of one (ы э ъ ё, і ї є ґ)
    and none of the other; the languages it may be are ``cyrillic_candidates``, this narrowing them."""
    uk = sorted({c.lower() for c in text if c in UK_LETTERS})
    ru = sorted({c.lower() for c in text if c in RU_LETTERS})
    if uk and not ru:
        return "uk", f"letters {', '.join(uk)} (Ukrainian, not Russian)"
    if ru and not uk:
        return "ru", f"letters {', '.join(ru)} (Russian, not Ukrainian)"
    return None, "no letter that tells Russian from Ukrainian, or letters of both"


def language_of(text: str) -> tuple[str | None, str]:
    """(ISO 639-1 code or None, why) for one piece of text, by its script and distinguishing letters/words."""
    script = script_of(text)
    if script == "Hangul":
        return "ko", "Hangul"
    if script == "Cyrillic":
        lone = " (a lone і is not counted: a Roman numeral I or an edge read as a letter)" if lone_i(text) else ""
        code, _, why = cyrillic_language(text)
        return code, why + lone
    if script == "Latin":
        words = sorted({w for w in _WORD.findall(text.lower()) if w in EN_WORDS})
        if words:
            return "en", f"English words: {', '.join(words[:5])}"
        return None, "Latin script without a common English word"
    if script == "mixed":
        return None, "mixed scripts"
    return None, "no letters of a known script" if script is None else "another script"


def alnum_key(text: str) -> str:
    """``text``'s letters and digits, case-folded: what two readings of a line are compared on."""
    return "".join(c for c in text.casefold() if c.isalnum())


def infix_distance(short: str, long: str) -> int:
    """The fewest edits turning ``short`` into some stretch of ``long`` (Levenshtein, free start and end)."""
    prev = [0] * (len(long) + 1)
    for i, c in enumerate(short, 1):
        cur = [i]
        for j, d in enumerate(long, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (c != d)))
        prev = cur
    return min(prev)
