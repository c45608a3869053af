"""Spreadsheets as offices hand them in, and as we write them back (docs/workbooks.md).

Reading: :func:`open_book` takes a binary file object and tells the format by its content (a zip
is .xlsx/.xlsm or .ods, the OLE2 signature D0CF11E0 is .xls or an encrypted workbook, anything
else is tried as .csv in UTF-8 with or without BOM, then GB18030, a superset of GBK). Cell values
come from python-calamine, which only reads cells that hold data, so a formatted empty cell at
XFD1048576 costs nothing. python-calamine (0.9) returns a formula's cached value, an error value
as an empty cell and no number formats; for .xlsx/.xlsm the sheet's XML is therefore streamed
once more with the standard library, bounded by the cells present, to mark formulas (``<f>``),
error values (``t="e"``) and percent-formatted numbers. For .xls, xlrd (the reader pandas uses
for that format) reads the same workbook's cell formats and error cells; it cannot see formulas,
so there (and in .ods, which carries no marks here) a formula reads as the value it last
computed (docs/workbooks.md, "Formats").

Every text cell is normalised before anyone compares it (:func:`normalise_text`): NFKC (full-
width brackets, digits, letters and spaces become half-width; the Chinese sentence punctuation
，：；！？ stays), zero-width characters removed, line breaks and runs of spaces made one space,
trimmed. That is the stored, canonical form. The text as written stays in ``Cell.raw`` so that
a message can point out an invisible difference.

Writing: :func:`put` is the one way a value goes into an openpyxl cell: text that a spreadsheet
would run as a formula (= + - @) stays text, and characters XML cannot hold are dropped
(pretix's safe_openpyxl rule).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

import python_calamine
import xlrd
from django.utils.translation import gettext as _

XLSX, XLS, ODS, CSV = "xlsx", "xls", "ods", "csv"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An .xlsx saved with a password is an OLE2 file holding these streams instead of a zip.
ENCRYPTED_MARKERS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))

# A zip of a few MB can expand to gigabytes; refuse before anything inflates it.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# The grid calamine hands over is dense from A1 to the last cell holding data; one stray value
# far away would make it huge, so the extent is checked first.
MAX_GRID_CELLS = 2_000_000

WORKSHEET, CHARTSHEET, DIALOGSHEET, MACROSHEET = "worksheet", "chartsheet", "dialogsheet", "macro"

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
ERROR_VALUES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
# Text a spreadsheet would run as a formula when the cell is written out (pretix's rule).
FORMULA_STARTS = ("=", "+", "-", "@")
# Text refused on import: a spreadsheet runs it, where "-1分：迟报材料" is only text.
INPUT_FORMULA_STARTS = ("=", "@")
# What XML 1.0 (and so an .xlsx) cannot hold; openpyxl raises on it.
ILLEGAL_CHARACTERS = re.compile(
    r"[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]"
)
PERCENT_FORMATS = {9, 10}  # built-in number formats 0% and 0.00%
NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CELL_REF = re.compile(r"([A-Z]+)(\d+)")


class SpreadsheetError(ValueError):
    """The file cannot be read as a spreadsheet; ``str()`` says why, for the person who sent it."""


# ---------------------------------------------------------------- normalisation


# Chinese sentence punctuation is written full-width on purpose and NFKC would make it ASCII
# (“迟报材料，扣1分” would read “迟报材料,扣1分”); brackets, digits, letters and spaces are the
# forms that differ invisibly between offices and are unified.
KEEP_FULL_WIDTH = re.compile("([\uff0c\uff1a\uff1b\uff01\uff1f])")


def nfkc(text: str) -> str:
    """NFKC, except the Chinese sentence punctuation ，：；！？ which stays as written."""
    return "".join(
        part if KEEP_FULL_WIDTH.fullmatch(part) else unicodedata.normalize("NFKC", part)
        for part in KEEP_FULL_WIDTH.split(text)
    )


def normalise_text(text: str) -> str:
    """The canonical form of a text cell: NFKC (:func:`nfkc`), no zero-width characters, every
    run of spaces and line breaks (Alt+Enter) one space, trimmed."""
    text = nfkc(text).translate(ZERO_WIDTH)
    return " ".join(text.split())


def normalise_header(text: str) -> str:
    """A header or sheet name as compared: like :func:`normalise_text`, and no spaces or line
    breaks at all (Chinese headers have none that matter: 所在\\n单位 is 所在单位)."""
    return "".join(normalise_text(text).split())


def invisible_differences(*texts: str) -> list[str]:
    """What differs between texts that normalise alike, in words for a message: full- and
    half-width forms, zero-width characters, spaces and line breaks."""
    kinds = []
    if any(nfkc(t) != t for t in texts):
        kinds.append(_("全角与半角字符（如括号、数字、空格）"))
    if any(t != t.translate(ZERO_WIDTH) for t in texts):
        kinds.append(_("看不见的零宽字符"))
    if any(t != t.strip() or "  " in t for t in texts):
        kinds.append(_("首尾或多余的空格"))
    if any("\n" in t or "\r" in t for t in texts):
        kinds.append(_("单元格内换行"))
    return kinds


def number_from_text(text: str) -> Decimal | None:
    """A number written as text (already NFKC: ４０ is 40, －1 is -1), with an optional trailing
    % (the number is then the percentage: 40% is 40); None when it is not one."""
    text = text.replace("\u2212", "-").replace(",", "").strip()
    text = text.removesuffix("%").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# ---------------------------------------------------------------- cells, sheets, books


def percent_number(value, *, percent_formatted: bool) -> Decimal | None:
    """The percentage a cell means, or None when it is not a number. A number under a real
    percent format (``0%``, ``0.0%``: Excel stores 0.4 for 40 %) times 100; a number under a
    format that only prints a "%" (``0.0"%"`` shows 40 as 40.0%) or none, as it is; text such
    as ``40``, ``40%``, ``４０％`` or ``－5`` as written. ``percent_formatted`` is the reader's
    ``Cell.percent`` (core/spreadsheet.py), which tells the two kinds of format apart."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
        return number * 100 if percent_formatted else number
    if isinstance(value, str):
        return number_from_text(normalise_text(value))
    return None


@dataclass(slots=True)
class Cell:
    """One cell that holds something. ``value`` is normalised text, a number, a date or a
    bool; ``raw`` is the value as written. ``row`` and ``column`` count from 1."""

    row: int
    column: int
    value: object = None
    raw: object = None
    formula: bool = False
    error: str = ""
    number_format: str = ""
    merged: bool = False  # the value of a merged range's first cell, repeated here

    @property
    def data_type(self) -> str:
        return "f" if self.formula else "e" if self.error else "n"

    @property
    def percent(self) -> bool:
        """Whether the number is shown as a percentage (0.2 shown 20%): a % outside quotes and
        escapes in its number format. 0.0"%" only prints a % sign after the number."""
        code = re.sub(r'"[^"]*"|\\.', "", self.number_format)
        return "%" in code

    @property
    def coordinate(self) -> str:
        return f"{column_letter(self.column)}{self.row}"


def column_letter(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def is_blank(cell) -> bool:
    """No value, no formula and no error value: nothing to read or refuse."""
    if cell is None:
        return True
    if getattr(cell, "formula", False) or getattr(cell, "error", ""):
        return False
    return cell.value is None or (isinstance(cell.value, str) and not cell.value.strip())


def is_formula(cell) -> bool:
    return bool(cell is not None and getattr(cell, "formula", False))


@dataclass
class Sheet:
    """A sheet's rows that hold data, as (row number, cells): cells run from column A to the
    row's last cell holding data, blanks as None."""

    title: str
    kind: str = WORKSHEET
    rows: list[tuple[int, tuple]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return normalise_header(self.title)

    @property
    def max_row(self) -> int:
        """Rows that hold data: what a row limit counts (formatted empty rows are free)."""
        return len(self.rows)


class Book:
    """A workbook's sheets by name. Names are compared normalised (:func:`normalise_header`);
    only worksheets count: a chart sheet holds no cells. A .csv is one sheet with no name,
    which stands for whichever sheet an import asks for."""

    def __init__(self, fmt: str, titles: list[tuple[str, str]], load):
        self.format = fmt
        self._titles = titles  # (title, kind) in workbook order
        self._load = load  # title -> Sheet
        self._loaded: dict[str, Sheet] = {}
        # Whether a number's cell format was read (Cell.percent); an .ods, or an .xls xlrd could
        # not read, gives values only.
        self.formats_known = fmt in (XLSX, XLS)

    @property
    def single_sheet(self) -> bool:
        return self.format == CSV

    @property
    def sheetnames(self) -> list[str]:
        return [normalise_header(t) for t, kind in self._titles if kind == WORKSHEET]

    def title_of(self, name: str, *, kind: str = WORKSHEET) -> str | None:
        if self.single_sheet:
            return self._titles[0][0]
        wanted = normalise_header(name)
        for title, sheet_kind in self._titles:
            if sheet_kind == kind and normalise_header(title) == wanted:
                return title
        return None

    def find(self, name: str) -> Sheet | None:
        title = self.title_of(name)
        if title is None:
            return None
        if title not in self._loaded:
            self._loaded[title] = self._load(title)
        return self._loaded[title]

    def __getitem__(self, name: str) -> Sheet:
        sheet = self.find(name)
        if sheet is None:
            raise KeyError(name)
        return sheet

    def __contains__(self, name: str) -> bool:
        return self.title_of(name) is not None

    def missing(self, name: str) -> str:
        """Why sheet ``name`` cannot be read, in words."""
        for kind in (CHARTSHEET, DIALOGSHEET, MACROSHEET):
            if self.title_of(name, kind=kind) is not None:
                return _(
                    "这是一张图表工作表，没有数据：请把数据放在名为“%(sheet)s”的普通工作表中。"
                ) % {"sheet": name}
        names = "、".join(self.sheetnames) or _("没有普通工作表")
        return _("缺少此工作表（工作簿中现有：%(names)s）。") % {"names": names}

    def close(self) -> None:
        self._loaded.clear()


# ---------------------------------------------------------------- opening


def open_book(fileobj) -> Book:
    """The spreadsheet in ``fileobj`` (binary, seekable), or SpreadsheetError saying why not."""
    fileobj.seek(0)
    data = fileobj.read()
    if data.startswith(ZIP_MAGIC):
        return _open_zip(data)
    if data.startswith(OLE2_MAGIC):
        if any(marker in data for marker in ENCRYPTED_MARKERS):
            raise SpreadsheetError(
                _(
                    "工作簿设有打开密码（已加密），无法读取：请在 Excel 或 WPS 中取消密码后另存，再导入。"
                )
            )
        return _open_calamine(data, XLS)
    return _open_csv(data, name=str(getattr(fileobj, "name", "") or ""))


def _not_a_spreadsheet() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "文件不是表格：可以导入 Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
            "或 CSV 文本（UTF-8 或 GBK 编码）。"
        )
    )


def _open_zip(data: bytes) -> Book:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetError(
            _("文件是一个损坏或不完整的压缩包（.xlsx 文件本质上是压缩包）：请重新保存后再导入。")
        ) from None
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise SpreadsheetError(
            _(
                "工作簿解压后过大（%(size)s MB，上限 %(max)s MB）：请删除无关的工作表或图片后再导入。"
            )
            % {"size": inflated // 1024 // 1024, "max": MAX_UNCOMPRESSED_BYTES // 1024 // 1024}
        )
    if "xl/workbook.xml" in names:
        return _open_calamine(data, XLSX, archive=archive)
    if "content.xml" in names and "mimetype" in names:
        return _open_calamine(data, ODS)
    if "word/document.xml" in names or "ppt/presentation.xml" in names:
        raise SpreadsheetError(_("这是 Word 或 PowerPoint 文件，不是表格：请上传 Excel 工作簿。"))
    raise _not_a_spreadsheet()


def _open_calamine(data: bytes, fmt: str, *, archive: zipfile.ZipFile | None = None) -> Book:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = workbook.sheets_metadata
    except python_calamine.PasswordError:
        raise SpreadsheetError(
            _(
                "工作簿设有打开密码（已加密），无法读取：请在 Excel 或 WPS 中取消密码后另存，再导入。"
            )
        ) from None
    except python_calamine.CalamineError:
        if fmt == XLS:
            raise SpreadsheetError(
                _(
                    "无法读取这个旧版 Excel 文件（.xls）：它可能来自很早的版本或已损坏。"
                    "请在 Excel 或 WPS 中另存为 .xlsx 后再导入。"
                )
            ) from None
        raise SpreadsheetError(
            _("工作簿已损坏，无法读取：请在 Excel 或 WPS 中打开并另存为 .xlsx 后再导入。")
        ) from None
    types = python_calamine.SheetTypeEnum
    kinds = (
        (types.WorkSheet, WORKSHEET),
        (types.ChartSheet, CHARTSHEET),
        (types.DialogSheet, DIALOGSHEET),
    )
    titles = [
        (m.name, next((kind for typ, kind in kinds if m.typ == typ), MACROSHEET)) for m in metadata
    ]
    details = (
        _XlsxDetails(archive) if archive is not None else _XlsDetails(data) if fmt == XLS else None
    )

    def load(title: str) -> Sheet:
        try:
            calamine_sheet = workbook.get_sheet_by_name(title)
            end = calamine_sheet.end
            if end is not None and (end[0] + 1) * (end[1] + 1) > MAX_GRID_CELLS:
                raise SpreadsheetError(
                    _(
                        "工作表“%(sheet)s”在很远的单元格 %(cell)s 还有内容：请删除表格以外多余的"
                        "内容（或整行整列）后再导入。"
                    )
                    % {"sheet": title, "cell": f"{column_letter(end[1] + 1)}{end[0] + 1}"}
                )
            grid = calamine_sheet.to_python(skip_empty_area=False) if end is not None else []
            merged = calamine_sheet.merged_cell_ranges or []
        except python_calamine.CalamineError:
            raise SpreadsheetError(
                _("工作表“%(sheet)s”已损坏，无法读取。") % {"sheet": title}
            ) from None
        marks = details.marks(title) if details is not None else {}
        return _sheet(title, grid, merged, marks)

    book = Book(fmt, titles, load)
    if isinstance(details, _XlsDetails) and details.book is None:
        book.formats_known = False
    return book


class _XlsxDetails:
    """What python-calamine does not tell about an .xlsx cell: formula, error value, number
    format. Streams the sheet's XML (the zip is already size-checked) and keeps one entry per
    cell that has any of them, so memory follows the cells present, not the sheet's extent.

    ElementTree never fetches external entities and expat (2.4 and later) refuses entity
    expansion attacks, so the standard library is safe enough for these parts."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.paths = self._sheet_paths()
        self.formats = self._cell_formats()

    def _xml(self, path: str):
        try:
            with self.archive.open(path) as member:
                return ElementTree.parse(member).getroot()  # noqa: S314 (see _XlsxDetails)
        except (KeyError, ElementTree.ParseError):
            return None

    def _sheet_paths(self) -> dict[str, str]:
        book, rels = self._xml("xl/workbook.xml"), self._xml("xl/_rels/workbook.xml.rels")
        if book is None or rels is None:
            return {}
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{NS_PKG_REL}Relationship")}
        paths = {}
        for sheet in book.iter(f"{NS_MAIN}sheet"):
            target = targets.get(sheet.get(f"{NS_REL}id"), "")
            paths[sheet.get("name")] = (
                target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            )
        return paths

    def _cell_formats(self) -> list[str]:
        """The number format code of each cell style (``s`` attribute), by index."""
        styles = self._xml("xl/styles.xml")
        if styles is None:
            return []
        codes = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "")
            for f in styles.iter(f"{NS_MAIN}numFmt")
        }
        xfs = styles.find(f"{NS_MAIN}cellXfs")
        formats = []
        for xf in xfs if xfs is not None else ():
            number = int(xf.get("numFmtId", "0"))
            formats.append(codes.get(number, "0%" if number in PERCENT_FORMATS else ""))
        return formats

    def marks(self, title: str) -> dict[tuple[int, int], tuple[bool, str, str]]:
        path = self.paths.get(title)
        if path is None:
            return {}
        marks = {}
        try:
            with self.archive.open(path) as member:
                for _event, element in ElementTree.iterparse(member):  # noqa: S314
                    if element.tag == f"{NS_MAIN}c":
                        formula = element.find(f"{NS_MAIN}f") is not None
                        error = ""
                        if element.get("t") == "e":
                            error = element.findtext(f"{NS_MAIN}v") or "#N/A"
                        style = int(element.get("s", "0"))
                        number_format = self.formats[style] if 0 < style < len(self.formats) else ""
                        if formula or error or number_format:
                            match = CELL_REF.fullmatch(element.get("r", ""))
                            if match:
                                key = (int(match.group(2)), column_number(match.group(1)))
                                marks[key] = (formula, error, number_format)
                        element.clear()
                    elif element.tag == f"{NS_MAIN}row":
                        element.clear()
        except (KeyError, ElementTree.ParseError):
            pass
        return marks


class _XlsDetails:
    """What python-calamine does not tell about an .xls cell: its number format (a 20 %% weight
    is stored 0.2) and error values (calamine reads them as empty). xlrd reads each sheet on
    demand, and only cells with a percent format or an error are kept. A workbook xlrd cannot
    read (an .xls written by a tool it does not know) keeps calamine's values without marks."""

    def __init__(self, data: bytes):
        try:
            self.book = xlrd.open_workbook(
                file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO()
            )
        except Exception:  # xlrd raises many kinds on files calamine could still read
            self.book = None

    def marks(self, title: str) -> dict[tuple[int, int], tuple[bool, str, str]]:
        if self.book is None or title not in self.book.sheet_names():
            return {}
        try:
            sheet = self.book.sheet_by_name(title)
        except Exception:
            return {}
        formats = {}
        for index, xf in enumerate(self.book.xf_list):
            number_format = self.book.format_map.get(xf.format_key)
            code = number_format.format_str if number_format is not None else ""
            if "%" in code:
                formats[index] = code
        marks = {}
        for r in range(sheet.nrows):
            for c, kind in enumerate(sheet.row_types(r)):
                if kind == xlrd.XL_CELL_ERROR:
                    error = xlrd.error_text_from_code.get(sheet.cell_value(r, c), "#N/A")
                    marks[(r + 1, c + 1)] = (False, error, "")
                elif kind == xlrd.XL_CELL_NUMBER:
                    code = formats.get(sheet.cell_xf_index(r, c))
                    if code:
                        marks[(r + 1, c + 1)] = (False, "", code)
        self.book.unload_sheet(title)
        return marks


def _sheet(title: str, grid: list[list], merged, marks: dict) -> Sheet:
    """Cells from calamine's dense grid (from A1), merged values repeated down, marks applied."""
    values: dict[int, dict[int, object]] = {}
    for r, row in enumerate(grid, start=1):
        for c, value in enumerate(row, start=1):
            if value != "" and value is not None:
                values.setdefault(r, {})[c] = value
    merged_into: set[tuple[int, int]] = set()
    for (top, left), (bottom, _right) in merged:
        first = values.get(top + 1, {}).get(left + 1)
        if first is None:
            continue
        # A 类别 or 评议组 written once over several rows belongs to each of them; across
        # columns only the first keeps it (a merged title is one text, not one per column).
        for r in range(top + 2, bottom + 2):
            if (left + 1) not in values.get(r, {}):
                values.setdefault(r, {})[left + 1] = first
                merged_into.add((r, left + 1))
    for (r, c), (formula, error, _number_format) in marks.items():
        if error:
            values.setdefault(r, {})[c] = error
        elif formula:
            values.setdefault(r, {}).setdefault(c, "")
    rows = []
    for r in sorted(values):
        row_values = values[r]
        cells: list[Cell | None] = [None] * max(row_values)
        for c, raw in row_values.items():
            formula, error, number_format = marks.get((r, c), (False, "", ""))
            value = raw
            if isinstance(raw, str):
                value = normalise_text(raw) or None
            if isinstance(value, str) and value in ERROR_VALUES and not error:
                error = value  # .xls, .ods and csv: an error value arrives as its text
            cells[c - 1] = Cell(
                row=r,
                column=c,
                value=value,
                raw=raw,
                formula=formula,
                error=error,
                number_format=number_format,
                merged=(r, c) in merged_into,
            )
        if any(not is_blank(cell) or is_formula(cell) for cell in cells):
            rows.append((r, tuple(cells)))
    return Sheet(title=title, rows=rows)


BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf")


def _open_csv(data: bytes, *, name: str) -> Book:
    """A .csv: text whose first line has a delimiter (or a file named .csv)."""
    head = data[:4096]
    if b"\x00" in head or head.startswith(BINARY_MAGIC):
        raise _not_a_spreadsheet()
    if re.search(rb"<(html|table|\?xml)\b", head[:1024], re.IGNORECASE):
        # Some systems export a web page or XML and name it .xls.
        raise SpreadsheetError(
            _(
                "这是网页（HTML）或 XML 文件，只是扩展名像表格：请在 Excel 或 WPS 中打开并"
                "另存为 .xlsx 后再导入。"
            )
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SpreadsheetError(
            _("CSV 文件的编码无法识别：请另存为“CSV UTF-8（逗号分隔）”后再导入。")
        )
    sample = text[:4096]
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    if not any(d in first_line for d in ",\t;") and not name.lower().endswith((".csv", ".txt")):
        raise _not_a_spreadsheet()
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    grid = list(csv.reader(io.StringIO(text, newline=""), dialect))
    if sum(len(row) for row in grid) > MAX_GRID_CELLS:
        raise SpreadsheetError(_("CSV 文件过大，请分批导入。"))
    title = "CSV"
    sheet = _sheet(title, grid, [], {})
    return Book(CSV, [(title, WORKSHEET)], lambda _title: sheet)


# ---------------------------------------------------------------- dates


DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def usable_cell(cell, *, required: bool = True) -> tuple[Cell | None, str | None]:
    """A cell an import reads as data: ``(cell, None)``. ``(None, None)`` for an error value
    (every import reports those apart, in any column) or an optional blank cell; ``(None, the
    sentence)`` for a required blank cell or a formula."""
    if cell is not None and cell.error:
        return None, None
    if is_blank(cell):
        return None, (_("不能为空。") if required else None)
    if is_formula(cell):
        return None, _("不能是公式，请直接填写内容。")
    return cell, None


def cell_text(
    cell, *, max_length: int, prose: bool = False, required: bool = True
) -> tuple[str | None, str | None]:
    """A text cell of an import: ``(text, None)``, as the reader normalised it (codes and
    categories are compared in that form) or, for ``prose`` (names, titles), as written with
    only zero-width characters and surrounding spaces removed; ``(None, the sentence)`` for a
    date, text a spreadsheet would run as a formula, or text longer than ``max_length``."""
    cell, problem = usable_cell(cell, required=required)
    if cell is None:
        return None, problem
    value = cell.raw if prose else cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return None, _("应填写文字，不是日期。")
    text = str(value).translate(ZERO_WIDTH).strip() if prose else str(value)
    if text.startswith(FORMULA_STARTS):
        return None, _("不能以“=”“+”“-”“@”开头（表格软件会把它当作公式）。")
    if len(text) > max_length:
        return None, _("不能超过 %(max)s 个字符（现有 %(n)s 个）。") % {
            "max": max_length,
            "n": len(text),
        }
    return text, None


def date_from(value) -> datetime.date | None:
    """A date cell, or text written 2025-12-20, 2025/12/20, 2025.12.20 or 2025年12月20日."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and (match := DATE_TEXT.fullmatch(value.strip())):
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------- writing


def display(value) -> str:
    """A cell value as a message quotes it: 1999, not 1999.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def safe_value(value):
    """``value`` as it may go into an .xlsx: text without the characters XML cannot hold."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS.sub("", value)
    return value


def put(worksheet, row: int, column: int, value, *, number_format: str | None = None):
    """The one way a value goes into an openpyxl cell: text a spreadsheet would run as a
    formula (= + - @) is stored as a string with Excel's quote prefix, never as a formula."""
    value = safe_value(value)
    cell = worksheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # openpyxl takes "=..." for a formula; data type "s" stores it as a shared string and
        # the quote prefix keeps Excel and LibreOffice from turning it into one on edit.
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    return cell


def write_row(worksheet, values) -> int:
    """``worksheet.append(values)`` with :func:`put`'s rules; the row number written."""
    values = [safe_value(v) for v in values]
    worksheet.append(values)
    # The row append wrote, and only its cells: ``max_row`` and ``worksheet[row]`` scan every
    # cell of the sheet, which made writing n rows cost n² (3,000 rows took 12 s).
    row = worksheet._current_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = worksheet.cell(row=row, column=column)
            cell.data_type = "s"
            cell.quotePrefix = True
    return row
