"""Reads for scoring: the engine's inputs from the database, the snapshots, the year before.

``load_inputs`` is the one place where stored data becomes ``engine.Inputs``; the preview, the
publication and ``verify_result`` all go through it, so what is hashed is what is scored.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection

from sessions.models import (
    Ballot,
    BallotGrade,
    Criterion,
    Participant,
    RaterGroup,
    ReviewSession,
    ScoringScheme,
    UnitCategory,
)

from . import engine
from .models import ExternalScore, LeaderComment, ResultSnapshot
from .words import LEADERS_GROUP_NAME

COMPONENT_FIELDS = {
    "review": "weight_review",
    "target": "weight_target",
    "daily": "weight_daily",
    "satisfaction": "weight_satisfaction",
    "leader_comment": "weight_leader_comment",
}


def engine_scheme(scheme: ScoringScheme, criteria: list[Criterion]) -> engine.Scheme:
    return engine.Scheme(
        grade_values={
            engine.GOOD: scheme.value_good,
            engine.FAIRLY_GOOD: scheme.value_fairly_good,
            engine.AVERAGE: scheme.value_average,
            engine.POOR: scheme.value_poor,
        },
        criteria=tuple((str(c.pk), c.weight) for c in criteria),
        trimmed_mean=scheme.trimmed_mean,
        trim_above=scheme.trim_above,
        components={key: getattr(scheme, name) for key, name in COMPONENT_FIELDS.items()},
        apply_bonus=scheme.apply_bonus,
        tie_break_leaders=scheme.tie_break_leaders,
        tie_break_good_share=scheme.tie_break_good_share,
        band_excellent=scheme.band_excellent,
        band_good=scheme.band_good,
        band_average=scheme.band_average,
        excellent_cap_enabled=scheme.excellent_cap_enabled,
        excellent_cap_percent=scheme.excellent_cap_percent,
    )


def _grades_by_ballot(session: ReviewSession) -> dict[str, list[tuple[str, str | None, str]]]:
    """Every grade of the session's ballots, read in one statement. The ids come back as text
    (no UUID objects for a million rows: DESIGN.md section 8 allows 2 s for 5,000 ballots of
    200 units)."""
    grade_table = connection.ops.quote_name(BallotGrade._meta.db_table)
    ballot_table = connection.ops.quote_name(Ballot._meta.db_table)
    ballot_id = "CAST(g.ballot_id AS TEXT)" if connection.vendor == "postgresql" else "g.ballot_id"
    sql = (
        f"SELECT {ballot_id}, g.unit_id, g.criterion_id, g.grade FROM {grade_table} g"  # noqa: S608
        f" JOIN {ballot_table} b ON b.id = g.ballot_id WHERE b.session_id = %s"
    )
    grades: dict[str, list] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [session.pk])
        for ballot, unit, criterion, grade in cursor.fetchall():
            grades[ballot.replace("-", "")].append((str(unit), criterion, grade))
    return grades


def load_inputs(session: ReviewSession) -> engine.Inputs:
    """Everything the result of ``session`` depends on, as the engine's plain data."""
    scheme = ScoringScheme.objects.get(session=session)
    criteria = list(Criterion.objects.filter(session=session))
    categories = [
        engine.Category(key=str(c.pk), name=c.name, order=c.order)
        for c in UnitCategory.objects.filter(session=session).order_by("order", "id")
    ]
    participants = (
        Participant.objects.filter(session=session)
        .select_related("unit")
        .order_by("unit__category__order", "unit__category_id", "speaking_order", "unit__name")
    )
    units = [
        engine.Unit(key=str(p.unit_id), name=p.unit.name, category=str(p.unit.category_id))
        for p in participants
    ]
    groups = [
        engine.Group(
            key=str(g.pk),
            name=g.name,
            weight=g.weight,
            min_sample=g.min_sample,
            is_leaders=g.name == LEADERS_GROUP_NAME,
        )
        for g in RaterGroup.objects.filter(session=session)
    ]
    if scheme.tie_break_leaders and not any(g.is_leaders for g in groups):
        # The scheme page refuses this; a group renamed afterwards must not crash a preview.
        scheme.tie_break_leaders = False

    grades = _grades_by_ballot(session)
    by_criterion = bool(criteria)
    ballots = []
    for ballot in Ballot.objects.filter(session=session).values_list(
        "id", "group_id", "holder_unit_id", "voided_at"
    ):
        key = ballot[0].hex
        marks: dict = {}
        for unit, criterion, grade in grades.get(key, ()):
            if by_criterion:
                if criterion is not None:
                    marks.setdefault(unit, {})[str(criterion)] = grade
            elif criterion is None:
                marks[unit] = grade
        ballots.append(
            engine.Ballot(
                key=key,
                group=str(ballot[1]),
                grades=marks,
                holder_unit=str(ballot[2]) if ballot[2] is not None else None,
                void=ballot[3] is not None,
            )
        )

    external: dict[str, engine.ExternalScores] = {}
    comments = dict(LeaderComment.objects.filter(session=session).values_list("unit_id", "score"))
    scores = {e.unit_id: e for e in ExternalScore.objects.filter(session=session)}
    for unit in units:
        pk = int(unit.key)
        score = scores.get(pk)
        if score is None and comments.get(pk) is None:
            continue
        external[unit.key] = engine.ExternalScores(
            target=score.target if score else None,
            daily=score.daily if score else None,
            # 问政满意度 comes with the live meeting (issue 5); until then it has no value.
            satisfaction=None,
            leader_comment=comments.get(pk),
            bonus=score.bonus if score else Decimal("0"),
            bonus_reasons=(score.bonus_reason,) if score and score.bonus_reason else (),
        )
    return engine.Inputs(
        scheme=engine_scheme(scheme, criteria),
        categories=categories,
        units=units,
        groups=groups,
        ballots=ballots,
        external=external,
    )


def current_snapshot(session: ReviewSession) -> ResultSnapshot | None:
    return ResultSnapshot.objects.filter(session=session).order_by("-number").first()


def snapshots(session: ReviewSession) -> list[ResultSnapshot]:
    return list(
        ResultSnapshot.objects.filter(session=session)
        .select_related("created_by")
        .order_by("-number")
    )


def previous_session(session: ReviewSession) -> ReviewSession | None:
    """The published session of the same kind the year before (for the change in rank)."""
    return (
        ReviewSession.objects.filter(
            kind=session.kind, year=session.year - 1, status=ReviewSession.Status.PUBLISHED
        )
        .order_by("-date", "-id")
        .first()
    )
