"""sessions/ballots.py: voiding a ballot (docs/design.md §4.10) and what the organisers'
monitor reads (participation per group, flagged and void ballots)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions import ballots, rating
from sessions.models import AuditLog, Ballot, Credential, Grade, ReviewSession, ScoringScheme
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    CriterionFactory,
    PaperBallotFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status


@pytest.fixture
def session():
    return ReviewSessionFactory(slug="2026-mid", status=Status.RATING)


@pytest.fixture
def group(session):
    return RaterGroupFactory(session=session, name="县级领导", order=0)


@pytest.fixture
def ballot(session, group):
    return BallotFactory(
        credential=CredentialFactory(session=session, group=group, code="AAAA2222")
    )


@pytest.fixture
def actor():
    return UserFactory(username="zhang")


def submitted_ballot(session, group, grades, *, criteria=()):
    """A ballot made as a rater makes one: drafts tapped, then submitted (sessions/rating.py)."""
    credential = CredentialFactory(session=session, group=group)
    units = rating.rateable_units(credential)
    for unit, grade in zip(units, grades, strict=True):
        for criterion in criteria or [None]:
            rating.draft_grade_set(
                credential=credential,
                unit_id=unit.pk,
                criterion_id=criterion.pk if criterion else None,
                grade=grade,
            )
    rating.ballot_submit(credential=credential)
    return Ballot.objects.get(session=session, group=group)


def void_state(ballot):
    ballot.refresh_from_db()
    return (ballot.void_reason, ballot.voided_at, ballot.voided_by)


# ---------------------------------------------------------------- ballot_void


def test_ballot_void_marks_the_ballot_and_keeps_it(ballot, actor):
    voided = ballots.ballot_void(ballot=ballot, reason="  字迹无法辨认，按规定作废  ", actor=actor)

    ballot.refresh_from_db()
    assert (ballot.void_reason, ballot.voided_by, ballot.is_void) == (
        "字迹无法辨认，按规定作废",
        actor,
        True,
    )
    assert voided.voided_at == ballot.voided_at
    assert Ballot.objects.filter(pk=ballot.pk).count() == 1


def test_ballot_void_writes_an_audit_entry_naming_the_ballot_by_short_id(ballot, actor):
    ballots.ballot_void(ballot=ballot, reason="同一人重复填写", actor=actor)

    entry = AuditLog.objects.get(action="ballot.void")
    short = ballot.pk.hex[:8]
    assert (entry.session, entry.actor, entry.actor_label) == (ballot.session, actor, "zhang")
    assert entry.message == f"作废评议票 {short}（评议组“县级领导”）：同一人重复填写"
    assert entry.detail == {
        "ballot": short,
        "group": "县级领导",
        "source": "tablet",
        "reason": "同一人重复填写",
    }


def test_ballot_void_audit_never_names_the_credential(ballot, actor):
    credential = ballot.used_credential

    ballots.ballot_void(ballot=ballot, reason="同一人重复填写", actor=actor)

    entry = AuditLog.objects.get(action="ballot.void")
    text = f"{entry.message} {entry.detail}"
    assert [
        s for s in (credential.code, credential.receipt, f"#{credential.pk}") if s in text
    ] == []


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "请写明作废理由（至少 4 个字）。"),
        ("   \n ", "请写明作废理由（至少 4 个字）。"),
        ("  重复  ", "请写明作废理由（至少 4 个字）。"),
        ("理" * 501, "作废理由不能超过 500 个字（现有 501 个）。"),
        ("<b>重复填写</b>", "作废理由不能包含尖括号“<”或“>”。"),
        ("分数 > 上限", "作废理由不能包含尖括号“<”或“>”。"),
    ],
)
def test_ballot_void_refuses_a_bad_reason_and_changes_nothing(ballot, actor, reason, message):
    with pytest.raises(ValidationError) as excinfo:
        ballots.ballot_void(ballot=ballot, reason=reason, actor=actor)

    assert excinfo.value.messages == [message]
    assert void_state(ballot) == ("", None, None)
    assert AuditLog.objects.count() == 0


def test_ballot_void_accepts_a_reason_of_exactly_500_characters(ballot, actor):
    ballots.ballot_void(ballot=ballot, reason="理" * 500, actor=actor)

    assert void_state(ballot)[0] == "理" * 500


@pytest.mark.parametrize("status", [Status.DRAFT, Status.READY, Status.LIVE, Status.PUBLISHED])
def test_ballot_void_refuses_outside_rating_and_closed(session, ballot, actor, status):
    ReviewSession.objects.filter(pk=session.pk).update(status=status)

    with pytest.raises(ValidationError) as excinfo:
        ballots.ballot_void(ballot=ballot, reason="同一人重复填写", actor=actor)

    label = Status(status).label
    assert excinfo.value.messages == [
        f"评议会状态为“{label}”，只有在评议中或评议结束后、结果发布前才能作废评议票。"
    ]
    assert void_state(ballot) == ("", None, None)
    assert AuditLog.objects.count() == 0


def test_ballot_void_works_after_rating_closed(session, ballot, actor):
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.CLOSED)

    ballots.ballot_void(ballot=ballot, reason="同一人重复填写", actor=actor)

    assert void_state(ballot)[0] == "同一人重复填写"


def test_ballot_void_twice_is_a_clear_error_and_keeps_the_first(ballot, actor):
    ballots.ballot_void(ballot=ballot, reason="第一次的理由", actor=actor)
    first = void_state(ballot)
    other = UserFactory(username="li")

    with pytest.raises(ValidationError) as excinfo:
        ballots.ballot_void(ballot=ballot, reason="第二次的理由", actor=other)

    when = timezone.localtime(first[1]).strftime("%Y-%m-%d %H:%M")
    assert excinfo.value.messages == [
        f"评议票 {ballot.pk.hex[:8]} 已于 {when} 作废，不能重复作废。"
    ]
    assert void_state(ballot) == first
    assert AuditLog.objects.filter(action="ballot.void").count() == 1


def test_ballot_void_rereads_the_ballot_so_a_stale_copy_cannot_void_twice(ballot, actor):
    stale = Ballot.objects.get(pk=ballot.pk)
    ballots.ballot_void(ballot=ballot, reason="第一次的理由", actor=actor)

    with pytest.raises(ValidationError):
        ballots.ballot_void(ballot=stale, reason="第二次的理由", actor=actor)

    assert void_state(ballot)[0] == "第一次的理由"


# ---------------------------------------------------------------- participation


def counts(row):
    name = row.group.name if row.group else None
    return (name, row.issued, row.opened, row.submitted, row.tablet, row.paper, row.void)


def test_participation_counts_every_kind_of_credential_and_ballot_exactly(session, group, actor):
    now = timezone.now()
    towns = RaterGroupFactory(session=session, name="镇(街道)", order=1)
    RaterGroupFactory(session=session, name="两代表一委员", order=2)
    # 县级领导: 4 active (2 opened, 1 of them used), 1 revoked after being opened.
    CredentialFactory(session=session, group=group)
    CredentialFactory(session=session, group=group, opened_at=now)
    BallotFactory(credential=CredentialFactory(session=session, group=group, opened_at=now))
    BallotFactory(credential=CredentialFactory(session=session, group=group))
    CredentialFactory(session=session, group=group, opened_at=now, status=Credential.Status.REVOKED)
    # 镇(街道): one tablet ballot (voided), two paper ballots (one voided), one unused code.
    voided = BallotFactory(credential=CredentialFactory(session=session, group=towns))
    ballots.ballot_void(ballot=voided, reason="同一人重复填写", actor=actor)
    PaperBallotFactory(session=session, group=towns)
    paper = PaperBallotFactory(session=session, group=towns)
    ballots.ballot_void(ballot=paper, reason="票面涂改无法辨认", actor=actor)
    CredentialFactory(session=session, group=towns)
    # Another session's rows are never counted.
    BallotFactory()
    PaperBallotFactory()

    rows = ballots.participation(session)

    assert [counts(row) for row in rows] == [
        ("县级领导", 4, 2, 2, 2, 0, 0),
        ("镇(街道)", 2, 0, 1, 1, 2, 2),
        ("两代表一委员", 0, 0, 0, 0, 0, 0),
        (None, 6, 2, 3, 3, 2, 2),
    ]
    total = rows[-1]
    assert (total.received, total.valid, total.submitted_percent) == (5, 3, 50)


def test_participation_takes_two_queries(session, group, django_assert_num_queries):
    for _ in range(3):
        BallotFactory(credential=CredentialFactory(session=session, group=group))
        RaterGroupFactory(session=session)

    with django_assert_num_queries(2):
        ballots.participation(session)


def test_participation_of_a_session_without_groups_is_a_zero_total(session):
    assert [counts(row) for row in ballots.participation(session)] == [(None, 0, 0, 0, 0, 0, 0)]


@pytest.mark.parametrize(
    ("part", "whole", "step"),
    [
        (0, 0, 0),
        (0, 300, 0),
        (1, 300, 5),  # anything at all shows
        (35, 100, 35),
        (37, 100, 35),
        (38, 100, 40),
        (299, 300, 95),  # nearly done is not done
        (300, 300, 100),
    ],
)
def test_bar_step_is_a_multiple_of_five(part, whole, step):
    assert ballots.bar_step(part, whole) == step


# ---------------------------------------------------------------- flagged and void ballots


@pytest.fixture
def rating_session():
    """Two participating units; a ballot grading every unit alike is flagged, not rejected."""
    session = ReviewSessionFactory(slug="2026-flags", status=Status.RATING)
    ScoringScheme.objects.filter(session=session).update(
        identical_grades_action=ScoringScheme.RuleAction.FLAG,
        max_good_percent=50,
        max_good_action=ScoringScheme.RuleAction.FLAG,
    )
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    for order, name in enumerate(["城关镇", "东风街道"], start=1):
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    return session


def test_flagged_ballots_lists_flagged_ones_with_the_rules_in_words(rating_session):
    leaders = RaterGroupFactory(session=rating_session, name="县级领导", order=0)
    towns = RaterGroupFactory(session=rating_session, name="镇(街道)", order=1)
    flagged = submitted_ballot(rating_session, leaders, [Grade.GOOD, Grade.GOOD])
    submitted_ballot(rating_session, towns, [Grade.GOOD, Grade.AVERAGE])
    paper = PaperBallotFactory(
        session=rating_session, group=towns, paper_number="P-007", flags=["identical"]
    )

    listed = ballots.flagged_ballots(rating_session)

    assert [(b.short_id, b.group.name, b.flag_labels) for b in listed] == [
        (flagged.pk.hex[:8], "县级领导", ["“好”比例超过上限", "所有单位评价相同"]),
        (paper.pk.hex[:8], "镇(街道)", ["所有单位评价相同"]),
    ]


def test_void_ballots_lists_only_void_ones_latest_first(session, group, actor):
    first = BallotFactory(credential=CredentialFactory(session=session, group=group))
    second = PaperBallotFactory(session=session, group=group)
    BallotFactory(credential=CredentialFactory(session=session, group=group))
    ballots.ballot_void(ballot=first, reason="第一张的理由", actor=actor)
    ballots.ballot_void(ballot=second, reason="第二张的理由", actor=actor)

    listed = ballots.void_ballots(session)

    assert [(b.pk, b.void_reason, b.voided_by) for b in listed] == [
        (second.pk, "第二张的理由", actor),
        (first.pk, "第一张的理由", actor),
    ]


def test_ballot_grades_gives_each_unit_its_grade_and_the_tally(rating_session):
    group = RaterGroupFactory(session=rating_session, name="县级领导")
    ballot = submitted_ballot(rating_session, group, [Grade.FAIRLY_GOOD, Grade.ABSTAIN])

    criteria, rows, tally = ballots.ballot_grades(ballot)

    assert criteria == []
    assert [(row.unit.name, row.grades) for row in rows] == [
        ("城关镇", ["较好"]),
        ("东风街道", ["弃权"]),
    ]
    assert tally == [("好", 0), ("较好", 1), ("一般", 0), ("差", 0), ("弃权", 1)]


def test_ballot_grades_has_a_column_per_criterion(rating_session):
    group = RaterGroupFactory(session=rating_session, name="县级领导")
    results = CriterionFactory(session=rating_session, name="工作实绩", order=0)
    conduct = CriterionFactory(session=rating_session, name="工作作风", order=1)
    ballot = submitted_ballot(
        rating_session, group, [Grade.GOOD, Grade.POOR], criteria=[results, conduct]
    )

    criteria, rows, tally = ballots.ballot_grades(ballot)

    assert criteria == [results, conduct]
    assert [(row.unit.name, row.grades) for row in rows] == [
        ("城关镇", ["好", "好"]),
        ("东风街道", ["差", "差"]),
    ]
    assert tally == [("好", 2), ("较好", 0), ("一般", 0), ("差", 2), ("弃权", 0)]
