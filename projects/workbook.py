"""The 重点项目 workbook: parse it into plain dataclasses, or write the one staff download.

Sheet ``项目``: 项目编号, 项目名称, 责任单位, 项目类别, 实际进度(%), and optionally 停滞 (是/否,
blank = 否) and 颜色 (绿/蓝/黄/红: a colour set by hand; blank = by rule). Sheet ``时间节点``:
项目编号, 节点, 计划日期, 计划进度(%), 完成日期 (blank = not done). Columns 备注 and 说明 are
ignored, and so is 序号 (row numbers offices number their lists with); so are other sheets (the
download adds 责任单位, the list of the session's units, and 说明). docs/workbooks.md "重点项目"
describes what is accepted.

Parsing never writes anything. It reads the whole file and collects every problem, each naming
its sheet, row and column, so that staff fix a workbook in one pass (the idea and the Problem
and WorkbookError classes of sessions/workbook.py). Text is stored as text: ``<b>`` in a name is
shown as ``<b>``, never as HTML; a formula, or text a spreadsheet would run as one (starting with
= + - @), is refused, and so is an error value such as #N/A.

Files are read by core/spreadsheet.py (.xlsx, .xls, .ods, .csv), which normalises every text
cell (NFKC, zero-width characters removed), so ``４０``, ``４０％``, ``－５`` and ``实际进度（%）``
read as 40, 40 %, -5 and 实际进度(%), a code or category is one however its brackets were typed,
and a 责任单位 typed with half-width brackets finds a unit stored with full-width ones. Names
are stored as written, without zero-width characters or surrounding spaces. A .csv holds one
sheet: it is read as 项目, and the projects it lists keep their stored milestones.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Collection
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.spreadsheet import (
    cell_text,
    column_letter,
    date_from,
    normalise_text,
    percent_number,
    put,
)
from sessions.workbook import (
    NAME_MAX,
    Problem,
    Table,
    WorkbookError,
    error_value_problem,
    is_blank,
    is_formula,
    nonblank_rows,
    open_workbook,
    read_table,
)

SHEET_PROJECTS = "项目"
SHEET_MILESTONES = "时间节点"
SHEET_UNITS = "责任单位"
SHEET_HELP = "说明"

COL_CODE = "项目编号"
COL_NAME = "项目名称"
COL_UNIT = "责任单位"
COL_CATEGORY = "项目类别"
COL_ACTUAL = "实际进度(%)"
COL_STALLED = "停滞"
COL_COLOUR = "颜色"
COL_MILESTONE = "节点"
COL_PLANNED_DATE = "计划日期"
COL_PLANNED = "计划进度(%)"
COL_DONE = "完成日期"

PROJECT_COLUMNS = (COL_CODE, COL_NAME, COL_UNIT, COL_CATEGORY, COL_ACTUAL)
PROJECT_OPTIONAL = (COL_STALLED, COL_COLOUR)
MILESTONE_COLUMNS = (COL_CODE, COL_MILESTONE, COL_PLANNED_DATE, COL_PLANNED, COL_DONE)

CODE_MAX, PROJECT_NAME_MAX, CATEGORY_MAX, MILESTONE_NAME_MAX = 40, 200, 50, 100
MAX_PROJECTS = 1000  # rows of 项目; a district has a few hundred key projects at most
MAX_MILESTONES = 10000  # rows of 时间节点
UPLOAD_MAX_BYTES = 5 * 1024 * 1024

# 颜色 cells: the labels of meeting.models.Colour, with or without 色.
COLOURS = {"绿": "green", "蓝": "blue", "黄": "yellow", "红": "red"}
YES, NO = ("是", "停滞", "停工", "y", "yes"), ("否", "n", "no")
CENT, HUNDRED = Decimal("0.01"), Decimal("100")


def is_error(cell) -> bool:
    """An error value (#N/A, #REF!, #DIV/0!…): core/spreadsheet.py marks the cell."""
    return cell is not None and bool(cell.error)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class MilestoneRow:
    row: int
    code: str
    name: str
    planned_date: datetime.date
    planned_progress: Decimal
    done_on: datetime.date | None


@dataclass(frozen=True)
class ProjectRow:
    row: int
    code: str
    name: str
    unit: str
    category: str
    actual: Decimal
    stalled: bool
    colour: str | None  # a Colour value set by hand, or None: by rule
    # None: the file has no 时间节点 (a .csv is one sheet), so stored milestones stay.
    milestones: tuple[MilestoneRow, ...] | None = ()


# ---------------------------------------------------------------- reading


def _header_key(key: str) -> str:
    """实际进度 or 计划进度 without (%) is the same column (read_table has already compared the
    header without spaces, line breaks and full-width forms: 实际进度\n（%） is 实际进度(%))."""
    return {"实际进度": COL_ACTUAL, "计划进度": COL_PLANNED}.get(key, key)


def parse_projects_workbook(fileobj, *, unit_names: Collection[str]) -> list[ProjectRow]:
    """The projects of the workbook with their milestones, checked against the session's unit
    names; raises WorkbookError listing every problem. Nothing is written."""
    book = open_workbook(fileobj, max_bytes=UPLOAD_MAX_BYTES)
    try:
        return _Parser(book, unit_names=set(unit_names)).parse()
    finally:
        book.close()


class _Parser:
    def __init__(self, book, *, unit_names: set[str]):
        self.book = book
        # The session's units by their normalised name (the form the reader gives every cell),
        # so that 区委办公室(区档案馆) in the workbook finds a unit stored before names were
        # normalised as 区委办公室（区档案馆）.
        self.units = {normalise_text(name): name for name in unit_names}
        # An .xls or .ods is read without number formats (see _percent).
        self.formats_unknown = not book.formats_known
        self.problems: list[Problem] = []

    def problem(self, text: str, sheet: str = "", row: int | None = None, column: str = ""):
        self.problems.append(Problem(text=text, sheet=sheet, row=row, column=column))

    def parse(self) -> list[ProjectRow]:
        projects, codes = self._projects()
        if self.book.single_sheet:
            # A .csv holds one sheet: it is 项目, and stored milestones are kept.
            if self.problems:
                self.problem(
                    _(
                        "CSV 文件只有一张表，按工作表“项目”读取；时间节点请用 .xlsx 或 .xls "
                        "工作簿导入（可下载模板）。"
                    )
                )
                raise WorkbookError(self.problems)
            return [replace(p, milestones=None) for p in projects]
        milestones = self._milestones(codes)
        if self.problems:
            # Sheet by sheet, row by row, as staff will fix them.
            self.problems.sort(key=lambda p: (p.sheet != SHEET_PROJECTS, p.sheet, p.row or 0))
            raise WorkbookError(self.problems)
        by_code: dict[str, list[MilestoneRow]] = {}
        for m in milestones:
            by_code.setdefault(m.code, []).append(m)
        return [replace(p, milestones=tuple(by_code.get(p.code, ()))) for p in projects]

    # ------------------------------------------------------------ sheets

    def _table(self, sheet: str, *, required, optional=(), max_rows: int) -> Table | None:
        worksheet = self.book.find(sheet)
        if worksheet is None:
            self.problem(self.book.missing(sheet), sheet)  # absent, or a chart sheet
            return None
        if worksheet.max_row > max_rows + 1:
            self.problem(
                _("超过 %(max)s 行，请删除多余的行或分批导入。") % {"max": max_rows}, sheet
            )
            return None
        # read_table finds the header under any title rows and ignores 序号, 备注 and 说明.
        return read_table(
            nonblank_rows(worksheet),
            sheet=sheet,
            required=required,
            optional=optional,
            problem=self.problem,
            header_key=_header_key,
        )

    def _error_values(self, table: Table, row: int, cells) -> None:
        """Report every error value (#N/A, #REF!…) of the row, in any column, a note or an
        unheaded one too: it is never data. The cell readers then pass over these cells
        without a second sentence."""
        headers = {index: title for title, index in table.columns.items()}
        for index, cell in enumerate(cells):
            if is_error(cell):
                self.problem(
                    error_value_problem(cell),
                    table.sheet,
                    row,
                    headers.get(index, column_letter(index + 1)),
                )

    def _projects(self) -> tuple[list[ProjectRow], set[str] | None]:
        """The valid rows, and every valid code (None when a code cell is itself wrong: every
        milestone of that project would then look orphaned and bury the real problem)."""
        before_table = len(self.problems)
        table = self._table(
            SHEET_PROJECTS,
            required=PROJECT_COLUMNS,
            optional=PROJECT_OPTIONAL,
            max_rows=MAX_PROJECTS,
        )
        if table is None:
            return [], None
        if not table.rows and len(self.problems) == before_table:
            self.problem(_("没有任何项目：请从第二行起每行填写一个项目。"), SHEET_PROJECTS)
        projects: list[ProjectRow] = []
        seen: dict[str, int] = {}
        # A reader may leave out a row it refused (an error value) after saying so: its code
        # is then unknown too.
        codes_ok = len(self.problems) == before_table
        for row, cells in table.rows:
            before = len(self.problems)
            self._error_values(table, row, cells)

            def text(column, max_length, *, cells=cells, row=row, prose=False):
                return self._text(table, row, cells, column, max_length=max_length, prose=prose)

            code = text(COL_CODE, CODE_MAX)
            codes_ok = codes_ok and code is not None
            name = text(COL_NAME, PROJECT_NAME_MAX, prose=True)
            unit = text(COL_UNIT, NAME_MAX)
            if unit is not None:
                if unit in self.units:
                    unit = self.units[unit]
                else:
                    self.problem(
                        _("单位“%(name)s”不在本评议会中。") % {"name": unit},
                        SHEET_PROJECTS,
                        row,
                        COL_UNIT,
                    )
            category = text(COL_CATEGORY, CATEGORY_MAX)
            actual = self._percent(table, row, cells, COL_ACTUAL)
            stalled = self._yes_no(table, row, cells, COL_STALLED)
            colour = self._colour(table, row, cells, COL_COLOUR)
            if code is not None:
                if code in seen:
                    self.problem(
                        _("项目编号“%(code)s”重复（第 %(first)s 行已列出）。")
                        % {"code": code, "first": seen[code]},
                        SHEET_PROJECTS,
                        row,
                        COL_CODE,
                    )
                else:
                    seen[code] = row
            if len(self.problems) == before:
                projects.append(
                    ProjectRow(
                        row=row,
                        code=code,
                        name=name,
                        unit=unit,
                        category=category,
                        actual=actual,
                        stalled=stalled,
                        colour=colour,
                    )
                )
        return projects, set(seen) if codes_ok else None

    def _milestones(self, codes: set[str] | None) -> list[MilestoneRow]:
        table = self._table(SHEET_MILESTONES, required=MILESTONE_COLUMNS, max_rows=MAX_MILESTONES)
        if table is None:
            return []
        milestones: list[MilestoneRow] = []
        names: dict[tuple[str, str], int] = {}
        for row, cells in table.rows:
            before = len(self.problems)
            self._error_values(table, row, cells)
            code = self._text(table, row, cells, COL_CODE, max_length=CODE_MAX)
            name = self._text(
                table, row, cells, COL_MILESTONE, max_length=MILESTONE_NAME_MAX, prose=True
            )
            planned_date = self._date(table, row, cells, COL_PLANNED_DATE, required=True)
            planned = self._percent(table, row, cells, COL_PLANNED)
            done_on = self._date(table, row, cells, COL_DONE, required=False)
            if code is not None and codes is not None and code not in codes:
                self.problem(
                    _("项目编号“%(code)s”不在工作表“项目”中。") % {"code": code},
                    SHEET_MILESTONES,
                    row,
                    COL_CODE,
                )
            elif code is not None and name is not None:
                if (code, name) in names:
                    self.problem(
                        _("项目“%(code)s”的节点“%(name)s”重复（第 %(first)s 行已列出）。")
                        % {"code": code, "name": name, "first": names[(code, name)]},
                        SHEET_MILESTONES,
                        row,
                        COL_MILESTONE,
                    )
                else:
                    names[(code, name)] = row
            if len(self.problems) == before:
                milestones.append(
                    MilestoneRow(
                        row=row,
                        code=code,
                        name=name,
                        planned_date=planned_date,
                        planned_progress=planned,
                        done_on=done_on,
                    )
                )
        self._check_planned_never_decreases(milestones)
        return milestones

    def _check_planned_never_decreases(self, milestones: list[MilestoneRow]) -> None:
        """A later milestone cannot plan less progress than an earlier one: the rule reads the
        plan at a date from the latest milestone due, which only makes sense on a rising plan."""
        by_code: dict[str, list[MilestoneRow]] = {}
        for m in milestones:
            by_code.setdefault(m.code, []).append(m)
        for rows in by_code.values():
            highest: MilestoneRow | None = None
            for m in sorted(rows, key=lambda m: (m.planned_date, m.planned_progress)):
                if highest is not None and m.planned_progress < highest.planned_progress:
                    self.problem(
                        _(
                            "计划进度 %(p)s%% 低于更早的节点“%(name)s”（第 %(row)s 行，"
                            "%(date)s 计划 %(q)s%%）：计划进度不能随时间减少。"
                        )
                        % {
                            "p": m.planned_progress,
                            "name": highest.name,
                            "row": highest.row,
                            "date": highest.planned_date.isoformat(),
                            "q": highest.planned_progress,
                        },
                        SHEET_MILESTONES,
                        m.row,
                        COL_PLANNED,
                    )
                elif highest is None or m.planned_progress > highest.planned_progress:
                    highest = m

    # ------------------------------------------------------------ cells

    def _text(self, table: Table, row: int, cells, column: str, *, max_length: int, prose=False):
        """A required text cell (``core.spreadsheet.cell_text``): codes and categories as the
        reader normalised them, names (``prose``) as written."""
        text, problem = cell_text(table.cell(cells, column), max_length=max_length, prose=prose)
        if problem:
            self.problem(problem, table.sheet, row, column)
        return text

    def _percent(self, table: Table, row: int, cells, column: str) -> Decimal | None:
        """0 to 100 with at most two decimals, read as ``percent_number`` says."""
        cell = table.cell(cells, column)
        if is_error(cell):
            return None
        if is_blank(cell):
            self.problem(_("不能为空。"), table.sheet, row, column)
            return None
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), table.sheet, row, column)
            return None
        value = cell.value
        number = percent_number(value, percent_formatted=cell.percent)
        if number is None or not number.is_finite():
            self.problem(
                _("“%(value)s”不是数字，请填写 0 到 100 之间的数。") % {"value": value},
                table.sheet,
                row,
                column,
            )
            return None
        if self.formats_unknown and isinstance(value, int | float) and 0 < number < 1:
            # An .ods as read here carries no number formats: 0.7 may be a cell shown as 70%
            # or a project at 0.7 %. Guessing either way could store a wrong colour.
            self.problem(
                _(
                    "无法判断“%(value)s”是 %(percent)s%% 还是 %(value)s%%（.ods 文件不带"
                    "单元格的百分比格式）：请写成 %(percent)s 或 %(percent)s%%，或把文件另存为 "
                    ".xlsx 后导入。"
                )
                % {
                    "value": f"{number.normalize():f}",
                    "percent": f"{(number * HUNDRED).normalize():f}",
                },
                table.sheet,
                row,
                column,
            )
            return None
        if not 0 <= number <= HUNDRED:
            self.problem(
                _("必须在 0 到 100 之间（现为 %(value)s）。")
                % {"value": f"{number.normalize():f}"},
                table.sheet,
                row,
                column,
            )
            return None
        if number != number.quantize(CENT):
            self.problem(_("最多两位小数。"), table.sheet, row, column)
            return None
        return number.quantize(CENT)

    def _date(self, table: Table, row: int, cells, column: str, *, required: bool):
        cell = table.cell(cells, column)
        if is_error(cell):
            return None
        if is_blank(cell):
            if required:
                self.problem(_("不能为空。"), table.sheet, row, column)
            return None
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), table.sheet, row, column)
            return None
        value = cell.value
        if (date := date_from(value)) is not None:
            return date
        self.problem(
            _(
                "“%(value)s”不是有效日期，请填写日期，或写成 2026-12-20、2026/12/20、"
                "2026.12.20、2026年12月20日。"
            )
            % {"value": value},
            table.sheet,
            row,
            column,
        )
        return None

    def _yes_no(self, table: Table, row: int, cells, column: str) -> bool:
        cell = table.cell(cells, column)
        if is_error(cell) or is_blank(cell):
            return False
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), table.sheet, row, column)
            return False
        value = cell.value
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in YES:
            return True
        if text in NO:
            return False
        self.problem(
            _("“%(value)s”应填写“是”或“否”（留空表示否）。") % {"value": value},
            table.sheet,
            row,
            column,
        )
        return False

    def _colour(self, table: Table, row: int, cells, column: str) -> str | None:
        cell = table.cell(cells, column)
        if is_error(cell) or is_blank(cell):
            return None
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), table.sheet, row, column)
            return None
        text = str(cell.value).removesuffix("色")
        if text in COLOURS:
            return COLOURS[text]
        self.problem(
            _("“%(value)s”不是颜色：请填写绿、蓝、黄或红，留空表示按规则计算。")
            % {"value": cell.value},
            table.sheet,
            row,
            column,
        )
        return None


# ---------------------------------------------------------------- the download


@dataclass(frozen=True)
class ExportProject:
    """What the download writes for one stored project (projects/selectors.py builds these)."""

    code: str
    name: str
    unit: str
    category: str
    actual: Decimal
    stalled: bool
    manual_colour: str | None
    milestones: tuple[tuple[str, datetime.date, Decimal, datetime.date | None], ...]


EXAMPLE_CATEGORY = "产业项目"


def workbook_bytes(*, projects: list[ExportProject], unit_names: list[str]) -> bytes:
    """The workbook staff download: the session's projects as stored (two example rows when
    there are none), the list of its units, and a 说明 sheet. Filled in, it imports as it is."""
    book = Workbook()
    bold = Font(bold=True)
    colour_labels = {value: label for label, value in COLOURS.items()}
    if not projects:
        unit = unit_names[0] if unit_names else "区发改委"
        projects = [
            ExportProject(
                code="ZD2026-001",
                name="智能装备产业园一期",
                unit=unit,
                category=EXAMPLE_CATEGORY,
                actual=Decimal("45"),
                stalled=False,
                manual_colour=None,
                milestones=(
                    ("完成土地征收", datetime.date(2026, 3, 31), Decimal("20"), None),
                    ("主体结构封顶", datetime.date(2026, 6, 30), Decimal("50"), None),
                    ("竣工验收", datetime.date(2026, 12, 31), Decimal("100"), None),
                ),
            )
        ]

    sheet = book.active
    sheet.title = SHEET_PROJECTS
    _append(sheet, [*PROJECT_COLUMNS, *PROJECT_OPTIONAL])
    for p in projects:
        _append(
            sheet,
            [
                p.code,
                p.name,
                p.unit,
                p.category,
                p.actual,
                "是" if p.stalled else "否",
                colour_labels.get(p.manual_colour or ""),
            ],
        )
    milestones = book.create_sheet(SHEET_MILESTONES)
    _append(milestones, list(MILESTONE_COLUMNS))
    for p in projects:
        for name, planned_date, planned, done_on in p.milestones:
            _append(milestones, [p.code, name, planned_date, planned, done_on])
    units = book.create_sheet(SHEET_UNITS)
    _append(units, [_("本评议会的单位（“责任单位”列须填写其中之一）")])
    for name in unit_names:
        _append(units, [name])
    help_sheet = book.create_sheet(SHEET_HELP)
    _append(help_sheet, [_("工作表"), _("列"), _("说明")])
    for row in _help_rows():
        _append(help_sheet, row)

    for worksheet in (sheet, milestones, units, help_sheet):
        for cell in worksheet[1]:
            cell.font = bold
        worksheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFG", (14, 36, 20, 14, 12, 8, 8), strict=True):
        sheet.column_dimensions[column].width = width
    for column, width in zip("ABCDE", (14, 24, 14, 12, 14), strict=True):
        milestones.column_dimensions[column].width = width
    units.column_dimensions["A"].width = 40
    help_sheet.column_dimensions["C"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append(worksheet, values) -> None:
    """One row below the last, every cell through core.spreadsheet.put: stored text
    such as "-1 分" or "=x" stays text, never a formula."""
    row = worksheet.max_row + 1 if worksheet.max_row > 1 or worksheet["A1"].value else 1
    for column, value in enumerate(values, start=1):
        date_format = "yyyy-mm-dd" if isinstance(value, datetime.date) else None
        put(worksheet, row, column, value, number_format=date_format)


def _help_rows() -> list[list[str]]:
    return [
        [SHEET_PROJECTS, COL_CODE, _("必填。每个项目一行，编号不能重复，不超过 40 个字符。")],
        [SHEET_PROJECTS, COL_NAME, _("必填。不超过 200 个字符。")],
        [SHEET_PROJECTS, COL_UNIT, _("必填。须是本评议会的单位（见工作表“责任单位”）。")],
        [SHEET_PROJECTS, COL_CATEGORY, _("必填。如产业项目、民生项目、基础设施、城市更新。")],
        [SHEET_PROJECTS, COL_ACTUAL, _("必填。0 到 100，最多两位小数；可写 45 或 45%。")],
        [SHEET_PROJECTS, COL_STALLED, _("选填。是或否，留空为否；停滞的项目为红色。")],
        [SHEET_PROJECTS, COL_COLOUR, _("选填。绿、蓝、黄或红：手动指定颜色；留空按规则计算。")],
        [SHEET_MILESTONES, COL_CODE, _("必填。须是工作表“项目”中的项目编号。")],
        [SHEET_MILESTONES, COL_MILESTONE, _("必填。同一项目的节点名称不能重复。")],
        [
            SHEET_MILESTONES,
            COL_PLANNED_DATE,
            _("必填。日期，或写成 2026-12-20、2026/12/20、2026.12.20、2026年12月20日的文字。"),
        ],
        [
            SHEET_MILESTONES,
            COL_PLANNED,
            _("必填。到计划日期应达到的进度，0 到 100；同一项目越晚的节点不能越小。"),
        ],
        [SHEET_MILESTONES, COL_DONE, _("选填。节点实际完成的日期；留空表示尚未完成。")],
        [
            "",
            "",
            _(
                "已有的项目编号按本文件更新（节点整体替换，进展和颜色记录保留）；文件中没有的"
                "项目保持不变。任何一格有误则整个文件都不导入。不能使用公式，文字不能以 = + - @ 开头。"
            ),
        ],
    ]
