"""targets/models.py: a stored target becomes the engine's target (docs/targets.md, "Stored"),
per unit of its breakdown, and what the engine could not score is refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from targets import engine
from targets.models import Target, TargetUnit
from tests.factories.targets import (
    DistrictFactory,
    OrgUnitFactory,
    TargetFactory,
    TargetUnitFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


def parking():
    """停车泊位 4,000 个, 8 points by steps, broken down: 城关镇 leads with 2,500 of them and 5
    points; 区交通局 supports on the district's goal and points."""
    target = TargetFactory(
        code="2.4",
        title="新增停车泊位",
        kind=Target.Kind.COUNT,
        measure="个",
        goal=D(4000),
        points=D(8),
        method=Target.Method.STEPS,
        steps=[["0.8", "0.6"], ["0.9", "0.8"], ["1", "1"]],
    )
    lead = TargetUnitFactory(target=target, org_unit__name="城关镇", goal=D(2500), points=D(5))
    support = TargetUnitFactory(
        target=target, org_unit__name="区交通局", role=TargetUnit.Role.SUPPORT
    )
    return target, lead, support


def test_a_stored_rule_is_the_engines_rule():
    target, _lead, _support = parking()
    target.refresh_from_db()  # the steps as the database gives them back

    assert target.rule() == engine.Rule(
        method=engine.STEPS,
        floor=D(0),
        cap=D(1),
        steps=((D("0.8"), D("0.6")), (D("0.9"), D("0.8")), (D(1), D(1))),
    )


def test_each_unit_is_assessed_on_its_own_share_of_the_breakdown():
    _target, lead, support = parking()

    assert engine.score(lead.engine_target(), D(2250)).points == D("4.00")  # 90 %: 5 × 80 %
    assert engine.score(support.engine_target(), D(3600)).points == D("6.40")  # 8 × 80 %
    assert lead.engine_target().key == "2.4"


def test_clean_refuses_a_target_the_engine_could_not_score_saying_why():
    target = TargetFactory.build(goal=D(6), stretch=D(5), district=DistrictFactory())

    with pytest.raises(ValidationError, match="力争 level 5.* must be above the 确保 level 6"):
        target.clean()


def test_clean_refuses_a_units_share_that_breaks_the_targets_levels():
    target = TargetFactory(goal=D(6), stretch=D(8), bonus=D(2))
    share = TargetUnitFactory.build(target=target, org_unit=OrgUnitFactory(), goal=D(9))

    with pytest.raises(ValidationError, match="must be above the 确保 level 9"):
        share.clean()


def test_clean_refuses_a_unit_of_another_district():
    target = TargetFactory()
    elsewhere = OrgUnitFactory(district=DistrictFactory(code="guancheng", name="管城回族区"))

    with pytest.raises(ValidationError, match="须属于目标所在的区"):
        TargetUnitFactory.build(target=target, org_unit=elsewhere).clean()


def test_a_code_is_unique_within_a_districts_year():
    target = TargetFactory(code="1.1", year=2026)
    TargetFactory(code="1.1", year=2027)
    TargetFactory(code="1.1", district=DistrictFactory(code="guancheng", name="管城回族区"))

    with pytest.raises(IntegrityError):
        TargetFactory(code="1.1", year=2026, district=target.district)


def test_a_unit_answers_for_a_target_once():
    share = TargetUnitFactory()

    with pytest.raises(IntegrityError):
        TargetUnitFactory(target=share.target, org_unit=share.org_unit)
