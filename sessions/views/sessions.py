"""Staff pages of a review session: list, create, detail, units, groups, draws, reports,
lifecycle and audit log. Views only parse input with forms, call a service and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from org import access

from .. import (
    ballot_box,
    draw_services,
    lifecycle,
    report_services,
    selectors,
    services,
    unit_services,
)
from ..forms import (
    AttachmentForm,
    AuditFilterForm,
    CategoryForm,
    DrawForm,
    GroupForm,
    OrderDrawForm,
    ReportForm,
    SessionCreateForm,
    SessionForm,
    UnitChoiceForm,
    UnitForm,
    add_district_field,
)
from ..models import Attachment, Draw, Participant, Report, ReviewSession
from .access import (
    confirm_delete,
    form_error,
    get_session_for_user,
    organised_districts,
    page_context,
    require_organiser,
    require_staff_role,
)


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# ---------------------------------------------------------------- list, create, detail


@login_required
@require_GET
def session_list(request):
    require_staff_role(request)
    sessions = selectors.sessions_for_user(request.user)
    return render(
        request,
        "sessions/session_list.html",
        {
            "sessions": sessions,
            "can_organise": access.organises_anywhere(request.user),
            # The district is named where the user works in more than one.
            "several_districts": len({s.district_id for s in sessions}) > 1,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_create(request):
    require_organiser(request)
    districts = organised_districts(request.user)
    form = SessionCreateForm(request.POST or None)
    add_district_field(form, districts)
    if request.method == "POST" and form.is_valid():
        district = form.cleaned_data.pop("district", None) or districts[0]
        try:
            session = services.session_create(
                actor=request.user, district=district, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已创建评议会“%(title)s”。") % {"title": session.title})
            _date_warning(request, session)
            return redirect(session)
    return render(request, "sessions/session_create.html", {"form": form})


def _date_warning(request, session) -> None:
    """Say so when the date is possible but unusual for the kind of review (a mid-year review
    dated in the next year); the draft → ready checklist repeats it."""
    warning = services.session_date_warning(kind=session.kind, year=session.year, date=session.date)
    if warning:
        messages.warning(request, warning)


@login_required
@require_GET
def session_detail(request, slug):
    session = get_session_for_user(request, slug)
    groups = list(session.rater_groups.all())
    targets = [
        (status, services.transition_problems(session, status))
        for status in lifecycle.TRANSITIONS[session.status]
    ]
    return render(
        request,
        "sessions/session_detail.html",
        page_context(
            request,
            session,
            overview=selectors.session_overview(session),
            participants=selectors.participants_with_reports(session),
            weight_lines=selectors.weight_lines(groups),
            formula=selectors.weight_formula(groups),
            targets=targets,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = SessionForm(request.POST or None, instance=ReviewSession.objects.get(pk=session.pk))
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_update(
                session=session, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            _date_warning(request, session)
            return redirect(session)
    return render(request, "sessions/session_edit.html", page_context(request, session, form=form))


def _transition_lines(session, target, problems):
    """The confirmation page's blockers and warnings as (message, link or None). Draft → ready
    is the checklist (services.readiness_check): each line links the page that fixes it."""
    Status = ReviewSession.Status
    if session.status == Status.DRAFT and target == Status.READY:
        check = services.readiness_check(session)
        readiness = {line.message for line in check.blockers}

        def linked(lines):
            return [(line.message, reverse(line.page, args=[session.slug])) for line in lines]

        blockers = linked(check.blockers) + [(p, None) for p in problems if p not in readiness]
        return blockers, linked(check.warnings)
    # Closing has its own panel of unsubmitted drafts, with the paper-ballot route.
    warnings = [] if target == Status.CLOSED else services.transition_warnings(session, target)
    return [(p, None) for p in problems], [(w, None) for w in warnings]


@login_required
@require_http_methods(["GET", "POST"])
def session_transition(request, slug, target):
    """GET shows what the move means, with what stops it and what to know first, and asks for
    confirmation; POST makes it."""
    session = get_session_for_user(request, slug, organise=True)
    if target not in ReviewSession.Status.values:
        raise Http404
    problems = services.transition_problems(session, target)
    if request.method == "POST":
        try:
            services.session_transition(session=session, target=target, actor=request.user)
        except ValidationError as exc:
            problems = _errors(exc)
        else:
            messages.success(
                request,
                _("评议会已转为“%(status)s”。") % {"status": ReviewSession.Status(target).label},
            )
            return redirect(session)
    blockers, warnings = _transition_lines(session, target, problems)
    return render(
        request,
        "sessions/session_transition.html",
        page_context(
            request,
            session,
            target=target,
            target_label=ReviewSession.Status(target).label,
            problems=problems,
            blockers=blockers,
            warnings=warnings,
            checklist=session.status == ReviewSession.Status.DRAFT
            and target == ReviewSession.Status.READY,
            # Closing destroys what codes saved but never submitted: shown before it happens.
            unsubmitted=ballot_box.unsubmitted_drafts(session)
            if target == ReviewSession.Status.CLOSED
            else [],
        ),
        status=409 if request.method == "POST" else 200,
    )


AUDIT_PAGE_SIZE = 50


@login_required
@require_GET
def audit_log(request, slug):
    session = get_session_for_user(request, slug)
    actors = selectors.audit_actors(session)
    # Every filter is optional, so the bare page is a valid, empty filter; a bad field is
    # reported on the form and the valid ones still apply.
    form = AuditFilterForm(request.GET, actors=actors)
    form.is_valid()
    filters = form.filters()
    page = Paginator(selectors.audit_entries(session, **filters), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    names = dict(actors)
    for entry in page:
        entry.actor_name = names.get(entry.actor_label, entry.actor_label)
    query = request.GET.copy()
    query.pop("page", None)
    template = "sessions/audit_log.html"
    if request.htmx:
        template += "#audit-list"
    return render(
        request,
        template,
        page_context(
            request,
            session,
            form=form,
            page=page,
            filtered=any(filters.values()),
            query=query.urlencode(),
        ),
    )


# ---------------------------------------------------------------- units and categories


def _units_page(request, session, *, unit_form=None, category_form=None, status=200):
    context = page_context(
        request,
        session,
        categories=selectors.categories_with_units(session),
        unit_form=unit_form or UnitForm(session=session),
        category_form=category_form or CategoryForm(),
    )
    template = "sessions/units.html"
    if request.htmx:
        template += "#units-panel"
    return render(request, template, context, status=status)


@login_required
@require_GET
def units(request, slug):
    session = get_session_for_user(request, slug)
    # After an add without htmx the redirect carries the category just used, so that a run of
    # units of one category is typed without choosing it again (an unknown id selects nothing).
    unit_form = UnitForm(session=session, initial={"category": request.GET.get("category")})
    return _units_page(request, session, unit_form=unit_form)


@login_required
@require_POST
def unit_add(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = UnitForm(request.POST, session=session)
    if form.is_valid():
        try:
            unit = unit_services.unit_save(session=session, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("已添加单位“%(name)s”（%(category)s）。")
                % {"name": unit.name, "category": unit.category.name},
            )
            if not request.htmx:
                units_url = reverse("review:units", args=[slug])
                return redirect(f"{units_url}?category={unit.category_id}")
            # The next unit is usually of the same category: keep it chosen.
            next_form = UnitForm(session=session, initial={"category": unit.category_id})
            return _units_page(request, session, unit_form=next_form)
    return _units_page(request, session, unit_form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def unit_edit(request, slug, unit_id):
    session = get_session_for_user(request, slug, organise=True)
    unit = get_object_or_404(session.units, pk=unit_id)
    participates = session.participants.filter(unit=unit).exists()
    initial = {"name": unit.name, "category": unit.category, "participates": participates}
    form = UnitForm(request.POST or None, session=session, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit_services.unit_save(
                session=session, actor=request.user, unit=unit, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存单位“%(name)s”。") % {"name": unit.name})
            return redirect("review:units", slug)
    return render(
        request, "sessions/unit_edit.html", page_context(request, session, form=form, unit=unit)
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_delete(request, slug, unit_id):
    session = get_session_for_user(request, slug, organise=True)
    unit = get_object_or_404(session.units, pk=unit_id)
    return confirm_delete(
        request,
        session,
        thing=unit,
        what=_("单位"),
        back=reverse("review:units", args=[slug]),
        delete=lambda: unit_services.unit_delete(unit=unit, actor=request.user),
        done=_("已删除单位“%(name)s”。") % {"name": unit.name},
    )


@login_required
@require_POST
def participant_toggle(request, slug):
    """Add a pool unit as a fixed participant, or remove a participant (a button per row)."""
    session = get_session_for_user(request, slug, organise=True)
    form = UnitChoiceForm(request.POST, session=session)
    if not form.is_valid():
        messages.error(request, _("所选单位不存在或不属于本评议会。"))
        return (
            _units_page(request, session, status=400)
            if request.htmx
            else redirect("review:units", slug)
        )
    unit = form.cleaned_data["unit"]
    try:
        participant = session.participants.filter(unit=unit).first()
        if participant:
            unit_services.participant_remove(participant=participant, actor=request.user)
        else:
            unit_services.participant_add(session=session, actor=request.user, unit=unit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        return _units_page(request, session)
    return redirect("review:units", slug)


@login_required
@require_POST
def category_add(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            unit_services.category_save(session=session, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            if not request.htmx:
                return redirect("review:units", slug)
            return _units_page(request, session)
    return _units_page(request, session, category_form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request, slug, category_id):
    session = get_session_for_user(request, slug, organise=True)
    category = get_object_or_404(session.categories, pk=category_id)
    form = CategoryForm(
        request.POST or None, initial={"name": category.name, "side": category.side}
    )
    if request.method == "POST" and form.is_valid():
        try:
            unit_services.category_save(
                session=session, actor=request.user, category=category, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            return redirect("review:units", slug)
    return render(
        request,
        "sessions/category_edit.html",
        page_context(request, session, form=form, category=category),
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_delete(request, slug, category_id):
    session = get_session_for_user(request, slug, organise=True)
    category = get_object_or_404(session.categories, pk=category_id)
    return confirm_delete(
        request,
        session,
        thing=category,
        what=_("单位类别"),
        back=reverse("review:units", args=[slug]),
        delete=lambda: unit_services.category_delete(category=category, actor=request.user),
    )


# ---------------------------------------------------------------- rater groups


def _groups_page(request, session, *, form=None, status=200):
    groups = list(session.rater_groups.all())
    context = page_context(
        request,
        session,
        weight_lines=selectors.weight_lines(groups),
        formula=selectors.weight_formula(groups),
        form=form or GroupForm(initial={"min_sample": session.scheme.default_min_sample}),
    )
    template = "sessions/groups.html"
    if request.htmx:
        template += "#groups-panel"
    return render(request, template, context, status=status)


@login_required
@require_GET
def groups(request, slug):
    session = get_session_for_user(request, slug)
    return _groups_page(request, session)


@login_required
@require_POST
def group_add(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            unit_services.group_save(session=session, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            if not request.htmx:
                return redirect("review:groups", slug)
            return _groups_page(request, session)
    return _groups_page(request, session, form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, slug, group_id):
    session = get_session_for_user(request, slug, organise=True)
    group = get_object_or_404(session.rater_groups, pk=group_id)
    initial = {
        "name": group.name,
        "weight": group.weight,
        "min_sample": group.min_sample,
        "side": group.side,
        "can_ask": group.can_ask,
        "is_leaders": group.is_leaders,
    }
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit_services.group_save(
                session=session, actor=request.user, group=group, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, _("已保存评议组“%(name)s”。") % {"name": form.cleaned_data["name"]}
            )
            return redirect("review:groups", slug)
    return render(
        request, "sessions/group_edit.html", page_context(request, session, form=form, group=group)
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_delete(request, slug, group_id):
    session = get_session_for_user(request, slug, organise=True)
    group = get_object_or_404(session.rater_groups, pk=group_id)
    return confirm_delete(
        request,
        session,
        thing=group,
        what=_("评议组"),
        back=reverse("review:groups", args=[slug]),
        delete=lambda: unit_services.group_delete(group=group, actor=request.user),
    )


# ---------------------------------------------------------------- draws


def _draws_page(request, session, *, draw_form=None, order_form=None, status=200):
    context = page_context(
        request,
        session,
        draws=selectors.recent_draws(session),
        participants=list(session.participants.select_related("unit__category")),
        draw_form=draw_form or DrawForm(session=session),
        order_form=order_form or OrderDrawForm(auto_id="order-%s"),
    )
    template = "sessions/draws.html"
    if request.htmx:
        template += "#draws-panel"
    return render(request, template, context, status=status)


@login_required
@require_GET
def draw_page(request, slug):
    session = get_session_for_user(request, slug)
    return _draws_page(request, session)


@login_required
@require_POST
def draw_participants(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = DrawForm(request.POST, session=session)
    if form.is_valid():
        try:
            draw = draw_services.draw_participants(
                session=session, actor=request.user, **form.draw_arguments()
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("抽选完成（种子 %(seed)s）：%(result)s")
                % {"seed": draw.seed, "result": "、".join(draw.result)},
            )
            if not request.htmx:
                return redirect("review:draws", slug)
            return _draws_page(request, session)
    return _draws_page(request, session, draw_form=form, status=422)


@login_required
@require_POST
def draw_speaking_order(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = OrderDrawForm(request.POST, auto_id="order-%s")
    if form.is_valid():
        try:
            draw_services.draw_speaking_order(
                session=session, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("发言顺序已抽定。"))
            if not request.htmx:
                return redirect("review:draws", slug)
            return _draws_page(request, session)
    return _draws_page(request, session, order_form=form, status=422)


@login_required
@require_GET
def draw_detail(request, slug, draw_id):
    """Anyone with access can re-run a recorded draw and see that it gives the same result."""
    session = get_session_for_user(request, slug)
    draw = get_object_or_404(Draw.objects.select_related("created_by"), session=session, pk=draw_id)
    reproduced = draw_services.draw_reproduce(draw)
    return render(
        request,
        "sessions/draw_detail.html",
        page_context(
            request, session, draw=draw, reproduced=reproduced, matches=reproduced == draw.result
        ),
    )


# ---------------------------------------------------------------- participants' reports


def _participant(session, participant_id) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("unit__category"), session=session, pk=participant_id
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_reports(request, slug, participant_id):
    session = get_session_for_user(request, slug)
    participant = _participant(session, participant_id)
    reports = {r.kind: r for r in participant.reports.prefetch_related("attachments")}
    saved_kind = None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        require_organiser(request, session)
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                report = report_services.report_save(
                    participant=participant, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                errors[form.cleaned_data["kind"]] = _errors(exc)
            else:
                reports[report.kind] = report
                saved_kind = report.kind
        else:
            errors["form"] = [e for errs in form.errors.values() for e in errs]
    sections = [
        {"kind": kind, "label": label, "report": reports.get(kind), "errors": errors.get(kind, [])}
        for kind, label in Report.Kind.choices
    ]
    context = page_context(
        request,
        session,
        participant=participant,
        sections=sections,
        saved_kind=saved_kind,
        form_errors=errors.get("form", []),
        attachment_form=AttachmentForm(),
    )
    return render(
        request, "sessions/participant_reports.html", context, status=422 if errors else 200
    )


@login_required
@require_POST
def attachment_add(request, slug, participant_id):
    session = get_session_for_user(request, slug, organise=True)
    participant = _participant(session, participant_id)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            report_services.attachment_add(
                participant=participant,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("附件已上传。"))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("review:participant_reports", slug, participant.pk)


@login_required
@require_GET
def attachment_download(request, slug, attachment_id):
    session = get_session_for_user(request, slug)
    attachment = get_object_or_404(
        Attachment.objects.select_related("report__participant"),
        pk=attachment_id,
        report__participant__session=session,
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
@require_http_methods(["GET", "POST"])
def attachment_delete(request, slug, attachment_id):
    """GET asks for confirmation; POST deletes."""
    session = get_session_for_user(request, slug, organise=True)
    attachment = get_object_or_404(
        Attachment.objects.select_related("report__participant__unit"),
        pk=attachment_id,
        report__participant__session=session,
    )
    return confirm_delete(
        request,
        session,
        thing=attachment,
        what=_("附件"),
        back=reverse("review:participant_reports", args=[slug, attachment.report.participant_id]),
        delete=lambda: report_services.attachment_delete(attachment=attachment, actor=request.user),
        done=_("已删除附件“%(name)s”。") % {"name": attachment.original_name},
    )
