"""Access helpers every staff view calls first (healthchecks' _get_x_for_user pattern)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from org import access
from org.access import can_organise, can_supervise
from org.services import default_district

from ..models import ReviewSession


def _visible_sessions(user):
    """Sessions of the districts where the user has a role: any other is not found (404),
    so that nobody learns what another district holds (docs/design.md, "Users and roles")."""
    return ReviewSession.objects.select_related("scheme", "district").filter(
        district__in=access.visible_districts(user)
    )


def get_session_for_user(request, slug: str, *, organise: bool = False) -> ReviewSession:
    """The session named by ``slug`` if the user has a role in its district; with
    ``organise``, only for an organiser there (403 for the district's other staff). Anonymous
    users never reach here: views are wrapped in login_required."""
    require_staff_role(request)  # no role anywhere: 403, saying so
    session = get_object_or_404(_visible_sessions(request.user), slug=slug)
    if organise and not can_organise(request.user, session.district_id):
        raise PermissionDenied(_("您的账号没有执行此操作的权限。"))
    return session


def get_session_for_moderator(request, slug: str) -> ReviewSession:
    """The session named by ``slug`` if the user runs the stage there (moderator or
    organiser of its district)."""
    require_staff_role(request)
    session = get_object_or_404(_visible_sessions(request.user), slug=slug)
    if not access.can_moderate(request.user, session.district_id):
        raise PermissionDenied(_("只有主持人和组织者可以执行此操作。"))
    return session


def require_staff_role(request) -> None:
    """A page of no one session (the list, the workbook template): a role in some district."""
    if not access.is_staff_anywhere(request.user):
        raise PermissionDenied(_("您的账号没有访问评议会的权限。"))


def require_organiser(request, session: ReviewSession | None = None) -> None:
    """An organiser of ``session``'s district; without a session, of some district."""
    allowed = (
        can_organise(request.user, session.district_id)
        if session is not None
        else access.organises_anywhere(request.user)
    )
    if not allowed:
        raise PermissionDenied(_("只有组织者可以执行此操作。"))


def organised_districts(user) -> list:
    """Where the user may create a session: the districts they organise, the installation's
    own for a superuser of a new installation."""
    districts = list(access.districts_where(user, access.Role.ORGANISER))
    return districts or [default_district()]


def form_error(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form it came from, as non-field errors."""
    for message in exc.messages:
        form.add_error(None, message)


def page_context(request, session: ReviewSession, **extra) -> dict:
    """What every session page's template reads: the session and whether the user organises."""
    return {
        "session": session,
        "can_organise": can_organise(request.user, session.district_id),
        **extra,
    }


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
        "is_organiser": can_organise(request.user, session.district_id),
        "can_see_ballots": can_supervise(request.user, session.district_id),
        **extra,
    }
