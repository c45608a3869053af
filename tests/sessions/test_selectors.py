"""sessions/selectors.py: the reads behind the staff pages (docs/design.md §4.5 for weights)."""

from decimal import Decimal

import pytest

from core.audit import audit
from org.access import Role
from org.models import District
from sessions import draw_services, selectors, services
from sessions.models import Participant, RaterGroup, Report
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
    UserFactory,
)


def _groups(*weights: str) -> list[RaterGroup]:
    # Unsaved groups: weight_lines and weight_formula read only names and weights.
    return [RaterGroup(name=f"组{i}", weight=Decimal(w)) for i, w in enumerate(weights, start=1)]


def _shares(groups) -> list[Decimal]:
    return [line.share for line in selectors.weight_lines(groups)]


# ---------------------------------------------------------------- weight_lines


def test_weight_lines_default_weights_give_their_own_percentages():
    assert _shares(_groups("40", "20", "20", "20")) == [
        Decimal("40.00"),
        Decimal("20.00"),
        Decimal("20.00"),
        Decimal("20.00"),
    ]


def test_weight_lines_equal_weights_round_to_two_decimals():
    shares = _shares(_groups("1", "1", "1"))

    assert shares == [Decimal("33.33"), Decimal("33.33"), Decimal("33.33")]
    assert [str(s) for s in shares] == ["33.33", "33.33", "33.33"]


def test_weight_lines_renormalise_weights_not_summing_to_100():
    assert _shares(_groups("40", "20")) == [Decimal("66.67"), Decimal("33.33")]


def test_weight_lines_round_half_up():
    # 1/8 = 12.5 %, 1/16 = 6.25 %, 1/32 = 3.125 % → 3.13 (half up, not half even)
    assert _shares(_groups("1", "2", "4", "8", "16", "1")) == [
        Decimal("3.13"),
        Decimal("6.25"),
        Decimal("12.50"),
        Decimal("25.00"),
        Decimal("50.00"),
        Decimal("3.13"),
    ]


def test_weight_lines_zero_weight_group_gets_zero_share():
    assert _shares(_groups("40", "0", "10")) == [
        Decimal("80.00"),
        Decimal("0.00"),
        Decimal("20.00"),
    ]


def test_weight_lines_all_zero_weights_give_zero_shares_not_an_error():
    assert _shares(_groups("0", "0")) == [Decimal("0.00"), Decimal("0.00")]


def test_weight_lines_keep_the_group_and_its_order():
    groups = _groups("20", "40")

    assert [line.group for line in selectors.weight_lines(groups)] == groups


def test_weight_lines_no_groups_is_empty():
    assert selectors.weight_lines([]) == []


# ---------------------------------------------------------------- weight_formula


def test_weight_formula_default_weights():
    groups = [
        RaterGroup(name="县级领导", weight=Decimal("40.00")),
        RaterGroup(name="区直部门", weight=Decimal("20.00")),
        RaterGroup(name="镇(街道)", weight=Decimal("20.00")),
        RaterGroup(name="两代表一委员", weight=Decimal("20.00")),
    ]

    assert selectors.weight_formula(groups) == (
        "综合评议得分 = (县级领导得分×40 + 区直部门得分×20 + 镇(街道)得分×20 + "
        "两代表一委员得分×20) ÷ 100"
    )


def test_weight_formula_fractional_and_round_weights_print_plainly():
    groups = [
        RaterGroup(name="甲", weight=Decimal("12.50")),
        RaterGroup(name="乙", weight=Decimal("100.00")),
        RaterGroup(name="丙", weight=Decimal("0.00")),
    ]

    assert (
        selectors.weight_formula(groups)
        == "综合评议得分 = (甲得分×12.5 + 乙得分×100 + 丙得分×0) ÷ 112.5"
    )


def test_weight_formula_no_groups_is_empty():
    assert selectors.weight_formula([]) == ""


@pytest.mark.django_db
def test_weight_formula_of_a_session_created_from_the_annual_template():
    session = services.session_create(kind="annual", year=2026)

    formula = selectors.weight_formula(list(session.rater_groups.all()))

    assert formula == (
        "综合评议得分 = (县级领导得分×40 + 区直部门得分×20 + 镇(街道)得分×20 + "
        "两代表一委员得分×20) ÷ 100"
    )


# ---------------------------------------------------------------- session_overview


@pytest.mark.django_db
def test_session_overview_empty_session_is_all_zero():
    session = ReviewSessionFactory()

    assert selectors.session_overview(session) == {
        "units": 0,
        "participants": 0,
        "drawn": 0,
        "groups": 0,
        "credentials": 0,
        "ballots": 0,
    }


@pytest.mark.django_db
def test_session_overview_counts_only_this_session():
    session = ReviewSessionFactory()
    category = UnitCategoryFactory(session=session)
    UnitFactory.create_batch(3, session=session, category=category)  # pool only
    ParticipantFactory.create_batch(2, session=session, unit__category=category)
    ParticipantFactory.create_batch(
        4, session=session, unit__category=category, how=Participant.How.DRAWN
    )
    group = RaterGroupFactory(session=session)
    RaterGroupFactory(session=session)
    credentials = CredentialFactory.create_batch(5, session=session, group=group)
    BallotFactory(credential=credentials[0], receipt="R1")
    BallotFactory(credential=credentials[1], receipt="R2")
    # Another session with one of everything must not leak into the counts.
    other = ParticipantFactory(how=Participant.How.DRAWN).session
    BallotFactory(credential=CredentialFactory(session=other), receipt="R3")

    assert selectors.session_overview(session) == {
        "units": 9,
        "participants": 6,
        "drawn": 4,
        "groups": 2,
        "credentials": 5,
        "ballots": 2,
    }


# ---------------------------------------------------------------- the other reads


@pytest.mark.django_db
def test_sessions_for_user_counts_participants_and_orders_newest_first():
    older = ReviewSessionFactory(year=2025)
    newer = ReviewSessionFactory(year=2026)
    ParticipantFactory.create_batch(3, session=newer)
    # Credentials and groups must not multiply the participant count.
    CredentialFactory.create_batch(2, session=newer)
    # Another district's session is not the user's.
    ReviewSessionFactory(year=2026, district=District.objects.create(code="other", name="别区"))

    rows = list(selectors.sessions_for_user(UserFactory(role=Role.OBSERVER)))

    assert [(s.pk, s.participant_count) for s in rows] == [(newer.pk, 3), (older.pk, 0)]
    assert list(selectors.sessions_for_user(UserFactory())) == []


@pytest.mark.django_db
def test_categories_with_units_marks_participants(django_assert_num_queries):
    session = ReviewSessionFactory()
    towns = UnitCategoryFactory(session=session, name="镇(街道)", order=0)
    departments = UnitCategoryFactory(session=session, name="政府部门", order=1)
    fixed = ParticipantFactory(session=session, unit__category=towns, unit__name="花园口镇")
    pool_unit = UnitFactory(session=session, category=towns, name="刘集镇")
    drawn = ParticipantFactory(
        session=session, unit__category=departments, unit__name="财政局", how="drawn"
    )

    with django_assert_num_queries(3):
        categories = selectors.categories_with_units(session)
        rows = [
            (c.name, [(u.name, u.participant.pk if u.participant else None) for u in c.units.all()])
            for c in categories
        ]

    assert rows == [
        ("镇(街道)", [(pool_unit.name, None), ("花园口镇", fixed.pk)]),
        ("政府部门", [("财政局", drawn.pk)]),
    ]


@pytest.mark.django_db
def test_participants_with_reports_prefetches_reports_and_attachments(
    django_assert_num_queries,
):
    session = ReviewSessionFactory()
    for participant in ParticipantFactory.create_batch(3, session=session):
        Report.objects.create(participant=participant, kind="work", text="正文")

    with django_assert_num_queries(3):
        participants = selectors.participants_with_reports(session)
        seen = [
            (p.unit.category.name, [(r.kind, list(r.attachments.all())) for r in p.reports.all()])
            for p in participants
        ]

    assert len(seen) == 3
    assert all(reports == [("work", [])] for _name, reports in seen)


@pytest.mark.django_db
def test_recent_draws_newest_first_and_only_this_session():
    session = ReviewSessionFactory()
    ParticipantFactory.create_batch(2, session=session)
    first = draw_services.draw_speaking_order(session=session, actor=None, seed="1")
    second = draw_services.draw_speaking_order(session=session, actor=None, seed="2")
    other = ParticipantFactory().session
    draw_services.draw_speaking_order(session=other, actor=None, seed="3")

    assert list(selectors.recent_draws(session)) == [second, first]


@pytest.mark.django_db
def test_audit_entries_only_this_session_newest_first():
    session = ReviewSessionFactory()
    first = audit(session=session, actor=None, action="a", message="一")
    second = audit(session=session, actor=None, action="b", message="二")
    audit(session=ReviewSessionFactory(), actor=None, action="c", message="三")

    assert list(selectors.audit_entries(session)) == [second, first]
