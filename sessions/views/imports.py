"""Excel import in the browser (docs/design.md §5): a new session from a workbook, units and
raters into a draft session, and the template workbook to start from."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from org.access import can_organise

from .. import imports, services
from ..forms import XLSX_TYPE, SessionImportIntoForm, WorkbookUploadForm, add_district_field
from ..workbook import (
    Problem,
    parse_session_workbook,
    problems_of,
    template_workbook_bytes,
)
from .access import (
    get_session_for_user,
    organised_districts,
    require_organiser,
    require_staff_role,
)


def _upload_form(request) -> WorkbookUploadForm:
    # Bound on every POST, even an empty one, so that a missing file is reported.
    if request.method == "POST":
        return WorkbookUploadForm(request.POST, request.FILES)
    return WorkbookUploadForm()


@login_required
@require_http_methods(["GET", "POST"])
def session_import(request):
    require_organiser(request)
    districts = organised_districts(request.user)
    form = _upload_form(request)
    add_district_field(form, districts)
    problems: list[Problem] = []
    if request.method == "POST" and form.is_valid():
        try:
            workbook = parse_session_workbook(form.cleaned_data["file"])
            session = imports.session_create_from_workbook(
                workbook=workbook,
                actor=request.user,
                district=form.cleaned_data.get("district") or districts[0],
            )
        except ValidationError as exc:
            problems = problems_of(exc)
        else:
            messages.success(
                request,
                _("已从 Excel 创建评议会“%(title)s”（草稿）。") % {"title": session.title},
            )
            warning = services.session_date_warning(
                kind=session.kind, year=session.year, date=session.date
            )
            if warning:
                messages.warning(request, warning)
            return redirect(session)
    return render(
        request,
        "sessions/import_session.html",
        {"form": form, "problems": problems},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_import_into(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    if request.method == "POST":
        form = SessionImportIntoForm(request.POST, request.FILES)
    else:
        form = SessionImportIntoForm()
    problems: list[Problem] = []
    if not session.is_editable:
        # Checked before reading any upload; the service refuses too (docs/design.md §3).
        problems = [
            Problem(
                _("评议会状态为“%(status)s”，只有草稿状态的评议会可以导入单位和评议人。")
                % {"status": session.get_status_display()}
            )
        ]
    elif request.method == "POST" and form.is_valid():
        try:
            workbook = parse_session_workbook(form.cleaned_data["file"], require_meta=False)
            summary = imports.session_import_into(
                session=session,
                workbook=workbook,
                actor=request.user,
                add_codes=form.cleaned_data["add_codes"],
            )
        except ValidationError as exc:
            problems = problems_of(exc)
        else:
            messages.success(request, _("导入完成：%(summary)s。") % {"summary": summary})
            return redirect("review:units", slug)
    status = 200
    if request.method == "POST":
        status = 422 if session.is_editable else 409
    return render(
        request,
        "sessions/import_into.html",
        {
            "session": session,
            "can_organise": can_organise(request.user, session.district_id),
            "form": form,
            "problems": problems,
        },
        status=status,
    )


@login_required
@require_GET
def import_template(request):
    require_staff_role(request)
    response = HttpResponse(template_workbook_bytes(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_("评议会导入模板.xlsx")
    )
    return response
