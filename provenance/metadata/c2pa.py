"""C2PA Content Credentials through c2pa-python (optional), strictly offline.

The SDK is told to fetch nothing: no remote manifests, no OCSP, no identity (DID) resolution, and an empty
list of allowed network hosts. A manifest signed by a certificate we hold no trust anchor for reads "Valid",
which is reported as "valid", never "trusted": validity says the bytes match the signature, not who signed.
A remux or re-save strips the manifest, so absence is common and says nothing on its own.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Literal

from provenance.report.model import C2PA

# No network of any kind. allowed_network_hosts=[] also stops the CAWG identity-assertion DID lookups that the
# two switches above it do not cover (checked with strace over the corpus: no connect() at all).
_OFFLINE = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "core": {"allowed_network_hosts": []},
}
_STATES: dict[str, Literal["valid", "invalid", "trusted"]] = {
    "valid": "valid",
    "invalid": "invalid",
    "trusted": "trusted",
}
_MAX_CODES = 20


@functools.cache
def _sdk() -> tuple[Any, Any] | None:
    try:
        import c2pa as sdk  # the c2pa-python package, not this module (absolute import)
    except ImportError:
        return None
    return sdk, sdk.Context(settings=sdk.Settings.from_dict(_OFFLINE))


def read(path: Path) -> tuple[C2PA, dict[str, str]]:
    """Return the C2PA summary and raw text for the report; never raises."""
    loaded = _sdk()
    if loaded is None:
        return C2PA(present=None), {"note": "not checked: c2pa-python is not installed"}
    sdk, context = loaded
    try:
        reader = sdk.Reader.try_create(str(path), context=context)
        if reader is None:
            return C2PA(present=False), {}
        with reader:
            store = json.loads(reader.json())
    except Exception as exc:  # C2paError subclasses, and anything the native layer surfaces
        return _from_error(exc)
    return _summarise(store)


def _from_error(exc: Exception) -> tuple[C2PA, dict[str, str]]:
    message = str(exc) or type(exc).__name__
    lowered = message.lower()
    if "notsupported" in lowered or "type is unsupported" in lowered:
        # Not an error in the file: the SDK has no reader for this format (WMV, MKV, FLV, ...).
        return C2PA(present=None), {"note": f"not checked: format not supported by the C2PA SDK ({message})"}
    # A manifest exists when the failure is about its content (remote reference, unknown algorithm,
    # pre-release claim); a file the SDK could not parse at all may or may not carry one.
    present = None if ("could not be parsed" in lowered or lowered.startswith("io")) else True
    if lowered.startswith("remote"):
        message += " (remote manifests are not fetched: the tool works offline)"
    return C2PA(present=present, state="error"), {"error": message}


def _summarise(store: dict[str, Any]) -> tuple[C2PA, dict[str, str]]:
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest") or "", {})
    state = str(store.get("validation_state") or "").lower()
    info = active.get("signature_info") or {}
    codes = [str(s.get("code")) for s in store.get("validation_status") or [] if s.get("code")]
    summary = C2PA(
        present=True,
        state=_STATES.get(state, "error"),
        signer=info.get("issuer") or info.get("common_name"),
        claim_generator=_generator(active),
        actions=_actions(active),
        ingredients=[str(i.get("title") or i.get("instance_id")) for i in active.get("ingredients") or []],
    )
    raw = {
        "validation_state": str(store.get("validation_state")),
        "validation_codes": ", ".join(dict.fromkeys(codes[:_MAX_CODES])),
        "manifests": str(len(manifests)),
        "active_manifest": str(store.get("active_manifest")),
        "signer_common_name": str(info.get("common_name")),
        "signer_issuer": str(info.get("issuer")),
        "signature_time": str(info.get("time")),
        "signature_alg": str(info.get("alg")),
    }
    return summary, {k: v for k, v in raw.items() if v not in ("None", "")}


def _generator(manifest: dict[str, Any]) -> str | None:
    if manifest.get("claim_generator"):
        return str(manifest["claim_generator"])
    parts = [
        f"{g.get('name')}/{g.get('version')}" if g.get("version") else str(g.get("name"))
        for g in manifest.get("claim_generator_info") or []
        if g.get("name")
    ]
    return " ".join(parts) or None


def _actions(manifest: dict[str, Any]) -> list[str]:
    actions: list[str] = []
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            actions += [
                str(a["action"]) for a in (assertion.get("data") or {}).get("actions") or [] if "action" in a
            ]
    return actions
