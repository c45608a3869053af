"""评议结果 as an Excel workbook (docs/design.md §5).

``render(doc)`` writes, from one :class:`~scoring.document.ResultDocument`:

- 汇总: every category with its 优秀单位 and 先进单位 (the awards), the ballots used and void,
  the SHA-256 of the inputs, the version or the preview notice, and the footnotes;
- one sheet per category, named after it: 排名, 单位, one column per rater group (its score),
  综合评议得分 and every other component with weight > 0, 加减分, 总分, 等次, 等次依据, 说明;
  units without a rank come last with the rank left empty (the document's order);
- one vote-count sheet per rater group (单位 × 好/较好/一般/差/弃权, valid votes, group score);
- 参评情况, 作废与标记评议表 and 计分办法 (the scheme in words).

Print-ready: title rows, a frozen header row repeated on every printed page, landscape A4 fitted
to the page width, page numbers in the footer, scores as numbers formatted 0.00. Before
publication every sheet's title row, its printed header and the 汇总 sheet say 预览（未发布）.

Text that a spreadsheet would run as a formula (a unit named ``=SUM(A1)``: anything starting
with = + - @) is stored as text with Excel's quote prefix, and characters XML cannot hold are
dropped: pretix's safe_openpyxl rule, written once for every xlsx writer as
:func:`core.spreadsheet.put` (``_put`` here).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from math import ceil

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from core.spreadsheet import ILLEGAL_CHARACTERS, put
from scoring.document import GRADE_COLUMNS, DocCategory, ResultDocument

from . import report_title

SCORE_FORMAT = "0.00"
COUNT_FORMAT = "0"
# Excel's rules for a sheet name: 1-31 characters, none of : \ / ? * [ ], no leading or trailing
# apostrophe, unique regardless of case; "History" is reserved.
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[:\\/?*\[\]]")

TITLE_ROW, INFO_ROW, HEADER_ROW = 1, 2, 3
FIRST_DATA_ROW = HEADER_ROW + 1

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", start_color="E8E8E8")
TITLE_FONT = Font(bold=True, size=14)
PREVIEW_TITLE_FONT = Font(bold=True, size=14, color="C00000")
INFO_FONT = Font(size=10, color="404040")
PREVIEW_INFO_FONT = Font(size=10, bold=True, color="C00000")
HEADER_FONT = Font(bold=True)
LABEL_FONT = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center")
WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")

WIDTH_MIN, WIDTH_MAX, NOTE_WIDTH = 6, 40, 48
LINE_HEIGHT = 15  # points, for the default 11 pt font


# ---------------------------------------------------------------- sheet names


def sheet_name(name: str, used: set[str]) -> str:
    """``name`` made a valid, unused Excel sheet name; adds it to ``used`` (casefolded)."""
    base = SHEET_NAME_FORBIDDEN.sub("_", ILLEGAL_CHARACTERS.sub("", name)).strip().strip("'")
    base = base or _("工作表")
    if base.casefold() == "history":
        base = f"{base}_"
    candidate = base[:SHEET_NAME_MAX]
    number = 2
    while candidate.casefold() in used:
        suffix = f"({number})"
        candidate = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        number += 1
    used.add(candidate.casefold())
    return candidate


# ---------------------------------------------------------------- writing cells


# The one place a value goes into a cell, shared by every xlsx writer (core/spreadsheet.py):
# formula-looking text stays text, characters XML cannot hold are dropped.
_put = put


@dataclass
class Column:
    header: str
    kind: str = "text"  # text, score, count, note
    width: float | None = None  # fixed width; else from the content


@dataclass
class _Table:
    columns: list[Column]
    rows: list[list] = field(default_factory=list)


def _display_width(value) -> float:
    """Column width in Excel's units (about one Latin character): a CJK character is two."""
    if value is None:
        return 0
    text = (
        value
        if isinstance(value, str)
        else f"{value:.2f}"
        if isinstance(value, Decimal)
        else str(value)
    )
    longest = max(text.splitlines() or [""], key=len)
    return sum(2 if ord(ch) > 0x2E7F else 1.1 for ch in longest)


def _sheet(
    wb: Workbook,
    name: str,
    *,
    doc: ResultDocument,
    title: str,
    info: str,
    table: _Table,
    index: int | None = None,
) -> Worksheet:
    """A print-ready sheet: title row, info row, header row (frozen and repeated when printed),
    then the rows."""
    ws = wb.create_sheet(title=name, index=index)
    width = len(table.columns)

    preview = doc.preview
    status = (
        f"【{doc.preview_label}】"
        if preview
        else _("（%(status)s）") % {"status": doc.status_label}
    )
    _put(ws, TITLE_ROW, 1, f"{title}{status}").font = PREVIEW_TITLE_FONT if preview else TITLE_FONT
    _put(ws, INFO_ROW, 1, info).font = INFO_FONT
    if width > 1:
        ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
        ws.merge_cells(start_row=INFO_ROW, start_column=1, end_row=INFO_ROW, end_column=width)
    ws.row_dimensions[TITLE_ROW].height = 24
    ws.cell(row=TITLE_ROW, column=1).alignment = LEFT
    ws.cell(row=INFO_ROW, column=1).alignment = WRAP

    for column, spec in enumerate(table.columns, start=1):
        cell = _put(ws, HEADER_ROW, column, spec.header)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
    for row_number, values in enumerate(table.rows, start=FIRST_DATA_ROW):
        for column, (spec, value) in enumerate(zip(table.columns, values, strict=True), start=1):
            cell = _put(
                ws,
                row_number,
                column,
                value,
                number_format=SCORE_FORMAT
                if spec.kind == "score"
                else COUNT_FORMAT
                if spec.kind == "count"
                else None,
            )
            cell.border = BORDER
            cell.alignment = RIGHT if spec.kind in ("score", "count") else WRAP

    for column, spec in enumerate(table.columns, start=1):
        if spec.width is None:
            widest = max(
                [_display_width(spec.header)] + [_display_width(r[column - 1]) for r in table.rows]
            )
            spec.width = min(max(widest + 2, WIDTH_MIN), WIDTH_MAX)
        ws.column_dimensions[get_column_letter(column)].width = spec.width
    for row_number, values in enumerate(table.rows, start=FIRST_DATA_ROW):
        _fit_height(
            ws, row_number, [(v, c.width) for v, c in zip(values, table.columns, strict=True)]
        )

    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1)
    _print_setup(ws, preview=preview, label=doc.preview_label)
    return ws


def _fit_height(ws: Worksheet, row: int, cells: list[tuple[object, float]]) -> None:
    """Wrapped text needs a taller row: neither Excel nor LibreOffice grows one that the file
    does not size, so the lines are estimated from the text and the column width."""
    lines = max(
        (
            ceil(_display_width(value) / max(width - 1, 1))
            for value, width in cells
            if isinstance(value, str)
        ),
        default=1,
    )
    if lines > 1:
        ws.row_dimensions[row].height = LINE_HEIGHT * lines


def _print_setup(ws: Worksheet, *, preview: bool, label: str = "") -> None:
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    ws.oddFooter.center.text = _("第 &P 页，共 &N 页")
    if preview:
        ws.oddHeader.center.text = label or _("预览（未发布）")
        ws.oddHeader.center.color = "C00000"


# ---------------------------------------------------------------- the sheets


def _date(value) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _datetime(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


def _join(names: Iterable[str]) -> str:
    names = list(names)
    return _("、").join(names) if names else _("（无）")


def _category_table(doc: ResultDocument, category: DocCategory) -> _Table:
    with_previous = any(row.previous_rank for row in doc.rows())
    columns = [Column(_("排名"), "count"), Column(_("单位"))]
    columns += [Column(name, "score") for _key, name in doc.groups]
    columns += [Column(label, "score") for _key, label in doc.components]
    columns += [
        Column(_("加减分"), "score"),
        Column(_("总分"), "score"),
        Column(_("等次")),
        Column(_("等次依据")),
    ]
    if with_previous:
        columns.append(Column(_("上年排名"), "count"))
    columns.append(Column(_("说明"), "note", width=NOTE_WIDTH))
    table = _Table(columns)
    for row in category.rows:
        scores = {cell.key: cell.score for cell in row.groups}
        notes = list(row.flags) + [
            _("加减分理由：%(reason)s") % {"reason": reason} for reason in row.bonus_reasons
        ]
        values = [row.rank, row.name]
        values += [scores.get(key) for key, _name in doc.groups]
        values += [row.components.get(key) for key, _label in doc.components]
        values += [row.bonus, row.total, row.band, row.band_rule]
        if with_previous:
            values.append(row.previous_rank)
        values.append(_("；").join(notes) or None)
        table.rows.append(values)
    return table


def _category_info(doc: ResultDocument, category: DocCategory) -> str:
    ranked = sum(1 for row in category.rows if row.rank is not None)
    if category.excellent_allowed is None:
        cap = _("优秀不设比例限制")
    else:
        cap = _("优秀名额 %(n)s 个") % {"n": category.excellent_allowed}
    return _("%(category)s：%(units)s 个单位，参与排名 %(ranked)s 个；%(cap)s。") % {
        "category": category.name,
        "units": category.unit_count,
        "ranked": ranked,
        "cap": cap,
    }


def _summary(wb: Workbook, name: str, doc: ResultDocument, title: str) -> Worksheet:
    table = _Table(
        [
            Column(_("类别")),
            Column(_("单位数"), "count"),
            Column(_("参与排名"), "count"),
            Column(_("优秀名额"), "count"),
            Column(_("优秀单位"), "note", width=NOTE_WIDTH),
            Column(_("先进单位（良好）"), "note", width=NOTE_WIDTH),
        ]
    )
    for category in doc.categories:
        table.rows.append(
            [
                category.name,
                category.unit_count,
                sum(1 for row in category.rows if row.rank is not None),
                category.excellent_allowed,
                _join(category.excellent),
                _join(category.advanced),
            ]
        )
    if doc.rehearsal:
        info = _("彩排数据，不计入结果：本表为彩排中按彩排数据计算，不作为任何结果。")
    elif doc.preview:
        info = _("预览（未发布）：本表为按当前数据计算的预览，结果尚未发布，不作为正式结果。")
    else:
        info = _("已发布：%(status)s，发布时间 %(when)s。") % {
            "status": doc.status_label,
            "when": _datetime(doc.generated_at),
        }
    ws = _sheet(
        wb,
        name,
        doc=doc,
        title=_("%(title)s（汇总）") % {"title": title},
        info=info,
        table=table,
        index=0,
    )
    if doc.preview:
        ws.cell(row=INFO_ROW, column=1).font = PREVIEW_INFO_FONT

    session = doc.session
    facts = [
        (_("评议会"), session.title),
        (_("年度"), str(session.year)),
        (_("评议日期"), _date(session.date)),
        (_("地点"), session.venue),
        (_("结果状态"), doc.status_label),
        (_("生成时间") if doc.preview else _("发布时间"), _datetime(doc.generated_at)),
        (_("有效评议表"), doc.ballots_used),
        (_("作废评议表"), doc.ballots_void),
        (_("输入数据 SHA-256"), doc.inputs_hash),
        (_("计分程序版本"), doc.engine_version),
    ]
    facts += [(_("附注 %(n)s") % {"n": n}, note) for n, note in enumerate(doc.footnotes, start=1)]
    start = FIRST_DATA_ROW + len(table.rows) + 1
    last_column = len(table.columns)
    label_width = max(_display_width(label) for label, _value in facts) + 2
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, label_width)
    value_width = sum(column.width for column in table.columns[1:])
    for offset, (label, value) in enumerate(facts):
        row = start + offset
        _put(ws, row, 1, label).font = LABEL_FONT
        cell = _put(ws, row, 2, value)
        cell.alignment = WRAP if isinstance(value, str) else LEFT
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=last_column)
        _fit_height(ws, row, [(value, value_width)])
    return ws


def _votes_table(doc: ResultDocument, group_key: str) -> _Table:
    columns = [Column(_("类别")), Column(_("单位"))]
    columns += [Column(str(label), "count") for _grade, label in GRADE_COLUMNS]
    columns += [
        Column(_("有效票"), "count"),
        Column(_("组得分"), "score"),
        Column(_("说明"), "note", width=NOTE_WIDTH),
    ]
    table = _Table(columns)
    for category in doc.categories:
        for row in category.rows:
            cell = next(c for c in row.groups if c.key == group_key)
            notes = []
            if not cell.has_data:
                notes.append(_("有效票不足，不计入"))
            if cell.trimmed:
                notes.append(_("已去掉一个最高值和一个最低值"))
            table.rows.append(
                [category.name, row.name]
                + [cell.counts.get(grade, 0) for grade, _label in GRADE_COLUMNS]
                + [cell.votes, cell.score, _("；").join(notes) or None]
            )
    return table


def _participation_table(doc: ResultDocument) -> _Table:
    table = _Table(
        [
            Column(_("评议组")),
            Column(_("发放评议码"), "count"),
            Column(_("已打开"), "count"),
            Column(_("已提交"), "count"),
            Column(_("平板提交"), "count"),
            Column(_("纸质录入"), "count"),
            Column(pgettext("ballot", "作废"), "count"),
            Column(_("有效评议表"), "count"),
        ]
    )
    for row in doc.participation:
        table.rows.append(
            [
                row.group.name if row.group is not None else _("合计"),
                row.issued,
                row.opened,
                row.submitted,
                row.tablet,
                row.paper,
                row.void,
                row.valid,
            ]
        )
    return table


def _ballots_table(doc: ResultDocument) -> _Table:
    table = _Table(
        [
            Column(_("类型")),
            Column(_("评议表编号")),
            Column(_("来源")),
            Column(_("作废理由或标记"), "note", width=60),
        ]
    )
    for ballot in doc.void_ballots:
        table.rows.append([pgettext("ballot", "作废"), ballot.short_id, ballot.source, ballot.note])
    for ballot in doc.flagged_ballots:
        table.rows.append([_("标记"), ballot.short_id, ballot.source, _("；").join(ballot.note)])
    return table


def _scheme_table(doc: ResultDocument) -> _Table:
    table = _Table([Column(_("序号"), "count"), Column(_("计分规则"), "note", width=100)])
    table.rows = [[n, line] for n, line in enumerate(doc.scheme_words, start=1)]
    return table


def render(doc: ResultDocument) -> bytes:
    """The workbook of ``doc`` as .xlsx bytes."""
    title = report_title(doc)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    # The fixed sheets claim their names first: tools look for 汇总 and 参评情况 by name; a
    # category that happens to be called 汇总 becomes 汇总(2).
    summary_name = sheet_name(_("汇总"), used)
    participation_name = sheet_name(_("参评情况"), used)
    ballots_name = sheet_name(_("作废与标记评议表"), used)
    scheme_name = sheet_name(_("计分办法"), used)
    vote_names = [
        (key, name, sheet_name(_("%(group)s票数") % {"group": name}, used))
        for key, name in doc.groups
    ]

    for category in doc.categories:
        _sheet(
            wb,
            sheet_name(category.name, used),
            doc=doc,
            title=_("%(title)s：%(category)s") % {"title": title, "category": category.name},
            info=_category_info(doc, category),
            table=_category_table(doc, category),
        )
    for key, name, sheet in vote_names:
        _sheet(
            wb,
            sheet,
            doc=doc,
            title=_("%(title)s：%(group)s评议票数明细") % {"title": title, "group": name},
            info=_("每个单位收到%(group)s的好、较好、一般、差、弃权票数；弃权和未评不算有效票。")
            % {"group": name},
            table=_votes_table(doc, key),
        )
    _sheet(
        wb,
        participation_name,
        doc=doc,
        title=_("%(title)s：参评情况") % {"title": title},
        info=_("各评议组发放的评议码、打开和提交的份数，收到的平板和纸质评议表及作废数。"),
        table=_participation_table(doc),
    )
    _sheet(
        wb,
        ballots_name,
        doc=doc,
        title=_("%(title)s：作废与标记评议表") % {"title": title},
        info=_("作废 %(void)s 张（不计入结果），标记供复核 %(flagged)s 张（照常计入）。")
        % {"void": len(doc.void_ballots), "flagged": len(doc.flagged_ballots)},
        table=_ballots_table(doc),
    )
    _sheet(
        wb,
        scheme_name,
        doc=doc,
        title=_("%(title)s：计分办法") % {"title": title},
        info=_("本次评议的计分规则，即计算本结果所用的设置。"),
        table=_scheme_table(doc),
    )
    _summary(wb, summary_name, doc, title)
    wb.active = 0

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
