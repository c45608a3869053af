"""sessions/credentials.py: generate, revoke and reissue 评议码."""

import pytest
from django.core.exceptions import ValidationError

from sessions import credentials
from sessions.models import AuditLog, Credential, ReviewSession
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status


def _actions(session):
    return list(
        AuditLog.objects.filter(session=session).order_by("id").values_list("action", flat=True)
    )


# ---------------------------------------------------------------- generate


def test_credentials_generate_count_issues_that_many_anonymous_codes(organiser):
    group = RaterGroupFactory()

    issued = credentials.credentials_generate(
        session=group.session, group=group, actor=organiser, count=25
    )

    assert len(issued) == 25
    assert Credential.objects.filter(group=group, holder_name="").count() == 25
    assert {c.status for c in issued} == {Credential.Status.ACTIVE}


def test_credentials_generate_codes_are_unique_eight_characters_of_the_alphabet(organiser):
    group = RaterGroupFactory()

    issued = credentials.credentials_generate(
        session=group.session, group=group, actor=organiser, count=300
    )

    codes = [c.code for c in issued]
    assert len(set(codes)) == 300
    assert {len(code) for code in codes} == {8}
    assert set("".join(codes)) <= set(credentials.ALPHABET)
    assert set("".join(codes)).isdisjoint("0O1I")


def test_credentials_generate_names_one_code_per_name_with_the_holder_unit(organiser):
    group = RaterGroupFactory()
    unit = UnitFactory(session=group.session)

    issued = credentials.credentials_generate(
        session=group.session,
        group=group,
        actor=organiser,
        holder_names=["张三", "  李四 ", "", "王五"],
        holder_unit=unit,
    )

    assert [c.holder_name for c in issued] == ["张三", "李四", "王五"]
    assert {c.holder_unit_id for c in issued} == {unit.pk}


def test_credentials_generate_writes_one_audit_entry_without_codes(organiser):
    group = RaterGroupFactory(name="县级领导")

    issued = credentials.credentials_generate(
        session=group.session, group=group, actor=organiser, count=3
    )

    entry = AuditLog.objects.get(session=group.session)
    assert entry.action == "credential.generate"
    assert entry.message == "为评议组“县级领导”生成 3 个评议码"
    assert entry.actor == organiser
    assert not any(c.code in entry.message for c in issued)


@pytest.mark.parametrize("status", [Status.CLOSED, Status.PUBLISHED])
def test_credentials_generate_refused_after_rating_ended(organiser, status):
    group = RaterGroupFactory(session=ReviewSessionFactory(status=status))

    with pytest.raises(ValidationError):
        credentials.credentials_generate(
            session=group.session, group=group, actor=organiser, count=1
        )

    assert Credential.objects.count() == 0


def test_credentials_generate_foreign_group_is_refused(organiser):
    session = ReviewSessionFactory()
    foreign_group = RaterGroupFactory()

    with pytest.raises(ValidationError, match="不属于本评议会"):
        credentials.credentials_generate(
            session=session, group=foreign_group, actor=organiser, count=1
        )

    assert Credential.objects.count() == 0


# ---------------------------------------------------------------- revoke


def test_credential_revoke_marks_it_revoked_and_audits_by_id(organiser):
    credential = CredentialFactory(group__name="镇(街道)")

    result = credentials.credential_revoke(credential=credential, actor=organiser)

    credential.refresh_from_db()
    assert credential.status == Credential.Status.REVOKED
    assert credential.revoked_at is not None
    assert result.pk == credential.pk
    entry = AuditLog.objects.get(session=credential.session)
    assert (entry.action, entry.message) == (
        "credential.revoke",
        f"作废评议码 #{credential.pk}（评议组“镇(街道)”）",
    )
    assert entry.detail == {"credential": credential.pk}


def test_credential_revoke_already_revoked_is_a_clear_error(organiser):
    credential = CredentialFactory(status=Credential.Status.REVOKED)

    with pytest.raises(ValidationError) as excinfo:
        credentials.credential_revoke(credential=credential, actor=organiser)

    assert excinfo.value.messages == [f"评议码 #{credential.pk} 已经作废。"]
    assert _actions(credential.session) == []


def test_credential_revoke_used_credential_is_refused(organiser):
    credential = BallotFactory().used_credential

    with pytest.raises(ValidationError) as excinfo:
        credentials.credential_revoke(credential=credential, actor=organiser)

    assert excinfo.value.messages == [f"评议码 #{credential.pk} 已提交评议表，不能作废。"]
    credential.refresh_from_db()
    assert credential.status == Credential.Status.ACTIVE


@pytest.mark.parametrize("status", [Status.CLOSED, Status.PUBLISHED])
def test_credential_revoke_refused_when_session_ended(organiser, status):
    credential = CredentialFactory(session=ReviewSessionFactory(status=status))

    with pytest.raises(ValidationError, match="不能再作废或补发"):
        credentials.credential_revoke(credential=credential, actor=organiser)

    credential.refresh_from_db()
    assert credential.status == Credential.Status.ACTIVE


def test_credential_revoke_allowed_while_rating(organiser):
    credential = CredentialFactory(session=ReviewSessionFactory(status=Status.RATING))

    credentials.credential_revoke(credential=credential, actor=organiser)

    credential.refresh_from_db()
    assert credential.status == Credential.Status.REVOKED


# ---------------------------------------------------------------- reissue


def test_credential_reissue_revokes_the_old_and_copies_group_holder_and_unit(organiser):
    unit = UnitFactory()
    old = CredentialFactory(session=unit.session, holder_name="张三", holder_unit=unit)

    new = credentials.credential_reissue(credential=old, actor=organiser)

    old.refresh_from_db()
    assert old.status == Credential.Status.REVOKED
    assert (new.session, new.group, new.holder_name, new.holder_unit) == (
        old.session,
        old.group,
        "张三",
        unit,
    )
    assert new.reissued_from == old
    assert new.status == Credential.Status.ACTIVE
    assert new.code != old.code
    assert len(new.code) == 8


def test_credential_reissue_audits_ids_not_codes(organiser):
    old = CredentialFactory(group__name="区直部门")

    new = credentials.credential_reissue(credential=old, actor=organiser)

    entry = AuditLog.objects.get(session=old.session)
    assert entry.action == "credential.reissue"
    assert entry.message == f"补发评议码：#{old.pk}（评议组“区直部门”）作废，新码 #{new.pk}"
    assert entry.detail == {"credential": old.pk, "new_credential": new.pk}


def test_credential_reissue_of_a_revoked_credential_issues_a_new_code(organiser):
    old = CredentialFactory(status=Credential.Status.REVOKED)

    new = credentials.credential_reissue(credential=old, actor=organiser)

    assert new.reissued_from == old
    assert Credential.objects.filter(session=old.session).count() == 2


def test_credential_reissue_twice_is_refused(organiser):
    old = CredentialFactory()
    first = credentials.credential_reissue(credential=old, actor=organiser)

    with pytest.raises(ValidationError) as excinfo:
        credentials.credential_reissue(credential=old, actor=organiser)

    assert excinfo.value.messages == [
        f"评议码 #{old.pk} 已补发过（新码 #{first.pk}），请对新码操作。"
    ]
    assert Credential.objects.filter(session=old.session).count() == 2


def test_credential_reissue_used_credential_is_refused(organiser):
    credential = BallotFactory().used_credential

    with pytest.raises(ValidationError) as excinfo:
        credentials.credential_reissue(credential=credential, actor=organiser)

    assert excinfo.value.messages == [f"评议码 #{credential.pk} 已提交评议表，不能补发。"]
    assert Credential.objects.filter(session=credential.session).count() == 1


@pytest.mark.parametrize("status", [Status.CLOSED, Status.PUBLISHED])
def test_credential_reissue_refused_when_session_ended(organiser, status):
    credential = CredentialFactory(session=ReviewSessionFactory(status=status))

    with pytest.raises(ValidationError, match="不能再作废或补发"):
        credentials.credential_reissue(credential=credential, actor=organiser)

    assert Credential.objects.filter(session=credential.session).count() == 1
    assert _actions(credential.session) == []


# ---------------------------------------------------------------- printed


def test_credentials_printed_audits_the_count_and_ids(organiser):
    first = CredentialFactory()
    second = CredentialFactory(session=first.session, group=first.group)

    credentials.credentials_printed(
        session=first.session, actor=organiser, credentials=[first, second]
    )

    entry = AuditLog.objects.get(session=first.session)
    assert (entry.action, entry.message) == ("credential.print", "打印 2 张评议卡")
    assert entry.detail == {"credentials": [first.pk, second.pk]}


# ---------------------------------------------------------------- own-unit codes per unit


def _towns(session, names=("花园口镇", "刘集镇", "新城街道")):
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    for name in names:
        UnitFactory(session=session, category=category, name=name)
    return category


def test_credentials_generate_per_unit_gives_each_unit_its_own_codes(organiser):
    group = RaterGroupFactory(name="镇(街道)")
    towns = _towns(group.session)
    UnitFactory(session=group.session, name="发改委")  # another category: no codes

    issued = credentials.credentials_generate_per_unit(
        session=group.session, group=group, category=towns, per_unit=3, actor=organiser
    )

    assert len(issued) == 9
    assert sorted(
        Credential.objects.filter(group=group).values_list("holder_unit__name", flat=True)
    ) == sorted(["花园口镇", "刘集镇", "新城街道"] * 3)
    assert len({c.code for c in issued}) == 9
    entry = AuditLog.objects.get(session=group.session)
    assert entry.action == "credential.generate_per_unit"
    assert entry.message == (
        "为评议组“镇(街道)”按类别“镇(街道)”的 3 个单位各生成 3 个本单位评议码，共 9 个"
    )
    assert (entry.detail["count"], entry.detail["per_unit"]) == (9, 3)


@pytest.mark.parametrize(
    ("per_unit", "message"),
    [(0, "每个单位的数量须在 1 到 50 之间。"), (51, "每个单位的数量须在 1 到 50 之间。")],
)
def test_credentials_generate_per_unit_bad_number_refused(organiser, per_unit, message):
    group = RaterGroupFactory()
    towns = _towns(group.session)

    with pytest.raises(ValidationError) as exc_info:
        credentials.credentials_generate_per_unit(
            session=group.session, group=group, category=towns, per_unit=per_unit, actor=organiser
        )

    assert exc_info.value.messages == [message]
    assert (Credential.objects.count(), AuditLog.objects.count()) == (0, 0)


def test_credentials_generate_per_unit_empty_or_foreign_category_refused(organiser):
    group = RaterGroupFactory()
    empty = UnitCategoryFactory(session=group.session, name="开发区")
    foreign = _towns(ReviewSessionFactory())

    with pytest.raises(ValidationError) as empty_info:
        credentials.credentials_generate_per_unit(
            session=group.session, group=group, category=empty, per_unit=3, actor=organiser
        )
    with pytest.raises(ValidationError) as foreign_info:
        credentials.credentials_generate_per_unit(
            session=group.session, group=group, category=foreign, per_unit=3, actor=organiser
        )

    assert empty_info.value.messages == ["类别“开发区”还没有单位，无法按单位生成评议码。"]
    assert foreign_info.value.messages == ["所选类别不属于本评议会。"]
    assert Credential.objects.count() == 0


def test_credentials_generate_per_unit_over_the_limit_refused(organiser):
    group = RaterGroupFactory()
    towns = _towns(group.session, names=[f"第{n}镇" for n in range(41)])

    with pytest.raises(ValidationError) as exc_info:
        credentials.credentials_generate_per_unit(
            session=group.session, group=group, category=towns, per_unit=50, actor=organiser
        )

    assert exc_info.value.messages == [
        "共需生成 2050 个评议码，超过每次 2000 个的上限，请减少每单位数量。"
    ]
    assert Credential.objects.count() == 0


def test_credentials_generate_per_unit_after_rating_refused(organiser):
    group = RaterGroupFactory(session__status=Status.CLOSED)
    towns = _towns(group.session)

    with pytest.raises(ValidationError) as exc_info:
        credentials.credentials_generate_per_unit(
            session=group.session, group=group, category=towns, per_unit=1, actor=organiser
        )

    assert exc_info.value.messages == ["评议会状态为“评议已结束”，不能再发放评议码。"]
    assert Credential.objects.count() == 0
