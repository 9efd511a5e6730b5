"""Platform sidecars: the record a download or an export keeps beside the media (see formats.py)."""
