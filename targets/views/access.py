"""Who reaches which targets page (docs/targets.md, "Who does what").

Every view calls one of these first, healthchecks-style: a district the user has no role in is
not found (404), so nobody learns what another district holds; a liaison (单位填报员) reaches
only their own unit's pages, and district staff never act as a liaison.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from org import access
from org.models import District, OrgUnit

YEARS = range(2000, 2101)


def _year(year: int) -> int:
    if year not in YEARS:
        raise Http404(_("没有这个年度。"))
    return year


def district_for_staff(request, code: str, year: int, *, manage: bool = False) -> District:
    """The district of ``code`` where the user is staff; with ``manage``, only for the
    supervising office (督查室) and organisers there (403 for its other staff)."""
    _year(year)
    district = get_object_or_404(access.visible_districts(request.user), code=code)
    if manage and not access.can_manage_targets(request.user, district.pk):
        raise PermissionDenied(_("只有督查室和组织者可以执行此操作。"))
    return district


def unit_for_liaison(request, code: str, year: int) -> OrgUnit:
    """The unit the user reports for in district ``code`` (404 when they report for none)."""
    _year(year)
    return get_object_or_404(access.liaison_units(request.user), district__code=code)


def year_context(request, district: District, year: int, **extra) -> dict:
    """What every targets page's template reads (templates/targets/_nav.html)."""
    return {
        "district": district,
        "year": year,
        "can_manage": access.can_manage_targets(request.user, district.pk),
        **extra,
    }
