"""core/spreadsheet.py: reading what offices hand in, writing text safely (docs/workbooks.md)."""

import datetime
import importlib.util
import io
import shutil
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from core.spreadsheet import (
    CSV,
    XLS,
    XLSX,
    SpreadsheetError,
    date_from,
    invisible_differences,
    normalise_header,
    normalise_text,
    number_from_text,
    open_book,
    put,
    write_row,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "workbooks"


def fixture(name: str) -> io.BytesIO:
    return io.BytesIO((FIXTURES / name).read_bytes())


def values(sheet) -> list[list]:
    return [[None if cell is None else cell.value for cell in cells] for _row, cells in sheet.rows]


def xlsx(build) -> io.BytesIO:
    book = Workbook()
    build(book.active)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("镇（街道）", "镇(街道)"),
        ("区委办公室（区档案馆）", "区委办公室(区档案馆)"),
        ("４０", "40"),
        ("－1", "-1"),
        ("区财政局\u200b", "区财政局"),
        ("\ufeff城关镇\u2060", "城关镇"),
        ("  城关镇　", "城关镇"),
        ("区行政中心\n第一会议室", "区行政中心 第一会议室"),
        ("a  \t b", "a b"),
        ("迟报材料，扣1分：通报", "迟报材料，扣1分：通报"),  # sentence punctuation stays
    ],
)
def test_normalise_text_gives_the_canonical_nfkc_form(text, expected):
    assert normalise_text(text) == expected


def test_normalise_header_drops_every_space_and_line_break():
    assert normalise_header("所在\n单位 ") == "所在单位"
    assert normalise_header("权重（％）") == "权重(%)"


def test_invisible_differences_names_each_kind():
    assert invisible_differences("区委办公室(区档案馆)", "区委办公室（区档案馆）") == [
        "全角与半角字符（如括号、数字、空格）"
    ]
    assert invisible_differences("区财政局", "区财政局\u200b") == ["看不见的零宽字符"]
    assert invisible_differences("区财政局", "区财政局 ") == ["首尾或多余的空格"]
    assert invisible_differences("区\n财政局", "区财政局") == ["单元格内换行"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("40", Decimal("40")),
        ("40%", Decimal("40")),
        ("-1", Decimal("-1")),
        ("\u22121", Decimal("-1")),  # the minus sign NFKC leaves alone
        ("1,000.5", Decimal("1000.5")),
    ],
)
def test_number_from_text(text, number):
    assert number_from_text(text) == number


def test_number_from_text_refuses_words():
    assert number_from_text("四十") is None
    assert number_from_text("NaN") is None


@pytest.mark.parametrize(
    "text", ["2025-12-20", "2025/12/20", "2025.12.20", "2025年12月20日", "2025 年 12 月 20 日"]
)
def test_date_from_reads_every_way_offices_write_a_date(text):
    assert date_from(text) == datetime.date(2025, 12, 20)


def test_date_from_refuses_an_impossible_date():
    assert date_from("2025年2月30日") is None
    assert date_from("下周一") is None


# ---------------------------------------------------------------- formats, by content


def test_open_book_reads_a_libreoffice_xlsx_with_merged_cells_and_formats():
    book = open_book(fixture("session-libreoffice.xlsx"))

    assert book.format == XLSX
    assert book.sheetnames == ["会议", "单位", "评议组", "评议人"]
    units = book["单位"]
    assert values(units) == [
        ["2025年度述职单位名单"],
        ["序号", "名称", "类 别", "发言顺序"],
        [1.0, "城关镇", "镇(街道)", 2.0],
        [2.0, "滨河街道", "镇(街道)", 1.0],  # merged C4:C5: read in both rows
        [3.0, "区委办公室(区档案馆)", "党群服务部门", "3"],
        [4.0, "区财政局", "政府部门", 4.0],
    ]
    assert [r for r, _cells in units.rows] == [1, 3, 4, 5, 6, 7]  # row 2 is blank
    assert units.rows[3][1][2].merged is True
    assert units.rows[5][1][1].raw == "区财政局\u200b"
    weight = book["评议组"].rows[3][1][1]
    assert (weight.value, weight.percent) == (0.2, True)


def test_open_book_tells_an_xls_by_its_signature_whatever_its_name():
    data = fixture("session.xls")
    data.name = "单位.xlsx"

    book = open_book(data)

    assert book.format == XLS
    assert values(book["评议组"])[1:] == [
        ["县级领导", 40.0],
        ["区直部门", "20"],
        ["镇(街道)", 0.2],
        ["两代表一委员", "20%"],
        ["合计", 100.0],
    ]
    assert values(book["单位"])[3] == [2.0, "滨河街道", "镇(街道)", 1.0]  # merged, from .xls


@pytest.mark.parametrize("name", ["ballots-utf8.csv", "ballots-utf8-bom.csv", "ballots-gbk.csv"])
def test_open_book_reads_csv_in_utf8_with_or_without_bom_and_gbk(name):
    book = open_book(fixture(name))

    assert book.format == CSV
    assert book.single_sheet
    assert book.find("评议票") is book.find("其他考核")  # a CSV is whichever sheet is asked
    assert values(book.find("评议票")) == [
        ["2026年年中述职讲评纸质评议票"],
        ["序号", "票号", "评议组", "所在单位", "城关镇", "区财政局", "滨河街道", "区教育局"],
        ["1", "P001", "县级领导", None, "好", "较好", "一般", "差"],
        ["2", "P002", "镇(街道)", "城关镇", "好", "好", "较好", "弃权"],
    ]


def test_open_book_reads_a_semicolon_csv():
    book = open_book(io.BytesIO("名称;类别\n城关镇;镇（街道）\n".encode()))

    assert values(book.find("单位")) == [["名称", "类别"], ["城关镇", "镇(街道)"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 binary", "文件不是表格"),
        (b"\x89PNG\r\n\x1a\n", "文件不是表格"),
        (b"just some words", "文件不是表格"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "这是网页（HTML）或 XML 文件"),
        (b"PK\x03\x04broken", "文件是一个损坏或不完整的压缩包"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "无法读取这个旧版 Excel 文件（.xls）"),
    ],
)
def test_open_book_says_which_problem_a_file_has(data, message):
    with pytest.raises(SpreadsheetError) as caught:
        open_book(io.BytesIO(data))

    assert str(caught.value).startswith(message)


def test_open_book_recognises_an_encrypted_workbook():
    # LibreOffice's command line cannot save with a password: the fixture is the OLE2
    # signature with the two stream names of an encrypted .xlsx (scripts/make_workbook_fixtures.py).
    with pytest.raises(SpreadsheetError) as caught:
        open_book(fixture("encrypted.xlsx"))

    assert str(caught.value) == (
        "工作簿设有打开密码（已加密），无法读取：请在 Excel 或 WPS 中取消密码后另存，再导入。"
    )


def test_open_book_refuses_a_zip_bomb_before_inflating_it(monkeypatch):
    monkeypatch.setattr("core.spreadsheet.MAX_UNCOMPRESSED_BYTES", 1000)

    with pytest.raises(SpreadsheetError) as caught:
        open_book(fixture("session-libreoffice.xlsx"))

    assert str(caught.value).startswith("工作簿解压后过大")


def test_open_book_refuses_a_value_far_out_without_building_the_grid():
    data = xlsx(lambda sheet: sheet.__setitem__("XFD1048576", "x"))

    with pytest.raises(SpreadsheetError) as caught:
        open_book(data).find("Sheet")

    assert str(caught.value) == (
        "工作表“Sheet”在很远的单元格 XFD1048576 还有内容：请删除表格以外多余的内容（或整行整列）"
        "后再导入。"
    )


# ---------------------------------------------------------------- cells


def test_formulas_error_values_and_percent_formats_are_marked_in_xlsx():
    def build(sheet):
        sheet["A1"] = "=1+2"
        sheet["B1"] = "#N/A"  # openpyxl stores this as an error value
        sheet["C1"] = 0.25
        sheet["C1"].number_format = "0.0%"
        sheet["D1"] = 45
        sheet["D1"].number_format = '0.0"%"'  # prints a % sign; the number is 45
        sheet["E1"] = "-1分：迟报材料"

    ((row, cells),) = open_book(xlsx(build)).find("Sheet").rows

    assert [c.formula for c in cells] == [True, False, False, False, False]
    assert cells[1].error == "#N/A"
    assert [c.percent for c in cells[2:4]] == [True, False]
    assert cells[4].value == "-1分：迟报材料"
    assert cells[4].formula is False


def test_chart_sheets_are_not_sheets_and_the_message_says_so():
    book = open_book(fixture("chart-sheet.xlsx"))

    assert book.sheetnames == ["单位"]
    assert book.find("评议组") is None
    assert book.missing("评议组") == (
        "这是一张图表工作表，没有数据：请把数据放在名为“评议组”的普通工作表中。"
    )
    assert book.missing("评议人") == "缺少此工作表（工作簿中现有：单位）。"


def test_sheet_names_are_compared_normalised():
    book = open_book(fixture("session-libreoffice.xlsx"))  # its units sheet is named “单位 ”

    assert book.find("单位") is not None
    assert "单位" in book


def test_a_formatted_empty_cell_at_xfd_costs_nothing():
    """A 20 KB workbook with one formatted empty cell at XFD1048576: reading it is
    bounded by the cells holding data (wall time is in bench/bench_workbooks.py)."""
    tracemalloc.start()
    try:
        book = open_book(fixture("far-cell.xlsx"))
        rows = book.find("单位").rows
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [r for r, _cells in rows] == [1, 2, 3]
    assert book.find("单位").max_row == 3
    assert peak < 20 * 1024 * 1024  # far under the 200 MB bound; a dense grid would be TBs


# ---------------------------------------------------------------- writing


def test_put_writes_formula_looking_text_as_text_and_drops_illegal_characters():
    book = Workbook()
    sheet = book.active
    put(sheet, 1, 1, "=SUM(A2)")
    put(sheet, 1, 2, "-1分：迟报材料")
    put(sheet, 1, 3, "区财政局\x07")
    put(sheet, 1, 4, 40, number_format="0.00")
    out = io.BytesIO()
    book.save(out)

    cells = load_workbook(io.BytesIO(out.getvalue())).active[1]
    assert [c.value for c in cells] == ["=SUM(A2)", "-1分：迟报材料", "区财政局", 40]
    assert [c.data_type for c in cells] == ["s", "s", "s", "n"]
    assert cells[0].quotePrefix is True
    assert cells[3].number_format == "0.00"


def test_write_row_appends_through_put():
    book = Workbook()
    sheet = book.active

    assert write_row(sheet, ["名称", "类别"]) == 1
    assert write_row(sheet, ["+城关镇", None, "@x"]) == 2
    assert [c.data_type for c in sheet[2]] == ["s", "n", "s"]
    assert sheet["A2"].value == "+城关镇"


# ---------------------------------------------------------------- the fixtures themselves


def _fixture_script():
    path = Path(__file__).parents[2] / "scripts" / "make_workbook_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_workbook_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_committed_fixtures_match_what_the_script_makes(tmp_path):
    """The committed files are what scripts/make_workbook_fixtures.py makes (content as read;
    LibreOffice stamps every file with the time, so bytes differ)."""
    written = _fixture_script().build(tmp_path)

    for path in written:
        if path.name == "encrypted.xlsx":
            assert path.read_bytes() == (FIXTURES / path.name).read_bytes()
            continue
        fresh, committed = open_book(io.BytesIO(path.read_bytes())), open_book(fixture(path.name))
        assert fresh.sheetnames == committed.sheetnames, path.name
        for name in fresh.sheetnames:
            assert values(fresh[name]) == values(committed[name]), (path.name, name)
