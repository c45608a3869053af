"""What django-axes needs from the project to throttle staff logins: the client address and the
page it answers with once a user name is locked at that address.

Staff login throttling is described in docs/deployment.md, "Staff login throttling".
"""

import ipaddress

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render

from core.throttle import client_address


def client_ip(request) -> str | None:
    """The address the raters' throttle uses, or None where there is no address to tell (a
    Unix socket, a test client's force_login): axes keeps it in an IP address column, which
    PostgreSQL refuses anything else for."""
    try:
        return str(ipaddress.ip_address(client_address(request)))
    except ValueError:
        return None


def locked_out(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    return render(
        request,
        "registration/locked_out.html",
        {
            "minutes": int(cool_off.total_seconds() // 60),
            "address": client_address(request),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
