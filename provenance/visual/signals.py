"""Hash signal types and their threshold defaults (stub until the signal-types branch lands: PDQ only)."""


class PDQ:
    max_distance = 31  # Hamming distance (of 256 bits) at or below which two frames match
    min_quality = 50  # PDQ quality (0-100) under which a frame is too flat to match: it matches anything flat
