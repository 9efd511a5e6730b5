"""Issue 14, round 7 (the round-6 tester's defects): real footage in raw or unusual wrappers, and file names
at the file system's limit.

Each case runs the real CLI in a child process (tests/test_hostile.py's launcher) on files made from
scikit-image's photographs (tests/hostile/make_corpus.py's round-6 builders), against a real workspace: what
the desk sees is asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from test_hostile import _env, run_cli

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
import make_corpus


def _index_coffee(tmp_path: Path) -> None:
    """The coffee photo (600x400, as every round-6 clip is cut) in the workspace's index as ``coffee``."""
    path = tmp_path / "coffee.png"
    Image.fromarray(make_corpus._photo_rgb("coffee")).save(path)
    added = run_cli("index", "add", path, "--id", "coffee", env=_env(tmp_path))
    assert added.code == 0, added.stderr


def test_a_name_at_the_file_system_limit_is_indexed_with_its_folder(tmp_path: Path) -> None:
    """D4: a 254-byte file name made the sidecar probe ``<stem>.info.json`` too long (ENAMETOOLONG), which aborted
    `index add FOLDER` with nothing indexed, and verify said "sidecar stage failed: OSError". Such a sidecar
    cannot exist: both files are indexed, and verify finds the long-named one in the index with no stage error."""
    folder = tmp_path / "longname"
    folder.mkdir()
    coffee = make_corpus._photo_rgb("coffee")
    Image.fromarray(coffee).save(folder / "ok.jpg")
    long_name = folder / ("x" * 250 + ".png")
    Image.fromarray(make_corpus._photo_rgb("astronaut")).save(long_name)
    added = run_cli("index", "add", folder, env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert "added: ok (image, 1 frame)" in added.stdout and "added: xxxxxxxx" in added.stdout, added.stdout
    verified = run_cli("verify", long_name, "--pipeline", "quick", env=_env(tmp_path))
    assert verified.code == 0, verified.stderr + verified.stdout
    assert "Reuses known imagery 'xxxxxxxx" in verified.stdout, verified.stdout
    assert "OSError" not in verified.stdout + verified.stderr and "sidecar stage failed" not in verified.stdout
