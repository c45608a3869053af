"""The draft → ready checklist (sessions/services.py ``readiness_check``): every line, blocker or
warning, with the page that fixes it, and the confirmation page that shows them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sessions import services
from sessions.models import ReviewSession, ScoringScheme
from tests.factories import (
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
)

pytestmark = pytest.mark.django_db
Status = ReviewSession.Status


def complete(slug="2026-check") -> ReviewSession:
    """A draft session with nothing on the checklist: one category with a participant in its
    place, one group with as many codes as its minimum sample."""
    session = ReviewSessionFactory(slug=slug)
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    ParticipantFactory(
        session=session, unit__category=category, unit__name="城关镇", speaking_order=1
    )
    group = RaterGroupFactory(session=session, name="县级领导", weight=Decimal("40"), min_sample=3)
    CredentialFactory.create_batch(3, session=session, group=group)
    return session


def lines(session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    check = services.readiness_check(session)
    return (
        [(line.message, line.page) for line in check.blockers],
        [(line.message, line.page) for line in check.warnings],
    )


def test_readiness_complete_session_has_no_line():
    assert lines(complete()) == ([], [])


def test_readiness_no_participants_and_no_groups_block():
    session = ReviewSessionFactory()

    assert lines(session) == (
        [
            ("还没有述职单位：请添加固定参加的单位或进行随机抽选。", "review:units"),
            ("还没有评议组。", "review:groups"),
        ],
        [],
    )


def test_readiness_weights_summing_to_zero_block():
    session = complete()
    session.rater_groups.update(weight=Decimal("0"))

    assert lines(session)[0] == [("评议组权重之和必须大于 0。", "review:groups")]


def test_readiness_anonymous_group_below_the_minimum_sample_blocks():
    session = complete()
    session.rater_groups.update(min_sample=2)  # stored before the rule existed

    blockers, warnings = lines(session)

    assert blockers == [
        (
            "评议组“县级领导”：匿名评议的最少有效票数不能少于 3："
            "票数更少时，单位得分会暴露个别评议人的评价。",
            "review:groups",
        )
    ]
    assert warnings == []  # 3 codes for a minimum of 2


def test_readiness_component_weights_not_100_block():
    session = complete()
    ScoringScheme.objects.filter(session=session).update(weight_target=Decimal("10"))
    session = ReviewSession.objects.get(pk=session.pk)

    assert lines(session)[0] == [("计分构成的权重之和为 110.00%，必须为 100%。", "review:scheme")]


def test_readiness_scheme_that_cannot_rank_blocks():
    # The first tie-break compares the leaders' group, whose flag was taken off after it was
    # set; a group merely named 县级领导 does not count.
    session = complete()
    ScoringScheme.objects.filter(session=session).update(tie_break_leaders=True)
    session.rater_groups.update(name="县级领导", is_leaders=False)
    session = ReviewSession.objects.get(pk=session.pk)

    assert lines(session)[0] == [
        (
            "计分办法：同分比较县级领导组得分需要一个标为“县级领导组”的评议组，本评议会还没有。",
            "review:scheme",
        )
    ]


def test_readiness_missing_speaking_order_warns():
    session = complete()
    ParticipantFactory(
        session=session, unit__category=session.categories.get(), speaking_order=None
    )

    assert lines(session) == (
        [],
        [
            (
                "还没有发言顺序：召开现场会前须确定发言顺序，就绪后不能再抽签。"
                "不开现场会（纸质票、纯民主测评）可以不抽。",
                "review:draws",
            )
        ],
    )


def test_readiness_categories_without_participants_warn():
    session = complete()
    UnitCategoryFactory(session=session, name="开发区")
    UnitCategoryFactory(session=session, name="党群服务部门")

    assert lines(session) == (
        [],
        [
            (
                "单位类别“开发区、党群服务部门”没有述职单位：这些类别不会出现在结果中，"
                "可删除或添加单位。",
                "review:units",
            )
        ],
    )


def test_readiness_no_codes_at_all_warns_once():
    session = complete()
    session.credentials.all().delete()
    RaterGroupFactory(session=session, name="区直部门")

    assert lines(session) == (
        [],
        [
            (
                "还没有发放评议码：就绪后仍可在“评议码”页发放，评议开始前须发放。",
                "review:credentials",
            )
        ],
    )


def test_readiness_groups_with_fewer_codes_than_their_minimum_sample_warn():
    session = complete()
    short = RaterGroupFactory(session=session, name="区直部门", min_sample=4)
    CredentialFactory(session=session, group=short)
    revoked = CredentialFactory(session=session, group=short)
    revoked.status = revoked.Status.REVOKED
    revoked.save()
    RaterGroupFactory(session=session, name="两代表一委员", min_sample=3)

    assert lines(session) == (
        [],
        [
            (
                "评议码少于最少有效票数，这些评议组对任何单位都不会有有效得分："
                "区直部门 1 个（至少 4 个）；两代表一委员 0 个（至少 3 个）。就绪后仍可补发评议码。",
                "review:credentials",
            )
        ],
    )


def test_readiness_warnings_do_not_stop_draft_to_ready():
    session = complete()
    session.credentials.all().delete()

    services.session_transition(session=session, target=Status.READY, actor=None)

    session.refresh_from_db()
    assert session.status == Status.READY


# ---------------------------------------------------------------- the confirmation page


def ready_url(slug="2026-check"):
    return reverse("review:session_transition", args=[slug, Status.READY])


def test_ready_page_lists_blockers_with_links_and_offers_no_button(organiser_client):
    session = ReviewSessionFactory(slug="2026-check")

    response = organiser_client.get(ready_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["blockers"] == [
        (
            "还没有述职单位：请添加固定参加的单位或进行随机抽选。",
            reverse("review:units", args=[session.slug]),
        ),
        ("还没有评议组。", reverse("review:groups", args=[session.slug])),
    ]
    assert (
        f'还没有评议组。 <a href="{reverse("review:groups", args=[session.slug])}">去处理</a>'
        in (content)
    )
    assert 'type="submit"' not in content


def test_ready_page_shows_warnings_apart_and_asks_to_confirm(organiser_client):
    session = complete()
    session.credentials.all().delete()

    response = organiser_client.get(ready_url())

    content = response.content.decode()
    assert response.context["blockers"] == []
    assert response.context["warnings"] == [
        (
            "还没有发放评议码：就绪后仍可在“评议码”页发放，评议开始前须发放。",
            reverse("review:credentials", args=[session.slug]),
        )
    ]
    assert 'id="transition-warnings"' in content
    assert "没有阻止就绪的问题" in content
    assert "已了解提醒，确认转为“已就绪”" in content


def test_ready_page_post_with_warnings_moves_the_session(organiser_client):
    session = complete()
    session.credentials.all().delete()

    response = organiser_client.post(ready_url())

    session.refresh_from_db()
    assert response.status_code == 302
    assert session.status == Status.READY


def test_ready_page_without_lines_offers_the_plain_button(organiser_client):
    complete()

    content = organiser_client.get(ready_url()).content.decode()

    assert 'id="transition-warnings"' not in content
    assert "确认转为“已就绪”" in content
    assert "已了解提醒" not in content


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_ready_page_is_for_organisers_only(request, who):
    complete()
    client = request.getfixturevalue(who)

    assert client.get(ready_url()).status_code == 403
    assert client.post(ready_url()).status_code == 403
