"""The picture of a round official seal, drawn programmatically (no image files to manage).

A red ring, a five-pointed star in the centre and the unit's name along the upper arc, as on
the physical 公章, in a CJK font from Debian's fonts-noto-cjk. Transparent outside the ink, so
the stamp lets the 署名 and 成文日期 underneath show through, as real ink does.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from services.errors import NotFound

SEAL_RED = (220, 0, 0, 255)
DEFAULT_SIZE_PX = 600
# Noto Serif CJK SC Bold (face 2 of the collection) resembles the 宋体 cut into real seals.
FONT_CANDIDATES = (
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"), 2),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"), 2),
)
RING_WIDTH = 0.035  # of the diameter
STAR_RADIUS = 0.18
TEXT_SPAN_DEGREES = 250.0
TEXT_MAX_EM = 0.15


def render_seal_png(unit_name: str, size_px: int = DEFAULT_SIZE_PX) -> bytes:
    """A PNG (RGBA) of the round red seal of ``unit_name``, ``size_px`` pixels square."""
    image = Image.new("RGBA", (size_px, size_px), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ring = max(2, round(size_px * RING_WIDTH))
    draw.ellipse((ring // 2, ring // 2, size_px - ring // 2 - 1, size_px - ring // 2 - 1),
                 outline=SEAL_RED, width=ring)  # fmt: skip
    draw.polygon(_star_points(size_px / 2, size_px / 2, size_px * STAR_RADIUS), fill=SEAL_RED)
    _draw_arc_text(image, unit_name, ring)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _star_points(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    # Ten vertices alternating outer and inner radius, the first pointing straight up.
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for index in range(10):
        r = radius if index % 2 == 0 else inner
        angle = math.radians(-90 + index * 36)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def _draw_arc_text(image: Image.Image, text: str, ring: int) -> None:
    size = image.width
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return
    outer = size / 2 - ring * 1.8
    span = min(TEXT_SPAN_DEGREES, 36.0 * len(chars))
    step = span / len(chars)
    # Each glyph gets 85% of its arc, measured on the circle through the glyphs' centres.
    theta = math.radians(step)
    em = min(size * TEXT_MAX_EM, 0.85 * outer * theta / (1 + 0.425 * theta))
    radius = outer - em / 2
    font = _font(round(em))
    for index, char in enumerate(chars):
        angle = -span / 2 + step * (index + 0.5)  # degrees clockwise from 12 o'clock
        glyph = _glyph(char, font, round(em * 1.3)).rotate(
            -angle, resample=Image.Resampling.BICUBIC, expand=True
        )
        x = size / 2 + radius * math.sin(math.radians(angle)) - glyph.width / 2
        y = size / 2 - radius * math.cos(math.radians(angle)) - glyph.height / 2
        image.alpha_composite(glyph, (round(x), round(y)))


def _glyph(char: str, font: ImageFont.FreeTypeFont, box: int) -> Image.Image:
    glyph = Image.new("RGBA", (box, box), (0, 0, 0, 0))
    ImageDraw.Draw(glyph).text((box / 2, box / 2), char, font=font, fill=SEAL_RED, anchor="mm")
    return glyph


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    for path, index in FONT_CANDIDATES:
        if path.exists():
            return ImageFont.truetype(str(path), size, index=index)
    raise NotFound("缺少中文字体（fonts-noto-cjk），无法生成印章图片")
