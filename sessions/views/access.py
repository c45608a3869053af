"""Access helpers every staff view calls first (healthchecks' _get_x_for_user pattern)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.roles import can_moderate, can_organise, can_supervise, can_view

from ..models import ReviewSession


def get_session_for_user(request, slug: str, *, organise: bool = False) -> ReviewSession:
    """The session named by ``slug`` if the user may see it (any staff role) or, with
    ``organise``, change it (the Organiser role). Anonymous users never reach here: views are
    wrapped in login_required."""
    allowed = can_organise(request.user) if organise else can_view(request.user)
    if not allowed:
        raise PermissionDenied(_("您的账号没有执行此操作的权限。"))
    return get_object_or_404(ReviewSession.objects.select_related("scheme"), slug=slug)


def get_session_for_moderator(request, slug: str) -> ReviewSession:
    """The session named by ``slug`` if the user runs the stage (moderator or organiser)."""
    if not can_moderate(request.user):
        raise PermissionDenied(_("只有主持人和组织者可以执行此操作。"))
    return get_object_or_404(ReviewSession.objects.select_related("scheme"), slug=slug)


def require_staff_role(request) -> None:
    if not can_view(request.user):
        raise PermissionDenied(_("您的账号没有访问评议会的权限。"))


def require_organiser(request) -> None:
    if not can_organise(request.user):
        raise PermissionDenied(_("只有组织者可以执行此操作。"))


def form_error(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form it came from, as non-field errors."""
    for message in exc.messages:
        form.add_error(None, message)


def page_context(request, session: ReviewSession, **extra) -> dict:
    """What every session page's template reads: the session and whether the user organises."""
    return {"session": session, "can_organise": can_organise(request.user), **extra}


def confirm_delete(request, session, *, thing, what: str, back: str, delete, done: str = ""):
    """GET asks for confirmation; POST calls ``delete()`` and returns to ``back``. A refusal
    from the service is shown on the confirmation page with 409 and nothing is deleted."""
    error = None
    if request.method == "POST":
        try:
            delete()
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if done:
                messages.success(request, done)
            return redirect(back)
    return render(
        request,
        "sessions/confirm_delete.html",
        page_context(request, session, thing=thing, what=what, error=error, back=back),
        status=409 if error else 200,
    )


def supervision_context(request, session: ReviewSession, **extra) -> dict:
    """The context of the participation, ballot and result pages. ``is_organiser``, not
    ``can_organise``: sessions/_nav.html reads the latter to warn that the configuration is
    frozen, which says nothing useful on these pages."""
    return {
        "session": session,
        "is_organiser": can_organise(request.user),
        "can_see_ballots": can_supervise(request.user),
        **extra,
    }
