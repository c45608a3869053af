"""目标填报 pages under /targets/<district code>/<year>/ (docs/targets.md, "Reports (目标填报)"
and "Who does what").

A unit's liaison (单位填报员) sees their unit's targets by period and reports on them; nobody
else reaches those pages (404). District staff read the review queue and each report; the
supervising office (督查室) and organisers accept, return and correct (403 for other staff).
A report's files are served to the district's staff and to the liaison of its unit only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.colours import Colour
from org import access
from sessions.views.access import form_error

from .. import report_selectors, reports, scores
from ..engine import plain
from ..forms import AcceptForm, CorrectForm, QueueFilterForm, ReportForm, ReturnForm
from ..forms import ReviewActionForm as Action
from ..models import Report, ReportFile, TargetUnit
from .access import YEARS, district_for_staff, unit_for_liaison, year_context

PREFIX = "<slug:district>/<int:year>/"
# The office's forms each state of a report shows.
SHOWN = {
    Report.Status.SUBMITTED: (Action.ACCEPT, Action.RETURN),
    Report.Status.ACCEPTED: (Action.CORRECT,),
}
REVIEW_FORMS = {Action.ACCEPT: AcceptForm, Action.RETURN: ReturnForm, Action.CORRECT: CorrectForm}


# ---------------------------------------------------------------------------- the liaison


@login_required
@require_GET
def unit_reports(request, district, year):
    unit = unit_for_liaison(request, district, year)
    lines = report_selectors.unit_lines(unit, year)
    return render(
        request,
        "targets/reports/unit_reports.html",
        year_context(
            request,
            unit.district,
            year,
            liaison_unit=unit,
            lines=lines,
            overdue=sum(p.overdue for line in lines for p in line.periods),
            waiting=sum(
                p.status == Report.Status.SUBMITTED for line in lines for p in line.periods
            ),
            returned=sum(
                p.status == Report.Status.RETURNED for line in lines for p in line.periods
            ),
        ),
    )


def _line_for(unit, year: int, pk: int) -> TargetUnit:
    """A breakdown line of the liaison's own unit in ``year``: any other is a 404."""
    return get_object_or_404(
        TargetUnit.objects.select_related("target__district"),
        pk=pk,
        org_unit=unit,
        target__year=year,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_submit(request, district, year, target_unit, month):
    unit = unit_for_liaison(request, district, year)
    line = _line_for(unit, year, target_unit)
    line.org_unit = unit
    if month not in scores.period_months(line.target):
        raise Http404(_("这个目标没有以该月结束的填报期。"))
    period = report_selectors.period_of(line, month)
    report = period.report
    status = 200
    if request.method == "POST" and period.can_submit:
        form = ReportForm(request.POST, request.FILES)
        status = 422
        if form.is_valid():
            try:
                reports.report_submit(
                    target_unit=line, month=month, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已报送“%(target)s”%(month)s月完成值，等待督查室审核。")
                    % {"target": line.target.title, "month": month},
                )
                return redirect("targets:unit_reports", unit.district.code, year)
    elif request.method == "POST":
        # Submitted meanwhile (another tab, a colleague): say so rather than store twice.
        form, status = None, 409
        messages.error(request, _("本期已报送，不能重复报送。"))
    elif report is not None and period.can_submit:
        form = ReportForm(initial={"value": plain(report.value), "text": report.text})
    else:
        form = ReportForm() if period.can_submit else None
    return render(
        request,
        "targets/reports/report_form.html",
        year_context(
            request,
            unit.district,
            year,
            liaison_unit=unit,
            line=line,
            period=period,
            form=form,
            files=list(report.files.all()) if report else [],
            events=report_selectors.history(report) if report else [],
            late_now=timezone.localdate() > period.due,
        ),
        status=status,
    )


# ---------------------------------------------------------------------------- the office


@login_required
@require_GET
def review_queue(request, district, year):
    district = district_for_staff(request, district, year)
    units = report_selectors.report_units(district, year)
    form = QueueFilterForm(request.GET or None, units=units)
    filters = (
        form.filters()
        if request.GET
        else {"org_unit": None, "month": None, "status": Report.Status.SUBMITTED}
    )
    return render(
        request,
        "targets/reports/review_queue.html",
        year_context(
            request,
            district,
            year,
            form=form,
            filters=filters,
            reports=report_selectors.review_queue(district, year, **filters),
        ),
    )


def _report_for(district, year: int, pk: int) -> Report:
    try:
        return report_selectors.report_for(district, year, pk)
    except Report.DoesNotExist:
        raise Http404(_("没有这份填报。")) from None


def _review(request, report: Report, action: str, form):
    """Call the service the sent form names; the form carries its errors when refused."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        if action == Action.ACCEPT:
            reports.report_accept(report=report, actor=request.user)
            messages.success(request, _("已审核通过。"))
        elif action == Action.RETURN:
            reports.report_return(report=report, reason=data["reason"], actor=request.user)
            messages.success(request, _("已退回，单位填报员会看到退回理由。"))
        else:
            reports.report_correct(
                report=report, value=data["value"], reason=data["reason"], actor=request.user
            )
            messages.success(request, _("已更正完成值，原值和理由记入填报记录。"))
    except ValidationError as exc:
        form_error(form, exc)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request, district, year, pk):
    district = district_for_staff(request, district, year, manage=request.method == "POST")
    report = _report_for(district, year, pk)
    forms = {
        Action.ACCEPT: AcceptForm(),
        Action.RETURN: ReturnForm(),
        Action.CORRECT: CorrectForm(initial={"value": plain(report.value)}),
    }
    status, refused = 200, []
    if request.method == "POST":
        chosen = Action(request.POST)
        if not chosen.is_valid():
            return redirect("targets:report_detail", district.code, year, report.pk)
        action = chosen.cleaned_data["action"]
        form = REVIEW_FORMS[action](request.POST)
        if _review(request, report, action, form):
            return redirect("targets:report_detail", district.code, year, report.pk)
        forms[action], status = form, 422
        # A form the report's state does not show (reviewed meanwhile in another tab) still
        # says why it was refused, above the report.
        report = _report_for(district, year, pk)
        if action not in SHOWN.get(report.status, ()):
            refused = [str(error) for error in form.non_field_errors()]
    line = report.target_unit
    settings = scores.year_settings(district, year)
    colour, why = ("", "")
    if report.status != Report.Status.RETURNED:
        colour, why = scores.report_colour(report.value, line, report.month, settings.yellow_from)
    return render(
        request,
        "targets/reports/report_detail.html",
        year_context(
            request,
            district,
            year,
            report=report,
            line=line,
            refused=refused,
            value=plain(report.value),
            due=reports.due_date(year=year, month=report.month, due_day=settings.due_day),
            colour=colour,
            colour_label=Colour(colour).label if colour else "",
            why=why,
            files=list(report.files.all()),
            events=report_selectors.history(report),
            accept_form=forms[Action.ACCEPT],
            return_form=forms[Action.RETURN],
            correct_form=forms[Action.CORRECT],
        ),
        status=status,
    )


# ---------------------------------------------------------------------------- files


@login_required
@require_GET
def report_file(request, district, year, pk):
    """A report's file, to the district's staff and to the liaison of the report's unit; any
    other user is told it does not exist."""
    if year not in YEARS:
        raise Http404(_("没有这个年度。"))
    found = get_object_or_404(
        ReportFile.objects.select_related("report__target_unit__target__district"),
        pk=pk,
        report__target_unit__target__district__code=district,
        report__target_unit__target__year=year,
    )
    line = found.report.target_unit
    staff = access.can_view(request.user, line.target.district_id)
    liaison = access.liaison_units(request.user).filter(pk=line.org_unit_id).exists()
    if not (staff or liaison):
        raise Http404(_("没有这个文件。"))
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=found.name
    )
    return response


urlpatterns = [
    path(PREFIX + "unit/", unit_reports, name="unit_reports"),
    path(PREFIX + "unit/<int:target_unit>/<int:month>/", report_submit, name="report_submit"),
    path(PREFIX + "reports/", review_queue, name="review_queue"),
    path(PREFIX + "reports/<int:pk>/", report_detail, name="report_detail"),
    path(PREFIX + "reports/files/<int:pk>/", report_file, name="report_file"),
]
