"""The letters' round red seal (印章) as SVG artwork: ``portal/static/letters/seal.svg`` is drawn by

python -m portal.letters.seal portal/static/letters/seal.svg
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..pdf.fonts import find_source


def make_seal_svg(
    text: str = "人才计划办公室",
    *,
    color: str = "#d7000f",
    family: str = "Letter Serif",
    weight: str = "normal",
    embolden: float = 0.9,
    outlines: bool = False,
) -> str:
    """A round red seal: ``text`` along the upper arc, a five-pointed star in the middle.

    The characters are SVG text in the letter font (宋体-like, the typeface official seals use),
    each placed and turned on the arc with the ``x``/``y``/``rotate`` lists, and thickened by a
    stroke of ``embolden`` units. Text rather than glyph outlines: WeasyPrint parses every SVG
    path again for every PDF, and seven glyph outlines cost ~7 ms a letter against ~1 ms for the
    text, whose glyphs are already embedded for the issuer's name. ``outlines=True`` draws the
    same seal with the glyph outlines of the system font instead (same look without any font;
    ``bench/letters.py --ablation`` measures the difference). Makes
    ``portal/static/letters/seal.svg``::

        python -m portal.letters.seal portal/static/letters/seal.svg
    """
    import math
    from xml.sax.saxutils import escape, quoteattr

    size, centre, outer, ring = 200.0, 100.0, 95.0, 5.0
    glyph_size = 34.0  # em size in SVG units
    inner_radius = outer - ring / 2 - 6 - glyph_size  # radius of the glyphs' em-box bottom
    baseline = 0.12 * glyph_size  # CJK em box: the baseline is 0.12 em above its bottom
    span = 230.0  # degrees covered by the text, centred on the top
    xs, ys, angles = [], [], []
    count = len(text)
    for i in range(count):
        angle = -span / 2 + span * (i + 0.5) / count  # degrees, clockwise from the top
        # Origin (baseline, left) of the upright glyph above the centre, turned about the centre.
        dx, dy = -glyph_size / 2, -inner_radius - baseline
        a = math.radians(angle)
        xs.append(f"{centre + dx * math.cos(a) - dy * math.sin(a):.2f}")
        ys.append(f"{centre + dx * math.sin(a) + dy * math.cos(a):.2f}")
        angles.append(f"{angle:.2f}")

    star_outer, star_inner = 30.0, 30.0 * 0.381966
    points = []
    for k in range(10):
        radius = star_outer if k % 2 == 0 else star_inner
        a = math.radians(-90 + 36 * k)
        points.append(f"{centre + radius * math.cos(a):.2f},{centre + 4 + radius * math.sin(a):.2f}")
    if outlines:
        drawn = _seal_outlines(text, xs, ys, angles, glyph_size, weight)
        text_element = (
            f'<g fill="{color}" stroke="{color}" stroke-width="{embolden:g}">\n'
            + "".join(f'<path d="{d}"/>\n' for d in drawn)
            + "</g>\n"
        )
    else:
        families = f"{family}, Noto Serif CJK SC, Source Han Serif SC, SimSun, serif"
        text_element = (
            f'<text fill="{color}" stroke="{color}" stroke-width="{embolden:g}" '
            f'font-family={quoteattr(families)} font-weight="{weight}" '
            f'font-size="{glyph_size:g}" x="{" ".join(xs)}" y="{" ".join(ys)}" '
            f'rotate="{" ".join(angles)}">{escape(text)}</text>\n'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size:g} {size:g}" '
        f'width="42mm" height="42mm">\n'
        f"<title>{escape(text)}</title>\n"
        f'<circle cx="{centre:g}" cy="{centre:g}" r="{outer - ring / 2:g}" fill="none" '
        f'stroke="{color}" stroke-width="{ring:g}"/>\n'
        f'<polygon fill="{color}" points="{" ".join(points)}"/>\n' + text_element + "</svg>\n"
    )


def _seal_outlines(text, xs, ys, angles, glyph_size, weight) -> list[str]:
    """SVG path data of each character of ``text`` in Noto Serif CJK SC, placed like SVG text
    with ``x``/``y``/``rotate`` (glyph origin at (x, y), turned by the angle about it)."""
    import math

    from fontTools.misc.transform import Transform
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.ttLib import TTFont

    path, index = find_source("Noto Serif CJK SC", "Bold" if weight == "bold" else "Regular")
    drawn = []
    with TTFont(path, fontNumber=index, lazy=True) as font:
        glyph_set, cmap = font.getGlyphSet(), font.getBestCmap()
        scale = glyph_size / font["head"].unitsPerEm
        for char, x, y, angle in zip(text, xs, ys, angles, strict=True):
            pen = SVGPathPen(glyph_set, ntos=lambda v: f"{v:.2f}".rstrip("0").rstrip("."))
            # Font units (y up) -> SVG (y down), origin at (x, y), turned clockwise by the angle.
            matrix = Transform().translate(float(x), float(y)).rotate(math.radians(float(angle))).scale(scale, -scale)
            glyph_set[cmap[ord(char)]].draw(TransformPen(pen, matrix))
            drawn.append(pen.getCommands())
    return drawn


def main(argv: list[str] | None = None) -> int:
    """Write the seal to the SVG file named by the one argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m portal.letters.seal SVG", file=sys.stderr)
        return 2
    target = Path(args[0])
    target.write_text(make_seal_svg(), encoding="utf-8")
    print(f"{target}: {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
