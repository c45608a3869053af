"""The demo district's targets (docs/targets.md, "The demo"): the targets of Huiji's 2019
government work report, broken down over the demo's units, for two years.

- The finished year (the annual review session's year): four quarters reported and accepted,
  so that the annual 目标考核 score of every unit is final and the review session takes it.
- The current year: three quarters reported, some late, one returned and not yet corrected,
  two units behind plan (red), one 督办单 open.

Everything goes through the services a liaison and the office use (targets.reports,
targets.notices), with the dates they would have happened on, and every draw is seeded: every
run gives the same reports, scores and notices.
"""

from __future__ import annotations

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from org.models import District, OrgUnit

from . import reports
from .models import Report, Target, TargetUnit
from .notices import notice_issue
from .scores import planned, year_settings
from .services import targets_import
from .workbook import TargetRow

SEED = "huiji-targets-2019-report"
Q = Decimal("0.01")

# (code, title, kind, measure, direction, goal, stretch, points, method, extra, lead, support)
# from the 2019 report; ``extra`` holds the rule's other fields.
TOWNS_SHARE = "towns"  # a count task every town shares, each with its own goal

REPORT_TARGETS = [
    ("A01", "地区生产总值增长", "quantity", "%", "at_least", "7", None, "10", "ratio",
     {"floor": "0.6"}, ["区发改委"], []),
    ("A02", "规模以上工业增加值增长", "quantity", "%", "at_least", "3", None, "8", "ratio",
     {"floor": "0.5"}, ["区科工局"], []),
    ("A03", "固定资产投资增长", "quantity", "%", "at_least", "10", None, "8", "ratio",
     {"floor": "0.5"}, ["区发改委"], ["区住建局"]),
    ("A04", "一般公共预算收入增长（确保 6%、力争 8%）", "quantity", "%", "at_least", "6", "8",
     "10", "ratio", {"bonus": "2"}, ["区财政局"], []),
    ("A05", "税收占一般公共预算收入比重", "quantity", "%", "at_least", "80", None, "5",
     "pass_fail", {}, ["区财政局"], []),
    ("A06", "社会消费品零售总额增长", "quantity", "%", "at_least", "3", None, "6", "ratio",
     {}, ["区商务局"], []),
    ("A07", "研究与试验发展经费投入强度", "quantity", "%", "at_least", "2", None, "5", "ratio",
     {}, ["区科工局"], []),
    ("A08", "城镇化率提高", "quantity", "个百分点", "at_least", "0.5", None, "5", "ratio",
     {}, ["区自然资源局"], []),
    ("A09", "城镇调查失业率", "quantity", "%", "at_most", "5", None, "4", "pass_fail",
     {}, ["区人社局"], []),
    ("A10", "城镇登记失业率", "quantity", "%", "at_most", "4", None, "4", "pass_fail",
     {}, ["区人社局"], []),
    ("B01", "市政道路开工", "count", "条", "at_least", "100", None, "8", "ratio",
     {}, ["区住建局"], ["区城管局"]),
    ("B02", "市政道路建成通车", "count", "条", "at_least", "55", None, "6", "ratio",
     {}, ["区住建局"], ["区交通局"]),
    ("B03", "新增停车泊位", "count", "个", "at_least", "4000", None, "5", "ratio",
     {}, ["区城管局"], ["区交通局"]),
    ("B04", "新建公办幼儿园", "count", "所", "at_least", "10", None, "6", "steps",
     {"steps": [["0.6", "0.6"], ["0.8", "0.8"], ["1", "1"]]}, ["区教体局"], []),
    ("B05", "新建公园游园", "count", "个", "at_least", "43", None, "4", "ratio",
     {}, ["区城管局"], []),
    ("B06", "国土绿化", "count", "万亩", "at_least", "1.35", None, "4", "ratio",
     {}, ["区农委"], ["区自然资源局"]),
    ("B07", "老旧小区改造（10 月底前完成 60%）", "count", "个", "at_least", "24", None, "6",
     "ratio", {"plan": {"10": "14.4"}}, ["区住建局"], []),
    ("B08", "标准化农贸市场", "count", "家", "at_least", "8", None, "4", "ratio",
     {}, ["区商务局"], ["区市场监管局"]),
    # Shared by the towns, each with its share (the breakdown's own goal per unit).
    ("C01", "老旧小区改造（镇街分解）", "count", "个", "at_least", "24", None, "20", "ratio",
     {"floor": "0.5"}, [TOWNS_SHARE], []),
    ("C02", "国土绿化（镇街分解）", "count", "亩", "at_least", "13500", None, "20", "ratio",
     {}, [TOWNS_SHARE], []),
    ("C03", "安全生产：较大及以上事故起数", "count", "起", "at_most", "0", None, "10",
     "pass_fail", {"veto": True}, [TOWNS_SHARE], []),
]  # fmt: skip

# Every unit answers for its year's key tasks (年度重点工作), reported as % complete.
KEY_TASKS = ("Z", "年度重点工作任务完成进度", "milestone", "%", "at_least", "100", None, "50",
             "ratio", {"floor": "0.6"})  # fmt: skip


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _rows(units: list[OrgUnit]) -> tuple[list[TargetRow], dict[str, dict[str, Decimal]]]:
    """The breakdown rows, and the towns' own goals per shared target code."""
    towns = [u for u in units if u.kind == OrgUnit.Kind.TOWN]
    names = {u.name for u in units}
    rows, shares = [], {}
    for number, (code, title, kind, measure, direction, goal, stretch, points, method, extra,
                 lead, support) in enumerate(REPORT_TARGETS, start=1):  # fmt: skip
        lead_names = [t.name for t in towns] if lead == [TOWNS_SHARE] else lead
        if lead == [TOWNS_SHARE]:
            total = Decimal(goal)
            shares[code] = {t.name: (total / len(towns)).quantize(Decimal("0.0001")) for t in towns}
        rows.append(_row(number, code, title, kind, measure, direction, goal, stretch, points,
                         method, extra, [n for n in lead_names if n in names],
                         [n for n in support if n in names]))  # fmt: skip
    code, title, kind, measure, direction, goal, stretch, points, method, extra = KEY_TASKS
    for number, unit in enumerate(units, start=len(rows) + 1):
        rows.append(
            _row(
                number,
                f"{code}{unit.code}",
                f"{unit.name}{title}",
                kind,
                measure,
                direction,
                goal,
                stretch,
                points,
                method,
                extra,
                [unit.name],
                [],
            )  # fmt: skip
        )
    return rows, shares


def _row(number, code, title, kind, measure, direction, goal, stretch, points, method, extra,
         lead, support) -> TargetRow:  # fmt: skip
    return TargetRow(
        row=number + 1,
        code=code,
        title=title,
        kind=kind,
        measure=measure,
        direction=direction,
        baseline=None,
        goal=Decimal(goal),
        stretch=_decimal(stretch),
        points=Decimal(points),
        method=method,
        floor=Decimal(extra.get("floor", "0")),
        cap=Decimal(extra.get("cap", "1")),
        steps=tuple((Decimal(t), Decimal(s)) for t, s in extra.get("steps", ())),
        bonus=Decimal(extra.get("bonus", "0")),
        veto=bool(extra.get("veto", False)),
        period="quarter",
        lead=tuple(lead),
        support=tuple(support),
    )


def _value(rng: random.Random, target_unit: TargetUnit, month: int, standing: float) -> Decimal:
    """A unit's cumulative value at the end of ``month``: near the plan, better or worse by
    its standing (0 weakest … 1 strongest)."""
    target = target_unit.target
    line = target_unit.engine_target()
    if target.direction == Target.Direction.AT_MOST:
        if target.goal == 0:  # an accident count: almost always none
            return Decimal(1 if standing < 0.04 and month >= 6 else 0)
        return (target.goal * Decimal(0.8 + 0.3 * (1 - standing))).quantize(Q)
    level = planned(target, line, month)
    base = line.goal if level is None else level.goal
    factor = 0.75 + 0.45 * standing + rng.uniform(-0.05, 0.05)
    return (base * Decimal(str(factor))).quantize(Q, rounding=ROUND_HALF_UP)


def load_demo_targets(
    district: District, year: int, *, quarters: int, actor, liaison=None, today=None
) -> dict[str, int]:
    """Import the breakdown of ``year`` for ``district``'s units and report ``quarters``
    quarters through the services, as the liaisons and the office did at the time."""
    units = list(OrgUnit.objects.filter(district=district, active=True).order_by("code"))
    rows, shares = _rows(units)
    targets_import(district=district, year=year, rows=rows, actor=actor)
    for code, goals in shares.items():
        for target_unit in TargetUnit.objects.filter(
            target__district=district, target__year=year, target__code=code
        ).select_related("org_unit"):
            target_unit.goal = goals[target_unit.org_unit.name]
            target_unit.points = None
            target_unit.save(update_fields=["goal", "points"])

    # The demo's reports carry no files (hundreds of them would fill var/media); the demo's
    # liaison attaches one when trying the form.
    Target.objects.filter(district=district, year=year).update(evidence_required=False)
    rng = random.Random(f"{SEED}-{year}")
    settings = year_settings(district, year)
    standing = {u.pk: rng.random() for u in units}
    # Two units fall clearly behind in the current year (the red ones of the ledger).
    behind = {units[3].pk, units[11].pk} if quarters < 4 else set()
    breakdown = list(
        TargetUnit.objects.filter(target__district=district, target__year=year)
        .select_related("target", "org_unit")
        .order_by("target__code", "org_unit__code")
    )
    counts = {"reports": 0, "late": 0, "returned": 0, "notices": 0}
    for quarter in range(1, quarters + 1):
        month = quarter * 3
        due = reports.due_date(year=year, month=month, due_day=settings.due_day)
        for index, target_unit in enumerate(breakdown):
            unit_standing = (
                0.05 if target_unit.org_unit_id in behind else standing[target_unit.org_unit_id]
            )
            value = _value(rng, target_unit, month, unit_standing)
            late = rng.random() < 0.04
            day = due + datetime.timedelta(days=3) if late else due - datetime.timedelta(days=2)
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(16, 30)))
            report = reports.report_submit(
                target_unit=target_unit,
                month=month,
                value=value,
                text=f"{quarter} 季度累计完成 {value}{target_unit.target.measure}。",
                files=(),
                actor=liaison or actor,
                at=at,
            )
            counts["reports"] += 1
            counts["late"] += late
            returned_now = quarter == quarters and quarters < 4 and index == 7
            if returned_now:
                reports.report_return(
                    report=report,
                    reason="佐证材料不全：请补充项目开工证明后重新报送。",
                    actor=actor,
                    at=at + datetime.timedelta(days=1),
                )
                counts["returned"] += 1
                continue
            reports.report_accept(report=report, actor=actor, at=at + datetime.timedelta(days=1))
    if quarters < 4:
        counts["notices"] += _notice(district, year, quarters, behind, actor)
    return counts


def _notice(district, year, quarters, behind, actor) -> int:
    """One 督办单 to the first unit behind plan, on its lead target furthest behind."""
    report = (
        Report.objects.filter(
            target_unit__org_unit_id__in=sorted(behind)[:1],
            target_unit__target__year=year,
            target_unit__target__district=district,
            month=quarters * 3,
            status=Report.Status.ACCEPTED,
        )
        .select_related("target_unit__target", "target_unit__org_unit")
        .order_by("target_unit__target__code")
        .first()
    )
    if report is None:
        return 0
    month = quarters * 3
    issued = timezone.make_aware(datetime.datetime(year, month + 1, 20, 10, 0))
    notice_issue(
        target_unit=report.target_unit,
        kind="supervise",
        reason=f"{report.target_unit.target.title}截至 {month} 月底严重落后于进度计划。",
        demand="请于 15 日内制定追赶措施，按月报送进展，确保年底完成全年目标。",
        due_date=(issued + datetime.timedelta(days=15)).date(),
        actor=actor,
        at=issued,
    )
    return 1
