"""Targets of a district's year and their breakdown to units (targets/models.py)."""

import io
from decimal import Decimal

import factory
from openpyxl import Workbook

from org.models import District, OrgUnit
from org.services import default_district
from targets.line_state import refresh_lines
from targets.models import Target, TargetUnit


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"district-{n}")
    name = factory.Sequence(lambda n: f"第{n}区")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    district = factory.LazyFunction(default_district)
    code = factory.Sequence(lambda n: f"U{n + 1:04d}")
    name = factory.Sequence(lambda n: f"单位{n:03d}")


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    district = factory.LazyFunction(default_district)
    year = 2026
    code = factory.Sequence(lambda n: f"{n + 1}")
    title = factory.Sequence(lambda n: f"指标{n + 1}")
    goal = Decimal(100)
    points = Decimal(10)


class TargetUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetUnit
        skip_postgeneration_save = True

    target = factory.SubFactory(TargetFactory)
    org_unit = factory.SubFactory(
        OrgUnitFactory, district=factory.SelfAttribute("..target.district")
    )

    @factory.post_generation
    def stored_state(obj, create, extracted, **kwargs):
        # Made directly, not by an import: its stored scores as the services keep them
        # (docs/targets.md, "Stored scores").
        if create:
            refresh_lines([obj.pk])


# The breakdown workbook (targets/workbook.py): the header, and rows from docs/targets.md's
# worked examples over the units 城关镇, 区交通局, 区发改委, 区财政局 and 区人社局.
BREAKDOWN_HEADER = [
    "编号",
    "指标",
    "类型",
    "计量单位",
    "方向",
    "基数",
    "确保目标",
    "力争目标",
    "分值",
    "计分方法",
    "完成率下限(%)",
    "完成率上限(%)",
    "分档",
    "力争加分",
    "一票否决",
    "填报周期",
    "牵头单位",
    "配合单位",
]
BREAKDOWN_ROWS = [
    ["1.1", "生产总值增长", "定量", "%", "不低于", None, 7, None, 10, "按完成率",
     None, None, None, None, None, "按季", "区发改委", "区财政局、区人社局"],
    ["1.2", "一般公共预算收入增长", "定量", "%", None, None, 6, 8, 10, None,
     None, None, None, 2, None, "按月", "区财政局", None],
    ["2.4", "新增停车泊位", "计数", "个", "不低于", None, 4000, None, 8, "分档",
     None, None, "80%:60%；90%:80%；100%:100%", None, None, "按季", "区交通局", "城关镇"],
    ["3.1", "城镇化率提高", "定量", "%", "不低于", 70.2, 70.7, None, 6, "按完成率",
     50, None, None, None, "否", "按季", "区发改委", None],
    ["4.1", "调查失业率", "定量", "%", "不高于", None, 5, None, 5, "达标得分",
     None, None, None, None, None, "按季", "区人社局", None],
]  # fmt: skip
UNIT_NAMES = ["城关镇", "区交通局", "区发改委", "区财政局", "区人社局"]


def breakdown_bytes(rows=None, *, header=None, sheet="目标", above=(), shares=None) -> bytes:
    """An .xlsx whose sheet ``sheet`` holds the ``above`` rows (a title, say), the header and
    ``rows``; None is a blank cell. ``shares``: the rows of sheet 分解 under its header."""
    book = Workbook()
    worksheet = book.active
    worksheet.title = sheet
    for values in [*above, header or BREAKDOWN_HEADER, *(BREAKDOWN_ROWS if rows is None else rows)]:
        worksheet.append(values)
    if shares is not None:
        extra = book.create_sheet("分解")
        for values in [["编号", "单位", "分解目标", "分值"], *shares]:
            extra.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
