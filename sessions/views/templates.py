"""A district's session templates, edited by its organisers (sessions/template_services.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from org import access
from org.models import District

from .. import template_services
from ..forms import SessionTemplateForm
from ..models import ReviewSession
from .access import form_error, require_organiser


def _district_for_organiser(request, code: str) -> District:
    """Only a district the user organises: another is not found (404)."""
    require_organiser(request)
    return get_object_or_404(access.districts_where(request.user, access.Role.ORGANISER), code=code)


@login_required
@require_GET
def template_list(request):
    require_organiser(request)
    districts = [
        (district, template_services.templates_of(district))
        for district in access.districts_where(request.user, access.Role.ORGANISER)
    ]
    return render(request, "sessions/template_list.html", {"districts": districts})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, district, kind):
    district = _district_for_organiser(request, district)
    if kind not in ReviewSession.Kind.values:
        raise Http404
    template = template_services.template_for(district, kind)
    initial = {
        "title": template.title,
        "categories": template_services.categories_text(template),
        "groups": template_services.groups_text(template),
    }
    form = SessionTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            template_services.template_update(
                template=template, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("已保存%(district)s的“%(kind)s”模板；此后新建的评议会按新模板预置。")
                % {"district": district.name, "kind": template.get_kind_display()},
            )
            return redirect("review:template_list")
    return render(
        request,
        "sessions/template_edit.html",
        {"form": form, "template": template, "district": district},
        status=422 if request.method == "POST" else 200,
    )
