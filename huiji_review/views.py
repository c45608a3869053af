"""Answers that must still work while the database does not (docs/deployment.md, "Database
outages and stuck locks"): the error pages behind ``handler500`` and the readiness probe.

Nothing here touches the database, the session or a context processor, reads the request's
body or logs anything of its own.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import threading

import psycopg
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

# How long a client should wait before trying again. The rater's script (static/js/app.js)
# waits this long before it sends a submission again; the 503 page reloads itself after it.
RETRY_AFTER_SECONDS = 5

# Django raises a driver's error as its own class of the same name, with the driver's as the
# cause: psycopg's LockNotAvailable (55P03, lock_timeout) and QueryCanceled (57014,
# statement_timeout) are OperationalErrors, as are a refused connection and a server shutting
# down; a connection that died under a request is an InterfaceError. The driver's own classes
# are listed too for what reaches a view unwrapped.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

# Short answers for htmx requests: the rater's script retries a 5xx and shows its own message,
# and a whole page would not be swapped in anyway.
_PLAIN = {
    503: "数据库暂时无法访问，请稍候，系统会自动重试。"
    " The database is briefly unavailable; retrying by itself.",
    500: "服务器出错，刚才的操作没有完成。 Server error: the last action was not completed.",
}

# The page when its template cannot be rendered either (a broken install, a missing static
# manifest): the same message, with nothing that could fail.
_FALLBACK = {
    503: (
        '<!doctype html><html lang="zh-hans"><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="5"><title>请稍候</title>'
        "<h1>系统正在恢复，请稍候</h1><p>本页每 5 秒自动重试。已保存的评价都在，无需重新填写。</p>"
        '<p lang="en">The service is recovering; this page retries every 5 seconds. Your saved'
        " grades are safe: nothing needs to be entered again.</p></html>"
    ),
    500: (
        '<!doctype html><html lang="zh-hans"><meta charset="utf-8"><title>服务器出错</title>'
        "<h1>服务器出错</h1><p>刚才的操作没有完成，请返回上一页重试。</p>"
        '<p lang="en">Server error: the last action was not completed. Please go back and try'
        " again.</p></html>"
    ),
}


def database_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` means the database cannot answer right now (unreachable, restarting,
    a lock or statement timeout), so the same request is worth sending again in a moment."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, _UNAVAILABLE):
            return True
        seen.add(id(exc))
        exc = exc.__cause__
    return False


def _reload_url(request) -> str:
    """Where the 503 page reloads: the same address after a GET (an empty answer). After a
    form's POST, which a reload does not send again and whose address may answer POST only,
    the page the form was on, if it is on this site."""
    if request.method in ("GET", "HEAD"):
        return ""
    referer = request.headers.get("Referer", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return referer
    return ""


def _page(status: int, context: dict | None = None) -> str:
    try:
        # No request, so no context processor runs: none of them may reach the database.
        return loader.get_template(f"{status}.html").render(context)
    except Exception:  # noqa: BLE001 - an error page must not fail in turn
        return _FALLBACK[status]


def server_error(request):
    """``handler500``: 503 with Retry-After when the database is unavailable, else 500.

    Django calls it from inside its ``except`` block with nothing but the request, so the
    exception is the one ``sys.exc_info()`` is handling. It runs for exceptions raised in a
    middleware too (the session loaded for request.user, the session saved afterwards), so it
    reads nothing that a middleware sets: ``request.htmx`` may not exist yet."""
    unavailable = database_unavailable(sys.exc_info()[1])
    status = 503 if unavailable else 500
    # Django logs the failure after this returns, with the request; an error report made
    # from that log record (mail_admins, or any handler built on Django's ExceptionReporter)
    # must not carry what was posted: a rater's grades, a code, a password.
    request.sensitive_post_parameters = "__ALL__"
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(
            _PLAIN[status], status=status, content_type="text/plain; charset=utf-8"
        )
    else:
        response = HttpResponse(_page(status, {"reload_url": _reload_url(request)}), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _not_ready(reason: str) -> HttpResponse:
    response = HttpResponse(reason, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def readyz(request):
    """Whether this process can serve raters: the database answers ``SELECT 1`` and the cache
    keeps a value. For the load balancer or orchestrator beside ``/healthz/`` (which only says
    the process is alive). The reason is one line, never a traceback or a server address."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return _not_ready(f"database unavailable ({type(exc).__name__})")
    # One key per thread of each process on each host: probes of other workers sharing the
    # cache cannot overwrite it between the set and the get.
    key = f"readyz:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    token = secrets.token_hex(8)
    try:
        cache.set(key, token, timeout=30)
        kept = cache.get(key) == token
    except Exception as exc:  # noqa: BLE001 - any backend's failure (database, Redis) is "not ready"
        return _not_ready(f"cache unavailable ({type(exc).__name__})")
    if not kept:
        return _not_ready("cache unavailable (value not kept)")
    response = HttpResponse("ok", content_type="text/plain; charset=utf-8")
    add_never_cache_headers(response)
    return response


def csrf_failure(request, reason=""):
    """A refused CSRF check (a page left open past its token, cookies cleared): say what to
    do, in the rater's language, instead of Django's technical page. htmx requests get one line
    that the page's script shows in its banner."""
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    message = _("页面已过期，请刷新页面后再试。")
    if request.headers.get("HX-Request") == "true":
        return HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
    return render(request, "403_csrf.html", {"message": message}, status=403)
