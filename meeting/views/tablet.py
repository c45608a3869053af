"""现场问政 on a representative's tablet (docs/design.md §6): no account, the card this device
holds is the key, as on the rating form. The card is the signed cookie that ``POST /r/`` sets
(sessions/views/card.py); no code is in any path (docs/anonymity.md, "Logs").

- ``/r/live/`` the open satisfaction vote, a form to ask a question, 我的提问;
- ``/r/live/ask/`` (POST) ask;
- ``/r/live/vote/`` (POST) vote 满意 / 基本满意 / 不满意 on the open vote, once;
- ``/r/live/vote/panel/`` the vote part, polled every 3 s (304 while unchanged) so a vote the
  moderator opens appears without a reload.

Only credentials of a group that may ask (RaterGroup.can_ask) get in. Codes are typed only on
the entry page, so the wrong-code throttle lives there.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.polling import etag_of, polled
from sessions import lifecycle
from sessions.models import Credential, ReviewSession
from sessions.views import card
from sessions.views.access import form_error

from .. import questions
from ..forms import QuestionAskForm, VoteForm

Status = ReviewSession.Status
# Part of the vote panel's ETag: bump it when the vote-panel partial changes.
PANEL_VERSION = "3"


class Refused(Exception):
    """This device's card cannot use these pages; ``response`` says why."""

    def __init__(self, response):
        self.response = response


def _credential(request, *, page: bool) -> Credential:
    """The credential of this device's card if it may ask and vote; otherwise raise Refused
    with the answer: back to /r/ without a usable card, 403 for a revoked card or a group that
    may not ask. ``page`` chooses full pages over short text answers (for the htmx POSTs and
    the polled fragment)."""
    try:
        credential = card.card_credential(request)
    except card.NoCard as no_card:
        raise Refused(card.no_card_answer(request, no_card.reason, page=page)) from None
    if problem := questions.rehearsal_problem(credential):
        message = problem
    elif credential.status == Credential.Status.REVOKED:
        message = _("这张评议卡已被作废，请向会务人员领取新卡。")
    elif not credential.group.can_ask:
        message = _("此评议码不能提问或投票。")
    else:
        return credential
    if page:
        response = render(
            request,
            "meeting/tablet_refused.html",
            {"message": message, "credential": credential},
            status=403,
        )
    else:
        response = _text(message, 403)
    raise Refused(response)


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _ask_form(credential: Credential, data=None) -> QuestionAskForm | None:
    if not lifecycle.can_ask_from_tablet(credential.session):
        return None
    return QuestionAskForm(data, session=credential.session)


def _vote_context(credential: Credential, **extra) -> dict:
    """The vote part, and 我的提问 (which it refreshes out of band: a question's status
    changes while the representative watches the vote)."""
    return {
        "credential": credential,
        "session": credential.session,
        "open_vote": questions.open_vote_for(credential),
        "my_questions": questions.credential_questions(credential),
        # The vote part polls while a vote can be opened.
        "polling": lifecycle.can_run_stage(credential.session),
        **extra,
    }


def _page_context(credential: Credential, **extra) -> dict:
    extra.setdefault("ask_form", _ask_form(credential))
    return _vote_context(credential, **extra)


@never_cache
@require_GET
def live(request):
    try:
        credential = _credential(request, page=True)
    except Refused as refused:
        return refused.response
    context = _page_context(credential, device_key=card.device_key(credential))
    # The service worker keeps this page for a reload without a network (docs/tablets.md).
    return card.keep_offline(render(request, "meeting/tablet.html", context))


@require_POST
def ask(request):
    try:
        credential = _credential(request, page=not request.htmx)
    except Refused as refused:
        return refused.response
    form = _ask_form(credential, request.POST)
    if form is None:
        message = (
            _("现场问政已结束。")
            if lifecycle.has_ended(credential.session)
            else _("现场问政尚未开放。")
        )
        if request.htmx:
            return _text(message, 409)
        return render(
            request, "meeting/tablet.html", _page_context(credential, error=message), status=409
        )
    asked = False
    if form.is_valid():
        try:
            questions.question_submit(
                credential=credential,
                unit_id=form.cleaned_data["unit"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            asked = True
    if asked and not request.htmx:
        messages.success(request, _("问题已提交，等待主持人审核。"))
        return card.see_other("tablet:live")
    status = 200 if asked else 422
    if asked:
        form = _ask_form(credential)
    if request.htmx:
        # The form again (empty after success) and 我的提问 out of band.
        context = {
            "credential": credential,
            "ask_form": form,
            "asked": asked,
            "my_questions": questions.credential_questions(credential),
        }
        return render(request, "meeting/tablet.html#ask-answer", context, status=status)
    return render(
        request, "meeting/tablet.html", _page_context(credential, ask_form=form), status=status
    )


@require_POST
def vote(request):
    try:
        credential = _credential(request, page=not request.htmx)
    except Refused as refused:
        return refused.response
    form = VoteForm(request.POST)
    error, status = "", 200
    if not form.is_valid():
        error, status = _("请选择满意、基本满意或不满意。"), 422
    else:
        try:
            questions.vote_cast(
                credential=credential,
                question_id=form.cleaned_data["question"],
                choice=form.cleaned_data["choice"],
            )
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 409
    if not request.htmx:
        if error:
            messages.error(request, error)
        return card.see_other("tablet:live")
    return render(
        request,
        "meeting/tablet.html#vote-answer",
        _vote_context(credential, vote_error=error),
        status=status,
    )


def _panel_etag(credential: Credential) -> str:
    """A hash of everything the panel shows, read in one statement, so that the 304 every
    tablet gets while nothing changed costs no more than that statement."""
    rows = questions.panel_signature(credential)
    key = (PANEL_VERSION, get_language(), credential.session.status, rows)
    return etag_of(key)


@require_GET
def vote_panel(request):
    try:
        credential = _credential(request, page=False)
    except Refused as refused:
        return refused.response
    return polled(
        request,
        _panel_etag(credential),
        lambda: render(request, "meeting/tablet.html#vote-answer", _vote_context(credential)),
    )
