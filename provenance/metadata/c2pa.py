"""C2PA Content Credentials through c2pa-python (optional), strictly offline, against a shipped trust list.

The SDK is told to fetch nothing: no remote manifests, no OCSP, no identity (DID) resolution, and an empty
list of allowed network hosts. Trust is decided against the C2PA Conformance Program's trust list shipped in
``trust/`` (or the anchors named by ``PROVENANCE_C2PA_TRUST_ANCHORS``): a manifest whose signing chain ends
there reads "trusted"; one that verifies but chains elsewhere reads "valid", and the report says the signer is
not on the list. A remux or re-save strips a manifest, so "absent" is common and neutral: it says nothing on
its own.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Literal

from provenance.report.model import C2PA

from .reading import text

TRUST_DIR = Path(__file__).resolve().parent / "trust"
TRUST_ANCHORS = TRUST_DIR / "C2PA-TRUST-LIST.pem"
TRUST_CONFIG = TRUST_DIR / "store.cfg"
ANCHORS_ENV = "PROVENANCE_C2PA_TRUST_ANCHORS"  # a PEM bundle that replaces the shipped list
CONFIG_ENV = "PROVENANCE_C2PA_TRUST_CONFIG"  # allowed extended key usages, replacing store.cfg

_STATES: dict[str, Literal["valid", "invalid", "trusted"]] = {
    "valid": "valid",
    "invalid": "invalid",
    "trusted": "trusted",
}
_UNTRUSTED = "signingCredential.untrusted"
# Formats the SDK (c2pa-python 0.38.1) reads whole into memory before looking for a manifest, by path and by
# stream alike (issue 14 round 5, N3): a 700 MB JPEG (skimage coffee + 700 MB of zeros) peaked at 1,789,624 KB
# RSS both ways, a 700 MB PDF at 1,798,500 KB; PNG, WebP, GIF, WAV of 300 MB and TIFF, MP4 of 700 MB stayed at
# 22-30 MB (streamed). Named by the first bytes (``sniff``) and by the extension the SDK also goes by.
WHOLE_READ_FORMATS = frozenset({"jpeg", "pdf"})
_WHOLE_READ_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".pdf"})
# Peak memory per byte of such a file: 1,789,624 KB / 734,044,806 B = 2.50 measured, rounded up
WHOLE_READ_BYTES_PER_BYTE = 2.6
# Largest such file checked (MiB): at 2.6x, 64 MiB peaks near 170 MiB, beside the 640 MiB a picture decode may use
# within the 1 GiB budget. A camera JPEG is 5-30 MB (a 200 MP phone photo ~60 MB); bigger ones are not checked.
MAX_WHOLE_READ_MB = 64
_MAX_CODES = 20
_MAX_LIST = 50

NOTES = {
    "trusted": "The manifest verifies and its signer chains to the trust list: the named signer made this claim.",
    "valid": (
        "The manifest verifies (the content matches what was signed), but the signing certificate is not on "
        "the trust list: who signed it is not established."
    ),
    "invalid": "The manifest does not verify: the content or the manifest changed after signing, or it is broken.",
    "absent": (
        "No Content Credentials manifest. Most cameras and apps write none, and re-saving or re-uploading strips "
        "one: absence is neutral, not a sign of editing."
    ),
    "error": "A manifest could not be checked (see raw.Errors.c2pa).",
}


def trust_source() -> tuple[Path, Path]:
    anchors = Path(os.environ.get(ANCHORS_ENV) or TRUST_ANCHORS)
    config = Path(os.environ.get(CONFIG_ENV) or TRUST_CONFIG)
    return anchors, config


@functools.cache
def _sdk(anchors: Path, config: Path) -> tuple[Any, Any, str] | None:
    try:
        import c2pa as sdk  # the c2pa-python package, not this module (absolute import)
    except ImportError:
        return None
    settings: dict[str, Any] = {
        # No network of any kind. allowed_network_hosts=[] also stops the CAWG identity-assertion DID lookups
        # that the two switches beside it do not cover (checked with strace over the corpus: no connect()).
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_trust": True},
        "core": {"allowed_network_hosts": []},
    }
    trust: dict[str, str] = {}
    label = "none (trust not checked)"
    try:
        trust["trust_anchors"] = anchors.read_text(encoding="utf-8")
        label = anchors.name if anchors == TRUST_ANCHORS else str(anchors)
        trust["trust_config"] = config.read_text(encoding="utf-8")
    except OSError:
        pass
    if "trust_anchors" in trust:
        settings["trust"] = trust
    else:
        settings["verify"]["verify_trust"] = False
    return sdk, sdk.Context(settings=sdk.Settings.from_dict(settings)), label


def read(path: Path) -> tuple[C2PA, dict[str, str]]:
    """Return the C2PA summary and raw text for the report; never raises."""
    loaded = _sdk(*trust_source())
    if loaded is None:
        return C2PA(present=None), {"note": "not checked: c2pa-python is not installed"}
    sdk, context, label = loaded
    if (why := _too_big(path)) is not None:
        return C2PA(present=None, note=why), {"note": why}
    try:
        reader = sdk.Reader.try_create(str(path), context=context)
        if reader is None:
            return C2PA(present=False, validation="absent", trust_list=label, note=NOTES["absent"]), {}
        with reader:
            store = json.loads(reader.json())
    except Exception as exc:  # C2paError subclasses, and anything the native layer surfaces
        return _from_error(exc, label)
    return _summarise(store, label)


def _too_big(path: Path) -> str | None:
    """Why a file the SDK would read whole is not checked (over ``MAX_WHOLE_READ_MB``, or over what ``[limits]
    max_memory_mb`` leaves), else None. Unknown, never "no manifest": a 700 MB JPEG took 1.8 GB, and under
    max_memory_mb the SDK's failure read "IO error" (issue 14 round 5, N3)."""
    from provenance.limits import memory_headroom
    from provenance.sniff import HEAD_BYTES, sniff

    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            fmt = sniff(fh.read(HEAD_BYTES))
    except OSError:
        return None  # the SDK reports the read error itself
    if fmt not in WHOLE_READ_FORMATS and path.suffix.lower() not in _WHOLE_READ_EXTENSIONS:
        return None
    need = size * WHOLE_READ_BYTES_PER_BYTE
    what = "PDF" if fmt == "pdf" else "JPEG" if fmt == "jpeg" else path.suffix.lower().lstrip(".").upper()
    if size > MAX_WHOLE_READ_MB * 2**20:
        return (f"not checked: file over {MAX_WHOLE_READ_MB} MB ({size / 2**20:,.0f} MiB); the C2PA SDK reads a "
                f"{what} whole (about {need / 2**20:,.0f} MiB here); whether it carries Content Credentials is "
                "unknown")
    headroom = memory_headroom()
    if headroom is not None and need > headroom:
        return (f"not checked: reading this {what} would take about {need / 2**20:,.0f} MiB, more than "
                f"[limits] max_memory_mb leaves ({max(headroom, 0) / 2**20:,.0f} MiB); whether it carries "
                "Content Credentials is unknown")
    return None


def _from_error(exc: Exception, label: str) -> tuple[C2PA, dict[str, str]]:
    message = text(str(exc) or type(exc).__name__, 500)
    lowered = message.lower()
    if "notsupported" in lowered or "type is unsupported" in lowered:
        # Not an error in the file: the SDK has no reader for this format (WMV, MKV, FLV, ...).
        return C2PA(present=None), {"note": f"not checked: format not supported by the C2PA SDK ({message})"}
    if "manifestnotfound" in lowered or "no jumbf" in lowered:
        return C2PA(present=False, validation="absent", trust_list=label, note=NOTES["absent"]), {}
    # A manifest exists when the failure is about its content (remote reference, unknown algorithm,
    # pre-release claim); a file the SDK could not parse at all may or may not carry one.
    present = None if ("could not be parsed" in lowered or lowered.startswith("io")) else True
    if lowered.startswith("remote"):
        message += " (remote manifests are not fetched: the tool works offline)"
    return (
        C2PA(present=present, state="error", validation="error", trust_list=label, note=NOTES["error"]),
        {"error": message},
    )


def _summarise(store: dict[str, Any], label: str) -> tuple[C2PA, dict[str, str]]:
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest") or "", {})
    raw_state = str(store.get("validation_state") or "").lower()
    state = _STATES.get(raw_state, "error")
    info = active.get("signature_info") or {}
    statuses = store.get("validation_status") or []
    codes = list(dict.fromkeys(str(s.get("code")) for s in statuses if s.get("code")))[:_MAX_CODES]
    # The active manifest's own signer decides trust; ingredients' signers are reported in their codes.
    active_url = str(store.get("active_manifest") or "")
    untrusted = any(
        str(s.get("code")) == _UNTRUSTED and active_url in str(s.get("url") or active_url) for s in statuses
    )
    trusted: bool | None = True if state == "trusted" else False if untrusted else None
    note = NOTES[state]
    summary = C2PA(
        present=True,
        state=state,
        signer=_text(info.get("issuer") or info.get("common_name")),
        claim_generator=_generator(active),
        actions=_actions(active)[:_MAX_LIST],
        ingredients=[text(i.get("title") or i.get("instance_id"), 256) for i in active.get("ingredients") or []][
            :_MAX_LIST
        ],
        validation=state,
        signer_trusted=trusted,
        trust_list=label,
        signed_at=_text(info.get("time")),
        validation_codes=codes,
        note=note,
    )
    raw = {
        "validation_state": str(store.get("validation_state")),
        "validation_codes": ", ".join(codes),
        "manifests": str(len(manifests)),
        "active_manifest": str(store.get("active_manifest")),
        "signer_common_name": str(info.get("common_name")),
        "signer_issuer": str(info.get("issuer")),
        "signature_time": str(info.get("time")),
        "signature_alg": str(info.get("alg")),
        "trust_list": label,
    }
    return summary, {k: text(v) for k, v in raw.items() if v not in ("None", "")}


def _text(value: Any) -> str | None:
    return text(value, 512) or None if value is not None else None


def _generator(manifest: dict[str, Any]) -> str | None:
    if manifest.get("claim_generator"):
        return text(manifest["claim_generator"], 512)
    parts = [
        f"{g.get('name')}/{g.get('version')}" if g.get("version") else str(g.get("name"))
        for g in manifest.get("claim_generator_info") or []
        if g.get("name")
    ]
    return text(" ".join(parts), 512) or None


def _actions(manifest: dict[str, Any]) -> list[str]:
    actions: list[str] = []
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            actions += [
                text(a["action"], 128) for a in (assertion.get("data") or {}).get("actions") or [] if "action" in a
            ]
    return actions
