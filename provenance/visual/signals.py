"""Frame hashes as signal types: what each hash is, how it is computed from a frame and how two are compared.

A signal type (after python-threatexchange's ``SignalType``) owns its name, its length in bits, its computation
from an RGB frame, its distance, its match threshold and its quality gate, so the thresholds live next to the
hash they belong to and nowhere else. Both types here are binary hashes compared by Hamming distance, held as
``bytes`` of ``bits // 8`` (the rows ``search.HashSearch`` scans).

The hashing libraries are imported when a frame is first hashed: the settings module (``config.py``) reads the
thresholds from here and must stay cheap to import.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class SignalType(ABC):
    """A per-frame binary hash. Subclasses set the class attributes and ``compute``."""

    name: str  # short lower-case name: derived file names, messages
    bits: int  # hash length; a hash is ``bits // 8`` bytes
    max_distance: int  # two hashes match at a distance at or below this (inclusive)
    min_quality: int | None  # frames whose quality is below this are too flat to match; None: no quality score

    @property
    def nbytes(self) -> int:
        return self.bits // 8

    @abstractmethod
    def compute(self, rgb: np.ndarray) -> tuple[bytes, int | None]:
        """The hash of an HxWx3 uint8 RGB frame and its quality (0-100), or None for a type without one."""

    def compute_mirror(self, rgb: np.ndarray) -> bytes:
        """The hash of the frame's left-right mirror, computed from the flipped pixels."""
        import numpy as np

        return self.compute(np.ascontiguousarray(rgb[:, ::-1]))[0]

    def distance(self, a: bytes, b: bytes) -> int:
        """Hamming distance between two hashes of this type (0 to ``bits``)."""
        if len(a) != self.nbytes or len(b) != self.nbytes:
            raise ValueError(f"{self.name} hashes are {self.nbytes} bytes, got {len(a)} and {len(b)}")
        return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()

    def usable(self, quality: int | None) -> bool:
        """Whether a frame of this quality passes the quality gate (always, for a type without one)."""
        return self.min_quality is None or (quality is not None and quality >= self.min_quality)


class PdqSignal(SignalType):
    """PDQ, Meta's 256-bit perceptual hash for media matching: the hash provenance matches on.

    Thresholds as Meta recommends them for a start: a match at Hamming distance <= 31, and frames of quality
    below 50 discarded (ThreatExchange ``pdq/README.md``, which points to ``hashing/hashing.pdf`` for the
    algorithm; python-threatexchange's ``PdqSignal``: ``PDQ_CONFIDENT_MATCH_THRESHOLD = 31``,
    ``QUALITY_THRESHOLD = 50``). vPDQ, which hashes video frames with PDQ as this project does, uses the same
    pair per frame (python-threatexchange ``extensions/vpdq``: ``VPDQ_DISTANCE_THRESHOLD = 31``,
    ``VPDQ_QUALITY_THRESHOLD = 50``).
    """

    name = "pdq"
    bits = 256
    max_distance = 31
    min_quality: int = 50

    def compute(self, rgb: np.ndarray) -> tuple[bytes, int]:
        """PDQ hash in ThreatExchange bit order (see ``pack``) and its quality, 0 (flat) to 100."""
        import numpy as np
        import pdqhash

        vector, quality = pdqhash.compute(np.ascontiguousarray(rgb))
        return self.pack(vector), int(quality)

    def compute_dihedral(self, rgb: np.ndarray) -> tuple[list[bytes], int]:
        """The hashes of the frame's eight rotations and mirrors, in ``DIHEDRAL`` order, and its quality.

        pdqhash's ``compute_dihedral`` derives the eight from one DCT, but its downsampling is not symmetric along
        the picture's long axis (the columns of a landscape frame, the rows of a portrait or square one): every
        variant that reverses that axis came out 6-24 bits away from the hash of the actually transformed pixels
        (skimage and corpus frames at 480x270 to 512x512; tests/test_geometry_matching.py). So the variants are
        taken from two calls, on the frame and on its flip along the long axis, each contributing the four it
        computes exactly: all eight then equal the hashes of the transformed pixels, for about the price of the
        two hashes (frame and mirror) computed before (2.1 ms each at 512x288).
        """
        import numpy as np
        import pdqhash

        rgb = np.ascontiguousarray(rgb)
        if rgb.shape[0] >= rgb.shape[1]:  # portrait or square: rows are the inexact axis
            a, quality = pdqhash.compute_dihedral(rgb)
            b, _ = pdqhash.compute_dihedral(np.ascontiguousarray(rgb[::-1]))
            picked = (a[0], a[1], b[5], b[6], a[5], b[0], a[6], b[1])
        else:
            a, quality = pdqhash.compute_dihedral(rgb)
            b, _ = pdqhash.compute_dihedral(np.ascontiguousarray(rgb[:, ::-1]))
            picked = (a[0], b[6], b[4], a[3], b[0], a[4], a[6], b[3])
        return [self.pack(v) for v in picked], int(quality)

    @staticmethod
    def pack(bits: np.ndarray) -> bytes:
        """Pack pdqhash's 256-bit vector as ThreatExchange's hex does: sixteen 16-bit words, bit i in word
        i // 16 at position i % 16, most significant word first (so ``.hex()`` is the reference hex string).
        """
        import numpy as np

        words = bits.astype(np.uint32).reshape(16, 16) << np.arange(16, dtype=np.uint32)
        return words.sum(axis=1)[::-1].astype(">u2").tobytes()


class PHashSignal(SignalType):
    """pHash (DCT hash) exactly as the ``imagehash`` package computes it: 64 bits, for interoperability.

    Kept so a report's frame hashes can be compared with the many tools that speak imagehash's pHash; matching
    uses PDQ. Bytes are imagehash's hex string decoded, so ``.hex()`` gives ``str(imagehash.phash(img))`` back.
    The threshold follows N. Krawetz, "Looks Like It" (hackerfactor.com, 2011), the article imagehash's pHash
    implements: at distance 5 two 64-bit hashes are probably still the same picture, at 10 or more probably a
    different one. 10 is the loosest reading of that, and the per-frame pHash baseline of
    benchmarks/bench_matching.py uses it. pHash has no quality score.
    """

    name = "phash"
    bits = 64
    max_distance = 10
    min_quality = None

    def compute(self, rgb: np.ndarray) -> tuple[bytes, None]:
        import imagehash
        from PIL import Image

        return bytes.fromhex(str(imagehash.phash(Image.fromarray(rgb)))), None


# The eight rotations and mirrors of a picture, as (counter-clockwise quarter turns, mirrored): the picture is
# mirrored left-right first (when mirrored), then turned. numpy: np.rot90(img[:, ::-1] if mirrored else img, turns).
DIHEDRAL: tuple[tuple[int, bool], ...] = ((0, False), (1, False), (2, False), (3, False),
                                          (0, True), (2, True), (1, True), (3, True))

PDQ = PdqSignal()
PHASH = PHashSignal()
