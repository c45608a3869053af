"""Tables for WeasyPrint drawn as lines of text over a ruled background.

WeasyPrint lays out every table cell as a box of its own with its own line box, text layout and
borders: about 1 ms of CPU a cell, most of the time of a 43-page results PDF
(docs/benchmarks.md, "The results PDF with 40 report cards"). A :func:`grid` is the same table
as one block of preformatted lines — each line of a row is one run of text, its cells placed
at their column's edge with spaces of exact widths — over one SVG image holding the rules and
the shaded header. It costs about what the text costs.

How a cell lands on its column: every character's advance is read from the shipped font
(``static/fonts/NotoSansSC-subset.otf``), and the gap before a cell is filled with em spaces
(U+2003) and hair spaces (U+200A, a sixteenth of an em). The font has no glyph for either;
Pango keeps spaces in the current font and HarfBuzz draws them at those standard widths, so
the text still uses the one embedded font. Positions are rounded to a sixteenth of an em
(about 0.2 mm at 9 pt) against the exact position, so the error never builds up along a line.

A cell too wide for its column wraps at a character (CJK) or a space; the row grows to its
tallest cell and the other cells are centred in it vertically. A grid never breaks across a
page (``break-inside: avoid``); a long table is given as several grids, each with its header.

pdftotext and a screen reader read each row as one line, cells in order.
"""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from html import escape
from pathlib import Path

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

FONT_FILE = Path(settings.BASE_DIR) / "static" / "fonts" / "NotoSansSC-subset.otf"
EM_SPACE, EN_SPACE, QUARTER_SPACE, HAIR_SPACE = "\u2003", "\u2002", "\u2005", "\u200a"
SPACES = {EM_SPACE: 1.0, EN_SPACE: 1 / 2, QUARTER_SPACE: 1 / 4, HAIR_SPACE: 1 / 16}
STEPS = 16  # hair spaces to the em
PT = 25.4 / 72  # millimetres in a point
RULE = "#777777"
RULE_WIDTH = 0.5 * PT
HEAD_FILL = "#eeeeee"


@dataclass(frozen=True)
class Column:
    width: float  # mm, rules included
    align: str = "left"  # left, right or center
    fill: str = ""  # a background for the whole column (e.g. the 总分 column)


@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""  # a class on the cell's text: a colour, never a size
    align: str = ""  # instead of the column's (a header cell is centred)
    mark: str = ""  # drawn after the text, in the class ``grid-mark`` (a note's number)


@dataclass(frozen=True)
class Row:
    cells: list[Cell | str]
    css: str = ""  # a class on the whole row's text (e.g. an unranked unit in grey)
    fill: str = ""  # a background for the row (e.g. the 总分 line)


@dataclass(frozen=True)
class Band:
    """Rows drawn at one font size and line height: a header, or the body."""

    rows: list[Row]
    size: float  # pt
    line: float  # mm, the height of one line of text
    head: bool = False  # shaded as a header
    css: str = ""  # a class on the band's block (colour, weight)
    # Filled in by grid(): the lines of text of each row.
    _lines: list[list[str]] = field(default_factory=list, compare=False, repr=False)


@cache
def _metrics() -> tuple[dict[int, float], float]:
    """The shipped font's advances in em, by code point, and the width of the space."""
    from fontTools.ttLib import TTFont

    font = TTFont(FONT_FILE, lazy=True)
    per_em = font["head"].unitsPerEm
    advances = font["hmtx"].metrics
    widths = {code: advances[name][0] / per_em for code, name in font.getBestCmap().items()}
    return widths, widths.get(0x20, 0.224)


def text_width(text: str) -> float:
    """The advance of ``text`` in em, as the shipped font draws it. A character outside the
    font (drawn by the system CJK font) counts as an em if East Asian wide, else half."""
    widths, _space = _metrics()
    total = 0.0
    for char in text:
        width = widths.get(ord(char))
        if width is None:
            width = SPACES.get(char)
            if width is None:
                width = 1.0 if unicodedata.east_asian_width(char) in "WF" else 0.5
        total += width
    return total


def wrap(text: str, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` em: broken after a space or between any two
    characters where no space is near (Chinese has none); never a line-initial comma or stop."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for char in paragraph:
            char_width = text_width(char)
            if (
                line
                and line_width + char_width > width + 1e-6
                and char not in "，。、；：）」』,.;:)"
            ):
                cut = line.rfind(" ")
                if cut > 0 and not _is_wide(line[cut + 1 :]):
                    lines.append(line[:cut])
                    line = line[cut + 1 :]
                else:
                    lines.append(line)
                    line = ""
                line_width = text_width(line)
            line += char
            line_width += char_width
        lines.append(line)
    return lines


def _is_wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in "WF" for c in text)


def _gap(em: float) -> str:
    """Blank of ``em`` rounded to a sixteenth: em, en, quarter-em and hair spaces, fewest
    first (each is a glyph to shape and draw)."""
    steps = max(0, round(em * STEPS))
    ems, rest = divmod(steps, STEPS)
    halves, rest = divmod(rest, STEPS // 2)
    quarters, hairs = divmod(rest, STEPS // 4)
    return EM_SPACE * ems + EN_SPACE * halves + QUARTER_SPACE * quarters + HAIR_SPACE * hairs


def _span(text: str, css: str) -> str:
    text = escape(text)
    return f'<span class="{css}">{text}</span>' if css and text else text


def _line(
    columns: list[Column], cells: list[tuple[str, Cell, str]], size: float, pad: float
) -> str:
    """One line of a row: each cell's text at its column's edge, in ``size`` pt. A cell is
    (its text on this line, the cell, the mark drawn after that text)."""
    em_mm = size * PT
    parts, at = [], 0.0  # at: where the text drawn so far ends, in em
    left = 0.0  # the column's left rule, in mm
    for column, (text, cell, mark) in zip(columns, cells, strict=True):
        width = text_width(text + mark)
        inner = (column.width - 2 * pad) / em_mm
        start = left / em_mm + pad / em_mm
        align = cell.align or column.align
        if align == "right":
            start += inner - width
        elif align == "center":
            start += (inner - width) / 2
        if text or mark:
            gap = _gap(start - at)
            parts.append(gap + _span(text, cell.css) + _span(mark, "grid-mark"))
            at += text_width(gap) + width
        left += column.width
    return "".join(parts)


def _svg(columns: list[Column], bands: list[Band], total_width: float, height: float) -> str:
    half = RULE_WIDTH / 2
    shapes = []
    # Column fills under everything but the header.
    x = 0.0
    head_height = sum(_band_height(b) for b in bands if b.head)
    for column in columns:
        if column.fill:
            shapes.append(
                f'<rect x="{x:.3f}" y="{head_height:.3f}" width="{column.width:.3f}" '
                f'height="{height - head_height:.3f}" fill="{column.fill}"/>'
            )
        x += column.width
    y = 0.0
    rules = []
    for band in bands:
        band_top = y
        for row, lines in zip(band.rows, band._lines, strict=True):
            if row.fill:
                shapes.append(
                    f'<rect x="0" y="{y:.3f}" width="{total_width:.3f}" '
                    f'height="{len(lines) * band.line:.3f}" fill="{row.fill}"/>'
                )
            y += len(lines) * band.line
            rules.append(f"M0 {y:.3f}H{total_width:.3f}")
        if band.head:
            shapes.append(
                f'<rect x="0" y="{band_top:.3f}" width="{total_width:.3f}" '
                f'height="{y - band_top:.3f}" fill="{HEAD_FILL}"/>'
            )
    x = 0.0
    for column in columns[:-1]:
        x += column.width
        rules.append(f"M{x:.3f} 0V{height:.3f}")
    rules.append(f"M0 {half:.3f}H{total_width:.3f}")
    rules.append(f"M{half:.3f} 0V{height:.3f}M{total_width - half:.3f} 0V{height:.3f}")
    rules.append(f"M0 {height - half:.3f}H{total_width:.3f}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.3f}mm" '
        f'height="{height:.3f}mm" viewBox="0 0 {total_width:.3f} {height:.3f}">'
        + "".join(shapes)
        + f'<path d="{"".join(rules)}" stroke="{RULE}" stroke-width="{RULE_WIDTH:.3f}" '
        'fill="none"/></svg>'
    )


def _band_height(band: Band) -> float:
    return sum(len(lines) * band.line for lines in band._lines)


def grid(columns: list[Column], bands: list[Band], *, css: str = "") -> SafeString:
    """The table of ``bands`` (header and body rows) in ``columns``, as HTML for WeasyPrint.

    Needs the ``.text-grid`` rules of static/css/result_pdf.css (pre-formatted lines, no
    break inside). Every cell is plain text, escaped here.
    """
    pad = 1.2  # mm between a rule and a cell's text
    total_width = sum(column.width for column in columns)
    html_bands = []
    for band in bands:
        em_mm = band.size * PT
        band._lines.clear()
        band_lines = []
        for row in band.rows:
            cells = [cell if isinstance(cell, Cell) else Cell(str(cell)) for cell in row.cells]
            wrapped = [
                wrap(cell.text, (column.width - 2 * pad) / em_mm - text_width(cell.mark))
                for column, cell in zip(columns, cells, strict=True)
            ]
            height = max(len(lines) for lines in wrapped)
            lines = []
            for index in range(height):
                line_cells = []
                for cell, cell_lines in zip(cells, wrapped, strict=True):
                    top = (height - len(cell_lines)) // 2
                    inside = 0 <= index - top < len(cell_lines)
                    last = index - top == len(cell_lines) - 1
                    line_cells.append(
                        (cell_lines[index - top] if inside else "", cell, cell.mark if last else "")
                    )
                lines.append(_line(columns, line_cells, band.size, pad))
            band._lines.append(lines)
            text = "\n".join(lines)
            if row.css:
                text = f'<span class="{row.css}">{text}</span>'
            band_lines.append(text)
        look = (band.size, band.line, band.css)
        if html_bands and html_bands[-1][0] == look:
            html_bands[-1][1].extend(band_lines)  # one block for both: a block costs ~1 ms
        else:
            html_bands.append((look, band_lines))
    height = sum(_band_height(band) for band in bands)
    svg = _svg(columns, bands, total_width, height)
    image = base64.b64encode(svg.encode()).decode()
    return mark_safe(  # noqa: S308  (every text escaped in _span; numbers formatted here)
        f'<div class="text-grid {css}" style="width:{total_width:.3f}mm;height:{height:.3f}mm;'
        f"background-image:url('data:image/svg+xml;base64,{image}')\">"
        + "".join(
            f'<div class="band {band_css}" style="font-size:{size}pt;line-height:{line:.3f}mm">'
            + "\n".join(lines)
            + "</div>"
            for (size, line, band_css), lines in html_bands
        )
        + "</div>"
    )
