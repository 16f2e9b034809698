"""The seal picture is a red, round stamp with a star and the unit's name along the arc."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from services.seal.image import render_seal_png

SIZE = 400
NAMES = ["宁江市教育局", "宁江市人民政府办公室", "中共宁江市委员会组织部"]


def _image(name: str) -> Image.Image:
    image = Image.open(io.BytesIO(render_seal_png(name, size_px=SIZE)))
    image.load()
    return image


def _is_red(pixel: tuple[int, int, int, int]) -> bool:
    r, g, b, a = pixel
    return a > 200 and r > 180 and g < 60 and b < 60


def _red_count(image: Image.Image, points: list[tuple[int, int]]) -> int:
    rgba = image.convert("RGBA")
    return sum(_is_red(rgba.getpixel(p)) for p in points)  # type: ignore[arg-type]


def _circle(radius: float, start: float = 0, end: float = 360, n: int = 180):
    c = SIZE / 2
    return [
        (
            round(c + radius * math.sin(math.radians(start + (end - start) * i / n))),
            round(c - radius * math.cos(math.radians(start + (end - start) * i / n))),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("name", NAMES)
def test_ring_is_red_and_round(name: str) -> None:
    image = _image(name)
    assert image.mode == "RGBA"
    # The ring is drawn inward from an edge half a ring-width inside the picture.
    ring = _circle(SIZE / 2 - SIZE * 0.035)
    assert _red_count(image, ring) == len(ring)


@pytest.mark.parametrize("name", NAMES)
def test_outside_the_circle_is_transparent(name: str) -> None:
    image = _image(name)
    for corner in [(2, 2), (SIZE - 3, 2), (2, SIZE - 3), (SIZE - 3, SIZE - 3)]:
        assert image.getpixel(corner)[3] == 0  # type: ignore[index]
    # Just inside the ring at the bottom there is no ink either: the paper shows through.
    assert image.getpixel((SIZE // 2, round(SIZE * 0.85)))[3] == 0  # type: ignore[index]


@pytest.mark.parametrize("name", NAMES)
def test_star_in_the_centre(name: str) -> None:
    image = _image(name)
    assert _red_count(image, [(SIZE // 2, SIZE // 2), (SIZE // 2, round(SIZE * 0.38))]) == 2


@pytest.mark.parametrize("name", NAMES)
def test_name_is_drawn_along_the_upper_arc(name: str) -> None:
    with_name, without = _image(name), _image("")
    arc = [
        (x, y)
        for radius in range(round(SIZE * 0.3), round(SIZE * 0.44), 3)
        for x, y in _circle(radius, -120, 120)
    ]
    assert _red_count(without, arc) == 0
    assert _red_count(with_name, arc) > len(arc) * 0.08
    # Longer names do not run into the bottom of the seal.
    bottom = _circle(SIZE * 0.38, 160, 200, 20)
    assert _red_count(with_name, bottom) == 0
