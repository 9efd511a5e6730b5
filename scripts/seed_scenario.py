"""The seed scenario of the claim dossier (issue 17), from the bundled sample media.

A claim: footage of foreign troops receiving uniforms at a training ground near Dnipro in October 2024. Three
clips are attached: one recycled from an archive (``sample_media/clips/reuse_edited.mp4``, which reuses the
indexed archive montage first seen 2019-03-14), one whose GPS position is in Lisbon (3,663 km away), and
one original (GPS at the training ground, capture time within the claimed month). The last two are
``speech_en.mp4`` and ``speech_ru.mp4`` remuxed (not re-encoded) with the capture time and position a phone
writes into its MP4 (``com.apple.quicktime.location.ISO6709``).

    python scripts/seed_scenario.py [FOLDER]     (default ./seed: clips, workspace and reports go there)

Runs the ``provenance`` CLI as a user would, echoing each command; ends with the path of the dossier.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_media"
CLI = [str(Path(sys.executable).with_name("provenance"))]

STATEMENT = "Footage shows foreign troops receiving uniforms at a training ground near Dnipro in October 2024"
CLAIM = ["--statement", STATEMENT, "--date", "2024-10", "--place", "training ground near Dnipro", "--lat", "48.45",
         "--lon", "35.05", "--radius-km", "25", "--languages", "ru,uk", "--source-url",
         "https://t.me/example_channel/4521", "--id", "troops-uniforms"]
# Lisbon, 3,663 km from the claimed place; the training ground, 1.7 km from the claimed coordinates
FAR, NEAR = "+38.7223-009.1393+050.000/", "+48.4647+035.0462+100.000/"


def remux(src: Path, out: Path, *, creation_time: str, iso6709: str) -> Path:
    """Copy ``src``'s packets into ``out`` (no re-encode) with a capture time and a GPS position, as a phone writes
    them into an MP4."""
    with av.open(str(src)) as inp, av.open(str(out), "w", options={"movflags": "use_metadata_tags"}) as c:
        c.metadata.update({"creation_time": creation_time, "com.apple.quicktime.location.ISO6709": iso6709})
        streams = {s.index: c.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                c.mux(packet)
    return out


def make_clips(folder: Path) -> dict[str, Path]:
    """The scenario's three clips in ``folder``: recycled.mp4, gps_far.mp4, original.mp4."""
    folder.mkdir(parents=True, exist_ok=True)
    recycled = folder / "recycled.mp4"
    shutil.copyfile(SAMPLES / "clips" / "reuse_edited.mp4", recycled)
    far = remux(SAMPLES / "clips" / "speech_en.mp4", folder / "gps_far.mp4", creation_time="2024-10-06T08:40:00Z",
                iso6709=FAR)
    original = remux(SAMPLES / "clips" / "speech_ru.mp4", folder / "original.mp4",
                     creation_time="2024-10-05T10:12:00Z", iso6709=NEAR)
    return {"recycled": recycled, "gps_far": far, "original": original}


def archive() -> list[str]:
    """``index add`` arguments for the archive montage the recycled clip reuses, as references.toml lists it."""
    ref = next(r for r in tomllib.loads((SAMPLES / "known" / "references.toml").read_text())["reference"]
               if r["id"] == "archive_footage")
    return [str(SAMPLES / "known" / ref["file"]), "--id", ref["id"], "--title", ref["title"], "--source",
            ref["source"], "--url", ref["url"], "--first-seen", ref["first_seen"]]


def run(*args: str) -> str:
    print("$ provenance " + " ".join(shlex.quote(a) for a in args), flush=True)
    proc = subprocess.run([*CLI, *args], text=True, capture_output=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout.strip()


def main() -> int:
    base = Path(sys.argv[1] if len(sys.argv) > 1 else "seed").resolve()
    ws, reports = base / "workspace", base / "reports"
    clips = make_clips(base / "clips")
    run("init", str(ws))
    print("  " + run("index", "add", *archive(), "--workspace", str(ws)))
    claim = run("claim", "add", *CLAIM, "--workspace", str(ws)) or "troops-uniforms"
    run("claim", "report", claim, "--out", str(reports), "--workspace", str(ws))
    for clip in clips.values():
        run("verify", str(clip), "--claim", claim, "--out", str(reports), "--workspace", str(ws))
    print(run("claim", "show", claim, "--workspace", str(ws)))
    page = run("claim", "report", claim, "--workspace", str(ws))
    print(f"\nDossier: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
