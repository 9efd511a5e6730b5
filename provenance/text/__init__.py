"""The on-screen text stage: captions, signs and documents read from the footage (Tesseract, see stage.py)."""
