"""The targets landing page: the years a user may open, by district (or their own unit's)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from org import access

from ..models import Target


@login_required
@require_GET
def home(request):
    districts = list(access.visible_districts(request.user))
    units = list(access.liaison_units(request.user))
    if not districts and not units:
        raise PermissionDenied(_("您的账号没有访问目标管理的权限。"))
    years = {}
    for district_id, year in (
        Target.objects.filter(district__in=[*districts, *(u.district for u in units)])
        .values_list("district_id", "year")
        .distinct()
        .order_by("-year")
    ):
        years.setdefault(district_id, []).append(year)
    if len(units) == 1 and not districts and len(years.get(units[0].district_id, [])) == 1:
        unit = units[0]
        return redirect("targets:unit_reports", unit.district.code, years[unit.district_id][0])
    return render(
        request,
        "targets/home.html",
        {
            "districts": [(d, years.get(d.pk, [])) for d in districts],
            "units": [(u, years.get(u.district_id, [])) for u in units],
        },
    )
