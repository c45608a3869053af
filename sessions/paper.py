"""纸质票录入 (docs/design.md §5): paper ballots keyed into a workbook and stored
next to the tablet ballots, all or nothing.

The sheet 评议票 holds one row per ballot: 票号, 评议组, 所在单位 (may be blank), then one column
per participating unit holding 好/较好/一般/差/弃权 or nothing. ``parse_ballot_workbook`` reads
the whole sheet against the session and collects every problem, each naming its row and
column; ``paper_ballots_import`` stores the ballots in one transaction.

Paper cannot be handed back to its rater, so where a tablet refuses, the import stores and
reports instead: a grade for the rater's own unit, or one that 交叉评议 does not allow, is left
out (section 4.2), and a ballot that breaks a ballot rule is stored flagged (section 4.9).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.audit import audit
from core.spreadsheet import put, write_row

from . import lifecycle
from .ballots import flag_labels
from .guards import lock_session
from .models import Ballot, BallotGrade, Credential, Grade, ReviewSession, Unit
from .rating import ballot_rule_results, rateable_units
from .workbook import (
    COL_GROUP,
    COL_UNIT,
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    NAME_MAX,
    NOTE_COLUMNS,
    SHEET_HELP,
    Problem,
    WorkbookError,
    _looks_like_title,
    _Parser,
    error_value_problem,
    is_blank,
    is_formula,
    normalise_header,
    open_workbook,
)

SHEET_BALLOTS = "评议票"
COL_NUMBER = "票号"
FIXED_COLUMNS = (COL_NUMBER, COL_GROUP, COL_UNIT)
NUMBER_MAX = Ballot._meta.get_field("paper_number").max_length

# What a keyed-in cell may say. The sheet is Chinese whatever the interface language.
GRADE_TEXT = {
    "好": Grade.GOOD,
    "较好": Grade.FAIRLY_GOOD,
    "一般": Grade.AVERAGE,
    "差": Grade.POOR,
    "弃权": Grade.ABSTAIN,
}
GRADE_LIST = "/".join(GRADE_TEXT)

OWN_UNIT, CROSS_RATING = "own_unit", "cross_rating"


def paper_import_refusal(session: ReviewSession) -> str | None:
    """Why paper ballots cannot go into ``session`` now, or None when they can."""
    if not lifecycle.can_enter_paper_ballots(session):
        return _("评议会状态为“%(status)s”：纸质票只能在“评议中”或“评议已结束”状态下录入。") % {
            "status": session.get_status_display()
        }
    criteria = list(session.criteria.values_list("name", flat=True))
    if criteria:
        return _(
            "本评议会按评价要素（%(criteria)s）分项评议，纸质票每个单位只有一列等次，"
            "不能录入；请在平板上评议。"
        ) % {"criteria": "、".join(criteria)}
    return None


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class PaperBallot:
    """One parsed row of 评议票. ``grades`` maps a unit name to a Grade value, in column
    order; blank cells are not in it (no answer, section 4.1)."""

    row: int
    number: str
    group: str
    holder_unit: str | None
    grades: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IgnoredGrade:
    """A grade on paper that was not stored: the rater's own unit, or 交叉评议 (section 4.2)."""

    row: int
    number: str
    unit: str
    reason: str  # OWN_UNIT or CROSS_RATING

    def __str__(self) -> str:
        where = {"row": self.row, "number": self.number, "unit": self.unit}
        if self.reason == OWN_UNIT:
            return _("第 %(row)s 行 票号 %(number)s：所在单位“%(unit)s”的评价已忽略") % where
        return _("第 %(row)s 行 票号 %(number)s：交叉评议不评“%(unit)s”，该评价已忽略") % where


@dataclass(frozen=True)
class FlaggedBallot:
    """A ballot stored flagged because it breaks ballot rules (section 4.9)."""

    row: int
    number: str
    rules: tuple[str, ...]

    @property
    def labels(self) -> str:
        return "、".join(flag_labels(list(self.rules)))

    def __str__(self) -> str:
        return _("第 %(row)s 行 票号 %(number)s：已标记（%(rules)s）") % {
            "row": self.row,
            "number": self.number,
            "rules": self.labels,
        }


@dataclass(frozen=True)
class PaperImportReport:
    imported: int
    ignored: list[IgnoredGrade] = field(default_factory=list)
    flagged: list[FlaggedBallot] = field(default_factory=list)

    def __str__(self) -> str:
        return _("导入纸质票 %(n)s 张，忽略评价 %(ignored)s 项，标记 %(flagged)s 张") % {
            "n": self.imported,
            "ignored": len(self.ignored),
            "flagged": len(self.flagged),
        }


# ---------------------------------------------------------------- messages shared by the parser
# and the service (which checks again inside its transaction)


def _number_taken(number: str) -> str:
    return _("票号“%(number)s”已录入过：本评议会已有此票号的评议票。") % {"number": number}


def _number_repeated(number: str, first: int) -> str:
    return _("票号“%(number)s”重复（第 %(first)s 行已使用）。") % {
        "number": number,
        "first": first,
    }


def _unknown_group(name: str, names) -> str:
    return _("“%(name)s”不是本评议会的评议组；可填写：%(names)s。") % {
        "name": name,
        "names": "、".join(names),
    }


def _unknown_unit(name: str) -> str:
    return _("“%(name)s”不是本评议会的单位；评议人不属于本评议会的单位时请留空。") % {"name": name}


# ---------------------------------------------------------------- parsing


def parse_ballot_workbook(fileobj, *, session: ReviewSession) -> list[PaperBallot]:
    """The ballots of sheet 评议票 of a workbook, checked against ``session``; raises
    WorkbookError listing every problem. Nothing is written."""
    refusal = paper_import_refusal(session)
    if refusal:
        raise WorkbookError([Problem(refusal)])
    book = open_workbook(fileobj)
    try:
        return _BallotParser(book, session=session).parse()
    finally:
        book.close()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _BallotParser(_Parser):
    """Reuses the session workbook's row, text and problem handling (sessions/workbook.py)."""

    def __init__(self, book, *, session: ReviewSession):
        super().__init__(book, require_meta=False)
        self.participants = [p.unit.name for p in session.participants.select_related("unit")]
        # A header is matched to a participant as normalised text (core/spreadsheet.py):
        # 区委办公室（区档案馆） in the sheet is the unit stored as 区委办公室(区档案馆).
        self.participant_by_header = {normalise_header(n): n for n in self.participants}
        self.group_names = list(session.rater_groups.values_list("name", flat=True))
        self.unit_names = set(session.units.values_list("name", flat=True))
        self.taken = set(
            session.ballots.exclude(paper_number="").values_list("paper_number", flat=True)
        )

    def parse(self) -> list[PaperBallot]:
        rows = self._rows(SHEET_BALLOTS, required=True)
        if rows is None:
            raise WorkbookError(self.problems)
        if not rows:
            self.problem(
                _("工作表是空的：第一行应为表头（票号、评议组、所在单位和各述职单位的名称）。"),
                SHEET_BALLOTS,
            )
            raise WorkbookError(self.problems)
        # Title and note rows above the header are skipped: the header is the first row with 票号.
        start = next(
            (
                index
                for index, (_row, cells) in enumerate(rows[:HEADER_SEARCH_ROWS])
                if any(
                    not is_blank(c) and normalise_header(_cell_text(c.value)) == COL_NUMBER
                    for c in cells
                )
            ),
            None,
        )
        if start is None and _looks_like_title(rows[0][1]) and len(rows) > 1:
            text = next(_cell_text(c.value) for c in rows[0][1] if not is_blank(c))
            self.problem(
                _(
                    "第 %(row)s 行像标题（“%(text)s”），但其下没有找到表头行：表头应为票号、"
                    "评议组、所在单位和各述职单位的名称。"
                )
                % {"row": rows[0][0], "text": text},
                SHEET_BALLOTS,
            )
            raise WorkbookError(self.problems)
        start = start or 0
        header_row, header_cells = rows[start]
        columns = self._header(header_row, header_cells)
        if columns is None:
            raise WorkbookError(self.problems)
        if len(rows) == start + 1:
            self.problem(
                _("没有任何评议票：请从第二行起每行填写一张评议票。"), SHEET_BALLOTS, header_row
            )
        seen: dict[str, int] = {}
        ballots = []
        for row, cells in rows[start + 1 :]:
            ballot = self._ballot(row, cells, columns, seen)
            if ballot is not None:
                ballots.append(ballot)
        if self.problems:
            raise WorkbookError(self.problems)
        return ballots

    def _header(self, row: int, cells) -> dict[str, int] | None:
        """Header text → column index, or None when the header is wrong."""
        before = len(self.problems)
        known = {*FIXED_COLUMNS, *NOTE_COLUMNS}
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            if is_blank(cell):
                continue
            if is_formula(cell):
                self.problem(
                    _("表头不能是公式。"), SHEET_BALLOTS, row, get_column_letter(index + 1)
                )
                continue
            title = normalise_header(_cell_text(cell.value))
            title = self.participant_by_header.get(title, title)
            if title in columns:
                self.problem(_("表头重复。"), SHEET_BALLOTS, row, title)
            elif title not in known and title not in self.participant_by_header.values():
                self.problem(
                    _("不是本评议会的述职单位；表头应为票号、评议组、所在单位和各述职单位的名称。"),
                    SHEET_BALLOTS,
                    row,
                    title,
                )
            else:
                columns[title] = index
        for title in FIXED_COLUMNS:
            if title not in columns:
                self.problem(_("缺少表头“%(title)s”。") % {"title": title}, SHEET_BALLOTS, row)
        missing = [name for name in self.participants if name not in columns]
        if missing:
            self.problem(
                _("缺少述职单位的列：%(names)s。每个述职单位都要有一列，不评的单元格留空。")
                % {"names": "、".join(missing)},
                SHEET_BALLOTS,
                row,
            )
        return columns if len(self.problems) == before else None

    def _ballot(self, row: int, cells, columns: dict[str, int], seen: dict[str, int]):
        before = len(self.problems)

        def cell(column: str):
            index = columns[column]
            return cells[index] if index < len(cells) else None

        number = self._text(
            SHEET_BALLOTS, row, COL_NUMBER, cell(COL_NUMBER), required=True, max_length=NUMBER_MAX
        )
        if number is not None:
            if number in self.taken:
                self.problem(_number_taken(number), SHEET_BALLOTS, row, COL_NUMBER)
            elif number in seen:
                self.problem(_number_repeated(number, seen[number]), SHEET_BALLOTS, row, COL_NUMBER)
            else:
                seen[number] = row
        group = self._text(
            SHEET_BALLOTS, row, COL_GROUP, cell(COL_GROUP), required=True, max_length=NAME_MAX
        )
        if group is not None and group not in self.group_names:
            self.problem(_unknown_group(group, self.group_names), SHEET_BALLOTS, row, COL_GROUP)
        holder = self._text(
            SHEET_BALLOTS, row, COL_UNIT, cell(COL_UNIT), required=False, max_length=NAME_MAX
        )
        if holder is not None and holder not in self.unit_names:
            self.problem(_unknown_unit(holder), SHEET_BALLOTS, row, COL_UNIT)

        grades: dict[str, str] = {}
        for name in self.participants:
            grade_cell = cell(name)
            if is_blank(grade_cell):
                continue  # no answer: not a vote (section 4.1)
            if is_formula(grade_cell):
                self.problem(_("不能是公式，请直接填写内容。"), SHEET_BALLOTS, row, name)
                continue
            if grade_cell.error:
                self.problem(error_value_problem(grade_cell), SHEET_BALLOTS, row, name)
                continue
            text = _cell_text(grade_cell.value)
            grade = GRADE_TEXT.get("".join(text.split()))
            if grade is None:
                self.problem(
                    _("“%(value)s”不是有效的评价等次（%(grades)s）。")
                    % {"value": text, "grades": GRADE_LIST},
                    SHEET_BALLOTS,
                    row,
                    name,
                )
                continue
            grades[name] = grade.value

        # A value under no header would otherwise be dropped without a word.
        headed = set(columns.values())
        for index, stray in enumerate(cells):
            if index not in headed and not is_blank(stray):
                self.problem(
                    _("此列没有表头：请删除这一格的内容，或在表头行填写单位名称。"),
                    SHEET_BALLOTS,
                    row,
                    get_column_letter(index + 1),
                )
        if len(self.problems) > before:
            return None
        return PaperBallot(row=row, number=number, group=group, holder_unit=holder, grades=grades)


# ---------------------------------------------------------------- the import


class _Rateable:
    """Which participating units a (group, own unit) pair may rate, asked once per pair.

    sessions/rating.rateable_units is the one place the rules of section 4.2 live and it reads
    them off a credential; a paper ballot has none, so it asks with an unsaved stand-in that
    carries the ballot's group and own unit."""

    def __init__(self, session: ReviewSession):
        self.session = session
        self.known: dict[tuple[int, int | None], set[int]] = {}

    def __call__(self, group, holder: Unit | None) -> set[int]:
        key = (group.pk, holder.pk if holder else None)
        if key not in self.known:
            stand_in = Credential(session=self.session, group=group, holder_unit=holder)
            self.known[key] = {unit.pk for unit in rateable_units(stand_in)}
        return self.known[key]


@transaction.atomic
def paper_ballots_import(
    *, session: ReviewSession, workbook_rows: list[PaperBallot], actor
) -> PaperImportReport:
    """Store parsed paper ballots (``parse_ballot_workbook``), all or nothing.

    The session row is locked so that two imports cannot both pass the 票号 check; names are
    looked up again here, so rows parsed against another session are refused, not misfiled.
    """
    session = lock_session(session)
    refusal = paper_import_refusal(session)
    if refusal:
        raise ValidationError(refusal)
    if not workbook_rows:
        raise ValidationError(_("没有任何评议票：请从第二行起每行填写一张评议票。"))
    scheme = session.scheme
    groups = {g.name: g for g in session.rater_groups.all()}
    units = {u.name: u for u in session.units.select_related("category")}
    participating = set(session.participants.values_list("unit_id", flat=True))
    taken = set(session.ballots.exclude(paper_number="").values_list("paper_number", flat=True))

    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for paper in workbook_rows:
        if paper.number in taken:
            problems.append(
                Problem(_number_taken(paper.number), SHEET_BALLOTS, paper.row, COL_NUMBER)
            )
        elif paper.number in seen:
            problems.append(
                Problem(
                    _number_repeated(paper.number, seen[paper.number]),
                    SHEET_BALLOTS,
                    paper.row,
                    COL_NUMBER,
                )
            )
        seen.setdefault(paper.number, paper.row)
        if paper.group not in groups:
            problems.append(
                Problem(_unknown_group(paper.group, groups), SHEET_BALLOTS, paper.row, COL_GROUP)
            )
        if paper.holder_unit is not None and paper.holder_unit not in units:
            problems.append(
                Problem(_unknown_unit(paper.holder_unit), SHEET_BALLOTS, paper.row, COL_UNIT)
            )
        for name in paper.grades:
            if name not in units or units[name].pk not in participating:
                problems.append(
                    Problem(_("不是本评议会的述职单位。"), SHEET_BALLOTS, paper.row, name)
                )
    if problems:
        raise WorkbookError(problems)

    rateable = _Rateable(session)
    ballots: list[Ballot] = []
    grades: list[BallotGrade] = []
    ignored: list[IgnoredGrade] = []
    flagged: list[FlaggedBallot] = []
    for paper in workbook_rows:
        group = groups[paper.group]
        holder = units[paper.holder_unit] if paper.holder_unit else None
        allowed = rateable(group, holder)
        kept: dict[int, str] = {}
        for name, grade in paper.grades.items():
            unit = units[name]
            if holder is not None and unit.pk == holder.pk:
                ignored.append(IgnoredGrade(paper.row, paper.number, name, OWN_UNIT))
            elif unit.pk not in allowed:
                ignored.append(IgnoredGrade(paper.row, paper.number, name, CROSS_RATING))
            else:
                kept[unit.pk] = grade
        # Section 4.9 sees the ballot as the tablet form would: every unit this rater may rate,
        # a blank counting as 弃权 (neither is a vote). A rule that would reject on a tablet
        # only flags here, since paper cannot go back to its rater.
        answers = [kept.get(unit_id, Grade.ABSTAIN) for unit_id in sorted(allowed)]
        rules = [rule for rule, _action, _message in ballot_rule_results(scheme, answers)]
        if rules:
            flagged.append(FlaggedBallot(paper.row, paper.number, tuple(rules)))
        ballot = Ballot(
            session=session,
            group=group,
            # Used above to leave the own unit out; not kept in an anonymous session, where
            # it would narrow the rater to the unit's few people (docs/anonymity.md).
            holder_unit=None if scheme.anonymous else holder,
            credential=None,
            source=Ballot.Source.PAPER,
            paper_number=paper.number,
            flags=rules,
        )
        ballots.append(ballot)
        grades += [
            BallotGrade(ballot=ballot, unit_id=unit_id, grade=grade)
            for unit_id, grade in kept.items()
        ]
    Ballot.objects.bulk_create(ballots, batch_size=500)
    BallotGrade.objects.bulk_create(grades, batch_size=2000)

    report = PaperImportReport(imported=len(ballots), ignored=ignored, flagged=flagged)
    audit(
        session=session,
        actor=actor,
        action="ballot.paper_import",
        message=_("纸质票录入：%(report)s") % {"report": report},
        imported=report.imported,
        ignored=[
            {"row": i.row, "number": i.number, "unit": i.unit, "reason": i.reason} for i in ignored
        ],
        flagged=[{"row": f.row, "number": f.number, "rules": list(f.rules)} for f in flagged],
    )
    return report


# ---------------------------------------------------------------- the template


def paper_template_bytes(session: ReviewSession) -> bytes:
    """A blank 评议票 sheet for ``session``: the header (票号, 评议组, 所在单位, then every
    participant in speaking order), a drop-down of the five grades under the unit columns and
    a 说明 sheet. Filled in, it imports as it is."""
    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    sheet.title = SHEET_BALLOTS
    participants = [p.unit.name for p in session.participants.select_related("unit")]
    groups = list(session.rater_groups.values_list("name", flat=True))
    for index, title in enumerate((*FIXED_COLUMNS, *participants), start=1):
        cell = put(sheet, 1, index, title)  # a name, never a formula
        cell.font = bold
        sheet.column_dimensions[get_column_letter(index)].width = 14 if index > 3 else 16
    sheet.freeze_panes = "D2"

    if participants:
        grade_choice = DataValidation(
            type="list",
            formula1='"{}"'.format(",".join(GRADE_TEXT)),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("评价等次"),
            error=_("请选择 好、较好、一般、差 或 弃权；不评请留空。"),
        )
        last = get_column_letter(len(FIXED_COLUMNS) + len(participants))
        grade_choice.add(f"D2:{last}{MAX_ROWS}")
        sheet.add_data_validation(grade_choice)
    group_list = ",".join(groups)
    # Excel keeps a typed-in list only up to 255 characters and splits it at commas.
    if groups and len(group_list) <= 250 and not any("," in g or '"' in g for g in groups):
        group_choice = DataValidation(
            type="list", formula1=f'"{group_list}"', allow_blank=True, showErrorMessage=True
        )
        group_choice.add(f"B2:B{MAX_ROWS}")
        sheet.add_data_validation(group_choice)

    help_sheet = book.create_sheet(SHEET_HELP)
    write_row(help_sheet, [_("列"), _("说明")])
    for cell in help_sheet[1]:
        cell.font = bold
    for row in _help_rows(session, groups):
        write_row(help_sheet, row)
    help_sheet.column_dimensions["A"].width = 14
    help_sheet.column_dimensions["B"].width = 90

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _help_rows(session: ReviewSession, groups: list[str]) -> list[list[str]]:
    rows = [
        [
            COL_NUMBER,
            _("必填。纸质票上的编号，本评议会内不能重复（含已录入的票），不超过 %(max)s 个字符。")
            % {"max": NUMBER_MAX},
        ],
        [COL_GROUP, _("必填。须是本评议会的评议组：%(names)s。") % {"names": "、".join(groups)}],
        [
            COL_UNIT,
            _("选填。评议人所在单位；填写后，该票对本单位的评价不计入，并在导入结果中列出。"),
        ],
        [
            _("各述职单位"),
            _(
                "每个述职单位一列（列名不要改动）：填写 好、较好、一般、差 或 弃权；"
                "留空表示未评价，不计票。"
            ),
        ],
    ]
    if session.scheme.cross_rating:
        rows.append(
            [
                _("交叉评议"),
                _("镇(街道)组只评部门，部门组只评镇(街道)；其余评价不计入，并在导入结果中列出。"),
            ]
        )
    rows.append(
        [
            _("评议规则"),
            _("违反评议规则（“好”的比例上限、所有单位评价相同）的票照常导入，但会被标记。"),
        ]
    )
    rows.append(
        [
            "",
            _("任何一格有误则整个文件都不导入，改正后重新上传即可；空行会被跳过；最多 %(max)s 行。")
            % {"max": MAX_ROWS},
        ]
    )
    return rows
