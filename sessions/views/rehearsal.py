"""彩排 pages (docs/rehearsal.md): start a rehearsal of a ready session, and end it with the
reset, each behind one confirmation page. Organisers only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import rehearsal
from ..models import Ballot, Credential, ReviewSession
from .access import get_session_for_user, page_context


@login_required
@require_http_methods(["GET", "POST"])
def rehearsal_start(request, slug):
    """GET: what a rehearsal does and what stops it. POST: start it."""
    session = get_session_for_user(request, slug, organise=True)
    problems = rehearsal.start_problems(session)
    if request.method == "POST" and not problems:
        try:
            rehearsal.rehearsal_start(session=session, actor=request.user)
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(
                request,
                _("彩排已开始：请打印彩排评议卡。真实评议码在彩排期间不能使用。"),
            )
            return redirect(session)
    return render(
        request,
        "sessions/rehearsal_confirm.html",
        page_context(
            request,
            session,
            mode="start",
            problems=problems,
            codes_per_group=rehearsal.CODES_PER_GROUP,
            groups=session.rater_groups.all(),
        ),
        status=409 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rehearsal_reset(request, slug):
    """GET: everything the reset will remove or put back. POST: 结束彩排并恢复."""
    session = get_session_for_user(request, slug, organise=True)
    current = rehearsal.current(session)
    problems = [] if current is not None else [_("评议会没有在彩排，无需恢复。")]
    if request.method == "POST" and not problems:
        try:
            rehearsal.rehearsal_reset(session=session, actor=request.user)
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(request, _("彩排已结束，评议会已恢复到彩排前的状态。"))
            return redirect(session)
    context = page_context(request, session, mode="reset", problems=problems, rehearsal=current)
    if current is not None:
        ballots = Ballot.objects.filter(session=session)
        found = rehearsal.changes(session, current)
        context.update(
            changes=found,
            other_work=rehearsal.other_work(found),
            codes=Credential.objects.filter(session=session, rehearsal=True).count(),
            tablet_ballots=ballots.filter(source=Ballot.Source.TABLET).count(),
            paper_ballots=ballots.filter(source=Ballot.Source.PAPER).count(),
            audit_entries=rehearsal.audit_entries(session, current).count(),
            restore_status=ReviewSession.Status(
                current.snapshot["session"][0]["fields"]["status"]
            ).label,
        )
    return render(
        request,
        "sessions/rehearsal_confirm.html",
        context,
        status=409 if problems and request.method == "POST" else 200,
    )
