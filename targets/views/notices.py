"""目标进度, the ledger (台账), notices (督办通知), spot checks (随机抽查) and the breakdown
workbook's upload and download, under /targets/<district code>/<year>/ (docs/targets.md,
"Colours", "Notices (督办单, 警示单, 诫勉谈话)", "The ledger (台账)", "Spot checks (随机抽查)").

Every district staff role reads these pages; the supervising office (督查室) and organisers
issue and close notices, draw spot checks and import the workbook (403 for the others).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.colours import Colour
from core.pdf import FONT_URL, html_to_pdf
from org.models import District, OrgUnit
from sessions.forms import XLSX_TYPE
from sessions.views.access import form_error
from sessions.workbook import problems_of

from .. import ledger, selectors, services
from ..forms import (
    NoticeCloseForm,
    NoticeFilterForm,
    NoticeIssueForm,
    OverviewFilterForm,
    SpotCheckForm,
    TargetsUploadForm,
)
from ..models import Notice, Report, SpotCheck, Target
from ..notices import notice_close, notice_issue, notice_reference, spot_check_draw
from ..workbook import parse_targets_workbook, workbook_bytes
from .access import district_for_staff, year_context

PREFIX = "<slug:district>/<int:year>/"


# ---------------------------------------------------------------------------- 目标进度


def _units_of(district: District, year: int) -> list[OrgUnit]:
    return list(
        OrgUnit.objects.filter(targets__target__district=district, targets__target__year=year)
        .distinct()
        .order_by("code")
    )


OVERVIEW_PAGE_SIZE = 25  # targets per page of 目标进度


@login_required
@require_GET
def overview(request, district, year):
    district = district_for_staff(request, district, year)
    units = _units_of(district, year)
    form = OverviewFilterForm(request.GET or None, units=units)
    unit_code = colour = ""
    if request.GET and form.is_valid():
        unit_code, colour = form.cleaned_data["unit"], form.cleaned_data["colour"]
    filters = {"unit_code": unit_code or None, "colour": colour or None}
    # A page of targets at a time, chosen before any line is worked out: a district's whole
    # year is thousands of lines, several MB of table for a tablet on the hall's Wi-Fi
    # (docs/targets.md, "Colours").
    page = Paginator(
        ledger.overview_targets(district, year, **filters), OVERVIEW_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = ledger.overview(district, year, **filters, target_ids=list(page.object_list))
    return render(
        request,
        "targets/notices/overview.html",
        year_context(
            request,
            district,
            year,
            form=form,
            rows=rows,
            page=page,
            filtered=bool(unit_code or colour),
            target_count=Target.objects.filter(district=district, year=year).count(),
            colour_labels=dict(Colour.choices),
        ),
    )


# ---------------------------------------------------------------------------- 台账


@login_required
@require_GET
def ledger_summary(request, district, year):
    district = district_for_staff(request, district, year)
    ledgers = ledger.ledger_summary(district, year)
    totals = [sum(column) for column in zip(*(u.counts for u in ledgers), strict=True)]
    return render(
        request,
        "targets/notices/ledger.html",
        year_context(
            request,
            district,
            year,
            ledgers=ledgers,
            totals=totals or [0] * 6,
            clear_count=sum(1 for u in ledgers if u.clear),
            today=timezone.localdate(),
        ),
    )


@login_required
@require_GET
def ledger_unit(request, district, year, unit):
    district = district_for_staff(request, district, year)
    org_unit = get_object_or_404(OrgUnit, district=district, code=unit)
    found = ledger.unit_ledgers(district, year, unit_code=org_unit.code)
    if not found:
        raise Http404(_("这个单位在本年度没有分解到的目标，也没有未办结的督办事项。"))
    return render(
        request,
        "targets/notices/ledger_unit.html",
        year_context(
            request,
            district,
            year,
            unit=found[0],
            notices=[(n, notice_reference(n)) for n in found[0].open_notices],
            today=timezone.localdate(),
        ),
    )


# ---------------------------------------------------------------------------- notices


def _notices(district: District, year: int):
    return Notice.objects.filter(district=district, year=year).select_related(
        "target_unit__target", "target_unit__org_unit", "issued_by", "closed_by"
    )


@login_required
@require_GET
def notice_list(request, district, year):
    district = district_for_staff(request, district, year)
    form = NoticeFilterForm(request.GET or None)
    found = _notices(district, year)
    if request.GET and form.is_valid():
        state, kind = form.cleaned_data["state"], form.cleaned_data["kind"]
        if state:
            found = found.filter(closed_at__isnull=state == "open")
        if kind:
            found = found.filter(kind=kind)
    notices = [(n, notice_reference(n)) for n in found.order_by("-issued_at", "-pk")]
    return render(
        request,
        "targets/notices/notice_list.html",
        year_context(request, district, year, form=form, notices=notices),
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_new(request, district, year):
    district = district_for_staff(request, district, year, manage=True)
    status = 200
    if request.method == "POST":
        form = NoticeIssueForm(request.POST, district=district, year=year)
        status = 422
        if form.is_valid():
            try:
                notice = notice_issue(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已签发%(kind)s %(number)s。")
                    % {"kind": notice.get_kind_display(), "number": notice_reference(notice)},
                )
                return redirect("targets:notice_detail", district.code, year, notice.pk)
    else:
        # Prefilled from the ledger's links: ?target_unit=…&kind=….
        initial = {key: request.GET[key] for key in ("target_unit", "kind") if request.GET.get(key)}
        form = NoticeIssueForm(initial=initial, district=district, year=year)
    return render(
        request,
        "targets/notices/notice_new.html",
        year_context(request, district, year, form=form),
        status=status,
    )


def _notice_for(district: District, year: int, pk: int) -> Notice:
    return get_object_or_404(_notices(district, year), pk=pk)


def _history(notice: Notice) -> list[tuple[Notice, str]]:
    """Every notice on the same unit's target, in issue order (the escalation so far)."""
    found = Notice.objects.filter(target_unit_id=notice.target_unit_id).order_by("issued_at", "pk")
    return [(n, notice_reference(n)) for n in found]


@login_required
@require_http_methods(["GET", "POST"])
def notice_detail(request, district, year, pk):
    district = district_for_staff(request, district, year, manage=request.method == "POST")
    notice = _notice_for(district, year, pk)
    form, status = NoticeCloseForm(), 200
    if request.method == "POST":
        form, status = NoticeCloseForm(request.POST), 422
        if form.is_valid():
            try:
                notice_close(notice=notice, note=form.cleaned_data["note"], actor=request.user)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已销号。"))
                return redirect("targets:notice_detail", district.code, year, notice.pk)
    escalate = {
        Notice.Kind.SUPERVISE: Notice.Kind.WARNING,
        Notice.Kind.WARNING: Notice.Kind.ADMONISH,
    }.get(notice.kind)
    return render(
        request,
        "targets/notices/notice_detail.html",
        year_context(
            request,
            district,
            year,
            notice=notice,
            reference=notice_reference(notice),
            history=_history(notice),
            form=form,
            escalate=escalate,
            escalate_label=Notice.Kind(escalate).label if escalate else "",
        ),
        status=status,
    )


def notice_pdf_bytes(notice: Notice) -> bytes:
    """The printable notice: A4, the 文号, the unit, the target, reason, demand, due date, the
    issuing office and date, and room for the seal."""
    return html_to_pdf(notice_pdf_html(notice))


def notice_pdf_html(notice: Notice) -> str:
    return render_to_string(
        "targets/notices/notice_pdf.html",
        {
            "notice": notice,
            "reference": notice_reference(notice),
            "office": notice.district.supervision_office_name,
            "issued_on": timezone.localtime(notice.issued_at).date(),
            "font_url": FONT_URL,
        },
    )


@login_required
@require_GET
def notice_pdf(request, district, year, pk):
    district = district_for_staff(request, district, year)
    notice = _notice_for(district, year, pk)
    response = HttpResponse(notice_pdf_bytes(notice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False,
        filename=f"{notice.get_kind_display()}-{notice.year}-{notice.number}.pdf",
    )
    return response


# ---------------------------------------------------------------------------- spot checks


@login_required
@require_http_methods(["GET", "POST"])
def spot_checks(request, district, year):
    district = district_for_staff(request, district, year, manage=request.method == "POST")
    status = 200
    if request.method == "POST":
        form, status = SpotCheckForm(request.POST), 422
        if form.is_valid():
            try:
                check = spot_check_draw(
                    district=district, year=year, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已从 %(pool)s 份已审核填报中抽取 %(n)s 份，种子 %(seed)s。")
                    % {"pool": len(check.pool), "n": len(check.drawn), "seed": check.seed},
                )
                return redirect("targets:spot_checks", district.code, year)
    else:
        form = SpotCheckForm()
    checks = list(
        SpotCheck.objects.filter(district=district, year=year)
        .select_related("drawn_by")
        .order_by("-drawn_at", "-pk")
    )
    reports = Report.objects.filter(pk__in={pk for c in checks for pk in c.drawn}).select_related(
        "target_unit__target", "target_unit__org_unit"
    )
    by_pk = {r.pk: r for r in reports}
    rows = [(c, [by_pk[pk] for pk in c.drawn if pk in by_pk]) for c in checks]
    return render(
        request,
        "targets/notices/spot_checks.html",
        year_context(request, district, year, form=form, checks=rows),
        status=status,
    )


# ---------------------------------------------------------------------------- the workbook


def _import_page(request, district, year, *, form=None, problems=None, status=200):
    return render(
        request,
        "targets/notices/import.html",
        year_context(
            request,
            district,
            year,
            form=form or TargetsUploadForm(),
            problems=problems,
            target_count=Target.objects.filter(district=district, year=year).count(),
        ),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def targets_import(request, district, year):
    """The breakdown workbook, all or nothing (docs/workbooks.md, "目标分解表")."""
    district = district_for_staff(request, district, year, manage=True)
    if request.method == "GET":
        return _import_page(request, district, year)
    form = TargetsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, district, year, form=form, status=422)
    try:
        rows = parse_targets_workbook(
            form.cleaned_data["file"], unit_names=district.units.values_list("name", flat=True)
        )
        counts = services.targets_import(
            district=district, year=year, rows=rows, actor=request.user
        )
    except ValidationError as exc:
        return _import_page(
            request, district, year, form=form, problems=problems_of(exc), status=422
        )
    messages.success(
        request,
        _("已导入%(year)s年目标：新增 %(created)s 项，更新 %(updated)s 项。")
        % {"year": year, **counts},
    )
    return redirect("targets:overview", district.code, year)


@login_required
@require_GET
def targets_export(request, district, year):
    district = district_for_staff(request, district, year)
    data = workbook_bytes(selectors.breakdown_rows(district=district, year=year))
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True,
        filename=_("目标分解表-%(district)s-%(year)s.xlsx")
        % {"district": district.code, "year": year},
    )
    return response


urlpatterns = [
    path(PREFIX, overview, name="overview"),
    path(PREFIX + "ledger/", ledger_summary, name="ledger"),
    path(PREFIX + "ledger/<str:unit>/", ledger_unit, name="ledger_unit"),
    path(PREFIX + "notices/", notice_list, name="notices"),
    path(PREFIX + "notices/new/", notice_new, name="notice_issue"),
    path(PREFIX + "notices/<int:pk>/", notice_detail, name="notice_detail"),
    path(PREFIX + "notices/<int:pk>/notice.pdf", notice_pdf, name="notice_pdf"),
    path(PREFIX + "spot-checks/", spot_checks, name="spot_checks"),
    path(PREFIX + "import/", targets_import, name="targets_import"),
    path(PREFIX + "targets.xlsx", targets_export, name="targets_export"),
]
