"""The breakdown workbook (targets/workbook.py), its import (targets/services.py) and
``manage.py import_targets``: all or nothing, every problem named by sheet, row and column."""

import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from org.models import OrgUnit
from org.services import default_district
from sessions.models import AuditLog
from sessions.workbook import WorkbookError
from targets import engine
from targets.models import Target, TargetUnit
from targets.selectors import breakdown_rows
from targets.services import targets_import
from targets.workbook import parse_targets_workbook
from tests.factories.targets import (
    BREAKDOWN_HEADER,
    BREAKDOWN_ROWS,
    UNIT_NAMES,
    OrgUnitFactory,
    breakdown_bytes,
)

D = Decimal


def parse(data: bytes, units=UNIT_NAMES):
    return parse_targets_workbook(io.BytesIO(data), unit_names=units)


def problems(data: bytes, units=UNIT_NAMES) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        parse(data, units)
    return caught.value.messages


def row(**changes):
    """The first example row (1.1 生产总值增长) with cells changed by header."""
    values = list(BREAKDOWN_ROWS[0])
    for header, value in changes.items():
        values[BREAKDOWN_HEADER.index(header)] = value
    return values


def test_the_example_workbook_reads_as_docs_targets_says():
    rows = parse(breakdown_bytes())

    assert [r.code for r in rows] == ["1.1", "1.2", "2.4", "3.1", "4.1"]
    gdp, revenue, parking, urban, jobless = rows
    assert (gdp.lead, gdp.support, gdp.period) == (
        ("区发改委",),
        ("区财政局", "区人社局"),
        "quarter",
    )
    assert (revenue.stretch, revenue.bonus, revenue.direction) == (D(8), D(2), engine.AT_LEAST)
    assert parking.steps == ((D("0.8"), D("0.6")), (D("0.9"), D("0.8")), (D(1), D(1)))
    assert (urban.baseline, urban.floor, urban.cap) == (D("70.2"), D("0.5"), D(1))
    assert (jobless.direction, jobless.method) == (engine.AT_MOST, engine.PASS_FAIL)


def test_title_rows_full_width_forms_and_header_variants_are_read():
    header = [h.replace("(%)", "（％）") for h in BREAKDOWN_HEADER]
    cells = row(**{"确保目标": "７", "牵头单位": "区发改委，区财政局", "配合单位": None})

    [target] = parse(breakdown_bytes([cells], header=header, above=[["2026年目标分解表"]]))

    assert (target.goal, target.lead, target.support) == (D(7), ("区发改委", "区财政局"), ())


FIXTURES = Path(__file__).parents[1] / "fixtures" / "workbooks"


# Saved by LibreOffice from scripts/make_workbook_fixtures.py's targets_source(): a title row,
# 序号, full-width digits, brackets, colons and percent signs, units split by ，and Alt+Enter, a
# floor in a percent-formatted cell; the .csv in GBK, as WPS and Excel save it in China.
@pytest.mark.parametrize("name", ["targets-libreoffice.xlsx", "targets.xls", "targets-gbk.csv"])
def test_files_saved_by_libreoffice_read_alike(name):
    rows = parse((FIXTURES / name).read_bytes(), [*UNIT_NAMES, "区应急局"])

    assert [(r.code, r.goal, r.floor, r.lead, r.support, r.veto) for r in rows] == [
        ("1.1", D(7), D(0), ("区发改委",), ("区财政局", "区人社局"), False),
        ("1.2", D(6), D(0), ("区财政局",), (), False),
        ("2.4", D(4000), D(0), ("区交通局",), ("城关镇",), False),
        ("3.1", D("70.7"), D("0.5"), ("区发改委", "城关镇"), (), False),
        ("5.1", D(0), D(0), ("区应急局",), (), True),
    ]
    assert rows[2].steps == ((D("0.8"), D("0.6")), (D("0.9"), D("0.8")), (D(1), D(1)))
    assert (rows[1].stretch, rows[1].bonus) == (D(8), D(2))
    assert rows[4].direction == engine.AT_MOST


def test_a_fraction_in_an_ods_file_is_not_guessed_as_a_percentage():
    # The same workbook saved as .ods: its percent format is not read, so 0.5 could be 50 %.
    assert problems((FIXTURES / "targets.ods").read_bytes(), [*UNIT_NAMES, "区应急局"]) == [
        "工作表“目标”第 6 行“完成率下限(%)”列：无法判断“0.5”是 50% 还是 0.5%（文件不带单元格的"
        "百分比格式）：请写成 50%，或把文件另存为 .xlsx 后导入。"
    ]


def test_every_problem_is_named_by_sheet_row_and_column_and_nothing_is_parsed():
    rows = [
        row(**{"编号": "1.1", "确保目标": "七"}),
        row(**{"编号": "1.1", "牵头单位": "区统计局"}),
        row(**{"编号": "1.3", "方向": "大于", "分值": -1}),
        row(**{"编号": "1.4", "计分方法": "分档", "分档": "九成"}),
        row(**{"编号": "1.5", "力争目标": 6, "力争加分": 1}),
        row(**{"编号": "1.6", "配合单位": "区发改委"}),
        row(**{"编号": None, "一票否决": "也许"}),
    ]

    assert problems(breakdown_bytes(rows)) == [
        "工作表“目标”第 2 行“确保目标”列：“七”不是数字。",
        "工作表“目标”第 3 行“牵头单位”列：单位“区统计局”不是本区（县）的单位。",
        "工作表“目标”第 3 行“编号”列：编号“1.1”重复（第 2 行已列出）。",
        "工作表“目标”第 4 行“方向”列：“大于”不是可选的值（不低于、≥、>=、不高于、≤、<=）。",
        "工作表“目标”第 4 行“分值”列：必须在 0 到 99999.99 之间（现为 -1）。",
        "工作表“目标”第 5 行“分档”列：“九成”不是“完成率:得分比例”（如 90%:80%），各档用“；”分开。",
        "工作表“目标”第 6 行“力争目标”列：力争目标 6 须高于确保目标 7。",
        "工作表“目标”第 7 行“配合单位”列：“区发改委”同时列为牵头单位和配合单位。",
        "工作表“目标”第 8 行“编号”列：不能为空。",
        "工作表“目标”第 8 行“一票否决”列：请填写“是”或“否”。",
    ]


def test_a_workbook_without_the_sheet_or_a_required_column_is_refused():
    header = [h for h in BREAKDOWN_HEADER if h != "牵头单位"]
    rows = [
        [v for h, v in zip(BREAKDOWN_HEADER, r, strict=True) if h != "牵头单位"]
        for r in BREAKDOWN_ROWS
    ]

    assert problems(breakdown_bytes(sheet="Sheet1")) == [
        "工作表“目标”：缺少此工作表（工作簿中现有：Sheet1）。"
    ]
    assert problems(breakdown_bytes(rows, header=header)) == [
        "工作表“目标”：缺少表头“牵头单位”（表头行应为：编号、指标、确保目标、分值、牵头单位、类型、"
        "计量单位、方向、基数、力争目标、计分方法、完成率下限(%)、完成率上限(%)、分档、力争加分、"
        "一票否决、填报周期、配合单位、进度计划）。"
    ]


@pytest.mark.django_db
def test_the_import_stores_targets_and_breakdown_and_a_second_import_updates_in_place():
    district = default_district()
    for name in UNIT_NAMES:
        OrgUnitFactory(district=district, name=name)

    first = targets_import(district=district, year=2026, rows=parse(breakdown_bytes()), actor=None)
    parking = Target.objects.get(district=district, year=2026, code="2.4")
    kept = parking.units.get(org_unit__name="区交通局")
    changed = [row(), [*BREAKDOWN_ROWS[2][:-2], "城关镇", None]]  # 2.4 now led by 城关镇 alone
    second = targets_import(
        district=district, year=2026, rows=parse(breakdown_bytes(changed)), actor=None
    )

    assert first == {"created": 5, "updated": 0, "rescored": 5}
    # Only 2.4's breakdown changed: the other row, handed in again as it was, is not rescored.
    assert second == {"created": 0, "updated": 2, "rescored": 1}
    assert Target.objects.filter(district=district, year=2026).count() == 5  # none removed
    assert list(parking.units.values_list("org_unit__name", "role")) == [("城关镇", "lead")]
    assert not TargetUnit.objects.filter(pk=kept.pk).exists()
    assert parking.units.get().engine_target() == engine.Target(
        "2.4",
        D(8),
        D(4000),
        rule=engine.Rule(
            method=engine.STEPS,
            steps=((D("0.8"), D("0.6")), (D("0.9"), D("0.8")), (D(1), D(1))),
        ),
    )
    entries = AuditLog.objects.filter(action="targets.import").order_by("id")
    assert [e.message for e in entries] == [
        f"导入{district.name}2026年目标分解表：新增 5 项，更新 0 项",
        f"导入{district.name}2026年目标分解表：新增 0 项，更新 2 项",
    ]


@pytest.mark.django_db
def test_import_targets_command_imports_or_changes_nothing(tmp_path, capsys):
    district = default_district()
    for name in UNIT_NAMES:
        OrgUnitFactory(district=district, name=name)
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(breakdown_bytes())
    bad.write_bytes(breakdown_bytes([row(), row(**{"确保目标": "七"})]))

    with pytest.raises(CommandError, match="发现 2 个问题"):
        call_command("import_targets", district.code, "2026", str(bad))
    assert Target.objects.count() == 0
    call_command("import_targets", district.code, "2026", str(good))

    out, err = capsys.readouterr()
    assert "第 3 行“确保目标”列：“七”不是数字。" in err
    assert f"已导入{district.name}2026年目标：新增 5 项，更新 0 项。" in out
    assert Target.objects.count() == 5
    assert OrgUnit.objects.get(name="城关镇").targets.get().role == "support"


@pytest.mark.django_db
def test_an_exported_breakdown_imports_as_it_is(tmp_path):
    district = default_district()
    for name in UNIT_NAMES:
        OrgUnitFactory(district=district, name=name)
    call_command("import_targets", district.code, "2026", str(_saved(tmp_path, breakdown_bytes())))
    exported = tmp_path / "exported.xlsx"

    call_command("export_targets", district.code, "2026", str(exported))
    again = parse(exported.read_bytes())

    def comparable(rows):
        return [
            replace(r, row=0, lead=tuple(sorted(r.lead)), support=tuple(sorted(r.support)))
            for r in rows
        ]

    assert comparable(again) == comparable(parse(breakdown_bytes()))
    assert comparable(again) == comparable(breakdown_rows(district=district, year=2026))
    assert load_workbook(exported)["目标"]["M4"].value == "80%:60%；90%:80%；100%:100%"


def _saved(tmp_path, data: bytes):
    path = tmp_path / "breakdown.xlsx"
    path.write_bytes(data)
    return path


def _with_plan(plan, code="2.4"):
    header = [*BREAKDOWN_HEADER, "进度计划"]
    rows = [[*r, plan if r[0] == code else None] for r in BREAKDOWN_ROWS]
    return header, rows


def test_a_plan_and_units_own_shares_are_read():
    header, rows = _with_plan("6月:1600；１０月末：3000")
    data = breakdown_bytes(rows, header=header, shares=[["2.4", "城关镇", 800, 2]])

    parking = parse(data)[2]

    assert parking.plan == ((6, D(1600)), (10, D(3000)))
    assert parking.shares == (("城关镇", D(800), D(2)),)


@pytest.mark.parametrize(
    ("plan", "code", "expected"),
    [
        ("6月:1600", "1.1", "定量指标全年按同一目标衡量"),
        ("6月:3000；9月:2000", "2.4", "进度计划的累计值不能随月份减少"),
        ("6月:5000", "2.4", "进度计划的累计值不能随月份减少"),
        ("6月:1600；12月:3800", "2.4", "12 月的计划值须等于确保目标。"),
        ("13月:100", "2.4", "不是“月份:计划累计值”"),
        ("六月过半", "2.4", "不是“月份:计划累计值”"),
    ],
)
def test_a_wrong_plan_is_refused_in_its_column(plan, code, expected):
    header, rows = _with_plan(plan, code)
    row_number = 2 + [r[0] for r in BREAKDOWN_ROWS].index(code)

    found = problems(breakdown_bytes(rows, header=header))

    assert len(found) == 1
    assert found[0].startswith(f"工作表“目标”第 {row_number} 行“进度计划”列：")
    assert expected in found[0]


@pytest.mark.parametrize(
    ("share", "column", "expected"),
    [
        (["9.9", "城关镇", 800, None], "编号", "不在工作表“目标”中"),
        (["2.4", "区财政局", 800, None], "单位", "不是目标“2.4”的牵头或配合单位"),
        (["2.4", "城关镇", None, None], "分解目标", "请填写分解目标或分值"),
        (["2.4", "城关镇", 0, None], "分解目标", "确保目标须大于 0"),
        (["2.4", "城关镇、区交通局", 800, None], "单位", "每行只填写一个单位"),
        (["2.4", "某某镇", 800, None], "单位", "不是本区（县）的单位"),
    ],
)
def test_a_wrong_share_is_refused_naming_sheet_row_and_column(share, column, expected):
    found = problems(breakdown_bytes(shares=[share]))

    assert len(found) == 1, found
    assert found[0].startswith(f"工作表“分解”第 2 行“{column}”列："), found
    assert expected in found[0]


def test_a_unit_named_twice_in_the_shares_is_refused():
    found = problems(
        breakdown_bytes(shares=[["2.4", "城关镇", 800, None], ["2.4", "城关镇", 700, None]])
    )

    assert found == ["工作表“分解”第 3 行“单位”列：“城关镇”在目标“2.4”下重复（第 2 行已列出）。"]


@pytest.mark.django_db
def test_plan_and_shares_are_stored_and_exported_as_read(tmp_path):
    district = default_district()
    for name in UNIT_NAMES:
        OrgUnitFactory(district=district, name=name)
    header, rows = _with_plan("10月:3000")
    data = breakdown_bytes(rows, header=header, shares=[["2.4", "城关镇", 800, 2]])
    call_command("import_targets", district.code, "2026", str(_saved(tmp_path, data)))

    parking = Target.objects.get(code="2.4")
    share = parking.units.get(org_unit__name="城关镇")
    assert parking.plan == {"10": "3000"}
    assert (share.goal, share.points) == (D(800), D(2))
    exported = tmp_path / "exported.xlsx"
    call_command("export_targets", district.code, "2026", str(exported))
    again = {r.code: r for r in parse(exported.read_bytes())}
    assert again["2.4"].plan == ((10, D(3000)),)
    assert again["2.4"].shares == (("城关镇", D(800), D(2)),)
