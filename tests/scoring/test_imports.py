"""scoring/imports.py: the 其他考核 workbook, parsed against a session and
stored all or nothing; every problem names its row and column."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scoring import imports
from scoring.models import ExternalScore
from sessions.models import AuditLog
from sessions.workbook import WorkbookError
from tests.factories import UnitFactory, UserFactory
from tests.factories.scores import HEADER, ROWS, chart_sheet_bytes, scores_bytes
from tests.factories.scoring import scored_session
from tests.factories.workbooks import Text

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world():
    return scored_session()


def parse(world, data: bytes):
    return imports.parse_scores_workbook(io.BytesIO(data), session=world.session)


def problems(world, data: bytes) -> list[str]:
    """Every problem's sentence; and, as the view does, nothing is stored."""
    with pytest.raises(WorkbookError) as caught:
        rows = parse(world, data)
        imports.external_scores_import(session=world.session, actor=None, rows=rows)
    assert ExternalScore.objects.count() == 0
    return [str(p) for p in caught.value.problems]


def test_good_workbook_is_parsed_with_exact_values(world):
    rows = parse(world, scores_bytes())

    assert rows == [
        imports.ScoreRow(2, "城关镇", D("95.50"), D("88.00"), D("0"), ""),
        imports.ScoreRow(3, "财政局", D("90.25"), D("92.00"), D("-2.00"), "通报批评"),
        imports.ScoreRow(4, "教育局", None, None, D("1.50"), "获省级表彰"),
    ]


def test_import_stores_every_row_and_one_summary_entry(world):
    organiser = UserFactory(username="organiser")

    summary = imports.external_scores_import(
        session=world.session, actor=organiser, rows=parse(world, scores_bytes())
    )

    stored = {
        e.unit.name: (e.target, e.daily, e.bonus, e.bonus_reason, e.updated_by.username)
        for e in ExternalScore.objects.select_related("unit", "updated_by")
    }
    assert stored == {
        "城关镇": (D("95.50"), D("88.00"), D("0.00"), "", "organiser"),
        "财政局": (D("90.25"), D("92.00"), D("-2.00"), "通报批评", "organiser"),
        "教育局": (None, None, D("1.50"), "获省级表彰", "organiser"),
    }
    assert (summary.units, summary.targets, summary.dailies, summary.bonuses) == (3, 2, 2, 2)
    assert AuditLog.objects.filter(action="external_score.save").count() == 3
    assert AuditLog.objects.get(action="external_score.import").message == (
        "导入其他考核得分 3 个单位：目标考核 2 个，日常考核 2 个，加减分 2 个"
    )


def test_import_updates_listed_units_and_keeps_the_others(world):
    ExternalScore.objects.create(session=world.session, unit=world.towns[1], target=D("70"))
    ExternalScore.objects.create(session=world.session, unit=world.towns[0], target=D("10"))

    imports.external_scores_import(
        session=world.session, actor=None, rows=parse(world, scores_bytes())
    )

    targets = dict(ExternalScore.objects.values_list("unit__name", "target"))
    assert targets == {
        "城关镇": D("95.50"),
        "东风街道": D("70.00"),
        "财政局": D("90.25"),
        "教育局": None,
    }


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["城关镇", 101, 88, None, None],
            "工作表“其他考核”第 2 行“目标考核”列：必须是 0 到 100 之间的数字。",
        ),
        (
            ["城关镇", "九十", 88, None, None],
            "工作表“其他考核”第 2 行“目标考核”列：必须是 0 到 100 之间的数字。",
        ),
        (
            ["城关镇", 90, -1, None, None],
            "工作表“其他考核”第 2 行“日常考核”列：必须是 0 到 100 之间的数字。",
        ),
        (
            ["城关镇", 90, True, None, None],
            "工作表“其他考核”第 2 行“日常考核”列：必须是 0 到 100 之间的数字。",
        ),
        (
            ["城关镇", "90%", 88, None, None],
            "工作表“其他考核”第 2 行“目标考核”列：必须是 0 到 100 之间的数字。",
        ),
        (
            ["城关镇", 90.125, 88, None, None],
            "工作表“其他考核”第 2 行“目标考核”列：最多两位小数。",
        ),
        (
            ["城关镇", 90, 88, -101, "扣分"],
            "工作表“其他考核”第 2 行“加减分”列：必须是 -100 到 100 之间的数字。",
        ),
        (
            ["城关镇", 90, 88, 2, None],
            "工作表“其他考核”第 2 行“加减分理由”列：有加减分时必须写明理由。",
        ),
        (
            ["城关镇", 90, 88, 2, "<b>表彰</b>"],
            "工作表“其他考核”第 2 行“加减分理由”列：不能包含“<”或“>”。",
        ),
        (
            ["城关镇", 90, 88, 2, Text("=HYPERLINK(1)")],
            "工作表“其他考核”第 2 行“加减分理由”列：不能以“=”或“@”开头（表格软件会把它当作公式）。",
        ),
        (
            ["城关镇", 90, 88, 2, "理" * 501],
            "工作表“其他考核”第 2 行“加减分理由”列：不能超过 500 个字符（现有 501 个）。",
        ),
        (
            ["新区管委会", 90, 88, None, None],
            "工作表“其他考核”第 2 行“单位”列：“新区管委会”不是本评议会的述职单位。",
        ),
        (
            [None, 90, 88, None, None],
            "工作表“其他考核”第 2 行“单位”列：不能为空。",
        ),
    ],
)
def test_bad_cell_is_refused_naming_row_and_column(world, row, expected):
    assert problems(world, scores_bytes([row, *ROWS[1:]])) == [expected]


def test_every_problem_is_listed_at_once(world):
    rows = [*ROWS, ["城关镇", 80, 80, None, None], ["财政局", 200, "x", 3, None]]

    assert problems(world, scores_bytes(rows)) == [
        "工作表“其他考核”第 5 行“单位”列：单位“城关镇”重复（第 2 行已列出）。",
        "工作表“其他考核”第 6 行“单位”列：单位“财政局”重复（第 3 行已列出）。",
        "工作表“其他考核”第 6 行“目标考核”列：必须是 0 到 100 之间的数字。",
        "工作表“其他考核”第 6 行“日常考核”列：必须是 0 到 100 之间的数字。",
        "工作表“其他考核”第 6 行“加减分理由”列：有加减分时必须写明理由。",
    ]


def test_a_unit_of_the_pool_that_does_not_take_part_is_unknown(world):
    UnitFactory(session=world.session, category=world.town_category, name="滨河街道")

    assert problems(world, scores_bytes([["滨河街道", 90, 90, None, None]])) == [
        "工作表“其他考核”第 2 行“单位”列：“滨河街道”不是本评议会的述职单位。"
    ]


def test_formulas_are_refused(world):
    data = scores_bytes(ROWS, formulas=[("B2", "=90+5"), ("A3", "=A2")])

    assert problems(world, data) == [
        "工作表“其他考核”第 2 行“目标考核”列：不能是公式，请直接填写内容。",
        "工作表“其他考核”第 3 行“单位”列：不能是公式，请直接填写内容。",
    ]


def test_wrong_sheet_and_headers_are_refused(world):
    assert problems(world, scores_bytes(sheet="Sheet1")) == [
        "工作表“其他考核”：缺少此工作表（工作簿中现有：Sheet1）。"
    ]
    assert problems(
        world, scores_bytes(header=["单位", "目标考核", "日常考核", "加分", "加减分理由"])
    ) == [
        "工作表“其他考核”第 1 行：未知的表头“加分”；可用的表头：单位、目标考核、日常考核、加减分、加减分理由。",
        "工作表“其他考核”：缺少表头“加减分”（表头行应为：单位、目标考核、日常考核、加减分、加减分理由）。",
    ]


def test_a_sheet_without_rows_is_refused(world):
    assert problems(world, scores_bytes([])) == [
        "工作表“其他考核”：没有任何单位：请从第二行起每行填写一个单位。"
    ]


def test_corrupt_and_oversized_files_are_refused(world):
    assert problems(world, b"not a zip at all") == [
        "文件不是表格：可以导入 Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
        "或 CSV 文本（UTF-8 或 GBK 编码）。"
    ]
    big = io.BytesIO(b"x" * (2 * 1024 * 1024 + 1))
    with pytest.raises(WorkbookError) as caught:
        imports.parse_scores_workbook(big, session=world.session)
    assert caught.value.messages == ["文件大小为 2.0 MB，超过上限 2.0 MB。"]


def test_import_service_refuses_rows_for_units_not_taking_part(world):
    rows = [
        imports.ScoreRow(2, "城关镇", D("90"), None, D("0"), ""),
        imports.ScoreRow(3, "外单位", D("90"), None, D("0"), ""),
    ]

    with pytest.raises(WorkbookError) as caught:
        imports.external_scores_import(session=world.session, actor=None, rows=rows)

    assert caught.value.messages == [
        "工作表“其他考核”第 3 行“单位”列：“外单位”不是本评议会的述职单位。"
    ]
    assert ExternalScore.objects.count() == 0


def test_import_service_is_all_or_nothing_when_a_save_fails(world):
    rows = [
        imports.ScoreRow(2, "城关镇", D("90"), None, D("0"), ""),
        imports.ScoreRow(3, "财政局", D("90"), None, D("5"), ""),  # no reason: the service refuses
    ]

    with pytest.raises(WorkbookError) as caught:
        imports.external_scores_import(session=world.session, actor=None, rows=rows)

    assert caught.value.messages == ["工作表“其他考核”第 3 行：有加减分时必须写明理由。"]
    assert ExternalScore.objects.count() == 0


def test_template_lists_the_units_with_their_scores_and_imports_as_it_is(world):
    ExternalScore.objects.create(
        session=world.session,
        unit=world.departments[0],
        target=D("91.5"),
        bonus=D("-1"),
        bonus_reason="通报",
    )

    data = imports.scores_template_bytes(world.session)

    sheet = load_workbook(io.BytesIO(data))["其他考核"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        HEADER,
        ["城关镇", None, None, None, None],
        ["东风街道", None, None, None, None],
        ["财政局", 91.5, None, -1, "通报"],
        ["教育局", None, None, None, None],
        ["民政局", None, None, None, None],
    ]
    assert [r.unit for r in parse(world, data)] == [
        "城关镇",
        "东风街道",
        "财政局",
        "教育局",
        "民政局",
    ]


# ---------------------------------------------------------------- what offices hand in


def test_signed_reasons_are_free_text_stored_as_written(world):
    rows = [
        ["财政局", 90, 92, -1, "-1分：迟报材料"],
        ["教育局", None, None, 2, "+2分：获省级表彰"],
    ]

    imports.external_scores_import(
        session=world.session, actor=None, rows=parse(world, scores_bytes(rows))
    )

    assert dict(ExternalScore.objects.values_list("unit__name", "bonus_reason")) == {
        "财政局": "-1分：迟报材料",
        "教育局": "+2分：获省级表彰",
    }


def test_template_writes_signed_reasons_as_text_and_they_import_again(world):
    ExternalScore.objects.create(
        session=world.session,
        unit=world.departments[0],
        bonus=D("-1"),
        bonus_reason="-1分：迟报材料",
    )
    ExternalScore.objects.create(
        session=world.session,
        unit=world.departments[1],
        bonus=D("2"),
        bonus_reason="+2分：获省级表彰",
    )

    data = imports.scores_template_bytes(world.session)

    sheet = load_workbook(io.BytesIO(data))["其他考核"]
    cells = [sheet["E4"], sheet["E5"]]
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [
        ("-1分：迟报材料", "s", True),
        ("+2分：获省级表彰", "s", True),
    ]
    assert [(r.unit, r.bonus, r.bonus_reason) for r in parse(world, data) if r.bonus] == [
        ("财政局", D("-1.00"), "-1分：迟报材料"),
        ("教育局", D("2.00"), "+2分：获省级表彰"),
    ]


@pytest.mark.parametrize("reason", [Text("=HYPERLINK(1)"), Text("@SUM(A1)"), " =1+1"])
def test_reasons_a_spreadsheet_would_run_are_refused(world, reason):
    assert problems(world, scores_bytes([["城关镇", 90, 88, 2, reason]])) == [
        "工作表“其他考核”第 2 行“加减分理由”列：不能以“=”或“@”开头（表格软件会把它当作公式）。"
    ]


def test_full_width_numbers_names_and_loose_headers_are_read(world):
    header = [" 单位 ", "目标\n考核", "日常　考核", "加减分", "加减分\n理由"]
    rows = [
        ["城关镇\u200b", "９５．５", "８８", None, None],
        ["财政局 ", "90.25", 92, "－２", "－2分：通报批评"],
    ]

    parsed = parse(world, scores_bytes(rows, header=header))

    assert [(r.unit, r.target, r.daily, r.bonus, r.bonus_reason) for r in parsed] == [
        ("城关镇", D("95.50"), D("88.00"), D("0"), ""),
        ("财政局", D("90.25"), D("92.00"), D("-2.00"), "－2分：通报批评"),
    ]


def test_units_match_across_bracket_widths(world):
    unit = world.departments[0]
    unit.name = "区委办公室（区档案馆）"
    unit.save()

    (row,) = parse(world, scores_bytes([["区委办公室(区档案馆)", 90, None, None, None]]))

    assert row.unit == "区委办公室（区档案馆）"


def test_error_values_are_refused_naming_row_and_column(world):
    book = load_workbook(io.BytesIO(scores_bytes()))
    sheet = book["其他考核"]
    sheet["B2"] = "#N/A"
    sheet["E3"] = "#REF!"
    sheet["G4"] = "#DIV/0!"
    out = io.BytesIO()
    book.save(out)

    assert problems(world, out.getvalue()) == [
        "工作表“其他考核”第 2 行“目标考核”列：“#N/A”是表格的错误值，请改为要导入的内容。",
        "工作表“其他考核”第 3 行“加减分理由”列：“#REF!”是表格的错误值，请改为要导入的内容。",
        "工作表“其他考核”第 4 行“G”列：“#DIV/0!”是表格的错误值，请改为要导入的内容。",
    ]


def test_a_chart_sheet_named_like_the_data_sheet_is_refused(world):
    assert problems(world, chart_sheet_bytes()) == [
        "工作表“其他考核”：这是一张图表工作表，没有数据：请把数据放在名为“其他考核”的普通工作表中。"
    ]


# ---------------------------------------------------------------- real files

# Made by tests/fixtures/workbooks/make_projects_scores.py: written with openpyxl as an office
# fills the sheet in (序号, Alt+Enter in a header, full-width digits and minus, signed reasons),
# saved again by LibreOffice.
FIXTURES = Path(__file__).parents[1] / "fixtures" / "workbooks"
FIXTURE_ROWS = [
    ("城关镇", D("95.50"), D("88.00"), D("0"), ""),
    ("财政局", D("90.25"), D("92.00"), D("-1.00"), "-1分：迟报材料"),
    ("教育局", None, None, D("2.00"), "+2分：获省级表彰"),
    ("东风街道", D("80.00"), D("86.75"), D("0"), ""),
]


def parse_fixture(world, name: str):
    with (FIXTURES / name).open("rb") as fileobj:
        rows = imports.parse_scores_workbook(fileobj, session=world.session)
    return [(r.unit, r.target, r.daily, r.bonus, r.bonus_reason) for r in rows]


def test_workbook_saved_by_libreoffice_reads_what_the_office_typed(world):
    assert parse_fixture(world, "scores-libreoffice.xlsx") == FIXTURE_ROWS


@pytest.mark.parametrize(
    "name",
    [
        "scores-title-libreoffice.xlsx",  # a merged title row and a blank row above the header
        "scores.xls",
        "scores-utf8-bom.csv",
        "scores-gbk.csv",
    ],
)
def test_real_files_in_every_format_read_alike(world, name):
    assert parse_fixture(world, name) == FIXTURE_ROWS
