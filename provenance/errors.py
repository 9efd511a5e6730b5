"""The one base class for errors a user can act on; their messages are one line, never a traceback."""


class ProvenanceError(Exception):
    """Bad input, bad arguments or an unusable workspace or model: the message says what and why."""
