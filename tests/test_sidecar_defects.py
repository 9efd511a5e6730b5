"""Sidecars the tester of issue 19 broke: hostile text, records of another file, contradicting dates, the desk's own
edits, real auto-archiver and Telegram whole-account layouts. Sidecars are written as each tool writes them (the
project's files in tests/data/sidecars, changed where a case needs it); the media are real sample clips.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from provenance.sidecar import formats
from provenance.sidecar.formats import SidecarError, find, reference_metadata
from provenance.workspace import Workspace

from conftest import SAMPLES, cli_in_process

DATA = Path(__file__).parent / "data" / "sidecars"
CLIP = SAMPLES / "clips" / "reuse_edited.mp4"  # 13.0 s
ARCHIVE = SAMPLES / "known" / "archive_footage.mp4"
YT = json.loads((DATA / "ytdlp" / "Протест у мэрии [dQw4w9WgXcQ].info.json").read_text(encoding="utf-8"))
TG = json.loads((DATA / "telegram" / "ChatExport_2024-03-05" / "result.json").read_text(encoding="utf-8"))


def run(capsys: pytest.CaptureFixture[str], *args: str | os.PathLike) -> tuple[int, str, str]:
    return cli_in_process(capsys, *args)


def download(folder: Path, record: dict | str, name: str = "vid") -> Path:
    """A yt-dlp download: the clip and its ``.info.json`` (a dict as yt-dlp dumps it, or raw text)."""
    folder.mkdir(parents=True, exist_ok=True)
    clip = folder / f"{name}.mp4"
    shutil.copy(CLIP, clip)
    text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=True)  # yt-dlp's default
    (folder / f"{name}.info.json").write_text(text, encoding="utf-8")
    return clip


# -- 1: unpaired surrogates never stop a report or indexing -------------------------------------------------------

LONE = '{"title": "bad \\ud800", "upload_date": "20240302", "description": "c \\ud83d"}'


def test_a_sidecar_with_a_lone_surrogate_is_refused_and_verify_still_reports(tmp_path: Path, capsys) -> None:
    clip = download(tmp_path / "s", LONE)
    code, out, err = run(capsys, "verify", clip, "--pipeline", "quick", "--json", "--out", tmp_path / "r")
    assert code in (0, 1), err
    report = json.loads(out)
    assert report["sidecar"]["found"] is False and "unpaired UTF-16 surrogate" in report["sidecar"]["refused"]
    assert report["visual"]["status"] == "ok" and report["metadata"]["status"] == "ok"  # the other stages ran
    refused = next(f for f in report["findings"] if f["code"] == "sidecar_refused")
    assert "refused, nothing of it is used" in refused["message"]
    assert list((tmp_path / "r").glob("*/report.json"))  # the report was written


def test_index_add_indexes_a_file_whose_sidecar_holds_a_lone_surrogate(tmp_path: Path, capsys) -> None:
    clip = download(tmp_path / "s", LONE)
    ws = tmp_path / "ws"
    Workspace(ws).initialise()
    code, out, err = run(capsys, "index", "add", clip, "--workspace", ws)
    assert code == 0, err
    assert "added: vid" in out and "unpaired UTF-16 surrogate" in err
    assert sum("warning" in line for line in err.splitlines()) == 1
    with Workspace(ws).reading() as conn:
        assert tuple(conn.execute("SELECT title, first_seen FROM reference").fetchone()) == ("vid", None)


# -- 5: a record of another file, contradicting dates, keys given twice -------------------------------------------

@pytest.mark.parametrize(("change", "said"), [
    ({"_filename": "downloads/other.webm"}, "describes another file ('_filename' is 'other.webm', not 'vid.mp4')"),
    ({"timestamp": 1709374500, "upload_date": "20190302"}, "'timestamp' and 'upload_date' disagree"),
    ({"upload_date": 20240302}, "field 'upload_date' is a number, not YYYYMMDD text"),
    ({"title": 5}, "field 'title' is a number, not text"),
])
def test_a_yt_dlp_record_that_contradicts_itself_or_names_another_file_is_refused(tmp_path: Path, change,
                                                                                  said) -> None:
    clip = download(tmp_path, YT | change)
    with pytest.raises(SidecarError, match="refused, nothing of it is used") as refused:
        find(clip)
    assert said in str(refused.value)


def test_a_yt_dlp_record_of_a_longer_video_is_refused_by_verify_and_index_add(tmp_path: Path, capsys) -> None:
    clip = download(tmp_path / "d", YT | {"duration": 3600})
    assert find(clip) is not None  # the duration is checked against the file's, which find alone does not know
    code, out, _ = run(capsys, "verify", clip, "--pipeline", "quick", "--json", "--out", tmp_path / "r")
    refused = json.loads(out)["sidecar"]["refused"]
    assert "its 'duration' is 3600 s, the file's 13.0 s" in refused
    ws = tmp_path / "ws"
    Workspace(ws).initialise()
    code, _out, err = run(capsys, "index", "add", clip, "--workspace", ws)
    assert code == 0 and "describes another file" in err
    with Workspace(ws).reading() as conn:
        assert tuple(conn.execute("SELECT title, url FROM reference").fetchone()) == ("vid", None)  # nothing of it used
    download(tmp_path / "ok", YT | {"duration": 14})  # a platform's rounding: the same file
    assert find(tmp_path / "ok" / "vid.mp4", duration_s=13.0) is not None


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    text = json.dumps(YT, ensure_ascii=False)[:-1] + ', "title": "A second title"}'
    clip = download(tmp_path, text)
    with pytest.raises(SidecarError, match="key 'title' is given twice"):
        find(clip)


def test_a_fractional_timestamp_is_posted_to_the_second_and_the_report_keeps_the_sidecars_hash(
        tmp_path: Path, capsys) -> None:
    clip = download(tmp_path, YT | {"timestamp": 1709374500.5})
    assert find(clip).posted_at == "2024-03-02T10:15:00+00:00"
    _code, out, _err = run(capsys, "verify", clip, "--pipeline", "quick", "--json", "--out", tmp_path / "r")
    sidecar = json.loads(out)["sidecar"]
    assert sidecar["posted_at"] == "2024-03-02T10:15:00+00:00"
    assert sidecar["sha256"] == hashlib.sha256((tmp_path / "vid.info.json").read_bytes()).hexdigest()


@pytest.mark.parametrize(("text", "deepest"), [
    (b'{"a": "[[[{{{"}', 1),  # brackets in a string do not nest
    (b'{"a": "x\\\\", "b": [[[1]]]}', 4),  # an escaped backslash ends before the quote: the string closes
    (b'{"a": "x\\\"[[[[", "b": [1]}', 2),  # an escaped quote does not close it
    (b"[" * 65 + b"]" * 65, 65),
])
def test_nesting_is_measured_outside_strings(text: bytes, deepest: int, tmp_path: Path) -> None:
    assert formats._depth(text) == deepest == formats._depth(text, chunk=3)  # across chunk boundaries too
    if deepest > formats.MAX_NESTING:
        clip = download(tmp_path, text.decode())
        with pytest.raises(SidecarError, match="JSON nested 65 deep"):
            find(clip)


# -- 6: the desk's own edit outranks the sidecar ----------------------------------------------------------------

def test_index_add_again_keeps_what_index_edit_recorded(tmp_path: Path, capsys) -> None:
    clip = download(tmp_path / "yt", YT)
    ws = tmp_path / "ws"
    Workspace(ws).initialise()
    assert run(capsys, "index", "add", clip, "--workspace", ws)[0] == 0
    assert run(capsys, "index", "edit", "vid", "--title", "Desk title", "--first-seen", "2019-03-10",
               "--workspace", ws)[0] == 0
    code, out, err = run(capsys, "index", "add", clip, "--workspace", ws)
    assert code == 0 and "unchanged: vid" in out, out
    assert "kept title, source, url, first-seen as recorded for vid" in err
    with Workspace(ws).reading() as conn:
        assert tuple(conn.execute("SELECT title, first_seen FROM reference").fetchone()) == ("Desk title", "2019-03-10")


# -- 3: auto-archiver as its LocalStorage really stores an archive --------------------------------------------------

def test_auto_archiver_local_storage_layout_is_recognised(tmp_path: Path) -> None:
    """LocalStorage (path_generator flat, filename_generator static) stores each file as <sha256[:24]><ext>, the
    JSON enricher's metadata.json among them; the JSON's media names temporary paths and the hash enricher's
    ``SHA-256:<hex>``."""
    storage = tmp_path / "local_archive"
    storage.mkdir()
    digest = hashlib.sha256(CLIP.read_bytes()).hexdigest()
    clip = storage / f"{digest[:24]}.mp4"
    shutil.copy(CLIP, clip)
    record = json.loads((DATA / "autoarchiver" / "metadata.json").read_text(encoding="utf-8"))
    for item in record["media"]:
        item.pop("key", None)
        item["urls"] = []
    record["media"][0]["properties"]["hash"] = f"SHA-256:{digest}"
    text = json.dumps(record, ensure_ascii=False, default=str).encode()
    (storage / f"{hashlib.sha256(text).hexdigest()[:24]}.json").write_bytes(text)
    other = storage / f"{hashlib.sha256(ARCHIVE.read_bytes()).hexdigest()[:24]}.mp4"
    shutil.copy(ARCHIVE, other)
    s = find(clip)
    assert s is not None and s.format == "auto-archiver" and s.posted_at == "2024-03-02T10:15:00+00:00"
    assert s.sha256 == hashlib.sha256(text).hexdigest()  # the record read, so a later swap shows
    assert find(other) is None  # another archived file: its hash is in no record


# -- 4, 9, 11: Telegram whole-account exports, parsed once; forwards ---------------------------------------------

def account_export(root: Path) -> Path:
    """Telegram Desktop's whole-account JSON export: result.json with chats.list and left_chats.list, each chat's
    media in chats/chat_NNN/video_files/."""
    chat, left = dict(TG), dict(TG, name="Left channel", id=1790099999)
    left["messages"] = [dict(TG["messages"][1], id=77, file="chats/chat_002/video_files/gone.mp4")]
    chat["messages"] = [dict(m, file=f"chats/chat_001/{m['file']}") if "file" in m else m for m in TG["messages"]]
    data = {"about": "Here is the data you requested.", "personal_information": {"first_name": "Ана"},
            "chats": {"about": "This page lists all chats from this export.", "list": [chat]},
            "left_chats": {"about": "This page lists all chats you left.", "list": [left]}}
    root.mkdir(parents=True)
    (root / "result.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, src in (("chats/chat_001/video_files/clip.mp4", CLIP), ("chats/chat_001/video_files/old.mp4", ARCHIVE),
                      ("chats/chat_002/video_files/gone.mp4", CLIP)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, root / name)
    return root


def test_a_whole_account_export_names_its_media_three_folders_down(tmp_path: Path) -> None:
    root = account_export(tmp_path / "DataExport_2024-03-05")
    s = find(root / "chats" / "chat_001" / "video_files" / "clip.mp4")
    assert s is not None and s.format == "telegram" and s.message_id == "4411"
    gone = find(root / "chats" / "chat_002" / "video_files" / "gone.mp4")
    assert gone is not None and gone.channel == "Left channel"  # a chat the account left


def test_an_export_is_parsed_once_for_all_its_files(tmp_path: Path, capsys) -> None:
    root = account_export(tmp_path / "DataExport_2024-03-05")
    export = root / "result.json"
    first = formats._load(export, "telegram")[0]
    assert formats._load(export, "telegram")[0] is first  # unchanged: the parse is reused
    ws = tmp_path / "ws"
    Workspace(ws).initialise()
    code, _out, err = run(capsys, "index", "add", root / "chats", "--workspace", ws)
    assert code == 0, err
    assert err.count("from the telegram sidecar") == 3
    text = export.read_text(encoding="utf-8").replace("СРОЧНО", "Срочно")
    export.write_text(text, encoding="utf-8")
    os.utime(export, ns=(export.stat().st_atime_ns, export.stat().st_mtime_ns + 10**9))
    assert formats._load(export, "telegram")[0] is not first  # changed: read again
    assert find(root / "chats" / "chat_001" / "video_files" / "clip.mp4").caption.startswith("Срочно")


def test_a_forward_says_so_in_the_source_and_its_date_is_the_forwards(tmp_path: Path, capsys) -> None:
    export = tmp_path / "ChatExport"
    (export / "video_files").mkdir(parents=True)
    data = dict(TG, messages=[dict(TG["messages"][1], forwarded_from="Witness Channel ✔",
                                   date="2024-03-02T13:15:00+03:00")])
    (export / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    shutil.copy(CLIP, export / "video_files" / "clip.mp4")
    s = find(export / "video_files" / "clip.mp4")
    assert reference_metadata(s)["source"] == ("Городские новости | City News (Telegram export), forwarded from "
                                               "Witness Channel ✔")
    ws = tmp_path / "ws"
    Workspace(ws).initialise()
    code, _out, err = run(capsys, "index", "add", export / "video_files" / "clip.mp4", "--workspace", ws)
    assert code == 0 and "first-seen date is when the message was forwarded from Witness Channel ✔" in err
    del data["messages"][0]["date_unixtime"]
    (export / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    s = find(export / "video_files" / "clip.mp4")
    assert s.posted_at == "2024-03-02T13:15:00+03:00" and s.posted_at_field == "date"  # an offset: not "local"


def test_telegram_date_and_unixtime_years_apart_are_refused(tmp_path: Path) -> None:
    export = tmp_path / "ChatExport"
    (export / "video_files").mkdir(parents=True)
    data = dict(TG, messages=[dict(TG["messages"][1], date="2019-03-02T13:15:00")])
    (export / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    shutil.copy(CLIP, export / "video_files" / "clip.mp4")
    with pytest.raises(SidecarError, match="'date' and 'date_unixtime' disagree"):
        find(export / "video_files" / "clip.mp4")
