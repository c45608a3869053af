"""Regenerate tests/fixtures/workbooks/: the files offices hand in, made by real software.

    .venv/bin/python scripts/make_workbook_fixtures.py [OUTDIR]

Source workbooks are built here with openpyxl, then converted by LibreOffice
(``soffice --headless --convert-to``) into .xlsx, .xls and .csv (UTF-8, and GBK), so that the
tests read what LibreOffice writes, not what our own writer writes. Excel's "CSV UTF-8" starts
with a byte-order mark and LibreOffice writes none, so that one is LibreOffice's UTF-8 file with
the mark put in front. A few files can only come from openpyxl (a chart sheet, a formatted cell
at XFD1048576, error values typed as values) and are written directly. The tests run on the
committed files; tests/core/test_spreadsheet.py regenerates them when soffice is installed and
checks that the reader sees the same content. docs/workbooks.md describes every case.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "workbooks"
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,{encoding},1"
UTF8, GBK = 76, 85  # LibreOffice's numbers for the two text encodings
BOM = "\ufeff".encode()
ZERO_WIDTH_SPACE = "\u200b"

# What every converted session workbook holds (tests/core/test_spreadsheet.py reads it back).
SESSION_TITLE = "2025年度综合考核述职评议会"


def session_source() -> Workbook:
    """A session workbook as an office writes it: title rows (merged), a 序号 column, a header
    wrapped with Alt+Enter, full-width brackets and digits, a zero-width space, a category
    merged over two rows, weights as a percent-formatted cell, as text with %, under 权重（%）,
    a 合计 row, a date written in Chinese, 发言顺序, and an empty 评议人 sheet."""
    book = Workbook()
    meta = book.active
    meta.title = "会议"
    meta.append(["评议会基本信息"])
    meta.merge_cells("A1:B1")
    for row in (
        ["名称", SESSION_TITLE],
        ["年度", "2025年"],
        ["日期", "2025年12月20日"],
        ["地点", "区行政中心　第一会议室"],  # an ideographic space
        ["类型", "年度"],
    ):
        meta.append(row)

    units = book.create_sheet("单位 ")  # a stray space after the sheet name
    units.append(["2025年度述职单位名单"])
    units.merge_cells("A1:D1")
    units.append([])
    units.append(["序号", "名称", "类\n别", "发言顺序"])
    units.append([1, "城关镇", "镇（街道）", 2])
    units.append([2, "滨河街道", None, 1])
    units.merge_cells("C4:C5")
    units.append([3, "区委办公室(区档案馆)", "党群服务部门", "３"])
    units.append([4, f"区财政局{ZERO_WIDTH_SPACE}", "政府部门", 4])

    groups = book.create_sheet("评议组")
    groups.append(["名称", "权重（%）"])
    groups.append(["县级领导", 40])
    groups.append(["区直部门", "２０"])
    groups.append(["镇(街道)", 0.2])
    groups["B4"].number_format = "0%"
    groups.append(["两代表一委员", "20%"])
    groups.append(["合计", 100])

    raters = book.create_sheet("评议人")
    raters.append(["评议组", "所在单位", "人数"])
    return book


def ballots_source() -> Workbook:
    """Paper ballots (评议票) for the session of tests/sessions/test_paper.py: a merged title row, a
    序号 column, a group written with full-width brackets."""
    book = Workbook()
    sheet = book.active
    sheet.title = "评议票"
    sheet.append(["2026年年中述职讲评纸质评议票"])
    sheet.merge_cells("A1:H1")
    sheet.append(
        ["序号", "票号", "评议组", "所在单位", "城关镇", "区财政局", "滨河街道", "区教育局"]
    )
    sheet.append([1, "P001", "县级领导", None, "好", "较好", "一般", "差"])
    sheet.append([2, "P002", "镇（街道）", "城关镇", "好", "好", "较好", "弃权"])
    return book


def targets_source() -> Workbook:
    """A breakdown workbook (目标分解表, targets/workbook.py) as an office writes it: a merged title
    row, a 序号 column, headers with full-width brackets, full-width digits, units separated by
    ，and by a line break (Alt+Enter), steps written with full-width colons and percent signs, a
    floor in a percent-formatted cell, 是 for 一票否决."""
    book = Workbook()
    sheet = book.active
    sheet.title = "目标"
    sheet.append(["2026年目标分解表"])
    sheet.merge_cells("A1:J1")
    sheet.append(
        ["序号", "编号", "指标", "计量单位", "方向", "基数", "确保目标", "力争目标", "分值",
         "计分方法", "完成率下限（%）", "分档", "力争加分", "一票否决", "牵头单位", "配合单位"]
    )  # fmt: skip
    rows = (
        [1, "1.1", "生产总值增长", "%", "不低于", None, "７", None, 10, "按完成率",
         None, None, None, "否", "区发改委", "区财政局，区人社局"],
        [2, "1.2", "一般公共预算收入增长", "%", None, None, 6, 8, 10, None,
         None, None, 2, None, "区财政局", None],
        [3, "2.4", "新增停车泊位", "个", "不低于", None, 4000, None, 8, "分档",
         None, "80％：60％；90％：80％；100％：100％", None, None, "区交通局", "城关镇"],
        [4, "3.1", "城镇化率提高", "%", "不低于", 70.2, 70.7, None, 6, "按完成率",
         0.5, None, None, None, "区发改委\n城关镇", None],
        [5, "5.1", "重大安全生产事故", "起", "不高于", None, 0, None, 0, "达标得分",
         None, None, None, "是", "区应急局", None],
    )  # fmt: skip
    for row in rows:
        sheet.append(row)
    sheet["K6"].number_format = "0%"
    return book


def chart_sheet_book() -> Workbook:
    """A workbook whose 评议组 is a chart sheet (a chart of the units sheet), no cells at all."""
    book = Workbook()
    units = book.active
    units.title = "单位"
    units.append(["名称", "类别"])
    units.append(["城关镇", "镇(街道)"])
    chart = BarChart()
    chart.add_data(Reference(units, min_col=1, min_row=1, max_row=2))
    book.create_chartsheet("评议组").add_chart(chart)
    return book


def far_cell_book() -> Workbook:
    """The default session workbook and one formatted, empty cell at XFD1048576."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in (
        ("会议", [["名称", "年中评议会"]]),
        ("单位", [["名称", "类别"], ["城关镇", "镇(街道)"], ["区财政局", "政府部门"]]),
        ("评议组", [["名称", "权重"], ["县级领导", 40], ["区直部门", 60]]),
    ):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book["单位"]["XFD1048576"].number_format = "0.00%"
    return book


def error_values_book() -> Workbook:
    """Error values left by formulas that were pasted as values: #N/A as a category, #REF! as a
    weight."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in (
        ("会议", [["名称", "年中评议会"]]),
        ("单位", [["名称", "类别"], ["城关镇", "#N/A"], ["区财政局", "政府部门"]]),
        ("评议组", [["名称", "权重"], ["县级领导", "#REF!"], ["区直部门", 60]]),
    ):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)  # openpyxl stores text that is an error value as one (t="e")
    return book


def encrypted_marker() -> bytes:
    """The start of a password-protected .xlsx: an OLE2 compound file holding the streams
    EncryptedPackage and EncryptionInfo. LibreOffice's command line cannot save with a
    password, so this is only the signature and the stream names the reader looks for."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    names = "EncryptionInfo".encode("utf-16-le") + bytes(50)
    names += "EncryptedPackage".encode("utf-16-le") + bytes(50)
    return header + names + bytes(512)


def convert(source: Path, target_format: str, outdir: Path) -> Path:
    """``soffice --convert-to``: a file named like ``source`` in ``outdir``. LibreOffice runs
    with a profile of its own beside ``outdir``: with the shared one, a second soffice started
    while another runs (two test runs at once) hands its work to the first and exits, having
    converted nothing."""
    profile = (outdir.parent / "libreoffice-profile").as_uri()
    subprocess.run(  # noqa: S603 (a fixed command line)
        [  # noqa: S607 (soffice from PATH, as installed)
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            target_format,
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    extension = target_format.split(":")[0]
    return outdir / f"{source.stem}.{extension}"


def build(outdir: Path) -> list[Path]:
    """Write every fixture into ``outdir``; the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for name, book in (
            ("session", session_source()),
            ("ballots", ballots_source()),
            ("targets", targets_source()),
        ):
            source = work / f"{name}.xlsx"
            book.save(source)
            converted = work / "out"
            for target, fmt in (
                (f"{name}-libreoffice.xlsx", "xlsx"),
                (f"{name}.xls", "xls"),
            ):
                shutil.move(convert(source, fmt, converted), outdir / target)
                written.append(outdir / target)
            if name == "targets":
                shutil.move(convert(source, "ods", converted), outdir / "targets.ods")
                written.append(outdir / "targets.ods")
                gbk = convert(source, CSV_FILTER.format(encoding=GBK), converted).read_bytes()
                (outdir / "targets-gbk.csv").write_bytes(gbk)
                written.append(outdir / "targets-gbk.csv")
            if name == "ballots":
                utf8 = convert(source, CSV_FILTER.format(encoding=UTF8), converted).read_bytes()
                (outdir / "ballots-utf8.csv").write_bytes(utf8)
                (outdir / "ballots-utf8-bom.csv").write_bytes(BOM + utf8)
                gbk = convert(source, CSV_FILTER.format(encoding=GBK), converted).read_bytes()
                (outdir / "ballots-gbk.csv").write_bytes(gbk)
                written += [outdir / f"ballots-{e}.csv" for e in ("utf8", "utf8-bom", "gbk")]
    for name, book in (
        ("chart-sheet.xlsx", chart_sheet_book()),
        ("far-cell.xlsx", far_cell_book()),
        ("error-values.xlsx", error_values_book()),
    ):
        book.save(outdir / name)
        written.append(outdir / name)
    (outdir / "encrypted.xlsx").write_bytes(encrypted_marker())
    written.append(outdir / "encrypted.xlsx")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES
    for path in build(target):
        print(path.relative_to(target), path.stat().st_size)
