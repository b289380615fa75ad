"""Draw the brand images of the integration into custom_components/hoiio/brand/.

A white phone handset with two sound waves in a blue circle (icon), and the
same circle beside the word "Hoiio" (logo), each at 1x and 2x. Needs Pillow
(installed with scripts/setup): `.venv/bin/python scripts/make_brand_images.py`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont

BRAND: Final = Path(__file__).resolve().parent.parent / "custom_components/hoiio/brand"
BLUE: Final = (3, 110, 184, 255)
WHITE: Final = (255, 255, 255, 255)
INK: Final = (33, 33, 33, 255)
SUPERSAMPLE: Final = 4
FONTS: Final = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "DejaVuSans-Bold.ttf",
)

type Point = tuple[float, float]


def _rotate(points: list[Point], degrees: float, center: Point) -> list[Point]:
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = center
    return [
        (cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos)
        for x, y in points
    ]


def _capsule(start: Point, end: Point, width: float, steps: int = 24) -> list[Point]:
    """Return a polygon of a thick line with round ends."""
    (x1, y1), (x2, y2) = start, end
    heading = math.atan2(y2 - y1, x2 - x1)
    radius = width / 2
    points: list[Point] = []
    for index in range(steps + 1):
        angle = heading + math.pi / 2 + math.pi * index / steps
        points.append((x1 + radius * math.cos(angle), y1 + radius * math.sin(angle)))
    for index in range(steps + 1):
        angle = heading - math.pi / 2 + math.pi * index / steps
        points.append((x2 + radius * math.cos(angle), y2 + radius * math.sin(angle)))
    return points


def _draw_handset(draw: ImageDraw.ImageDraw, center: Point, size: float) -> None:
    """Draw a phone handset from upper left to lower right, pieces facing down-left."""
    cx, cy = center
    s = size
    parts = (
        ((cx - 0.30 * s, cy - 0.10 * s), (cx + 0.30 * s, cy - 0.10 * s), 0.20 * s),
        ((cx - 0.34 * s, cy - 0.08 * s), (cx - 0.27 * s, cy + 0.14 * s), 0.28 * s),
        ((cx + 0.34 * s, cy - 0.08 * s), (cx + 0.27 * s, cy + 0.14 * s), 0.28 * s),
    )
    for start, end, width in parts:
        draw.polygon(_rotate(_capsule(start, end, width), 45, center), fill=WHITE)


def _draw_waves(draw: ImageDraw.ImageDraw, center: Point, size: float) -> None:
    """Draw two sound waves off the back of the handset, to the upper right."""
    cx, cy = center
    for radius in (0.40 * size, 0.56 * size):
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        draw.arc(box, start=-72, end=-18, fill=WHITE, width=round(0.075 * size))


def draw_icon(size: int) -> Image.Image:
    """Return the square icon, `size` pixels wide."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = big * 0.02
    draw.ellipse((margin, margin, big - margin, big - margin), fill=BLUE)
    center = (big * 0.45, big * 0.55)
    _draw_handset(draw, center, big * 0.66)
    _draw_waves(draw, center, big * 0.66)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def draw_logo(height: int) -> Image.Image:
    """Return the logo: the icon and the word Hoiio, `height` pixels high."""
    big = height * SUPERSAMPLE
    font = _font(round(big * 0.62))
    text = "Hoiio"
    left, top, right, bottom = font.getbbox(text)
    gap = big * 0.12
    width = round(big + gap + (right - left) + big * 0.06)
    image = Image.new("RGBA", (width, big), (0, 0, 0, 0))
    image.alpha_composite(
        draw_icon(height).resize((big, big), Image.Resampling.LANCZOS)
    )
    draw = ImageDraw.Draw(image)
    y = (big - (bottom - top)) / 2 - top
    draw.text((big + gap - left, y), text, font=font, fill=INK)
    out_width = round(width / SUPERSAMPLE)
    return image.resize((out_width, height), Image.Resampling.LANCZOS)


def main() -> None:
    """Write icon.png, icon@2x.png, logo.png and logo@2x.png."""
    BRAND.mkdir(parents=True, exist_ok=True)
    images = {
        "icon.png": draw_icon(256),
        "icon@2x.png": draw_icon(512),
        "logo.png": draw_logo(256),
        "logo@2x.png": draw_logo(512),
    }
    for name, image in images.items():
        image.save(BRAND / name, optimize=True)
        print(f"{BRAND / name}: {image.width}x{image.height}")


if __name__ == "__main__":
    main()
