"""督办事项 pages under /sessions/<slug>/follow-ups/.

- ``follow-ups/`` the supervising office's overview: tiles per effective colour, filters (unit,
  colour, overdue, done; GET, the list is an htmx partial) and the table;
- ``follow-ups/units/<unit>/`` one responsible unit's items (the same page, unit fixed);
- ``follow-ups/new/`` create: ``?question=<id>`` from an answered question (unit fixed), or
  without it the leader's on-the-spot form (unit, 提问领导, 领导小组);
- ``follow-ups/<id>/`` one item with its update history and, for organisers, the update form;
- ``follow-ups/<id>/edit/`` organisers correct what was registered (not the colour: progress);
- ``follow-ups/updates/<id>/file/`` an evidence file, to staff only (never from MEDIA_URL).

Who: every staff role reads (observers included); organisers and moderators (on stage) create;
organisers record progress. The rules themselves are in meeting/followups.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from core.colours import Colour
from org.access import can_moderate, can_organise
from sessions import lifecycle
from sessions.models import ReviewSession, Unit
from sessions.views.access import (
    form_error,
    get_session_for_moderator,
    get_session_for_user,
    page_context,
    require_organiser,
)

from .. import followup_selectors as selectors
from .. import followups
from ..models import FollowUp, FollowUpUpdate, Question

_FIELD = FollowUp._meta.get_field


# ---------------------------------------------------------------- forms


class FilterForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("责任单位"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=gettext_lazy("全部单位"),
    )
    colour = forms.ChoiceField(
        label=gettext_lazy("状态颜色"),
        choices=[("", gettext_lazy("全部颜色")), *Colour.choices],
        required=False,
    )
    done = forms.ChoiceField(
        label=gettext_lazy("办理情况"),
        choices=[
            ("", gettext_lazy("全部")),
            (selectors.DONE_OPEN, gettext_lazy("未办结")),
            (selectors.DONE_DONE, gettext_lazy("已办结")),
        ],
        required=False,
    )
    overdue = forms.BooleanField(label=gettext_lazy("只看逾期"), required=False)

    def __init__(self, *args, session: ReviewSession, fixed_unit: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_unit is not None:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = Unit.objects.filter(session=session)


class QuestionParamForm(forms.Form):
    """The ``?question=<id>`` of the create page."""

    question = forms.IntegerField(min_value=1, required=False)


def _due_date_field():
    return forms.DateField(
        label=_FIELD("due_date").verbose_name,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _colour_field():
    return forms.ChoiceField(
        label=_FIELD("colour").verbose_name,
        choices=Colour.choices,
        initial=Colour.GREEN,
        widget=forms.RadioSelect(attrs={"class": "colour-choices"}),
        help_text=gettext_lazy("绿：进展顺利；蓝：正常推进但节点滞后；黄：进展缓慢；红：停滞。"),
    )


class FollowUpFromQuestionForm(forms.Form):
    title = forms.CharField(
        label=_FIELD("title").verbose_name, max_length=_FIELD("title").max_length
    )
    detail = forms.CharField(
        label=_FIELD("detail").verbose_name,
        max_length=_FIELD("detail").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_date = _due_date_field()
    colour = _colour_field()


class FollowUpFromLeaderForm(FollowUpFromQuestionForm):
    unit = forms.ModelChoiceField(label=_FIELD("unit").verbose_name, queryset=Unit.objects.none())
    asked_by = forms.CharField(
        label=_FIELD("asked_by").verbose_name, max_length=_FIELD("asked_by").max_length
    )
    leading_group = forms.CharField(
        label=_FIELD("leading_group").verbose_name,
        max_length=_FIELD("leading_group").max_length,
        required=False,
    )

    field_order = ["unit", "asked_by", "leading_group", "title", "detail", "due_date", "colour"]

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(session=session).select_related(
            "category"
        )


class UpdateForm(forms.Form):
    """Progress on an open item, or (``done``) the reopening of a done one."""

    text = forms.CharField(
        label=FollowUpUpdate._meta.get_field("text").verbose_name,
        max_length=FollowUpUpdate._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    link = forms.CharField(
        label=gettext_lazy("链接（选填）"),
        max_length=FollowUpUpdate._meta.get_field("link").max_length,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://"}),
    )
    file = forms.FileField(
        label=gettext_lazy("证明材料（选填）"),
        required=False,
        help_text=gettext_lazy("PDF、Word、Excel、PPT 或 JPG/PNG 图片，不超过 10 MB。"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{ext}" for ext in sorted(followups.FOLLOW_UP_FILE_TYPES))}
        ),
    )
    colour = forms.ChoiceField(
        label=gettext_lazy("状态颜色"),
        choices=[("", gettext_lazy("不变")), *Colour.choices],
        required=False,
        widget=forms.RadioSelect(attrs={"class": "colour-choices"}),
    )
    marks_done = forms.BooleanField(label=gettext_lazy("标记办结"), required=False)
    reopen = forms.BooleanField(
        label=gettext_lazy("重新打开（在进展情况中写明原因）"), required=True
    )

    def __init__(self, *args, done: bool, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["marks_done" if done else "reopen"]

    def clean_link(self) -> str:
        return followups.clean_link(self.cleaned_data["link"])


# ---------------------------------------------------------------- overview and unit list


def _list_page(request, session: ReviewSession, *, unit: Unit | None = None):
    form = FilterForm(request.GET or None, session=session, fixed_unit=unit)
    rows, status = [], 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        rows = selectors.follow_up_rows(
            session,
            unit=unit or data.get("unit"),
            colour=data.get("colour", ""),
            overdue=data.get("overdue", False),
            done=data.get("done", ""),
        )
    list_url = (
        reverse("meeting:follow_ups_unit", args=[session.slug, unit.pk])
        if unit
        else reverse("meeting:follow_ups", args=[session.slug])
    )
    context = page_context(
        request,
        session,
        unit=unit,
        form=form,
        rows=rows,
        filtered=form.is_bound,
        list_url=list_url,
        counts=selectors.colour_counts(session, unit=unit),
        can_create=can_moderate(request.user, session.district_id)
        and lifecycle.can_track_follow_ups(session),
    )
    template = "meeting/follow_ups.html"
    if request.htmx:
        template += "#follow-up-list"
    return render(request, template, context, status=status)


@login_required
@require_GET
def follow_ups(request, slug):
    session = get_session_for_user(request, slug)
    return _list_page(request, session)


@login_required
@require_GET
def follow_ups_unit(request, slug, unit_id):
    session = get_session_for_user(request, slug)
    unit = get_object_or_404(Unit, session=session, pk=unit_id)
    return _list_page(request, session, unit=unit)


# ---------------------------------------------------------------- create


def _question_from_params(request, session: ReviewSession) -> Question | None:
    params = QuestionParamForm(request.GET)
    if not params.is_valid():
        raise Http404(_("没有这个问题。"))
    question_id = params.cleaned_data["question"]
    if question_id is None:
        return None
    return get_object_or_404(
        Question.objects.select_related("unit"), session=session, pk=question_id
    )


def _question_problem(question: Question) -> str:
    if question.status != Question.Status.ANSWERED:
        return _("只有已答复的问题才能转为督办事项。")
    if hasattr(question, "follow_up"):
        return _("该问题已转为督办事项。")
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_create(request, slug):
    session = get_session_for_moderator(request, slug)
    question = _question_from_params(request, session)
    data = request.POST if request.method == "POST" else None
    if question is not None:
        form = FollowUpFromQuestionForm(
            data,
            initial={
                "title": question.text[: _FIELD("title").max_length],
                "detail": question.answer_summary,
            },
        )
    else:
        form = FollowUpFromLeaderForm(data, session=session)
    problem = "" if question is None else _question_problem(question)
    if not lifecycle.can_track_follow_ups(session):
        problem = _("评议会还是草稿：就绪后才能登记督办事项。")
    status = 409 if problem else 200
    if request.method == "POST" and not problem:
        status = 422
        if form.is_valid():
            try:
                if question is not None:
                    follow_up = followups.follow_up_from_question(
                        question=question, actor=request.user, **form.cleaned_data
                    )
                else:
                    follow_up = followups.follow_up_from_leader(
                        session=session, actor=request.user, **form.cleaned_data
                    )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已登记督办事项“%(t)s”。") % {"t": follow_up.title})
                target = reverse("meeting:follow_up_detail", args=[slug, follow_up.pk])
                if request.htmx:
                    return HttpResponseClientRedirect(target)
                return redirect(target)
    action = reverse("meeting:follow_up_create", args=[slug])
    if question is not None:
        action += f"?question={question.pk}"
    context = page_context(
        request,
        session,
        form=form,
        action=action,
        question=question,
        existing=getattr(question, "follow_up", None) if question else None,
        problem=problem,
    )
    template = "meeting/follow_up_form.html"
    if request.htmx:
        template += "#follow-up-create"
    return render(request, template, context, status=status)


# ---------------------------------------------------------------- detail and progress


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_detail(request, slug, follow_up_id):
    session = get_session_for_user(request, slug)
    if request.method == "POST":
        require_organiser(request, session)
    try:
        follow_up = selectors.follow_up_for_session(session, follow_up_id)
    except FollowUp.DoesNotExist:
        raise Http404 from None
    done = follow_up.done_at is not None
    organiser = can_organise(request.user, session.district_id)
    form = None
    if organiser:
        form = UpdateForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            done=done,
        )
    status, saved = 200, False
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                followups.follow_up_update(
                    follow_up=follow_up,
                    actor=request.user,
                    text=data["text"],
                    link=data["link"],
                    file=data["file"],
                    colour=data["colour"],
                    marks_done=data.get("marks_done", False),
                    reopen=data.get("reopen", False),
                )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                if not request.htmx:
                    messages.success(request, _("已登记进展。"))
                    return redirect("meeting:follow_up_detail", slug, follow_up.pk)
                follow_up = selectors.follow_up_for_session(session, follow_up_id)
                form = UpdateForm(done=follow_up.done_at is not None)
                status, saved = 200, True
    context = page_context(
        request,
        session,
        follow_up=follow_up,
        colour=follow_up.effective_colour,
        colour_label=Colour(follow_up.effective_colour).label,
        history=selectors.history(follow_up),
        form=form,
        saved=saved,
        tracking=lifecycle.can_track_follow_ups(session),
    )
    template = "meeting/follow_up_detail.html"
    if request.htmx:
        template += "#follow-up-main"
    return render(request, template, context, status=status)


@login_required
@require_GET
def follow_up_file(request, slug, update_id):
    session = get_session_for_user(request, slug)
    update = get_object_or_404(
        FollowUpUpdate.objects.exclude(file=""), pk=update_id, follow_up__session=session
    )
    return FileResponse(
        update.file.open("rb"),
        as_attachment=True,
        filename=update.original_name or update.file.name.rsplit("/", 1)[-1],
        content_type=followups.evidence_content_type(update),
    )


# ---------------------------------------------------------------- correct an entry


class EditForm(forms.Form):
    """What follow_up_edit changes; a leader's item also has its unit, leader and group."""

    title = FollowUpFromQuestionForm.base_fields["title"]
    detail = FollowUpFromQuestionForm.base_fields["detail"]
    due_date = _due_date_field()

    def __init__(self, *args, follow_up: FollowUp, **kwargs):
        super().__init__(*args, **kwargs)
        if follow_up.source == FollowUp.Source.LEADER:
            leader = FollowUpFromLeaderForm(session=follow_up.session)
            for name in ("unit", "asked_by", "leading_group"):
                self.fields[name] = leader.fields[name]
            self.order_fields(["unit", "asked_by", "leading_group"])


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_edit(request, slug, follow_up_id):
    session = get_session_for_user(request, slug, organise=True)
    try:
        follow_up = selectors.follow_up_for_session(session, follow_up_id)
    except FollowUp.DoesNotExist:
        raise Http404 from None
    initial = {
        "title": follow_up.title,
        "detail": follow_up.detail,
        "due_date": follow_up.due_date,
        "unit": follow_up.unit_id,
        "asked_by": follow_up.asked_by,
        "leading_group": follow_up.leading_group,
    }
    form = EditForm(
        request.POST if request.method == "POST" else None, initial=initial, follow_up=follow_up
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                followups.follow_up_edit(
                    follow_up=follow_up, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已保存督办事项的修改。"))
                return redirect("meeting:follow_up_detail", slug, follow_up.pk)
    context = page_context(request, session, follow_up=follow_up, form=form)
    return render(request, "meeting/follow_up_edit.html", context, status=status)
