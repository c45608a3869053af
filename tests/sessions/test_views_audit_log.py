"""The audit log page: display names, filters by kind, actor and dates, and paging."""

import datetime

import pytest
from django.urls import reverse

from core.audit import audit
from sessions.models import AuditLog
from tests.factories import ReviewSessionFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def session(db):
    return ReviewSessionFactory(slug="2026-midyear")


@pytest.fixture
def wang(db):
    return UserFactory(username="wangfang", first_name="王芳")


def _url(session, **query) -> str:
    url = reverse("review:audit_log", args=[session.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _entry(session, *, actor=None, action="unit.add", message="记录", at=None) -> AuditLog:
    entry = audit(session=session, actor=actor, action=action, message=message)
    if at:
        AuditLog.objects.filter(pk=entry.pk).update(created_at=at)
    return entry


def _messages(response) -> list[str]:
    return [e.message for e in response.context["page"]]


def test_audit_log_anonymous_is_sent_to_login(client, session):
    response = client.get(_url(session))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_audit_log_names_people_by_full_name_with_the_login_name_beside(
    observer_client, session, wang
):
    _entry(session, actor=wang, message="王芳的记录")
    _entry(session, actor=None, message="系统的记录")
    gone = UserFactory(username="leaver")
    _entry(session, actor=gone, message="已删除账号的记录")
    gone.delete()

    response = observer_client.get(_url(session))

    body = response.content.decode()
    assert response.status_code == 200
    assert [(e.actor_name, e.actor_label) for e in response.context["page"]] == [
        ("leaver", "leaver"),
        ("系统", "system"),
        ("王芳", "wangfang"),
    ]
    assert (
        '<span class="actor-name">王芳</span><div class="small muted actor-login">wangfang</div>'
        in body
    )
    assert '<span class="actor-name">leaver</span></td>' in body
    assert '<option value="wangfang">王芳（wangfang）</option>' in body


def test_audit_log_filters_by_kind_of_action(observer_client, session):
    _entry(session, action="draw.participants", message="抽选")
    _entry(session, action="draw.speaking_order", message="排序")
    _entry(session, action="unit.add", message="加单位")
    _entry(session, action="ballot_box.close", message="票箱")
    _entry(session, action="ballot.submit", message="投票")

    draws = observer_client.get(_url(session, kind="draw"))
    ballots = observer_client.get(_url(session, kind="ballot"))

    assert _messages(draws) == ["排序", "抽选"]
    assert _messages(ballots) == ["投票"]  # not ballot_box.close
    assert "符合条件的记录 2 条" in draws.content.decode()


def test_audit_log_filters_by_actor(observer_client, session, wang, organiser):
    _entry(session, actor=wang, message="王芳一")
    _entry(session, actor=organiser, message="组织者")
    _entry(session, actor=wang, message="王芳二")

    response = observer_client.get(_url(session, actor="wangfang"))

    assert _messages(response) == ["王芳二", "王芳一"]


def test_audit_log_filters_by_local_date_range_inclusive(observer_client, session):
    def at(day, hour):
        return datetime.datetime(2026, 7, day, hour, 30, tzinfo=SHANGHAI)

    _entry(session, message="6日深夜", at=at(6, 23))
    _entry(session, message="7日凌晨", at=at(7, 0))
    _entry(session, message="8日深夜", at=at(8, 23))
    _entry(session, message="9日凌晨", at=at(9, 0))

    response = observer_client.get(_url(session, date_from="2026-07-07", date_to="2026-07-08"))

    assert _messages(response) == ["8日深夜", "7日凌晨"]


def test_audit_log_reversed_dates_are_reported_and_other_filters_still_apply(
    observer_client, session
):
    _entry(session, action="draw.participants", message="抽选")
    _entry(session, action="unit.add", message="加单位")

    response = observer_client.get(
        _url(session, kind="draw", date_from="2026-07-09", date_to="2026-07-01")
    )

    assert response.status_code == 200
    assert "开始日期不能晚于结束日期。" in response.content.decode()
    assert _messages(response) == ["抽选"]


def test_audit_log_unknown_kind_is_reported_and_ignored(observer_client, session):
    _entry(session, action="unit.add", message="加单位")

    response = observer_client.get(_url(session, kind="nonsense"))

    assert "选择一个有效的选项。 nonsense 不在可用的选项中。" in response.content.decode()
    assert _messages(response) == ["加单位"]


def test_audit_log_pages_by_fifty_newest_first_keeping_the_filters(observer_client, session):
    start = datetime.datetime(2026, 7, 1, 8, 0, tzinfo=SHANGHAI)
    for n in range(120):
        _entry(
            session, action="unit.add", message=f"第{n}条", at=start + datetime.timedelta(minutes=n)
        )
    _entry(session, action="draw.participants", message="抽选", at=start)

    first = observer_client.get(_url(session, kind="unit"))
    third = observer_client.get(_url(session, kind="unit", page="3"))
    beyond = observer_client.get(_url(session, kind="unit", page="99"))

    assert _messages(first) == [f"第{n}条" for n in range(119, 69, -1)]
    assert _messages(third) == [f"第{n}条" for n in range(19, -1, -1)]
    assert _messages(beyond) == _messages(third)
    assert 'href="?kind=unit&amp;page=2"' in first.content.decode()
    assert "第 1 / 3 页" in first.content.decode()
    assert 'href="?kind=unit&amp;page=2" rel="prev"' not in third.content.decode()
    assert 'rel="prev" href="?kind=unit&amp;page=2"' in third.content.decode()


def test_audit_log_htmx_returns_only_the_list(observer_client, session):
    _entry(session, message="加单位")

    response = observer_client.get(_url(session), **HTMX)

    body = response.content.decode()
    assert "<html" not in body
    assert body.strip().startswith('<div id="audit-list">')
    assert "加单位" in body


def test_audit_log_shows_only_its_own_session(observer_client, session):
    _entry(session, message="本场")
    _entry(ReviewSessionFactory(), message="别场")

    response = observer_client.get(_url(session))

    assert _messages(response) == ["本场"]


def test_audit_log_query_count_does_not_grow_with_entries(
    observer_client, session, wang, django_assert_max_num_queries
):
    for n in range(60):
        _entry(session, actor=wang if n % 2 else None, message=f"第{n}条")

    # Login, permissions, actors, count, page: a fixed handful, not one per row.
    with django_assert_max_num_queries(10):
        response = observer_client.get(_url(session))

    assert len(response.context["page"]) == 50
