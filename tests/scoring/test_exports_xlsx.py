"""scoring/exports/xlsx.py: the result workbook, read back with openpyxl, for the small world
of tests/factories/scoring.py (numbers worked out by hand in tests/scoring/test_services.py)."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from scoring import document, services
from scoring.exports import report_title, xlsx
from sessions.models import Unit
from tests.factories import ParticipantFactory, UnitCategoryFactory, UnitFactory
from tests.factories.scoring import add_ballot, scored_session

pytestmark = pytest.mark.django_db
D = Decimal

# Units in order: 城关镇, 东风街道 (towns); 财政局, 教育局, 民政局 (departments).
LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]
CAPPED = "达到优秀分数线，但超出优秀比例，定为良好"
SHEETS = [
    "汇总",
    "镇(街道)",
    "区直部门",
    "县级领导票数",
    "区直部门票数",
    "参评情况",
    "作废与标记评议表",
    "计分办法",
]
CATEGORY_HEADER = [
    "排名",
    "单位",
    "县级领导",
    "区直部门",
    "综合评议得分",
    "加减分",
    "总分",
    "等次",
    "等次依据",
    "说明",
]


def world(**kwargs):
    return scored_session(leaders=LEADERS, departments=DEPARTMENTS, **kwargs)


def workbook(session):
    return load_workbook(io.BytesIO(xlsx.render(document.build(session))))


def values(ws, first_row=1):
    return [list(row) for row in ws.iter_rows(min_row=first_row, values_only=True)]


def decimals(row):
    """Numbers as the Decimals they were written from (openpyxl reads them back as floats)."""
    return [D(str(v)).quantize(D("0.01")) if isinstance(v, float) else v for v in row]


def all_text(wb) -> str:
    return "\n".join(
        str(value)
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def test_render_writes_the_sheets_in_order():
    wb = workbook(world().session)

    assert wb.sheetnames == SHEETS
    assert wb.active.title == "汇总"


def test_category_sheet_has_the_header_and_the_hand_worked_rows():
    wb = workbook(world().session)

    towns = wb["镇(街道)"]
    assert values(towns, 3)[0] == CATEGORY_HEADER
    assert [decimals(row) for row in values(towns, 4)] == [
        [1, "东风街道", D("93.33"), D("100.00"), D("95.55"), 0, D("95.55"), "良好", "优秀比例限制", CAPPED],
        [2, "城关镇", D("93.33"), D("90.00"), D("92.22"), 0, D("92.22"), "良好", "优秀比例限制", CAPPED],
    ]  # fmt: skip
    departments = wb["区直部门"]
    assert [decimals(row)[:8] for row in values(departments, 4)] == [
        [1, "财政局", D("93.33"), D("90.00"), D("92.22"), 0, D("92.22"), "良好"],
        [2, "教育局", D("53.33"), D("70.00"), D("58.89"), 0, D("58.89"), "较差"],
        [3, "民政局", D("53.33"), D("50.00"), D("52.22"), 0, D("52.22"), "较差"],
    ]


def test_every_category_sheet_agrees_with_the_document_rows():
    w = world()
    doc = document.build(w.session)

    wb = load_workbook(io.BytesIO(xlsx.render(doc)))

    for category in doc.categories:
        rows = [decimals(row) for row in values(wb[category.name], 4)]
        assert [(r[0], r[1], r[4], r[6], r[7]) for r in rows] == [
            (row.rank, row.name, row.review, row.total, row.band) for row in category.rows
        ]
        assert [r[2:4] for r in rows] == [[g.score for g in row.groups] for row in category.rows]


def test_units_without_a_rank_come_last_with_the_rank_left_empty():
    # 民政局 is left blank on every ballot: no valid votes, so no score, rank or band.
    w = scored_session(leaders=["GFGA.", "GGFA.", "FGGP."], departments=["GGFF.", "FGGA."])

    rows = values(workbook(w.session)["区直部门"], 4)

    assert [(r[0], r[1]) for r in rows] == [(1, "财政局"), (2, "教育局"), (None, "民政局")]
    # No group score, 综合评议得分, total, band or rule; 加减分 stays as imported (none: 0).
    assert rows[-1][2:9] == [None, None, None, 0, None, None, None]
    assert rows[-1][9].startswith("县级领导有效票不足，不计入；")
    assert "无有效评议" in rows[-1][9]


def test_scores_are_numbers_formatted_to_two_decimals_and_ranks_as_integers():
    towns = workbook(world().session)["镇(街道)"]

    assert [towns.cell(row=4, column=c).number_format for c in range(1, 8)] == [
        "0",
        "General",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
    ]
    assert towns.cell(row=4, column=7).data_type == "n"


def test_every_sheet_is_print_ready():
    wb = workbook(world().session)

    for ws in wb.worksheets:
        assert ws.freeze_panes == "A4", ws.title
        assert ws.print_title_rows == "$1:$3", ws.title
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    towns = wb["镇(街道)"]
    assert towns["A1"].font.b is True
    assert towns.column_dimensions["J"].width == xlsx.NOTE_WIDTH


def test_formula_looking_unit_names_are_written_as_text():
    w = world()
    Unit.objects.filter(pk=w.towns[0].pk).update(name="=SUM(A1)")
    Unit.objects.filter(pk=w.departments[0].pk).update(name="@cmd|' /C calc'!A0")
    Unit.objects.filter(pk=w.departments[1].pk).update(name="+1-2")

    data = xlsx.render(document.build(w.session))

    wb = load_workbook(io.BytesIO(data))
    names = {wb["镇(街道)"]["B5"], wb["区直部门"]["B4"], wb["区直部门"]["B5"]}
    assert {(c.value, c.data_type, c.quotePrefix) for c in names} == {
        ("=SUM(A1)", "s", True),
        ("@cmd|' /C calc'!A0", "s", True),
        ("+1-2", "s", True),
    }
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in archive.read(name) for name in sheets)


def test_preview_is_marked_on_every_sheet_and_gone_after_publication():
    w = world()

    before = workbook(w.session)

    title = report_title(document.build(w.session))
    assert title == "2026年度述职评议结果通报"
    for ws in before.worksheets:
        assert ws["A1"].value.endswith("【预览（未发布）】"), ws.title
        assert ws["A1"].value.startswith(title)
        assert ws.oddHeader.center.text == "预览（未发布）"
    assert before["汇总"]["A2"].value.startswith("预览（未发布）：")

    services.result_publish(session=w.session, actor=None)
    after = workbook(w.session)

    assert "预览" not in all_text(after)
    assert after["汇总"]["A1"].value == f"{title}（汇总）（第 1 版）"
    assert all(ws.oddHeader.center.text is None for ws in after.worksheets)


def test_summary_sheet_lists_the_awards_ballots_and_hash():
    w = world(excellent_cap_enabled=False)
    voided = add_ballot(w, w.leaders, "PPPPP", voided_at=timezone.now(), void_reason="重复录入")
    doc = document.build(w.session)

    summary = load_workbook(io.BytesIO(xlsx.render(doc)))["汇总"]

    rows = values(summary, 3)
    assert rows[:3] == [
        ["类别", "单位数", "参与排名", "优秀名额", "优秀单位", "先进单位（良好）"],
        ["镇(街道)", 2, 2, None, "东风街道、城关镇", "（无）"],
        ["区直部门", 3, 3, None, "财政局", "（无）"],
    ]
    facts = {row[0]: row[1] for row in rows[4:]}
    assert facts["结果状态"] == "预览（未发布）"
    assert (facts["有效评议表"], facts["作废评议表"]) == (5, 1)
    assert facts["输入数据 SHA-256"] == doc.inputs_hash
    assert facts["附注 3"] == "作废评议表 1 张，不计入结果（见作废清单）。"
    assert voided.void_reason == "重复录入"


def test_vote_count_sheets_have_a_row_per_unit():
    wb = workbook(world().session)

    leaders = values(wb["县级领导票数"], 3)

    assert leaders[0] == [
        "类别",
        "单位",
        "好",
        "较好",
        "一般",
        "差",
        "弃权",
        "有效票",
        "组得分",
        "说明",
    ]
    assert [decimals(row) for row in leaders[1:3]] == [
        ["镇(街道)", "东风街道", 2, 1, 0, 0, 0, 3, D("93.33"), None],
        ["镇(街道)", "城关镇", 2, 1, 0, 0, 0, 3, D("93.33"), None],
    ]
    assert [row[1] for row in leaders[1:]] == ["东风街道", "城关镇", "财政局", "教育局", "民政局"]


def test_vote_count_sheet_says_when_a_group_has_too_few_votes():
    # One 区直部门 ballot only: below the minimum sample of 2. The towns then tie on 县级领导
    # alone (93.33) and keep their input order.
    w = scored_session(leaders=LEADERS, departments=["GGFFA"])

    rows = values(workbook(w.session)["区直部门票数"], 4)

    assert decimals(rows[0]) == ["镇(街道)", "城关镇", 1, 0, 0, 0, 0, 1, None, "有效票不足，不计入"]


def test_participation_and_ballot_sheets():
    w = world()
    voided = add_ballot(w, w.leaders, "PPPPP", voided_at=timezone.now(), void_reason="重复录入")
    flagged = add_ballot(w, w.departments_group, "GGGGG", flags=["identical"], source="paper")

    wb = workbook(w.session)

    assert values(wb["参评情况"], 3) == [
        ["评议组", "发放评议码", "已打开", "已提交", "平板提交", "纸质录入", "作废", "有效评议表"],
        ["县级领导", 0, 0, 0, 4, 0, 1, 3],
        ["区直部门", 0, 0, 0, 2, 1, 0, 3],
        ["合计", 0, 0, 0, 6, 1, 1, 6],
    ]
    assert values(wb["作废与标记评议表"], 3) == [
        ["类型", "评议表编号", "来源", "作废理由或标记"],
        ["作废", voided.pk.hex[:8], "平板", "重复录入"],
        ["标记", flagged.pk.hex[:8], "纸质票", "所有单位评价相同"],
    ]


def test_scheme_sheet_numbers_the_scheme_in_words():
    w = world()
    doc = document.build(w.session)

    rows = values(load_workbook(io.BytesIO(xlsx.render(doc)))["计分办法"], 3)

    assert rows[0] == ["序号", "计分规则"]
    assert rows[1:] == [[n, line] for n, line in enumerate(doc.scheme_words, start=1)]
    assert any(line.startswith("综合评议得分 = 县级领导 × 66.67%") for _n, line in rows[1:])


def test_a_category_named_like_a_fixed_sheet_gets_a_numbered_name():
    w = world()
    w.town_category.name = "汇总"
    w.town_category.save()

    wb = workbook(w.session)

    assert wb.sheetnames[:3] == ["汇总", "汇总(2)", "区直部门"]
    assert wb["汇总(2)"]["B4"].value == "东风街道"


@pytest.mark.parametrize(
    ("name", "used", "expected"),
    [
        ("镇(街道)", set(), "镇(街道)"),
        ("统筹/协调:部门?*[一]", set(), "统筹_协调_部门___一_"),
        ("'引号'", set(), "引号"),
        ("", set(), "工作表"),
        ("History", set(), "History_"),
        ("一" * 40, set(), "一" * 31),
        ("汇总", {"汇总"}, "汇总(2)"),
        ("Sheet", {"sheet", "sheet(2)"}, "Sheet(3)"),
        ("一" * 40, {"一" * 31}, "一" * 28 + "(2)"),
    ],
)
def test_sheet_name_follows_excels_rules(name, used, expected):
    taken = set(used)

    assert xlsx.sheet_name(name, taken) == expected
    assert expected.casefold() in taken


def test_a_second_category_sheet_with_the_same_name_prefix_stays_unique():
    w = world()
    for order, length in [(3, 40), (4, 41)]:
        category = UnitCategoryFactory(
            session=w.session, name="镇(街道)" + "x" * length, order=order
        )
        ParticipantFactory(session=w.session, unit__category=category)

    names = workbook(w.session).sheetnames

    assert len(names) == len({n.casefold() for n in names})
    assert all(len(n) <= 31 for n in names)


def test_a_category_without_participating_units_has_no_sheet_and_no_summary_line():
    w = world()
    empty = UnitCategoryFactory(session=w.session, name="开发区", order=3)
    UnitFactory(session=w.session, category=empty, name="经开区管委会")  # in no draw

    wb = workbook(w.session)

    assert wb.sheetnames == SHEETS
    assert [row[0] for row in values(wb["汇总"])].count("开发区") == 0
    assert "开发区" not in all_text(wb)
    assert "经开区管委会" not in all_text(wb)
