"""其他考核 workbooks built in code for the scoring import tests (scoring/imports.py)."""

import io

from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference

from tests.factories.workbooks import Text

HEADER = ["单位", "目标考核", "日常考核", "加减分", "加减分理由"]
ROWS = [
    ["城关镇", 95.5, 88, None, None],
    ["财政局", "90.25", 92, -2, "通报批评"],
    ["教育局", None, None, 1.5, "获省级表彰"],
]


def scores_bytes(rows=ROWS, *, header=HEADER, sheet="其他考核", formulas=()) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for r, row in enumerate([header, *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, Text):
                cell.data_type = "s"
    for ref, formula in formulas:
        ws[ref] = formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def chart_sheet_bytes() -> bytes:
    """A workbook whose 其他考核 is a chart sheet over the scores kept on another sheet."""
    book = load_workbook(io.BytesIO(scores_bytes(sheet="得分")))
    chart = BarChart()
    chart.add_data(Reference(book["得分"], min_col=2, min_row=1, max_row=4), titles_from_data=True)
    book.create_chartsheet("其他考核").add_chart(chart)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
