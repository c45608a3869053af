"""sessions/rating.py: who may rate what, drafts per tap, one-time submission
(docs/design.md §4.1, 4.2 and 4.9). The concurrency test is in test_rating_concurrency.py."""

import re
import uuid
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sessions import rating
from sessions.credentials import ALPHABET
from sessions.models import (
    Ballot,
    BallotGrade,
    Credential,
    DraftGrade,
    Grade,
    RaterGroup,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)
from sessions.rating import Cell, Submission
from tests.factories import (
    CredentialFactory,
    CriterionFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)

Status = ReviewSession.Status
Side = UnitCategory.Side
RuleAction = ScoringScheme.RuleAction
GOOD, FAIR, AVERAGE, POOR, ABSTAIN = (
    Grade.GOOD,
    Grade.FAIRLY_GOOD,
    Grade.AVERAGE,
    Grade.POOR,
    Grade.ABSTAIN,
)

NOT_ON_FORM = "此单位不在您的评议表上。"
SUBMITTED = "此评议码已提交评议表，不能再修改。"
NOT_OPEN = "评议尚未开放，请在主持人宣布开始评议后再填写。"
ENDED = "评议已经结束，不再接收评议表。"
REVOKED = "这张评议卡已被作废，请向会务人员领取新卡。"


def _rating_form(
    unit_count: int = 3, **scheme_fields
) -> tuple[ReviewSession, list[Unit], Credential]:
    """A session in rating with ``unit_count`` participants in speaking order and one credential
    (group side 'other', no holder unit), so the credential rates every unit."""
    session = ReviewSessionFactory(
        status=Status.RATING, **{f"scheme__{name}": value for name, value in scheme_fields.items()}
    )
    category = UnitCategoryFactory(session=session)
    units = [
        ParticipantFactory(session=session, unit__category=category, speaking_order=order).unit
        for order in range(1, unit_count + 1)
    ]
    return session, units, CredentialFactory(session=session)


def _fill(credential: Credential, grades: dict[Unit, str]) -> None:
    for unit, grade in grades.items():
        rating.draft_grade_set(
            credential=credential, unit_id=unit.pk, criterion_id=None, grade=grade
        )


def _stored(session: ReviewSession) -> dict:
    """Everything a rating write could touch, to show that a refused write changed nothing."""
    return {
        "drafts": list(
            DraftGrade.objects.filter(credential__session=session).order_by("id").values()
        ),
        "ballots": list(Ballot.objects.filter(session=session).values()),
        "ballot_grades": list(BallotGrade.objects.filter(ballot__session=session).values()),
        "credentials": list(
            Credential.objects.filter(session=session)
            .order_by("id")
            .values("id", "status", "submitted_at", "receipt")
        ),
    }


def _make_unavailable(credential: Credential, state: str) -> None:
    """Revoke the credential, or move its session to ``state``."""
    if state == "revoked":
        Credential.objects.filter(pk=credential.pk).update(
            status=Credential.Status.REVOKED, revoked_at=timezone.now()
        )
    else:
        ReviewSession.objects.filter(pk=credential.session_id).update(status=state)


UNAVAILABLE = [
    pytest.param("revoked", REVOKED, id="revoked"),
    pytest.param(Status.DRAFT, NOT_OPEN, id="draft"),
    pytest.param(Status.READY, NOT_OPEN, id="ready"),
    pytest.param(Status.LIVE, NOT_OPEN, id="live"),
    pytest.param(Status.CLOSED, ENDED, id="closed"),
    pytest.param(Status.PUBLISHED, ENDED, id="published"),
]


# ---------------------------------------------------------------- rateable_units


@pytest.mark.django_db
def test_rateable_units_leave_out_the_holders_own_unit():
    session, (first, second, third), _credential = _rating_form(3)
    credential = CredentialFactory(session=session, holder_unit=second)

    assert rating.rateable_units(credential) == [first, third]


@pytest.mark.django_db
def test_rateable_units_follow_category_order_then_speaking_order():
    session = ReviewSessionFactory(status=Status.RATING)
    later = UnitCategoryFactory(session=session, name="部门", order=2)
    earlier = UnitCategoryFactory(session=session, name="镇街", order=1)
    # Names sort against the speaking order, so a name ordering would show.
    speaking = [
        (later, "甲局", 4),
        (earlier, "乙镇", 3),
        (later, "丙局", 1),
        (earlier, "丁镇", 2),
    ]
    units = {
        name: ParticipantFactory(
            session=session, unit__category=category, unit__name=name, speaking_order=order
        ).unit
        for category, name, order in speaking
    }
    credential = CredentialFactory(session=session)

    rateable = rating.rateable_units(credential)

    assert [unit.name for unit in rateable] == ["丁镇", "乙镇", "丙局", "甲局"]
    assert rateable == [units["丁镇"], units["乙镇"], units["丙局"], units["甲局"]]


def _cross_rating_session(cross_rating: bool):
    session = ReviewSessionFactory(status=Status.RATING, scheme__cross_rating=cross_rating)
    towns = UnitCategoryFactory(session=session, name="镇(街道)", side=Side.TOWN, order=1)
    departments = UnitCategoryFactory(
        session=session, name="政府部门", side=Side.DEPARTMENT, order=2
    )
    others = UnitCategoryFactory(session=session, name="开发区", side=Side.OTHER, order=3)
    names = {}
    order = 0
    for category, unit_names in [
        (towns, ["镇一", "镇二"]),
        (departments, ["局一", "局二"]),
        (others, ["开发区"]),
    ]:
        for name in unit_names:
            order += 1
            names[name] = ParticipantFactory(
                session=session, unit__category=category, unit__name=name, speaking_order=order
            ).unit
    return session, names


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cross_rating", "side", "holder", "expected"),
    [
        pytest.param(True, Side.TOWN, "镇一", ["局一", "局二"], id="on-town-rates-departments"),
        pytest.param(
            True, Side.DEPARTMENT, "局二", ["镇一", "镇二"], id="on-department-rates-towns"
        ),
        pytest.param(
            True, Side.OTHER, "开发区", ["镇一", "镇二", "局一", "局二"], id="on-other-rates-all"
        ),
        pytest.param(
            False, Side.TOWN, "镇一", ["镇二", "局一", "局二", "开发区"], id="off-town-rates-all"
        ),
        pytest.param(
            False, Side.DEPARTMENT, "局二", ["镇一", "镇二", "局一", "开发区"], id="off-department"
        ),
    ],
)
def test_rateable_units_apply_cross_rating_by_the_groups_side(cross_rating, side, holder, expected):
    session, units = _cross_rating_session(cross_rating)
    group = RaterGroupFactory(session=session, side=side)
    credential = CredentialFactory(session=session, group=group, holder_unit=units[holder])

    assert [unit.name for unit in rating.rateable_units(credential)] == expected


# ---------------------------------------------------------------- draft_grade_set


@pytest.mark.django_db
def test_draft_grade_set_saves_then_overwrites_one_row_per_cell():
    _session, (first, second), credential = _rating_form(2)

    rating.draft_grade_set(credential=credential, unit_id=first.pk, criterion_id=None, grade=GOOD)
    rating.draft_grade_set(credential=credential, unit_id=second.pk, criterion_id=None, grade=POOR)
    tap = rating.draft_grade_set(
        credential=credential, unit_id=first.pk, criterion_id=None, grade=ABSTAIN
    )

    assert (tap.cell, tap.grade) == (Cell(first.pk, None), ABSTAIN)
    assert tap.layout.cells == [Cell(first.pk, None), Cell(second.pk, None)]
    assert sorted(
        DraftGrade.objects.filter(credential=credential).values_list("unit_id", "grade")
    ) == sorted([(first.pk, ABSTAIN), (second.pk, POOR)])
    assert rating.drafts_for(credential) == {
        Cell(first.pk, None): ABSTAIN,
        Cell(second.pk, None): POOR,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "message"), UNAVAILABLE)
def test_draft_grade_set_refuses_when_the_credential_cannot_rate(state, message):
    session, (first, second), credential = _rating_form(2)
    _fill(credential, {first: GOOD})
    _make_unavailable(credential, state)
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.draft_grade_set(
            credential=credential, unit_id=second.pk, criterion_id=None, grade=FAIR
        )

    assert exc_info.value.messages == [message]
    assert _stored(session) == before


@pytest.mark.django_db
def test_draft_grade_set_refuses_a_used_credential():
    session, (unit,), credential = _rating_form(1)
    _fill(credential, {unit: GOOD})
    rating.ballot_submit(credential=credential)
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.draft_grade_set(
            credential=credential, unit_id=unit.pk, criterion_id=None, grade=POOR
        )

    assert exc_info.value.messages == [SUBMITTED]
    assert _stored(session) == before


def _unit_of_another_session(session, credential):
    other_session, (other_unit,), _credential = _rating_form(1)
    return other_unit.pk


def _non_participant_unit(session, credential):
    return UnitFactory(session=session).pk


def _holders_own_unit(session, credential):
    own = ParticipantFactory(session=session, speaking_order=99).unit
    Credential.objects.filter(pk=credential.pk).update(holder_unit=own)
    return own.pk


def _unit_excluded_by_cross_rating(session, credential):
    ScoringScheme.objects.filter(session=session).update(cross_rating=True)
    RaterGroup.objects.filter(pk=credential.group_id).update(side=Side.TOWN)
    UnitCategory.objects.filter(session=session).update(side=Side.DEPARTMENT)
    town = UnitCategoryFactory(session=session, side=Side.TOWN)
    return ParticipantFactory(session=session, unit__category=town, speaking_order=99).unit.pk


def _unknown_unit(session, credential):
    return Unit.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tampered_unit",
    [
        _unit_of_another_session,
        _non_participant_unit,
        _holders_own_unit,
        _unit_excluded_by_cross_rating,
        _unknown_unit,
    ],
    ids=["another-session", "non-participant", "own-unit", "cross-rating", "unknown-id"],
)
def test_draft_grade_set_refuses_a_unit_not_on_the_form(tampered_unit):
    session, (first, _second), credential = _rating_form(2)
    _fill(credential, {first: GOOD})
    unit_id = tampered_unit(session, credential)
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.draft_grade_set(
            credential=credential, unit_id=unit_id, criterion_id=None, grade=FAIR
        )

    assert exc_info.value.messages == [NOT_ON_FORM]
    assert _stored(session) == before


@pytest.mark.django_db
def test_draft_grade_set_refuses_a_criterion_in_a_session_without_criteria():
    session, (first, second), credential = _rating_form(2)
    _fill(credential, {first: GOOD})
    foreign_criterion = CriterionFactory()
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.draft_grade_set(
            credential=credential,
            unit_id=second.pk,
            criterion_id=foreign_criterion.pk,
            grade=FAIR,
        )

    assert exc_info.value.messages == [NOT_ON_FORM]
    assert _stored(session) == before


@pytest.mark.django_db
@pytest.mark.parametrize("criterion", ["missing", "foreign"])
def test_draft_grade_set_refuses_a_cell_without_one_of_the_sessions_criteria(criterion):
    session, (first, second), credential = _rating_form(2)
    own = CriterionFactory(session=session, name="工作实绩")
    rating.draft_grade_set(credential=credential, unit_id=first.pk, criterion_id=own.pk, grade=GOOD)
    criterion_id = None if criterion == "missing" else CriterionFactory().pk
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.draft_grade_set(
            credential=credential, unit_id=second.pk, criterion_id=criterion_id, grade=FAIR
        )

    assert exc_info.value.messages == [NOT_ON_FORM]
    assert _stored(session) == before


@pytest.mark.django_db
@pytest.mark.parametrize("grade", ["excellent", "", "好", "GOOD", " good"])
def test_draft_grade_set_refuses_an_invalid_grade(grade):
    session, (first, second), credential = _rating_form(2)
    _fill(credential, {first: GOOD})
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.draft_grade_set(
            credential=credential, unit_id=second.pk, criterion_id=None, grade=grade
        )

    assert exc_info.value.messages == ["无效的评价等次。"]
    assert _stored(session) == before


# ---------------------------------------------------------------- per-criterion sessions


@pytest.mark.django_db
def test_form_cells_are_units_times_criteria_in_order():
    session, (first, second), credential = _rating_form(2)
    conduct = CriterionFactory(session=session, name="工作作风", order=2)
    results = CriterionFactory(session=session, name="工作实绩", order=1)

    assert rating.form_cells(credential) == [
        Cell(first.pk, results.pk),
        Cell(first.pk, conduct.pk),
        Cell(second.pk, results.pk),
        Cell(second.pk, conduct.pk),
    ]


@pytest.mark.django_db
def test_ballot_submit_per_criterion_stores_a_grade_per_unit_and_criterion():
    session, (first, second), credential = _rating_form(2)
    results = CriterionFactory(session=session, name="工作实绩", order=1)
    conduct = CriterionFactory(session=session, name="工作作风", order=2)
    grades = {
        (first.pk, results.pk): GOOD,
        (first.pk, conduct.pk): AVERAGE,
        (second.pk, results.pk): ABSTAIN,
    }
    for (unit_id, criterion_id), grade in grades.items():
        rating.draft_grade_set(
            credential=credential, unit_id=unit_id, criterion_id=criterion_id, grade=grade
        )

    with pytest.raises(ValidationError) as exc_info:
        rating.ballot_submit(credential=credential)
    assert exc_info.value.messages == ["还有 1 项没有评价（弃权也需选择），请完成后再提交。"]

    rating.draft_grade_set(
        credential=credential, unit_id=second.pk, criterion_id=conduct.pk, grade=POOR
    )
    rating.ballot_submit(credential=credential)

    ballot = Ballot.objects.get(session=session)
    assert sorted(ballot.grades.values_list("unit_id", "criterion_id", "grade")) == sorted(
        [
            (first.pk, results.pk, GOOD),
            (first.pk, conduct.pk, AVERAGE),
            (second.pk, results.pk, ABSTAIN),
            (second.pk, conduct.pk, POOR),
        ]
    )


# ---------------------------------------------------------------- ballot_submit


@pytest.mark.django_db
def test_ballot_submit_refuses_missing_answers_with_their_count():
    session, (first, _second, _third), credential = _rating_form(3)
    _fill(credential, {first: GOOD})
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.ballot_submit(credential=credential)

    assert exc_info.value.messages == ["还有 2 项没有评价（弃权也需选择），请完成后再提交。"]
    assert _stored(session) == before


@pytest.mark.django_db
def test_ballot_submit_counts_abstain_as_an_answer():
    session, (first, second), credential = _rating_form(2)
    _fill(credential, {first: ABSTAIN, second: ABSTAIN})

    submission = rating.ballot_submit(credential=credential)

    assert submission.repeated is False
    assert sorted(
        BallotGrade.objects.filter(ballot__session=session).values_list("unit_id", "grade")
    ) == sorted([(first.pk, ABSTAIN), (second.pk, ABSTAIN)])


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "message"), UNAVAILABLE)
def test_ballot_submit_refuses_when_the_credential_cannot_rate(state, message):
    session, (first, second), credential = _rating_form(2)
    _fill(credential, {first: GOOD, second: FAIR})
    _make_unavailable(credential, state)
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.ballot_submit(credential=credential)

    assert exc_info.value.messages == [message]
    assert _stored(session) == before


@pytest.mark.django_db
def test_ballot_submit_creates_one_ballot_and_uses_the_credential():
    session, units, _credential = _rating_form(3)
    own, first, second = units
    group = RaterGroupFactory(session=session, name="区直部门")
    credential = CredentialFactory(
        session=session, group=group, holder_unit=own, holder_name="张三"
    )
    _fill(credential, {first: GOOD, second: AVERAGE})

    submission = rating.ballot_submit(credential=credential)

    ballot = Ballot.objects.get()
    credential.refresh_from_db()
    assert submission == Submission(receipt=credential.receipt, flags=[], repeated=False)
    # Anonymous: neither the credential nor the holder's unit is kept (docs/anonymity.md).
    assert (ballot.session, ballot.group, ballot.holder_unit, ballot.credential) == (
        session,
        group,
        None,
        None,
    )
    assert (ballot.source, ballot.flags, ballot.paper_number, ballot.voided_at) == (
        Ballot.Source.TABLET,
        [],
        "",
        None,
    )
    # The own unit, never on the form, is stored as 弃权 so every ballot of the group has
    # the same units.
    assert sorted(ballot.grades.values_list("unit_id", "criterion_id", "grade")) == sorted(
        [(own.pk, None, Grade.ABSTAIN), (first.pk, None, GOOD), (second.pk, None, AVERAGE)]
    )
    assert DraftGrade.objects.filter(credential=credential).count() == 0
    assert credential.submitted_at is not None
    assert len(credential.receipt) == rating.RECEIPT_LENGTH == 8
    assert set(credential.receipt) - set(ALPHABET) == set()


@pytest.mark.django_db
def test_ballot_submit_a_second_time_returns_the_same_receipt_and_creates_nothing():
    session, (first, second), credential = _rating_form(2)
    _fill(credential, {first: GOOD, second: AVERAGE})
    first_submission = rating.ballot_submit(credential=credential)
    before = _stored(session)

    again = rating.ballot_submit(credential=credential)

    assert again == Submission(receipt=first_submission.receipt, flags=[], repeated=True)
    assert _stored(session) == before
    assert len(before["ballots"]) == 1
    assert len(before["ballot_grades"]) == 2


@pytest.mark.django_db
def test_ballot_submit_from_a_second_tablet_returns_the_same_receipt():
    session, (unit,), credential = _rating_form(1)
    _fill(credential, {unit: GOOD})
    second_tablet = Credential.objects.get(pk=credential.pk)  # loaded before the first submit

    receipt = rating.ballot_submit(credential=credential).receipt
    again = rating.ballot_submit(credential=second_tablet)

    assert again == Submission(receipt=receipt, flags=[], repeated=True)
    assert Ballot.objects.filter(session=session).count() == 1


@pytest.mark.django_db
def test_ballot_submit_in_a_named_session_links_the_credential():
    session, (first, second), credential = _rating_form(2, anonymous=False)
    _fill(credential, {first: GOOD, second: AVERAGE})

    rating.ballot_submit(credential=credential)

    assert Ballot.objects.get(session=session).credential == credential


@pytest.mark.django_db
def test_ballot_submit_anonymous_stores_nothing_that_points_at_the_credential():
    session, (own, first, second), _credential = _rating_form(3)
    credential = CredentialFactory(session=session, holder_unit=own, holder_name="李四")
    _fill(credential, {first: GOOD, second: POOR})

    rating.ballot_submit(credential=credential)

    credential.refresh_from_db()
    identifying = {credential.code, credential.receipt, credential.holder_name}
    ballot = Ballot.objects.get(session=session)
    for row in [ballot, *ballot.grades.all()]:
        for field in row._meta.concrete_fields:
            value = getattr(row, field.attname)
            if field.is_relation and field.related_model is Credential:
                assert (field.name, value) == (field.name, None)
            else:
                assert [text for text in identifying if text in str(value)] == [], field.name
    assert [
        f.name for f in BallotGrade._meta.concrete_fields if f.related_model is Credential
    ] == []


def test_ballot_has_no_creation_time_and_a_random_id():
    timestamps = [
        field.name
        for field in Ballot._meta.get_fields()
        if isinstance(field, models.DateField | models.TimeField)
    ]

    # voided_at is set later by an organiser who voids a ballot, never at submission.
    assert timestamps == ["voided_at"]
    assert Ballot._meta.pk.default is uuid.uuid4


@pytest.mark.django_db
def test_ballot_submit_gives_random_uuid4_ids():
    session, (first, second), _credential = _rating_form(2)
    credentials = CredentialFactory.create_batch(3, session=session)
    for credential in credentials:
        _fill(credential, {first: GOOD, second: POOR})
        rating.ballot_submit(credential=credential)

    ids = list(Ballot.objects.filter(session=session).values_list("id", flat=True))

    assert [ballot_id.version for ballot_id in ids] == [4, 4, 4]
    assert len(set(ids)) == 3
    # The grades' ids give away no order either (they would re-link ballots to credentials).
    grade_ids = list(
        BallotGrade.objects.filter(ballot__session=session).values_list("id", flat=True)
    )
    assert {grade_id.version for grade_id in grade_ids} == {4}
    assert len(grade_ids) == 6


# ---------------------------------------------------------------- ballot rules (4.9)


@pytest.mark.django_db
def test_ballot_submit_rejects_too_many_good_with_what_to_change():
    session, (a, b, c, d), credential = _rating_form(
        4, max_good_percent=Decimal("30"), max_good_action=RuleAction.REJECT
    )
    _fill(credential, {a: GOOD, b: GOOD, c: AVERAGE, d: ABSTAIN})
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.ballot_submit(credential=credential)

    assert exc_info.value.messages == [
        "评为“好”的有 2 项，占 50.00%，超过上限 30%：最多可评 1 项为“好”。"
    ]
    assert _stored(session) == before


@pytest.mark.django_db
def test_ballot_submit_rejects_too_many_good_with_a_fractional_limit():
    session, (a, b, c), credential = _rating_form(
        3, max_good_percent=Decimal("33.5"), max_good_action=RuleAction.REJECT
    )
    _fill(credential, {a: GOOD, b: GOOD, c: POOR})

    with pytest.raises(ValidationError) as exc_info:
        rating.ballot_submit(credential=credential)

    assert exc_info.value.messages == [
        "评为“好”的有 2 项，占 66.67%，超过上限 33.5%：最多可评 1 项为“好”。"
    ]


@pytest.mark.django_db
def test_ballot_submit_accepts_good_exactly_at_the_limit():
    session, (a, b, c, d), credential = _rating_form(
        4, max_good_percent=Decimal("50"), max_good_action=RuleAction.REJECT
    )
    _fill(credential, {a: GOOD, b: GOOD, c: AVERAGE, d: POOR})

    submission = rating.ballot_submit(credential=credential)

    assert submission.flags == []
    assert Ballot.objects.get(session=session).flags == []


@pytest.mark.django_db
def test_ballot_submit_flags_too_many_good_and_stores_the_ballot():
    session, (a, b, c), credential = _rating_form(
        3, max_good_percent=Decimal("30"), max_good_action=RuleAction.FLAG
    )
    _fill(credential, {a: GOOD, b: GOOD, c: POOR})

    submission = rating.ballot_submit(credential=credential)

    assert submission.flags == ["max_good"]
    assert Ballot.objects.get(session=session).flags == ["max_good"]


@pytest.mark.django_db
def test_ballot_submit_rejects_identical_grades():
    session, (a, b, c), credential = _rating_form(3, identical_grades_action=RuleAction.REJECT)
    _fill(credential, {a: FAIR, b: ABSTAIN, c: FAIR})
    before = _stored(session)

    with pytest.raises(ValidationError) as exc_info:
        rating.ballot_submit(credential=credential)

    assert exc_info.value.messages == ["所有单位的评价都是“较好”：请区分各单位的实际表现。"]
    assert _stored(session) == before


@pytest.mark.django_db
def test_ballot_submit_flags_identical_grades_and_stores_the_ballot():
    session, (a, b), credential = _rating_form(2, identical_grades_action=RuleAction.FLAG)
    _fill(credential, {a: POOR, b: POOR})

    submission = rating.ballot_submit(credential=credential)

    assert submission.flags == ["identical"]
    assert Ballot.objects.get(session=session).flags == ["identical"]


@pytest.mark.django_db
def test_ballot_submit_flags_both_rules_in_order():
    session, (a, b), credential = _rating_form(
        2,
        max_good_percent=Decimal("50"),
        max_good_action=RuleAction.FLAG,
        identical_grades_action=RuleAction.FLAG,
    )
    _fill(credential, {a: GOOD, b: GOOD})

    submission = rating.ballot_submit(credential=credential)

    assert submission.flags == ["max_good", "identical"]
    assert Ballot.objects.get(session=session).flags == ["max_good", "identical"]


@pytest.mark.django_db
def test_ballot_submit_rejected_by_one_rule_stores_nothing_although_another_only_flags():
    session, (a, b), credential = _rating_form(
        2,
        max_good_percent=Decimal("0"),
        max_good_action=RuleAction.REJECT,
        identical_grades_action=RuleAction.FLAG,
    )
    _fill(credential, {a: GOOD, b: GOOD})

    with pytest.raises(ValidationError) as exc_info:
        rating.ballot_submit(credential=credential)

    assert exc_info.value.messages == [
        "评为“好”的有 2 项，占 100.00%，超过上限 0%：最多可评 0 项为“好”。"
    ]
    assert Ballot.objects.filter(session=session).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("unit_count", "grades"),
    [
        pytest.param(3, [ABSTAIN, ABSTAIN, ABSTAIN], id="all-abstain-is-no-vote"),
        pytest.param(3, [GOOD, ABSTAIN, ABSTAIN], id="one-vote"),
        pytest.param(1, [AVERAGE], id="single-unit"),
    ],
)
def test_ballot_submit_does_not_call_fewer_than_two_votes_identical(unit_count, grades):
    session, units, credential = _rating_form(unit_count, identical_grades_action=RuleAction.REJECT)
    _fill(credential, dict(zip(units, grades, strict=True)))

    submission = rating.ballot_submit(credential=credential)

    assert submission.flags == []
    assert Ballot.objects.filter(session=session).count() == 1


@pytest.mark.django_db
def test_ballot_submit_applies_no_rule_when_rules_are_off():
    session, (a, b, c), credential = _rating_form(3, max_good_percent=Decimal("10"))
    _fill(credential, {a: GOOD, b: GOOD, c: GOOD})

    submission = rating.ballot_submit(credential=credential)

    assert submission.flags == []
    assert Ballot.objects.get(session=session).flags == []


def test_ballot_rule_results_report_a_share_just_above_a_fractional_limit():
    # 1 of 3 is 33.333…%: above 33.33% although it rounds to it; 0 may be 好.
    scheme = ScoringScheme(max_good_percent=Decimal("33.33"), max_good_action=RuleAction.FLAG)

    results = rating.ballot_rule_results(scheme, [GOOD, POOR, POOR])

    assert results == [
        (
            "max_good",
            RuleAction.FLAG,
            "评为“好”的有 1 项，占 33.33%，超过上限 33.33%：最多可评 0 项为“好”。",
        )
    ]


@st.composite
def _ballots(draw) -> tuple[list[str], Decimal | None]:
    """Grades and a 好 limit; the limit is often within 0.01 of a share k/n this ballot could
    have, where rounding the share would decide wrongly."""
    grades = draw(st.lists(st.sampled_from(Grade.values), max_size=12))
    anywhere = st.none() | st.decimals(min_value=0, max_value=100, places=2)
    if not grades or draw(st.booleans()):
        return grades, draw(anywhere)
    good = draw(st.integers(min_value=0, max_value=len(grades)))
    share = Decimal(good * 100) / len(grades)
    cent = Decimal("0.01")
    near = {
        share.quantize(cent, rounding) + offset
        for rounding in (ROUND_DOWN, ROUND_HALF_UP)
        for offset in (-cent, Decimal("0"), cent)
    }
    return grades, draw(st.sampled_from(sorted(limit for limit in near if 0 <= limit <= 100)))


def _rules(scheme: ScoringScheme, grades: list[str]) -> list[str]:
    return [rule for rule, _action, _message in rating.ballot_rule_results(scheme, grades)]


@hypothesis_settings(deadline=None, max_examples=500)
@example(
    ballot=([GOOD, POOR, POOR], Decimal("33.33")),
    max_good_action=RuleAction.REJECT,
    identical_action=RuleAction.OFF,
)
@given(
    ballot=_ballots(),
    max_good_action=st.sampled_from(RuleAction.values),
    identical_action=st.sampled_from(RuleAction.values),
)
def test_ballot_rule_results_report_exactly_the_broken_rules(
    ballot, max_good_action, identical_action
):
    grades, limit = ballot
    scheme = ScoringScheme(
        max_good_percent=limit,
        max_good_action=max_good_action,
        identical_grades_action=identical_action,
    )
    votes = [grade for grade in grades if grade != ABSTAIN]
    expected = []
    if (
        max_good_action != RuleAction.OFF
        and limit is not None
        and grades
        and Fraction(grades.count(GOOD) * 100, len(grades)) > Fraction(limit)
    ):
        expected.append(("max_good", max_good_action))
    if identical_action != RuleAction.OFF and len(votes) >= 2 and len(set(votes)) == 1:
        expected.append(("identical", identical_action))

    results = rating.ballot_rule_results(scheme, grades)

    assert [(rule, action) for rule, action, _message in results] == expected


@hypothesis_settings(deadline=None, max_examples=300)
@example(ballot=([GOOD, GOOD, POOR], Decimal("33.33")))
@given(ballot=_ballots())
def test_ballot_rule_results_max_good_message_says_how_many_may_be_good(ballot):
    grades, limit = ballot
    scheme = ScoringScheme(max_good_percent=limit, max_good_action=RuleAction.REJECT)
    results = rating.ballot_rule_results(scheme, grades)
    if not results:
        return
    allowed = int(re.search(r"最多可评 (\d+) 项", results[0][2]).group(1))
    good_positions = [i for i, grade in enumerate(grades) if grade == GOOD]

    def with_good(count: int) -> list[str]:
        keep = set(good_positions[:count])
        return [FAIR if i in set(good_positions) - keep else g for i, g in enumerate(grades)]

    # Following the advice passes the rule; one 好 more would not.
    assert _rules(scheme, with_good(allowed)) == []
    assert _rules(scheme, with_good(allowed + 1)) == ["max_good"]
