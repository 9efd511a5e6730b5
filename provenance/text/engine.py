"""The recogniser: Tesseract's LSTM engine through tesserocr (its C++ API in-process, models loaded once).

tesserocr's wheel carries libtesseract itself; the language models come from Debian's packages
(``tesseract-ocr-rus``, ``-ukr``, ``-eng``, ``-kor``) or any folder of ``.traineddata`` files. Measured against
pytesseract (which runs the ``tesseract`` binary per call and loads the models each time): 60-150 ms against
~620 ms per caption line, same text. Without tesserocr or a model, ``open_engine`` raises ``EngineUnavailable``
with the reason, and the stage reports itself "unavailable".
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from provenance.errors import ProvenanceError
from provenance.text.config import FINDING_CONFIDENCE, shown_confidence
from provenance.text.language import cyrillic_candidates, letters_by_script, near_yery, split_yery

# where Debian (5.x, then 4.x) and other distributions put the models
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")
LINE_HEIGHT = 48  # px: crops are scaled so a line is about this tall (Tesseract reads 20-60 px x-heights best)
PAD = 12  # px of border added around a crop: Tesseract misses glyphs touching the edge
SURE = 0.9  # a reading at least this confident is not read again binarised
# a crop at least BIG_CROP times LINE_HEIGHT tall (a sign's line 100+ px in the frame, its crop tightened to the
# letters) read unsure is read again scaled to BIG_LINE_HEIGHT: the issue 18 round-4 tester's 160-px "Обмін
# валют" over the astronaut read 0.71 at 48 px and 0.89 at 64, the same line over skimage's chelsea "OOMIH
# BaJIIOT" (the English model, 0.84) at 48 px and "Обмін валют" 0.87 at 64, a 120-px one 0.90 and 0.95
BIG_CROP = 2
BIG_LINE_HEIGHT = 64
TIE = 0.03  # a single model's reading this much less confident than the mixed one still wins (see read)
# Russian or Ukrainian: the better model must lead by this much (mean word confidence). On 26 caption and sign
# lines (bench_text.py photographs) the right model led by 0.1-0.54 in 19, the wrong one by 0.14-0.40 in 3
# (unreadable crops), and 10 were within 0.1
RU_UK_MARGIN = 0.1
# ... and the mixed reading must agree: at least this share of its words' letters won by that model. Over 47
# Russian and Ukrainian lines on bench_text.py's photographs: the two models' comparison alone named 45 right,
# 1 wrong; the per-word vote alone (0.7) 37 right, 2 wrong; both as here 39 right, 0 wrong, 8 not named
WORD_SHARE = 0.7
# what a model writes for the other language's letters, never in its own spelling: the Ukrainian model reads
# Russian ъ as ь, and Ukrainian spells ь before я, ю, є, е, и never (an apostrophe: "об'явлена"); the Russian
# model reads Ukrainian і and ї as "!" or "1" inside a word
_RU_IN_UK = re.compile(r"ь[яюєеи]", re.IGNORECASE)
_UK_IN_RU = re.compile(r"[^\W\d_][!1][^\W\d_]")
# Cyrillic letters drawn like Latin ones in print (capitals and lower case): a line of these alone may be either
# script. The Russian and Ukrainian models read English capitals as them at 0.87-0.90 ("ІРНАВМАСУ" for
# PHARMACY, "ВАКЕВУ" for BAKERY, "АХ!" for TAXI: the issue 18 tester's signs in DejaVu Sans Bold), and a real
# Russian "МОСКВА" is the same strokes as Latin "MOCKBA", so such a line names no script and no language
LOOKALIKES = frozenset("АВЕКМНОРСТУХІЈЅаеорсухіјѕ")
LATIN_TWINS = frozenset("ABEKMHOPCTYXIJSaeopcyxijs")  # the Latin letters of LOOKALIKES, in its order
_TO_LATIN = str.maketrans("АВЕКМНОРСТУХІЈЅаеорсухіјѕ", "ABEKMHOPCTYXIJSaeopcyxijs")
# a line of look-alikes alone shows the English model's reading when that is at most this much less confident
# than the Cyrillic one (PHARMACY: English model 0.76, Ukrainian 0.87), or spells the same letters ("TAXI" 0.72
# for "ТАХІ" 0.92, once the panel's edge is no longer read): the Latin reading is the one a desk searches for,
# the Cyrillic one is kept in the basis
LOOKALIKE_MARGIN = 0.15
# ... and a line counts as look-alikes when this share of its letters are: one misread letter does not make
# PHARMACY Cyrillic ("ІРНАБМАСУ", Б for R, 8 of 9). Russian and Ukrainian lines hold 40-45% (Колонна военной
# техники, ВОЕННАЯ ПОЛИЦИЯ); a short all-capitals word like ТАКСИ (80%) is not told either, which errs safe
LOOKALIKE_SHARE = 0.8


# The reading of a crop's outlined letters alone, not chosen (OUTLINE_LEAD), within this much of the chosen
# reading's confidence (or above it), and the Russian and Ukrainian models' readings where they did not tell the
# language, are equally sure readings: where their letters differ, Tesseract's confidence does not tell which is
# right, and the reading kept is shown at its confidence times the share of characters they agree on
# (``_agreement``). The issue 18 round-5 tester's outlined "Росіяни обстрілюють Харків" read "ббстрілююдь" at
# 0.92 binarised and "обстр люють Харк в" at 0.92 from its outlined letters: a confident misread. Every version
# of the crop weighed so (as is, binarised) cost correct readings of bench_text.py's dev captions 0.1-0.3
# (noise read in front of a Hangul caption as "291501" by one version: 0.85 -> 0.54), so only these are
RIVAL_WINDOW = 0.05
# a single model's reading (``_cyrillic``) this much less confident than the mixed reading it would replace is a
# worse reading of the line, not a better one of its language: the tester's yellow outlined "Мы уходим из
# Бахмута" read right at 0.94 by the mixed models and "ІМьг уходимтизі" 0.39 by the Ukrainian model alone,
# which then named it Ukrainian over the Russian model's 0.44 (0.41 under the mixed reading of the crop as is,
# 0.80); a re-encoded Ukrainian caption whose mixed reading wrote "в MICTO" at 0.90 is read right by the
# Ukrainian model at 0.68 (0.22 under), which must still win (bench_text.py uk_0_caption_crop_10_rocket)
SINGLE_BELOW = 0.3


# A fluent misreading is confident letter by letter and spells words no language has: the issue 18 round-7
# tester's "Не прислоняті" 0.89 (truth "Не прислоняться"), "ми залишаемо м сто" 0.84 ("ми залишаємо місто") and
# "소보ㆍ러시아구 도차" 0.90 ("속보: 러시아군 도착"), each word at 0.87-0.94. Tesseract's own word list (the
# model's dictionary, ``WordIsFromDictionary``) tells them: the share of a line's letters in words of 2 or more
# letters it lists (``Reading.lexicon``; its list takes any single letter, so those never count). A line of at
# least LEXICON_LETTERS letters under the share of its script is shown at no more than DOUBTED. Measured on
# bench_text.py's dev split (readings with CER <= 0.05: Cyrillic and Latin lines 0.56-1.0, Hangul 0.45-0.64, the
# Korean model listing whole words only, not the syllables it splits a line into) against the tester's three
# (Cyrillic 0.17 and 0.33, Hangul 0.0): each bar sits about midway
LEXICON_SHARE = {"Hangul": 0.2}
LEXICON_SHARE_OTHER = 0.45
LEXICON_LETTERS = 5  # a shorter line (a name, a plate, "TAXI") is too short to judge by words
# the confidence a doubted reading is shown at, at most: above the stage's display floor (config
# FINDING_CONFIDENCE 0.7), so it is still shown and searched, and under the 0.8 at which the claim check takes a
# reading as evidence (claims._TEXT_MIN_CONFIDENCE) and bench_text.py counts it confident
DOUBTED = 0.79


def unlisted(reading: Reading) -> bool:
    """Whether too few of the reading's letters are in words of the model's word list (``LEXICON_SHARE``)."""
    known, total = reading.lexicon
    if total < LEXICON_LETTERS:
        return False
    scripts = letters_by_script(reading.text)
    main = max(scripts, key=lambda k: scripts[k]) if scripts else None
    if main == "Cyrillic" and "be" in cyrillic_candidates(reading.text) and not near_yery(reading.text):
        # a line Belarusian may be: no loaded model lists Belarusian words (a panned "Вуліца Перамогі" read right
        # is in neither word list), so the list cannot judge it. Kazakh, a candidate of almost every line, is not
        # weighed; a line with и, щ, ъ, ї or є is no Belarusian (the three misreadings above). An і beside ь or ы
        # (language.near_yery) is no Belarusian evidence but a possibly split ы: "ВЫХОД" read "ВЫІХОД" at 0.83,
        # candidates be or kk, none of its letters listed (issue 18 round 9, H1)
        return False
    return known / total < LEXICON_SHARE.get(main or "", LEXICON_SHARE_OTHER)


class EngineUnavailable(ProvenanceError):
    """The OCR engine or one of its language models is not installed; the message says which and how to get it."""


@dataclass
class Reading:
    text: str
    confidence: float  # mean word confidence, 0-1
    models: str  # the language models that produced it ("rus+ukr+eng+kor", or "kor" for a Hangul re-read)
    # Cyrillic lines: the language the Russian and Ukrainian models' readings tell (None: they do not), and why;
    # other lines leave both unset and language.language_of decides from the letters
    language: str | None = None
    basis: str = ""
    # letters of the words (3+ letters) each model won in a mixed reading: Tesseract picks a model per word,
    # its dictionary included ({"rus": 19, "ukr": 5})
    words: dict[str, int] = dataclasses.field(default_factory=dict)
    # the letters are all ones the Latin and Cyrillic alphabets share (LOOKALIKES): the script is not told, and
    # ``basis`` gives both readings
    script_unknown: bool = False
    binarised: bool = False  # read from a two-tone version of the crop (``read``), not the crop as is
    outlined: bool = False  # ... the one of its outlined letters alone (``_outlined``), not Otsu's
    # a Cyrillic line whose language the comparison did not name: the Russian model's confidence minus the
    # Ukrainian one's (None: not compared). The reading's own letters may not settle the language the comparison
    # leans against by RU_UK_MARGIN (analysis._reading_language)
    lead: float | None = None
    # other readings of the line as sure as this one (within RIVAL_WINDOW) whose letters may differ: the Russian and
    # Ukrainian models' where they did not tell the language (``_cyrillic``); ``read`` weighs them and clears this
    rivals: tuple[str, ...] = ()
    # letters of the words Tesseract found in the model's own word list (its dictionary), and letters of all
    # words read (``_read``): a fluent misreading is confident letter by letter but spells no word (see LEXICON)
    lexicon: tuple[int, int] = (0, 0)


class ModelFailed(ProvenanceError):
    """A language model is installed but Tesseract cannot load it (a damaged or truncated ``.traineddata``)."""


def find_tessdata(configured: str = "") -> Path | None:
    """The folder of ``.traineddata`` files: the profile's, else ``$PROVENANCE_TESSDATA``, else a system one."""
    named = configured or os.environ.get("PROVENANCE_TESSDATA", "")
    if named:
        return Path(named)
    return next((Path(d) for d in TESSDATA_DIRS if Path(d).is_dir()), None)


class Tesseract:
    """One Tesseract instance with every model loaded, reading one text line per call (page mode 7)."""

    def __init__(self, tessdata: Path, models: list[str]) -> None:
        import tesserocr

        self._tesserocr = tesserocr
        self.models = list(models)
        self.tessdata = tessdata
        self.version = tesserocr.tesseract_version().split()[1]
        self._api: Any = None  # made at the first line read: a clip without text never loads a model (~0.9 s)
        self._alone: dict[str, Any] = {}  # one model alone ("kor", "eng"), made when first needed

    @property
    def name(self) -> str:
        return f"tesseract {self.version}"

    def _make(self, lang: str) -> Any:
        """A Tesseract instance with ``lang`` loaded; ``ModelFailed`` naming each model that does not load."""
        t = self._tesserocr
        wanted = lang.split("+")
        try:
            api = t.PyTessBaseAPI(path=str(self.tessdata) + os.sep, lang=lang, psm=t.PSM.SINGLE_LINE,
                                  oem=t.OEM.LSTM_ONLY)
        except RuntimeError as exc:
            bad = [m for m in wanted if not _loads(t, self.tessdata, m)] if len(wanted) > 1 else wanted
            why = " ".join(str(exc).split())
        else:
            # Tesseract skips a model of a "+" list that does not load, and reads on without it (a 1000-byte
            # kor.traineddata: no Hangul read, no error)
            bad = [m for m in wanted if m not in set(api.GetLoadedLanguages())]
            if not bad:
                return api
            api.End()
            why = "not loaded"
        raise ModelFailed(f"Tesseract language model(s) {', '.join(bad or wanted)} in {self.tessdata} failed to "
                          f"load ({why}); reinstall " + " ".join(f"tesseract-ocr-{m}" for m in bad or wanted))

    def read(self, grey: np.ndarray) -> Reading:
        """Read one line from a grey crop (uint8): the most confident of a few readings.

        The crop as is, and binarised (Otsu, letters dark) when that reading is unsure (< ``SURE``): outlined
        captions on a busy picture read 0.49-0.77 as is and 0.63-0.94 binarised (bench_text.py cases). Then the
        line again with single models where the mixed reading can go wrong: Hangul with "kor" alone (mixed with
        the others Tesseract splits Hangul into syllables, "군 인 들이"); Cyrillic with "rus" and "ukr" alone (the
        mixed models put Ukrainian є in Russian words, "вьезжаєт"); Latin look-alikes with "eng" alone ("Тгоор5"
        for "Troops"). A single model's reading wins a tie: its letters are one language's.
        """
        from PIL import Image

        trimmed = _trimmed(grey)
        plain = _prepare(trimmed)
        mixed = "+".join(self.models)
        if self._api is None:
            self._api = self._make(mixed)
        readings = [(self._read(self._api, Image.fromarray(plain), mixed), plain, "")]
        unchosen: list[Reading] = []
        if readings[0][0].confidence < SURE:
            binary = _binarise(plain)
            readings.append((self._read(self._api, Image.fromarray(binary), mixed), binary, "binarised"))
            outlined = _outlined(plain)
            # only when it differs from Otsu's version: a caption on a plain box gives the same picture
            if outlined is not None and (outlined != binary).mean() >= OUTLINE_DIFFERS:
                alone = self._read(self._api, Image.fromarray(outlined), mixed)
                if alone.confidence >= max(r[0].confidence for r in readings) + OUTLINE_LEAD:
                    readings.append((alone, outlined, "outlined"))
                else:  # not chosen, but an equally sure reading that disagrees is doubt (RIVAL_WINDOW)
                    unchosen.append(alone)
        if max(r[0].confidence for r in readings) < SURE and trimmed.shape[0] >= BIG_CROP * LINE_HEIGHT:
            big = _prepare(trimmed, height=BIG_LINE_HEIGHT)  # see BIG_LINE_HEIGHT
            readings.append((self._read(self._api, Image.fromarray(big), mixed), big, "big"))
        reading, image, how = max(readings, key=lambda r: r[0].confidence)
        chosen = reading
        if not letters_by_script(reading.text):  # no letter at all: the crop's edge may have hidden them
            for retry in _retries(grey):
                again = self._read(self._api, Image.fromarray(retry), mixed)
                if letters_by_script(again.text):
                    reading, image = again, retry
                    break
        scripts = letters_by_script(reading.text)
        cyrillic_models = {"rus", "ukr"} <= set(self.models)
        hangul = scripts.get("Hangul", 0)
        if hangul >= 2 and hangul >= sum(scripts.values()) - hangul and "kor" in self.models:
            # mostly Hangul: the Korean model reads it, with English after it when letters of another script
            # or digits were read beside the Hangul (a Korean broadcaster's "연합뉴스 TV" was read
            # "연 합 뉴스 ту" and sent to the Cyrillic models; "kor" alone read "연합뉴스 14", "kor+eng"
            # "연합뉴스 Tv": Korean first keeps the syllables whole, as the mixed models with Korean last do not)
            others = sum(c.isalnum() for c in reading.text) - hangul  # letters or digits: "TV" read "14" too
            lang = "kor+eng" if others and "eng" in self.models else "kor"
            again = self._read(self._model(lang), Image.fromarray(image), lang)
            if again.confidence + TIE >= reading.confidence:
                reading = again
        elif scripts.get("Cyrillic", 0) and cyrillic_models:
            reading = self._cyrillic(image, reading)
        elif cyrillic_models and set(scripts) == {"Latin"} and _twins(reading.text) >= LOOKALIKE_SHARE:
            # a Latin reading of letters Cyrillic draws alike ("PEKA") is weighed as a Cyrillic one is: which
            # alphabet the mixed reading took varied with the picture around the sign (issue 18 round 2, D4)
            reading = self._cyrillic(image, reading)
        elif scripts.get("Hangul", 0) >= 2 and "kor" in self.models:  # Hangul beside noise read as Latin
            again = self._read(self._model("kor"), Image.fromarray(image), "kor")
            if again.confidence + TIE >= reading.confidence:
                reading = again
        elif scripts.get("Latin", 0) and len(scripts) > 1 and "eng" in self.models:
            again = self._read(self._model("eng"), Image.fromarray(image), "eng")
            if again.confidence + TIE >= reading.confidence:
                reading = again
        if set(letters_by_script(reading.text)) == {"Latin"} and _LATIN_YERY.search(reading.text) and \
                _twins(reading.text) >= LOOKALIKE_SHARE and not reading.script_unknown:
            # still Latin after the Cyrillic models' look: its "bI" is Cyrillic Ы drawn alike, so the script is
            # not told, as for a line of look-alikes alone (``_ambiguous``)
            reading = dataclasses.replace(reading, language=None, script_unknown=True, basis=(
                f"letters the Latin and Cyrillic alphabets share, “bI” as Cyrillic ы: read “{_trim(reading.text)}” "
                f"({shown_confidence(reading.confidence)}); script not told"))
        # the outlined letters' reading not chosen, against the one chosen as the mixed models read it (a single
        # model's re-read below, of Hangul say, is not weighed against the mixed models' reading: "북한군 12명
        # 사망" by "kor+eng" against their "1254" is no disagreement on the caption's letters)
        agreement = min([_agreement(chosen.text, r.text) for r in unchosen
                         if r.confidence >= chosen.confidence - RIVAL_WINDOW and letters_by_script(r.text)]
                        + [_agreement(reading.text, other) for other in reading.rivals], default=1.0)
        confidence = reading.confidence * agreement
        if unlisted(reading) or split_yery(reading.text):
            # a word list that does not know the line, or an ы read in two (ь beside і: language.join_yery)
            confidence = min(confidence, DOUBTED)
        return dataclasses.replace(reading, text=_trim(reading.text), words={}, binarised=how in ("binarised",
                                   "outlined"), outlined=how == "outlined", rivals=(),
                                   confidence=round(confidence, 3))

    def read_as(self, grey: np.ndarray, like: Reading) -> Reading:
        """``grey`` read once, prepared as ``like`` was (binarised or not) and with its models alone: a cheap look
        at a taller crop of the same line (analysis.MARKS_PAD) before the whole of ``read`` is spent on it."""
        from PIL import Image

        image = _prepare(_trimmed(grey))
        if like.binarised:
            outlined = _outlined(image) if like.outlined else None
            image = _binarise(image) if outlined is None else outlined
        if self._api is None:
            self._api = self._make("+".join(self.models))
        api = self._api if "+" in like.models else self._model(like.models)
        got = self._read(api, Image.fromarray(image), like.models)
        return dataclasses.replace(got, text=_trim(got.text), words={})

    def _cyrillic(self, image: np.ndarray, mixed: Reading) -> Reading:
        """A Cyrillic line read by the Russian and by the Ukrainian model alone, and English for look-alikes.

        Each model can write only its own letters, and substitutes look-alikes for the other's (the Russian model
        reads Ukrainian і as "!" or "1", the Ukrainian one Russian ъ as ь and е as є), so a model's own letters
        in its own reading are no evidence alone. The language is named when that model read the line better
        by ``RU_UK_MARGIN``, its reading holds its language's letters and has none of the tell-tale
        substitutes (``_RU_IN_UK``, ``_UK_IN_RU``) of a model reading the other language; otherwise the line
        is Cyrillic, language not told, with the most confident reading. A tell-tale substitute in the other
        model's reading is evidence too: it lets a model win within ``RU_UK_MARGIN`` (clean captions read
        0.93-0.95 by both).

        ``mixed`` may be a Latin reading of look-alike letters (``read``): the same rules then decide, and it
        stays Latin unless the Cyrillic models read the line as look-alikes (script not told) or read a letter
        Latin lacks clearly better (by ``LOOKALIKE_MARGIN``).
        """
        from PIL import Image

        from provenance.text.language import RU_LETTERS, UK_LETTERS

        picture = Image.fromarray(image)
        ru = self._read(self._model("rus"), picture, "rus")
        uk = self._read(self._model("ukr"), picture, "ukr")
        latin_first = not letters_by_script(mixed.text).get("Cyrillic")
        pool = [r for r in (mixed, ru, uk) if letters_by_script(r.text).get("Cyrillic")] if latin_first else \
            [mixed, ru, uk]
        lookalike = any(lookalikes_only(r.text) for r in (mixed, ru, uk))
        en = None
        if "eng" in self.models and (latin_first or mixed.words.get("eng") or mixed.confidence < SURE or lookalike):
            en = self._read(self._model("eng"), picture, "eng")
        latin = max((r for r in (en, mixed if latin_first else None) if r is not None),
                    key=lambda r: r.confidence, default=None)
        # the shown confidence never exceeds the best single model's: the mixed models' per-word pick of "Не
        # прислоняті" (0.92) was surer than either model's reading of the line (Ukrainian 0.56, Russian 0.89;
        # issue 18 round 6, N3)
        ceiling = max(r.confidence for r in (ru, uk, en) if r is not None)
        if latin is not None and mixed.confidence >= max(SURE, latin.confidence) and \
                _both_scripts(mixed.text, (ru.text, uk.text)):
            # a Cyrillic word beside a Latin one ("Кафе Wi-Fi", "Аптека Pharmacy"): each single model reads one
            # half, so the English model outscored the Cyrillic ones and its "Kade Wi-Fi" (0.90) was shown, the
            # Cyrillic word lost to search. The mixed models' per-word reading is kept; the models disagree on
            # the script of a word, so it is shown at most at the English reading's confidence less
            # ``LOOKALIKE_MARGIN`` (how much better a letter Latin lacks must read to stand), but not under the
            # stage's floor (``FINDING_CONFIDENCE``), where it would be hidden from the report and search
            doubt = max(FINDING_CONFIDENCE, latin.confidence - LOOKALIKE_MARGIN)
            said = "; ".join(f"{name} model “{_trim(r.text)}” ({shown_confidence(r.confidence)})" for name, r in
                             (("English", latin), ("Russian", ru), ("Ukrainian", uk)))
            return dataclasses.replace(mixed, confidence=round(min(mixed.confidence, ceiling, doubt), 3),
                                       language=None,
                                       basis=f"Cyrillic and Latin words, read by the mixed models word by word; "
                                       f"each single model reads its own script only ({said})")
        # English read as Cyrillic look-alikes ("Ведіоп-Ба5еа" for "Region-Based" on skimage's page()): the
        # English model alone reads it better than either Cyrillic model (by 0.09-0.58 on the page's lines;
        # Russian and Ukrainian captions read by the English model score 0.35 and less)
        if latin is not None and latin.confidence >= max(ru.confidence, uk.confidence) + TIE and \
                letters_by_script(latin.text).get("Latin"):
            return latin
        if not pool:  # no Cyrillic model read a Cyrillic letter: the Latin reading stands
            return mixed
        best = max(pool, key=lambda r: r.confidence)
        if _lookalike(best, latin):
            return self._ambiguous(best, latin)
        if latin_first and latin is not None and best.confidence < latin.confidence + LOOKALIKE_MARGIN:
            return latin
        ru_letters = sorted({c.lower() for c in ru.text if c in RU_LETTERS})
        uk_letters = sorted({c.lower() for c in uk.text if c in UK_LETTERS})
        scores = f"Ukrainian model {shown_confidence(uk.confidence)}, Russian model {shown_confidence(ru.confidence)}"
        ru_sub, uk_sub = _RU_IN_UK.search(uk.text), _UK_IN_RU.search(ru.text)
        lead = ru.confidence - uk.confidence
        # bool(): ``uk_sub and ...`` is None without a substitute, and None != False named the Ukrainian model's
        # 0.56 reading of c2/20.jpg Ukrainian against the Russian model's 0.89 (issue 18 round 5, D8)
        is_ru = bool(ru_letters and not uk_sub and (lead >= RU_UK_MARGIN or (ru_sub and lead > -RU_UK_MARGIN)))
        is_uk = bool(uk_letters and not ru_sub and (-lead >= RU_UK_MARGIN or (uk_sub and -lead > -RU_UK_MARGIN)))
        if is_ru != is_uk:
            chosen, code, name, letters = (ru, "ru", "Russian", ru_letters) if is_ru else (uk, "uk", "Ukrainian",
                                                                                         uk_letters)
            sub = ru_sub if is_ru else uk_sub
            why = f"letters {', '.join(letters)} ({name}); {scores}"
            if sub is not None:
                why += f"; the other model wrote “{sub.group(0)}”, which its language never spells"
            model = "rus" if is_ru else "ukr"
            won, total = mixed.words.get(model, 0), sum(mixed.words.values())
            if chosen.confidence < mixed.confidence - SINGLE_BELOW:  # see SINGLE_BELOW
                scores += (f"; the {name} model's reading is far less sure than the mixed models' "
                           f"{shown_confidence(mixed.confidence)}")
            elif total and won >= WORD_SHARE * total:  # the per-word choice of the mixed reading agrees
                return dataclasses.replace(chosen, language=code, basis=f"{why}; the mixed reading took {won} of "
                                           f"its {total} letters in words of 3+ from the {name} model")
            scores += (f"; the mixed reading took only {won} of its {total} letters in words of 3+ from the {name} "
                       "model" if total else "; the mixed reading had no word of 3 letters or more to compare")
        best = max(pool, key=lambda r: r.confidence)
        # the two models as sure and not agreeing on a letter (є or е, і lost): that letter is not known
        rivals = tuple(r.text for r in (ru, uk) if r is not best and r.confidence >= best.confidence - RIVAL_WINDOW)
        if best is not ru and ru.confidence >= best.confidence - SINGLE_BELOW:
            best = dataclasses.replace(best, text=_russian_letters(best.text, ru.text))
        return dataclasses.replace(best, language=None, basis=f"Cyrillic; the Russian and Ukrainian models do not "
                                   f"tell it ({scores})", lead=round(lead, 3), rivals=rivals,
                                   confidence=min(best.confidence, ceiling))

    def _ambiguous(self, cyrillic: Reading, en: Reading | None) -> Reading:
        """A line of letters both alphabets share: script and language not told, both readings in the basis."""
        names = {"rus": "Russian model", "ukr": "Ukrainian model", "eng": "English model"}
        said = (f"“{_trim(cyrillic.text)}” ({names.get(cyrillic.models, 'mixed models')} "
                f"{shown_confidence(cyrillic.confidence)})")
        if en is not None and en.text.strip():
            said += (f" or “{_trim(en.text)}” ({names.get(en.models, 'mixed models')} "
                      f"{shown_confidence(en.confidence)})")
        why = f"letters the Latin and Cyrillic alphabets share: read {said}; script not told"
        twin = en is not None and _trim(cyrillic.text).translate(_TO_LATIN) == _trim(en.text)
        shown = en if en is not None and (twin or en.confidence >= cyrillic.confidence - LOOKALIKE_MARGIN) and \
            letters_by_script(en.text).get("Latin") else cyrillic
        return dataclasses.replace(shown, language=None, basis=why, script_unknown=True)

    def _model(self, lang: str) -> Any:
        if lang not in self._alone:
            self._alone[lang] = self._make(lang)
        return self._alone[lang]

    def _read(self, api: Any, image: Any, models: str) -> Reading:
        api.SetImage(image)
        text = " ".join(api.GetUTF8Text().split())
        words: dict[str, int] = {}
        known = total = 0
        level = self._tesserocr.RIL.WORD
        for word in self._tesserocr.iterate_level(api.GetIterator(), level):
            try:
                got, model = word.GetUTF8Text(level) or "", word.WordRecognitionLanguage()
                listed = word.WordIsFromDictionary()
            except RuntimeError:  # an empty word ("No text returned")
                continue
            letters = sum(c.isalpha() for c in got)
            total += letters
            known += letters if listed and letters >= 2 else 0  # its word list takes any single letter ("м")
            if "+" in models and model and letters >= 3:  # which model won each word
                words[model] = words.get(model, 0) + letters
        return Reading(text, max(0.0, api.MeanTextConf()) / 100.0, models, words=words, lexicon=(known, total))

    def close(self) -> None:
        for api in (self._api, *self._alone.values()):
            if api is not None:
                api.End()


def lookalikes_only(text: str) -> bool:
    """Whether ``text`` has Cyrillic letters and at least ``LOOKALIKE_SHARE`` of its letters are drawn like Latin
    ones (``LOOKALIKES``, and Latin letters beside them: "РР a")."""
    letters = [c for c in text if c.isalpha()]
    if not any("\u0400" <= c <= "\u04ff" for c in letters):
        return False
    return sum(c in LOOKALIKES or c.isascii() for c in letters) >= LOOKALIKE_SHARE * len(letters)


# a word of at least this many letters of one script counts as a word of that script (``_both_scripts``)
_SCRIPT_WORD = 2


def _both_scripts(text: str, cyrillic: tuple[str, ...]) -> bool:
    """Whether ``text`` has a whole word of Latin letters and whole words of Cyrillic letters (``_SCRIPT_WORD``
    letters or more each) that a Cyrillic model's own reading (``cyrillic``) also holds: a line in two scripts,
    not English misread as Cyrillic look-alikes by the mixed models ("Ведіоп-Ба5еа segmentation" on skimage's
    page(), "Лгоор5 аггімій Дає the border" at 0.24 on a bench caption)."""
    import re

    words: dict[str, list[str]] = {"Cyrillic": [], "Latin": []}
    for word in re.findall(r"[^\W\d_]+", text):
        kinds = {letters_by_script(c).popitem()[0] for c in word if letters_by_script(c)}
        if len(kinds) == 1 and len(word) >= _SCRIPT_WORD and (kind := kinds.pop()) in words:
            words[kind].append(word)
    if not words["Latin"] or not words["Cyrillic"]:
        return False
    read = [set(re.findall(r"[^\W\d_]+", t)) for t in cyrillic]
    return all(any(word in seen for seen in read) for word in words["Cyrillic"])


# Cyrillic Ы as Latin letters: a lowercase b before a capital I or a bar. "ВЫХОД" in DejaVu Sans Bold was read
# "BbIxon, 4" at 0.70 and reported as Latin-script text (issue 18 round 9, L4), as "РЫНОК" was "PbIHOK". No
# English word has b before a capital I; "bl", "bi" (public, mobile) are not counted
_LATIN_YERY = re.compile(r"b[I|]")


def _twins(text: str) -> float:
    """The share of ``text``'s letters drawn alike in Latin and Cyrillic (``LOOKALIKES`` and their Latin twins,
    and ``_LATIN_YERY``'s pair as Ы)."""
    letters = [c for c in text if c.isalpha()]
    pairs = 2 * len(_LATIN_YERY.findall(text))
    if pairs:
        letters = [c for c in _LATIN_YERY.sub("", text) if c.isalpha()]
        return (sum(c in LOOKALIKES or c in LATIN_TWINS for c in letters) + pairs) / (len(letters) + pairs)
    return sum(c in LOOKALIKES or c in LATIN_TWINS for c in letters) / len(letters) if letters else 0.0


def _lookalike(cyrillic: Reading, en: Reading | None) -> bool:
    """Whether a Cyrillic reading names no script: all its letters are look-alikes, or ``LOOKALIKE_SHARE`` of them
    and the English reading is within ``LOOKALIKE_MARGIN`` of it, so its odd letter may be a Latin letter misread
    (PHARMACY's R as Б: "ІРНАБМАСУ" 0.87, "PHARMACY" 0.76). A letter Latin lacks read clearly better stands:
    "ТАКСИ" read 0.96 by the Ukrainian model, "TAKCU" 0.71 by the English one, is Cyrillic."""
    if not lookalikes_only(cyrillic.text):
        return False
    letters = [c for c in cyrillic.text if c.isalpha()]
    if all(c in LOOKALIKES or c.isascii() for c in letters):
        return True
    return en is None or en.confidence >= cyrillic.confidence - LOOKALIKE_MARGIN


# a letter the Russian model read where the reading shown has the letter the Ukrainian model (which has no ы, ъ,
# э) writes for it: the Russian model has ь and е as well, so its ы, ъ, э there was seen, not substituted. The
# issue 18 round-4/5 tester's "Продукты" sign read "Продукть" by the Ukrainian model at 0.88, "Продукты" by the
# Russian one at 0.75
_RU_OWN = {"ы": "ьи", "Ы": "ЬИ", "ъ": "ь", "Ъ": "Ь", "э": "еє", "Э": "ЕЄ"}


def _russian_letters(shown: str, russian: str) -> str:
    """``shown`` with the Russian model's ы, ъ, э put back where ``shown`` has the Ukrainian model's ь, и, е or є
    in their place (aligned letter for letter within difflib's replaced stretches), see ``_RU_OWN``."""
    import difflib

    out = list(shown)
    for op, i0, i1, j0, j1 in difflib.SequenceMatcher(None, shown, russian, autojunk=False).get_opcodes():
        if op == "replace":  # aligned from the start of the replaced stretch ("ь\"" for "ы ‘")
            for i, j in zip(range(i0, i1), range(j0, j1), strict=False):
                if shown[i] in _RU_OWN.get(russian[j], ""):
                    out[i] = russian[j]
    return "".join(out)


def _agreement(a: str, b: str) -> float:
    """The share of characters two readings of one crop agree on, over their letters and digits case-folded
    (spaces, punctuation and case are no disagreement): 1 - the edits turning the shorter into a stretch of the
    longer / its length. A reading that lost letters at either end (noise read in front of a caption, "пого 도시에…"
    against "군인들이 도시에…") does not contradict the rest; one under half the other's length is a failed
    reading, not a rival (1.0). ``a`` is the reading kept, ``b`` the other. See ``RIVAL_WINDOW``."""
    from provenance.text.language import alnum_key, infix_distance, script_of_char

    # the other reading's letters of scripts the kept one has none of are noise read as letters, not a reading of
    # its letters ("пого" in front of a Hangul caption)
    scripts = {script_of_char(c) for c in a}
    b = "".join(c for c in b if script_of_char(c) is None or script_of_char(c) in scripts)
    short, long = sorted((alnum_key(a), alnum_key(b)), key=len)
    if not short or len(short) < 0.5 * len(long):
        return 1.0
    return max(0.0, 1.0 - infix_distance(short, long) / len(short))


def _loads(tesserocr: Any, tessdata: Path, model: str) -> bool:
    try:
        tesserocr.PyTessBaseAPI(path=str(tessdata) + os.sep, lang=model).End()
    except RuntimeError:
        return False
    return True


# a row of a crop this full of edges, in its outer fifth, is a drawn line (a sign panel's border), not letters
# (detect.RULE_SHARE): the detector's padding takes in the border of a panel drawn close around its letters, and
# Tesseract then read nothing at all (a 44-px Hangul sign on a bordered panel: "" at 0.0; without the rows
# outside the border, "출입 금지")
RULE_SHARE = 0.85
# a crop that read no letter at all is read again this share of its height inside its edges, then at its own
# size: the issue 18 round-2 tester's 60-px "출입 금지" on a light panel (an 85-px box on skimage's coffee, the
# dark picture in its outer rows and columns) read "" at 0.0 at every scale of the whole box, and "출입 금지" at
# 0.91-0.93 with 4-8 px (5-10%) cut off each side; one drawing of it read right at its own size alone. Tesseract's
# line finder takes the panel's edge for the line. Only a reading with no letter is retried: lines read as before
# cost nothing more
INSET = 0.06
RULE_ZONE = 0.2


def strip_rules(grey: np.ndarray) -> np.ndarray:
    """The crop without the rows beyond a drawn line near its top or bottom edge."""
    import cv2

    h = grey.shape[0]
    if h < 8:
        return grey
    grad = cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1)))
    flat = (grad < 40).mean(axis=1)  # share of a row with no vertical stroke edge: a line is flat along itself
    far = (np.abs(grey.astype(np.int16) - int(np.median(grey))) >= 60).mean(axis=1)  # unlike the background
    rule = (flat >= RULE_SHARE) & (far >= RULE_SHARE)
    zone = max(1, round(RULE_ZONE * h))
    top = max((i + 1 for i in range(zone) if rule[i]), default=0)
    bottom = min((i for i in range(h - zone, h) if rule[i]), default=h)
    return grey[top:bottom] if bottom - top >= h // 2 else grey


# a column of a crop this near its left or right side (share of the crop's height) that is unlike the crop's
# background over RULE_SHARE of its height, beside one like it over as much, is a panel's side edge: the picture
# outside a sign's panel. The detector pads a line's box by a quarter of its height each way, so a box that starts
# at a panel's edge takes in a strip of the picture beyond it (3-10 px on the issue 18 round-2 tester's 64-px
# signs), which Tesseract read as a letter: "ІРЕКА", "ЇМОСКВА", "ІВАНКІ", "ІПункт вьщдачи", and the Ukrainian
# model, which has І, then won over the Russian one. A letter's stroke never spans the crop's height (the box's
# padding is above and below it), so no letter is cut
SIDE_ZONE = 0.5
SIDE_FAR = 0.7


def strip_sides(grey: np.ndarray) -> np.ndarray:
    """The crop without the columns beyond a panel's side edge near its left or right end (``SIDE_ZONE``)."""
    h, w = grey.shape
    zone = round(SIDE_ZONE * h)
    if h < 8 or w < 4 * zone:
        return grey
    far = (np.abs(grey.astype(np.int16) - int(np.median(grey))) >= 60).mean(axis=0)
    outside, panel = far >= RULE_SHARE, far <= 1 - RULE_SHARE
    left = max((i + 1 for i in range(zone) if outside[i] and panel[i + 1]), default=0)
    right = min((i for i in range(w - zone, w) if outside[i] and panel[i - 1]), default=w)
    # a strip of the picture SIDE_FAR unlike the panel in every column from the panel's edge to the crop's end:
    # the picture beside a sign whose panel edge does not span the crop ("Лікарня" read "Лікарня!", its right
    # strip 0.80-0.86 unlike the panel); a letter's stem spans about half the crop, the padding above and below
    strip = far >= SIDE_FAR
    tail = np.logical_and.accumulate(strip[::-1])[::-1]  # every column from here to the right end
    head = np.logical_and.accumulate(strip)  # every column from the left end to here
    right = min([right] + [i for i in range(w - zone, w) if tail[i] and panel[i - 1]])
    left = max([left] + [i + 1 for i in range(zone) if head[i] and panel[i + 1]])
    return grey[:, left:right]


def _trimmed(grey: np.ndarray) -> np.ndarray:
    """The crop without a panel's drawn lines above or below the letters and the picture beside its sides."""
    return strip_sides(strip_rules(grey))


def _retries(grey: np.ndarray) -> list[np.ndarray]:
    """The crop ``INSET`` of its height inside its edges, and at its own size (see ``INSET``), prepared."""
    h, w = grey.shape
    cut = max(2, round(INSET * h))
    out = [_prepare(_trimmed(grey[cut:h - cut, cut:w - cut]))] if h > 4 * cut and w > 4 * cut else []
    if h > LINE_HEIGHT * 1.15:
        out.append(_prepare(_trimmed(grey), scale=False))
    return out


def _prepare(grey: np.ndarray, scale: bool = True, height: int | None = None) -> np.ndarray:
    """Scale a line crop to about ``height`` (``LINE_HEIGHT``) px tall (unless ``scale`` is False) and pad it
    with its own border colour."""
    import cv2

    height = height or LINE_HEIGHT
    h = grey.shape[0]
    factor = height / max(1, h)
    if scale and abs(factor - 1) > 0.15:
        grey = cv2.resize(grey, (max(1, round(grey.shape[1] * factor)), height),
                          interpolation=cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA)
    edge = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return cv2.copyMakeBorder(grey, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=int(np.median(edge)))


def _binarise(grey: np.ndarray) -> np.ndarray:
    """Otsu's two tones, the letters dark on light (the smaller class is taken for the letters)."""
    import cv2

    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return 255 - binary if (binary == 0).mean() > 0.5 else binary


# Outlined captions: light letters drawn with a dark outline (or dark ones with a light outline) straight over the
# picture, the 9:16 repost overlay. Otsu's two tones split such a crop by brightness, and the picture behind takes
# either side: the issue 18 round-4 tester's white "러시아군 도착" outlined in black over the astronaut read
# "ое 237" at 0.36 as is and "yoke Sap" binarised, "Росіяни їдуть" "Рос!янидуль" 0.36. The letters' fill is the
# light parts that the dark outline rings all round: light blobs whose ring OUTLINE_RING px wide (at the read
# scale, LINE_HEIGHT) is at least OUTLINE_DARK dark are kept, the rest of the crop dropped. Those crops then read
# "러 씨 아 군 도착" 0.93, "Росіяни їдуть" 0.95, "через наше село" 0.96 (a fixed brightness cut at 230 read the
# same, at 170-200 junk: the fill's level is not known, so light and dark are taken between the crop's 2nd and
# 98th brightness percentiles, LIGHT_SHARE and DARK_SHARE of the way up)
OUTLINE_RING = 2  # px at LINE_HEIGHT: Pillow's stroke_width 3-4 on 44-56-px letters is 3-4 px once scaled
OUTLINE_DARK = 0.6  # share of a blob's ring in the dark tone: a letter's outline rings it all but its joins
LIGHT_SHARE, DARK_SHARE = 0.7, 0.35
# the light parts kept (ringed) must be at least this share of the crop's light parts clear of its edges (by
# area): over a bright busy picture (the rocket's flare in bench_text.py's 9:16 fills) letters' fills join the
# picture's light parts, are dropped, and what was left read as confident junk ("Ве і ем5 то th с у" 0.89 for
# "Breaking news from the city", read 0.80 by Otsu's version; "о аье н зн т" 0.89): 0.60 and 0.36 kept there,
# 0.96-1.0 of the tester's overlays and the broadcaster's logo
OUTLINE_KEPT = 0.8
# ... and its reading must lead the crop's other readings by this much: letters lost in the isolation (thin
# stems under the fill's brightness) leave a shorter, cleaner-looking line that Tesseract may trust more
# ("тевре! та нш ж тел!" 0.89 against Otsu's "И-евре! та інші жителі" 0.79, bench_text.py). The tester's
# overlays led by 0.19-0.59
# (round 5: 0.12 let a yellow outlined "Мы уходим из Бахмута" be read right at 0.94, 0.14 over the crop as is,
# and bench_text.py's ru_2_caption_reencode_rocket "Эбъявлена эваКуация" at 0.92, 0.13 over "…жигелей" 0.79: a
# confident misread, so not lowered; an outlined reading not chosen is weighed as a rival, RIVAL_WINDOW)
OUTLINE_LEAD = 0.15
OUTLINE_MIN_AREA = 0.02  # share of the crop the kept letters must cover, else the crop holds no outlined text
# share of the crop beyond the letters and outlines in the dark tone at which the letters sit on a box, not over a
# picture: a black caption box is all dark there (1.0); the tester's overlays on the astronaut 0.3-0.6
BOX_DARK = 0.9
OUTLINE_DIFFERS = 0.002  # share of pixels in which it must differ from Otsu's version to be worth a read (~60 ms):
# the tester's outlined "Росіяни їдуть" differed in 1.9% and read junk by Otsu, right alone; a boxed caption, 0


def _outlined(grey: np.ndarray) -> np.ndarray | None:
    """The crop's outlined letters alone, dark on white (see ``OUTLINE_RING``), or None when it has none.

    Light letters with a dark outline only: dark letters on a light panel are ringed by light too, and read
    this way a sign did worse ("JOOMIH валют" 0.78 for "Обмін валют", read right as is); and not on a dark box,
    which Otsu's two tones read as well (the picture beyond the outlines is at least BOX_DARK dark there). Only
    light parts clear of the crop's edges count for ``OUTLINE_KEPT``."""
    import cv2

    lo, hi = (float(v) for v in np.percentile(grey, (2, 98)))
    if hi - lo < 80:  # no two tones far apart: nothing drawn with an outline
        return None
    known = np.zeros(grey.shape, dtype=bool)
    known[PAD:-PAD, PAD:-PAD] = True
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * OUTLINE_RING + 1, 2 * OUTLINE_RING + 1))
    fill, dark = grey >= lo + LIGHT_SHARE * (hi - lo), grey <= lo + DARK_SHARE * (hi - lo)
    # the border is labelled with the picture: a light picture running into it is no letter (its ring there is
    # not dark); letters clear of the edges are the ones OUTLINE_KEPT weighs
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fill.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, dtype=bool)
    inner = kept = 0
    height, width = grey.shape
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < 4:
            continue
        y0, x0 = max(0, y - OUTLINE_RING - 1), max(0, x - OUTLINE_RING - 1)
        near = (slice(y0, y + h + OUTLINE_RING + 1), slice(x0, x + w + OUTLINE_RING + 1))
        blob = (labels[near] == i).astype(np.uint8)
        ring = cv2.dilate(blob, kernel).astype(bool) & ~blob.astype(bool)
        keep[i] = bool(ring.any()) and float(dark[near][ring].mean()) >= OUTLINE_DARK
        if x > PAD and y > PAD and x + w < width - PAD and y + h < height - PAD:  # clear of the crop's edges
            inner += area
            kept += area * keep[i]
    letters = keep[labels]
    if letters.sum() < OUTLINE_MIN_AREA * grey.size or kept < OUTLINE_KEPT * inner:
        return None
    wide = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (6 * OUTLINE_RING + 1, 6 * OUTLINE_RING + 1))
    beyond = ~cv2.dilate(letters.astype(np.uint8), wide).astype(bool) & known
    if not beyond.any() or float(dark[beyond].mean()) >= BOX_DARK:
        return None
    return np.where(letters, 0, 255).astype(np.uint8)


def _trim(text: str) -> str:
    """The reading without the frame's edges read as characters ("| Эти солдаты |", "[Колонна"): leading and
    trailing characters that are not letters or digits, but a closing . ! ? …"""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in ".!?…"):
        end -= 1
    return text[start:end]


def _tesserocr_fix(exc: ImportError) -> str:
    """How to get tesserocr working: the system's Tesseract library when the error names a shared library
    ("libtesseract.so.5: cannot open shared object file": tesserocr is there, the Debian package is not; issue 18
    round 9, L3), else the Python package."""
    if ".so" in str(exc) or "shared object" in str(exc) or "DLL" in str(exc):
        return "apt install tesseract-ocr (the Tesseract library tesserocr loads; see README)"
    return "pip install tesserocr"


def open_engine(models: list[str], tessdata: str = "") -> Tesseract:
    """Tesseract with ``models`` loaded, or ``EngineUnavailable`` naming what is missing and how to install it."""
    try:
        import tesserocr  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailable(f"tesserocr is not installed ({exc}); {_tesserocr_fix(exc)}") from exc
    folder = find_tessdata(tessdata)
    if folder is None or not folder.is_dir():
        where = folder or " or ".join(TESSDATA_DIRS)
        raise EngineUnavailable(f"no Tesseract language models at {where}; apt install tesseract-ocr "
                                + " ".join(f"tesseract-ocr-{m}" for m in models))
    missing = [m for m in models if not (folder / f"{m}.traineddata").is_file()]
    if missing:
        raise EngineUnavailable(f"Tesseract language model(s) {', '.join(missing)} missing from {folder}; apt install "
                                + " ".join(f"tesseract-ocr-{m}" for m in missing))
    return Tesseract(folder, models)  # models load at the first line read (a damaged one fails the stage then)
