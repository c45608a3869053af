"""sessions/rater_sql.py: the hand-written SQL of the rater's hot path gives what the ORM gives
(the same instances, the same rows, the same stored values), on SQLite and on PostgreSQL."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sessions import rater_sql
from sessions.models import (
    Ballot,
    BallotGrade,
    Credential,
    DraftGrade,
    Grade,
    ReviewSession,
)
from tests.factories import (
    CredentialFactory,
    CriterionFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def orm_credential(pk: int) -> Credential:
    return Credential.objects.select_related("session__scheme", "group", "holder_unit").get(pk=pk)


def a_credential(**kwargs) -> Credential:
    session = ReviewSessionFactory(
        status=ReviewSession.Status.RATING,
        scheme__max_good_percent=Decimal("33.33"),
        scheme__anonymous=False,
    )
    group = RaterGroupFactory(session=session, weight=Decimal("12.50"), side="town")
    return CredentialFactory(session=session, group=group, **kwargs)


def test_credential_with_session_equals_the_orms_read_field_by_field():
    credential = a_credential(holder_name="张三")
    unit = UnitFactory(session=credential.session)
    Credential.objects.filter(pk=credential.pk).update(
        holder_unit=unit, opened_at=timezone.now(), submitted_at=timezone.now(), receipt="ABCD2345"
    )
    expected = orm_credential(credential.pk)

    loaded = rater_sql.credential_with_session(code=credential.code)

    assert values(loaded) == values(expected)
    assert values(loaded.session) == values(expected.session)
    assert values(loaded.session.scheme) == values(expected.session.scheme)
    assert values(loaded.group) == values(expected.group)
    assert values(loaded.holder_unit) == values(expected.holder_unit)
    # Types as the ORM gives them, whatever the database keeps (SQLite keeps text).
    assert loaded.session.scheme.max_good_percent == Decimal("33.33")
    assert loaded.group.weight == Decimal("12.50")
    assert loaded.session.scheme.anonymous is False
    assert loaded.opened_at == expected.opened_at
    assert loaded.opened_at.tzinfo is not None


def test_credential_with_session_reads_everything_in_one_statement():
    credential = a_credential()

    with CaptureQueriesContext(connection) as queries:
        loaded = rater_sql.credential_with_session(code=credential.code)
        names = (loaded.session.title, loaded.session.scheme.anonymous, loaded.group.name)

    assert names == (credential.session.title, False, credential.group.name)
    assert len(queries) == 1
    assert loaded.holder_unit is None


def test_credential_with_session_by_pk_and_unknown_code():
    credential = a_credential()

    assert rater_sql.credential_with_session(pk=credential.pk).code == credential.code
    assert rater_sql.credential_with_session(code="NOSUCH22") is None
    assert rater_sql.credential_with_session(pk=credential.pk + 1000) is None


def test_credential_with_session_lock_takes_the_credentials_row_lock_and_shares_the_session():
    credential = a_credential()

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        rater_sql.credential_with_session(pk=credential.pk, lock=True)

    sql = queries.captured_queries[-1]["sql"]
    if connection.features.has_select_for_update_of:
        # The session row shared: closing takes it exclusively (docs/anonymity.md, "closing").
        assert sql.endswith("FOR UPDATE OF c FOR KEY SHARE OF s")
    else:  # SQLite locks the whole database for a write transaction instead
        assert "FOR UPDATE" not in sql


def test_layout_rows_are_units_in_category_then_speaking_order_times_criteria():
    session = ReviewSessionFactory()
    second = UnitCategoryFactory(session=session, name="部门", order=2, side="department")
    first = UnitCategoryFactory(session=session, name="镇街", order=1, side="town")
    own = ParticipantFactory(session=session, unit__category=first, speaking_order=1).unit
    town = ParticipantFactory(session=session, unit__category=first, speaking_order=2).unit
    dept = ParticipantFactory(session=session, unit__category=second, speaking_order=3).unit
    late = CriterionFactory(session=session, name="作风", order=2)
    early = CriterionFactory(session=session, name="实绩", order=1)

    rows = rater_sql.layout_rows(session_id=session.pk, holder_unit_id=own.pk, side=None)
    departments = rater_sql.layout_rows(
        session_id=session.pk, holder_unit_id=None, side="department"
    )

    assert rows == [
        (town.pk, town.name, first.pk, "镇街", early.pk, "实绩"),
        (town.pk, town.name, first.pk, "镇街", late.pk, "作风"),
        (dept.pk, dept.name, second.pk, "部门", early.pk, "实绩"),
        (dept.pk, dept.name, second.pk, "部门", late.pk, "作风"),
    ]
    assert [row[0] for row in departments] == [dept.pk, dept.pk]


def test_insert_stores_what_save_would_store():
    credential = a_credential()
    unit = UnitFactory(session=credential.session)
    ballot = Ballot(
        session=credential.session,
        group=credential.group,
        credential=credential,
        flags=["max_good", "identical"],
    )
    grades = [BallotGrade(ballot_id=ballot.pk, unit=unit, grade=Grade.FAIRLY_GOOD)]

    rater_sql.insert([ballot])
    rater_sql.insert(grades)

    stored = Ballot.objects.get()
    assert isinstance(stored.pk, uuid.UUID)
    assert values(stored) == values(ballot)
    assert stored.flags == ["max_good", "identical"]
    assert list(stored.grades.values_list("id", "unit_id", "criterion_id", "grade")) == [
        (grades[0].pk, unit.pk, None, Grade.FAIRLY_GOOD)
    ]
    assert ballot._state.adding is False


def test_insert_of_nothing_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        rater_sql.insert([])

    assert len(queries) == 0


def test_credential_marks_change_a_row_once():
    credential = a_credential()
    at = timezone.now()

    opened = [rater_sql.credential_mark_opened(credential_id=credential.pk, at=at) for _ in "12"]
    submitted = [
        rater_sql.credential_mark_submitted(credential_id=credential.pk, at=at, receipt="R2345678")
        for _ in "12"
    ]

    assert opened == [True, False]
    assert submitted == [1, 0]
    credential.refresh_from_db()
    assert (credential.opened_at, credential.submitted_at, credential.receipt) == (
        at,
        at,
        "R2345678",
    )


def test_drafts_read_and_delete_only_the_credentials_own():
    credential = a_credential()
    other = CredentialFactory(session=credential.session, group=credential.group)
    unit = UnitFactory(session=credential.session)
    DraftGrade.objects.create(credential=credential, unit=unit, grade=Grade.GOOD)
    DraftGrade.objects.create(credential=other, unit=unit, grade=Grade.POOR)

    rows = rater_sql.draft_rows(credential_id=credential.pk)
    deleted = rater_sql.drafts_delete(credential_id=credential.pk)

    assert rows == [(unit.pk, None, Grade.GOOD)]
    assert deleted == 1
    assert list(DraftGrade.objects.values_list("credential_id", "grade")) == [
        (other.pk, Grade.POOR)
    ]
