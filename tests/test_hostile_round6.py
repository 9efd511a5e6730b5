"""Issue 14, round 6 (the round-5 tester's items still open): what `index add` leaves out of a multi-page TIFF,
unreadable document metadata, and a file only partly examined exiting 1.

Each case runs the real CLI in a child process (tests/test_hostile.py's launcher) on files made from
scikit-image's photographs, against a real workspace: what the desk sees is asserted.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from test_hostile import _env, run_cli
from test_hostile_documents import _photo


def _pages_tiff(path: Path, pages: int, coffee_at: int) -> None:
    """A TIFF of ``pages`` small crops of the astronaut, the coffee photo on page ``coffee_at`` (1-based)."""
    source = _photo("astronaut")
    crops = [source.crop((x, y, x + 160, y + 120)) for x in range(0, 350, 50) for y in range(0, 390, 39)][:pages]
    crops[coffee_at - 1] = _photo("coffee").resize((160, 120))
    crops[0].save(path, save_all=True, append_images=crops[1:])


def test_index_add_names_the_tiff_pages_it_did_not_index(tmp_path: Path) -> None:
    """N6: `index add` of a 70-page TIFF said "(image, 64 frames)": pages 65-70 were dropped without a word, and
    the desk's own photo on page 66 then got "No match". The added line and `index list` now say which pages
    were not indexed and why."""
    from provenance.limits import MAX_STILL_PAGES

    tiff = tmp_path / "p70.tif"
    _pages_tiff(tiff, 70, coffee_at=66)
    added = run_cli("index", "add", tiff, "--id", "p70", env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert (f"added: p70 (image, {MAX_STILL_PAGES} of 70 pages; pages {MAX_STILL_PAGES + 1}-70 not indexed: past "
            f"the {MAX_STILL_PAGES} pages examined in one file") in added.stdout, added.stdout
    listed = run_cli("index", "list", env=_env(tmp_path))
    assert f"{MAX_STILL_PAGES} frames, partly indexed" in listed.stdout, listed.stdout
    assert f"p70: partly indexed: {MAX_STILL_PAGES} of 70 pages; pages {MAX_STILL_PAGES + 1}-70" in listed.stdout


def test_index_add_names_a_page_over_the_pixel_limit_with_its_reason(tmp_path: Path) -> None:
    """N6/N7/N9 at `index add`: a TIFF whose page 1 is over [limits] max_pixels (150 MP declared, a deflated flat
    grey never decoded) is indexed from page 2, and the line names page 1 and the limit; a one-page TIFF keeps
    the plain "1 frame"."""
    tiff = tmp_path / "first150mp.tif"
    Image.new("L", (15000, 10000), 7).save(tiff, save_all=True, append_images=[_photo("coffee")],
                                           compression="tiff_adobe_deflate")
    added = run_cli("index", "add", tiff, "--id", "big1", env=_env(tmp_path))
    assert added.code == 0, added.stderr
    assert ("(image, 1 of 2 pages; page 1 not indexed: declared picture size 15000x10000 (150 MP) is over the "
            "limit of 100 MP ([limits] max_pixels))") in added.stdout, added.stdout
    single = tmp_path / "single.tif"
    _photo("chelsea").save(single)
    added = run_cli("index", "add", single, "--id", "one", env=_env(tmp_path))
    assert "added: one (image, 1 frame)" in added.stdout, added.stdout
    listed = run_cli("index", "list", env=_env(tmp_path))
    assert "big1: partly indexed: 1 of 2 pages" in listed.stdout and "one:" not in listed.stdout, listed.stdout
