"""``provenance keyframes FILE --out DIR``: full-resolution frames for a reverse image search (visual/keyframes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from provenance.cli_common import global_options, limit_memory
from provenance.safetext import terminal


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    k = sub.add_parser("keyframes", parents=[global_options(1)], help="write full-resolution frames at shot changes "
                       "(and every N s of a long shot), a contact sheet and an index page, for a reverse image search")
    k.add_argument("path", type=Path, metavar="FILE", help="a video file")
    k.add_argument("--out", type=Path, default=Path("keyframes"), help="folder to write a new keyframes folder in "
                   "(default ./keyframes); nothing in it is overwritten")
    k.add_argument("--every", type=float, default=None, metavar="S", help="one more frame every S seconds within "
                   "a shot (default 10)")
    k.set_defaults(handler=_keyframes)


def _keyframes(args: argparse.Namespace) -> int:
    from provenance.config import load_pipeline
    from provenance.visual.keyframes import EVERY_S, extract

    profile = load_pipeline("standard")
    limit_memory(profile.limits)
    every = args.every if args.every is not None else EVERY_S
    result = extract(args.path, args.out, every_s=every, frames=profile.visual.frames, limits=profile.limits)
    if result.every_s > every:  # NaN and 0 were refused by extract
        print(f"provenance: note: --every {every:g}: frames are sampled every {result.every_s:g} s "
              f"([visual.frames] interval_s), so frames within a shot are {result.every_s:g} s apart", file=sys.stderr)
    shots = sum(f.shot_change for f in result.frames)
    size = f"{result.frames[0].width}x{result.frames[0].height}"
    print(f"{terminal(str(args.path))}: {len(result.frames)} keyframes ({shots} at shot changes, {size}) written to "
          f"{terminal(result.folder)} (index.html, contact-sheet.jpg)")
    if result.capped_at_s is not None:
        print(f"provenance: warning: stopped at {len(result.frames)} keyframes: none after {result.capped_at_s:.1f} s "
              "was written", file=sys.stderr)
    return 0
