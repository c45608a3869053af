"""The rater's side (no account). The form itself is the rating capability (issue 3); this page
is where a credential card's QR code lands and says whether the code can be used now."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Credential, ReviewSession


@require_GET
def entry_code(request, code):
    credential = (
        Credential.objects.select_related("session", "group")
        .filter(code=code.strip().upper())
        .first()
    )
    # A wrong code says so without revealing whether other codes exist.
    state = "unknown"
    if credential:
        if credential.status == Credential.Status.REVOKED:
            state = "revoked"
        elif credential.session.status in (
            ReviewSession.Status.CLOSED,
            ReviewSession.Status.PUBLISHED,
        ):
            # Not "not yet open": telling a rater to wait for the start after the end misleads.
            state = "ended"
        elif credential.session.status != ReviewSession.Status.RATING:
            state = "not_open"
        else:
            state = "open"
    return render(
        request,
        "rate/entry.html",
        {"credential": credential if state != "unknown" else None, "state": state},
        status=404 if state == "unknown" else 200,
    )
