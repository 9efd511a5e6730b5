"""The claim dossier: what an editor reads in 30 seconds about a claim and the files attached to it (issue 17).

``provenance claim report ID`` writes ``<out>/claim-<id>/dossier.html`` (self-contained: inline CSS, pictures as
data: URIs, no script, nothing fetched) and ``dossier.md``: the claim; a roll-up in plain sentences ("1 of 3
files reuses footage first seen 2019-03-14, before the claimed date 2024-10"); the evidence against and for,
strongest first, each line with its source (reference title, source, URL and first-seen date; the metadata tag;
the GPS distance; the language timeline) and a link to the file's report, with the clip frame beside the
reference frame for each visual match; the unknowns folded into one line per check; the analyst's verdict, if
recorded. The tool gives evidence, the desk gives verdicts.

Every attached report is read through :func:`read_verified` first, and its ``report.html`` (where the match
pictures are) only with the SHA-256 its verified manifest records: a report failing either is named with its
reason and never used. Like a report, a dossier is never overwritten: each is a run folder
``claim-<id>.runs/<time>-<random>/`` built aside and renamed into place, ``claim-<id>`` the link to the latest
(``report.writer``'s pattern). Where it was written is remembered in the workspace (``meta`` key
``dossier:<claim id>``), and attaching, detaching or a verdict writes a fresh one there (:func:`refresh`).

The batch overview (``batch/summary.py``) is built from the same parts (``report/templates/parts.html.j2``,
:func:`file_pictures`, :data:`CHECK_WORDS`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

from provenance.claims import _RATINGS, DOSSIER_META, Attachment, Claim, ClaimStore, EarlierCopy, earlier_matches
from provenance.report.integrity import IntegrityError, read_regular, read_verified
from provenance.report.model import Report
from provenance.report.runs import Run, earlier_runs_reading, later_runs_not_reading, stages_read, text_not_read
from provenance.report.view import data_uri, environment, fmt_t, md, md_url, safe_link
from provenance.visual.wording import coverage, describe

DOSSIER_HTML, DOSSIER_MD = "dossier.html", "dossier.md"
_META_KEY = DOSSIER_META  # + claim id -> the folder the claim's dossier is written into (absolute)
_HTML_MAX = 64 << 20  # report.html read for its pictures at most (the report.json cap of report.integrity)

# Each check in words, in the order a reader weighs them: an earlier publication is a record outside the file;
# credentials are signed; capture time and GPS are metadata anyone can edit; language is a soft cue.
CHECK_WORDS: dict[str, str] = {
    "first_seen": "Published before",
    "c2pa": "Content Credentials",
    "location": "GPS position",
    "capture_time": "Capture time",
    "language": "Spoken language",
}
RESULT_WORDS = {"contradicts": "against the claim", "supports": "for the claim", "neutral": "neither for nor against",
                "unknown": "unknown"}
RESULT_SHORT = {"contradicts": "against", "supports": "for", "neutral": "neither", "unknown": "unknown"}
# Finding codes in words for the overview pages (report.json and summary.json keep the codes); a code not listed
# reads as its words ("gps_zero" -> "gps zero").
FINDING_WORDS = {
    "known_imagery_match": "reuses known imagery", "no_known_match": "no match in the index",
    "index_empty": "index empty: reuse not checked", "reencode_trace": "re-encoded",
    "capture_time_zeroed": "capture time zeroed", "capture_time_future": "capture time in the future",
    "no_capture_metadata": "no capture metadata", "modified_after_capture": "modified after capture",
    "editing_software": "edited with software", "editing_history": "editing history",
    "brand_mismatch": "container brand does not fit", "gps_present": "GPS position recorded",
    "gps_zero": "GPS at 0, 0", "gps_invalid": "GPS position invalid", "gps_unreadable": "GPS unreadable",
    "gps_no_position": "GPS block without a position", "gps_no_hemisphere": "GPS without N/S or E/W",
    "impossible_duration": "impossible duration", "spoken_language": "spoken language",
    "mixed_language": "several languages", "language_uncertain": "language uncertain",
    "speech_unidentified": "speech of unidentified language", "no_speech": "no speech",
    "dialect_cue": "dialect cue", "audio_channel": "one audio channel used", "audio_incomplete": "audio incomplete",
    "stage_error": "a stage failed", "video_decode_error": "video did not decode fully",
    "limit_frames_sampled": "sampling stopped early", "limit_frames_decoded": "decoding stopped early",
}


def finding_words(code: str) -> str:
    return FINDING_WORDS.get(code, code.replace("_", " "))


def check_words(check: str) -> str:
    """A check's name for people; a check this version does not know reads as its code in words."""
    return CHECK_WORDS.get(check, check.replace("_", " ").capitalize())


def _check_rank(check: str) -> int:
    return list(CHECK_WORDS).index(check) if check in CHECK_WORDS else len(CHECK_WORDS)


# -- pictures from a verified report folder ------------------------------------------------------------------
@dataclass
class Pictures:
    """Data URIs taken from a verified report's ``report.html``: per match number (1-based), the first clip
    frame shown beside the reference frame it matched; and the clip's first contact-sheet frame."""

    pairs: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    first_frame: str | None = None


class _PictureParser(HTMLParser):
    """Collects the ``query-frame``/``reference-frame`` images of each ``article#match-N`` and the first image of
    the contact sheet. Only ``data:image/jpeg`` URIs are kept (the report's CSP allows nothing else)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pictures = Pictures()
        self._match: int | None = None
        self._figure: dict[str, str] = {}
        self._in_sheet = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = set(a.get("class", "").split())
        if tag == "article" and (m := re.fullmatch(r"match-(\d+)", a.get("id", ""))):
            self._match, self._figure = int(m.group(1)), {}
        elif tag == "div" and "sheet" in classes:
            self._in_sheet, self._match = True, None
        elif tag == "img" and a.get("src", "").startswith("data:image/jpeg;base64,"):
            if self._match is not None and classes & {"query-frame", "reference-frame"}:
                self._figure["q" if "query-frame" in classes else "r"] = a["src"]
            elif self._in_sheet and self.pictures.first_frame is None:
                self.pictures.first_frame = a["src"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self._match is not None:
            pair = (self._figure.get("q"), self._figure.get("r"))
            have = self.pictures.pairs.get(self._match)
            if have is None or (None in have and None not in pair):  # the first pair with both pictures
                self.pictures.pairs[self._match] = pair
            self._figure = {}
        elif tag == "article":
            self._match = None


def file_pictures(folder: Path, data: dict[str, Any]) -> Pictures:
    """The pictures of a verified report (``data`` from :func:`read_verified` of ``folder/report.json``), read from
    its ``report.html`` only when the bytes read have the SHA-256 the verified manifest records (a page swapped
    after the check shows nothing). Never raises: a report without pictures gives none."""
    integrity = data.get("integrity") if isinstance(data.get("integrity"), dict) else {}
    files = integrity.get("files") if isinstance(integrity.get("files"), dict) else {}
    want = files.get("report.html")
    if not isinstance(want, str):
        return Pictures()
    try:
        raw = read_regular(folder / "report.html", _HTML_MAX)
    except (OSError, IntegrityError):
        return Pictures()
    if hashlib.sha256(raw).hexdigest() != want:
        return Pictures()
    parser = _PictureParser()
    parser.feed(raw.decode("utf-8", "replace"))
    parser.close()
    return parser.pictures


# -- the dossier's parts -------------------------------------------------------------------------------------
@dataclass
class Source:
    """Where a line of evidence comes from: a label and its text, with a link when it is an http(s) URL."""

    label: str
    text: str
    url: str | None = None


@dataclass
class EvidenceLine:
    check: str
    result: str  # contradicts | supports
    file: str  # the media file's name
    detail: str  # the assessment's detail: what was observed
    sources: list[Source]
    report_href: str  # link to the file's report.html (the attached run), relative to the dossier (_href)
    pair: tuple[str | None, str | None] | None = None  # (clip frame, reference frame) of a visual match
    rank: tuple[float, ...] = ()  # strongest first
    copy: EarlierCopy | None = None  # the earlier publication a first-seen line rests on

    @property
    def check_words(self) -> str:
        return check_words(self.check)


@dataclass
class FoldedLine:
    """All files whose check came out ``unknown`` (or ``neutral``), one line per check, the reasons grouped."""

    check: str
    result: str
    count: int
    reasons: list[tuple[str, list[str]]]  # (detail, file names)

    @property
    def check_words(self) -> str:
        return check_words(self.check)


@dataclass
class FileRow:
    name: str
    media_path: str
    sha256: str
    kind: str
    report_href: str
    origin: str  # who vouched for the report when attached
    results: list[tuple[str, str]]  # (check, result), in CHECK_WORDS order
    thumb: str | None = None


@dataclass
class Refused:
    name: str
    report_path: str
    reason: str
    missing: bool = False  # the report is not there (moved or deleted), which is not tampering


@dataclass
class Dossier:
    claim: Claim
    generated_at: str
    rollup: list[str]
    against: list[EvidenceLine]
    support: list[EvidenceLine]
    folded: list[FoldedLine]
    files: list[FileRow]
    refused: list[Refused]
    verdict: str | None  # the analyst's rating in words, None while open
    # for each file whose run used read the on-screen text while a later run of it did not: which run is used
    # and why the later one is not (report/runs.py; issue 18 round-7 tester, D3)
    runs: list[str] = field(default_factory=list)

    @property
    def claim_link(self) -> str | None:
        return safe_link(self.claim.source_url)

    @property
    def checks(self) -> list[str]:
        """Every check any file was assessed by, in :data:`CHECK_WORDS` order."""
        return sorted({c for f in self.files for c, _ in f.results}, key=lambda c: (_check_rank(c), c))


def _href(report_path: str, base: Path | None) -> str:
    """The link to a report's page: relative to ``base``, the folder the dossier is opened from, so that the
    dossier and its reports can be moved or copied together and no local path is published; a ``file:`` URI
    without a base (``claim show``) or where no relative path exists."""
    target = (Path(report_path) / "report.html").resolve()
    if base is not None:
        with contextlib.suppress(ValueError):
            # the folder the page is opened from, the link itself not followed: a browser resolves "../" against
            # the path it was given (reports/claim-<id>/), not against the run folder the link points to
            return quote(Path(os.path.relpath(target, base.parent.resolve() / base.name)).as_posix())
    return target.as_uri()


def _sources(check: str, ev: dict[str, Any], report: Report) -> list[Source]:
    """The origin of one assessment's evidence, from the assessment and the verified report."""
    out: list[Source] = []
    if check == "first_seen":
        m = next((x for x in report.visual.matches if x.reference_id == ev.get("reference_id")), None)
        title = ev.get("title") or (m.title if m else None) or ev.get("reference_id")
        source = ev.get("source") or (m.source if m else None)
        url = ev.get("url") or (m.url if m else None)
        out.append(Source("reference", str(title)))
        if source:
            out.append(Source("source", str(source)))
        if url:
            out.append(Source("URL", str(url), safe_link(str(url))))
        if ev.get("first_seen"):
            out.append(Source("first seen", str(ev["first_seen"])))
        if m is not None:
            out.append(Source("clip covered", coverage(m, report).words))
    elif check == "capture_time":
        if ev.get("source"):
            out.append(Source("metadata tag", str(ev["source"])))
        if ev.get("timezone") is not None:
            out.append(Source("time zone", str(ev["timezone"])))
    elif check == "location":
        if ev.get("distance_km") is not None:
            radius = float(ev.get("radius_km") or 0)
            out.append(Source("GPS distance", f"{float(ev['distance_km']):,.1f} km (radius {radius:g} km)"))
        if ev.get("source"):
            out.append(Source("metadata tag", str(ev["source"])))
    elif check == "language":
        regions = [f"{r.language} {fmt_t(r.start)}–{fmt_t(r.end)}{' (uncertain)' if r.uncertain else ''}"
                   for r in report.audio.timeline]
        if regions:
            out.append(Source("language timeline", ", ".join(regions)))
    elif check == "c2pa":
        if ev.get("signer"):
            out.append(Source("signer", str(ev["signer"])))
        if ev.get("claim_generator"):
            out.append(Source("made with", str(ev["claim_generator"])))
    return out


def _rank(check: str, ev: dict[str, Any]) -> tuple[float, ...]:
    """Strongest first: by check (see :data:`CHECK_WORDS`), then within a check the larger measure (more seconds
    of reused footage, an earlier first-seen date, a greater GPS distance; a nearer position for support)."""
    base = float(_check_rank(check))
    if check == "first_seen":
        seen = str(ev.get("first_seen") or "9999")
        return base, -float(ev.get("matched_s") or 0.0), float(re.sub(r"\D", "", seen[:10]) or 0)
    if check == "location" and ev.get("distance_km") is not None:
        return base, -float(ev["distance_km"])
    return (base,)


def build(store: ClaimStore, claim_id: str, *, pictures: bool = True, base: Path | None = None) -> Dossier:
    """Read every attached report (verified), and lay out the claim's dossier (without ``pictures``, none are
    read: ``claim show`` needs the sentences only); links to reports relative to ``base`` (see :func:`_href`)."""
    claim = store.get(claim_id)
    attachments = store.attachments(claim_id)
    against: list[EvidenceLine] = []
    support: list[EvidenceLine] = []
    folded: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    files: list[FileRow] = []
    refused: list[Refused] = []
    runs: list[str] = []
    names = shown_names(attachments)
    for a in attachments:
        name = names[a.sha256]  # two files of one name are told apart
        used = _read(a, store, pictures, name)
        if isinstance(used, Refused):
            refused.append(used)
            continue
        report, pictures = used
        href = _href(a.report_path, base)
        if later := later_runs_not_reading(a.report_path, store.workspace.key_root):
            runs.append(runs_sentence(name, a.report_path, later))
        elif earlier := earlier_runs_reading(a.report_path, store.workspace.key_root):
            runs.append(unread_sentence(name, a.report_path, report, earlier))
        order = sorted(a.assessment, key=lambda x: _check_rank(x.check))
        files.append(FileRow(name, a.media_path, a.sha256, a.kind, href, a.origin_text,
                             [(x.check, x.result) for x in order], _thumb(report, pictures)))
        for x in order:
            if x.check == "first_seen" and x.result == "contradicts" and (copies := earlier_lines(
                    claim, report, pictures, name, href)):
                against.extend(copies)  # every earlier copy, not only the earliest the check decided on
            elif x.result in ("contradicts", "supports"):
                pair = None
                if x.check == "first_seen":
                    number = next((n for n, m in enumerate(report.visual.matches, 1)
                                   if m.reference_id == x.evidence.get("reference_id")), None)
                    pair = pictures.pairs.get(number, (None, None)) if number else (None, None)
                sources = _sources(x.check, x.evidence, report)
                line = EvidenceLine(x.check, x.result, name, x.detail, sources, href, pair,
                                    _rank(x.check, x.evidence) if x.result == "contradicts"
                                    else _support_rank(x.check, x.evidence))
                if x.check == "first_seen":
                    said = {src.label: src.text for src in sources}
                    line.copy = EarlierCopy(said.get("reference", ""), said.get("URL"), said.get("source"),
                                            said.get("first seen"))
                (against if x.result == "contradicts" else support).append(line)
            else:
                folded[(x.check, x.result)][x.detail].append(name)
    against.sort(key=lambda e: (e.rank, e.file))
    support.sort(key=lambda e: (e.rank, e.file))
    folds = [FoldedLine(check, result, sum(len(v) for v in reasons.values()),
                        sorted(((d, sorted(n)) for d, n in reasons.items()), key=lambda r: -len(r[1])))
             for (check, result), reasons in sorted(folded.items(),
                                                    key=lambda kv: (kv[0][1] == "unknown", _check_rank(kv[0][0])))]
    verdict = None if claim.status == "open" else _RATINGS[claim.status][1]
    return Dossier(claim, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                   rollup(claim, files, against, support, refused), against, support, folds, files, refused, verdict,
                   runs)


def shown_names(attachments: list[Attachment]) -> dict[str, str]:
    """Each attachment's file name as the dossier shows it, by SHA-256: the name, or, where files of different
    content share it, the name and its SHA-256's first 12 digits, as the report folders are named (the issue 18
    round-7 tester's "kb_v2.1.mp4, kb_v2.1.mp4", two encodes of one name)."""
    shas: dict[str, set[str]] = defaultdict(set)
    for a in attachments:
        shas[a.name].add(a.sha256)
    return {a.sha256: f"{a.name} ({a.sha256[:12]})" if len(shas[a.name]) > 1 else a.name for a in attachments}


def unread_sentence(name: str, report_path: str, report: Report, earlier: list[Run]) -> str:
    """The run used read no on-screen text and an earlier run of the file did, but lacks a stage this one read."""
    newest = earlier[0]
    here = {key for key, section in report.sections.items() if section.status == "ok"}
    lacks = sorted(here - stages_read(newest.data))
    text = report.sections.get("text")
    why = text_not_read({"text": {"status": text.status, "unavailable": getattr(text, "unavailable", None)}}
                        if text is not None else {})
    return (f"{name}: the run used is {Path(report_path).name}, which did not read the on-screen text ({why}); an "
            f"earlier run of the same file (same SHA-256), {newest.name}, did, but read no "
            f"{' or '.join(lacks) or 'other'} evidence this run holds, so it does not replace it: verify the file "
            "again with the text stage available to have both.")


def runs_sentence(name: str, report_path: str, later: list[Run]) -> str:
    """Which run of ``name`` is used and why a later run of it is not (report/runs.py)."""
    newest = later[0]
    more = f" (and {len(later) - 1} other later run{'s' if len(later) > 2 else ''})" if len(later) > 1 else ""
    return (f"{name}: the run used is {Path(report_path).name}, which read the on-screen text; a later run of the "
            f"same file (same SHA-256), {newest.name}{more}, did not ({text_not_read(newest.data)}) and does not "
            "replace it.")


def earlier_lines(claim: Claim, report: Report, pictures: Pictures, name: str, href: str) -> list[EvidenceLine]:
    """One line of evidence against the claim per earlier copy of the footage (:func:`claims.earlier_matches`),
    each with its own strength in words (method first, then the seconds), its source, and its picture pair."""
    out = []
    period = claim.period
    for m in earlier_matches(claim, report):  # empty without a period
        assert period is not None
        number = report.visual.matches.index(m) + 1
        strength = describe(m, report)
        title = m.title or m.reference_id
        detail = (f"'{title}' was first seen {m.first_seen}, before the claimed date {period.text}; "
                  f"{strength.headline[0].lower()}{strength.headline[1:].rstrip('.')}")
        covered = coverage(m, report)
        ev = {"reference_id": m.reference_id, "first_seen": m.first_seen, "title": m.title, "source": m.source,
              "url": m.url, "matched_s": covered.seconds}
        sources = _sources("first_seen", ev, report)
        line = EvidenceLine("first_seen", "contradicts", name, detail, sources, href,
                            pictures.pairs.get(number, (None, None)),
                            (float(_check_rank("first_seen")), -strength.hash_s, -strength.keypoint_s,
                             float(re.sub(r"\D", "", str(m.first_seen)[:10]) or 0)),
                            EarlierCopy(str(title), m.url, m.source, m.first_seen))
        out.append(line)
    return out


def _support_rank(check: str, ev: dict[str, Any]) -> tuple[float, ...]:
    order = ["c2pa", "location", "capture_time", "language"]
    base = float(order.index(check)) if check in order else float(len(order))
    if check == "location" and ev.get("distance_km") is not None:
        return base, float(ev["distance_km"])
    return (base,)


def _thumb(report: Report, pictures: Pictures) -> str | None:
    if pictures.pairs:
        q = pictures.pairs[min(pictures.pairs)][0]
        if q:
            return q
    if pictures.first_frame:
        return pictures.first_frame
    return data_uri(next(iter(report.artefacts.thumbnails.values()), None))


def _read(a: Attachment, store: ClaimStore, pictures: bool = True,
          name: str | None = None) -> tuple[Report, Pictures] | Refused:
    """The attached report, verified, with its pictures; or why it is not used (the file called ``name``)."""
    folder = Path(a.report_path)
    name = name or a.name
    try:
        data = read_verified(folder / "report.json", store.workspace.key_root)
        report = Report.from_dict(data)
    except IntegrityError as exc:
        return Refused(name, a.report_path, str(exc).removeprefix(f"{folder / 'report.json'}: "),
                       missing=not (folder / "report.json").exists())
    except OSError as exc:
        return Refused(name, a.report_path, f"the report cannot be read there (moved or deleted?): "
                       f"{exc.strerror or exc}", missing=True)
    except Exception as exc:  # a sealed report this version cannot read
        return Refused(name, a.report_path, f"not a provenance report this version reads ({exc})")
    if report.media.sha256 != a.sha256:
        return Refused(name, a.report_path, "the report at this path is of another file than the one attached")
    return report, file_pictures(folder, data) if pictures else Pictures()


# -- the roll-up ---------------------------------------------------------------------------------------------
def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _of(names: list[str], n: int, one: str, many: str) -> str:
    """``1 of 3 files (recycled.mp4) reuses``: the count, and the files by name while they are few (up to 3) and
    not all of them."""
    unique = sorted(set(names))
    k = len(unique)
    which = f" ({', '.join(unique)})" if 0 < k <= 3 and k < n else ""
    return f"{k} of {_files(n)}{which} {one if k == 1 else many}"


def _names(lines: list[EvidenceLine]) -> list[str]:
    return [e.file for e in lines]


def _years(dates: list[str]) -> str:
    """``2019-03-14`` for one date, ``2015–2022`` for dates over several years, ``2019`` for several in one."""
    unique = sorted(set(d[:10] for d in dates))
    if len(unique) == 1:
        return unique[0]
    first, last = unique[0][:4], unique[-1][:4]
    return first if first == last else f"{first}–{last}"


def rollup(claim: Claim, files: list[FileRow], against: list[EvidenceLine], support: list[EvidenceLine],
           refused: list[Refused]) -> list[str]:
    """The dossier's first lines: for each check that decided something, how many files and which way."""
    n = len(files)
    out: list[str] = []
    if not n:
        out.append("No attached report can be used yet." if refused else "No reports attached yet.")
    by = defaultdict(list)
    for e in [*against, *support]:
        by[(e.check, e.result)].append(e)
    when = f", before the claimed date {claim.claimed_date}" if claim.claimed_date else ""
    place = claim.place or (f"{claim.lat:.4f}, {claim.lon:.4f}" if claim.lat is not None else "the claimed place")
    if reuse := by[("first_seen", "contradicts")]:
        seen = [s.text for e in reuse for s in e.sources if s.label == "first seen"]
        out.append(f"{_of(_names(reuse), n, 'reuses', 'reuse')} footage first seen "
                   f"{_years(seen) if seen else 'earlier'}{when}.")
    for result, words in (("contradicts", "far from"), ("supports", "within {r:g} km of")):
        if lines := by[("location", result)]:
            km = sorted(float(s.text.split(" km")[0].replace(",", "")) for e in lines for s in e.sources
                        if s.label == "GPS distance")
            dist = (f" ({km[0]:,.0f} km away)" if len(km) == 1 else f" ({km[0]:,.0f}–{km[-1]:,.0f} km away)") \
                if km and result == "contradicts" else ""
            out.append(f"{_of(_names(lines), n, 'has a GPS position', 'have GPS positions')} "
                       f"{words.format(r=claim.radius_km)} {place}{dist}.")
    if lines := by[("capture_time", "contradicts")]:
        out.append(f"{_of(_names(lines), n, 'was', 'were')} recorded outside the claimed date {claim.claimed_date} "
                   "(capture time in the metadata).")
    if lines := by[("capture_time", "supports")]:
        out.append(f"{_of(_names(lines), n, 'was', 'were')} recorded within the claimed date {claim.claimed_date} "
                   "(capture time in the metadata).")
    expected = ", ".join(claim.languages)
    if lines := by[("language", "supports")]:
        out.append(f"{_of(_names(lines), n, 'has', 'have')} speech in an expected language ({expected}).")
    if lines := by[("language", "contradicts")]:
        out.append(f"{_of(_names(lines), n, 'has', 'have')} speech only in languages other than {expected}.")
    if lines := by[("c2pa", "supports")]:
        out.append(f"{_of(_names(lines), n, 'carries', 'carry')} trusted Content Credentials.")
    if lines := by[("c2pa", "contradicts")]:
        out.append(f"{_of(_names(lines), n, 'has', 'have')} Content Credentials that do not validate (changed after "
                   "signing).")
    for (check, result), lines in by.items():  # a check this dossier has no sentence for
        if check not in CHECK_WORDS and lines:
            out.append(f"{_of(_names(lines), n, 'is', 'are')} {RESULT_WORDS[result]} by {check_words(check).lower()}.")
    if n and not against:
        out.append(f"Nothing in the {_files(n)} contradicts the claim." if n > 1 else
                   "Nothing in the file contradicts the claim.")
    # a file for the claim is counted in its own sentence above: counted here too, the roll-up read "1 of 4 files
    # ... is for the claim" then "3 of 4 files (... the same file ...) show nothing against", 5 of 4 (issue 18
    # round 8, N4); each file is now in one of the counts
    original = sorted({f.name for f in files} - {e.file for e in against} - {e.file for e in support})
    if n and against and original:
        out.append(f"{_of(original, n, 'shows', 'show')} nothing for or against the claim.")
    total = len(refused) + n
    for group, words in (([r for r in refused if r.missing], ("is missing", "are missing")),
                         ([r for r in refused if not r.missing], ("fails its integrity check",
                                                                  "fail their integrity check"))):
        if k := len(group):
            out.append(f"{k} of {total} attached reports {words[k != 1]} and {'is' if k == 1 else 'are'} not used: "
                       f"{', '.join(sorted(r.name for r in group))}.")
    return out


# -- what a ClaimReview takes from it -----------------------------------------------------------------------
def earlier_copies(d: Dossier) -> list[EarlierCopy]:
    """The earlier publications the evidence against rests on (verified reports only), once each, in the order
    of the evidence: strongest first, as the review's text gives them."""
    seen: dict[tuple[str, str | None], EarlierCopy] = {}
    for e in d.against:
        if e.copy is not None:
            seen.setdefault((e.copy.title, e.copy.url), e.copy)
    return list(seen.values())


def review_text(d: Dossier) -> str:
    """A ClaimReview's ``reviewBody``: sentences a reader can follow, from the dossier (verified reports only)."""
    n = len(d.files)
    parts = [f"We examined {_files(n)} attached to this claim." if n else "No file attached to this claim could be "
             "used.", *d.rollup]
    for title, lines in (("Against the claim", d.against), ("For the claim", d.support)):
        for e in lines:
            parts.append(f"{title} ({e.check_words.lower()}), {e.file}: {e.detail}.")
    if d.verdict:
        parts.append(f"Our rating: {d.verdict}.")
    return " ".join(parts)


# -- writing -------------------------------------------------------------------------------------------------
def render_html(d: Dossier) -> str:
    return environment("provenance.report").get_template("dossier.html.j2").render(
        d=d, RESULT_WORDS=RESULT_WORDS, RESULT_SHORT=RESULT_SHORT, check_words=check_words)


def render_markdown(d: Dossier) -> str:
    c = d.claim
    out = [f"# Claim dossier: {md(c.id)}", "", f"> {md(c.statement)}", ""]
    facts = [("Claimed date", c.claimed_date), ("Place", _place(c)), ("Expected languages", ", ".join(c.languages)),
             ("Claim seen at", c.source_url)]
    out += [f"- **{label}:** {md(value)}" for label, value in facts if value]
    out += [f"- **Verdict:** {md(d.verdict)} (recorded by the desk)" if d.verdict else
            "- **Verdict:** none recorded (the tool gives evidence; the desk gives verdicts: "
            "`provenance claim verdict ID RATING`)", "", "## In short", ""]
    out += [f"- {md(s)}" for s in d.rollup]
    out += [f"- {md(s)}" for s in d.runs]
    for title, lines in (("Evidence against the claim", d.against), ("Evidence for the claim", d.support)):
        out += ["", f"## {title}", ""]
        if not lines:
            out.append("None.")
        for e in lines:
            src = "; ".join(f"{s.label}: [{md(s.text)}](<{md_url(s.url)}>)" if s.url else f"{s.label}: {md(s.text)}"
                            for s in e.sources)
            out.append(f"- **{md(e.check_words)}**, {md(e.file)}: {md(e.detail)}. "
                       f"[report](<{md_url(e.report_href)}>)" + (f"  \n  {src}" if src else ""))
    if d.folded:
        out += ["", "## Neither for nor against, and unknown", ""]
        for f in d.folded:
            reasons = "; ".join(f"{md(r)} ({md(', '.join(names))})" for r, names in f.reasons)
            out.append(f"- **{md(f.check_words)}**: {RESULT_WORDS[f.result]} for {_files(f.count)}: {reasons}")
    if d.refused:
        out += ["", "## Reports not used", ""]
        out += [f"- {md(r.name)}: {md(r.reason)} (`{md(r.report_path)}`)" for r in d.refused]
    out += ["", "## Files", ""]
    if not d.files:
        out.append("No usable report.")
    else:
        out += ["| File | " + "".join(f"{check_words(c)} | " for c in d.checks) + "Report |",
                "|---|" + "---|" * len(d.checks) + "---|"]
    for f in d.files:
        results = dict(f.results)
        out.append(f"| {md(f.name)} | " + " | ".join(RESULT_SHORT.get(results.get(c, ""), "") for c in d.checks)
                   + f" | [report](<{md_url(f.report_href)}>) |")
    out += ["", f"*Evidence, not verdicts. Written {md(d.generated_at)} by provenance, offline.*"]
    return "\n".join(out) + "\n"


def _place(c: Claim) -> str | None:
    if c.lat is None:
        return c.place
    return f"{c.place + ' ' if c.place else ''}({c.lat:.4f}, {c.lon:.4f}; within {c.radius_km:g} km)"


def folder_name(claim_id: str) -> str:
    """``claim-<id>`` with the id reduced to safe characters (ids may hold ``/``)."""
    safe = re.sub(r"[^\w.-]+", "_", claim_id, flags=re.UNICODE).strip("._-")[:80] or "claim"
    if safe != claim_id:  # "a/b" and "a_b" must not share a folder
        safe += "-" + hashlib.sha256(claim_id.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"claim-{safe}"


def write(store: ClaimStore, claim_id: str, out: str | Path | None = None) -> Path:
    """Write the claim's dossier as a new run folder in ``out`` and point ``out/claim-<id>`` at it; remember
    ``out`` for :func:`refresh`. ``out`` defaults to where the claim's last dossier was written, else
    ``./reports``. Returns the path of ``dossier.html`` through the link."""
    from provenance.report.writer import RUNS_SUFFIX, symlinks_supported, write_run

    out = Path(out if out is not None else written_to(store, claim_id) or Path("reports"))
    out.mkdir(parents=True, exist_ok=True)
    # the page is opened through the link claim-<id>/, or from its run folder where the disk has no links
    name = folder_name(claim_id)
    base = out / name if symlinks_supported(out) else out / (name + RUNS_SUFFIX) / "run"
    d = build(store, claim_id, base=base)
    where = write_run(Path(out) / folder_name(claim_id), {DOSSIER_HTML: render_html(d), DOSSIER_MD: render_markdown(d)})
    with store.workspace.transaction() as conn:
        store.remember_root(conn)  # first: paths stored before a move follow it, then this one goes in
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     (_META_KEY + claim_id, str(Path(out).resolve())))
    return where / DOSSIER_HTML


def written_to(store: ClaimStore, claim_id: str) -> Path | None:
    """Where the claim's dossier was last written (the ``out`` folder), or None."""
    with store.workspace.reading() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_META_KEY + claim_id,)).fetchone()
    return Path(store.relocate(row[0], must_exist=False)) if row else None


def refresh(store: ClaimStore, claim_id: str) -> Path | None:
    """Write a fresh dossier where the last one was written (nothing when none was): after an attachment, a
    detachment or a verdict. Returns its path."""
    out = written_to(store, claim_id)
    return write(store, claim_id, out) if out is not None else None


def forget(store: ClaimStore, claim_id: str) -> None:
    """Forget where a deleted claim's dossier was written (the dossiers on disk stay)."""
    with store.workspace.transaction() as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (_META_KEY + claim_id,))
