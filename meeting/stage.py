"""The one Stage row of a session: what the hall sees (meeting/models.py).

Every write that changes what the big screen shows goes through ``stage_touch`` in the same
transaction, so the screen's version (and with it the poll's ETag) moves exactly when the
screen's content does.
"""

from django.db import transaction
from django.db.models import F

from sessions.models import ReviewSession

from .models import SEGMENT_LIMIT_FIELDS, Stage

Kind = ReviewSession.Kind

# Each segment's time limit by the session's template (in seconds): the annual review's 三述
# give 述职 the most time and 述廉 the least; the mid-year review has 述职讲评 only, longer.
SEGMENT_LIMIT_DEFAULTS = {
    Kind.ANNUAL: {"work": 480, "responsibility": 300, "integrity": 180},
    Kind.MIDYEAR: {"work": 600, "responsibility": 300, "integrity": 180},
    Kind.CUSTOM: {"work": 300, "responsibility": 300, "integrity": 300},
}


def segment_limit_defaults(session: ReviewSession) -> dict[str, int]:
    """The Stage's limit fields as the session's template sets them."""
    limits = SEGMENT_LIMIT_DEFAULTS.get(session.kind, SEGMENT_LIMIT_DEFAULTS[Kind.CUSTOM])
    return {SEGMENT_LIMIT_FIELDS[segment]: seconds for segment, seconds in limits.items()}


def segment_limits(session: ReviewSession) -> dict[str, int]:
    """Segment → its time limit in seconds: the session's own once its Stage exists, else its
    template's (read without creating the Stage, for pages that only show them)."""
    stage = Stage.objects.filter(session=session).first()
    if stage is None:
        stage = Stage(session=session, **segment_limit_defaults(session))
    return {segment: stage.segment_limit(segment) for segment in SEGMENT_LIMIT_FIELDS}


def stage_for(session: ReviewSession) -> Stage:
    """The session's Stage, created on first use (two first uses at once both get the one row:
    the unique session column decides and the loser reads the winner's)."""
    stage = Stage.objects.filter(session=session).first()
    if stage is not None:
        return stage
    with transaction.atomic():
        stage, _ = Stage.objects.get_or_create(
            session=session, defaults=segment_limit_defaults(session)
        )
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
