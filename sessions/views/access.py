"""Access helpers every staff view calls first (healthchecks' _get_x_for_user pattern)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from ..models import ReviewSession
from ..roles import can_organise, can_view


def get_session_for_user(request, slug: str, *, organise: bool = False) -> ReviewSession:
    """The session named by ``slug`` if the user may see it (any staff role) or, with
    ``organise``, change it (the Organiser role). Anonymous users never reach here: views are
    wrapped in login_required."""
    allowed = can_organise(request.user) if organise else can_view(request.user)
    if not allowed:
        raise PermissionDenied(_("您的账号没有执行此操作的权限。"))
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
