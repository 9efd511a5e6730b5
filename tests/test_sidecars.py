"""Platform sidecars (yt-dlp, Telegram Desktop export, auto-archiver) read for index add and verify.

The sidecars in tests/data/sidecars are written by the project as each tool writes them (README there); the
media beside them are real clips from sample_media, copied into a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from provenance.sidecar.formats import SidecarError, find, reference_metadata

from conftest import SAMPLES, cli_in_process

DATA = Path(__file__).parent / "data" / "sidecars"
CLIP = SAMPLES / "clips" / "reuse_edited.mp4"
ARCHIVE = SAMPLES / "known" / "archive_footage.mp4"
YT_NAME = "Протест у мэрии [dQw4w9WgXcQ]"


def run(capsys: pytest.CaptureFixture[str], *args: str | os.PathLike) -> tuple[int, str, str]:
    return cli_in_process(capsys, *args)


def new_workspace(capsys: pytest.CaptureFixture[str], root: Path) -> Path:
    assert run(capsys, "init", root)[0] == 0
    return root / ".provenance"


def yt_download(folder: Path, info: str = f"{YT_NAME}.info.json", media: Path = CLIP) -> Path:
    """A yt-dlp download: the media and its .info.json of the same stem."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = info.removesuffix(".info.json")
    clip = folder / f"{stem}{media.suffix}"
    shutil.copy(media, clip)
    shutil.copy(DATA / "ytdlp" / info, folder / info)
    return clip


def telegram_export(folder: Path) -> Path:
    export = folder / "ChatExport_2024-03-05"
    (export / "video_files").mkdir(parents=True)
    shutil.copy(DATA / "telegram" / "ChatExport_2024-03-05" / "result.json", export / "result.json")
    shutil.copy(CLIP, export / "video_files" / "clip.mp4")
    shutil.copy(ARCHIVE, export / "video_files" / "old.mp4")
    return export


# -- reading each format -------------------------------------------------------------------------------------

def test_yt_dlp_info_json_gives_title_uploader_utc_time_url_and_description(tmp_path: Path) -> None:
    clip = yt_download(tmp_path)
    s = find(clip)
    assert s is not None and s.format == "yt-dlp"
    assert s.title == "Протест у мэрии — видео очевидца"
    assert s.posted_by == "Новости Города" and s.channel == "Новости Города"
    assert s.posted_at == "2024-03-02T10:15:00+00:00" and s.posted_at_field == "timestamp"  # 1709374500, UTC
    assert s.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert s.caption == "Снято сегодня утром.\nПервое видео с места событий 🔥"
    assert s.message_id == "dQw4w9WgXcQ"


def test_yt_dlp_without_timestamp_or_uploader_falls_back_to_upload_date_and_channel(tmp_path: Path) -> None:
    clip = yt_download(tmp_path, "no_timestamp.info.json")
    s = find(clip)
    assert s is not None
    assert s.posted_at == "2019-05-01" and s.posted_at_field == "upload_date"
    assert s.posted_by == "Valley Weather Watch" and s.caption is None  # "" is no caption
    assert reference_metadata(s) == {"title": "Flood in the valley", "source": "Valley Weather Watch (yt-dlp "
                                     "download)", "url": "https://www.dailymotion.com/video/x8k2m1",
                                     "first_seen": "2019-05-01"}


def test_telegram_export_message_naming_the_file_with_entity_text_and_utc_time(tmp_path: Path) -> None:
    export = telegram_export(tmp_path)
    s = find(export / "video_files" / "clip.mp4")
    assert s is not None and s.format == "telegram" and s.message_id == "4411"
    assert s.caption == "СРОЧНО: взрыв на складе этой ночью. #новости"  # entities joined
    # date_unixtime (UTC) wins over "date" (13:15, the exporting computer's local time, UTC+3 here)
    assert s.posted_at == "2024-03-02T10:15:00+00:00" and s.posted_at_field == "date_unixtime"
    assert s.posted_by == s.channel == "Городские новости | City News"
    meta = reference_metadata(s)
    assert meta["title"] == "СРОЧНО: взрыв на складе этой ночью. #новости" and "url" not in meta
    assert meta["first_seen"] == "2024-03-02T10:15:00+00:00"


def test_telegram_message_without_unixtime_keeps_the_local_date_without_offset(tmp_path: Path) -> None:
    export = telegram_export(tmp_path)
    s = find(export / "video_files" / "old.mp4")
    assert s is not None and s.posted_at == "2024-03-04T09:00:00" and "no offset" in (s.posted_at_field or "")
    assert s.caption is None and s.first_seen() == "2024-03-04"  # the zone is unknown: the day is what is sure


def test_telegram_export_not_naming_the_file_is_no_sidecar(tmp_path: Path) -> None:
    export = telegram_export(tmp_path)
    other = export / "video_files" / "unnamed.mp4"
    shutil.copy(CLIP, other)
    assert find(other) is None


def test_auto_archiver_metadata_json_posting_time_not_archiving_time(tmp_path: Path) -> None:
    shutil.copy(DATA / "autoarchiver" / "metadata.json", tmp_path / "metadata.json")
    shutil.copy(CLIP, tmp_path / "1763900000000000000.mp4")
    s = find(tmp_path / "1763900000000000000.mp4")
    assert s is not None and s.format == "auto-archiver"
    assert s.posted_at == "2024-03-02T10:15:00+00:00" and s.posted_at_field == "metadata.timestamp"
    assert s.posted_by == "Witness 🕊️" and s.url.startswith("https://twitter.com/witness_account/")
    assert s.caption.endswith("Stay safe everyone 🙏")
    shutil.copy(CLIP, tmp_path / "other.mp4")
    assert find(tmp_path / "other.mp4") is None  # its media list does not name this file


# -- hostile and malformed sidecars ---------------------------------------------------------------------------

GOOD = json.loads((DATA / "ytdlp" / f"{YT_NAME}.info.json").read_text())


@pytest.mark.parametrize(("content", "said"), [
    (b'{"title": "cut off', "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[1, 2]", "not an object"),
    (json.dumps(GOOD | {"title": ["a", "list"]}).encode(), "'title' is a list"),
    (json.dumps(GOOD | {"timestamp": 0}).encode(), "impossible posting date"),
    (json.dumps(GOOD | {"timestamp": 4102444800}).encode(), "impossible posting date"),  # 2100
    (json.dumps(GOOD | {"timestamp": 1e300}).encode(), "not a possible date"),
    (json.dumps(GOOD | {"timestamp": True}).encode(), "not a UNIX time"),
    (json.dumps(GOOD | {"upload_date": "20241340"}).encode(), "not a calendar date"),
    (json.dumps(GOOD | {"uploader": "Новости\x1b[2J\x1b[31mFAKE"}).encode(), "control characters"),
    (json.dumps(GOOD | {"webpage_url": "javascript:alert(1)"}).encode(), "not a web address"),
    # before: accepted, then `index export` wrote it and `index import` of that export refused the whole list
    (json.dumps(GOOD | {"webpage_url": "https://x.example/\u202egpj.exe"}).encode(), "bidirectional controls"),
    (b'{"timestamp": NaN}', "not valid JSON"),
    (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
])
def test_malformed_yt_dlp_sidecar_is_refused_in_one_line(tmp_path: Path, content: bytes, said: str) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copy(CLIP, clip)
    (tmp_path / "clip.info.json").write_bytes(content)
    with pytest.raises(SidecarError) as caught:
        find(clip)
    message = str(caught.value)
    assert said in message and "\n" not in message and "refused" in message and "clip.info.json" in message


def test_huge_sidecar_is_refused_before_parsing(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copy(CLIP, clip)
    with open(tmp_path / "clip.info.json", "wb") as fh:
        fh.write(b'{"description": "' + b"x" * (16 << 20) + b'"}')
    with pytest.raises(SidecarError, match="over 16 MiB"):
        find(clip)


def test_fifo_sidecar_is_refused_without_waiting(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copy(CLIP, clip)
    os.mkfifo(tmp_path / "clip.info.json")
    with pytest.raises(SidecarError, match="not a regular file"):
        find(clip)


def test_other_tools_result_json_or_metadata_json_is_no_sidecar(tmp_path: Path) -> None:
    """Common names: a result.json or metadata.json of another shape is not a sidecar, and says nothing."""
    (tmp_path / "result.json").write_text(json.dumps({"accuracy": 0.93, "runs": [1, 2]}))
    (tmp_path / "metadata.json").write_text(json.dumps({"camera": "GoPro", "fps": 25}))
    shutil.copy(CLIP, tmp_path / "clip.mp4")
    assert find(tmp_path / "clip.mp4") is None


def test_telegram_export_with_wrong_types_is_refused(tmp_path: Path) -> None:
    export = telegram_export(tmp_path)
    data = json.loads((export / "result.json").read_text())
    data["messages"][1]["text"] = [{"type": "bold", "text": 7}]
    (export / "result.json").write_text(json.dumps(data))
    with pytest.raises(SidecarError, match="entity"):
        find(export / "video_files" / "clip.mp4")


# -- index add -------------------------------------------------------------------------------------------------

def test_index_add_fills_reference_from_the_sidecar_and_flags_win(tmp_path: Path, capsys) -> None:
    ws = new_workspace(capsys, tmp_path / "ws")
    clip = yt_download(tmp_path / "dl")
    code, out, err = run(capsys, "index", "add", clip, "--source", "Desk stringer", "--workspace", ws)
    assert code == 0, err
    assert f"{clip}: title, url, first-seen from the yt-dlp sidecar" in err  # source came from the flag
    code, out, _ = run(capsys, "index", "list", "--json", "--workspace", ws)
    (ref,) = json.loads(out)
    assert ref["title"] == "Протест у мэрии — видео очевидца" and ref["source"] == "Desk stringer"
    assert ref["url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert ref["first_seen"] == "2024-03-02T10:15:00+00:00"


def test_index_add_with_a_refused_sidecar_says_so_and_uses_none_of_it(tmp_path: Path, capsys) -> None:
    ws = new_workspace(capsys, tmp_path / "ws")
    clip = tmp_path / "clip.mp4"
    shutil.copy(CLIP, clip)
    (tmp_path / "clip.info.json").write_text(json.dumps(GOOD | {"timestamp": -5}))
    code, out, err = run(capsys, "index", "add", clip, "--workspace", ws)
    assert code == 0 and "warning: sidecar" in err and "refused" in err
    _, out, _ = run(capsys, "index", "list", "--json", "--workspace", ws)
    (ref,) = json.loads(out)
    assert ref["title"] == "clip" and ref["first_seen"] is None and ref["source"] is None


# -- verify --------------------------------------------------------------------------------------------------

def test_verify_reports_the_post_and_finds_footage_first_seen_before_it(tmp_path: Path, capsys) -> None:
    """The edited clip of the archive footage (first seen 2019-03-14), posted on Telegram on 2024-03-02."""
    ws = new_workspace(capsys, tmp_path / "ws")
    code, _, err = run(capsys, "index", "add", ARCHIVE, "--first-seen", "2019-03-14", "--source", "Archive",
                       "--workspace", ws)
    assert code == 0, err
    export = telegram_export(tmp_path / "tg")
    code, out, err = run(capsys, "verify", export / "video_files" / "clip.mp4", "--pipeline", "quick", "--json",
                         "--out", tmp_path / "reports", "--workspace", ws)
    assert code == 0, err
    report = json.loads(out)
    side = report["sidecar"]
    assert side["found"] and side["format"] == "telegram" and side["message_id"] == "4411"
    assert side["posted_at"] == "2024-03-02T10:15:00+00:00" and side["file"].endswith("result.json")
    assert side["caption"].startswith("СРОЧНО")
    found = {f["code"]: f for f in report["findings"]}
    assert "Posted 2024-03-02T10:15:00+00:00 by Городские новости | City News" in found["sidecar_posted"]["message"]
    late = found["sidecar_posted_after_first_seen"]
    assert late["severity"] == "warning"
    assert "Posted 2024-03-02" in late["message"] and "first seen 2019-03-14" in late["message"]
    assert late["evidence"]["reference_id"] == "archive_footage"
    # the clip's container says it was created 2024-05-02T09:30Z: after the posting, so one of them is wrong
    assert "is after the posting date 2024-03-02" in found["sidecar_capture_after_post"]["message"]
    folder = Path(err.split("report written to ")[1].split(" (report.json")[0])
    assert "Platform sidecar" in (folder / "report.html").read_text()
    assert "## Platform sidecar" in (folder / "report.md").read_text()


def test_verify_without_a_sidecar_says_nothing_of_one(tmp_path: Path, capsys) -> None:
    photo = tmp_path / "photo.jpg"
    shutil.copy(SAMPLES / "clips" / "photo_reuse.jpg", photo)
    (tmp_path / "photo.info.json").write_text("{not json")
    code, out, err = run(capsys, "verify", photo, "--pipeline", "quick", "--json", "--out", tmp_path / "r")
    assert code == 0, err
    report = json.loads(out)
    assert report["sidecar"]["found"] is False and "not valid JSON" in report["sidecar"]["refused"]
    assert [f["code"] for f in report["findings"] if f["code"].startswith("sidecar")] == ["sidecar_refused"]


def test_verify_finds_a_capture_time_well_before_the_posting(tmp_path: Path, capsys) -> None:
    """Filmed 2024-05-02T09:30Z (the clip's creation_time), posted 2024-06-01 by the yt-dlp record."""
    clip = tmp_path / "clip.mp4"
    shutil.copy(CLIP, clip)
    (tmp_path / "clip.info.json").write_text(json.dumps(GOOD | {"timestamp": 1717200000, "upload_date": "20240601"}),
                                             encoding="utf-8")
    code, out, err = run(capsys, "verify", clip, "--pipeline", "quick", "--json", "--out", tmp_path / "r")
    assert code == 0, err
    found = {f["code"]: f for f in json.loads(out)["findings"]}
    early = found["sidecar_posted_after_capture"]
    assert early["severity"] == "notice" and "recorded 29 days before it was posted" in early["message"]
    assert "capture time is 2024-05-02T09:30:00Z" in early["message"]
    assert "sidecar_posted_after_first_seen" not in found  # nothing indexed: no first-seen date to compare


@pytest.mark.parametrize(("posted", "first_seen", "late"), [
    ("2019-03-15T01:00:00+14:00", "2019-03-14", False),  # 2019-03-14T11:00Z: the same day somewhere on Earth
    ("2019-03-15T12:00:00-11:00", "2019-03-14", True),  # 2019-03-15T23:00Z: more than a day after
    ("2024-03-04T09:00:00", "2024-03-02T08:00:00+03:00", True),  # no offset (a Telegram local date): read as UTC
    ("2019-05-01", "2019-05-01", False),
])
def test_first_seen_before_posting_compares_instants_with_a_day_of_slack(posted, first_seen, late) -> None:
    from provenance.report.model import Match, MediaSection, Report, SidecarSection, VisualSection
    from provenance.sidecar.stage import SidecarStage

    report = Report(media=MediaSection(path="clip.mp4", sha256="0" * 64))
    report.visual = VisualSection(status="ok", matches=[Match("ref", first_seen=first_seen)])
    report.sidecar = SidecarSection(status="ok", found=True, format="yt-dlp", file="clip.info.json", posted_at=posted)
    codes = [f.code for f in SidecarStage().findings(report)]
    assert ("sidecar_posted_after_first_seen" in codes) is late
