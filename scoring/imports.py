"""其他考核得分 from a workbook: 目标考核, 日常考核 and 加减分 with its reason,
one row per participating unit, all or nothing.

The sheet 其他考核 has the header 单位, 目标考核, 日常考核, 加减分, 加减分理由. A blank score is
"no score" (the unit's total then lacks that component, section 4.6); a blank 加减分 is 0. Units
the sheet does not list keep what they have. ``parse_scores_workbook`` reads the whole sheet
against the session and collects every problem, each naming its row and column. Files are
read by core/spreadsheet.py through sessions/workbook.py (.xlsx, .xls, .ods, .csv; the header
found under title rows; error values refused); formulas, HTML and a reason starting with = or @
are refused here. ``external_scores_import`` stores the rows in one transaction through
``scoring.services.external_score_save``. docs/workbooks.md "其他考核得分" says what is accepted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.audit import audit
from core.spreadsheet import (
    INPUT_FORMULA_STARTS,
    ZERO_WIDTH,
    column_letter,
    display,
    normalise_text,
    number_from_text,
    put,
)
from sessions.models import ReviewSession
from sessions.workbook import (
    MAX_ROWS,
    SHEET_HELP,
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

from . import services
from .forms import SCORES_UPLOAD_MAX_BYTES
from .models import ExternalScore

SHEET_SCORES = "其他考核"
COL_UNIT = "单位"
COL_TARGET = "目标考核"
COL_DAILY = "日常考核"
COL_BONUS = "加减分"
COL_REASON = "加减分理由"
COLUMNS = (COL_UNIT, COL_TARGET, COL_DAILY, COL_BONUS, COL_REASON)
REASON_MAX = ExternalScore._meta.get_field("bonus_reason").max_length

ZERO, HUNDRED, CENT = Decimal("0"), Decimal("100"), Decimal("0.01")


@dataclass(frozen=True)
class ScoreRow:
    """One parsed row of 其他考核."""

    row: int
    unit: str
    target: Decimal | None
    daily: Decimal | None
    bonus: Decimal
    bonus_reason: str


@dataclass(frozen=True)
class ImportSummary:
    rows: list[ScoreRow]
    units: int
    targets: int
    dailies: int
    bonuses: int

    def __str__(self) -> str:
        return _(
            "导入其他考核得分 %(n)s 个单位：目标考核 %(targets)s 个，日常考核 %(dailies)s 个，"
            "加减分 %(bonuses)s 个"
        ) % {
            "n": self.units,
            "targets": self.targets,
            "dailies": self.dailies,
            "bonuses": self.bonuses,
        }


def is_error(cell) -> bool:
    """An error value (#N/A, #REF!, #DIV/0!…): core/spreadsheet.py marks the cell."""
    return cell is not None and bool(cell.error)


def _participants(session: ReviewSession) -> dict:
    """Participating units by name, in speaking order."""
    return {
        p.unit.name: p.unit
        for p in session.participants.select_related("unit").order_by("speaking_order", "id")
    }


# ---------------------------------------------------------------- parsing


def parse_scores_workbook(fileobj, *, session: ReviewSession) -> list[ScoreRow]:
    """The rows of sheet 其他考核, checked against ``session``; raises WorkbookError listing
    every problem. Nothing is written."""
    book = open_workbook(fileobj, max_bytes=SCORES_UPLOAD_MAX_BYTES)
    try:
        return _ScoresParser(book, session=session).parse()
    finally:
        book.close()


class _ScoresParser:
    def __init__(self, book, *, session: ReviewSession):
        self.book = book
        # Participating units by their normalised name (the form the reader gives every
        # cell), so that a name typed with other brackets or a pasted zero-width space still
        # finds its unit.
        self.units = {normalise_text(name): name for name in _participants(session)}
        self.problems: list[Problem] = []

    def problem(self, text: str, sheet: str = "", row: int | None = None, column: str = ""):
        self.problems.append(Problem(text=text, sheet=sheet, row=row, column=column))

    def _table(self) -> Table | None:
        worksheet = self.book.find(SHEET_SCORES)  # a .csv's one sheet is this one
        if worksheet is None:
            self.problem(self.book.missing(SHEET_SCORES), SHEET_SCORES)  # or a chart sheet
            return None
        if worksheet.max_row > MAX_ROWS:
            self.problem(
                _("超过 %(max)s 行，请删除多余的行或分批导入。") % {"max": MAX_ROWS},
                SHEET_SCORES,
            )
            return None
        # read_table finds the header under any title rows and ignores 序号, 备注 and 说明.
        return read_table(
            nonblank_rows(worksheet), sheet=SHEET_SCORES, required=COLUMNS, problem=self.problem
        )

    def parse(self) -> list[ScoreRow]:
        table = self._table()
        if table is None:
            raise WorkbookError(self.problems)
        if not table.rows and not self.problems:  # not when every row was refused already
            self.problem(_("没有任何单位：请从第二行起每行填写一个单位。"), SHEET_SCORES)
        seen: dict[str, int] = {}
        rows = []
        for row, cells in table.rows:
            before = len(self.problems)
            self._error_values(table, row, cells)
            unit = self._unit(row, table.cell(cells, COL_UNIT))
            if unit is not None:
                if unit in seen:
                    self.problem(
                        _("单位“%(name)s”重复（第 %(first)s 行已列出）。")
                        % {"name": unit, "first": seen[unit]},
                        SHEET_SCORES,
                        row,
                        COL_UNIT,
                    )
                else:
                    seen[unit] = row
            target = self._score(row, table.cell(cells, COL_TARGET), COL_TARGET, ZERO)
            daily = self._score(row, table.cell(cells, COL_DAILY), COL_DAILY, ZERO)
            bonus = self._score(row, table.cell(cells, COL_BONUS), COL_BONUS, -HUNDRED)
            reason = self._reason(row, table.cell(cells, COL_REASON))
            if bonus and reason is None and not self._wrong(row, COL_REASON, before):
                self.problem(_("有加减分时必须写明理由。"), SHEET_SCORES, row, COL_REASON)
            if len(self.problems) == before:
                rows.append(
                    ScoreRow(
                        row=row,
                        unit=unit,
                        target=target,
                        daily=daily,
                        bonus=bonus or ZERO,
                        bonus_reason=reason or "",
                    )
                )
        if self.problems:
            raise WorkbookError(self.problems)
        return rows

    def _wrong(self, row: int, column: str, since: int) -> bool:
        """Whether a problem is already recorded for this cell (one sentence per cell)."""
        return any(p.row == row and p.column == column for p in self.problems[since:])

    def _error_values(self, table: Table, row: int, cells) -> None:
        """Report every error value (#N/A, #REF!…) of the row, in any column: it is never a
        score. The cell readers then pass over these cells without a second sentence."""
        headers = {index: title for title, index in table.columns.items()}
        for index, cell in enumerate(cells):
            if is_error(cell):
                self.problem(
                    error_value_problem(cell),
                    SHEET_SCORES,
                    row,
                    headers.get(index, column_letter(index + 1)),
                )

    def _unit(self, row: int, cell) -> str | None:
        """The participating unit's stored name."""
        if is_error(cell):
            return None
        if is_blank(cell):
            self.problem(_("不能为空。"), SHEET_SCORES, row, COL_UNIT)
            return None
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), SHEET_SCORES, row, COL_UNIT)
            return None
        name = normalise_text(display(cell.value))
        if name not in self.units:
            self.problem(
                _("“%(name)s”不是本评议会的述职单位。") % {"name": name},
                SHEET_SCORES,
                row,
                COL_UNIT,
            )
            return None
        return self.units[name]

    def _reason(self, row: int, cell) -> str | None:
        """Free text, stored as written: "-1分：迟报材料" or "+2分：获省级表彰" merely starts with
        a sign (every writer puts it back as text, never as a formula); only text that starts
        as a formula does in every spreadsheet (= or @) is refused."""
        if is_error(cell) or is_blank(cell):
            return None
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), SHEET_SCORES, row, COL_REASON)
            return None
        # As written (the reader's raw text), only zero-width characters and surrounding
        # spaces taken away: the reason is printed in the results as the office wrote it.
        text = display(cell.raw).translate(ZERO_WIDTH).strip()
        if text.startswith(INPUT_FORMULA_STARTS):
            self.problem(
                _("不能以“=”或“@”开头（表格软件会把它当作公式）。"), SHEET_SCORES, row, COL_REASON
            )
            return None
        if "<" in text or ">" in text:
            self.problem(_("不能包含“<”或“>”。"), SHEET_SCORES, row, COL_REASON)
            return None
        if len(text) > REASON_MAX:
            self.problem(
                _("不能超过 %(max)s 个字符（现有 %(n)s 个）。")
                % {"max": REASON_MAX, "n": len(text)},
                SHEET_SCORES,
                row,
                COL_REASON,
            )
            return None
        return text

    def _score(self, row: int, cell, column: str, minimum: Decimal) -> Decimal | None:
        """A number from ``minimum`` to 100 with at most two decimals; None when blank. Text
        is read as the reader normalised it, so ``９０`` and ``－５`` are 90 and -5; a score is
        no percentage, so ``90%`` is refused."""
        if is_error(cell) or is_blank(cell):
            return None
        if is_formula(cell):
            self.problem(_("不能是公式，请直接填写内容。"), SHEET_SCORES, row, column)
            return None
        value = cell.value
        number = None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = Decimal(str(value))
        elif isinstance(value, str) and not value.endswith("%"):
            number = number_from_text(value)
        if number is None or not number.is_finite() or not minimum <= number <= HUNDRED:
            self.problem(
                _("必须是 %(min)s 到 %(max)s 之间的数字。") % {"min": minimum, "max": HUNDRED},
                SHEET_SCORES,
                row,
                column,
            )
            return None
        if number != number.quantize(CENT):
            self.problem(_("最多两位小数。"), SHEET_SCORES, row, column)
            return None
        return number.quantize(CENT)


# ---------------------------------------------------------------- the import


@transaction.atomic
def external_scores_import(*, session: ReviewSession, actor, rows: list[ScoreRow]) -> ImportSummary:
    """Store parsed rows (``parse_scores_workbook``), all or nothing: each goes through
    ``services.external_score_save`` (which checks it again and writes its audit entry), and
    one more audit entry records the import as a whole."""
    session = ReviewSession.objects.select_for_update().get(pk=session.pk)
    if not rows:
        raise ValidationError(_("没有任何单位：请从第二行起每行填写一个单位。"))
    units = _participants(session)
    problems = [
        Problem(
            _("“%(name)s”不是本评议会的述职单位。") % {"name": r.unit},
            SHEET_SCORES,
            r.row,
            COL_UNIT,
        )
        for r in rows
        if r.unit not in units
    ]
    names = [r.unit for r in rows]
    problems += [
        Problem(_("单位“%(name)s”重复。") % {"name": r.unit}, SHEET_SCORES, r.row, COL_UNIT)
        for i, r in enumerate(rows)
        if r.unit in names[:i]
    ]
    if problems:
        raise WorkbookError(problems)
    for r in rows:
        try:
            services.external_score_save(
                session=session,
                unit=units[r.unit],
                actor=actor,
                target=r.target,
                daily=r.daily,
                bonus=r.bonus,
                bonus_reason=r.bonus_reason,
            )
        except ValidationError as exc:
            raise WorkbookError(
                [Problem(message, SHEET_SCORES, r.row) for message in exc.messages]
            ) from exc
    summary = ImportSummary(
        rows=list(rows),
        units=len(rows),
        targets=sum(r.target is not None for r in rows),
        dailies=sum(r.daily is not None for r in rows),
        bonuses=sum(r.bonus != 0 for r in rows),
    )
    audit(
        session=session,
        actor=actor,
        action="external_score.import",
        message=str(summary),
        rows=[r.row for r in rows],
    )
    return summary


# ---------------------------------------------------------------- the template


def scores_template_bytes(session: ReviewSession) -> bytes:
    """The 其他考核 sheet for ``session``: a row per participating unit in speaking order with
    what is stored now, and a 说明 sheet. Filled in, it imports as it is."""
    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    sheet.title = SHEET_SCORES
    for column, header in enumerate(COLUMNS, start=1):
        put(sheet, 1, column, header).font = bold
    stored = {e.unit_id: e for e in ExternalScore.objects.filter(session=session)}
    for row, (name, unit) in enumerate(_participants(session).items(), start=2):
        score = stored.get(unit.pk)
        values = [
            name,
            score.target if score else None,
            score.daily if score else None,
            score.bonus if score and score.bonus else None,
            score.bonus_reason if score else None,
        ]
        for column, value in enumerate(values, start=1):
            # Every cell through core.spreadsheet.put: a reason such as "-1分：迟报材料"
            # stays text, never a formula.
            put(sheet, row, column, value, number_format="0.00" if 2 <= column <= 4 else None)
    sheet.freeze_panes = "B2"
    for column, width in zip("ABCDE", (28, 12, 12, 10, 40), strict=True):
        sheet.column_dimensions[column].width = width

    help_sheet = book.create_sheet(SHEET_HELP)
    for row, values in enumerate([[_("列"), _("说明")], *_help_rows()], start=1):
        for column, value in enumerate(values, start=1):
            cell = put(help_sheet, row, column, value)
            if row == 1:
                cell.font = bold
    help_sheet.column_dimensions["A"].width = 14
    help_sheet.column_dimensions["B"].width = 90

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _help_rows() -> list[list[str]]:
    return [
        [COL_UNIT, _("必填。本评议会述职单位的名称，每个单位一行，不能重复。")],
        [COL_TARGET, _("目标考核得分，0 到 100，最多两位小数；留空表示没有得分。")],
        [COL_DAILY, _("日常考核得分，0 到 100，最多两位小数；留空表示没有得分。")],
        [COL_BONUS, _("加减分，-100 到 100，扣分填负数，最多两位小数；留空为 0。")],
        [
            COL_REASON,
            _("有加减分时必填，印在结果报告中；不超过 %(max)s 个字符。") % {"max": REASON_MAX},
        ],
        [
            "",
            _(
                "文件中列出的单位按本表更新，未列出的单位保持不变。任何一格有误则整个文件都不导入；"
                "不能使用公式，文字不能以 = 或 @ 开头，不能包含 < 或 >。"
            ),
        ],
    ]
