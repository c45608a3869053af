"""参与情况: the organisers' live monitor, and flagged and void ballots
(docs/design.md §4.9, 4.10 and 6).

- ``monitor/`` every staff role: credentials issued / opened / submitted per rater group, and
  (organisers) the buttons that open and close rating;
- ``monitor/fragment/`` the participation table that page polls with htmx every 5 s; it answers
  304 with no body while nothing it shows has changed (docs/design.md §8);
- ``ballots/`` organisers and observers: flagged ballots and void ballots;
- ``ballots/<id>/`` one ballot's grades; organisers void it there, with a confirmation step.
- ``monitor/blocks/<address>/lift/`` organisers lift a wrong-code block listed on the monitor
  (core/throttle.py), after a confirmation page.

Anonymity: no page here shows a credential, a holder's name or a time next to
a ballot; a ballot is named by the first 8 hex digits of its random id.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import throttle
from core.polling import etag_of, polled
from org.access import can_organise, can_supervise

from .. import ballots, lifecycle, services
from ..models import Ballot, ReviewSession
from .access import form_error, get_session_for_user, require_organiser, supervision_context

Status = ReviewSession.Status

# Part of the fragment's ETag: bump it when the participation partial changes, so that browsers
# holding the old markup get the new one although no count changed.
FRAGMENT_VERSION = "1"


class BallotVoidForm(forms.Form):
    """Kept beside its only view, as sessions/views/credentials.py does with its forms."""

    reason = forms.CharField(
        label=gettext_lazy("作废理由"),
        max_length=ballots.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("理由随评议票保存，并在评议结果报告中列出。"),
    )
    # Set by the confirmation step's button; the first post only shows what will happen.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_reason(self) -> str:
        return ballots.void_reason_clean(self.cleaned_data["reason"])


def _get_session_for_ballots(request, slug: str) -> ReviewSession:
    """Ballots are for organisers and observers (纪委/人大 supervision), not moderators."""
    session = get_session_for_user(request, slug)
    if not can_supervise(request.user, session.district_id):
        raise PermissionDenied(_("只有组织者和监督人员可以查看评议票。"))
    return session


# ---------------------------------------------------------------- monitor


def _participation_ctx(session: ReviewSession, rows: list[ballots.Participation]) -> dict:
    return {
        "rows": rows[:-1],
        "total": rows[-1],
        # A published session can no longer change: nothing to poll for.
        "polling": not lifecycle.is_published(session),
    }


def _participation_etag(session: ReviewSession, rows: list[ballots.Participation]) -> str:
    """A hash of everything the fragment shows, so 304 means exactly "same markup"."""
    key = (FRAGMENT_VERSION, get_language(), session.status, [row.key() for row in rows])
    return etag_of(key)


@login_required
@require_GET
def monitor(request, slug):
    session = get_session_for_user(request, slug)
    organiser = can_organise(request.user, session.district_id)
    # Only the moves this page is about, and only when they are allowed right now.
    transitions = [
        (target, Status(target).label)
        for target in (Status.RATING, Status.CLOSED)
        if organiser
        and target in lifecycle.TRANSITIONS[session.status]
        and not services.transition_problems(session, target)
    ]
    rows = ballots.participation(session)
    return render(
        request,
        "sessions/monitor.html",
        supervision_context(
            request,
            session,
            transitions=transitions,
            # Addresses are for the supervising roles, as the ballots are; not the moderator.
            wrong_code_blocks=throttle.blocks()
            if can_supervise(request.user, session.district_id)
            else None,
            **_participation_ctx(session, rows),
        ),
    )


@login_required
@require_GET
def monitor_fragment(request, slug):
    """The polled table: three queries of its own (the session, then the counts in two), and
    no rendering at all when the browser already has this version.

    The browser sends If-None-Match itself (core/polling.py)."""
    session = get_session_for_user(request, slug)
    rows = ballots.participation(session)
    return polled(
        request,
        _participation_etag(session, rows),
        lambda: render(
            request,
            "sessions/monitor.html#participation",
            supervision_context(request, session, **_participation_ctx(session, rows)),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def wrong_code_unblock(request, slug, address):
    """GET: the block and what lifting it does. POST: lift it (audited), back to the monitor.

    Organisers only: observers see the blocks on the monitor but change nothing."""
    session = get_session_for_user(request, slug, organise=True)
    block = throttle.block_for(address)
    if block is None:
        messages.info(
            request,
            _("地址 %(address)s 目前没有被限制（可能已到期或已被解除）。") % {"address": address},
        )
        return redirect("review:monitor", session.slug)
    if request.method == "POST":
        throttle.block_lift(session=session, address=address, actor=request.user)
        messages.success(
            request, _("已解除地址 %(address)s 的评议码输错限制。") % {"address": address}
        )
        return redirect("review:monitor", session.slug)
    return render(
        request,
        "sessions/unblock_confirm.html",
        supervision_context(request, session, lifting=block),
    )


# ---------------------------------------------------------------- flagged and void ballots


@login_required
@require_GET
def ballot_list(request, slug):
    session = _get_session_for_ballots(request, slug)
    return render(
        request,
        "sessions/ballots.html",
        supervision_context(
            request,
            session,
            flagged=ballots.flagged_ballots(session),
            voided=ballots.void_ballots(session),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def ballot_detail(request, slug, ballot_id):
    """GET: the ballot's grades (and, for organisers, the void form). POST: the reason is
    checked and the consequences shown; POST with ``confirmed``: the ballot is voided."""
    session = _get_session_for_ballots(request, slug)
    if request.method == "POST":
        require_organiser(request, session)
    try:
        ballot = ballots.ballot_for_session(session, ballot_id)
    except Ballot.DoesNotExist:
        raise Http404 from None
    organiser = can_organise(request.user, session.district_id)
    form = BallotVoidForm(request.POST or None) if organiser else None
    confirming, status = False, 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        elif form.cleaned_data["confirmed"]:
            try:
                ballots.ballot_void(
                    ballot=ballot, reason=form.cleaned_data["reason"], actor=request.user
                )
            except ValidationError as exc:
                form_error(form, exc)
                status = 422
            else:
                messages.success(
                    request, _("评议票 %(id)s 已作废。") % {"id": ballots.short_id(ballot)}
                )
                return redirect("review:ballot_detail", slug, ballot.pk)
        elif problem := ballots.void_problem(ballot, session):
            form.add_error(None, problem)
            status = 422
        else:
            confirming = True
    criteria, grade_rows, tally = ballots.ballot_grades(ballot)
    return render(
        request,
        "sessions/ballot_detail.html",
        supervision_context(
            request,
            session,
            ballot=ballot,
            criteria=criteria,
            grade_rows=grade_rows,
            tally=tally,
            form=form,
            confirming=confirming,
            void_problem=ballots.void_problem(ballot, session) if organiser else None,
        ),
        status=status,
    )
