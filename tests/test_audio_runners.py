"""The same file and profile give the same audio section whatever runs it: ``verify``, or ``batch --workers 0``
(in-process), each in its own process as a user runs them. The profile's budget is set so low that decoding
stops part-way: before the budget counted work instead of wall time, where it stopped (and so the transcript,
which regions were kept, and the language probabilities) depended on the machine's load and the runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import cli

DATA = Path(__file__).resolve().parent / "data" / "audio"
PROFILE = """name = "audio-only"
description = "Audio stage alone, with a decoding budget that runs out (tests/test_audio_runners.py)."
[visual]
enabled = false
[metadata]
enabled = false
[audio]
max_real_time_factor = 0.15
min_budget_s = 0.0
"""


def audio_section(report: dict) -> dict:
    audio = dict(report["audio"])
    audio.pop("real_time_factor")  # wall time: the one field that may differ
    return audio


@pytest.mark.slow
def test_verify_and_batch_give_the_same_audio_section(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    clip = shutil.copy(DATA / "en_ru_switch.ogg", folder / "switch.ogg")
    profile = tmp_path / "audio-only.toml"
    profile.write_text(PROFILE)

    code, stdout, err = cli("verify", clip, "--pipeline", profile, "--json", "--out", tmp_path / "verify")
    assert code == 0, err
    verified = audio_section(json.loads(stdout))
    code, _, err = cli("batch", folder, "--pipeline", profile, "--workers", "0", "--out", tmp_path / "batch",
                       "--quiet")
    assert code == 0, err
    (report,) = (tmp_path / "batch").glob("*/report.json")
    batched = audio_section(json.loads(report.read_text()))

    assert verified["budget_exhausted"] and any(not r["transcribed"] for r in verified["timeline"])
    assert verified["segments"]  # decoded up to the budget, then stopped
    assert batched == verified


def test_the_audio_section_does_not_depend_on_blas_threads() -> None:
    """Issue 13 round 10, H2: ``batch`` on Dask gave other audio figures than ``verify`` for every clip tried: its
    workers run OpenBLAS at one thread, a plain ``verify`` on every core, and OpenBLAS's threaded sgemm moves
    Whisper's log-mel features by an ulp. On this espeak Korean clip that flipped the status itself: "no
    speech" with one BLAS thread, an uncertain Thai guess (0.47) with two. Whatever BLAS threading the caller has
    set (a Dask worker, a user's OMP_NUM_THREADS), the section is the same."""
    import dataclasses

    from threadpoolctl import threadpool_limits

    from provenance.audio import analyse
    from provenance.config import load_pipeline

    config = load_pipeline("standard").stages["audio"]
    sections = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            section = dataclasses.asdict(analyse(DATA / "ko_espeak_x3.ogg", config))
        section.pop("real_time_factor")
        sections.append(section)
    assert sections[0] == sections[1]
    assert sections[0]["speech_s"] > 15  # the speech is found either way, whatever its status


_SECTION_SCRIPT = """
import dataclasses, json, sys
from threadpoolctl import threadpool_info
from provenance.audio import analyse
from provenance.config import load_pipeline
section = dataclasses.asdict(analyse(sys.argv[1], load_pipeline("standard").stages["audio"]))
section.pop("real_time_factor")
kernels = sorted(i.get("architecture") or "" for i in threadpool_info() if i.get("user_api") == "blas")
print(json.dumps({"kernels": kernels, "section": section}))
"""


@pytest.mark.slow
def test_the_audio_section_does_not_depend_on_the_cpus_blas_kernel() -> None:
    """OpenBLAS picks its sgemm kernel by CPU (an AVX-512 machine runs another than this one), and Whisper's log-mel
    product summed in float32 came out an ulp apart between kernels on 105,000 of 165,680 values of this clip
    (Haswell against Sandybridge and Prescott): the same file could be heard differently on another machine.
    ``OPENBLAS_CORETYPE=Prescott`` forces the oldest x86-64 kernel, runnable on any machine."""
    import os
    import subprocess
    import sys

    runs = []
    for coretype in (None, "Prescott"):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        if coretype:
            env["OPENBLAS_CORETYPE"] = coretype
        done = subprocess.run([sys.executable, "-c", _SECTION_SCRIPT, str(DATA / "ko_espeak_x3.ogg")], env=env,
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    if runs[0]["kernels"] == runs[1]["kernels"]:
        pytest.skip(f"this numpy's BLAS does not switch kernels by OPENBLAS_CORETYPE ({runs[0]['kernels']})")
    assert runs[0]["section"] == runs[1]["section"]
    assert runs[0]["section"]["speech_s"] > 15
