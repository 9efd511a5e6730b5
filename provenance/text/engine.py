"""The recogniser: Tesseract's LSTM engine through tesserocr (its C++ API in-process, models loaded once).

tesserocr's wheel carries libtesseract itself; the language models come from Debian's packages
(``tesseract-ocr-rus``, ``-ukr``, ``-eng``, ``-kor``) or any folder of ``.traineddata`` files. Measured against
pytesseract (which runs the ``tesseract`` binary per call and loads the models each time): 60-150 ms against
~620 ms per caption line, same text. Without tesserocr or a model, ``open_engine`` raises ``EngineUnavailable``
with the reason, and the stage reports itself "unavailable".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from provenance.errors import ProvenanceError
from provenance.text.language import letters_by_script

# where Debian (5.x, then 4.x) and other distributions put the models
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")
LINE_HEIGHT = 48  # px: crops are scaled so a line is about this tall (Tesseract reads 20-60 px x-heights best)
PAD = 12  # px of border added around a crop: Tesseract misses glyphs touching the edge


class EngineUnavailable(ProvenanceError):
    """The OCR engine or one of its language models is not installed; the message says which and how to get it."""


@dataclass
class Reading:
    text: str
    confidence: float  # mean word confidence, 0-1
    models: str  # the language models that produced it ("rus+ukr+eng+kor", or "kor" for a Hangul re-read)


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
        self._api = self._make("+".join(models))
        self._alone: dict[str, Any] = {}  # one model alone ("kor", "eng"), made when first needed

    @property
    def name(self) -> str:
        return f"tesseract {self.version}"

    def _make(self, lang: str) -> Any:
        t = self._tesserocr
        return t.PyTessBaseAPI(path=str(self.tessdata) + os.sep, lang=lang, psm=t.PSM.SINGLE_LINE, oem=t.OEM.LSTM_ONLY)

    def read(self, grey: np.ndarray) -> Reading:
        """Read one line from a grey crop (uint8). A line read as mostly Hangul is read again with "kor" alone:
        mixed with the other models Tesseract splits Hangul into syllables ("군 인 들이"), alone it does not."""
        from PIL import Image

        image = Image.fromarray(_prepare(grey))
        reading = self._read(self._api, image, "+".join(self.models))
        scripts = letters_by_script(reading.text)
        letters = sum(scripts.values())
        if "kor" in self.models and scripts.get("Hangul", 0) * 2 > letters > 0:
            again = self._read(self._model("kor"), image, "kor")
            if again.confidence >= reading.confidence - 0.15:  # split syllables score as high as whole words
                reading = again
        elif "eng" in self.models and scripts.get("Cyrillic", 0) and reading.confidence < 0.9:
            # Latin lines are sometimes read as Cyrillic look-alikes ("Тгоор5" for "Troops", confidence 0.68-0.74)
            # when the Cyrillic models come first; English alone reads them at 0.9+, real Cyrillic it cannot
            again = self._read(self._model("eng"), image, "eng")
            if again.confidence > reading.confidence + 0.05:
                reading = again
        return reading

    def _model(self, lang: str) -> Any:
        if lang not in self._alone:
            self._alone[lang] = self._make(lang)
        return self._alone[lang]

    @staticmethod
    def _read(api: Any, image: Any, models: str) -> Reading:
        api.SetImage(image)
        text = " ".join(api.GetUTF8Text().split())
        return Reading(text, max(0.0, api.MeanTextConf()) / 100.0, models)

    def close(self) -> None:
        for api in (self._api, *self._alone.values()):
            api.End()


def _prepare(grey: np.ndarray) -> np.ndarray:
    """Scale a line crop to about ``LINE_HEIGHT`` px tall and pad it with its own border colour."""
    import cv2

    h = grey.shape[0]
    scale = LINE_HEIGHT / max(1, h)
    if abs(scale - 1) > 0.15:
        grey = cv2.resize(grey, (max(1, round(grey.shape[1] * scale)), LINE_HEIGHT),
                          interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    edge = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return cv2.copyMakeBorder(grey, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=int(np.median(edge)))


def open_engine(models: list[str], tessdata: str = "") -> Tesseract:
    """Tesseract with ``models`` loaded, or ``EngineUnavailable`` naming what is missing and how to install it."""
    try:
        import tesserocr  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailable(f"tesserocr is not installed ({exc}); pip install tesserocr") from exc
    folder = find_tessdata(tessdata)
    if folder is None or not folder.is_dir():
        where = folder or " or ".join(TESSDATA_DIRS)
        raise EngineUnavailable(f"no Tesseract language models at {where}; apt install tesseract-ocr "
                                + " ".join(f"tesseract-ocr-{m}" for m in models))
    missing = [m for m in models if not (folder / f"{m}.traineddata").is_file()]
    if missing:
        raise EngineUnavailable(f"Tesseract language model(s) {', '.join(missing)} missing from {folder}; apt install "
                                + " ".join(f"tesseract-ocr-{m}" for m in missing))
    try:
        return Tesseract(folder, models)
    except RuntimeError as exc:  # tesserocr: "Failed to init API, possibly an invalid tessdata path"
        raise EngineUnavailable(f"Tesseract could not load {'+'.join(models)} from {folder}: {exc}") from exc
