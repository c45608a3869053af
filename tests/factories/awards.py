"""表彰 test data (awards/): a review session with a published result, and programmes made
through awards.services.programme_save as an organiser would make them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from awards import services
from awards.models import Programme
from scoring.services import result_publish
from tests.factories.scoring import World, scored_session
from tests.factories.target_notices import ReportFactory
from tests.factories.targets import TargetFactory, TargetUnitFactory

# The hand-checked session of tests/factories/scoring.py, units in order 城关镇, 东风街道
# (镇(街道)); 财政局, 教育局, 民政局 (区直部门). Published: 东风街道 95.55 first, 城关镇
# 92.22 second; 财政局 92.22 first, 教育局 58.89, 民政局 52.22. The 优秀 cap leaves no 优秀
# in categories this small: 东风街道, 城关镇 and 财政局 are 良好, the others 较差.
LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]
# Every group grades the towns alike and 财政局 like 教育局: two ties at the top.
TIED = ["GGGGP", "GGGGP"]

PUBLICITY = (date(2026, 12, 1), date(2026, 12, 7))
AFTER_PUBLICITY = date(2026, 12, 8)


def published_world(*, leaders=LEADERS, departments=DEPARTMENTS, **kwargs) -> World:
    """A session of 2026 with ballots, its result published (snapshot 1)."""
    world = scored_session(leaders=leaders, departments=departments, **kwargs)
    result_publish(session=world.session, actor=None)
    world.session.refresh_from_db()
    return world


def make_programme(*, session=None, district=None, year=2026, actor=None, **rules) -> Programme:
    """A unit programme by published rank (top 2 of each category) unless told otherwise."""
    values = {
        "name": "综合目标管理优秀单位",
        "kind": Programme.Kind.UNIT,
        "source": Programme.Source.RANK,
        "top_n": 2,
    }
    values.update(rules)
    if session is not None:
        district = district or session.district
        year = session.year
    return services.programme_save(
        actor=actor, district=district, year=year, session=session, **values
    )


def person_programme(*, district, year=2026, actor=None, **rules) -> Programme:
    values = {
        "name": "先进个人",
        "kind": Programme.Kind.PERSON,
        "source": Programme.Source.NOMINATED,
        "per_unit_quota": 1,
    }
    values.update(rules)
    return services.programme_save(actor=actor, district=district, year=year, **values)


def computed(programme: Programme, actor=None) -> dict:
    """Compute the list; name -> nomination."""
    nominations = services.nominations_compute(programme=programme, actor=actor)
    return {n.org_unit.name: n for n in nominations}


def publicised(programme: Programme, actor=None) -> Programme:
    start, end = PUBLICITY
    return services.publicise(programme=programme, start=start, end=end, actor=actor)


def score_of(value) -> Decimal:
    return Decimal(str(value))


def with_target_scores(
    world, values=(("东风街道", 95), ("城关镇", 90), ("财政局", 88), ("教育局", 70))
):
    """Each named unit of ``world`` one target of the session's year, its December value
    accepted: annual 目标考核 scores on 100 of the values given (the goal is 100)."""
    for name, value in values:
        unit = world.session.units.get(name=name).org_unit
        line = TargetUnitFactory(org_unit=unit, target=TargetFactory(year=world.session.year))
        ReportFactory(target_unit=line, month=12, value=value)
    return world
