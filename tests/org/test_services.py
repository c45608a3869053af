"""org/: districts and the units that persist across sessions (docs/design.md, "District",
"OrgUnit"), and the 县级领导 group as a flag rather than a name."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from org.models import District, OrgUnit
from org.services import default_district
from scoring import document
from scoring import services as scoring
from sessions import scheme_services, unit_services
from sessions.models import RaterGroup, ReviewSession, Unit
from tests.factories import RaterGroupFactory, ReviewSessionFactory, UnitCategoryFactory
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.django_db


def draft(year: int, district: District | None = None) -> ReviewSession:
    session = ReviewSessionFactory(year=year, **({"district": district} if district else {}))
    UnitCategoryFactory(session=session, name="镇(街道)", side="town")
    UnitCategoryFactory(session=session, name="政府部门", side="department")
    return session


def add(session: ReviewSession, name: str, category: str) -> Unit:
    return unit_services.unit_save(
        session=session, actor=None, name=name, category=session.categories.get(name=category)
    )


def test_a_session_without_a_district_joins_the_installations_one():
    session = ReviewSessionFactory()

    assert session.district == default_district()
    assert District.objects.count() == 1


def test_the_same_name_and_category_is_one_org_unit_across_years():
    first, second = draft(2025), draft(2026)

    a, b = add(first, "城关镇", "镇(街道)"), add(second, "城关镇", "镇(街道)")
    other = add(second, "财政局", "政府部门")

    assert a.org_unit == b.org_unit
    assert (a.org_unit.kind, a.org_unit.category, a.org_unit.code) == ("town", "镇(街道)", "U0001")
    assert (other.org_unit.code, other.org_unit.kind) == ("U0002", "department")
    assert list(a.org_unit.names.values_list("name", "since")) == [("城关镇", 2025)]


def test_another_category_or_another_district_is_another_unit():
    east = District.objects.create(code="guancheng", name="管城回族区")
    home, moved, elsewhere = draft(2025), draft(2026), draft(2026, east)

    a = add(home, "城关镇", "镇(街道)")
    b = add(moved, "城关镇", "政府部门")  # ranked in another category: not comparable
    c = add(elsewhere, "城关镇", "镇(街道)")

    assert len({a.org_unit_id, b.org_unit_id, c.org_unit_id}) == 3
    assert c.org_unit.district == east and c.org_unit.code == "U0001"


def test_renaming_a_unit_keeps_its_org_unit_and_its_old_name():
    last, this = draft(2025), draft(2026)
    old = add(last, "城关镇", "镇(街道)")
    unit = add(this, "城关镇", "镇(街道)")

    unit_services.unit_save(
        session=this, actor=None, unit=unit, name="城关街道", category=unit.category
    )

    unit.org_unit.refresh_from_db()
    assert unit.org_unit_id == old.org_unit_id
    assert unit.org_unit.name == "城关街道"
    assert sorted(unit.org_unit.names.values_list("name", "since")) == [
        ("城关街道", 2026),
        ("城关镇", 2025),
    ]
    # A later session naming either links to the same unit.
    assert add(draft(2027), "城关镇", "镇(街道)").org_unit_id == old.org_unit_id


def test_last_years_rank_is_found_through_the_org_unit_not_the_name():
    last_year = scored_session(
        leaders=["GPGGG", "GPGGG"], departments=["GPGGG", "GPGGG"], year=2025, title="2025年度"
    )
    scoring.result_publish(session=last_year.session, actor=None)
    this_year = scored_session(leaders=["GGGGG", "GGGGG"], departments=["GGGGG", "GGGGG"])
    # Renamed since: the name matches nothing of last year, the OrgUnit does.
    Unit.objects.filter(pk=this_year.towns[0].pk).update(name="城关街道")
    # A unit that took another's name last year is not that unit.
    Unit.objects.filter(pk=this_year.departments[2].pk).update(name="教育")

    rows = {row.name: row.previous_rank for row in document.build(this_year.session).rows()}

    before = {r.name: r.rank for r in document.build(last_year.session).rows()}
    assert rows["城关街道"] == before["城关镇"] is not None
    assert rows["东风街道"] == before["东风街道"] is not None
    assert rows["教育"] == before["民政局"]


def test_another_districts_result_is_never_last_year():
    east = District.objects.create(code="guancheng", name="管城回族区")
    last_year = scored_session(
        leaders=["GPGGG", "GPGGG"], departments=["GPGGG", "GPGGG"], year=2025, title="2025年度"
    )
    scoring.result_publish(session=last_year.session, actor=None)
    elsewhere = scored_session(
        leaders=["GGGGG", "GGGGG"], departments=["GGGGG", "GGGGG"], district=east
    )

    rows = list(document.build(elsewhere.session).rows())

    assert [row.name for row in rows if row.name == "城关镇"] == ["城关镇"]
    assert {row.previous_rank for row in rows} == {None}


def test_one_group_a_session_is_the_leaders_group():
    session = draft(2026)
    first = unit_services.group_save(session=session, actor=None, name="县级领导", weight=40)
    named_otherwise = unit_services.group_save(
        session=session, actor=None, name="区级领导", weight=40, is_leaders=True
    )
    plain = unit_services.group_save(session=session, actor=None, name="两代表一委员", weight=20)

    first.refresh_from_db()
    assert [g.name for g in session.rater_groups.filter(is_leaders=True)] == ["区级领导"]
    assert (first.is_leaders, named_otherwise.is_leaders, plain.is_leaders) == (False, True, False)
    with pytest.raises(IntegrityError), transaction.atomic():
        RaterGroup.objects.filter(pk=plain.pk).update(is_leaders=True)


def test_the_tie_break_compares_the_flagged_group_whatever_its_name():
    session = draft(2026)
    RaterGroupFactory(session=session, name="县级领导", is_leaders=False)
    with pytest.raises(ValidationError):
        scheme_services.scheme_update(session=session, actor=None, tie_break_leaders=True)
    RaterGroupFactory(session=session, name="区级领导", is_leaders=True)

    scheme_services.scheme_update(session=session, actor=None, tie_break_leaders=True)

    groups = [g for g in scoring.compute(session).inputs.groups if g.is_leaders]
    assert [g.name for g in groups] == ["区级领导"]
    assert OrgUnit.objects.count() == 0
