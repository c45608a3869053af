"""Reads for scoring: the engine's inputs from the database, the snapshots, the year before.

``load_inputs`` is the one place where stored data becomes ``engine.Inputs``; the preview, the
publication and ``verify_result`` all go through it, so what is hashed is what is scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from meeting.selectors import satisfaction_by_unit
from sessions.models import (
    Ballot,
    BallotGrade,
    Criterion,
    Participant,
    RaterGroup,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)
from targets import scores as target_scores

from . import engine
from .models import ExternalScore, LeaderComment, ResultSnapshot

# The engine's component keys (review, target, …) are the scheme's weight fields without
# their prefix.
COMPONENT_FIELDS = {name.removeprefix("weight_"): name for name in ScoringScheme.COMPONENT_FIELDS}


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
        satisfaction_values={
            "satisfied": scheme.value_satisfied,
            "basically_satisfied": scheme.value_basically_satisfied,
            "dissatisfied": scheme.value_dissatisfied,
        },
    )


def _grades_by_ballot(session: ReviewSession, *, by_criterion: bool) -> dict[str, dict]:
    """Every grade of the session's ballots as ballot key -> the engine's ``grades`` mapping.

    One statement returning one row per ballot, its grades joined into one string by the
    database (``unit:criterion:grade,…``; grades, ids and the empty criterion cannot contain
    either separator): a million grade rows cost about 0.5 s more CPU to fetch one by one
    (docs/design.md §8 allows 2 s for 5,000 ballots of 200 units; bench/bench_results.py).
    The ballots are found through their session's index, so other sessions' grades are never
    scanned."""
    quote = connection.ops.quote_name
    grade_table = quote(BallotGrade._meta.db_table)
    ballot_table = quote(Ballot._meta.db_table)
    ballots = f"SELECT b.id FROM {ballot_table} b WHERE b.session_id = %s"  # noqa: S608
    part = (
        "CAST(g.unit_id AS TEXT) || ':' || COALESCE(CAST(g.criterion_id AS TEXT), '')"
        " || ':' || g.grade"
    )
    if connection.vendor == "postgresql":
        # ANY(ARRAY(...)): PostgreSQL then looks the ballots' grades up by index; with IN it
        # hashes them and scans every session's grades (0.23 s instead of 0.03 s for 40 units
        # beside a session of 200).
        ballot_key = "REPLACE(CAST(g.ballot_id AS TEXT), '-', '')"
        where = f"g.ballot_id = ANY(ARRAY({ballots}))"
        joined = f"STRING_AGG({part}, ',')"
    else:  # SQLite keeps UUIDs as 32 hex digits already, and uses the index for IN
        ballot_key = "g.ballot_id"
        where = f"g.ballot_id IN ({ballots})"
        joined = f"GROUP_CONCAT({part}, ',')"
    sql = (
        f"SELECT {ballot_key}, {joined} FROM {grade_table} g"  # noqa: S608
        f" WHERE {where} GROUP BY g.ballot_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session.pk])
        rows = cursor.fetchall()
    grades: dict[str, dict] = {}
    for ballot, text in rows:
        marks: dict = {}
        for unit, criterion, grade in (item.split(":") for item in text.split(",")):
            if by_criterion:
                if criterion:
                    marks.setdefault(unit, {})[criterion] = grade
            elif not criterion:
                marks[unit] = grade
        grades[ballot] = marks
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
            is_leaders=g.is_leaders,
        )
        for g in RaterGroup.objects.filter(session=session)
    ]
    if scheme.tie_break_leaders and not any(g.is_leaders for g in groups):
        # The scheme page refuses this; a flag removed afterwards must not crash a preview.
        scheme.tie_break_leaders = False

    grades = _grades_by_ballot(session, by_criterion=bool(criteria))
    ballots = [
        engine.Ballot(
            key=pk.hex,
            group=str(group),
            grades=grades.get(pk.hex, {}),
            holder_unit=str(holder) if holder is not None else None,
            void=voided_at is not None,
        )
        for pk, group, holder, voided_at in Ballot.objects.filter(session=session).values_list(
            "id", "group_id", "holder_unit_id", "voided_at"
        )
    ]

    external: dict[str, engine.ExternalScores] = {}
    comments = dict(LeaderComment.objects.filter(session=session).values_list("unit_id", "score"))
    scores = {e.unit_id: e for e in ExternalScore.objects.filter(session=session)}
    # 问政满意度 (4.11): the votes on the unit's answers at the live meeting, read only where
    # the scheme weights it.
    votes = satisfaction_by_unit(session) if scheme.weight_satisfaction > 0 else {}
    for unit in units:
        pk = int(unit.key)
        score = scores.get(pk)
        tally = votes.get(pk)
        if score is None and comments.get(pk) is None and tally is None:
            continue
        external[unit.key] = engine.ExternalScores(
            target=score.target if score else None,
            daily=score.daily if score else None,
            satisfaction_votes=tally.counts if tally is not None else None,
            leader_comment=comments.get(pk),
            bonus=score.bonus if score else Decimal("0"),
            bonus_reasons=(score.bonus_reason,) if score and score.bonus_reason else (),
            target_basis=score.target_basis if score else "",
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
    """The published session of the same kind and district the year before (for the change
    in rank)."""
    return (
        ReviewSession.objects.filter(
            district_id=session.district_id,
            kind=session.kind,
            year=session.year - 1,
            status=ReviewSession.Status.PUBLISHED,
        )
        .order_by("-date", "-id")
        .first()
    )


@dataclass(frozen=True)
class TargetFillLine:
    """One unit of a session beside its annual 目标考核 score in target management."""

    unit: Unit
    current: ExternalScore | None
    annual: Decimal | None  # on 100; None: the unit has no targets that year
    changes: bool


def targets_fill_preview(session: ReviewSession) -> list[TargetFillLine]:
    """What ``services.external_targets_fill`` would write, unit by unit (docs/targets.md,
    "Into the review"): the annual scores of the session's district and year beside the
    session's 目标考核 as it is."""
    results = {
        result.org_unit.pk: result
        for result in target_scores.live_annual_scores(session.district, session.year)
    }
    existing = {e.unit_id: e for e in ExternalScore.objects.filter(session=session)}
    lines = []
    for unit in (
        Unit.objects.filter(session=session, org_unit__isnull=False)
        .select_related("org_unit", "category")
        .order_by("category__order", "category_id", "name")
    ):
        result = results.get(unit.org_unit_id)
        annual = result.score if result is not None else None
        current = existing.get(unit.pk)
        changes = annual is not None and (
            current is None
            or current.target != annual
            or current.target_source != ExternalScore.TargetSource.TARGETS
            or current.target_basis != target_scores.basis(result)
        )
        lines.append(TargetFillLine(unit, current, annual, changes))
    return lines
