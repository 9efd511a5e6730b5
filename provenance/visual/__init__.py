"""The visual stage: frame sampling, content boxes, frame hashes (signal types), local features, the
known-imagery index and matching. Heavy libraries (PyAV, OpenCV, FAISS) load only when a module needs them.
"""
