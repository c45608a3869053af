"""Factories and a workbook builder for the 重点项目 tests (projects/)."""

import datetime
import io
from decimal import Decimal

import factory
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference

from projects.models import KeyProject, Milestone
from projects.workbook import MILESTONE_COLUMNS, PROJECT_COLUMNS, PROJECT_OPTIONAL
from tests.factories import ReviewSessionFactory, UnitFactory

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class KeyProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyProject

    session = factory.SubFactory(ReviewSessionFactory)
    unit = factory.SubFactory(UnitFactory, session=factory.SelfAttribute("..session"))
    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"项目{n}")
    category = "产业项目"
    actual_progress = Decimal("50")
    colour = "green"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(KeyProjectFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"节点{n}")
    planned_date = datetime.date(2026, 6, 30)
    planned_progress = Decimal("50")


PROJECT_HEADER = [*PROJECT_COLUMNS, *PROJECT_OPTIONAL]


def project_row(code="A-1", name="智能装备产业园", unit="区发改委", category="产业项目",
                actual=45, stalled="否", colour=None):  # fmt: skip
    return [code, name, unit, category, actual, stalled, colour]


def milestone_row(code="A-1", name="开工", planned_date=datetime.date(2026, 3, 31),
                  planned=20, done=datetime.date(2026, 3, 20)):  # fmt: skip
    return [code, name, planned_date, planned, done]


def workbook_bytes(
    projects=None,
    milestones=None,
    *,
    project_header=None,
    milestone_header=None,
    sheets=("项目", "时间节点"),
) -> bytes:
    """A projects workbook; by default one valid project with two milestones."""
    book = Workbook()
    book.remove(book.active)
    if "项目" in sheets:
        sheet = book.create_sheet("项目")
        sheet.append(PROJECT_HEADER if project_header is None else project_header)
        for row in [project_row()] if projects is None else projects:
            sheet.append(row)
    if "时间节点" in sheets:
        sheet = book.create_sheet("时间节点")
        sheet.append(list(MILESTONE_COLUMNS) if milestone_header is None else milestone_header)
        default = [
            milestone_row(),
            milestone_row(name="主体完工", planned_date=datetime.date(2026, 9, 30), planned=70,
                          done=None),
        ]  # fmt: skip
        for row in default if milestones is None else milestones:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def chart_sheet_bytes() -> bytes:
    """A workbook whose 项目 is a chart sheet (the data elsewhere), as a chart moved to its
    own sheet leaves it."""
    book = load_workbook(io.BytesIO(workbook_bytes()))
    data = book.create_sheet("数据")
    data.append(["单位", "进度"])
    data.append(["区发改委", 45])
    del book["项目"]
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    book.create_chartsheet("项目", 0).add_chart(chart)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
