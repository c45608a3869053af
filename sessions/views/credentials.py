"""评议码: list, generate, revoke, reissue and print as cards."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..roles import can_organise
from .access import get_session_for_user


@login_required
@require_GET
def credential_list(request, slug):
    session = get_session_for_user(request, slug)
    credentials = session.credentials.select_related("group", "holder_unit")
    return render(
        request,
        "sessions/credentials.html",
        {
            "session": session,
            "can_organise": can_organise(request.user),
            "credentials": credentials,
        },
    )
