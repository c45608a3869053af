"""Sessions with ballots for the scoring tests: small enough to check by hand.

``scored_session()`` builds, through the factories, a session with two categories (two towns,
three departments), two rater groups (县级领导 40, 区直部门 20, minimum sample 2) and ballots
given as compact strings: one letter per unit in the units' order, G 好, F 较好, A 一般, P 差,
X 弃权, "." blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sessions.models import Ballot, BallotGrade, RaterGroup, ReviewSession, Unit, UnitCategory
from tests.factories import (
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
)

LETTERS = {"G": "good", "F": "fairly_good", "A": "average", "P": "poor", "X": "abstain"}


@dataclass
class World:
    session: ReviewSession
    towns: list[Unit]
    departments: list[Unit]
    leaders: RaterGroup
    departments_group: RaterGroup
    town_category: UnitCategory
    department_category: UnitCategory

    @property
    def units(self) -> list[Unit]:
        return self.towns + self.departments


def add_ballot(world: World, group: RaterGroup, marks: str, *, holder=None, **fields) -> Ballot:
    ballot = Ballot.objects.create(session=world.session, group=group, holder_unit=holder, **fields)
    BallotGrade.objects.bulk_create(
        BallotGrade(ballot=ballot, unit=unit, grade=LETTERS[mark])
        for unit, mark in zip(world.units, marks, strict=True)
        if mark != "."
    )
    return ballot


def scored_session(
    *,
    leaders: list[str] = (),
    departments: list[str] = (),
    status=ReviewSession.Status.CLOSED,
    year=2026,
    title="2026年度述职评议",
    district=None,
    **scheme,
) -> World:
    session = ReviewSessionFactory(
        **({"district": district} if district else {}),
        status=status,
        year=year,
        title=title,
        **{f"scheme__{name}": value for name, value in scheme.items()},
    )
    town = UnitCategoryFactory(session=session, name="镇(街道)", side="town", order=1)
    dept = UnitCategoryFactory(session=session, name="区直部门", side="department", order=2)
    towns = [
        ParticipantFactory(
            session=session, unit__category=town, unit__name=name, speaking_order=i
        ).unit
        for i, name in enumerate(["城关镇", "东风街道"], start=1)
    ]
    depts = [
        ParticipantFactory(
            session=session, unit__category=dept, unit__name=name, speaking_order=i
        ).unit
        for i, name in enumerate(["财政局", "教育局", "民政局"], start=3)
    ]
    world = World(
        session=session,
        towns=towns,
        departments=depts,
        leaders=RaterGroupFactory(
            session=session, name="县级领导", weight=Decimal("40"), min_sample=2, order=1
        ),
        departments_group=RaterGroupFactory(
            session=session, name="区直部门", weight=Decimal("20"), min_sample=2, order=2
        ),
        town_category=town,
        department_category=dept,
    )
    for marks in leaders:
        add_ballot(world, world.leaders, marks)
    for marks in departments:
        add_ballot(world, world.departments_group, marks)
    return world


# The results pages' session (tests/scoring/test_views_*.py): at a fixed address, with five
# ballots. Units in order: 城关镇, 东风街道 (towns); 财政局, 教育局, 民政局 (departments).
RESULTS_SLUG = "2026-results"


def results_session(**kwargs) -> World:
    world = scored_session(
        leaders=["GFGAP", "GGFAA", "FGGPA"], departments=["GGFFA", "FGGAP"], **kwargs
    )
    ReviewSession.objects.filter(pk=world.session.pk).update(slug=RESULTS_SLUG)
    world.session.refresh_from_db()
    return world
