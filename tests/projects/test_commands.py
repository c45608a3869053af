"""import_projects and recolour_projects (projects/management/commands)."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from projects.models import ColourChange, KeyProject
from tests.factories import ReviewSessionFactory, UnitFactory
from tests.factories.projects import chart_sheet_bytes, milestone_row, project_row, workbook_bytes

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parents[1] / "fixtures" / "workbooks"


@pytest.fixture
def session():
    session = ReviewSessionFactory(slug="2026-mid")
    UnitFactory(session=session, name="区发改委")
    return session


def write(tmp_path, data: bytes):
    path = tmp_path / "projects.xlsx"
    path.write_bytes(data)
    return str(path)


def test_import_projects_prints_counts(session, tmp_path, capsys):
    data = workbook_bytes(
        [project_row(code="A-1", actual=45), project_row(code="A-2", actual=0, stalled="是")],
        [milestone_row(code="A-1")],
    )
    call_command("import_projects", "2026-mid", write(tmp_path, data), "--as-of", "2026-07-16")
    assert capsys.readouterr().out.splitlines() == [
        "新增 2 个，更新 0 个，时间节点 1 个。",
        "颜色（截至 2026-07-16）：绿 1 / 蓝 0 / 黄 0 / 红 1",
    ]


def test_import_projects_bad_file_names_row_and_column(session, tmp_path, capsys):
    data = workbook_bytes([project_row(), project_row(code="A-2", unit="某某局", actual="x")])
    with pytest.raises(CommandError) as caught:
        call_command("import_projects", "2026-mid", write(tmp_path, data))
    assert str(caught.value) == "导入失败：发现 2 个问题（见上），未导入任何项目。"
    assert capsys.readouterr().err.splitlines() == [
        "工作表“项目”第 3 行“责任单位”列：单位“某某局”不在本评议会中。",
        "工作表“项目”第 3 行“实际进度(%)”列：“x”不是数字，请填写 0 到 100 之间的数。",
    ]
    assert KeyProject.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "x.xlsx"], "找不到标识为“nope”的评议会。"),
        (["2026-mid", "/no/such.xlsx"], "找不到文件“/no/such.xlsx”。"),
        (["2026-mid", "x.xlsx", "--as-of", "16/07/2026"], "“16/07/2026”不是有效日期，请写成 YYYY-MM-DD。"),
    ],
)  # fmt: skip
def test_import_projects_refuses_bad_arguments(session, args, message):
    with pytest.raises(CommandError) as caught:
        call_command("import_projects", *args)
    assert str(caught.value) == message


def test_recolour_projects_prints_counts_and_records(session, tmp_path, capsys):
    data = workbook_bytes(
        [project_row(actual=20)],
        [milestone_row(planned_date=datetime.date(2026, 8, 31), planned=60, done=None)],
    )
    call_command("import_projects", "2026-mid", write(tmp_path, data), "--as-of", "2026-07-16")
    capsys.readouterr()

    call_command("recolour_projects", "2026-mid", "--as-of", "2026-09-01")

    assert capsys.readouterr().out.splitlines() == [
        "截至 2026-09-01：1 个项目变色，0 个手动颜色不变。",
        "绿 0 / 蓝 0 / 黄 0 / 红 1",
    ]
    assert list(ColourChange.objects.order_by("id").values_list("from_colour", "to_colour")) == [
        ("", "green"),
        ("green", "red"),
    ]


def test_recolour_projects_unknown_session(db):
    with pytest.raises(CommandError) as caught:
        call_command("recolour_projects", "nope")
    assert str(caught.value) == "找不到标识为“nope”的评议会。"


def test_import_projects_chart_sheet_is_refused_without_a_crash(session, tmp_path, capsys):
    with pytest.raises(CommandError) as caught:
        call_command("import_projects", "2026-mid", write(tmp_path, chart_sheet_bytes()))
    assert str(caught.value) == "导入失败：发现 1 个问题（见上），未导入任何项目。"
    assert capsys.readouterr().err.splitlines() == [
        "工作表“项目”：这是一张图表工作表，没有数据：请把数据放在名为“项目”的普通工作表中。"
    ]
    assert KeyProject.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "milestones"), [("projects-plain-percent.xls", 4), ("projects-gbk.csv", 0)]
)
def test_import_projects_reads_xls_and_csv(tmp_path, capsys, name, milestones):
    session = ReviewSessionFactory(slug="2026-files")
    UnitFactory(session=session, name="区发改委")
    UnitFactory(session=session, name="区委办公室（区档案馆）")
    path = FIXTURES / name

    call_command("import_projects", "2026-files", str(path), "--as-of", "2026-07-16")

    assert capsys.readouterr().out.splitlines()[0] == (
        f"新增 3 个，更新 0 个，时间节点 {milestones} 个。"
    )
    assert list(KeyProject.objects.order_by("code").values_list("code", "actual_progress")) == [
        ("ZD-001", Decimal("40.00")),
        ("ZD-002", Decimal("45.50")),
        ("ZD-003", Decimal("62.50")),
    ]
