"""Writes for targets (docs/targets.md, "Stored"): keyword-only, atomic, audited."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from org.models import District, OrgUnit

from .line_state import refresh_lines
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
    # Only the lines of a target whose rules or breakdown the workbook changes are rescored
    # (docs/targets.md, "Stored scores"): a line's stored state depends on its own target, its
    # own share and its own reports, nothing else, and a year's workbook is mostly handed in
    # again with a few rows changed.
    before = {
        target.code: target
        for target in Target.objects.filter(
            district=district, year=year, code__in=[r.code for r in rows]
        )
    }
    # target id → org unit id → (line id, (role, goal, points)): each target's breakdown as
    # stored, looked up per row rather than searched for among all the year's lines.
    lines_before: dict[int, dict[int, tuple]] = defaultdict(dict)
    for pk, target_id, org_unit_id, role, goal, points in TargetUnit.objects.filter(
        target__in=list(before.values())
    ).values_list("pk", "target_id", "org_unit_id", "role", "goal", "points"):
        lines_before[target_id][org_unit_id] = (pk, (role, goal, points))
    changed: set[int] = set()
    # The breakdown is written in bulk once every row is read: a year's workbook is thousands
    # of lines, and a query per line made an import of 12,000 take 15 s.
    removed: list[int] = []
    added: list[TargetUnit] = []
    altered: list[TargetUnit] = []
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
        shares = {units[name].pk: (goal, points) for name, goal, points in row.shares}
        old_breakdown = lines_before.get(target.pk, {})
        removed += [pk for unit_id, (pk, _v) in old_breakdown.items() if unit_id not in roles]
        moved = (
            made or _rules(before[row.code]) != _rules(target) or set(old_breakdown) != set(roles)
        )
        for org_unit_id, role in roles.items():
            goal, points = shares.get(org_unit_id, (None, None))
            values = {"role": role, "goal": goal, "points": points}
            if org_unit_id not in old_breakdown:
                added.append(TargetUnit(target=target, org_unit_id=org_unit_id, **values))
            elif old_breakdown[org_unit_id][1] != (role, goal, points):
                altered.append(TargetUnit(pk=old_breakdown[org_unit_id][0], **values))
                moved = True
        if moved:
            changed.add(target.pk)
    TargetUnit.objects.filter(pk__in=removed).delete()
    TargetUnit.objects.bulk_create(added, batch_size=2000)
    TargetUnit.objects.bulk_update(altered, ["role", "goal", "points"], batch_size=2000)
    # A goal, a plan or a breakdown changed moves the stored scores and colours of its lines.
    refresh_lines(TargetUnit.objects.filter(target_id__in=changed).values_list("pk", flat=True))
    counts = {"created": created, "updated": updated, "rescored": len(changed)}
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


# What a line's stored score and colours are computed from, of its target (the rest, such as the
# title, only names it).
_RULE_FIELDS = (
    "kind", "direction", "baseline", "goal", "stretch", "points", "method", "floor", "cap",
    "steps", "bonus", "veto", "period", "plan",
)  # fmt: skip


def _rules(target: Target) -> tuple:
    return tuple(_normalised(getattr(target, name)) for name in _RULE_FIELDS)


def _normalised(value):
    """Decimals compared by value (the row's 100 and the stored 100.0000 are one goal)."""
    if isinstance(value, Decimal):
        return value.normalize()
    return value
