"""现场问政: the moderator's question queue (docs/design.md §6).

- ``questions/`` every staff role sees the queue; moderators and organisers act on it;
- ``questions/board/`` the queue's columns, polled by the page every 5 s with htmx; 304 with
  no body while nothing on it changed (questions arrive from tablets, votes come in);
- ``questions/add/`` staff enter a question (会前征集: by letter or phone);
- ``questions/<id>/<action>/`` one moderator action; the answer is the board again;
- ``questions/rechecks/`` 回头看 (以评促改): each unit's commitments from earlier reviews, put
  into the queue by a moderator, with the hall's vote once held (docs/meeting.md, "回头看").
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.polling import etag_of, polled
from org.access import can_moderate
from sessions import lifecycle
from sessions.views.access import (
    form_error,
    get_session_for_moderator,
    get_session_for_user,
    page_context,
)

from .. import questions, rechecks
from ..forms import (
    ConfirmForm,
    QuestionAddForm,
    QuestionAnsweredForm,
    QuestionEditForm,
    QuestionMergeForm,
    QuestionMoveForm,
    QuestionRejectForm,
    RecheckForm,
)
from ..models import Question

# Part of the board's ETag: bump it when the board partial changes, so that browsers holding
# the old markup get the new one although no question changed.
BOARD_VERSION = "2"


def _board_context(request, session, **extra) -> dict:
    return page_context(
        request,
        session,
        queue=questions.queue(session),
        can_act=can_moderate(request.user, session.district_id),
        polling=lifecycle.can_review_questions(session),
        on_stage=lifecycle.can_run_stage(session),
        **extra,
    )


def _board(request, session, *, error: str = "", status: int = 200):
    return render(
        request,
        "meeting/questions.html#board",
        _board_context(request, session, error=error),
        status=status,
    )


def _board_etag(request, session) -> str:
    key = (
        BOARD_VERSION,
        get_language(),
        can_moderate(request.user, session.district_id),
        questions.queue_key(session),
    )
    return etag_of(key)


@login_required
@require_GET
def question_list(request, slug):
    session = get_session_for_user(request, slug)
    add_form = None
    if can_moderate(request.user, session.district_id) and lifecycle.can_add_questions(session):
        add_form = QuestionAddForm(session=session)
    return render(
        request,
        "meeting/questions.html",
        _board_context(request, session, add_form=add_form),
    )


@login_required
@require_GET
def board(request, slug):
    """The polled board. The browser sends If-None-Match itself (core/polling.py) and gets 304 while the question states, the votes and the question on screen are as they
    were."""
    session = get_session_for_user(request, slug)
    return polled(request, _board_etag(request, session), lambda: _board(request, session))


@login_required
@require_POST
def question_add(request, slug):
    session = get_session_for_moderator(request, slug)
    form = QuestionAddForm(request.POST, session=session)
    status = 422
    if form.is_valid():
        try:
            questions.question_add(
                session=session,
                actor=request.user,
                unit=form.cleaned_data["unit"],
                text=form.cleaned_data["text"],
                asker=form.cleaned_data["asker"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("问题已录入，等待审核。"))
                return redirect("meeting:questions", session.slug)
            form, status = QuestionAddForm(session=session), 200
    if request.htmx:
        # The form again (empty after success), and the board out of band.
        return render(
            request,
            "meeting/questions.html#add-answer",
            _board_context(request, session, add_form=form, added=status == 200),
            status=status,
        )
    return render(
        request,
        "meeting/questions.html",
        _board_context(request, session, add_form=form),
        status=status,
    )


def _act(request, slug, question_id, form_class, do):
    """One moderator action on one question of this session: parse the form, call the
    service, answer with the board (htmx) or go back to the page. A refusal is shown on the
    board with 422 (a bad form) or 409 (the service said no) and changes nothing."""
    session = get_session_for_moderator(request, slug)
    question = get_object_or_404(Question, session=session, pk=question_id)
    form = form_class(request.POST) if form_class else None
    error, status = "", 200
    if form is not None and not form.is_valid():
        error = " ".join(str(m) for errors in form.errors.values() for m in errors)
        status = 422
    else:
        try:
            do(session, question, form.cleaned_data if form else {})
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 409
    if error:
        error = _("问题“%(text)s”：%(error)s") % {"text": question.text[:20], "error": error}
    if request.htmx:
        return _board(request, session, error=error, status=status)
    if error:
        messages.error(request, error)
    return redirect("meeting:questions", session.slug)


@login_required
@require_POST
def question_approve(request, slug, question_id):
    return _act(
        request,
        slug,
        question_id,
        None,
        lambda session, q, data: questions.question_approve(question=q, actor=request.user),
    )


@login_required
@require_POST
def question_edit(request, slug, question_id):
    return _act(
        request,
        slug,
        question_id,
        QuestionEditForm,
        lambda session, q, data: questions.question_edit(
            question=q, actor=request.user, text=data["text"]
        ),
    )


@login_required
@require_POST
def question_reject(request, slug, question_id):
    return _act(
        request,
        slug,
        question_id,
        QuestionRejectForm,
        lambda session, q, data: questions.question_reject(
            question=q, actor=request.user, reason=data["reason"]
        ),
    )


@login_required
@require_POST
def question_merge(request, slug, question_id):
    def merge(session, q, data):
        # Only a question of this session can be named; any other id is a tampered form.
        into = get_object_or_404(Question, session=session, pk=data["into"])
        questions.question_merge(question=q, into=into, actor=request.user)

    return _act(request, slug, question_id, QuestionMergeForm, merge)


@login_required
@require_POST
def question_move(request, slug, question_id):
    return _act(
        request,
        slug,
        question_id,
        QuestionMoveForm,
        lambda session, q, data: questions.question_move(
            question=q, actor=request.user, direction=data["direction"]
        ),
    )


@login_required
@require_POST
def question_screen(request, slug, question_id):
    return _act(
        request,
        slug,
        question_id,
        None,
        lambda session, q, data: questions.question_put_on_screen(question=q, actor=request.user),
    )


@login_required
@require_POST
def question_answered(request, slug, question_id):
    return _act(
        request,
        slug,
        question_id,
        QuestionAnsweredForm,
        lambda session, q, data: questions.question_answered(
            question=q, actor=request.user, summary=data["summary"]
        ),
    )


@login_required
@require_POST
def vote_open(request, slug, question_id):
    """Opening a vote closes the one still open: that is asked first (hx-confirm on the
    board; without JavaScript, a confirmation page)."""
    session = get_session_for_moderator(request, slug)
    question = get_object_or_404(
        Question.objects.select_related("unit"), session=session, pk=question_id
    )
    form = ConfirmForm(request.POST)
    confirmed = form.is_valid() and form.cleaned_data["confirmed"]
    prompt = questions.vote_switch_prompt(questions.open_vote_of(session), question)
    if prompt and not confirmed:
        if request.htmx:
            # A board older than the other vote: it showed no question; now it does.
            error = _("%(prompt)s（队列已更新：请再点一次并确认。）") % {"prompt": prompt}
            return _board(request, session, error=error, status=409)
        return render(
            request,
            "meeting/confirm.html",
            page_context(
                request,
                session,
                prompt=prompt,
                action=reverse("meeting:question_vote_open", args=[slug, question.pk]),
                hidden=[],
                confirm_label=_("确认开启投票"),
                back=reverse("meeting:questions", args=[slug]),
                active="questions",
            ),
        )
    return _act(
        request,
        slug,
        question_id,
        None,
        lambda session, q, data: questions.vote_open(question=q, actor=request.user),
    )


@login_required
@require_POST
def vote_close(request, slug, question_id):
    return _act(
        request,
        slug,
        question_id,
        None,
        lambda session, q, data: questions.vote_close(question=q, actor=request.user),
    )


# ---------------------------------------------------------------- 回头看


@login_required
@require_GET
def recheck_list(request, slug):
    session = get_session_for_user(request, slug)
    return _recheck_page(request, session)


def _recheck_page(request, session, *, error: str = "", status: int = 200):
    return render(
        request,
        "meeting/rechecks.html",
        page_context(
            request,
            session,
            rows=rechecks.recheck_rows(session),
            can_add=can_moderate(request.user, session.district_id)
            and lifecycle.can_add_questions(session),
            error=error,
        ),
        status=status,
    )


@login_required
@require_POST
def recheck_add(request, slug):
    session = get_session_for_moderator(request, slug)
    form = RecheckForm(request.POST, session=session)
    if not form.is_valid():
        error = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return _recheck_page(request, session, error=error, status=422)
    try:
        question = questions.recheck_add(
            session=session, actor=request.user, unit=form.cleaned_data["unit"]
        )
    except ValidationError as exc:
        return _recheck_page(request, session, error=" ".join(exc.messages), status=409)
    messages.success(
        request,
        _(
            "“%(unit)s”的回头看已加入问政队列（已通过），可在现场问政页上大屏、记录答复并开启满意度投票。"
        )
        % {"unit": question.unit.name},
    )
    return redirect("meeting:rechecks", session.slug)
