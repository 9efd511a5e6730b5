"""The quick-start demo: index the bundled known imagery, verify every bundled clip, then write the dossier of a
claim about them (`claim attach` of the reports just written, `claim report`: nothing is verified again).

Runs the ``provenance`` CLI exactly as a user would type it, echoing each command, and ends with a table of
what the reports say. Reports go to ./reports/, the index to ./.provenance/ (re-running is safe: references
already indexed are left unchanged).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_media"
CLI = [str(Path(sys.executable).with_name("provenance"))]
DEMO_CLAIM = "demo-claim"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    print("$ provenance " + " ".join(shlex.quote(a) for a in args), flush=True)
    proc = subprocess.run([*CLI, *args], cwd=ROOT, text=True, capture_output=True)
    if proc.returncode == 2:
        print(proc.stderr.strip(), file=sys.stderr)
    return proc


def _where(seg: dict, still_clip: bool, still_ref: bool) -> str:
    """The segment as the report words it: no times on a side that is a photo."""
    clip = "the picture" if still_clip else f"{seg['query_start']:.1f}-{seg['query_end']:.1f} s"
    ref = "the photo" if still_ref else f"ref {seg['reference_start']:.1f}-{seg['reference_end']:.1f} s"
    return f"{clip} = {ref}"


def main() -> int:
    refs = tomllib.loads((SAMPLES / "known" / "references.toml").read_text())["reference"]
    for ref in refs:
        proc = run("index", "add", str((SAMPLES / "known" / ref["file"]).relative_to(ROOT)), "--id", ref["id"],
                   "--title", ref["title"], "--source", ref["source"], "--url", ref["url"],
                   "--first-seen", ref["first_seen"])
        print("  " + proc.stdout.strip())
        if proc.returncode:
            return proc.returncode
    rows = []
    worst = 0
    for clip in sorted((SAMPLES / "clips").iterdir()):
        proc = run("verify", str(clip.relative_to(ROOT)), "--json")
        worst = max(worst, proc.returncode)
        if proc.returncode == 2:
            rows.append((clip.name, "no report", "", "", ""))
            continue
        report = json.loads(proc.stdout)
        m = report["visual"]["matches"]
        top = m[0] if m else None
        seg = top["segments"][0] if top and top["segments"] else None
        lang = report["audio"]["language"]
        rows.append((
            clip.name,
            f"{top['reference_id']} (first seen {top['first_seen']})" if top else "no match",
            _where(seg, report["media"]["kind"] == "image", top.get("reference_kind") == "image") if seg else "",
            f"{lang['code']} {lang['probability']:.2f}" if lang
            else {"ok": "no speech", "not_applicable": "(image)", "no_audio": "no audio track",
                  "error": "audio failed", "skipped": "not run"}.get(report["audio"]["status"],
                                                                     report["audio"]["status"].replace("_", " ")),
            f"{report['timings']['total']:.1f} s",
        ))
    print()
    header = ("clip", "known imagery", "segment", "language", "time")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    print(f"\nReports: {ROOT / 'reports'}/<clip>-<sha256[:12]>/report.html")
    # a claim about the footage, its dossier from the reports just written (nothing is verified again)
    if DEMO_CLAIM not in run("claim", "list").stdout.split():
        run("claim", "add", "--id", DEMO_CLAIM, "--statement", "Scenes filmed this morning, 2 May 2024",
            "--date", "2024-05-02", "--languages", "ru")
    run("claim", "attach", DEMO_CLAIM, "reports")
    page = run("claim", "report", DEMO_CLAIM).stdout.strip()
    print(f"\nClaim dossier (open it in a browser): {ROOT / page}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
