"""The session workbook (docs/design.md §5): parse it into plain dataclasses, or build the
blank template staff download.

Parsing never writes anything. It reads the whole file and collects every problem it finds,
each naming its sheet, row and column, so that staff can fix a workbook in one pass; the import
services (sessions/imports.py) only ever see a workbook that parsed cleanly.

Files are read by core/spreadsheet.py (.xlsx, .xls, .ods, .csv; text normalised to NFKC);
``open_workbook``, ``read_table`` and the cell tests here are what every workbook import uses
(docs/workbooks.md).
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.spreadsheet import (
    FORMULA_STARTS,
    INPUT_FORMULA_STARTS,
    MAX_UNCOMPRESSED_BYTES,
    Book,
    Cell,
    Sheet,
    SpreadsheetError,
    date_from,
    display,
    invisible_differences,
    is_blank,
    is_formula,
    normalise_header,
    normalise_text,
    number_from_text,
    open_book,
    write_row,
)

from .models import ReviewSession

__all__ = [
    "FORMULA_STARTS",
    "MAX_UNCOMPRESSED_BYTES",
    "Book",
    "Cell",
    "Sheet",
    "is_blank",
    "is_formula",
    "normalise_text",
]

SHEET_META = "会议"
SHEET_UNITS = "单位"
SHEET_GROUPS = "评议组"
SHEET_RATERS = "评议人"
SHEET_HELP = "说明"

META_TITLE, META_YEAR, META_DATE, META_VENUE, META_KIND = "名称", "年度", "日期", "地点", "类型"
META_KEYS = (META_TITLE, META_YEAR, META_DATE, META_VENUE, META_KIND)

COL_NAME, COL_CATEGORY = "名称", "类别"
COL_WEIGHT, COL_MIN_SAMPLE = "权重", "最少有效票数"
COL_GROUP, COL_UNIT, COL_COUNT, COL_HOLDER = "评议组", "所在单位", "人数", "姓名"
COL_SPEAKING_ORDER = "发言顺序"
# Columns staff may add for their own notes, and the row numbers offices put first; anything
# else unknown is reported, because a misspelt header (say 最少有效票) would otherwise be
# silently ignored.
NOTE_COLUMNS = ("备注", "说明", "序号")
# Headers written with the unit in brackets mean the same column: 权重（%） is 权重.
HEADER_ALIASES = {"权重(%)": COL_WEIGHT, "权重%": COL_WEIGHT}
# A row under the rater groups adding them up is not a group.
TOTAL_NAMES = ("合计", "总计", "小计", "合计:", "总计:")
# The header is looked for in this many rows from the top (title and note rows above it).
HEADER_SEARCH_ROWS = 10

KINDS = {
    "年度": ReviewSession.Kind.ANNUAL,
    "annual": ReviewSession.Kind.ANNUAL,
    "年中": ReviewSession.Kind.MIDYEAR,
    "midyear": ReviewSession.Kind.MIDYEAR,
    "自定义": ReviewSession.Kind.CUSTOM,
    "custom": ReviewSession.Kind.CUSTOM,
}

NAME_MAX = 100  # Unit, UnitCategory, RaterGroup and Credential.holder_name
TITLE_MAX = 200  # ReviewSession.title and venue
YEAR_MIN, YEAR_MAX = 2000, 2100  # ReviewSession.year validators
COUNT_MAX = 2000  # sessions.credentials.MAX_PER_CALL
MIN_SAMPLE_MAX = 1000
WEIGHT_MAX = Decimal("9999.99")  # RaterGroup.weight: max_digits 6, decimal places 2
MAX_ROWS = 5000  # per sheet; far above any real session, low enough to keep parsing cheap
MAX_CREDENTIALS = 10000  # per workbook

YEAR_TEXT = re.compile(r"(\d{4})\s*年?度?")


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class SessionMeta:
    title: str
    year: int
    date: datetime.date | None
    venue: str
    kind: str


@dataclass(frozen=True)
class UnitRow:
    name: str
    category: str
    row: int = 0  # the row in sheet 单位, for messages from the import services
    speaking_order: int | None = None  # column 发言顺序, when the workbook gives it


@dataclass(frozen=True)
class GroupRow:
    name: str
    weight: Decimal
    min_sample: int | None = None
    row: int = 0


@dataclass(frozen=True)
class RaterRow:
    """One row of 评议人: ``count`` anonymous credentials, or one per name in ``names``."""

    group: str
    unit: str | None
    count: int
    names: tuple[str, ...] = ()
    row: int = 0


@dataclass(frozen=True)
class SessionWorkbook:
    meta: SessionMeta | None
    units: list[UnitRow] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)
    raters: list[RaterRow] = field(default_factory=list)

    @property
    def credential_count(self) -> int:
        return sum(r.count for r in self.raters)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workbook; ``str()`` is the sentence shown to staff."""

    text: str
    sheet: str = ""
    row: int | None = None
    column: str = ""

    def __str__(self) -> str:
        where = ""
        if self.sheet:
            where += _("工作表“%(sheet)s”") % {"sheet": self.sheet}
        if self.row:
            where += _("第 %(row)s 行") % {"row": self.row}
        if self.column:
            where += _("“%(column)s”列") % {"column": self.column}
        return f"{where}：{self.text}" if where else self.text


class WorkbookError(ValidationError):
    """Every problem found in a workbook; ``messages`` are the sentences, ``problems`` the
    structured form the browser shows as a table."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__([str(p) for p in self.problems])


def problems_of(exc: ValidationError) -> list[Problem]:
    """What a failed import says, as the table the upload pages show: the workbook's own
    problems, or a service's messages without a place."""
    if isinstance(exc, WorkbookError):
        return exc.problems
    return [Problem(text=message) for message in exc.messages]


# ---------------------------------------------------------------- parsing


def parse_session_workbook(fileobj, *, require_meta: bool = True) -> SessionWorkbook:
    """Read a session workbook from a binary file object. With ``require_meta`` False (import
    into an existing session) the 会议 sheet is not read and ``meta`` is None."""
    book = open_workbook(fileobj)
    try:
        if book.single_sheet:
            raise WorkbookError(
                [
                    Problem(
                        _(
                            "CSV 文件只有一张表，评议会工作簿需要“会议”“单位”“评议组”等多张"
                            "工作表：请使用 .xlsx 或 .xls 工作簿（可下载模板）。"
                        )
                    )
                ]
            )
        return _Parser(book, require_meta=require_meta).parse()
    finally:
        book.close()


def open_workbook(fileobj, *, max_bytes: int | None = None) -> Book:
    """The workbook, or WorkbookError saying why not: bigger than ``max_bytes`` (default
    UPLOAD_MAX_BYTES), not a spreadsheet, encrypted, a legacy file that cannot be read, or a
    zip that inflates too far (core/spreadsheet.py). Every workbook upload opens through here."""
    max_bytes = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = _size(fileobj)
    if size > max_bytes:
        raise WorkbookError(
            [
                Problem(
                    _("文件大小为 %(size).1f MB，超过上限 %(max).1f MB。")
                    % {"size": size / 1024 / 1024, "max": max_bytes / 1024 / 1024}
                )
            ]
        )
    try:
        return open_book(fileobj)
    except SpreadsheetError as exc:
        raise WorkbookError([Problem(str(exc))]) from None


def _size(fileobj) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def _whole_number(value) -> int | None:
    """An int from an int, an integral float or Decimal, or digits as text; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        return int(value) if value == int(value) else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def error_value_problem(cell: Cell) -> str:
    return _("“%(value)s”是表格的错误值，请改为要导入的内容。") % {"value": cell.value}


@dataclass
class Table:
    """A sheet with a header row: ``columns`` maps header text to its column index."""

    sheet: str
    columns: dict[str, int]
    rows: list[tuple[int, tuple]]  # (row number, cells), blank rows left out
    header_row: int = 1

    def cell(self, cells: tuple, column: str):
        index = self.columns.get(column)
        if index is None or index >= len(cells):
            return None
        return cells[index]


def nonblank_rows(worksheet: Sheet) -> list[tuple[int, tuple]]:
    """The rows of ``worksheet`` that hold anything, as (row number, cells)."""
    return list(worksheet.rows)


def _header_titles(cells, header_key: Callable[[str], str]) -> list[tuple[int, str]]:
    return [
        (index, header_key(normalise_header(str(cell.value))))
        for index, cell in enumerate(cells)
        if not is_blank(cell) and not is_formula(cell) and not cell.error
    ]


def _looks_like_title(cells) -> bool:
    """One filled cell (often merged across the table): a title, not a header."""
    return sum(1 for cell in cells if not is_blank(cell)) == 1


def read_table(
    rows: list[tuple[int, tuple]],
    *,
    sheet: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    problem: Callable[..., None],
    header_key: Callable[[str], str] = str.strip,
) -> Table | None:
    """The sheet's header row and the rows under it as data: a Table, or None after telling
    ``problem(text, sheet, row)`` every header problem (empty sheet, a header twice, an unknown
    one, a required one missing). The header is the first row holding every required header;
    title and note rows above it are skipped. Header text is compared normalised (NFKC, no
    spaces or line breaks) and then through ``header_key`` (e.g. to accept 实际进度（%） for
    实际进度(%)). Every workbook import reads its sheets through here, so they all answer a wrong header
    alike."""
    expected = "、".join((*required, *optional))
    if not rows:
        problem(
            _("工作表是空的：请在第一行填写表头（%(columns)s）。") % {"columns": expected}, sheet
        )
        return None
    known = (*required, *optional, *NOTE_COLUMNS)
    # The first row holding every required header; failing that, the one holding most known
    # headers, so that a missing one is reported against the header the sheet has.
    start, best = 0, -1
    for index, (_row, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        titles = {title for _index, title in _header_titles(cells, header_key)}
        if all(title in titles for title in required):
            start = index
            break
        matches = len(titles.intersection(known))
        if matches > best:
            start, best = index, matches
    else:
        first_row, first_cells = rows[0]
        if best == 0 and _looks_like_title(first_cells) and len(rows) > 1:
            text = next(str(c.value) for c in first_cells if not is_blank(c))
            problem(
                _(
                    "第 %(row)s 行像标题（“%(text)s”），但其下没有找到表头行：表头应包含"
                    "%(columns)s。"
                )
                % {"row": first_row, "text": text, "columns": "、".join(required)},
                sheet,
            )
            return None
    header_row, header_cells = rows[start]
    columns: dict[str, int] = {}
    ok = True
    for index, title in _header_titles(header_cells, header_key):
        if title in columns:
            problem(_("表头“%(title)s”重复。") % {"title": title}, sheet, header_row)
            ok = False
        elif title not in known:
            problem(
                _("未知的表头“%(title)s”；可用的表头：%(columns)s。")
                % {"title": title, "columns": expected},
                sheet,
                header_row,
            )
            ok = False
        columns[title] = index
    for title in required:
        if title not in columns:
            problem(
                _("缺少表头“%(title)s”（表头行应为：%(columns)s）。")
                % {"title": title, "columns": expected},
                sheet,
            )
            ok = False
    if not ok:
        return None
    return Table(sheet=sheet, columns=columns, rows=rows[start + 1 :], header_row=header_row)


class _Parser:
    def __init__(self, book, *, require_meta: bool):
        self.book = book
        self.require_meta = require_meta
        self.problems: list[Problem] = []
        # Names 评议人 may refer to: every valid name cell of 单位 and 评议组, even on rows with
        # other problems; None when a name cell is itself wrong, since every reference would
        # then look unknown and bury the one problem that matters.
        self.unit_names: set[str] | None = None
        self.group_names: set[str] | None = None

    def parse(self) -> SessionWorkbook:
        meta = self._meta() if self.require_meta else None
        units = self._units()
        groups = self._groups()
        raters = self._raters()
        if self.problems:
            raise WorkbookError(self.problems)
        return SessionWorkbook(meta=meta, units=units or [], groups=groups or [], raters=raters)

    def problem(self, text: str, sheet: str = "", row: int | None = None, column: str = ""):
        self.problems.append(Problem(text=text, sheet=sheet, row=row, column=column))

    # ------------------------------------------------------------ sheets

    def _rows(self, sheet: str, *, required: bool):
        """The non-blank rows of ``sheet`` as (row number, cells), or None if it is missing.
        Sheet names are compared normalised (“ 单位 ” is 单位); a chart sheet is no sheet."""
        worksheet = self.book.find(sheet)
        if worksheet is None:
            if required:
                self.problem(self.book.missing(sheet), sheet)
            return None
        # Rows that hold data: formatting a whole sheet down to row 1048576 costs nothing.
        if worksheet.max_row > MAX_ROWS:
            self.problem(
                _("有内容的行超过 %(max)s 行，请删除多余的行或分批导入。") % {"max": MAX_ROWS},
                sheet,
            )
            return None
        return nonblank_rows(worksheet)

    def _table(self, sheet: str, *, required_columns, optional_columns=(), required=True):
        rows = self._rows(sheet, required=required)
        if rows is None:
            return None
        return read_table(
            rows,
            sheet=sheet,
            required=required_columns,
            optional=optional_columns,
            problem=self.problem,
            header_key=lambda title: HEADER_ALIASES.get(title, title),
        )

    def _refused(self, cell, sheet: str, row: int, column: str) -> bool:
        """Report a formula or an error value (#N/A, #REF!…) where a value is wanted."""
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), sheet, row, column)
            return True
        if getattr(cell, "error", ""):
            self.problem(error_value_problem(cell), sheet, row, column)
            return True
        return False

    def _duplicate(self, text: str, sheet: str, row: int, column: str, first_raw, cell) -> None:
        """Report a name listed twice; when the two differ only invisibly (bracket width,
        zero-width characters, spaces), say so: the person sees two different names."""
        raw = getattr(cell, "raw", None)
        hint = ""
        if isinstance(raw, str) and isinstance(first_raw, str) and raw != first_raw:
            hint = _("两处写法只差在%(kinds)s，导入时视为同一名称。") % {
                "kinds": "、".join(invisible_differences(first_raw, raw))
            }
        self.problem(text + hint, sheet, row, column)

    def _meta(self) -> SessionMeta | None:
        before = len(self.problems)
        rows = self._rows(SHEET_META, required=True)
        if rows is None:
            return None
        cells: dict[str, tuple[int, object]] = {}
        if rows and _looks_like_title(rows[0][1]) and not is_blank(rows[0][1][0]):
            first = normalise_header(str(rows[0][1][0].value))
            if first not in META_KEYS:
                rows = rows[1:]  # a title such as “会议信息” above the items
        for row, row_cells in rows:
            key_cell = row_cells[0]
            value_cell = row_cells[1] if len(row_cells) > 1 else None
            if (
                key_cell is not None
                and key_cell.error
                or value_cell is not None
                and value_cell.error
            ):
                bad = key_cell if key_cell is not None and key_cell.error else value_cell
                self.problem(error_value_problem(bad), SHEET_META, row, bad.coordinate[:1])
                continue
            if is_blank(key_cell):
                self.problem(
                    _("第一列应填写项目名称（%(keys)s）。") % {"keys": "、".join(META_KEYS)},
                    SHEET_META,
                    row,
                    "A",
                )
                continue
            key = normalise_header(str(key_cell.value))
            if key not in META_KEYS:
                self.problem(
                    _("未知的项目“%(key)s”；可填写：%(keys)s。")
                    % {"key": key, "keys": "、".join(META_KEYS)},
                    SHEET_META,
                    row,
                    "A",
                )
            elif key in cells:
                self.problem(
                    _("项目“%(key)s”重复（第 %(first)s 行已填写）。")
                    % {"key": key, "first": cells[key][0]},
                    SHEET_META,
                    row,
                    "A",
                )
            else:
                cells[key] = (row, value_cell)

        def text(key: str, *, required: bool, max_length: int) -> str | None:
            row, cell = cells.get(key, (None, None))
            if row is None:
                if required:
                    self.problem(_("缺少项目“%(key)s”。") % {"key": key}, SHEET_META)
                return None
            return self._text(SHEET_META, row, key, cell, required=required, max_length=max_length)

        title = text(META_TITLE, required=True, max_length=TITLE_MAX)
        venue = text(META_VENUE, required=False, max_length=TITLE_MAX) or ""
        kind_text = text(META_KIND, required=False, max_length=NAME_MAX)
        kind = ReviewSession.Kind.CUSTOM
        if kind_text:
            kind = KINDS.get(kind_text.lower())
            if kind is None:
                self.problem(
                    _("未知的类型“%(kind)s”；可填写：年度、年中、自定义。") % {"kind": kind_text},
                    SHEET_META,
                    cells[META_KIND][0],
                    META_KIND,
                )
        date = self._meta_date(cells.get(META_DATE))
        year = self._meta_year(cells.get(META_YEAR), date, cells.get(META_DATE))
        if len(self.problems) > before:
            return None
        return SessionMeta(title=title, year=year, date=date, venue=venue, kind=kind)

    def _meta_date(self, entry) -> datetime.date | None:
        if entry is None or is_blank(entry[1]):
            return None
        row, cell = entry
        if self._refused(cell, SHEET_META, row, META_DATE):
            return None
        value = cell.value
        date = date_from(value)
        if date is not None:
            return date
        self.problem(
            _(
                "“%(value)s”不是有效日期，请填写日期，或 2025-12-20、2025/12/20、2025.12.20、"
                "2025年12月20日 格式的文字。"
            )
            % {"value": display(value)},
            SHEET_META,
            row,
            META_DATE,
        )
        return None

    def _meta_year(self, entry, date, date_entry) -> int | None:
        if entry is None or is_blank(entry[1]):
            # Section 5: the year defaults to the year of the date, else the current year.
            if date_entry is not None and not is_blank(date_entry[1]) and date is None:
                return None  # the date is wrong and already reported
            if date:
                if not YEAR_MIN <= date.year <= YEAR_MAX:
                    self.problem(
                        _("日期的年份须在 %(min)s 到 %(max)s 之间。")
                        % {"min": YEAR_MIN, "max": YEAR_MAX},
                        SHEET_META,
                        date_entry[0],
                        META_DATE,
                    )
                    return None
                return date.year
            return timezone.localdate().year
        row, cell = entry
        if self._refused(cell, SHEET_META, row, META_YEAR):
            return None
        value = cell.value
        match = YEAR_TEXT.fullmatch(value.strip()) if isinstance(value, str) else None
        year = int(match.group(1)) if match else _whole_number(value)
        if year is None or not YEAR_MIN <= year <= YEAR_MAX:
            self.problem(
                _("“%(value)s”不是有效年度，请填写 %(min)s 到 %(max)s 之间的四位数年份。")
                % {"value": display(value), "min": YEAR_MIN, "max": YEAR_MAX},
                SHEET_META,
                row,
                META_YEAR,
            )
            return None
        return year

    def _units(self) -> list[UnitRow] | None:
        table = self._table(
            SHEET_UNITS,
            required_columns=(COL_NAME, COL_CATEGORY),
            optional_columns=(COL_SPEAKING_ORDER,),
        )
        if table is None:
            return None
        units: list[UnitRow] = []
        seen: dict[str, tuple[int, object]] = {}
        names_ok = True
        orders: dict[int, int] = {}  # speaking order -> first row
        for row, cells in table.rows:
            before = len(self.problems)
            name = self._name(table, row, cells, COL_NAME)
            names_ok = names_ok and name is not None
            category = self._name(table, row, cells, COL_CATEGORY)
            order = self._speaking_order(table, row, cells, orders)
            if name in seen:
                self._duplicate(
                    _("单位“%(name)s”重复（第 %(first)s 行已列出）。")
                    % {"name": name, "first": seen[name][0]},
                    SHEET_UNITS,
                    row,
                    COL_NAME,
                    seen[name][1],
                    table.cell(cells, COL_NAME),
                )
            elif name is not None:
                seen[name] = (row, table.cell(cells, COL_NAME).raw)
            if len(self.problems) == before:
                units.append(UnitRow(name=name, category=category, row=row, speaking_order=order))
        if self.require_meta and not table.rows:
            self.problem(_("没有任何单位：请从第二行起每行填写一个单位。"), SHEET_UNITS)
        if COL_SPEAKING_ORDER in table.columns and orders:
            # Given at all, it is the whole order: 1 to n, one place for each unit.
            n = len(table.rows)
            for row, cells in table.rows:
                if is_blank(table.cell(cells, COL_SPEAKING_ORDER)):
                    self.problem(
                        _("填写了发言顺序时每个单位都要填写（1 到 %(n)s）。") % {"n": n},
                        SHEET_UNITS,
                        row,
                        COL_SPEAKING_ORDER,
                    )
            for order, row in orders.items():
                if order > n:
                    self.problem(
                        _("发言顺序 %(order)s 超出单位数：应为 1 到 %(n)s。")
                        % {"order": order, "n": n},
                        SHEET_UNITS,
                        row,
                        COL_SPEAKING_ORDER,
                    )
        self.unit_names = set(seen) if names_ok else None
        return units

    def _speaking_order(self, table: Table, row: int, cells, orders: dict[int, int]):
        cell = table.cell(cells, COL_SPEAKING_ORDER)
        if is_blank(cell):
            return None
        if self._refused(cell, SHEET_UNITS, row, COL_SPEAKING_ORDER):
            return None
        number = _whole_number(cell.value)
        if number is None or number < 1:
            self.problem(
                _("“%(value)s”不是发言顺序：请填写从 1 开始的整数。") % {"value": cell.value},
                SHEET_UNITS,
                row,
                COL_SPEAKING_ORDER,
            )
            return None
        if number in orders:
            self.problem(
                _("发言顺序 %(order)s 重复（第 %(first)s 行已使用）。")
                % {"order": number, "first": orders[number]},
                SHEET_UNITS,
                row,
                COL_SPEAKING_ORDER,
            )
            return None
        orders[number] = row
        return number

    def _groups(self) -> list[GroupRow] | None:
        table = self._table(
            SHEET_GROUPS,
            required_columns=(COL_NAME, COL_WEIGHT),
            optional_columns=(COL_MIN_SAMPLE,),
        )
        if table is None:
            return None
        groups: list[GroupRow] = []
        seen: dict[str, tuple[int, object]] = {}
        names_ok = True
        total: tuple[int, Decimal | None] | None = None
        for row, cells in table.rows:
            before = len(self.problems)
            name_cell = table.cell(cells, COL_NAME)
            if (
                total is None
                and isinstance(getattr(name_cell, "value", None), str)
                and normalise_header(name_cell.value) in TOTAL_NAMES
            ):
                # 合计 | 100 under the groups adds them up; it is not a group.
                weight_cell = table.cell(cells, COL_WEIGHT)
                weight = None if is_blank(weight_cell) else self._weight(row, weight_cell)
                total = (row, weight)
                continue
            name = self._name(table, row, cells, COL_NAME)
            names_ok = names_ok and name is not None
            weight = self._weight(row, table.cell(cells, COL_WEIGHT))
            min_sample = self._min_sample(row, table.cell(cells, COL_MIN_SAMPLE))
            if name in seen:
                self._duplicate(
                    _("评议组“%(name)s”重复（第 %(first)s 行已列出）。")
                    % {"name": name, "first": seen[name][0]},
                    SHEET_GROUPS,
                    row,
                    COL_NAME,
                    seen[name][1],
                    name_cell,
                )
            elif name is not None:
                seen[name] = (row, name_cell.raw)
            if len(self.problems) == before:
                groups.append(GroupRow(name=name, weight=weight, min_sample=min_sample, row=row))
        fractions = [g for g in groups if 0 < g.weight < 1]
        if fractions and any(g.weight >= 1 for g in groups):
            # A percent-formatted 20 % is stored as 0.2; .xls and .ods do not say the cell is
            # formatted so (core/spreadsheet.py), and 0.2 beside 40 is never what was meant.
            for g in fractions:
                self.problem(
                    _(
                        "权重 %(weight)s 小于 1，其他评议组的权重却有 %(other)s：若这里是百分比"
                        "格式的 %(percent)s%%，请直接填写 %(percent)s。"
                    )
                    % {
                        "weight": f"{g.weight.normalize():f}",
                        "other": f"{max(x.weight for x in groups).normalize():f}",
                        "percent": f"{(g.weight * 100).normalize():f}",
                    },
                    SHEET_GROUPS,
                    g.row,
                    COL_WEIGHT,
                )
        if total is not None and total[1] is not None and not self.problems:
            added = sum((g.weight for g in groups), Decimal("0"))
            if added != total[1]:
                self.problem(
                    _("合计 %(total)s 与上面各组权重之和 %(sum)s 不一致：是否漏了一个评议组？")
                    % {"total": f"{total[1].normalize():f}", "sum": f"{added.normalize():f}"},
                    SHEET_GROUPS,
                    total[0],
                    COL_WEIGHT,
                )
        if self.require_meta and not groups and not table.rows:
            self.problem(_("没有任何评议组：请从第二行起每行填写一个评议组。"), SHEET_GROUPS)
        self.group_names = set(seen) if names_ok else None
        return groups

    def _raters(self) -> list[RaterRow]:
        worksheet = self.book.find(SHEET_RATERS)
        if worksheet is None or not worksheet.rows:
            return []  # optional: no sheet, or an empty one, means no raters
        table = self._table(
            SHEET_RATERS,
            required_columns=(COL_GROUP, COL_UNIT),
            optional_columns=(COL_COUNT, COL_HOLDER),
        )
        if table is None or not table.rows:
            return []
        if COL_COUNT not in table.columns and COL_HOLDER not in table.columns:
            self.problem(
                _("缺少表头“人数”或“姓名”：按人数生成匿名评议码，或每行填写一个姓名。"),
                SHEET_RATERS,
            )
            return []
        unit_names, group_names = self.unit_names, self.group_names
        raters: list[RaterRow] = []
        for row, cells in table.rows:
            before = len(self.problems)
            group = self._name(table, row, cells, COL_GROUP)
            unit = self._name(table, row, cells, COL_UNIT, required=False)
            holder = self._name(table, row, cells, COL_HOLDER, required=False)
            count_cell = table.cell(cells, COL_COUNT)
            count = None if is_blank(count_cell) else self._count(row, count_cell)
            if group is not None and group_names is not None and group not in group_names:
                self.problem(
                    _("评议组“%(name)s”不在工作表“评议组”中。") % {"name": group},
                    SHEET_RATERS,
                    row,
                    COL_GROUP,
                )
            if unit is not None and unit_names is not None and unit not in unit_names:
                self.problem(
                    _("单位“%(name)s”不在工作表“单位”中；不属于述职单位的评议人请留空。")
                    % {"name": unit},
                    SHEET_RATERS,
                    row,
                    COL_UNIT,
                )
            if holder is not None and count not in (None, 1):
                self.problem(
                    _("填写了姓名时每行只生成一个评议码，人数请留空。"),
                    SHEET_RATERS,
                    row,
                    COL_COUNT,
                )
            if len(self.problems) > before:
                continue
            if holder is None and count is None:
                column = COL_COUNT if COL_COUNT in table.columns else COL_HOLDER
                self.problem(_("请填写人数或姓名。"), SHEET_RATERS, row, column)
                continue
            raters.append(
                RaterRow(
                    group=group,
                    unit=unit,
                    count=1 if holder is not None else count,
                    names=(holder,) if holder is not None else (),
                    row=row,
                )
            )
        total = sum(r.count for r in raters)
        if total > MAX_CREDENTIALS:
            self.problem(
                _("评议码总数 %(n)s 超过上限 %(max)s。") % {"n": total, "max": MAX_CREDENTIALS},
                SHEET_RATERS,
            )
        return raters

    # ------------------------------------------------------------ cells

    def _name(self, table: Table, row: int, cells, column: str, *, required: bool = True):
        """The text of a name cell, or None when blank or wrong (a problem is then recorded)."""
        if column not in table.columns:
            return None
        cell = table.cell(cells, column)
        return self._text(table.sheet, row, column, cell, required=required, max_length=NAME_MAX)

    def _text(self, sheet, row, column, cell, *, required: bool, max_length: int) -> str | None:
        if cell is None or is_blank(cell):
            if required:
                self.problem(_("不能为空。"), sheet, row, column)
            return None
        if self._refused(cell, sheet, row, column):
            return None
        if getattr(cell, "error", ""):
            self.problem(error_value_problem(cell), sheet, row, column)
            return None
        value = cell.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        # A spreadsheet runs text starting with = or @; “-1分：迟报材料” is only text, and
        # exports write it back as text (core.spreadsheet.put).
        if text.startswith(INPUT_FORMULA_STARTS):
            self.problem(_("不能以“=”或“@”开头（表格软件会把它当作公式）。"), sheet, row, column)
            return None
        if "<" in text or ">" in text:
            self.problem(_("不能包含“<”或“>”。"), sheet, row, column)
            return None
        if len(text) > max_length:
            self.problem(
                _("不能超过 %(max)s 个字符（现有 %(n)s 个）。")
                % {"max": max_length, "n": len(text)},
                sheet,
                row,
                column,
            )
            return None
        return text

    def _weight(self, row: int, cell) -> Decimal | None:
        if cell is None or is_blank(cell):
            self.problem(_("不能为空。"), SHEET_GROUPS, row, COL_WEIGHT)
            return None
        if self._refused(cell, SHEET_GROUPS, row, COL_WEIGHT):
            return None
        value = cell.value
        weight = None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            weight = Decimal(str(value))
            if cell.percent:
                # 20 % typed into a percent-formatted cell is stored 0.2; beside 40, 20, 20
                # typed as plain numbers it is meant as 20.
                weight *= 100
        elif isinstance(value, str):
            weight = number_from_text(value)  # ４０, 40%, －1 (then refused as negative)
        if weight is None or not weight.is_finite():
            self.problem(
                _("“%(value)s”不是数字。") % {"value": value}, SHEET_GROUPS, row, COL_WEIGHT
            )
            return None
        if weight < 0:
            self.problem(_("不能为负数。"), SHEET_GROUPS, row, COL_WEIGHT)
            return None
        if weight > WEIGHT_MAX or weight != weight.quantize(Decimal("0.01")):
            self.problem(
                _("不能超过 %(max)s，且最多两位小数。") % {"max": WEIGHT_MAX},
                SHEET_GROUPS,
                row,
                COL_WEIGHT,
            )
            return None
        return weight.quantize(Decimal("0.01"))

    def _min_sample(self, row: int, cell) -> int | None:
        """None when blank: the scheme's default applies."""
        if cell is None or is_blank(cell):
            return None
        if self._refused(cell, SHEET_GROUPS, row, COL_MIN_SAMPLE):
            return None
        number = _whole_number(cell.value)
        if number is None or not 1 <= number <= MIN_SAMPLE_MAX:
            self.problem(
                _("必须是 1 到 %(max)s 之间的整数。") % {"max": MIN_SAMPLE_MAX},
                SHEET_GROUPS,
                row,
                COL_MIN_SAMPLE,
            )
            return None
        return number

    def _count(self, row: int, cell) -> int | None:
        if self._refused(cell, SHEET_RATERS, row, COL_COUNT):
            return None
        number = _whole_number(cell.value)
        if number is None or not 1 <= number <= COUNT_MAX:
            self.problem(
                _("必须是 1 到 %(max)s 之间的整数。") % {"max": COUNT_MAX},
                SHEET_RATERS,
                row,
                COL_COUNT,
            )
            return None
        return number


# ---------------------------------------------------------------- the template


def template_workbook_bytes() -> bytes:
    """The blank workbook staff download: the four sheets with headers and two example rows
    each, and a 说明 sheet explaining every column. It imports as it is."""
    book = Workbook()
    bold = Font(bold=True)

    meta = book.active
    meta.title = SHEET_META
    for key, value in (
        (META_TITLE, "2026年年中述职讲评暨现场问政会"),
        (META_YEAR, 2026),
        (META_DATE, datetime.date(2026, 7, 15)),
        (META_VENUE, "区行政中心第一会议室"),
        (META_KIND, "年中"),
    ):
        write_row(meta, [key, value])
        meta.cell(row=meta.max_row, column=1).font = bold
    meta["B3"].number_format = "yyyy-mm-dd"

    def sheet(title: str, header: list[str], rows: list[list]) -> None:
        worksheet = book.create_sheet(title)
        write_row(worksheet, header)
        for cell in worksheet[1]:
            cell.font = bold
        for row in rows:
            write_row(worksheet, row)
        for column in "ABCD"[: len(header)]:
            worksheet.column_dimensions[column].width = 22

    meta.column_dimensions["A"].width = 12
    meta.column_dimensions["B"].width = 36
    sheet(
        SHEET_UNITS,
        [COL_NAME, COL_CATEGORY],
        [["城关镇", "镇(街道)"], ["区发展和改革委员会", "政府部门"]],
    )
    sheet(
        SHEET_GROUPS,
        [COL_NAME, COL_WEIGHT, COL_MIN_SAMPLE],
        [["县级领导", 40, 3], ["镇(街道)", 20, None]],
    )
    sheet(
        SHEET_RATERS,
        [COL_GROUP, COL_UNIT, COL_COUNT, COL_HOLDER],
        [["县级领导", None, 5, None], ["镇(街道)", "城关镇", None, "张三"]],
    )

    help_sheet = book.create_sheet(SHEET_HELP)
    write_row(help_sheet, ["工作表", "列", "说明"])
    for cell in help_sheet[1]:
        cell.font = bold
    for row in _help_rows():
        write_row(help_sheet, row)
    help_sheet.column_dimensions["A"].width = 10
    help_sheet.column_dimensions["B"].width = 14
    help_sheet.column_dimensions["C"].width = 90

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _help_rows() -> list[list[str]]:
    return [
        [SHEET_META, "", _("两列：第一列是项目，第二列是内容。")],
        [SHEET_META, META_TITLE, _("必填。评议会名称，不超过 200 个字符。")],
        [SHEET_META, META_YEAR, _("选填。四位数年份；不填则取日期的年份，再不填取今年。")],
        [
            SHEET_META,
            META_DATE,
            _("选填。日期格式的单元格，或 2025-12-20、2025/12/20、2025年12月20日 格式的文字。"),
        ],
        [SHEET_META, META_VENUE, _("选填。会议地点。")],
        [SHEET_META, META_KIND, _("选填。年度、年中或自定义；不填为自定义。")],
        [SHEET_UNITS, COL_NAME, _("必填。单位名称，不能重复。列出的单位都作为固定述职单位参加。")],
        [
            SHEET_UNITS,
            COL_SPEAKING_ORDER,
            _("选填的列。填写时每个单位都填 1 到单位数的整数，不能重复；不填则导入后抽签。"),
        ],
        [
            SHEET_UNITS,
            COL_CATEGORY,
            _(
                "必填。单位类别，结果在类别内排名。交叉评议归属与本区评议会模板中同名的类别相同；"
                "模板中没有的类别归入“其他”，导入后可在单位页修改。"
            ),
        ],
        [SHEET_GROUPS, COL_NAME, _("必填。评议组名称，不能重复。")],
        [
            SHEET_GROUPS,
            COL_WEIGHT,
            _(
                "必填。不小于 0 的数，最多两位小数，可写 40 或 40%；各组按比例计算，不必加总为 "
                "100。下面的“合计”行会被跳过。"
            ),
        ],
        [SHEET_GROUPS, COL_MIN_SAMPLE, _("选填。少于此票数时该组对该单位视为无数据；不填为 3。")],
        [SHEET_RATERS, "", _("选填的工作表。每行生成一批评议码。")],
        [SHEET_RATERS, COL_GROUP, _("必填。须是“评议组”工作表中的评议组。")],
        [
            SHEET_RATERS,
            COL_UNIT,
            _("评议人所在单位，须是“单位”工作表中的单位；填写后该评议码不能评本单位。可留空。"),
        ],
        [SHEET_RATERS, COL_COUNT, _("生成的匿名评议码数量，1 到 2000。与“姓名”二选一。")],
        [SHEET_RATERS, COL_HOLDER, _("评议码持有人姓名，每行一人一码。与“人数”二选一。")],
        [
            "",
            "",
            _(
                "所有文字不能以 = 或 @ 开头，不能包含 < 或 >，不能使用公式；"
                "名称不超过 100 个字符；空行、表头上方的标题行和“序号”列会被跳过。"
            ),
        ],
    ]
