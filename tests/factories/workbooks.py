"""Session workbooks built in code for the import tests (docs/design.md §5)."""

from __future__ import annotations

import io

from openpyxl import Workbook

DEFAULT = object()

META = [
    ["名称", "2026年年中述职讲评暨现场问政会"],
    ["年度", 2026],
    ["日期", "2026-07-15"],
    ["地点", "区行政中心第一会议室"],
    ["类型", "年中"],
]
UNITS = [
    ["名称", "类别"],
    ["城关镇", "镇(街道)"],
    ["滨河街道", "镇(街道)"],
    ["区财政局", "政府部门"],
    ["区委办公室", "党群服务部门"],
    ["经济开发区", "开发区"],
]
GROUPS = [
    ["名称", "权重", "最少有效票数"],
    ["县级领导", 40, 5],
    ["区直部门", 20, None],
    ["镇(街道)", 20, None],
    ["两代表一委员", 20, None],
]
RATERS = [
    ["评议组", "所在单位", "人数", "姓名"],
    ["县级领导", None, None, "李明"],
    ["县级领导", None, None, "王芳"],
    ["区直部门", "区财政局", 3, None],
    ["镇(街道)", "城关镇", 2, None],
    ["两代表一委员", None, 10, None],
]


class Text(str):
    """A cell value stored as text even when it starts with '=' (openpyxl would otherwise
    write it as a formula)."""


def workbook_bytes(
    *, meta=DEFAULT, units=DEFAULT, groups=DEFAULT, raters=DEFAULT, extra: dict | None = None
) -> bytes:
    """An .xlsx with the four sheets; pass a list of rows to replace a sheet, None to leave it
    out. ``extra`` adds sheets by name."""
    sheets = {
        "会议": META if meta is DEFAULT else meta,
        "单位": UNITS if units is DEFAULT else units,
        "评议组": GROUPS if groups is DEFAULT else groups,
        "评议人": RATERS if raters is DEFAULT else raters,
        **(extra or {}),
    }
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        if rows is None:
            continue
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, Text):
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook_file(**kwargs) -> io.BytesIO:
    return io.BytesIO(workbook_bytes(**kwargs))


def replace(rows: list[list], row: int, column: int, value) -> list[list]:
    """A copy of ``rows`` with the cell at 1-based (row, column) set to ``value``."""
    copy = [list(r) for r in rows]
    copy[row - 1][column - 1] = value
    return copy
