"""Draw the driver app's icons (SVG and PNG) — run once; the results are committed.

``python -m driver_app.make_icons`` rewrites driver_app/static/icons/. The same simple picture
(a white minibus on deep blue with a yellow route line) in every size; the PNGs are "maskable"
(the picture keeps to the inner 80 %).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent / "static" / "icons"
BLUE, WHITE, YELLOW, DARK = "#0b3d91", "#ffffff", "#ffd23f", "#0b1f44"

#: The picture on a 100 × 100 grid: (kind, coordinates, colour).
SHAPES: list[tuple[str, tuple[float, ...], str]] = [
    ("line", (14, 80, 86, 80), YELLOW),
    ("rect", (18, 34, 82, 68), WHITE),
    ("rect", (24, 40, 38, 52), DARK),
    ("rect", (43, 40, 57, 52), DARK),
    ("rect", (62, 40, 76, 52), DARK),
    ("circle", (32, 70, 7), DARK),
    ("circle", (68, 70, 7), DARK),
    ("circle", (32, 70, 3), WHITE),
    ("circle", (68, 70, 3), WHITE),
]


def svg() -> str:
    """The icon as SVG text."""
    parts = [f'<rect width="100" height="100" rx="18" fill="{BLUE}"/>']
    for kind, c, colour in SHAPES:
        if kind == "line":
            parts.append(f'<line x1="{c[0]}" y1="{c[1]}" x2="{c[2]}" y2="{c[3]}" '
                         f'stroke="{colour}" stroke-width="6" stroke-linecap="round" '
                         'stroke-dasharray="2 10"/>')
        elif kind == "rect":
            parts.append(f'<rect x="{c[0]}" y="{c[1]}" width="{c[2] - c[0]}" '
                         f'height="{c[3] - c[1]}" rx="4" fill="{colour}"/>')
        else:
            parts.append(f'<circle cx="{c[0]}" cy="{c[1]}" r="{c[2]}" fill="{colour}"/>')
    body = "".join(parts)
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">{body}</svg>\n'


def png(size: int, path: Path) -> None:
    """The icon as a square PNG of ``size`` pixels, picture inside the maskable safe zone."""
    img = Image.new("RGB", (size, size), BLUE)
    draw = ImageDraw.Draw(img)
    k, off = size * 0.8 / 100, size * 0.1

    def p(x: float, y: float) -> tuple[float, float]:
        return off + x * k, off + y * k

    for kind, c, colour in SHAPES:
        if kind == "line":
            x = c[0]
            while x <= c[2]:
                cx, cy = p(x, c[1])
                r = 3 * k
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
                x += 12
        elif kind == "rect":
            draw.rounded_rectangle((*p(c[0], c[1]), *p(c[2], c[3])), radius=4 * k, fill=colour)
        else:
            cx, cy = p(c[0], c[1])
            r = c[2] * k
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    img.save(path, optimize=True)


def main() -> None:
    """Write icon.svg, icon-192.png and icon-512.png."""
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "icon.svg").write_text(svg(), encoding="utf-8")
    for size in (192, 512):
        png(size, ICONS / f"icon-{size}.png")


if __name__ == "__main__":
    main()
