"""The one Stage row of a session: what the hall sees (meeting/models.py).

Every write that changes what the big screen shows goes through ``stage_touch`` in the same
transaction, so the screen's version (and with it the poll's ETag) moves exactly when the
screen's content does.
"""

from django.db import transaction
from django.db.models import F

from sessions.models import ReviewSession

from .models import Stage


def stage_for(session: ReviewSession) -> Stage:
    """The session's Stage, created on first use (two first uses at once both get the one row:
    the unique session column decides and the loser reads the winner's)."""
    stage = Stage.objects.filter(session=session).first()
    if stage is not None:
        return stage
    with transaction.atomic():
        stage, _ = Stage.objects.get_or_create(session=session)
    return stage


def stage_lock(session: ReviewSession) -> Stage:
    """The Stage row, locked until the surrounding transaction ends."""
    stage_for(session)
    return Stage.objects.select_for_update().get(session=session)


def stage_touch(session: ReviewSession, **changes) -> Stage:
    """Apply ``changes`` to the session's Stage and move its version on. Call it inside the
    transaction of the change it announces."""
    stage = stage_for(session)
    Stage.objects.filter(pk=stage.pk).update(version=F("version") + 1, **changes)
    stage.refresh_from_db()
    return stage
