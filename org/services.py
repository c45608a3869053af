"""Writes for districts and their persistent units (docs/design.md, "OrgUnit")."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from .models import District, OrgUnit, OrgUnitName

CODE_WIDTH = 4  # U0001: codes are stable once given, whatever the unit is later called


def default_district() -> District:
    """The installation's own district (settings ``HUIJI_DISTRICT_CODE``, ``_NAME``), made on
    first use: a one-district installation never has to think about districts, and a session
    made without naming one joins it."""
    district, _created = District.objects.get_or_create(
        code=settings.HUIJI_DISTRICT_CODE, defaults={"name": settings.HUIJI_DISTRICT_NAME}
    )
    return district


def next_code(district: District) -> str:
    numbers = [
        int(code[1:])
        for code in OrgUnit.objects.filter(district=district, code__regex=r"^U[0-9]+$").values_list(
            "code", flat=True
        )
    ]
    return f"U{max(numbers, default=0) + 1:0{CODE_WIDTH}d}"


@transaction.atomic
def org_unit_for(*, district_id: int, name: str, category: str, kind: str, year: int) -> OrgUnit:
    """The district's unit a session's unit ``name`` in ``category`` is, made if new.

    A unit is one the district knows when it has that name, now or before, and is ranked in
    a category of the same name: a rank is only comparable within a category, so a unit
    moved to another category starts afresh. Matching is on exact names within one district;
    a renamed unit is linked by hand and its OrgUnit keeps the old names.
    """
    # The district's row is the lock: two imports naming the same new unit make one OrgUnit.
    district = District.objects.select_for_update().get(pk=district_id)
    unit = (
        OrgUnit.objects.filter(district=district, category=category)
        .filter(Q(name=name) | Q(names__name=name))
        .order_by("id")
        .first()
    )
    if unit is None:
        unit = OrgUnit.objects.create(
            district=district, code=next_code(district), name=name, kind=kind, category=category
        )
    OrgUnitName.objects.get_or_create(unit=unit, name=name, defaults={"since": year})
    return unit


def record_name(*, unit: OrgUnit, name: str, year: int) -> None:
    """A session renamed its unit: the OrgUnit takes the new name and keeps the old one."""
    OrgUnitName.objects.get_or_create(unit=unit, name=name, defaults={"since": year})
    if unit.name != name:
        unit.name = name
        unit.save(update_fields=["name"])
