"""Writes for targets (docs/targets.md, "Stored"): keyword-only, atomic, audited."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from org.models import District, OrgUnit

from .line_state import refresh_year
from .models import Target, TargetUnit
from .workbook import TargetRow


@transaction.atomic
def targets_import(
    *, district: District, year: int, rows: Sequence[TargetRow], actor
) -> dict[str, int]:
    """Store the parsed breakdown workbook of ``district``'s ``year``: a target of a known code is
    updated and its breakdown replaced by the workbook's, a new code is added, and a target the
    workbook leaves out is kept as it was (nothing is removed by an import). Returns the counts
    the audit entry records."""
    units = {
        unit.name: unit
        for unit in OrgUnit.objects.filter(
            district=district, name__in={n for row in rows for n in (*row.lead, *row.support)}
        )
    }
    created = updated = 0
    for row in rows:
        target, made = Target.objects.update_or_create(
            district=district,
            year=year,
            code=row.code,
            defaults={
                "title": row.title,
                "kind": row.kind,
                "measure": row.measure,
                "direction": row.direction,
                "baseline": row.baseline,
                "goal": row.goal,
                "stretch": row.stretch,
                "points": row.points,
                "method": row.method,
                "floor": row.floor,
                "cap": row.cap,
                "steps": [[str(t), str(s)] for t, s in row.steps],
                "bonus": row.bonus,
                "veto": row.veto,
                "period": row.period,
                "plan": {str(month): str(value) for month, value in row.plan},
            },
        )
        created, updated = created + made, updated + (not made)
        # The breakdown in place: a unit kept keeps its row (and what will hang off it later).
        roles = {units[n].pk: TargetUnit.Role.LEAD for n in row.lead}
        roles |= {units[n].pk: TargetUnit.Role.SUPPORT for n in row.support}
        target.units.exclude(org_unit_id__in=roles).delete()
        shares = {units[name].pk: (goal, points) for name, goal, points in row.shares}
        for org_unit_id, role in roles.items():
            goal, points = shares.get(org_unit_id, (None, None))
            TargetUnit.objects.update_or_create(
                target=target,
                org_unit_id=org_unit_id,
                defaults={"role": role, "goal": goal, "points": points},
            )
    # A goal, a plan or a breakdown changed moves the stored scores and colours of the year
    # (docs/targets.md, "Stored scores").
    refresh_year(district, year)
    counts = {"created": created, "updated": updated}
    audit(
        session=None,
        actor=actor,
        action="targets.import",
        message=_("导入%(district)s%(year)s年目标分解表：新增 %(created)s 项，更新 %(updated)s 项")
        % {"district": district.name, "year": year, **counts},
        district=district.code,
        year=year,
        **counts,
    )
    return counts
