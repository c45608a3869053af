import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.utils import timezone

from sessions.models import ReviewSession
from sessions.workbook import (
    GroupRow,
    Problem,
    RaterRow,
    SessionMeta,
    SessionWorkbook,
    UnitRow,
    WorkbookError,
    parse_session_workbook,
    template_workbook_bytes,
)
from tests.workbooks import GROUPS, META, RATERS, UNITS, Text, replace, workbook_file


def problems_of(**sheets) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(workbook_file(**sheets))
    return caught.value.messages


def test_parse_session_workbook_reads_every_sheet():
    workbook = parse_session_workbook(workbook_file())

    assert workbook == SessionWorkbook(
        meta=SessionMeta(
            title="2026年年中述职讲评暨现场问政会",
            year=2026,
            date=datetime.date(2026, 7, 15),
            venue="区行政中心第一会议室",
            kind=ReviewSession.Kind.MIDYEAR,
        ),
        units=[
            UnitRow("城关镇", "镇(街道)", 2),
            UnitRow("滨河街道", "镇(街道)", 3),
            UnitRow("区财政局", "政府部门", 4),
            UnitRow("区委办公室", "党群服务部门", 5),
            UnitRow("经济开发区", "开发区", 6),
        ],
        groups=[
            GroupRow("县级领导", Decimal("40.00"), 5, 2),
            GroupRow("区直部门", Decimal("20.00"), None, 3),
            GroupRow("镇(街道)", Decimal("20.00"), None, 4),
            GroupRow("两代表一委员", Decimal("20.00"), None, 5),
        ],
        raters=[
            RaterRow("县级领导", None, 1, ("李明",), 2),
            RaterRow("县级领导", None, 1, ("王芳",), 3),
            RaterRow("区直部门", "区财政局", 3, (), 4),
            RaterRow("镇(街道)", "城关镇", 2, (), 5),
            RaterRow("两代表一委员", None, 10, (), 6),
        ],
    )
    assert workbook.credential_count == 17


def test_parse_session_workbook_accepts_any_column_order_blank_rows_and_padding():
    units = [
        ["类别", " 名称 "],
        [" 镇(街道) ", "  城关镇 "],
        [None, None],
        ["", "   "],
        ["政府部门", "区财政局"],
    ]
    raters = [["姓名", "评议组", "所在单位"], ["李明", "县级领导", None]]

    workbook = parse_session_workbook(workbook_file(units=units, raters=raters))

    assert workbook.units == [UnitRow("城关镇", "镇(街道)", 2), UnitRow("区财政局", "政府部门", 5)]
    assert workbook.raters == [RaterRow("县级领导", None, 1, ("李明",), 2)]


def test_parse_session_workbook_without_raters_sheet_has_no_raters():
    workbook = parse_session_workbook(workbook_file(raters=None))

    assert workbook.raters == []


def test_parse_session_workbook_accepts_a_date_cell_and_takes_the_year_from_it():
    meta = [["名称", "年中会"], ["日期", datetime.datetime(2025, 6, 30)]]

    workbook = parse_session_workbook(workbook_file(meta=meta))

    assert workbook.meta == SessionMeta(
        title="年中会", year=2025, date=datetime.date(2025, 6, 30), venue="", kind="custom"
    )


def test_parse_session_workbook_defaults_to_the_current_year_and_custom_kind():
    workbook = parse_session_workbook(workbook_file(meta=[["名称", "临时评议"]]))

    assert workbook.meta == SessionMeta(
        title="临时评议", year=timezone.localdate().year, date=None, venue="", kind="custom"
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [("年度", "annual"), ("annual", "annual"), ("Midyear", "midyear"), ("自定义", "custom")],
)
def test_parse_session_workbook_reads_kind_in_chinese_or_english(text, kind):
    workbook = parse_session_workbook(workbook_file(meta=[["名称", "会"], ["类型", text]]))

    assert workbook.meta.kind == kind


def test_parse_session_workbook_without_meta_ignores_a_broken_meta_sheet():
    broken_meta = [["名称", None], ["类型", "不知道"]]

    workbook = parse_session_workbook(workbook_file(meta=broken_meta), require_meta=False)

    assert workbook.meta is None
    assert len(workbook.units) == 5


def test_parse_session_workbook_reports_every_problem_at_once():
    units = replace(replace(UNITS, 3, 2, None), 5, 1, "<b>区委</b>")
    groups = replace(GROUPS, 2, 2, -5)

    assert problems_of(units=units, groups=groups) == [
        "工作表“单位”第 3 行“类别”列：不能为空。",
        "工作表“单位”第 5 行“名称”列：不能包含“<”或“>”。",
        "工作表“评议组”第 2 行“权重”列：不能为负数。",
    ]


def test_workbook_error_keeps_sheet_row_and_column():
    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(workbook_file(units=replace(UNITS, 5, 2, None)))

    assert caught.value.problems == [Problem("不能为空。", "单位", 5, "类别")]


# ---------------------------------------------------------------- the file itself


def test_parse_session_workbook_refuses_a_file_that_is_not_a_zip():
    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(io.BytesIO("name,category\n城关镇,镇\n".encode()))

    assert caught.value.messages == [
        "文件不是有效的 Excel 工作簿（.xlsx），可能已损坏，或是 .xls、.csv 等其他格式。"
    ]


def test_parse_session_workbook_refuses_a_zip_that_is_not_a_workbook():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(data)

    assert caught.value.messages == [
        "文件不是有效的 Excel 工作簿（.xlsx），可能已损坏，或是 .xls、.csv 等其他格式。"
    ]


def test_parse_session_workbook_refuses_a_truncated_workbook():
    data = workbook_file().getvalue()

    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(io.BytesIO(data[: len(data) // 2]))

    assert caught.value.messages == [
        "文件不是有效的 Excel 工作簿（.xlsx），可能已损坏，或是 .xls、.csv 等其他格式。"
    ]


def test_parse_session_workbook_refuses_a_file_over_the_upload_limit(settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    data = io.BytesIO(b"x" * (1024 * 1024 + 1))

    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(data)

    assert caught.value.messages == ["文件大小为 1.0 MB，超过上限 1.0 MB。"]


# ---------------------------------------------------------------- sheets and headers


def test_parse_session_workbook_reports_a_missing_sheet():
    assert problems_of(groups=None) == [
        "工作表“评议组”：缺少此工作表（工作簿中现有：会议、单位、评议人）。"
    ]


def test_parse_session_workbook_reports_a_missing_header():
    units = [["名称", "分类"], ["城关镇", "镇(街道)"]]

    assert problems_of(units=units, raters=None) == [
        "工作表“单位”第 1 行：未知的表头“分类”；可用的表头：名称、类别。",
        "工作表“单位”：缺少表头“类别”（表头应为第一行：名称、类别）。",
    ]


def test_parse_session_workbook_reports_a_raters_sheet_without_count_or_name():
    raters = [["评议组", "所在单位"], ["县级领导", None]]

    assert problems_of(raters=raters) == [
        "工作表“评议人”：缺少表头“人数”或“姓名”：按人数生成匿名评议码，或每行填写一个姓名。"
    ]


def test_parse_session_workbook_reports_a_missing_meta_title():
    assert problems_of(meta=[["年度", 2026]]) == ["工作表“会议”：缺少项目“名称”。"]


def test_parse_session_workbook_reports_an_unknown_meta_key():
    meta = [["名称", "会"], ["主办", "区委"]]

    assert problems_of(meta=meta) == [
        "工作表“会议”第 2 行“A”列：未知的项目“主办”；可填写：名称、年度、日期、地点、类型。"
    ]


# ---------------------------------------------------------------- cells


def test_parse_session_workbook_reports_an_empty_required_cell():
    assert problems_of(units=replace(UNITS, 5, 2, "  ")) == [
        "工作表“单位”第 5 行“类别”列：不能为空。"
    ]


def test_parse_session_workbook_reports_a_duplicate_unit():
    units = [*UNITS, ["城关镇", "镇(街道)"]]

    assert problems_of(units=units) == [
        "工作表“单位”第 7 行“名称”列：单位“城关镇”重复（第 2 行已列出）。"
    ]


def test_parse_session_workbook_reports_a_duplicate_group():
    groups = [*GROUPS, ["县级领导", 10, None]]

    assert problems_of(groups=groups) == [
        "工作表“评议组”第 6 行“名称”列：评议组“县级领导”重复（第 2 行已列出）。"
    ]


def test_parse_session_workbook_reports_a_weight_that_is_not_a_number():
    assert problems_of(groups=replace(GROUPS, 3, 2, "二十")) == [
        "工作表“评议组”第 3 行“权重”列：“二十”不是数字。"
    ]


def test_parse_session_workbook_reports_a_negative_weight():
    assert problems_of(groups=replace(GROUPS, 3, 2, -20)) == [
        "工作表“评议组”第 3 行“权重”列：不能为负数。"
    ]


def test_parse_session_workbook_reports_a_weight_with_three_decimals():
    assert problems_of(groups=replace(GROUPS, 3, 2, 33.333)) == [
        "工作表“评议组”第 3 行“权重”列：不能超过 9999.99，且最多两位小数。"
    ]


def test_parse_session_workbook_reports_a_bad_min_sample():
    assert problems_of(groups=replace(GROUPS, 2, 3, 0)) == [
        "工作表“评议组”第 2 行“最少有效票数”列：必须是 1 到 1000 之间的整数。"
    ]


@pytest.mark.parametrize("count", [0, -3, 2.5, 2001, "五"])
def test_parse_session_workbook_reports_a_count_that_is_not_a_positive_whole_number(count):
    assert problems_of(raters=replace(RATERS, 4, 3, count)) == [
        "工作表“评议人”第 4 行“人数”列：必须是 1 到 2000 之间的整数。"
    ]


def test_parse_session_workbook_accepts_a_count_typed_as_text():
    workbook = parse_session_workbook(workbook_file(raters=replace(RATERS, 4, 3, " 7 ")))

    assert workbook.raters[2] == RaterRow("区直部门", "区财政局", 7, (), 4)


def test_parse_session_workbook_reports_a_row_with_neither_count_nor_name():
    assert problems_of(raters=replace(RATERS, 4, 3, None)) == [
        "工作表“评议人”第 4 行“人数”列：请填写人数或姓名。"
    ]


def test_parse_session_workbook_reports_a_row_with_both_count_and_name():
    assert problems_of(raters=replace(RATERS, 2, 3, 4)) == [
        "工作表“评议人”第 2 行“人数”列：填写了姓名时每行只生成一个评议码，人数请留空。"
    ]


def test_parse_session_workbook_reports_an_unknown_group_in_raters():
    assert problems_of(raters=replace(RATERS, 6, 1, "社会公众")) == [
        "工作表“评议人”第 6 行“评议组”列：评议组“社会公众”不在工作表“评议组”中。"
    ]


def test_parse_session_workbook_reports_an_unknown_unit_in_raters():
    assert problems_of(raters=replace(RATERS, 5, 2, "城南镇")) == [
        "工作表“评议人”第 5 行“所在单位”列：单位“城南镇”不在工作表“单位”中；"
        "不属于述职单位的评议人请留空。"
    ]


def test_parse_session_workbook_reports_an_unknown_kind():
    assert problems_of(meta=replace(META, 5, 2, "季度")) == [
        "工作表“会议”第 5 行“类型”列：未知的类型“季度”；可填写：年度、年中、自定义。"
    ]


@pytest.mark.parametrize("value", ["2026/07/15", "2026-13-01", "下周一", 45000])
def test_parse_session_workbook_reports_a_bad_date(value):
    assert problems_of(meta=replace(META, 3, 2, value)) == [
        f"工作表“会议”第 3 行“日期”列：“{value}”不是有效日期，请填写日期或 YYYY-MM-DD 格式的文字。"
    ]


@pytest.mark.parametrize("value", [1999, 2101, "二〇二六", 2026.5])
def test_parse_session_workbook_reports_a_bad_year(value):
    assert problems_of(meta=replace(META, 2, 2, value)) == [
        f"工作表“会议”第 2 行“年度”列：“{value}”不是有效年度，"
        "请填写 2000 到 2100 之间的四位数年份。"
    ]


def test_parse_session_workbook_reports_a_name_longer_than_100_characters():
    assert problems_of(units=replace(UNITS, 3, 1, "滨" * 101)) == [
        "工作表“单位”第 3 行“名称”列：不能超过 100 个字符（现有 101 个）。"
    ]


def test_parse_session_workbook_reports_a_holder_name_longer_than_100_characters():
    assert problems_of(raters=replace(RATERS, 3, 4, "王" * 101)) == [
        "工作表“评议人”第 3 行“姓名”列：不能超过 100 个字符（现有 101 个）。"
    ]


def test_parse_session_workbook_reports_a_formula_cell():
    assert problems_of(units=replace(UNITS, 4, 1, '=CONCAT("区","财政局")')) == [
        "工作表“单位”第 4 行“名称”列：不能是公式，请直接填写内容。"
    ]


def test_parse_session_workbook_reports_a_formula_in_a_number_column():
    assert problems_of(groups=replace(GROUPS, 3, 2, "=10*2")) == [
        "工作表“评议组”第 3 行“权重”列：不能是公式，请直接填写内容。"
    ]


@pytest.mark.parametrize("text", [Text("=HYPERLINK(1)"), "+城关镇", "-城关镇", "@城关镇"])
def test_parse_session_workbook_reports_text_that_a_spreadsheet_would_run(text):
    assert problems_of(units=replace(UNITS, 2, 1, text)) == [
        "工作表“单位”第 2 行“名称”列：不能以“=”“+”“-”“@”开头（表格软件会把它当作公式）。"
    ]


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "城关镇>", "a<b"])
def test_parse_session_workbook_reports_html_in_a_name(text):
    assert problems_of(units=replace(UNITS, 6, 2, text)) == [
        "工作表“单位”第 6 行“类别”列：不能包含“<”或“>”。"
    ]


def test_parse_session_workbook_reports_html_in_the_venue():
    assert problems_of(meta=replace(META, 4, 2, "<i>礼堂</i>")) == [
        "工作表“会议”第 4 行“地点”列：不能包含“<”或“>”。"
    ]


# ---------------------------------------------------------------- the template


def test_template_workbook_parses_as_it_is():
    workbook = parse_session_workbook(io.BytesIO(template_workbook_bytes()))

    assert workbook == SessionWorkbook(
        meta=SessionMeta(
            title="2026年年中述职讲评暨现场问政会",
            year=2026,
            date=datetime.date(2026, 7, 15),
            venue="区行政中心第一会议室",
            kind="midyear",
        ),
        units=[UnitRow("城关镇", "镇(街道)", 2), UnitRow("区发展和改革委员会", "政府部门", 3)],
        groups=[
            GroupRow("县级领导", Decimal("40.00"), 3, 2),
            GroupRow("镇(街道)", Decimal("20.00"), None, 3),
        ],
        raters=[
            RaterRow("县级领导", None, 5, (), 2),
            RaterRow("镇(街道)", "城关镇", 1, ("张三",), 3),
        ],
    )
