"""The audit trail's write API (docs/design.md §3: who did what, when).

Every app records its changes here. The log's model stays ``review.AuditLog`` in the sessions
app: its table, migrations and the foreign key to the session an entry belongs to are there
(docs/architecture.md, "What lives in core"). Core names it through the ``AUDIT_LOG_MODEL``
setting and the app registry, the way django.contrib.auth reaches ``AUTH_USER_MODEL``, so this
module imports no app above it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db import models


def audit_log_model() -> type[models.Model]:
    return apps.get_model(settings.AUDIT_LOG_MODEL, require_ready=True)


def stored_user(actor):
    """``actor`` when it is a saved user, else None: what a ``*_by`` foreign key stores for an
    actor that may be a user, a name (a command's "system") or None."""
    return actor if getattr(actor, "pk", None) else None


def actor_label(actor) -> str:
    """How an actor is named in a record that outlives the user: the user name, the name
    given, or "system"."""
    return getattr(actor, "username", None) or (str(actor) if actor else "system")


def audit(*, session: models.Model | None, actor, action: str, message: str, **detail):
    """Record one entry: ``session`` the review session it belongs to (None for the whole
    installation), ``actor`` a user, a name or None (then "system")."""
    return audit_log_model().objects.create(
        session=session,
        actor=stored_user(actor),
        actor_label=actor_label(actor),
        action=action,
        message=message[:500],
        detail=_jsonable(detail),
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | datetime.date | datetime.datetime):
        return str(value)
    return value
