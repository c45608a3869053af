"""The breakdown workbook (目标分解表): parse it into plain rows, or write a district's year back
in the same shape (docs/workbooks.md, "目标分解表").

Sheet ``目标``, one row per target: 编号, 指标, 确保目标, 分值 and 牵头单位 are required; 类型,
计量单位, 方向, 基数, 力争目标, 计分方法, 完成率下限(%), 完成率上限(%), 分档, 力争加分, 一票否决,
填报周期, 配合单位 and 进度计划 may be left out (blank takes the default of docs/targets.md). Units
are named as the district knows them, several in one cell separated by 、 , ; or a line break.

Sheet ``分解`` may be left out: one row per unit that has its own share of a target (编号, 单位
required; 分解目标, 分值), the unit one the target's row names.

Like every workbook here, parsing writes nothing, reads through core/spreadsheet.py (.xlsx,
.xls, .ods, .csv; title rows; full-width digits and brackets) and collects every problem with
its sheet, row and column before refusing the whole file; a row whose numbers the rules could
not score is refused in the rules' own words (targets/engine.py).
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.spreadsheet import (
    cell_text,
    column_letter,
    normalise_text,
    percent_number,
    usable_cell,
    write_row,
)
from sessions.workbook import (
    Problem,
    Table,
    WorkbookError,
    error_value_problem,
    nonblank_rows,
    open_workbook,
    read_table,
)

from . import engine
from .engine import plain

SHEET_TARGETS = "目标"
SHEET_SHARES = "分解"

COL_CODE = "编号"
COL_TITLE = "指标"
COL_GOAL = "确保目标"
COL_POINTS = "分值"
COL_LEAD = "牵头单位"
COL_KIND = "类型"
COL_MEASURE = "计量单位"
COL_DIRECTION = "方向"
COL_BASELINE = "基数"
COL_STRETCH = "力争目标"
COL_METHOD = "计分方法"
COL_FLOOR = "完成率下限(%)"
COL_CAP = "完成率上限(%)"
COL_STEPS = "分档"
COL_BONUS = "力争加分"
COL_VETO = "一票否决"
COL_PERIOD = "填报周期"
COL_SUPPORT = "配合单位"
COL_PLAN = "进度计划"
COL_UNIT = "单位"
COL_SHARE_GOAL = "分解目标"

REQUIRED = (COL_CODE, COL_TITLE, COL_GOAL, COL_POINTS, COL_LEAD)
OPTIONAL = (
    COL_KIND,
    COL_MEASURE,
    COL_DIRECTION,
    COL_BASELINE,
    COL_STRETCH,
    COL_METHOD,
    COL_FLOOR,
    COL_CAP,
    COL_STEPS,
    COL_BONUS,
    COL_VETO,
    COL_PERIOD,
    COL_SUPPORT,
    COL_PLAN,
)
SHARE_REQUIRED = (COL_CODE, COL_UNIT)
SHARE_OPTIONAL = (COL_SHARE_GOAL, COL_POINTS)

# The words a cell may hold, as the reader normalises them, and the value each stands for.
KINDS = {"定量指标": "quantity", "定量": "quantity", "计数任务": "count", "计数": "count"}
KINDS |= {"节点任务": "milestone", "节点": "milestone"}
DIRECTIONS = {"不低于": engine.AT_LEAST, "≥": engine.AT_LEAST, ">=": engine.AT_LEAST}
DIRECTIONS |= {"不高于": engine.AT_MOST, "≤": engine.AT_MOST, "<=": engine.AT_MOST}
METHODS = {"按完成率": engine.RATIO, "完成率": engine.RATIO, "分档": engine.STEPS}
METHODS |= {"达标得分": engine.PASS_FAIL, "达标": engine.PASS_FAIL}
PERIODS = {"按月": "month", "月": "month", "按季": "quarter", "季": "quarter"}
YES, NO = ("是", "y", "yes", "√"), ("否", "n", "no", "×")

CODE_MAX, TITLE_MAX, MEASURE_MAX, UNIT_NAME_MAX = 20, 200, 20, 100
MAX_TARGETS = 2000  # a district's year has a few hundred targets at most
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
HUNDRED = Decimal(100)
# Between units or steps: 、 , ， ; ； or a line break (Alt+Enter); read from the raw text,
# since the reader turns a line break into a space and keeps ，；as written.
LIST_SEPARATORS = re.compile(r"[、,，;；\r\n]+")
STEP = re.compile(r"^([0-9.]+)%?[:：]([0-9.]+)%?$")
PLAN_POINT = re.compile(r"^([0-9]{1,2})月?(?:底|末)?[:：]([0-9.]+)$")
# max_digits and decimal_places of the model's fields (targets/models.py)
LEVEL_MAX, POINTS_MAX = Decimal("999999999999.9999"), Decimal("99999.99")


@dataclass(frozen=True)
class TargetRow:
    row: int
    code: str
    title: str
    kind: str
    measure: str
    direction: str
    baseline: Decimal | None
    goal: Decimal
    stretch: Decimal | None
    points: Decimal
    method: str
    floor: Decimal  # a ratio: 50 % is 0.5
    cap: Decimal
    steps: tuple[tuple[Decimal, Decimal], ...]  # (ratio reached, share earned)
    bonus: Decimal
    veto: bool
    period: str
    lead: tuple[str, ...]  # unit names as the district stores them
    support: tuple[str, ...]
    # (month, planned cumulative value) of 进度计划 (docs/targets.md, "The period's plan")
    plan: tuple[tuple[int, Decimal], ...] = ()
    # (unit name, own goal or None, own points or None) from sheet 分解
    shares: tuple[tuple[str, Decimal | None, Decimal | None], ...] = ()


def parse_targets_workbook(fileobj, *, unit_names: Collection[str]) -> list[TargetRow]:
    """The targets of the workbook, their units checked against ``unit_names`` (the district's
    units); raises WorkbookError listing every problem. Nothing is written."""
    book = open_workbook(fileobj, max_bytes=UPLOAD_MAX_BYTES)
    try:
        return _Parser(book, unit_names=unit_names).parse()
    finally:
        book.close()


class _Parser:
    def __init__(self, book, *, unit_names: Collection[str]):
        self.book = book
        # Compared as the reader gives every cell (normalised), stored as the district has them.
        self.units = {normalise_text(name): name for name in unit_names}
        # An .ods is read without number formats: 0.5 may be a cell shown as 50% or 0.5 %.
        self.formats_unknown = not book.formats_known
        self.problems: list[Problem] = []

    def problem(self, text: str, sheet: str = "", row: int | None = None, column: str = ""):
        self.problems.append(Problem(text=text, sheet=sheet, row=row, column=column))

    def parse(self) -> list[TargetRow]:
        rows = self._targets()
        rows = self._shares(rows)
        if self.problems:
            raise WorkbookError(self.problems)
        return rows

    def _shares(self, rows: list[TargetRow]) -> list[TargetRow]:
        """Sheet 分解, when the workbook has it: each unit's own goal and points, checked
        against the rules as the unit will be scored (docs/targets.md, "Stored")."""
        sheet = SHEET_SHARES
        # A .csv is one sheet: it holds 目标 and never 分解.
        worksheet = None if self.book.single_sheet else self.book.find(sheet)
        if worksheet is None:
            return rows
        table = read_table(
            nonblank_rows(worksheet),
            sheet=sheet,
            required=SHARE_REQUIRED,
            optional=SHARE_OPTIONAL,
            problem=self.problem,
        )
        if table is None:
            return rows
        by_code = {row.code: row for row in rows}
        shares: dict[str, list] = {}
        seen: dict[tuple[str, str], int] = {}
        for row, cells in table.rows:
            before = len(self.problems)
            at = (table, row, cells)
            code = self._text(*at, COL_CODE, CODE_MAX)
            units = self._units(*at, COL_UNIT, required=True)
            goal = self._number(*at, COL_SHARE_GOAL, LEVEL_MAX, required=False)
            points = self._number(
                *at, COL_POINTS, POINTS_MAX, places=2, negative=False, required=False
            )
            if len(self.problems) > before:
                continue
            target = by_code.get(code)
            if target is None:
                self.problem(
                    _("编号“%(code)s”不在工作表“%(sheet)s”中（或该行有误）。")
                    % {"code": code, "sheet": SHEET_TARGETS},
                    sheet,
                    row,
                    COL_CODE,
                )
                continue
            if len(units) != 1:
                self.problem(_("每行只填写一个单位。"), sheet, row, COL_UNIT)
                continue
            unit = units[0]
            if unit not in (*target.lead, *target.support):
                self.problem(
                    _("“%(unit)s”不是目标“%(code)s”的牵头或配合单位。")
                    % {"unit": unit, "code": code},
                    sheet,
                    row,
                    COL_UNIT,
                )
                continue
            if (code, unit) in seen:
                self.problem(
                    _("“%(unit)s”在目标“%(code)s”下重复（第 %(first)s 行已列出）。")
                    % {"unit": unit, "code": code, "first": seen[code, unit]},
                    sheet,
                    row,
                    COL_UNIT,
                )
                continue
            seen[code, unit] = row
            if goal is None and points is None:
                self.problem(_("请填写分解目标或分值。"), sheet, row, COL_SHARE_GOAL)
                continue
            try:
                engine_target(target, goal=goal, points=points)
            except engine.RuleError as error:
                text, column = rule_problem(error)
                self.problem(text, sheet, row, COL_SHARE_GOAL if column != COL_BONUS else column)
                continue
            shares.setdefault(code, []).append((unit, goal, points))
        return [replace(row, shares=tuple(shares.get(row.code, ()))) for row in rows]

    def _targets(self) -> list[TargetRow]:
        sheet = SHEET_TARGETS
        worksheet = self.book.find(sheet)
        if worksheet is None:
            self.problem(self.book.missing(sheet), sheet)
            return []
        if worksheet.max_row > MAX_TARGETS + 1:
            self.problem(
                _("超过 %(max)s 行，请删除多余的行或分批导入。") % {"max": MAX_TARGETS}, sheet
            )
            return []
        before_table = len(self.problems)
        table = read_table(
            nonblank_rows(worksheet),
            sheet=sheet,
            required=REQUIRED,
            optional=OPTIONAL,
            problem=self.problem,
            header_key=lambda key: {"完成率下限": COL_FLOOR, "完成率上限": COL_CAP}.get(key, key),
        )
        if table is None:
            return []
        if not table.rows and len(self.problems) == before_table:
            self.problem(_("没有任何目标：请在表头下每行填写一个目标。"), sheet)
        found, seen = [], {}
        for row, cells in table.rows:
            before = len(self.problems)
            code, target = self._row(table, row, cells)
            if code is not None and code in seen:
                self.problem(
                    _("编号“%(code)s”重复（第 %(first)s 行已列出）。")
                    % {"code": code, "first": seen[code]},
                    sheet,
                    row,
                    COL_CODE,
                )
            elif code is not None:
                seen[code] = row
            if target is not None and len(self.problems) == before:
                found.append(target)
        return found

    def _row(self, table: Table, row: int, cells) -> tuple[str | None, TargetRow | None]:
        """The row's code (None when the cell is wrong) and its target (None on any problem)."""
        headers = {index: title for title, index in table.columns.items()}
        for index, cell in enumerate(cells):
            if cell is not None and cell.error:
                self.problem(
                    error_value_problem(cell),
                    table.sheet,
                    row,
                    headers.get(index, column_letter(index + 1)),
                )
        before = len(self.problems)
        at = (table, row, cells)
        code = self._text(*at, COL_CODE, CODE_MAX)
        title = self._text(*at, COL_TITLE, TITLE_MAX, prose=True)
        kind = self._choice(*at, COL_KIND, KINDS, "quantity")
        measure = self._text(*at, COL_MEASURE, MEASURE_MAX, required=False) or ""
        direction = self._choice(*at, COL_DIRECTION, DIRECTIONS, engine.AT_LEAST)
        baseline = self._number(*at, COL_BASELINE, LEVEL_MAX, required=False)
        goal = self._number(*at, COL_GOAL, LEVEL_MAX)
        stretch = self._number(*at, COL_STRETCH, LEVEL_MAX, required=False)
        points = self._number(*at, COL_POINTS, POINTS_MAX, places=2, negative=False)
        method = self._choice(*at, COL_METHOD, METHODS, engine.RATIO)
        floor = self._percent(*at, COL_FLOOR, Decimal(0))
        cap = self._percent(*at, COL_CAP, HUNDRED)
        steps = self._steps(*at, required=method == engine.STEPS)
        bonus = self._number(*at, COL_BONUS, POINTS_MAX, places=2, negative=False, required=False)
        veto = self._yes_no(*at, COL_VETO)
        period = self._choice(*at, COL_PERIOD, PERIODS, "quarter")
        lead = self._units(*at, COL_LEAD, required=True)
        support = self._units(*at, COL_SUPPORT, required=False)
        plan = self._plan(*at, kind=kind)
        if len(self.problems) > before:
            return code, None
        both = [name for name in support if name in lead]
        if both:
            self.problem(
                _("“%(names)s”同时列为牵头单位和配合单位。") % {"names": "、".join(both)},
                table.sheet,
                row,
                COL_SUPPORT,
            )
            return code, None
        target = TargetRow(
            row=row,
            code=code,
            title=title,
            kind=kind,
            measure=measure,
            direction=direction,
            baseline=baseline,
            goal=goal,
            stretch=stretch,
            points=points,
            method=method,
            floor=floor / HUNDRED,
            cap=cap / HUNDRED,
            steps=steps,
            bonus=bonus or Decimal(0),
            veto=veto,
            period=period,
            lead=lead,
            support=support,
            plan=plan,
        )
        try:
            engine_target(target)
            start = baseline if baseline is not None else Decimal(0)
            engine.plan_share(12, start, goal, dict(plan))
        except engine.RuleError as error:
            # What the rules refuse, said in the column that has to change.
            text, column = rule_problem(error)
            self.problem(text, table.sheet, row, column)
            return code, None
        return code, target

    def _plan(self, table, row, cells, *, kind) -> tuple[tuple[int, Decimal], ...] | None:
        """进度计划: ``10月:14.4；12月:24``, the cumulative value planned by a month's end; only
        for counts and milestones, a rate being the same level all year."""
        cell = self._cell(table, row, cells, COL_PLAN, required=False)
        if cell is None:
            return ()
        if kind == "quantity":
            self.problem(
                _("定量指标全年按同一目标衡量，不填进度计划（计数任务、节点任务才填）。"),
                table.sheet,
                row,
                COL_PLAN,
            )
            return None
        points = {}
        for part in LIST_SEPARATORS.split(str(cell.raw)):
            part = "".join(normalise_text(part).split())
            if not part:
                continue
            match = PLAN_POINT.match(part)
            if match is None or not 1 <= int(match[1]) <= 12 or int(match[1]) in points:
                self.problem(
                    _("“%(part)s”不是“月份:计划累计值”（如 10月:14.4），各月用“；”分开，每月一次。")
                    % {"part": part},
                    table.sheet,
                    row,
                    COL_PLAN,
                )
                return None
            points[int(match[1])] = plain(Decimal(match[2]))
        return tuple(sorted(points.items()))

    # ------------------------------------------------------------ cells

    def _cell(self, table: Table, row: int, cells, column: str, *, required: bool):
        """The cell as data, or None: see ``core.spreadsheet.usable_cell``."""
        cell, problem = usable_cell(table.cell(cells, column), required=required)
        if problem:
            self.problem(problem, table.sheet, row, column)
        return cell

    def _text(self, table, row, cells, column, max_length, *, prose=False, required=True):
        text, problem = cell_text(
            table.cell(cells, column), max_length=max_length, prose=prose, required=required
        )
        if problem:
            self.problem(problem, table.sheet, row, column)
        return text

    def _number(
        self, table, row, cells, column, most, *, places=4, negative=True, required=True
    ) -> Decimal | None:
        cell = self._cell(table, row, cells, column, required=required)
        if cell is None:
            return None
        # A cell shown as 7% means 7 (the measure is then %), as in the percent columns.
        number = percent_number(cell.value, percent_formatted=cell.percent)
        if number is None or not number.is_finite():
            self.problem(
                _("“%(value)s”不是数字。") % {"value": cell.value}, table.sheet, row, column
            )
            return None
        if abs(number) > most or (number < 0 and not negative):
            self.problem(
                _("必须在 %(low)s 到 %(high)s 之间（现为 %(value)s）。")
                % {"low": 0 if not negative else -most, "high": most, "value": plain(number)},
                table.sheet,
                row,
                column,
            )
            return None
        if number != round(number, places):
            self.problem(_("最多 %(n)s 位小数。") % {"n": places}, table.sheet, row, column)
            return None
        return plain(number)

    def _percent(self, table, row, cells, column, default: Decimal) -> Decimal | None:
        """0 to 1000 (%): a number under a percent format as shown (Excel stores 0.5 for 50 %),
        text such as 50 or 50%, a plain number as written."""
        cell = self._cell(table, row, cells, column, required=False)
        if cell is None:
            return default
        number = percent_number(cell.value, percent_formatted=cell.percent)
        if self.formats_unknown and isinstance(cell.value, int | float) and 0 < number < 1:
            self.problem(
                _(
                    "无法判断“%(value)s”是 %(percent)s%% 还是 %(value)s%%（文件不带单元格的"
                    "百分比格式）：请写成 %(percent)s%%，或把文件另存为 .xlsx 后导入。"
                )
                % {"value": plain(number), "percent": plain(number * HUNDRED)},
                table.sheet,
                row,
                column,
            )
            return None
        if number is None or not number.is_finite() or not 0 <= number <= 1000:
            self.problem(
                _("“%(value)s”不是 0 到 1000 之间的百分数。") % {"value": cell.value},
                table.sheet,
                row,
                column,
            )
            return None
        return number

    def _steps(self, table, row, cells, *, required: bool):
        """分档: pairs of 完成率:得分比例 in %, e.g. 80%:60%；90%:80%；100%:100%."""
        cell = self._cell(table, row, cells, COL_STEPS, required=required)
        if cell is None:
            return ()
        steps = []
        for part in LIST_SEPARATORS.split(str(cell.raw)):
            part = "".join(normalise_text(part).split())  # ８０％ : ６０％ is 80%:60%
            if not part:
                continue
            match = STEP.match(part)
            if match is None:
                self.problem(
                    _("“%(part)s”不是“完成率:得分比例”（如 90%%:80%%），各档用“；”分开。")
                    % {"part": part},
                    table.sheet,
                    row,
                    COL_STEPS,
                )
                return None
            steps.append((Decimal(match[1]) / HUNDRED, Decimal(match[2]) / HUNDRED))
        return tuple(steps)

    def _choice(self, table, row, cells, column, words: dict[str, str], default: str):
        cell = self._cell(table, row, cells, column, required=False)
        if cell is None:
            return default
        word = str(cell.value).strip()
        if word not in words:
            self.problem(
                _("“%(value)s”不是可选的值（%(words)s）。")
                % {"value": word, "words": "、".join(words)},
                table.sheet,
                row,
                column,
            )
            return None
        return words[word]

    def _yes_no(self, table, row, cells, column) -> bool | None:
        cell = self._cell(table, row, cells, column, required=False)
        if cell is None:
            return False
        word = str(cell.value).strip().lower()
        if word in YES or word in NO:
            return word in YES
        self.problem(_("请填写“是”或“否”。"), table.sheet, row, column)
        return None

    def _units(self, table, row, cells, column, *, required: bool) -> tuple[str, ...] | None:
        cell = self._cell(table, row, cells, column, required=required)
        if cell is None:
            return ()
        names = [normalise_text(n) for n in LIST_SEPARATORS.split(str(cell.raw)) if n.strip()]
        unknown = [name for name in names if name not in self.units]
        if unknown:
            self.problem(
                _("单位“%(names)s”不是本区（县）的单位。") % {"names": "、".join(unknown)},
                table.sheet,
                row,
                column,
            )
            return None
        stored = tuple(dict.fromkeys(self.units[name] for name in names))
        if required and not stored:
            self.problem(_("不能为空。"), table.sheet, row, column)
            return None
        return stored


def engine_target(
    row: TargetRow, *, goal: Decimal | None = None, points: Decimal | None = None
) -> engine.Target:
    """The row's target as the engine scores it; ``goal`` and ``points`` a unit's own share."""
    return engine.Target(
        row.code,
        row.points if points is None else points,
        row.goal if goal is None else goal,
        row.direction,
        row.baseline,
        row.stretch,
        engine.Rule(
            method=row.method,
            floor=row.floor,
            cap=row.cap,
            steps=row.steps,
            bonus=row.bonus,
            veto=row.veto,
        ),
    )


def rule_problem(error: engine.RuleError) -> tuple[str, str]:
    """The sentence and the column for what the rules of docs/targets.md refuse in a row."""
    p = error.params
    above = p.get("up", True)
    texts = {
        "goal_baseline": (
            (
                _("确保目标 %(goal)s 须高于基数 %(baseline)s（方向为不低于）。")
                if above
                else _("确保目标 %(goal)s 须低于基数 %(baseline)s（方向为不高于）。")
            ),
            COL_BASELINE,
        ),
        "goal_positive": (_("没有基数时，确保目标须大于 0。"), COL_GOAL),
        "goal_negative": (_("没有基数时，确保目标不能小于 0。"), COL_GOAL),
        "stretch_order": (
            (
                _("力争目标 %(stretch)s 须高于确保目标 %(goal)s。")
                if above
                else _("力争目标 %(stretch)s 须低于确保目标 %(goal)s。")
            ),
            COL_STRETCH,
        ),
        "bonus_needs_stretch": (_("有力争加分时须填写力争目标。"), COL_BONUS),
        "floor_cap": (_("完成率下限须在 0 与上限之间，上限须大于 0。"), COL_FLOOR),
        "steps_missing": (_("计分方法为分档时须填写分档。"), COL_STEPS),
        "steps_order": (_("各档的完成率须由低到高排列，且不能重复。"), COL_STEPS),
        "steps_fall": (_("完成率越高，得分比例不能越低。"), COL_STEPS),
        "plan_falls": (_("进度计划的累计值不能随月份减少，也不能超出确保目标。"), COL_PLAN),
        "plan_month": (_("进度计划的月份须在 1 到 12 之间。"), COL_PLAN),
        "plan_december": (_("12 月的计划值须等于确保目标。"), COL_PLAN),
    }
    if error.code not in texts:  # a rule the workbook's columns cannot break
        return str(error), ""
    text, column = texts[error.code]
    values = {k: plain(v) if isinstance(v, Decimal) else v for k, v in p.items()}
    return text % values, column


# ---------------------------------------------------------------- writing

COLUMN_ORDER = (
    COL_CODE,
    COL_TITLE,
    COL_KIND,
    COL_MEASURE,
    COL_DIRECTION,
    COL_BASELINE,
    COL_GOAL,
    COL_STRETCH,
    COL_POINTS,
    COL_METHOD,
    COL_FLOOR,
    COL_CAP,
    COL_STEPS,
    COL_BONUS,
    COL_VETO,
    COL_PERIOD,
    COL_LEAD,
    COL_SUPPORT,
    COL_PLAN,
)
# The first word of each choice is the one written back.
WORDS = {
    COL_KIND: {"quantity": "定量指标", "count": "计数任务", "milestone": "节点任务"},
    COL_DIRECTION: {engine.AT_LEAST: "不低于", engine.AT_MOST: "不高于"},
    COL_METHOD: {engine.RATIO: "按完成率", engine.STEPS: "分档", engine.PASS_FAIL: "达标得分"},
    COL_PERIOD: {"month": "按月", "quarter": "按季"},
}


def _percent_text(ratio: Decimal) -> str:
    return f"{plain(ratio * HUNDRED)}%"


def workbook_bytes(rows: list[TargetRow]) -> bytes:
    """Sheet 目标 with ``rows`` in the columns the import reads: exported, it imports as it is.
    Text goes through core.spreadsheet's writer, so no cell becomes a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TARGETS
    write_row(sheet, list(COLUMN_ORDER))
    for row in rows:
        write_row(
            sheet,
            [
                row.code,
                row.title,
                WORDS[COL_KIND][row.kind],
                row.measure or None,
                WORDS[COL_DIRECTION][row.direction],
                row.baseline,
                row.goal,
                row.stretch,
                row.points,
                WORDS[COL_METHOD][row.method],
                _percent_text(row.floor),
                _percent_text(row.cap),
                "；".join(f"{_percent_text(t)}:{_percent_text(s)}" for t, s in row.steps) or None,
                row.bonus or None,
                "是" if row.veto else "否",
                WORDS[COL_PERIOD][row.period],
                "、".join(row.lead),
                "、".join(row.support) or None,
                "；".join(f"{m}月:{plain(v)}" for m, v in row.plan) or None,
            ],
        )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    for index, width in enumerate(
        (8, 30, 10, 8, 8, 10, 10, 10, 8, 10, 10, 10, 30, 8, 8, 8, 24, 30, 20)
    ):
        sheet.column_dimensions[column_letter(index + 1)].width = width
    shares = [(row.code, share) for row in rows for share in row.shares]
    if shares:
        sheet = book.create_sheet(SHEET_SHARES)
        write_row(sheet, [COL_CODE, COL_UNIT, COL_SHARE_GOAL, COL_POINTS])
        for code, (unit, goal, points) in shares:
            write_row(sheet, [code, unit, goal, points])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
