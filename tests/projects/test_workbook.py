"""projects/workbook.py: parsing the 重点项目 workbook (every problem names sheet, row and
column; nothing is written) and the download."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from projects import workbook
from projects.workbook import ProjectRow, parse_projects_workbook, workbook_bytes
from sessions.workbook import WorkbookError
from tests.factories.projects import chart_sheet_bytes, milestone_row, project_row
from tests.factories.projects import workbook_bytes as build

D = Decimal
UNITS = {"区发改委", "古荥镇"}


def parse(data: bytes) -> list[ProjectRow]:
    return parse_projects_workbook(io.BytesIO(data), unit_names=UNITS)


def problems(data: bytes) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        parse(data)
    return caught.value.messages


def test_workbook_parses_projects_with_their_milestones():
    rows = parse(build())

    assert rows == [
        ProjectRow(
            row=2,
            code="A-1",
            name="智能装备产业园",
            unit="区发改委",
            category="产业项目",
            actual=D("45.00"),
            stalled=False,
            colour=None,
            milestones=(
                workbook.MilestoneRow(
                    3 - 1, "A-1", "开工", datetime.date(2026, 3, 31), D("20.00"),
                    datetime.date(2026, 3, 20),
                ),
                workbook.MilestoneRow(
                    3, "A-1", "主体完工", datetime.date(2026, 9, 30), D("70.00"), None
                ),
            ),
        )
    ]  # fmt: skip


def test_workbook_reads_stalled_colour_percent_text_and_text_dates():
    data = build(
        [project_row(actual="62.5%", stalled="是", colour="红色")],
        [milestone_row(planned_date="2026/4/30", planned="30%", done="2026-04-28")],
    )
    (row,) = parse(data)
    assert (row.actual, row.stalled, row.colour) == (D("62.50"), True, "red")
    assert row.milestones[0].planned_date == datetime.date(2026, 4, 30)
    assert row.milestones[0].planned_progress == D("30.00")
    assert row.milestones[0].done_on == datetime.date(2026, 4, 28)


def test_workbook_percent_formatted_cell_is_read_as_percent():
    book = load_workbook(io.BytesIO(build()))
    book["项目"]["E2"] = 0.455
    book["项目"]["E2"].number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    assert parse(out.getvalue())[0].actual == D("45.50")


def test_workbook_html_is_kept_as_text():
    (row,) = parse(build([project_row(name="<b>产业园</b>")]))
    assert row.name == "<b>产业园</b>"


def test_workbook_headers_tolerate_full_width_brackets_and_missing_percent():
    header = ["项目编号", "项目名称", "责任单位", "项目类别", "实际进度（%）"]
    (row,) = parse(build([project_row()[:5]], project_header=header))
    assert row.actual == D("45.00")


@pytest.mark.parametrize(
    ("projects", "milestones", "expected"),
    [
        (
            [project_row(unit="某某局")],
            None,
            "工作表“项目”第 2 行“责任单位”列：单位“某某局”不在本评议会中。",
        ),
        (
            [project_row(), project_row(name="另一个")],
            [],
            "工作表“项目”第 3 行“项目编号”列：项目编号“A-1”重复（第 2 行已列出）。",
        ),
        (
            [project_row(actual=101)],
            None,
            "工作表“项目”第 2 行“实际进度(%)”列：必须在 0 到 100 之间（现为 101）。",
        ),
        (
            [project_row(actual=-1)],
            None,
            "工作表“项目”第 2 行“实际进度(%)”列：必须在 0 到 100 之间（现为 -1）。",
        ),
        (
            [project_row(actual="一半")],
            None,
            "工作表“项目”第 2 行“实际进度(%)”列：“一半”不是数字，请填写 0 到 100 之间的数。",
        ),
        (
            [project_row(actual=45.555)],
            None,
            "工作表“项目”第 2 行“实际进度(%)”列：最多两位小数。",
        ),
        (
            [project_row(name='=HYPERLINK("http://x")')],
            None,
            "工作表“项目”第 2 行“项目名称”列：不能是公式，请直接填写内容。",
        ),
        (
            [project_row(name="@SUM(A1)")],
            None,
            "工作表“项目”第 2 行“项目名称”列：不能以“=”“+”“-”“@”开头（表格软件会把它当作公式）。",
        ),
        (
            [project_row(category=None)],
            None,
            "工作表“项目”第 2 行“项目类别”列：不能为空。",
        ),
        (
            [project_row(stalled="也许")],
            None,
            "工作表“项目”第 2 行“停滞”列：“也许”应填写“是”或“否”（留空表示否）。",
        ),
        (
            [project_row(colour="紫")],
            None,
            "工作表“项目”第 2 行“颜色”列：“紫”不是颜色：请填写绿、蓝、黄或红，留空表示按规则计算。",
        ),
        (
            None,
            [milestone_row(code="B-9")],
            "工作表“时间节点”第 2 行“项目编号”列：项目编号“B-9”不在工作表“项目”中。",
        ),
        (
            None,
            [milestone_row(planned_date="2026-02-30")],
            "工作表“时间节点”第 2 行“计划日期”列：“2026-02-30”不是有效日期，请填写日期，或写成 2026-12-20、2026/12/20、2026.12.20、2026年12月20日。",
        ),
        (
            None,
            [milestone_row(done="下周")],
            "工作表“时间节点”第 2 行“完成日期”列：“下周”不是有效日期，请填写日期，或写成 2026-12-20、2026/12/20、2026.12.20、2026年12月20日。",
        ),
        (
            None,
            [milestone_row(planned_date=None)],
            "工作表“时间节点”第 2 行“计划日期”列：不能为空。",
        ),
        (
            None,
            [milestone_row(), milestone_row(planned_date=datetime.date(2026, 5, 1))],
            "工作表“时间节点”第 3 行“节点”列：项目“A-1”的节点“开工”重复（第 2 行已列出）。",
        ),
        (
            None,
            [
                milestone_row(name="开工", planned_date=datetime.date(2026, 3, 31), planned=40),
                milestone_row(name="过半", planned_date=datetime.date(2026, 6, 30), planned=30),
            ],
            "工作表“时间节点”第 3 行“计划进度(%)”列：计划进度 30.00% 低于更早的节点“开工”"
            "（第 2 行，2026-03-31 计划 40.00%）：计划进度不能随时间减少。",
        ),
        (
            [],
            [],
            "工作表“项目”：没有任何项目：请从第二行起每行填写一个项目。",
        ),
    ],
)
def test_workbook_problem_names_sheet_row_and_column(projects, milestones, expected):
    assert problems(build(projects, milestones)) == [expected]


def test_workbook_lists_every_problem_in_sheet_and_row_order():
    data = build(
        [project_row(unit="某某局"), project_row(code="A-2", actual=200)],
        [milestone_row(code="Z"), milestone_row(code="A-2", planned="x")],
    )
    assert problems(data) == [
        "工作表“项目”第 2 行“责任单位”列：单位“某某局”不在本评议会中。",
        "工作表“项目”第 3 行“实际进度(%)”列：必须在 0 到 100 之间（现为 200）。",
        "工作表“时间节点”第 2 行“项目编号”列：项目编号“Z”不在工作表“项目”中。",
        "工作表“时间节点”第 3 行“计划进度(%)”列：“x”不是数字，请填写 0 到 100 之间的数。",
    ]


def test_workbook_bad_code_does_not_flag_every_milestone_as_orphan():
    data = build([project_row(code=None)], [milestone_row()])
    assert problems(data) == ["工作表“项目”第 2 行“项目编号”列：不能为空。"]


def test_workbook_missing_sheet_and_header():
    assert problems(build(sheets=("项目",))) == [
        "工作表“时间节点”：缺少此工作表（工作簿中现有：项目）。"
    ]
    assert problems(build(project_header=["项目编号", "项目名称", "责任单位", "项目类别", "进度"])) == [
        "工作表“项目”：缺少表头“实际进度(%)”（表头行应为：项目编号、项目名称、责任单位、项目类别、实际进度(%)、停滞、颜色）。",
        "工作表“项目”第 1 行：未知的表头“进度”；可用的表头：项目编号、项目名称、责任单位、项目类别、实际进度(%)、停滞、颜色。",
    ]  # fmt: skip


def test_workbook_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(workbook, "MAX_PROJECTS", 3)
    data = build([project_row(code=f"A-{i}") for i in range(4)], [])
    assert problems(data) == ["工作表“项目”：超过 3 行，请删除多余的行或分批导入。"]


def test_workbook_oversize_file_is_refused(monkeypatch):
    monkeypatch.setattr(workbook, "UPLOAD_MAX_BYTES", 100)
    assert problems(build())[0].startswith("文件大小为 0.0 MB，超过上限 0.0 MB。")


def test_workbook_not_xlsx_is_refused():
    assert problems(b"not a zip") == [
        "文件不是表格：可以导入 Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
        "或 CSV 文本（UTF-8 或 GBK 编码）。"
    ]


def test_workbook_download_round_trips():
    projects = [
        workbook.ExportProject(
            code="A-1",
            name="-减速带改造",
            unit="古荥镇",
            category="基础设施",
            actual=D("12.50"),
            stalled=True,
            manual_colour="yellow",
            milestones=(("开工", datetime.date(2026, 5, 31), D("10.00"), None),),
        )
    ]
    data = workbook_bytes(projects=projects, unit_names=sorted(UNITS))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["项目", "时间节点", "责任单位", "说明"]
    assert book["项目"]["B2"].data_type == "s"  # text that looks like a formula stays text
    assert [c.value for c in book["责任单位"]["A"]][1:] == ["区发改委", "古荥镇"]
    with pytest.raises(WorkbookError) as caught:  # and is refused on the way back in
        parse(data)
    assert caught.value.messages == [
        "工作表“项目”第 2 行“项目名称”列：不能以“=”“+”“-”“@”开头（表格软件会把它当作公式）。"
    ]


def test_workbook_blank_template_imports_as_it_is():
    data = workbook_bytes(projects=[], unit_names=["区发改委"])
    (row,) = parse(data)
    assert (row.code, row.unit, len(row.milestones)) == ("ZD2026-001", "区发改委", 3)


def test_workbook_notes_columns_and_other_sheets_are_ignored():
    book = load_workbook(io.BytesIO(build()))
    book["项目"]["H1"] = "备注"
    book["项目"]["H2"] = "随便写"
    book.create_sheet("草稿")["A1"] = "x"
    out = io.BytesIO()
    book.save(out)
    assert len(parse(out.getvalue())) == 1


def test_workbook_empty_sheet_names_its_header():
    book = Workbook()
    book.active.title = "项目"
    book.create_sheet("时间节点")
    out = io.BytesIO()
    book.save(out)
    assert problems(out.getvalue()) == [
        "工作表“项目”：工作表是空的：请在第一行填写表头（项目编号、项目名称、责任单位、项目类别、实际进度(%)、停滞、颜色）。",
        "工作表“时间节点”：工作表是空的：请在第一行填写表头（项目编号、节点、计划日期、计划进度(%)、完成日期）。",
    ]  # fmt: skip


# ---------------------------------------------------------------- what offices hand in


def edited(data: bytes, edit) -> bytes:
    """The workbook after ``edit(book)``: cells typed or formatted as an office would."""
    book = load_workbook(io.BytesIO(data))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("value", "percent_formatted", "expected"),
    [
        (0.4, True, D("40.0")),  # under 0% or 0.0%: Excel stores 0.4 for 40 %
        (40, False, D("40")),  # under 0.0"%" (shows 40.0%) or General
        ("40%", False, D("40")),
        ("４０％", False, D("40")),
        ("－５", False, D("-5")),
        ("−5", False, D("-5")),
        ("四十", False, None),
        (True, False, None),
    ],
)
def test_percent_number_reads_what_the_cell_means(value, percent_formatted, expected):
    assert workbook.percent_number(value, percent_formatted=percent_formatted) == expected


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (0.4, "0%", D("40.00")),  # Excel stores 0.4 for 40 %
        (0.455, "0.0%", D("45.50")),
        (40, '0.0"%"', D("40.00")),  # shows "40.0%": the cell holds the percentage itself
        (40, '0"%"', D("40.00")),
        (62.5, "General", D("62.50")),
        ("40%", "General", D("40.00")),
        ("40％", "@", D("40.00")),
        ("４０", "@", D("40.00")),
        ("４０．５％", "@", D("40.50")),
        (" 40 ", "@", D("40.00")),
    ],
)
def test_workbook_percent_cell_means_what_it_shows(value, number_format, expected):
    def edit(book):
        for ref in ("E2",):
            book["项目"][ref] = value
            book["项目"][ref].number_format = number_format
        book["时间节点"]["D2"] = value
        book["时间节点"]["D2"].number_format = number_format
        book["时间节点"]["D3"] = 100  # the plan rises after the first milestone

    (row,) = parse(edited(build(), edit))
    assert (row.actual, row.milestones[0].planned_progress) == (expected, expected)


def test_workbook_custom_percent_format_is_not_multiplied_again():
    """40 typed into a 0.0"%" cell was once stored as 4000 and refused as over 100."""

    def edit(book):
        book["项目"]["E2"] = 40
        book["项目"]["E2"].number_format = '0.0"%"'

    assert parse(edited(build(), edit))[0].actual == D("40.00")


def test_workbook_full_width_minus_is_read_and_range_checked():
    assert workbook.percent_number("－５", percent_formatted=False) == D("-5")
    assert workbook.percent_number("−5", percent_formatted=False) == D("-5")
    assert problems(build([project_row(actual="－５")])) == [
        "工作表“项目”第 2 行“实际进度(%)”列：必须在 0 到 100 之间（现为 -5）。"
    ]


@pytest.mark.parametrize(
    "written",
    [
        "2026年3月31日",
        "2026/3/31",
        "2026.3.31",
        "2026-03-31",
        "２０２６年３月３１日",
        " 2026年03月31日 ",
    ],
)
def test_workbook_dates_written_as_text_in_every_date_column(written):
    data = build(
        milestones=[
            milestone_row(planned_date=written, done=written),
            milestone_row(
                name="主体完工", planned_date=datetime.date(2026, 9, 30), planned=70, done=None
            ),
        ]  # fmt: skip
    )
    (row,) = parse(data)
    first = row.milestones[0]
    assert (first.planned_date, first.done_on) == (
        datetime.date(2026, 3, 31),
        datetime.date(2026, 3, 31),
    )


@pytest.mark.parametrize("written", ["2026年13月1日", "2026.02.30", "下周一"])
def test_workbook_impossible_text_dates_are_refused(written):
    assert problems(build(milestones=[milestone_row(planned_date=written)])) == [
        f"工作表“时间节点”第 2 行“计划日期”列：“{written}”不是有效日期，请填写日期，"
        "或写成 2026-12-20、2026/12/20、2026.12.20、2026年12月20日。"
    ]


def test_workbook_serial_column_and_loose_headers_are_accepted():
    header = ["序号", " 项目编号 ", "项目\n名称", "责任单位", "项目类别", "实际进度（％）",
              "停　滞", "颜色"]  # fmt: skip
    data = build(
        [[1, *project_row()]],
        [[1, *milestone_row()], [2, *milestone_row(name="主体完工", planned=70, done=None,
                                                    planned_date=datetime.date(2026, 9, 30))]],
        project_header=header,
        milestone_header=["序号", "项目编号", "节点", "计划\n日期", "计划进度\n(%)", "完成日期"],
    )  # fmt: skip
    assert parse(data) == parse(build())


def test_workbook_text_is_normalised_and_units_match_across_bracket_widths():
    rows = parse_projects_workbook(
        io.BytesIO(
            build(
                [project_row(code="Ａ-1\u200b", name="智能装备\u200b产业园　", unit="区委办公室(区档案馆)")],
            )
        ),
        unit_names={"区委办公室（区档案馆）"},
    )  # fmt: skip
    assert [(r.code, r.name, r.unit) for r in rows] == [
        ("A-1", "智能装备产业园", "区委办公室（区档案馆）")
    ]


def test_workbook_error_values_are_refused_naming_sheet_row_and_column():
    def edit(book):
        book["项目"]["E2"] = "#N/A"
        book["项目"]["H1"] = "备注"
        book["项目"]["H2"] = "#REF!"
        book["项目"]["J2"] = "#DIV/0!"
        book["时间节点"]["C3"] = "#VALUE!"

    assert problems(edited(build(), edit)) == [
        "工作表“项目”第 2 行“实际进度(%)”列：“#N/A”是表格的错误值，请改为要导入的内容。",
        "工作表“项目”第 2 行“备注”列：“#REF!”是表格的错误值，请改为要导入的内容。",
        "工作表“项目”第 2 行“J”列：“#DIV/0!”是表格的错误值，请改为要导入的内容。",
        "工作表“时间节点”第 3 行“计划日期”列：“#VALUE!”是表格的错误值，请改为要导入的内容。",
    ]


def test_workbook_error_value_in_a_code_does_not_orphan_its_milestones():
    def edit(book):
        book["项目"]["A2"] = "#N/A"

    assert problems(edited(build(), edit)) == [
        "工作表“项目”第 2 行“项目编号”列：“#N/A”是表格的错误值，请改为要导入的内容。"
    ]


def test_workbook_chart_sheet_named_like_a_data_sheet_is_refused():
    assert problems(chart_sheet_bytes()) == [
        "工作表“项目”：这是一张图表工作表，没有数据：请把数据放在名为“项目”的普通工作表中。"
    ]


def test_workbook_download_writes_signed_text_as_text_cells():
    projects = [
        workbook.ExportProject(
            code="A-1",
            name="+2 号路改造",
            unit="古荥镇",
            category="=基础设施",
            actual=D("12.50"),
            stalled=False,
            manual_colour=None,
            milestones=(("-开工", datetime.date(2026, 5, 31), D("10.00"), None),),
        )
    ]
    book = load_workbook(io.BytesIO(workbook_bytes(projects=projects, unit_names=["@古荥镇"])))
    cells = [book["项目"]["B2"], book["项目"]["D2"], book["时间节点"]["B2"], book["责任单位"]["A2"]]
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [
        ("+2 号路改造", "s", True),
        ("=基础设施", "s", True),
        ("-开工", "s", True),
        ("@古荥镇", "s", True),
    ]
    assert book["时间节点"]["C2"].number_format == "yyyy-mm-dd"


# ---------------------------------------------------------------- real files

# Made by tests/fixtures/workbooks/make_projects_scores.py: written with openpyxl as an office
# fills the sheets in, saved again by LibreOffice.
FIXTURES = Path(__file__).parents[1] / "fixtures" / "workbooks"
FIXTURE_UNITS = {"区发改委", "区委办公室（区档案馆）"}
FIXTURE_PROJECTS = [
    ("ZD-001", "智能装备产业园一期（续建）", "区发改委", "产业项目", D("40.00"), False, None),
    ("ZD-002", "老旧小区改造：二期", "区委办公室（区档案馆）", "民生项目", D("45.50"), False, None),
    ("ZD-003", "滨河路提升改造", "区发改委", "基础设施", D("62.50"), True, "red"),
]  # fmt: skip
FIXTURE_MILESTONES = [
    ("ZD-001", "开工", datetime.date(2026, 3, 31), D("20.00"), datetime.date(2026, 3, 20)),
    ("ZD-001", "主体完工", datetime.date(2026, 9, 30), D("70.00"), None),
    ("ZD-002", "入户摸底", datetime.date(2026, 4, 30), D("30.00"), datetime.date(2026, 4, 28)),
    ("ZD-003", "竣工验收", datetime.date(2026, 12, 20), D("100.00"), None),
]  # fmt: skip


def parse_fixture(name: str) -> list[ProjectRow]:
    with (FIXTURES / name).open("rb") as fileobj:
        return parse_projects_workbook(fileobj, unit_names=FIXTURE_UNITS)


def test_workbook_saved_by_libreoffice_reads_what_the_office_typed():
    rows = parse_fixture("projects-libreoffice.xlsx")

    assert [
        (r.code, r.name, r.unit, r.category, r.actual, r.stalled, r.colour) for r in rows
    ] == FIXTURE_PROJECTS
    assert [
        (m.code, m.name, m.planned_date, m.planned_progress, m.done_on)
        for r in rows
        for m in r.milestones
    ] == FIXTURE_MILESTONES


def fixture_projects(rows: list[ProjectRow]) -> list[tuple]:
    return [(r.code, r.name, r.unit, r.category, r.actual, r.stalled, r.colour) for r in rows]


@pytest.mark.parametrize(
    "name",
    [
        "projects-libreoffice.xlsx",
        "projects-title-libreoffice.xlsx",  # a merged title row and a blank row above the header
        "projects-plain-percent.xls",  # Excel 97–2003, progress typed as 45.5 and 70
        "projects.xls",  # Excel 97–2003, progress as 0.455 under 0.0% and 0.7 under 0%
    ],
)
def test_workbook_real_files_read_alike(name):
    rows = parse_fixture(name)

    assert fixture_projects(rows) == FIXTURE_PROJECTS
    assert [
        (m.code, m.name, m.planned_date, m.planned_progress, m.done_on)
        for r in rows
        for m in r.milestones
    ] == FIXTURE_MILESTONES


@pytest.mark.parametrize("name", ["projects-utf8-bom.csv", "projects-gbk.csv"])
def test_workbook_csv_is_the_project_sheet_and_leaves_milestones_alone(name):
    rows = parse_fixture(name)

    assert fixture_projects(rows) == FIXTURE_PROJECTS
    assert [r.milestones for r in rows] == [None, None, None]


def test_workbook_ods_percent_formatted_fractions_are_refused_not_guessed():
    """An .ods is read without its number formats (core/spreadsheet.py): 0.455 under 0.0% and
    0.7 under 0% could be 45.5 % and 70 % or below 1 %; a wrong guess would colour a project
    wrongly. The same cells in the .xls read as 45.5 and 70 (test_workbook_real_files_read_alike)."""
    with pytest.raises(WorkbookError) as caught:
        parse_fixture("projects.ods")
    assert caught.value.messages == [
        "工作表“项目”第 3 行“实际进度(%)”列：无法判断“0.455”是 45.5% 还是 0.455%（.ods "
        "文件不带单元格的百分比格式）：请写成 45.5 或 45.5%，或把文件另存为 .xlsx 后导入。",
        "工作表“时间节点”第 3 行“计划进度(%)”列：无法判断“0.7”是 70% 还是 0.7%（.ods "
        "文件不带单元格的百分比格式）：请写成 70 或 70%，或把文件另存为 .xlsx 后导入。",
    ]


def test_workbook_csv_of_another_sheet_says_it_is_read_as_projects():
    data = "项目编号,节点,计划日期,计划进度(%),完成日期\nA-1,开工,2026-03-31,20,\n".encode()

    assert problems(data)[-1] == (
        "CSV 文件只有一张表，按工作表“项目”读取；时间节点请用 .xlsx 或 .xls 工作簿导入（可下载模板）。"
    )


def test_workbook_formulas_are_refused_in_every_column_read():
    """The reader gives a formula's last value; 停滞 computed as =IF(…,"是","否") is still
    a formula."""

    def edit(book):
        book["项目"]["F2"] = '=IF(E2<50,"是","否")'
        book["项目"]["G2"] = '="红"'

    assert problems(edited(build(), edit)) == [
        "工作表“项目”第 2 行“停滞”列：不能是公式，请直接填写内容。",
        "工作表“项目”第 2 行“颜色”列：不能是公式，请直接填写内容。",
    ]
