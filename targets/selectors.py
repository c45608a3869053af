"""Reads for targets (docs/targets.md, "Stored")."""

from __future__ import annotations

from decimal import Decimal

from org.models import District

from .models import Target, TargetUnit
from .workbook import TargetRow


def breakdown_rows(*, district: District, year: int) -> list[TargetRow]:
    """A district's targets of a year as the breakdown workbook's rows, by code."""
    targets = (
        Target.objects.filter(district=district, year=year)
        .prefetch_related("units__org_unit")
        .order_by("code")
    )
    rows = []
    for target in targets:
        units = sorted(target.units.all(), key=lambda u: u.org_unit.name)
        rows.append(
            TargetRow(
                row=0,
                code=target.code,
                title=target.title,
                kind=target.kind,
                measure=target.measure,
                direction=target.direction,
                baseline=target.baseline,
                goal=target.goal,
                stretch=target.stretch,
                points=target.points,
                method=target.method,
                floor=target.floor,
                cap=target.cap,
                steps=target.rule().steps,
                bonus=target.bonus,
                veto=target.veto,
                period=target.period,
                lead=tuple(u.org_unit.name for u in units if u.role == TargetUnit.Role.LEAD),
                support=tuple(u.org_unit.name for u in units if u.role == TargetUnit.Role.SUPPORT),
                plan=tuple(
                    sorted((int(m), Decimal(str(v))) for m, v in (target.plan or {}).items())
                ),
                shares=tuple(
                    (u.org_unit.name, u.goal, u.points)
                    for u in units
                    if u.goal is not None or u.points is not None
                ),
            )
        )
    return rows
