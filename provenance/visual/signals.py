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

        pdqhash's ``compute_dihedral`` derives the eight from one DCT, but its downsampling (Jarosz box filters,
        then decimation to 64x64) is symmetric only for some side lengths: variants that reverse an asymmetric
        axis came out 6-24 bits away from the hash of the actually transformed pixels (512 px sides, for
        instance; 288 and 300 are symmetric). So the eight are taken from the fewest calls, on the frame and on
        its flips, that give each one exactly, as found once per frame size (``_dihedral_plan``): one call for
        a size symmetric both ways, two for a 512x288 frame (the cost of the frame and mirror hashes before),
        four at most. All eight then equal the hashes of the transformed pixels (tests/test_geometry_matching.py).
        """
        import numpy as np
        import pdqhash

        rgb = np.ascontiguousarray(rgb)
        plan = _dihedral_plan(rgb.shape[0], rgb.shape[1])
        results = {0: pdqhash.compute_dihedral(rgb)}
        for base in {b for b, _ in plan} - {0}:
            results[base] = pdqhash.compute_dihedral(np.ascontiguousarray(_FLIPS[base](rgb)))
        return [self.pack(results[b][0][k]) for b, k in plan], int(results[0][1])


    @staticmethod
    def pack(bits: np.ndarray) -> bytes:
        """Pack pdqhash's 256-bit vector in ThreatExchange's bit order: ``.hex()`` is the reference hex string.

        ThreatExchange's ``Hash256`` sets hash bit k (k = 16 * row + column of the 16x16 DCT block) at position
        k % 16 of 16-bit word k // 16 and writes the words from ``w[15]`` to ``w[0]`` (C++ ``Hash256::format``,
        Python ``pdqhashing/types/hash256.py`` ``__str__``), so the hex string's first bit is bit 255. pdqhash's
        ``hash_to_vector`` returns those bits already reversed (``[...for k in range(256)][::-1]``: element 0 is bit
        255), and python-threatexchange's ``pdq_hasher`` and vPDQ write the vector as one big binary number, most
        significant first. So the vector is packed as it comes, element 0 the most significant bit of byte 0.
        Checked against a transcription of ThreatExchange's reference Python hasher on three skimage pictures:
        the same 64 hex digits (tests/test_signals.py, DESIGN.md "PDQ bit order"). Before migration 11 this
        packed the vector bit-reversed (element i as bit i): see ``reverse_bits``.
        """
        import numpy as np

        return np.packbits(np.asarray(bits, dtype=np.uint8).reshape(256)).tobytes()

    @staticmethod
    def reverse_bits(packed: bytes) -> bytes:
        """A 32-byte PDQ hash with its 256 bits in reverse order: converts between ThreatExchange's order and the
        order provenance used before migration 11 (hash lists ``provenance.hashlist/1``, fingerprints ``/2``)."""
        if len(packed) != 32:
            raise ValueError(f"PDQ hashes are 32 bytes, got {len(packed)}")
        return int.from_bytes(packed, "big").to_bytes(32, "little").translate(_BIT_REVERSED)


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


def _flip_lr(x: np.ndarray) -> np.ndarray:
    return x[:, ::-1]


def _flip_ud(x: np.ndarray) -> np.ndarray:
    return x[::-1]


def _flip_both(x: np.ndarray) -> np.ndarray:
    return x[::-1, ::-1]


_FLIPS = {1: _flip_lr, 2: _flip_ud, 3: _flip_both}  # the bases pdqhash's dihedral call may be given (0: the frame)
_PLANS: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}


def _dihedral_plan(height: int, width: int) -> tuple[tuple[int, int], ...]:
    """Per ``DIHEDRAL`` variant, (base, index of pdqhash's dihedral output) that gives its hash exactly, using
    the fewest bases; found once per frame size on a seeded noise picture (any asymmetry shows on noise).
    """
    key = (height, width)
    if key not in _PLANS:
        import itertools

        import numpy as np
        import pdqhash

        noise = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
        true = [PDQ.compute(np.ascontiguousarray(np.rot90(noise[:, ::-1] if m else noise, k)))[0]
                for k, m in DIHEDRAL]
        outputs = {0: pdqhash.compute_dihedral(noise)[0]}
        outputs |= {b: pdqhash.compute_dihedral(np.ascontiguousarray(f(noise)))[0] for b, f in _FLIPS.items()}
        packed = {b: [PDQ.pack(v) for v in out] for b, out in outputs.items()}
        plan = None
        for n in range(1, 5):
            for extra in itertools.combinations((1, 2, 3), n - 1):
                bases = (0, *extra)
                found = [next(((b, k) for b in bases for k in range(8) if packed[b][k] == h), None) for h in true]
                if None not in found:
                    plan = tuple(found)
                    break
            if plan is not None:
                break
        # the frame and its transpose come out exact from every base: four bases always cover the eight
        _PLANS[key] = plan or ((0, 0), (1, 6), (3, 0), (2, 6), (1, 0), (2, 0), (0, 6), (3, 6))
    return _PLANS[key]


# The eight rotations and mirrors of a picture, as (counter-clockwise quarter turns, mirrored): the picture is
# mirrored left-right first (when mirrored), then turned. numpy: np.rot90(img[:, ::-1] if mirrored else img, turns).
DIHEDRAL: tuple[tuple[int, bool], ...] = ((0, False), (1, False), (2, False), (3, False),
                                          (0, True), (2, True), (1, True), (3, True))

_BIT_REVERSED = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))  # each byte's bits reversed

PDQ = PdqSignal()
PHASH = PHashSignal()
