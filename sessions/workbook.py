"""The session workbook (DESIGN.md section 5): parse it into plain dataclasses, or build the
blank template staff download.

Parsing never writes anything. It reads the whole file and collects every problem it finds,
each naming its sheet, row and column, so that staff can fix a workbook in one pass; the import
services (sessions/imports.py) only ever see a workbook that parsed cleanly.
"""

from __future__ import annotations

import datetime
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from .models import ReviewSession

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
# Columns staff may add for their own notes; anything else unknown is reported, because a
# misspelt header (say 最少有效票) would otherwise be silently ignored.
NOTE_COLUMNS = ("备注", "说明")

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
# A zip of a few MB can expand to gigabytes; refuse before openpyxl inflates it in memory.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024

# Text a spreadsheet would run as a formula when the cell is exported again (pretix's rule).
FORMULA_STARTS = ("=", "+", "-", "@")
DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
YEAR_TEXT = re.compile(r"(\d{4})年?")


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
        return _Parser(book, require_meta=require_meta).parse()
    finally:
        book.close()


def open_workbook(fileobj, *, max_bytes: int | None = None):
    """The workbook, or WorkbookError: bigger than ``max_bytes`` (default UPLOAD_MAX_BYTES),
    not an .xlsx, or a zip that inflates too far. Every workbook upload opens through here."""
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
    not_xlsx = WorkbookError(
        [
            Problem(
                _("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏，或是 .xls、.csv 等其他格式。")
            )
        ]
    )
    try:
        fileobj.seek(0)
        with zipfile.ZipFile(fileobj) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise not_xlsx from None
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookError([Problem(_("工作簿解压后过大，请删除无关的工作表或图片后再导入。"))])
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; none of them matter here.
            warnings.simplefilter("ignore", UserWarning)
            return load_workbook(fileobj, data_only=False)
    except Exception:  # openpyxl raises many different exceptions on a damaged file
        raise not_xlsx from None


def _size(fileobj) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def is_blank(cell) -> bool:
    return (
        cell is None
        or cell.value is None
        or (isinstance(cell.value, str) and not cell.value.strip())
    )


def is_formula(cell) -> bool:
    return cell.data_type == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula)


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


@dataclass
class Table:
    """A sheet with a header row: ``columns`` maps header text to its column index."""

    sheet: str
    columns: dict[str, int]
    rows: list[tuple[int, tuple]]  # (row number, cells), blank rows left out

    def cell(self, cells: tuple, column: str):
        index = self.columns.get(column)
        if index is None or index >= len(cells):
            return None
        return cells[index]


def nonblank_rows(worksheet) -> list[tuple[int, tuple]]:
    """The rows of ``worksheet`` that hold anything, as (row number, cells)."""
    return [
        (cells[0].row, cells)
        for cells in worksheet.iter_rows()
        if cells and not all(is_blank(c) for c in cells)
    ]


def read_table(
    rows: list[tuple[int, tuple]],
    *,
    sheet: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    problem: Callable[..., None],
    header_key: Callable[[str], str] = str.strip,
) -> Table | None:
    """The sheet's first row as its header, the rest as data: a Table, or None after telling
    ``problem(text, sheet, row)`` every header problem (empty sheet, a header twice, an unknown
    one, a required one missing). ``header_key`` turns a header cell's text into the column's
    name (e.g. to accept 实际进度（%） for 实际进度(%)). Every workbook import reads its sheets
    through here, so they all answer a wrong header alike."""
    expected = "、".join((*required, *optional))
    if not rows:
        problem(
            _("工作表是空的：请在第一行填写表头（%(columns)s）。") % {"columns": expected}, sheet
        )
        return None
    header_row, header_cells = rows[0]
    columns: dict[str, int] = {}
    known = (*required, *optional, *NOTE_COLUMNS)
    ok = True
    for index, cell in enumerate(header_cells):
        if is_blank(cell):
            continue
        title = header_key(str(cell.value))
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
                _("缺少表头“%(title)s”（表头应为第一行：%(columns)s）。")
                % {"title": title, "columns": expected},
                sheet,
            )
            ok = False
    return Table(sheet=sheet, columns=columns, rows=rows[1:]) if ok else None


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
        """The non-blank rows of ``sheet`` as (row number, cells), or None if it is missing."""
        if sheet not in self.book.sheetnames:
            if required:
                self.problem(
                    _("缺少此工作表（工作簿中现有：%(names)s）。")
                    % {"names": "、".join(self.book.sheetnames)},
                    sheet,
                )
            return None
        worksheet = self.book[sheet]
        if worksheet.max_row > MAX_ROWS:
            self.problem(
                _("超过 %(max)s 行，请删除多余的行或分批导入。") % {"max": MAX_ROWS}, sheet
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
        )

    def _meta(self) -> SessionMeta | None:
        before = len(self.problems)
        rows = self._rows(SHEET_META, required=True)
        if rows is None:
            return None
        cells: dict[str, tuple[int, object]] = {}
        for row, row_cells in rows:
            key_cell = row_cells[0]
            value_cell = row_cells[1] if len(row_cells) > 1 else None
            if is_blank(key_cell):
                self.problem(
                    _("第一列应填写项目名称（%(keys)s）。") % {"keys": "、".join(META_KEYS)},
                    SHEET_META,
                    row,
                    "A",
                )
                continue
            key = str(key_cell.value).strip()
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
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), SHEET_META, row, META_DATE)
            return None
        value = cell.value
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str) and DATE_TEXT.fullmatch(value.strip()):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(
            _("“%(value)s”不是有效日期，请填写日期或 YYYY-MM-DD 格式的文字。") % {"value": value},
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
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), SHEET_META, row, META_YEAR)
            return None
        value = cell.value
        match = YEAR_TEXT.fullmatch(value.strip()) if isinstance(value, str) else None
        year = int(match.group(1)) if match else _whole_number(value)
        if year is None or not YEAR_MIN <= year <= YEAR_MAX:
            self.problem(
                _("“%(value)s”不是有效年度，请填写 %(min)s 到 %(max)s 之间的四位数年份。")
                % {"value": value, "min": YEAR_MIN, "max": YEAR_MAX},
                SHEET_META,
                row,
                META_YEAR,
            )
            return None
        return year

    def _units(self) -> list[UnitRow] | None:
        table = self._table(SHEET_UNITS, required_columns=(COL_NAME, COL_CATEGORY))
        if table is None:
            return None
        units: list[UnitRow] = []
        seen: dict[str, int] = {}
        names_ok = True
        for row, cells in table.rows:
            before = len(self.problems)
            name = self._name(table, row, cells, COL_NAME)
            names_ok = names_ok and name is not None
            category = self._name(table, row, cells, COL_CATEGORY)
            if name in seen:
                self.problem(
                    _("单位“%(name)s”重复（第 %(first)s 行已列出）。")
                    % {"name": name, "first": seen[name]},
                    SHEET_UNITS,
                    row,
                    COL_NAME,
                )
            elif name is not None:
                seen[name] = row
            if len(self.problems) == before:
                units.append(UnitRow(name=name, category=category, row=row))
        if self.require_meta and not table.rows:
            self.problem(_("没有任何单位：请从第二行起每行填写一个单位。"), SHEET_UNITS)
        self.unit_names = set(seen) if names_ok else None
        return units

    def _groups(self) -> list[GroupRow] | None:
        table = self._table(
            SHEET_GROUPS,
            required_columns=(COL_NAME, COL_WEIGHT),
            optional_columns=(COL_MIN_SAMPLE,),
        )
        if table is None:
            return None
        groups: list[GroupRow] = []
        seen: dict[str, int] = {}
        names_ok = True
        for row, cells in table.rows:
            before = len(self.problems)
            name = self._name(table, row, cells, COL_NAME)
            names_ok = names_ok and name is not None
            weight = self._weight(row, table.cell(cells, COL_WEIGHT))
            min_sample = self._min_sample(row, table.cell(cells, COL_MIN_SAMPLE))
            if name in seen:
                self.problem(
                    _("评议组“%(name)s”重复（第 %(first)s 行已列出）。")
                    % {"name": name, "first": seen[name]},
                    SHEET_GROUPS,
                    row,
                    COL_NAME,
                )
            elif name is not None:
                seen[name] = row
            if len(self.problems) == before:
                groups.append(GroupRow(name=name, weight=weight, min_sample=min_sample, row=row))
        if self.require_meta and not table.rows:
            self.problem(_("没有任何评议组：请从第二行起每行填写一个评议组。"), SHEET_GROUPS)
        self.group_names = set(seen) if names_ok else None
        return groups

    def _raters(self) -> list[RaterRow]:
        if SHEET_RATERS not in self.book.sheetnames:
            return []
        table = self._table(
            SHEET_RATERS,
            required_columns=(COL_GROUP, COL_UNIT),
            optional_columns=(COL_COUNT, COL_HOLDER),
        )
        if table is None:
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
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), sheet, row, column)
            return None
        value = cell.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if text.startswith(FORMULA_STARTS):
            self.problem(
                _("不能以“=”“+”“-”“@”开头（表格软件会把它当作公式）。"), sheet, row, column
            )
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
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), SHEET_GROUPS, row, COL_WEIGHT)
            return None
        value = cell.value
        weight = None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            weight = Decimal(str(value))
        elif isinstance(value, str):
            try:
                weight = Decimal(value.strip())
            except InvalidOperation:
                weight = None
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
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), SHEET_GROUPS, row, COL_MIN_SAMPLE)
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
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), SHEET_RATERS, row, COL_COUNT)
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
        meta.append([key, value])
        meta.cell(row=meta.max_row, column=1).font = bold
    meta["B3"].number_format = "yyyy-mm-dd"

    def sheet(title: str, header: list[str], rows: list[list]) -> None:
        worksheet = book.create_sheet(title)
        worksheet.append(header)
        for cell in worksheet[1]:
            cell.font = bold
        for row in rows:
            worksheet.append(row)
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
    help_sheet.append(["工作表", "列", "说明"])
    for cell in help_sheet[1]:
        cell.font = bold
    for row in _help_rows():
        help_sheet.append(row)
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
        [SHEET_META, META_DATE, _("选填。日期格式的单元格，或 YYYY-MM-DD 格式的文字。")],
        [SHEET_META, META_VENUE, _("选填。会议地点。")],
        [SHEET_META, META_KIND, _("选填。年度、年中或自定义；不填为自定义。")],
        [SHEET_UNITS, COL_NAME, _("必填。单位名称，不能重复。列出的单位都作为固定述职单位参加。")],
        [
            SHEET_UNITS,
            COL_CATEGORY,
            _(
                "必填。单位类别，结果在类别内排名。名称含“镇”或“街道”的归入镇(街道)一方，"
                "含“部门”“局”“委”的归入部门一方（用于交叉评议）。"
            ),
        ],
        [SHEET_GROUPS, COL_NAME, _("必填。评议组名称，不能重复。")],
        [
            SHEET_GROUPS,
            COL_WEIGHT,
            _("必填。不小于 0 的数，最多两位小数；各组按比例计算，不必加总为 100。"),
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
                "所有文字不能以 = + - @ 开头，不能包含 < 或 >，不能使用公式；"
                "名称不超过 100 个字符；空行会被跳过。"
            ),
        ],
    ]
