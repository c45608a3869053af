"""core/textgrid.py: tables drawn as lines of text over their rules, for the results PDF."""

import re
import shutil
import subprocess
from base64 import b64decode
from html import unescape

import pytest
from weasyprint import HTML

from core.textgrid import PT, Band, Cell, Column, Row, grid, text_width, wrap
from scoring.exports.pdf import FONT_FILE, STYLESHEET

PDFTOTEXT, PDFFONTS = shutil.which("pdftotext"), shutil.which("pdffonts")
PAD = 1.2  # mm, as in grid()


def lines_of(html: str) -> list[str]:
    """The text lines of a grid as drawn: tags removed, spaces kept."""
    text = re.sub(r"<[^>]+>", "", html.replace("</div><div", "</div>\n<div"))
    return unescape(text).splitlines()


def svg_of(html: str) -> str:
    return b64decode(re.search(r"base64,([^']+)'", html).group(1)).decode()


def end_of(line: str, text: str) -> float:
    """Where ``text`` ends on ``line``, in em from the grid's left edge."""
    return text_width(line[: line.index(text) + len(text)])


def test_right_aligned_numbers_and_labels_end_on_the_same_edge():
    columns = [Column(30), Column(20, "right"), Column(25, "right")]
    rows = [["县级领导", "7", "93.33"], ["区直部门", "120", "100.00"], ["镇(街道)", "—", "5"]]
    html = grid(columns, [Band([Row(["评议组", "有效票", "组得分"])], 9.5, 5.8, head=True),
                          Band([Row(r) for r in rows], 9.5, 5.8)])  # fmt: skip
    lines = lines_of(html)

    em = 9.5 * PT
    edges = {1: (30 + 20 - PAD) / em, 2: (30 + 20 + 25 - PAD) / em}
    for line, cells in zip(lines, [["评议组", "有效票", "组得分"], *rows], strict=True):
        # Left-aligned: the text starts a cell padding after the rule.
        assert abs(end_of(line, cells[0]) - text_width(cells[0]) - PAD / em) <= 1 / 32
        for column in (1, 2):
            # Each position is rounded to a sixteenth of an em, never further.
            assert abs(end_of(line, cells[column]) - edges[column]) <= 1 / 32, (line, column)


def test_centred_cell_sits_in_the_middle_of_its_column():
    html = grid([Column(45, "center")] * 2, [Band([Row(["第 1 名 / 8", "87.86"])], 15, 10)])
    [line] = lines_of(html)
    em = 15 * PT
    for index, text in enumerate(["第 1 名 / 8", "87.86"]):
        middle = end_of(line, text) - text_width(text) / 2
        assert abs(middle - (45 * index + 22.5) / em) <= 1 / 32


def test_a_cell_too_wide_wraps_and_its_row_grows():
    columns = [Column(9, "center"), Column(30), Column(20, "right")]
    name = "一个名字非常长的单位名称需要换行显示"
    html = grid(columns, [Band([Row(["1", name, "87.14"]), Row(["2", "古荥镇", "80.00"])], 8.5, 5)])
    lines = lines_of(html)

    assert len(lines) == 3
    assert "".join(line.split("\u2003")[-1] for line in lines[:2]).count("换行显示") == 1
    assert "".join(re.sub(r"[\s\d.]", "", line) for line in lines[:2]) == name
    assert all(text_width(part) <= (30 - 2 * PAD) / (8.5 * PT) for part in wrap(name, 9.3))
    assert lines[0].split()[-1] == "87.14"  # the other cells on the first line
    # The rules: the first row's line under two lines, the second under three; 15 mm high.
    svg = svg_of(html)
    assert 'height="15.000mm"' in svg
    assert "M0 10.000H59.000" in svg and "M0 15.000H59.000" in svg


def test_wrap_breaks_latin_at_a_space_and_never_puts_a_comma_first():
    assert wrap("Finance Bureau of Huiji", 5) == ["Finance", "Bureau of", "Huiji"]
    assert wrap("Finance Bureau of Huiji", 7) == ["Finance", "Bureau of Huiji"]
    assert wrap("有效票不足，不计入", 5) == ["有效票不足，", "不计入"]


def test_cell_text_is_escaped_and_classes_and_marks_are_drawn():
    html = grid(
        [Column(40), Column(20, "center")],
        [Band([Row([Cell("<b>局</b>", mark="2"), Cell("优秀", css="band-excellent")])], 9, 5)],
    )
    assert "<b>" not in html and "&lt;b&gt;局&lt;/b&gt;" in html
    assert '<span class="grid-mark">2</span>' in html
    assert '<span class="band-excellent">优秀</span>' in html


def test_header_and_fills_are_shaded_under_the_rules():
    html = grid(
        [Column(30), Column(20, "right", fill="#f6f6f6")],
        [
            Band([Row(["单位", "总分"])], 8, 4, head=True),
            Band([Row(["a", "1"], fill="#eeeeee")], 8, 5),
        ],
    )
    svg = svg_of(html)
    assert '<rect x="0" y="0.000" width="50.000" height="4.000" fill="#eeeeee"/>' in svg
    assert '<rect x="30.000" y="4.000" width="20.000" height="5.000" fill="#f6f6f6"/>' in svg
    assert svg.index("<rect") < svg.index("<path")  # the rules over the fills


@pytest.mark.skipif(PDFTOTEXT is None or PDFFONTS is None, reason="poppler-utils not installed")
def test_the_pdf_draws_the_spaces_at_the_widths_counted(tmp_path):
    """What the module rests on: Pango and HarfBuzz draw em, en, quarter and hair spaces at
    those widths in the shipped font, which has no glyph for them. Read back the drawn right
    edges of a right-aligned column and the drawn fonts."""
    values = ["7", "120", "93.33", "1,000", "—", "100.00", "0"]
    html = grid(
        [Column(30), Column(40, "right"), Column(30, "center")],
        [Band([Row([f"组{i}", value, "较好"]) for i, value in enumerate(values)], 9.5, 5.8)],
    )
    page = (
        f'<html><head><link rel="stylesheet" href="{STYLESHEET.as_uri()}"><style>@font-face '
        f'{{ font-family: "Huiji Report"; src: url("{FONT_FILE.as_uri()}"); }}</style></head>'
        f"<body>{html}</body></html>"
    )
    path = tmp_path / "grid.pdf"
    HTML(string=page).write_pdf(path)

    boxes = subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFTOTEXT, "-bbox", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    words = re.findall(
        r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)<', boxes
    )
    right = [float(x_max) for _x_min, x_max, word in words if word in values]
    assert len(right) == len(values)
    assert max(right) - min(right) < 0.5  # points: a sixteenth of an em is 0.6 pt
    middles = [(float(a) + float(b)) / 2 for a, b, word in words if word == "较好"]
    assert len(middles) == len(values) and max(middles) - min(middles) < 0.5
    fonts = subprocess.run(  # noqa: S603
        [PDFFONTS, str(path)], capture_output=True, check=True, text=True
    ).stdout
    assert fonts.count("Huiji-Report") == 1 and len(fonts.strip().splitlines()) == 3
