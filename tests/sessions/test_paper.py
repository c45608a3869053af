"""纸质票录入 (sessions/paper.py): parsing the 评议票 sheet, the all-or-nothing import and the
template workbook. docs/design.md §4.2, 4.9 and 5."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from sessions.models import AuditLog, Ballot, BallotGrade, ReviewSession
from sessions.paper import (
    CROSS_RATING,
    OWN_UNIT,
    FlaggedBallot,
    IgnoredGrade,
    PaperBallot,
    PaperImportReport,
    paper_ballots_import,
    paper_template_bytes,
    parse_ballot_workbook,
)
from sessions.workbook import WorkbookError
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    CriterionFactory,
    PaperBallotFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitFactory,
)
from tests.factories.paper import HEADER, ROWS, ballot_bytes, make_session

Status = ReviewSession.Status
ROWS_0_GRADES = {
    "城关镇": "good",
    "区财政局": "fairly_good",
    "滨河街道": "average",
    "区教育局": "poor",
}


def parse(session, data: bytes) -> list[PaperBallot]:
    return parse_ballot_workbook(io.BytesIO(data), session=session)


def problems_of(session, data: bytes) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        parse(session, data)
    return caught.value.messages


def import_bytes(session, data: bytes, actor=None) -> PaperImportReport:
    return paper_ballots_import(session=session, workbook_rows=parse(session, data), actor=actor)


def stored(session) -> list[tuple]:
    """(票号, group, own unit, flags, {unit: grade}) of every paper ballot, by 票号."""
    ballots = Ballot.objects.filter(session=session).select_related("group", "holder_unit")
    return [
        (
            b.paper_number,
            b.group.name,
            b.holder_unit.name if b.holder_unit else None,
            b.flags,
            {g.unit.name: g.grade for g in b.grades.select_related("unit")},
        )
        for b in ballots.order_by("paper_number")
    ]


# ---------------------------------------------------------------- parsing


@pytest.mark.django_db
def test_parse_ballot_workbook_reads_every_row_leaving_blank_cells_out():
    session = make_session()

    ballots = parse(session, ballot_bytes())

    assert ballots == [
        PaperBallot(
            2,
            "P001",
            "县级领导",
            None,
            {
                "城关镇": "good",
                "区财政局": "fairly_good",
                "滨河街道": "average",
                "区教育局": "poor",
            },
        ),
        PaperBallot(
            3,
            "P002",
            "区直部门",
            "区财政局",
            {"城关镇": "good", "区财政局": "good", "滨河街道": "fairly_good"},
        ),
        PaperBallot(
            4,
            "P003",
            "镇(街道)",
            "区档案馆",
            {"城关镇": "abstain", "滨河街道": "good", "区教育局": "average"},
        ),
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_skips_blank_rows_and_accepts_note_columns():
    session = make_session()
    data = ballot_bytes(
        [
            ROWS[0],
            [None] * 8,
            [" ", None, None],
            ["7", "县级领导", None, None, None, None, None, "补录"],
        ],
        header=[*HEADER, "备注"],
    )

    ballots = parse(session, data)

    assert [(b.row, b.number, b.grades) for b in ballots] == [
        (2, "P001", ROWS_0_GRADES),
        (5, "7", {}),
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_names_row_and_column_of_a_bad_grade():
    session = make_session()
    rows = [ROWS[0], ROWS[1], ROWS[2], ["P004", "县级领导", None, "好", "很好", None, None]]

    assert problems_of(session, ballot_bytes(rows)) == [
        "工作表“评议票”第 5 行“区财政局”列：“很好”不是有效的评价等次（好/较好/一般/差/弃权）。"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            [None, "县级领导", None, "好"],
            "工作表“评议票”第 2 行“票号”列：不能为空。",
        ),
        (
            ["P" * 41, "县级领导", None, "好"],
            "工作表“评议票”第 2 行“票号”列：不能超过 40 个字符（现有 41 个）。",
        ),
        (
            ["=A1", "县级领导", None, "好"],
            "工作表“评议票”第 2 行“票号”列：不能是公式，请直接填写内容。",
        ),
        (
            ["P001", None, None, "好"],
            "工作表“评议票”第 2 行“评议组”列：不能为空。",
        ),
        (
            ["P001", "社会公众", None, "好"],
            "工作表“评议票”第 2 行“评议组”列：“社会公众”不是本评议会的评议组；"
            "可填写：县级领导、区直部门、镇(街道)。",
        ),
        (
            ["P001", "县级领导", "区公安局", "好"],
            "工作表“评议票”第 2 行“所在单位”列：“区公安局”不是本评议会的单位；"
            "评议人不属于本评议会的单位时请留空。",
        ),
        (
            ["P001", "县级领导", None, "=B2"],
            "工作表“评议票”第 2 行“城关镇”列：不能是公式，请直接填写内容。",
        ),
        (
            ["P001", "县级领导", None, 100],
            "工作表“评议票”第 2 行“城关镇”列：“100”不是有效的评价等次（好/较好/一般/差/弃权）。",
        ),
        (
            ["P001", "县级领导", None, "好", None, None, None, "好"],
            "工作表“评议票”第 2 行“H”列：此列没有表头：请删除这一格的内容，或在表头行填写单位名称。",
        ),
    ],
)
def test_parse_ballot_workbook_reports_a_bad_cell_with_its_row_and_column(row, message):
    session = make_session()

    assert problems_of(session, ballot_bytes([row])) == [message]


@pytest.mark.django_db
def test_parse_ballot_workbook_reports_every_problem_in_row_order():
    session = make_session()
    rows = [
        ["P001", "县级领导", None, "优"],
        ROWS[1],
        ["P003", "无此组", None, None, None, None, "差不多"],
    ]

    assert problems_of(session, ballot_bytes(rows)) == [
        "工作表“评议票”第 2 行“城关镇”列：“优”不是有效的评价等次（好/较好/一般/差/弃权）。",
        "工作表“评议票”第 4 行“评议组”列：“无此组”不是本评议会的评议组；"
        "可填写：县级领导、区直部门、镇(街道)。",
        "工作表“评议票”第 4 行“区教育局”列：“差不多”不是有效的评价等次（好/较好/一般/差/弃权）。",
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_refuses_a_number_repeated_in_the_file():
    session = make_session()
    rows = [ROWS[0], ["P001", "县级领导", None, "好"], ROWS[2]]

    assert problems_of(session, ballot_bytes(rows)) == [
        "工作表“评议票”第 3 行“票号”列：票号“P001”重复（第 2 行已使用）。"
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_refuses_a_number_already_stored_for_the_session():
    session = make_session()
    import_bytes(session, ballot_bytes([ROWS[1]]))
    rows = [["P010", "县级领导", None, "好"], ROWS[1]]

    assert problems_of(session, ballot_bytes(rows)) == [
        "工作表“评议票”第 3 行“票号”列：票号“P002”已录入过：本评议会已有此票号的评议票。"
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_allows_a_number_used_in_another_session():
    other = ReviewSessionFactory(status=Status.RATING)
    PaperBallotFactory(session=other, paper_number="P001")
    session = make_session()

    assert [b.number for b in parse(session, ballot_bytes())] == ["P001", "P002", "P003"]


@pytest.mark.django_db
def test_parse_ballot_workbook_names_an_unknown_unit_column():
    session = make_session()
    header = ["票号", "评议组", "所在单位", "城关镇", "区财攻局", "滨河街道", "区教育局"]

    assert problems_of(session, ballot_bytes(header=header)) == [
        "工作表“评议票”第 1 行“区财攻局”列：不是本评议会的述职单位；"
        "表头应为票号、评议组、所在单位和各述职单位的名称。",
        "工作表“评议票”第 1 行：缺少述职单位的列：区财政局。每个述职单位都要有一列，不评的单元格留空。",
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_names_missing_fixed_and_unit_columns():
    session = make_session()
    header = ["票号", "评议组", "城关镇", "区财政局", "区财政局"]

    assert problems_of(session, ballot_bytes([], header=header)) == [
        "工作表“评议票”第 1 行“区财政局”列：表头重复。",
        "工作表“评议票”第 1 行：缺少表头“所在单位”。",
        "工作表“评议票”第 1 行：缺少述职单位的列：滨河街道、区教育局。"
        "每个述职单位都要有一列，不评的单元格留空。",
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_refuses_a_workbook_without_the_sheet():
    session = make_session()

    assert problems_of(session, ballot_bytes(sheet="Sheet1")) == [
        "工作表“评议票”：缺少此工作表（工作簿中现有：Sheet1）。"
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_refuses_a_sheet_without_ballots():
    session = make_session()

    assert problems_of(session, ballot_bytes([])) == [
        "工作表“评议票”第 1 行：没有任何评议票：请从第二行起每行填写一张评议票。"
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_refuses_more_than_5000_rows():
    session = make_session()
    rows = [[f"P{n}", "县级领导", None, "好"] for n in range(5000)]

    assert problems_of(session, ballot_bytes(rows)) == [
        "工作表“评议票”：有内容的行超过 5000 行，请删除多余的行或分批导入。"
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_refuses_a_file_that_is_not_xlsx():
    session = make_session()

    assert problems_of(session, "票号 评议组\n".encode()) == [
        "文件不是表格：可以导入 Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
        "或 CSV 文本（UTF-8 或 GBK 编码）。"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.DRAFT, Status.READY, Status.LIVE, Status.PUBLISHED])
def test_parse_ballot_workbook_refuses_a_session_not_in_rating_or_closed(status):
    session = make_session(status=status)
    label = Status(status).label

    assert problems_of(session, ballot_bytes()) == [
        f"评议会状态为“{label}”：纸质票只能在“评议中”或“评议已结束”状态下录入。"
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_refuses_a_session_rated_per_criterion():
    session = make_session()
    CriterionFactory(session=session, name="工作实绩")
    CriterionFactory(session=session, name="廉洁自律")

    assert problems_of(session, ballot_bytes()) == [
        "本评议会按评价要素（工作实绩、廉洁自律）分项评议，纸质票每个单位只有一列等次，"
        "不能录入；请在平板上评议。"
    ]


# ---------------------------------------------------------------- the import


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.RATING, Status.CLOSED])
def test_paper_ballots_import_stores_paper_ballots_with_their_grades(status):
    session = make_session(status=status)

    report = import_bytes(session, ballot_bytes())

    assert report == PaperImportReport(
        imported=3, ignored=[IgnoredGrade(3, "P002", "区财政局", OWN_UNIT)], flagged=[]
    )
    # The 所在单位 leaves the own unit out and is not kept: the session is anonymous.
    assert stored(session) == [
        ("P001", "县级领导", None, [], ROWS_0_GRADES),
        ("P002", "区直部门", None, [], {"城关镇": "good", "滨河街道": "fairly_good"}),
        (
            "P003",
            "镇(街道)",
            None,
            [],
            {"城关镇": "abstain", "滨河街道": "good", "区教育局": "average"},
        ),
    ]
    assert set(Ballot.objects.values_list("source", "credential")) == {("paper", None)}


@pytest.mark.django_db
def test_paper_ballots_import_ignores_and_reports_the_raters_own_unit():
    session = make_session()
    rows = [["P001", "区直部门", "区教育局", "好", "较好", "一般", "弃权"]]

    report = import_bytes(session, ballot_bytes(rows))

    assert report.ignored == [IgnoredGrade(2, "P001", "区教育局", OWN_UNIT)]
    assert [str(i) for i in report.ignored] == ["第 2 行 票号 P001：所在单位“区教育局”的评价已忽略"]
    assert stored(session)[0][4] == {
        "城关镇": "good",
        "区财政局": "fairly_good",
        "滨河街道": "average",
    }


@pytest.mark.django_db
def test_paper_ballots_import_ignores_grades_that_cross_rating_does_not_allow():
    session = make_session(cross_rating=True)
    rows = [
        ["P001", "镇(街道)", "城关镇", "好", "较好", "一般", "差"],
        ["P002", "县级领导", None, "好", "较好", "一般", "差"],
    ]

    report = import_bytes(session, ballot_bytes(rows))

    assert report.ignored == [
        IgnoredGrade(2, "P001", "城关镇", OWN_UNIT),
        IgnoredGrade(2, "P001", "滨河街道", CROSS_RATING),
    ]
    assert str(report.ignored[1]) == "第 2 行 票号 P001：交叉评议不评“滨河街道”，该评价已忽略"
    assert [ballot[4] for ballot in stored(session)] == [
        {"区财政局": "fairly_good", "区教育局": "poor"},
        ROWS_0_GRADES,
    ]


@pytest.mark.django_db
def test_paper_ballots_import_stores_a_ballot_breaking_a_rejecting_rule_flagged():
    session = make_session(identical_grades_action="reject")
    rows = [
        ["P001", "县级领导", None, "好", "好", None, "好"],
        ["P002", "县级领导", None, "好", "较好", "好", "好"],
    ]

    report = import_bytes(session, ballot_bytes(rows))

    assert report.flagged == [FlaggedBallot(2, "P001", ("identical",))]
    assert [str(f) for f in report.flagged] == ["第 2 行 票号 P001：已标记（所有单位评价相同）"]
    assert [(ballot[0], ballot[3]) for ballot in stored(session)] == [
        ("P001", ["identical"]),
        ("P002", []),
    ]


@pytest.mark.django_db
def test_paper_ballots_import_counts_blanks_like_abstentions_for_the_good_share_rule():
    # 50%: 2 of the 4 units this rater may rate, whether the other two are blank or 弃权.
    session = make_session(max_good_percent=Decimal("50"), max_good_action="flag")
    rows = [
        ["P001", "县级领导", None, "好", "好", None, None],
        ["P002", "县级领导", None, "好", "好", "好", "弃权"],
        ["P003", "区直部门", "区财政局", "好", None, "好", "一般"],
    ]

    report = import_bytes(session, ballot_bytes(rows))

    assert report.flagged == [
        FlaggedBallot(3, "P002", ("max_good",)),
        FlaggedBallot(4, "P003", ("max_good",)),
    ]
    assert [ballot[3] for ballot in stored(session)] == [[], ["max_good"], ["max_good"]]


@pytest.mark.django_db
def test_paper_ballots_import_sits_beside_tablet_ballots():
    session = make_session()
    tablet = BallotFactory(
        credential=CredentialFactory(session=session, group=session.rater_groups.first())
    )

    import_bytes(session, ballot_bytes())

    assert sorted(Ballot.objects.filter(session=session).values_list("source", flat=True)) == [
        "paper",
        "paper",
        "paper",
        "tablet",
    ]
    assert Ballot.objects.get(source="tablet").pk == tablet.pk


@pytest.mark.django_db
def test_paper_ballots_import_writes_one_audit_entry(organiser):
    session = make_session(identical_grades_action="flag")
    rows = [*ROWS, ["P004", "县级领导", None, "差", "差", "差", "差"]]

    import_bytes(session, ballot_bytes(rows), actor=organiser)

    entry = AuditLog.objects.get(action="ballot.paper_import")
    assert (entry.session, entry.actor_label) == (session, "organiser")
    assert entry.message == "纸质票录入：导入纸质票 4 张，忽略评价 1 项，标记 1 张"
    assert entry.detail == {
        "imported": 4,
        "ignored": [{"row": 3, "number": "P002", "unit": "区财政局", "reason": "own_unit"}],
        "flagged": [{"row": 5, "number": "P004", "rules": ["identical"]}],
    }


@pytest.mark.django_db
def test_paper_ballots_import_with_one_bad_row_stores_nothing():
    session = make_session()
    rows = [*ROWS, ["P004", "县级领导", None, "好", "好", "较", None]]

    with pytest.raises(WorkbookError):
        import_bytes(session, ballot_bytes(rows))

    assert (Ballot.objects.count(), BallotGrade.objects.count()) == (0, 0)
    assert AuditLog.objects.filter(action="ballot.paper_import").count() == 0


@pytest.mark.django_db
def test_paper_ballots_import_checks_numbers_again_inside_its_transaction():
    session = make_session()
    rows = parse(session, ballot_bytes())
    # Stored after the file was parsed: another upload of the same 票号 got there first.
    PaperBallotFactory(session=session, paper_number="P003")

    with pytest.raises(WorkbookError) as caught:
        paper_ballots_import(session=session, workbook_rows=rows, actor=None)

    assert caught.value.messages == [
        "工作表“评议票”第 4 行“票号”列：票号“P003”已录入过：本评议会已有此票号的评议票。"
    ]
    assert list(Ballot.objects.values_list("paper_number", flat=True)) == ["P003"]


@pytest.mark.django_db
def test_paper_ballots_import_refuses_rows_parsed_for_another_session():
    session = make_session()
    rows = parse(session, ballot_bytes())
    other = ReviewSessionFactory(status=Status.RATING)
    UnitFactory(session=other, name="区财政局")
    RaterGroupFactory(session=other, name="县级领导")

    with pytest.raises(WorkbookError) as caught:
        paper_ballots_import(session=other, workbook_rows=rows[1:2], actor=None)

    assert caught.value.messages == [
        "工作表“评议票”第 3 行“评议组”列：“区直部门”不是本评议会的评议组；可填写：县级领导。",
        "工作表“评议票”第 3 行“城关镇”列：不是本评议会的述职单位。",
        "工作表“评议票”第 3 行“区财政局”列：不是本评议会的述职单位。",
        "工作表“评议票”第 3 行“滨河街道”列：不是本评议会的述职单位。",
    ]
    assert Ballot.objects.count() == 0


@pytest.mark.django_db
def test_paper_ballots_import_refuses_a_session_that_left_rating_after_parsing():
    session = make_session()
    rows = parse(session, ballot_bytes())
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.PUBLISHED)

    with pytest.raises(ValidationError) as caught:
        paper_ballots_import(session=session, workbook_rows=rows, actor=None)

    assert caught.value.messages == [
        "评议会状态为“结果已发布”：纸质票只能在“评议中”或“评议已结束”状态下录入。"
    ]
    assert Ballot.objects.count() == 0


@pytest.mark.django_db
def test_paper_ballots_import_refuses_a_session_rated_per_criterion():
    session = make_session()
    rows = parse(session, ballot_bytes())
    CriterionFactory(session=session, name="工作实绩")

    with pytest.raises(ValidationError) as caught:
        paper_ballots_import(session=session, workbook_rows=rows, actor=None)

    assert caught.value.messages == [
        "本评议会按评价要素（工作实绩）分项评议，纸质票每个单位只有一列等次，不能录入；请在平板上评议。"
    ]
    assert Ballot.objects.count() == 0


# ---------------------------------------------------------------- the template


@pytest.mark.django_db
def test_paper_template_has_the_header_drop_downs_and_help_sheet():
    session = make_session(cross_rating=True)

    book = load_workbook(io.BytesIO(paper_template_bytes(session)))

    sheet = book["评议票"]
    assert book.sheetnames == ["评议票", "说明"]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.max_row == 1
    assert [(str(dv.sqref), dv.formula1) for dv in sheet.data_validations.dataValidation] == [
        ("D2:G5000", '"好,较好,一般,差,弃权"'),
        ("B2:B5000", '"县级领导,区直部门,镇(街道)"'),
    ]
    assert [row[0] for row in book["说明"].iter_rows(values_only=True)] == [
        "列",
        "票号",
        "评议组",
        "所在单位",
        "各述职单位",
        "交叉评议",
        "评议规则",
        None,
    ]


@pytest.mark.django_db
def test_paper_template_writes_a_unit_name_starting_with_a_sign_as_text():
    session = make_session()
    unit = UnitFactory(session=session, name="+新区管委会")
    ParticipantFactory(session=session, unit=unit, speaking_order=5)

    header = load_workbook(io.BytesIO(paper_template_bytes(session)))["评议票"][1]

    assert (header[7].value, header[7].data_type, header[7].quotePrefix) == (
        "+新区管委会",
        "s",
        True,
    )


@pytest.mark.django_db
def test_paper_template_filled_in_imports():
    session = make_session()
    book = load_workbook(io.BytesIO(paper_template_bytes(session)))
    for row in ROWS:
        book["评议票"].append(row)
    out = io.BytesIO()
    book.save(out)

    report = import_bytes(session, out.getvalue())

    assert report.imported == 3
    assert [ballot[0] for ballot in stored(session)] == ["P001", "P002", "P003"]


# ---------------------------------------------------------------- real files
# Made by LibreOffice from scripts/make_workbook_fixtures.py (docs/workbooks.md).

FIXTURES = Path(__file__).parents[1] / "fixtures" / "workbooks"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "ballots-libreoffice.xlsx",
        "ballots.xls",
        "ballots-utf8.csv",
        "ballots-utf8-bom.csv",
        "ballots-gbk.csv",
    ],
)
def test_parse_ballot_workbook_reads_xlsx_xls_and_csv_with_a_title_row(name):
    session = make_session()

    ballots = parse(session, (FIXTURES / name).read_bytes())

    assert ballots == [
        PaperBallot(
            3,
            "P001",
            "县级领导",
            None,
            {
                "城关镇": "good",
                "区财政局": "fairly_good",
                "滨河街道": "average",
                "区教育局": "poor",
            },
        ),
        PaperBallot(
            4,
            "P002",
            "镇(街道)",  # written 镇（街道） on the sheet
            "城关镇",
            {
                "城关镇": "good",
                "区财政局": "good",
                "滨河街道": "fairly_good",
                "区教育局": "abstain",
            },
        ),
    ]


@pytest.mark.django_db
def test_paper_ballots_import_stores_a_number_without_its_zero_width_space():
    session = make_session()
    data = ballot_bytes([["P001\u200b", "县级领导", None, "好", None, None, None]])

    import_bytes(session, data)

    assert list(session.ballots.values_list("paper_number", flat=True)) == ["P001"]
    with pytest.raises(WorkbookError) as caught:
        parse(session, ballot_bytes([["\ufeffP001", "县级领导", None, "好", None, None, None]]))
    assert caught.value.messages == [
        "工作表“评议票”第 2 行“票号”列：票号“P001”已录入过：本评议会已有此票号的评议票。"
    ]


@pytest.mark.django_db
def test_parse_ballot_workbook_matches_unit_columns_written_with_other_bracket_widths():
    session = make_session()
    UnitFactory(session=session, name="区委办公室(区档案馆)")
    ParticipantFactory(session=session, unit=session.units.get(name="区委办公室(区档案馆)"))
    header = [*HEADER, "区委办公室（区档案馆）"]

    ballots = parse(
        session, ballot_bytes([["P9", "县级领导", None, *[None] * 4, "好"]], header=header)
    )

    assert ballots[0].grades == {"区委办公室(区档案馆)": "good"}


@pytest.mark.django_db
def test_parse_ballot_workbook_refuses_an_error_value_as_a_grade():
    session = make_session()

    assert problems_of(
        session, ballot_bytes([["P1", "县级领导", None, "#N/A", None, None, None]])
    ) == ["工作表“评议票”第 2 行“城关镇”列：“#N/A”是表格的错误值，请改为要导入的内容。"]
