import datetime
import io
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

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
from tests.factories.workbooks import GROUPS, META, RATERS, UNITS, Text, replace, workbook_file


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
        "CSV 文件只有一张表，评议会工作簿需要“会议”“单位”“评议组”等多张工作表："
        "请使用 .xlsx 或 .xls 工作簿（可下载模板）。"
    ]


def test_parse_session_workbook_refuses_a_zip_that_is_not_a_workbook():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(data)

    assert caught.value.messages == [
        "文件不是表格：可以导入 Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
        "或 CSV 文本（UTF-8 或 GBK 编码）。"
    ]


def test_parse_session_workbook_refuses_a_truncated_workbook():
    data = workbook_file().getvalue()

    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(io.BytesIO(data[: len(data) // 2]))

    assert caught.value.messages == [
        "文件是一个损坏或不完整的压缩包（.xlsx 文件本质上是压缩包）：请重新保存后再导入。"
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
        "工作表“单位”第 1 行：未知的表头“分类”；可用的表头：名称、类别、发言顺序。",
        "工作表“单位”：缺少表头“类别”（表头行应为：名称、类别、发言顺序）。",
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


@pytest.mark.parametrize("value", ["2026-13-01", "下周一", 45000, "2026年2月30日"])
def test_parse_session_workbook_reports_a_bad_date(value):
    assert problems_of(meta=replace(META, 3, 2, value)) == [
        f"工作表“会议”第 3 行“日期”列：“{value}”不是有效日期，请填写日期，"
        "或 2025-12-20、2025/12/20、2025.12.20、2025年12月20日 格式的文字。"
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


@pytest.mark.parametrize("text", [Text("=HYPERLINK(1)"), "@城关镇"])
def test_parse_session_workbook_reports_text_that_a_spreadsheet_would_run(text):
    assert problems_of(units=replace(UNITS, 6, 2, text)) == [
        "工作表“单位”第 6 行“类别”列：不能以“=”或“@”开头（表格软件会把它当作公式）。"
    ]


@pytest.mark.parametrize("text", ["+开发区", "-开发区"])
def test_parse_session_workbook_reads_text_that_merely_starts_with_a_sign(text):
    workbook = parse_session_workbook(workbook_file(units=replace(UNITS, 6, 2, text)))

    assert workbook.units[-1] == UnitRow(name="经济开发区", category=text, row=6)


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


# ---------------------------------------------------------------- real workbooks
# Files made by LibreOffice from scripts/make_workbook_fixtures.py (docs/workbooks.md).

FIXTURES = Path(__file__).parents[1] / "fixtures" / "workbooks"


def fixture(name: str) -> io.BytesIO:
    return io.BytesIO((FIXTURES / name).read_bytes())


def fixture_problems(name: str) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        parse_session_workbook(fixture(name))
    return caught.value.messages


def test_parse_session_workbook_reads_what_an_office_hands_in_from_libreoffice():
    workbook = parse_session_workbook(fixture("session-libreoffice.xlsx"))

    assert workbook == SessionWorkbook(
        meta=SessionMeta(
            title="2025年度综合考核述职评议会",
            year=2025,
            date=datetime.date(2025, 12, 20),
            venue="区行政中心 第一会议室",
            kind=ReviewSession.Kind.ANNUAL,
        ),
        units=[
            UnitRow("城关镇", "镇(街道)", 4, speaking_order=2),
            UnitRow("滨河街道", "镇(街道)", 5, speaking_order=1),
            UnitRow("区委办公室(区档案馆)", "党群服务部门", 6, speaking_order=3),
            UnitRow("区财政局", "政府部门", 7, speaking_order=4),
        ],
        groups=[
            GroupRow("县级领导", Decimal("40.00"), None, 2),
            GroupRow("区直部门", Decimal("20.00"), None, 3),
            GroupRow("镇(街道)", Decimal("20.00"), None, 4),  # 20 % in a percent cell
            GroupRow("两代表一委员", Decimal("20.00"), None, 5),
        ],
        raters=[],  # 评议人 holds only its header
    )


def test_parse_session_workbook_reads_the_same_content_from_an_xls():
    # The .xls holds the weight 20 % as 0.2 under the format 0%; its cell format is read as
    # from the .xlsx (core/spreadsheet.py), so both files give the same session.
    assert parse_session_workbook(fixture("session.xls")) == parse_session_workbook(
        fixture("session-libreoffice.xlsx")
    )


def test_parse_session_workbook_refuses_a_fraction_beside_whole_weights_when_not_percent():
    # 0.2 in a plain number cell beside 40, 20, 20 is most likely 20 % typed as a fraction:
    # refused with the fix, never stored as a weight of 0.2.
    assert problems_of(groups=replace(GROUPS, 4, 2, 0.2)) == [
        "工作表“评议组”第 4 行“权重”列：权重 0.2 小于 1，其他评议组的权重却有 40："
        "若这里是百分比格式的 20%，请直接填写 20。"
    ]


def test_parse_session_workbook_refuses_error_values_naming_the_cell():
    assert fixture_problems("error-values.xlsx") == [
        "工作表“单位”第 2 行“类别”列：“#N/A”是表格的错误值，请改为要导入的内容。",
        "工作表“评议组”第 2 行“权重”列：“#REF!”是表格的错误值，请改为要导入的内容。",
    ]


def test_parse_session_workbook_says_when_a_sheet_is_a_chart_sheet():
    assert fixture_problems("chart-sheet.xlsx") == [
        "工作表“会议”：缺少此工作表（工作簿中现有：单位）。",
        "工作表“评议组”：这是一张图表工作表，没有数据：请把数据放在名为“评议组”的普通工作表中。",
    ]


def test_parse_session_workbook_with_a_formatted_cell_at_xfd_stays_small():
    tracemalloc.start()
    try:
        workbook = parse_session_workbook(fixture("far-cell.xlsx"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [u.name for u in workbook.units] == ["城关镇", "区财政局"]
    assert peak < 200 * 1024 * 1024  # the bound asked for (docs/workbooks.md); in practice a few MB


def _book_bytes(build) -> io.BytesIO:
    """The default workbook (tests/factories/workbooks.py) changed by ``build(book)``."""
    from openpyxl import load_workbook

    book = load_workbook(workbook_file())
    build(book)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_parse_session_workbook_says_row_1_looks_like_a_title_when_no_header_follows():
    units = [["2026年述职单位"], ["城关镇", "镇(街道)"], ["区财政局", "政府部门"]]

    assert problems_of(units=units, raters=None) == [
        "工作表“单位”：第 1 行像标题（“2026年述职单位”），但其下没有找到表头行："
        "表头应包含名称、类别。"
    ]


def test_parse_session_workbook_skips_a_merged_title_and_a_blank_row_above_the_header():
    def build(book):
        sheet = book["评议组"]
        sheet.insert_rows(1, 2)
        sheet["A1"] = "评议组及权重"
        sheet.merge_cells("A1:C1")

    workbook = parse_session_workbook(_book_bytes(build))

    assert [(g.name, g.row) for g in workbook.groups][:2] == [("县级领导", 4), ("区直部门", 5)]


def test_parse_session_workbook_reads_a_group_merged_over_rows_in_every_row():
    def build(book):
        sheet = book["评议人"]
        sheet["A3"] = None  # 王芳's group, merged from 李明's row
        sheet.merge_cells("A2:A3")

    workbook = parse_session_workbook(_book_bytes(build))

    assert [(r.group, r.names) for r in workbook.raters][:2] == [
        ("县级领导", ("李明",)),
        ("县级领导", ("王芳",)),
    ]


def test_parse_session_workbook_reads_weights_as_percentages():
    def build(book):
        sheet = book["评议组"]
        sheet["B1"] = "权重（%）"
        sheet["B3"] = 0.2
        sheet["B3"].number_format = "0%"
        sheet["B4"] = "20%"
        sheet["B5"] = "２０"

    workbook = parse_session_workbook(_book_bytes(build))

    assert [g.weight for g in workbook.groups] == [Decimal("40.00"), *[Decimal("20.00")] * 3]


@pytest.mark.parametrize("total", [100, "100"])
def test_parse_session_workbook_skips_a_total_row_under_the_groups(total):
    groups = [*GROUPS, ["合计", total, None]]

    workbook = parse_session_workbook(workbook_file(groups=groups))

    assert [g.name for g in workbook.groups] == ["县级领导", "区直部门", "镇(街道)", "两代表一委员"]


def test_parse_session_workbook_reports_a_total_that_does_not_add_up():
    groups = [*GROUPS[:4], ["总计", 100, None]]

    assert problems_of(groups=groups, raters=None) == [
        "工作表“评议组”第 5 行“权重”列：合计 100 与上面各组权重之和 80 不一致：是否漏了一个评议组？"
    ]


def test_parse_session_workbook_accepts_serial_numbers_and_wrapped_headers():
    units = [["序号", "名\n称", "类别"], [1, "城关镇", "镇(街道)"], [2, "区财政局", "政府部门"]]
    raters = [["序号", "评议组", "所在\n单位", "人 数"], [1, "县级领导", None, 5]]

    workbook = parse_session_workbook(workbook_file(units=units, raters=raters))

    assert [u.name for u in workbook.units] == ["城关镇", "区财政局"]
    assert workbook.raters == [RaterRow("县级领导", None, 5, (), 2)]


@pytest.mark.parametrize("raters", [[], [["评议组", "所在单位", "人数"]]])
def test_parse_session_workbook_accepts_an_empty_raters_sheet(raters):
    assert parse_session_workbook(workbook_file(raters=raters)).raters == []


@pytest.mark.parametrize(
    "text", ["2025年12月20日", "2025/12/20", "2025.12.20", "2025-12-20", "２０２５年１２月２０日"]
)
def test_parse_session_workbook_reads_dates_as_offices_write_them(text):
    workbook = parse_session_workbook(workbook_file(meta=replace(META, 3, 2, text)))

    assert workbook.meta.date == datetime.date(2025, 12, 20)


@pytest.mark.parametrize(
    ("first", "second", "difference"),
    [
        ("区委办公室(区档案馆)", "区委办公室（区档案馆）", "全角与半角字符（如括号、数字、空格）"),
        ("区财政局", "区财政局\u200b", "看不见的零宽字符"),
        ("区财政局", "区财政局 ", "首尾或多余的空格"),
        ("区财政局", "区财政局\n", "首尾或多余的空格、单元格内换行"),
    ],
)
def test_parse_session_workbook_points_out_an_invisible_difference_in_a_duplicate(
    first, second, difference
):
    units = [["名称", "类别"], [first, "政府部门"], [second, "政府部门"]]

    problems = problems_of(units=units, raters=None)

    name = "区委办公室(区档案馆)" if "区委" in first else "区财政局"
    assert problems == [
        f"工作表“单位”第 3 行“名称”列：单位“{name}”重复（第 2 行已列出）。"
        f"两处写法只差在{difference}，导入时视为同一名称。"
    ]


def test_parse_session_workbook_makes_one_category_of_two_bracket_widths():
    units = [["名称", "类别"], ["城关镇", "镇(街道)"], ["滨河街道", "镇（街道）"]]

    workbook = parse_session_workbook(workbook_file(units=units, raters=None))

    assert {u.category for u in workbook.units} == {"镇(街道)"}


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        ([1, 1], ["工作表“单位”第 3 行“发言顺序”列：发言顺序 1 重复（第 2 行已使用）。"]),
        (
            [1, None],
            ["工作表“单位”第 3 行“发言顺序”列：填写了发言顺序时每个单位都要填写（1 到 2）。"],
        ),
        ([1, 3], ["工作表“单位”第 3 行“发言顺序”列：发言顺序 3 超出单位数：应为 1 到 2。"]),
        (
            [1, "第二"],
            ["工作表“单位”第 3 行“发言顺序”列：“第二”不是发言顺序：请填写从 1 开始的整数。"],
        ),
    ],
)
def test_parse_session_workbook_checks_the_speaking_order(orders, expected):
    units = [["名称", "类别", "发言顺序"], ["城关镇", "镇(街道)", orders[0]]]
    units.append(["区财政局", "政府部门", orders[1]])

    assert problems_of(units=units, raters=None) == expected


def test_parse_session_workbook_reads_a_speaking_order_in_full_width_digits():
    units = [
        ["名称", "类别", "发言顺序"],
        ["城关镇", "镇(街道)", "２"],
        ["区财政局", "政府部门", 1],
    ]

    workbook = parse_session_workbook(workbook_file(units=units, raters=None))

    assert [u.speaking_order for u in workbook.units] == [2, 1]
