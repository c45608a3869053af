"""表彰 pages under /awards/<district code>/<year>/ (docs/awards.md, "Pages").

Every view starts with ``_district_for_user``: a district where the user has no role is not
found (404), so nobody learns what another district awards; changes are for the district's
organisers (403 for its other staff), as sessions/views/access.py does for sessions.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from org import access
from org.models import District
from sessions.views.access import form_error

from . import document, selectors, services
from .forms import (
    DecisionForm,
    ObjectionDecideForm,
    ObjectionForm,
    PersonForm,
    ProgrammeForm,
    PublicityForm,
    ReasonForm,
)
from .models import Nomination, Objection, Programme

YEARS = range(2000, 2101)
Status = Programme.Status


# ---------------------------------------------------------------------------- access


def _district_for_user(request, code: str, year: int, *, organise: bool = False) -> District:
    """The district of ``code`` if the user has a staff role there (404 otherwise); with
    ``organise``, only for its organisers (403 for its other staff)."""
    if year not in YEARS:
        raise Http404(_("没有这个年度。"))
    district = get_object_or_404(access.visible_districts(request.user), code=code)
    if organise and not access.can_organise(request.user, district.pk):
        raise PermissionDenied(_("只有组织者可以执行此操作。"))
    return district


def _programme(district: District, year: int, pk: int) -> Programme:
    return get_object_or_404(
        Programme.objects.select_related("district", "session"),
        district=district,
        year=year,
        pk=pk,
    )


def _context(request, district: District, year: int, **extra) -> dict:
    return {
        "district": district,
        "year": year,
        "can_organise": access.can_organise(request.user, district.pk),
        **extra,
    }


def _refused(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _back(programme: Programme):
    return redirect("awards:programme", programme.district.code, programme.year, programme.pk)


# ---------------------------------------------------------------------------- lists


@login_required
@require_GET
def home(request):
    """The districts the user works in, with the years that have programmes."""
    if not access.is_staff_anywhere(request.user):
        raise PermissionDenied(_("您的账号没有访问表彰的权限。"))
    this_year = timezone.localdate().year
    districts = [
        (d, sorted({*selectors.years_of(d), this_year}, reverse=True))
        for d in access.visible_districts(request.user).order_by("id")
    ]
    return render(request, "awards/home.html", {"districts": districts})


@login_required
@require_GET
def programme_list(request, district, year):
    district = _district_for_user(request, district, year)
    return render(
        request,
        "awards/programme_list.html",
        _context(request, district, year, programmes=selectors.programmes_of(district, year)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request, district, year, pk=None):
    district = _district_for_user(request, district, year, organise=True)
    programme = _programme(district, year, pk) if pk else None
    status = 200
    if request.method == "POST":
        form = ProgrammeForm(request.POST, district=district, year=year)
        status = 422
        if form.is_valid():
            try:
                programme = services.programme_save(
                    actor=request.user,
                    district=district,
                    year=year,
                    programme=programme,
                    **form.service_arguments(),
                )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已保存奖项“%(name)s”。") % {"name": programme.name})
                return _back(programme)
    else:
        initial = ProgrammeForm.initial_of(programme) if programme else {}
        form = ProgrammeForm(initial=initial, district=district, year=year)
    return render(
        request,
        "awards/programme_edit.html",
        _context(request, district, year, form=form, programme=programme),
        status=status,
    )


@login_required
@require_GET
def programme_detail(request, district, year, pk):
    """The nomination list with how each qualified, and the next step of the lifecycle."""
    district = _district_for_user(request, district, year)
    programme = _programme(district, year, pk)
    nominations = selectors.nominations_of(programme)
    return render(
        request,
        "awards/programme_detail.html",
        _context(
            request,
            district,
            year,
            programme=programme,
            nominations=nominations,
            listed=sum(1 for n in nominations if n.active),
            ties=[n for n in nominations if n.tie_at_quota and n.active],
            stale=selectors.stale_snapshot(programme, nominations),
            person_form=PersonForm(district=district) if programme.is_person else None,
            publicity_form=PublicityForm(),
            objections=selectors.objections_of(programme),
            today=timezone.localdate(),
        ),
    )


# ---------------------------------------------------------------------------- actions


@login_required
@require_POST
def compute(request, district, year, pk):
    district = _district_for_user(request, district, year, organise=True)
    programme = _programme(district, year, pk)
    try:
        found = services.nominations_compute(programme=programme, actor=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        listed = sum(1 for n in found if n.active)
        messages.success(request, _("已计算提名名单：%(n)s 个。") % {"n": listed})
    return _back(programme)


@login_required
@require_POST
def person_add(request, district, year, pk):
    district = _district_for_user(request, district, year, organise=True)
    programme = _programme(district, year, pk)
    form = PersonForm(request.POST, district=district)
    if form.is_valid():
        try:
            services.person_nominate(programme=programme, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("已添加推荐。"))
    else:
        messages.error(request, _("请填写推荐单位、姓名和职务。"))
    return _back(programme)


@login_required
@require_POST
def nomination_withdraw(request, district, year, pk, nomination):
    district = _district_for_user(request, district, year, organise=True)
    programme = _programme(district, year, pk)
    found = get_object_or_404(Nomination, programme=programme, pk=nomination)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.nomination_withdraw(
                nomination=found, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("已撤销提名：%(who)s。") % {"who": found})
    else:
        messages.error(request, _("请写明撤销理由。"))
    return _back(programme)


@login_required
@require_POST
def publicise(request, district, year, pk):
    district = _district_for_user(request, district, year, organise=True)
    programme = _programme(district, year, pk)
    form = PublicityForm(request.POST)
    if form.is_valid():
        try:
            services.publicise(programme=programme, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("名单已进入公示。"))
    else:
        messages.error(request, _("请填写公示的开始和结束日期。"))
    return _back(programme)


@login_required
@require_POST
def finalise(request, district, year, pk):
    district = _district_for_user(request, district, year, organise=True)
    programme = _programme(district, year, pk)
    try:
        services.finalise(programme=programme, actor=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已确定最终名单。"))
    return _back(programme)


# ---------------------------------------------------------------------------- 公示 and objections


@login_required
@require_GET
def publicity(request, district, year, pk):
    """公示 as it is posted: a plain list that prints on its own."""
    district = _district_for_user(request, district, year)
    programme = _programme(district, year, pk)
    if programme.status in (Status.DRAFT, Status.NOMINATED):
        raise Http404(_("这个奖项还没有公示。"))
    return render(
        request,
        "awards/publicity.html",
        _context(
            request,
            district,
            year,
            programme=programme,
            categories=selectors.by_category(selectors.listed_of(programme)),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def objections(request, district, year, pk):
    district = _district_for_user(request, district, year, organise=request.method == "POST")
    programme = _programme(district, year, pk)
    status = 200
    if request.method == "POST":
        form, status = ObjectionForm(request.POST, programme=programme), 422
        if form.is_valid():
            try:
                services.objection_record(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已登记异议。"))
                return redirect("awards:objections", district.code, year, programme.pk)
    else:
        form = ObjectionForm(programme=programme)
    return render(
        request,
        "awards/objections.html",
        _context(
            request,
            district,
            year,
            programme=programme,
            form=form,
            decide_form=ObjectionDecideForm(),
            objections=selectors.objections_of(programme),
        ),
        status=status,
    )


@login_required
@require_POST
def objection_decide(request, district, year, pk, objection):
    district = _district_for_user(request, district, year, organise=True)
    programme = _programme(district, year, pk)
    found = get_object_or_404(Objection, nomination__programme=programme, pk=objection)
    form = ObjectionDecideForm(request.POST)
    if form.is_valid():
        try:
            services.objection_decide(objection=found, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("已记录核查结果。"))
    else:
        messages.error(request, _("请选择核查结果并写明核查说明。"))
    return redirect("awards:objections", district.code, year, programme.pk)


# ---------------------------------------------------------------------------- final list, decision


@login_required
@require_GET
def final_list(request, district, year):
    """The final lists of the year, programme by programme."""
    district = _district_for_user(request, district, year)
    programmes = [
        p
        for p in selectors.programmes_of(district, year)
        if p.status in (Status.FINAL, Status.DECIDED)
    ]
    return render(
        request,
        "awards/final_list.html",
        _context(request, district, year, lists=selectors.final_lists(programmes)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def decision(request, district, year):
    district = _district_for_user(request, district, year, organise=True)
    status = 200
    if request.method == "POST":
        form, status = DecisionForm(request.POST, district=district, year=year), 422
        if form.is_valid():
            try:
                decided = services.decide(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已作出表彰决定。"))
                return redirect("awards:programme", district.code, year, decided[0].pk)
    else:
        form = DecisionForm(
            district=district,
            year=year,
            initial={"issuer": _("中共%(d)s委 %(d)s人民政府") % {"d": district.name}},
        )
    return render(
        request,
        "awards/decision.html",
        _context(request, district, year, form=form),
        status=status,
    )


@login_required
@require_GET
def decision_pdf(request, district, year, pk):
    district = _district_for_user(request, district, year)
    programme = _programme(district, year, pk)
    if programme.status != Status.DECIDED:
        raise Http404(_("这个奖项还没有表彰决定。"))
    response = HttpResponse(document.decision_pdf(programme), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"表彰决定-{programme.year}-{programme.pk}.pdf"
    )
    return response
