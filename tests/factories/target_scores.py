"""Accepted values and varied targets for the scores' tests (targets/scores.py, the results
pages, and 目标考核 taken into a review session)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from targets.line_state import refresh_lines
from targets.models import Report, Target, TargetUnit

from .targets import TargetFactory, TargetUnitFactory

D = Decimal


def line_of(unit, *, role=TargetUnit.Role.LEAD, unit_goal=None, unit_points=None, **target):
    """A new target of ``unit``'s district (fields as given), broken down to ``unit`` (with
    its own goal and points when given)."""
    made = TargetFactory(district=unit.district, **target)
    return TargetUnitFactory(
        target=made, org_unit=unit, role=role, goal=unit_goal, points=unit_points
    )


def also(line, unit, *, role=TargetUnit.Role.SUPPORT, goal=None, points=None):
    """``line``'s target broken down to ``unit`` too."""
    return TargetUnitFactory(target=line.target, org_unit=unit, role=role, goal=goal, points=points)


def accepted(line, value, *, month=12) -> Report:
    """An accepted report of ``line`` for the period ending in ``month`` (made directly: the
    workflow that leads to it is tested in tests/targets/test_reports.py)."""
    now = timezone.now()
    report = Report.objects.create(
        target_unit=line,
        month=month,
        value=D(value),
        status=Report.Status.ACCEPTED,
        submitted_at=now,
        reviewed_at=now,
    )
    refresh_lines([line.pk])
    return report


def waiting(line, value, *, month=12) -> Report:
    """A report submitted and not yet accepted: the scores never read it."""
    report = Report.objects.create(
        target_unit=line, month=month, value=D(value), submitted_at=timezone.now()
    )
    refresh_lines([line.pk])
    return report


# docs/targets.md's worked examples as targets (fields of targets.models.Target), with the
# result each is given in the examples.
GDP = {"title": "生产总值增长", "goal": D(7), "points": D(10), "measure": "%"}
REVENUE = {
    "title": "一般公共预算收入增长",
    "goal": D(6),
    "stretch": D(8),
    "points": D(10),
    "bonus": D(2),
    "measure": "%",
}
PARKING = {
    "title": "新增停车泊位",
    "kind": Target.Kind.COUNT,
    "goal": D(4000),
    "points": D(8),
    "method": Target.Method.STEPS,
    "steps": [["0.8", "0.6"], ["0.9", "0.8"], ["1", "1"]],
    "measure": "个",
}
URBAN = {
    "title": "城镇化率提高",
    "baseline": D("70.2"),
    "goal": D("70.7"),
    "points": D(6),
    "floor": D("0.5"),
    "measure": "%",
}
UNEMPLOYMENT = {
    "title": "调查失业率",
    "direction": Target.Direction.AT_MOST,
    "goal": D(5),
    "points": D(5),
    "method": Target.Method.PASS_FAIL,
    "measure": "%",
}
SAFETY = {
    "title": "重大安全生产事故",
    "direction": Target.Direction.AT_MOST,
    "goal": D(0),
    "points": D(0),
    "method": Target.Method.PASS_FAIL,
    "veto": True,
    "measure": "起",
}


def worked_example_unit(unit, *, accident: int | None = 0) -> list[TargetUnit]:
    """``unit`` with docs/targets.md's worked examples (6.3, 7, 3,600, 70.5, and the safety
    target with ``accident`` accidents, None: unreported): 30.00 of 34 points, or 0 after a
    veto."""
    lines = []
    for fields, value in ((GDP, "6.3"), (REVENUE, "7"), (PARKING, "3600"), (URBAN, "70.5")):
        line = line_of(unit, **fields)
        accepted(line, value)
        lines.append(line)
    safety = line_of(unit, **SAFETY)
    if accident is not None:
        accepted(safety, accident)
    lines.append(safety)
    return lines
