"""Options that several commands take (``verify`` and ``batch``: the pipeline profile).

The command modules (``cli_batch``, ``cli_claim``, ``cli_report``) import from here, never from ``cli``, which
imports them to build the parser: the dependency runs one way.
"""

from __future__ import annotations

import argparse

from provenance.config import Pipeline, load_pipeline


def add_pipeline_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pipeline", default="standard", help="profile name in pipelines/ or a TOML file")
    parser.add_argument("--asr-model", metavar="MODEL",
                        help="Whisper model: a CTranslate2 folder, an openai-whisper .pt file (needs the "
                        "openai-whisper extra), or a faster-whisper name like 'small' (downloaded: needs a network). "
                        "Default: $PROVENANCE_WHISPER_MODEL, then the bundled base model")


def add_sign_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sign", action="store_true", default=None,
                        help="sign each report as it is written with this workspace's key (`report key` makes it; "
                        "default: $PROVENANCE_SIGN_REPORTS)")


def pipeline_from_args(args: argparse.Namespace) -> Pipeline:
    """The profile, with command-line overrides applied before its digest is taken."""
    pipeline = load_pipeline(args.pipeline)
    if args.asr_model:
        pipeline.audio.model = args.asr_model
    return pipeline
