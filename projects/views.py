"""重点项目 pages under /sessions/<slug>/projects/.

Every staff role sees them; only organisers change anything (import, recolour, the rule, a
manual colour, an update). The board filters by colour, unit and category with GET parameters
(htmx swaps the board's body); ``slides/`` previews the big screen's slideshow.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.colours import Colour
from sessions.forms import XLSX_TYPE
from sessions.models import ReviewSession
from sessions.views.access import (
    form_error,
    get_session_for_user,
    page_context,
    require_organiser,
)
from sessions.workbook import problems_of

from . import screen, selectors, services
from .forms import (
    ManualColourForm,
    MilestoneDoneForm,
    ProjectFilterForm,
    ProjectRuleForm,
    ProjectsUploadForm,
    ProjectUpdateForm,
    RecolourForm,
)
from .models import KeyProject, Milestone
from .workbook import parse_projects_workbook, workbook_bytes


def _project_for(session: ReviewSession, pk: int) -> KeyProject:
    """A project of this session only: another session's id is a 404."""
    return get_object_or_404(KeyProject.objects.select_related("unit"), session=session, pk=pk)


# ---------------------------------------------------------------- the board


@login_required
@require_GET
def board(request, slug):
    session = get_session_for_user(request, slug)
    rule = services.rule_for(session)
    units, categories = selectors.filter_options(session)
    form = ProjectFilterForm(request.GET or None, units=units, categories=categories)
    filters = form.filters() if request.GET else {"colour": "", "unit": None, "category": ""}
    as_of = services.board_date(rule)
    counts = selectors.colour_counts(session, unit=filters["unit"], category=filters["category"])
    context = page_context(
        request,
        session,
        form=form,
        filters=filters,
        rule=rule,
        as_of=as_of,
        counts=counts,
        total=sum(c.count for c in counts),
        rows=selectors.board_rows(session, as_of=as_of, **filters),
        tile_query={
            "unit": filters["unit"].pk if filters["unit"] else "",
            "category": filters["category"],
        },
    )
    # The body alone for htmx (a tile or a filter), the page for a reload or a history restore;
    # both share the URL, so caches must tell them apart by HX-Request.
    template = "projects/board.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#board-body"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def recolour(request, slug):
    """GET: the date to compute at. POST: what would change, with a confirmation button.
    POST with ``confirmed``: the colours are recomputed."""
    session = get_session_for_user(request, slug, organise=True)
    rule = services.rule_for(session)
    # Today by default: a recolour brings the board up to date (docs/projects.md).
    form = RecolourForm(request.POST or None, initial={"as_of": timezone.localdate()})
    plan, status = None, 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        elif form.cleaned_data["confirmed"]:
            done = services.projects_recolour(
                session=session, actor=request.user, as_of=form.cleaned_data["as_of"]
            )
            messages.success(
                request,
                _("已按 %(date)s 重新计算颜色：%(n)s 个项目变色；%(counts)s。")
                % {
                    "date": done.as_of.isoformat(),
                    "n": done.changed,
                    "counts": services.counts_in_words(done.counts),
                },
            )
            return redirect("projects:board", slug)
        else:
            plan = services.recolour_plan(session, form.cleaned_data["as_of"])
    return render(
        request,
        "projects/recolour.html",
        page_context(
            request,
            session,
            form=form,
            plan=plan,
            plan_counts=[(c, Colour(c).label, plan.counts[c]) for c in Colour.values]
            if plan
            else [],
            plan_changes=[(p, v.colour, Colour(v.colour).label) for p, v in plan.changes]
            if plan
            else [],
            rule=rule,
        ),
        status=status,
    )


# ---------------------------------------------------------------- import


def _import_page(request, session, *, form=None, problems=None, status=200):
    return render(
        request,
        "projects/import.html",
        page_context(
            request,
            session,
            form=form or ProjectsUploadForm(),
            problems=problems,
            project_count=KeyProject.objects.filter(session=session).count(),
        ),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_import(request, slug):
    """The workbook, all or nothing; on success the board says what was imported."""
    session = get_session_for_user(request, slug, organise=True)
    if request.method == "GET":
        return _import_page(request, session)
    form = ProjectsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, session, form=form, status=422)
    try:
        rows = parse_projects_workbook(
            form.cleaned_data["file"],
            unit_names=session.units.values_list("name", flat=True),
        )
        summary = services.projects_import(session=session, actor=request.user, rows=rows)
    except ValidationError as exc:
        return _import_page(request, session, form=form, problems=problems_of(exc), status=422)
    messages.success(request, str(summary))
    return redirect("projects:board", slug)


@login_required
@require_GET
def project_template(request, slug):
    """The workbook with the session's projects as stored (examples when there are none)."""
    session = get_session_for_user(request, slug, organise=True)
    data = workbook_bytes(
        projects=selectors.export_projects(session),
        unit_names=list(session.units.order_by("name").values_list("name", flat=True)),
    )
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_("重点项目-%(slug)s.xlsx") % {"slug": session.slug}
    )
    return response


# ---------------------------------------------------------------- the rule


@login_required
@require_http_methods(["GET", "POST"])
def rule_settings(request, slug):
    session = get_session_for_user(request, slug)
    rule = services.rule_for(session)
    initial = {"yellow_behind": rule.yellow_behind, "red_behind": rule.red_behind}
    status = 200
    if request.method == "POST":
        require_organiser(request, session)
        form = ProjectRuleForm(request.POST, initial=initial)
        status = 422
        if form.is_valid():
            try:
                services.project_rule_save(session=session, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(
                    request, _("颜色规则已保存。点“按规则重新计算颜色”后，新规则才会用于看板。")
                )
                return redirect("projects:rule", slug)
    else:
        form = ProjectRuleForm(initial=initial)
    return render(
        request,
        "projects/rule.html",
        page_context(request, session, form=form, rule=rule),
        status=status,
    )


# ---------------------------------------------------------------- one project


def _detail(
    request,
    session,
    project,
    *,
    update_form=None,
    colour_form=None,
    milestone_error="",
    status=200,
):
    rule = services.rule_for(session)
    context = page_context(
        request,
        session,
        page=selectors.project_page(project, rule),
        update_form=update_form or ProjectUpdateForm(),
        colour_form=colour_form
        or ManualColourForm(initial={"colour": project.colour if project.is_manual else ""}),
        milestone_error=milestone_error,
        today=timezone.localdate(),
    )
    template = "projects/detail.html"
    if request.htmx:
        template += "#project-body"
    return render(request, template, context, status=status)


@login_required
@require_GET
def detail(request, slug, pk):
    session = get_session_for_user(request, slug)
    return _detail(request, session, _project_for(session, pk))


@login_required
@require_POST
def update_add(request, slug, pk):
    session = get_session_for_user(request, slug, organise=True)
    project = _project_for(session, pk)
    form = ProjectUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.project_update_add(project=project, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("进展已保存。"))
                return redirect("projects:detail", slug, pk)
            project = _project_for(session, pk)
            return _detail(request, session, project)
    return _detail(request, session, project, update_form=form, status=422)


@login_required
@require_POST
def colour(request, slug, pk):
    """Set a manual colour, or clear it (blank colour): with a reason either way."""
    session = get_session_for_user(request, slug, organise=True)
    project = _project_for(session, pk)
    form = ManualColourForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["colour"]:
                services.project_colour_set(
                    project=project,
                    colour=data["colour"],
                    reason=data["reason"],
                    actor=request.user,
                )
            else:
                services.project_colour_clear(
                    project=project, reason=data["reason"], actor=request.user
                )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("颜色已保存。"))
                return redirect("projects:detail", slug, pk)
            return _detail(request, session, _project_for(session, pk))
    return _detail(request, session, project, colour_form=form, status=422)


@login_required
@require_POST
def milestone_done(request, slug, pk, milestone_id):
    """Record a milestone reached on a date, or clear it: the project is recoloured by rule."""
    session = get_session_for_user(request, slug, organise=True)
    project = _project_for(session, pk)
    milestone = get_object_or_404(Milestone, project=project, pk=milestone_id)
    form = MilestoneDoneForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("请填写有效的完成日期。")
    else:
        try:
            services.milestone_done_set(
                milestone=milestone, done_on=form.cleaned_data["done_on"], actor=request.user
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("时间节点已保存。"))
        return redirect("projects:detail", slug, pk)
    return _detail(
        request,
        session,
        _project_for(session, pk),
        milestone_error=error,
        status=422 if error else 200,
    )


# ---------------------------------------------------------------- the slideshow


@login_required
@require_GET
def slides(request, slug):
    """The big screen's slideshow as staff preview it (the big screen includes the same
    template)."""
    session = get_session_for_user(request, slug)
    chosen = ProjectFilterForm(request.GET, units=[], categories=[]).filters()["colour"]
    return render(
        request,
        "projects/slides.html",
        page_context(
            request,
            session,
            slides=screen.slides(session, chosen),
            colour=chosen,
            colours=Colour.choices,
        ),
    )
