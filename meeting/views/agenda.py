"""议程 and the moderator's console (docs/design.md §6, moderator).

- ``agenda/`` the speakers in order with their segments and limits: moderators and organisers
  generate, add, edit, delete and move items; observers see it read-only;
- ``console/`` the laptop on the moderator's desk: the current item with a big countdown, the
  timer's buttons, the big screen's mode, the agenda, and the screen's link. Its buttons post
  with htmx and swap the ``console-live`` partial; without JavaScript they post and redirect.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.colours import Colour
from org.access import can_moderate
from sessions import lifecycle
from sessions.views.access import (
    confirm_delete,
    form_error,
    get_session_for_moderator,
    get_session_for_user,
)

from .. import agenda
from ..countdown import countdown
from ..models import AgendaItem, Question, Stage
from ..selectors import tally
from ..stage import segment_limits, stage_for

# ---------------------------------------------------------------- forms
# Kept beside their only views.

_MM_SS = re.compile(r"^\s*(\d{1,3})\s*(?:[:：]\s*(\d{1,2}))?\s*$")


class LimitField(forms.Field):
    """A time limit typed as minutes ("5") or minutes and seconds ("7:30"), kept as seconds."""

    widget = forms.TextInput(attrs={"maxlength": 8, "inputmode": "numeric", "autocomplete": "off"})
    default_error_messages = {
        "invalid": gettext_lazy("请按“分:秒”填写限时，例如 5:00 或 7:30；只填数字表示分钟。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", gettext_lazy("分:秒，例如 5:00；只填数字表示分钟。"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return agenda.mm_ss(value) if isinstance(value, int) else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        match = _MM_SS.match(str(value))
        if match is None or (match.group(2) is not None and int(match.group(2)) >= 60):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(match.group(1)) * 60 + int(match.group(2) or 0)

    def validate(self, value):
        super().validate(value)
        if value is not None and not (
            agenda.MIN_LIMIT_SECONDS <= value <= agenda.MAX_LIMIT_SECONDS
        ):
            raise forms.ValidationError(
                _("限时须在 %(min)s 秒到 %(max)s 分钟之间。")
                % {"min": agenda.MIN_LIMIT_SECONDS, "max": agenda.MAX_LIMIT_SECONDS // 60}
            )


class AgendaGenerateForm(forms.Form):
    segments = forms.MultipleChoiceField(
        label=gettext_lazy("每个单位的环节"),
        choices=[(s.value, s.label) for s in agenda.ALL_SEGMENTS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("请选择述职、述责、述廉中的至少一项。")},
    )
    # One limit per segment (述职 is longer than 述廉); only the chosen segments need one.
    work_limit = LimitField(label=gettext_lazy("述职限时"), required=False)
    responsibility_limit = LimitField(label=gettext_lazy("述责限时"), required=False)
    integrity_limit = LimitField(label=gettext_lazy("述廉限时"), required=False)
    # Set by the confirmation step: the first post only says what will be replaced.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    LIMIT_FIELDS = {
        "work": "work_limit",
        "responsibility": "responsibility_limit",
        "integrity": "integrity_limit",
    }

    def clean(self):
        cleaned = super().clean()
        for segment in cleaned.get("segments") or ():
            name = self.LIMIT_FIELDS[segment]
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(
                    name,
                    _("请填写%(segment)s的限时。") % {"segment": AgendaItem.Segment(segment).label},
                )
        return cleaned

    @property
    def limits(self) -> dict[str, int]:
        return {
            segment: self.cleaned_data[name]
            for segment, name in self.LIMIT_FIELDS.items()
            if segment in self.cleaned_data["segments"]
        }


class AgendaItemForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("标题"),
        max_length=agenda.MAX_TITLE_LENGTH,
        required=False,
        help_text=gettext_lazy("例如：主持人讲话、观看重点项目视频。单位的项目可留空。"),
    )
    limit_seconds = LimitField(label=gettext_lazy("限时"))


class AgendaMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class TimerForm(forms.Form):
    ACTIONS = {
        "start": agenda.item_start,
        "pause": agenda.item_pause,
        "resume": agenda.item_resume,
        "finish": agenda.item_finish,
        "extend_60": agenda.item_extend,
        "extend_30": agenda.item_extend,
    }
    action = forms.ChoiceField(choices=[(key, key) for key in ACTIONS])
    # 结束 asks first (hx-confirm, or the confirmation page without JavaScript).
    confirmed = forms.BooleanField(required=False)


class ConfirmForm(forms.Form):
    confirmed = forms.BooleanField(required=False)


class ScreenModeForm(forms.Form):
    mode = forms.ChoiceField(choices=Stage.Mode.choices)
    project_colour = forms.ChoiceField(choices=[("", ""), *Colour.choices], required=False)


# ---------------------------------------------------------------- the agenda page


def _context(session, **extra) -> dict:
    """Without ``can_organise``: sessions/_nav.html would warn that the configuration is
    frozen, which says nothing about the agenda (it is edited while live)."""
    return {"session": session, **extra}


def _items(session):
    return list(AgendaItem.objects.filter(session=session).select_related("participant__unit"))


def _agenda_page(
    request,
    session,
    *,
    generate_form=None,
    add_form=None,
    edit_form=None,
    editing=None,
    confirm_generate=False,
    status=200,
):
    items = _items(session)
    stage = Stage.objects.filter(session=session).first()
    editable = can_moderate(request.user, session.district_id) and lifecycle.can_edit_agenda(
        session
    )
    started = any(item.state != AgendaItem.State.WAITING for item in items)
    return render(
        request,
        "meeting/agenda.html",
        _context(
            session,
            items=items,
            current_id=stage.current_item_id if stage else None,
            can_moderate=can_moderate(request.user, session.district_id),
            editable=editable,
            started=started,
            generate_form=generate_form
            or AgendaGenerateForm(
                initial={
                    "segments": list(agenda.default_segments(session)),
                    **{
                        AgendaGenerateForm.LIMIT_FIELDS[segment]: seconds
                        for segment, seconds in segment_limits(session).items()
                    },
                }
            ),
            add_form=add_form or AgendaItemForm(prefix="add", initial={"limit_seconds": 300}),
            edit_form=edit_form,
            editing=editing,
            confirm_generate=confirm_generate,
            total_seconds=sum(item.limit_total for item in items),
        ),
        status=status,
    )


@login_required
@require_GET
def agenda_page(request, slug):
    session = get_session_for_user(request, slug)
    return _agenda_page(request, session)


@login_required
@require_POST
def agenda_generate(request, slug):
    session = get_session_for_moderator(request, slug)
    form = AgendaGenerateForm(request.POST)
    if not form.is_valid():
        return _agenda_page(request, session, generate_form=form, status=422)
    existing = AgendaItem.objects.filter(session=session).count()
    if existing and not form.cleaned_data["confirmed"]:
        return _agenda_page(request, session, generate_form=form, confirm_generate=True)
    try:
        items = agenda.agenda_generate(
            session=session,
            actor=request.user,
            segments=form.cleaned_data["segments"],
            limits=form.limits,
        )
    except ValidationError as exc:
        form_error(form, exc)
        return _agenda_page(request, session, generate_form=form, status=409)
    messages.success(request, _("已生成议程：%(n)s 个项目。") % {"n": len(items)})
    return redirect("meeting:agenda", slug)


@login_required
@require_POST
def agenda_item_add(request, slug):
    session = get_session_for_moderator(request, slug)
    form = AgendaItemForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            item = agenda.agenda_item_add(session=session, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加：%(label)s") % {"label": item.label})
            return redirect("meeting:agenda", slug)
    return _agenda_page(request, session, add_form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def agenda_item_edit(request, slug, item_id):
    session = get_session_for_moderator(request, slug)
    item = get_object_or_404(
        AgendaItem.objects.select_related("participant__unit"), session=session, pk=item_id
    )
    form = AgendaItemForm(
        request.POST or None,
        initial={"title": item.title, "limit_seconds": item.limit_seconds},
    )
    if request.method == "POST" and form.is_valid():
        try:
            agenda.agenda_item_update(item=item, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存：%(label)s") % {"label": item.label})
            return redirect("meeting:agenda", slug)
    status = 422 if request.method == "POST" else 200
    return _agenda_page(request, session, edit_form=form, editing=item, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def agenda_item_delete(request, slug, item_id):
    session = get_session_for_moderator(request, slug)
    item = get_object_or_404(
        AgendaItem.objects.select_related("participant__unit"), session=session, pk=item_id
    )
    return confirm_delete(
        request,
        session,
        thing=item.label,
        what=_("议程项目"),
        back=reverse("meeting:agenda", args=[slug]),
        delete=lambda: agenda.agenda_item_delete(item=item, actor=request.user),
        done=_("已删除：%(label)s") % {"label": item.label},
    )


@login_required
@require_POST
def agenda_item_move(request, slug, item_id):
    session = get_session_for_moderator(request, slug)
    item = get_object_or_404(AgendaItem, session=session, pk=item_id)
    form = AgendaMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("无效的操作。"))
    else:
        try:
            agenda.agenda_item_move(
                item=item, actor=request.user, up=form.cleaned_data["direction"] == "up"
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('meeting:agenda', args=[slug])}#item-{item.pk}")


# ---------------------------------------------------------------- the console

ENDING = (AgendaItem.State.RUNNING, AgendaItem.State.PAUSED)


def finish_prompt(item: AgendaItem) -> str:
    """What 结束 asks: the item's time becomes final and cannot run again."""
    return _("结束“%(label)s”？计时将停止，本项用时定为最终用时，不能再继续或延长。") % {
        "label": item.label
    }


def next_prompt(current: AgendaItem | None, following: AgendaItem | None) -> str:
    """What 下一位 asks when it ends a speaker who is still on; "" when it ends nothing."""
    if current is None or current.state not in ENDING:
        return ""
    if following is None:
        return _("结束“%(label)s”？议程中已没有下一位。") % {"label": current.label}
    return _("结束“%(label)s”并开始下一位“%(next)s”？") % {
        "label": current.label,
        "next": following.label,
    }


def _confirmed(request) -> bool:
    form = ConfirmForm(request.POST)
    return form.is_valid() and form.cleaned_data["confirmed"]


def _confirm_page(request, session, *, prompt: str, action: str, label: str, hidden=()):
    """The confirmation without JavaScript (with htmx the button asks with hx-confirm)."""
    return render(
        request,
        "meeting/confirm.html",
        _context(
            session,
            prompt=prompt,
            action=action,
            hidden=list(hidden),
            confirm_label=label,
            back=reverse("meeting:console", args=[session.slug]),
            active="console",
        ),
    )


def _unconfirmed(request, session, *, slug: str, prompt: str, action: str, label: str, hidden=()):
    """A post that needed a confirmation and came without one: the confirmation page, or,
    from a console that was out of date (htmx, no hx-confirm shown), the console again with
    the question, so the next click asks."""
    if request.htmx:
        return _console_answer(
            request,
            session,
            slug=slug,
            error=_("%(prompt)s（主持台已更新：请再点一次并确认。）") % {"prompt": prompt},
        )
    return _confirm_page(request, session, prompt=prompt, action=action, label=label, hidden=hidden)


def _console_context(request, session, *, error: str = "") -> dict:
    stage = stage_for(session)
    items = _items(session)
    current = next((item for item in items if item.pk == stage.current_item_id), None)
    following = agenda.next_waiting(session, current)
    screen_path = reverse("screen:screen", args=[stage.screen_token])
    return _context(
        session,
        stage=stage,
        items=items,
        current=current,
        countdown=countdown(current),
        next_item=following,
        timer_enabled=lifecycle.can_run_stage(session),
        screen_enabled=lifecycle.can_show_screen(session),
        modes=Stage.Mode.choices,
        colours=Colour.choices,
        published=session.result_snapshots.exists(),  # scoring's snapshots, by the reverse relation
        screen_url=request.build_absolute_uri(screen_path),
        screen_path=screen_path,
        on_screen=stage.question_on_screen,
        on_screen_tally=tally(stage.question_on_screen) if stage.question_on_screen else None,
        pending_questions=session.questions.filter(status=Question.Status.SUBMITTED).count(),
        next_prompt=next_prompt(current, following),
        finish_prompt=finish_prompt(current) if current is not None else "",
        can_extend=current is not None
        and current.state != AgendaItem.State.DONE
        and current.extra_seconds < agenda.MAX_EXTRA_SECONDS,
        error=error,
    )


def _console_answer(request, session, *, slug: str, error: str = ""):
    """htmx: the live partial (409 with the message when refused; base.html lets htmx swap
    409). Without htmx: back to the console, the refusal as a message."""
    if request.htmx:
        return render(
            request,
            "meeting/console.html#console-live",
            _console_context(request, session, error=error),
            status=409 if error else 200,
        )
    if error:
        messages.error(request, error)
    return redirect("meeting:console", slug)


def _run(request, session, slug, action) -> object:
    try:
        action()
    except ValidationError as exc:
        return _console_answer(request, session, slug=slug, error=" ".join(exc.messages))
    return _console_answer(request, session, slug=slug)


@login_required
@require_GET
def console(request, slug):
    session = get_session_for_moderator(request, slug)
    return render(request, "meeting/console.html", _console_context(request, session))


@login_required
@require_POST
def console_timer(request, slug, item_id):
    session = get_session_for_moderator(request, slug)
    item = get_object_or_404(AgendaItem, session=session, pk=item_id)
    form = TimerForm(request.POST)
    if not form.is_valid():
        return _console_answer(request, session, slug=slug, error=_("无效的操作。"))
    action = form.cleaned_data["action"]
    service = TimerForm.ACTIONS[action]
    if action == "finish" and item.state in ENDING and not form.cleaned_data["confirmed"]:
        return _unconfirmed(
            request,
            session,
            slug=slug,
            prompt=finish_prompt(item),
            action=reverse("meeting:console_timer", args=[slug, item.pk]),
            label=_("确认结束"),
            hidden=[("action", "finish")],
        )
    extra = {"seconds": int(action.removeprefix("extend_"))} if action.startswith("extend_") else {}
    return _run(request, session, slug, lambda: service(item=item, actor=request.user, **extra))


@login_required
@require_POST
def console_next(request, slug):
    session = get_session_for_moderator(request, slug)
    stage = stage_for(session)
    current = (
        AgendaItem.objects.select_related("participant__unit")
        .filter(session=session, pk=stage.current_item_id)
        .first()
    )
    prompt = next_prompt(current, agenda.next_waiting(session, current))
    if prompt and not _confirmed(request):
        return _unconfirmed(
            request,
            session,
            slug=slug,
            prompt=prompt,
            action=reverse("meeting:console_next", args=[slug]),
            label=_("确认下一位"),
        )
    return _run(
        request, session, slug, lambda: agenda.agenda_next(session=session, actor=request.user)
    )


@login_required
@require_POST
def console_screen(request, slug):
    session = get_session_for_moderator(request, slug)
    form = ScreenModeForm(request.POST)
    if not form.is_valid():
        return _console_answer(request, session, slug=slug, error=_("无效的大屏显示内容。"))
    return _run(
        request,
        session,
        slug,
        lambda: agenda.screen_mode_set(session=session, actor=request.user, **form.cleaned_data),
    )


@login_required
@require_POST
def console_screen_renew(request, slug):
    """A new big-screen link; the console (and its confirmation box) shows the new one."""
    session = get_session_for_moderator(request, slug)
    agenda.screen_token_renew(session=session, actor=request.user)
    messages.success(request, _("已更换大屏链接：旧链接已失效，请在投影电脑上打开新链接。"))
    return redirect("meeting:console", slug)
