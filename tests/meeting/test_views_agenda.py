"""meeting/views/agenda.py: the agenda page and the moderator's console."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from meeting import agenda
from meeting.models import AgendaItem, Stage
from meeting.stage import stage_for
from sessions.models import AuditLog, ReviewSession
from tests.factories import (
    ParticipantFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
SLUG = "2026-mid"


@pytest.fixture
def session():
    session = ReviewSessionFactory(slug=SLUG, title="2026年年中述职讲评会", status=Status.LIVE)
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    for order, name in enumerate(["城关镇", "东风街道", "滨河街道"], start=1):
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    return session


@pytest.fixture
def items(session):
    return agenda.agenda_generate(session=session, actor=None, limit_seconds=300)


@pytest.fixture
def other_item():
    """An item of another session: its id must not work under this session's URLs."""
    other = ReviewSessionFactory(status=Status.LIVE)
    return agenda.agenda_item_add(session=other, actor=None, title="别的会", limit_seconds=60)


def url(name, *args, slug=SLUG):
    return reverse(f"meeting:{name}", args=[slug, *args])


def states(session):
    return [i.state for i in AgendaItem.objects.filter(session=session)]


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


VIEWS = [
    ("agenda", "get", False),
    ("agenda_generate", "post", False),
    ("agenda_item_add", "post", False),
    ("agenda_item_edit", "get", True),
    ("agenda_item_delete", "get", True),
    ("agenda_item_move", "post", True),
    ("console", "get", False),
    ("console_timer", "post", True),
    ("console_next", "post", False),
    ("console_screen", "post", False),
]


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(("name", "method", "with_item"), VIEWS)
def test_agenda_views_send_anonymous_users_to_login(client, items, name, method, with_item):
    target = url(name, items[0].pk) if with_item else url(name)

    response = getattr(client, method)(target)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={target}")


@pytest.mark.parametrize(("name", "method", "with_item"), [v for v in VIEWS if v[0] != "agenda"])
def test_agenda_views_refuse_observers(observer_client, items, name, method, with_item):
    target = url(name, items[0].pk) if with_item else url(name)

    response = getattr(observer_client, method)(target)

    assert response.status_code == 403
    assert states(items[0].session) == ["waiting", "waiting", "waiting"]


def test_agenda_page_is_read_only_for_observers(observer_client, items):
    response = observer_client.get(url("agenda"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "您只能查看议程；议程由主持人和组织者安排。" in html
    assert url("agenda_generate") not in html
    assert url("console") not in html
    assert [i.label for i in response.context["items"]] == [
        "城关镇 述职",
        "东风街道 述职",
        "滨河街道 述职",
    ]


@pytest.mark.parametrize(
    ("name", "with_item"), [("agenda_item_edit", True), ("agenda_item_delete", True)]
)
def test_agenda_item_views_404_for_another_sessions_item(
    moderator_client, items, other_item, name, with_item
):
    response = moderator_client.get(url(name, other_item.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["agenda_item_move", "console_timer"])
def test_agenda_posts_404_for_another_sessions_item(moderator_client, items, other_item, name):
    response = moderator_client.post(
        url(name, other_item.pk), {"direction": "up", "action": "start"}
    )

    assert response.status_code == 404
    assert AgendaItem.objects.get(pk=other_item.pk).state == "waiting"


def test_agenda_views_404_for_an_unknown_session(moderator_client):
    assert moderator_client.get(url("console", slug="no-such")).status_code == 404


# ---------------------------------------------------------------- the agenda page


def test_agenda_page_for_moderators_lists_items_with_limits(
    moderator_client, session, items, django_assert_max_num_queries
):
    for n in range(20):
        agenda.agenda_item_add(session=session, actor=None, title=f"项目{n}", limit_seconds=90)

    with django_assert_max_num_queries(10):
        response = moderator_client.get(url("agenda"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="num">05:00</td>' in html
    assert '<td class="num">01:30</td>' in html
    assert url("agenda_generate") in html
    assert response.context["total_seconds"] == 3 * 300 + 20 * 90


def test_agenda_generate_gives_each_segment_its_own_limit_and_remembers_them(
    moderator_client, session
):
    response = moderator_client.post(
        url("agenda_generate"),
        {
            "segments": ["work", "integrity"],
            "work_limit": "7:30",
            "responsibility_limit": "",
            "integrity_limit": "3",
        },
    )

    assert (response.status_code, response["Location"]) == (302, url("agenda"))
    assert [(i.label, i.limit_seconds) for i in AgendaItem.objects.filter(session=session)] == [
        ("城关镇 述职", 450),
        ("城关镇 述廉", 180),
        ("东风街道 述职", 450),
        ("东风街道 述廉", 180),
        ("滨河街道 述职", 450),
        ("滨河街道 述廉", 180),
    ]
    page = moderator_client.get(url("agenda"))
    initial = page.context["generate_form"].initial
    assert (initial["work_limit"], initial["integrity_limit"]) == (450, 180)
    assert 'name="work_limit" value="07:30"' in page.content.decode()


def test_agenda_page_offers_the_templates_limits_per_segment(moderator_client, session):
    ReviewSession.objects.filter(pk=session.pk).update(kind=ReviewSession.Kind.MIDYEAR)

    html = moderator_client.get(url("agenda")).content.decode()

    # The mid-year template: 述职 10:00, 述责 5:00, 述廉 3:00.
    assert 'name="work_limit" value="10:00"' in html
    assert 'name="responsibility_limit" value="05:00"' in html
    assert 'name="integrity_limit" value="03:00"' in html


def test_agenda_generate_needs_a_limit_for_each_chosen_segment(moderator_client, session):
    response = moderator_client.post(
        url("agenda_generate"), {"segments": ["work", "integrity"], "work_limit": "8"}
    )

    assert response.status_code == 422
    assert response.context["generate_form"].errors == {"integrity_limit": ["请填写述廉的限时。"]}
    assert AgendaItem.objects.filter(session=session).count() == 0


def test_agenda_generate_asks_before_replacing(moderator_client, session, items):
    data = {"segments": ["responsibility"], "responsibility_limit": "4"}

    asked = moderator_client.post(url("agenda_generate"), data)
    done = moderator_client.post(url("agenda_generate"), {**data, "confirmed": "on"})

    assert asked.status_code == 200
    assert "将删除现有的 3 个议程项目" in asked.content.decode()
    assert done.status_code == 302
    assert [(i.label, i.limit_seconds) for i in AgendaItem.objects.filter(session=session)] == [
        ("城关镇 述责", 240),
        ("东风街道 述责", 240),
        ("滨河街道 述责", 240),
    ]


@pytest.mark.parametrize(
    ("limit", "error"),
    [
        ("abc", "请按“分:秒”填写限时，例如 5:00 或 7:30；只填数字表示分钟。"),
        ("5:75", "请按“分:秒”填写限时，例如 5:00 或 7:30；只填数字表示分钟。"),
        ("0:05", "限时须在 10 秒到 120 分钟之间。"),
        ("121", "限时须在 10 秒到 120 分钟之间。"),
    ],
)
def test_agenda_generate_rejects_a_bad_limit(moderator_client, session, limit, error):
    response = moderator_client.post(
        url("agenda_generate"), {"segments": ["work"], "work_limit": limit}
    )

    assert response.status_code == 422
    assert response.context["generate_form"].errors == {"work_limit": [error]}
    assert AgendaItem.objects.filter(session=session).count() == 0


def test_agenda_generate_refused_once_started_is_409(moderator_client, session, items):
    agenda.agenda_next(session=session, actor=None)

    response = moderator_client.post(
        url("agenda_generate"), {"segments": ["work"], "work_limit": "5", "confirmed": "on"}
    )

    assert response.status_code == 409
    assert states(session) == ["running", "waiting", "waiting"]


def test_agenda_item_add_appends(organiser_client, session, items):
    response = organiser_client.post(
        url("agenda_item_add"), {"add-title": "<i>主持人讲话</i>", "add-limit_seconds": "2"}
    )

    assert response.status_code == 302
    added = AgendaItem.objects.filter(session=session).last()
    assert (added.title, added.limit_seconds, added.order) == ("<i>主持人讲话</i>", 120, 4)
    page = organiser_client.get(url("agenda")).content.decode()
    assert "&lt;i&gt;主持人讲话&lt;/i&gt;" in page


def test_agenda_item_add_without_title_is_422(moderator_client, session):
    response = moderator_client.post(
        url("agenda_item_add"), {"add-title": "", "add-limit_seconds": "2"}
    )

    assert response.status_code == 422
    assert response.context["add_form"].non_field_errors() == ["请填写议程标题。"]


def test_agenda_item_edit_shows_and_saves(moderator_client, items):
    item = items[1]

    shown = moderator_client.get(url("agenda_item_edit", item.pk))
    saved = moderator_client.post(
        url("agenda_item_edit", item.pk), {"title": "", "limit_seconds": "6:00"}
    )

    assert shown.status_code == 200
    assert 'value="05:00"' in shown.content.decode()
    assert saved.status_code == 302
    assert AgendaItem.objects.get(pk=item.pk).limit_seconds == 360


def test_agenda_item_edit_invalid_is_422(moderator_client, items):
    response = moderator_client.post(
        url("agenda_item_edit", items[0].pk), {"title": "", "limit_seconds": "x"}
    )

    assert response.status_code == 422
    assert AgendaItem.objects.get(pk=items[0].pk).limit_seconds == 300


def test_agenda_item_delete_confirms_then_deletes(moderator_client, session, items):
    asked = moderator_client.get(url("agenda_item_delete", items[2].pk))
    done = moderator_client.post(url("agenda_item_delete", items[2].pk))

    assert asked.status_code == 200
    assert "删除议程项目“滨河街道 述职”？" in asked.content.decode()
    assert (done.status_code, done["Location"]) == (302, url("agenda"))
    assert AgendaItem.objects.filter(session=session).count() == 2


def test_agenda_item_delete_of_a_started_item_is_409(moderator_client, session, items):
    agenda.agenda_next(session=session, actor=None)

    response = moderator_client.post(url("agenda_item_delete", items[0].pk))

    assert response.status_code == 409
    assert "只能删除尚未开始的议程项目。" in response.content.decode()
    assert AgendaItem.objects.filter(session=session).count() == 3


def test_agenda_item_move_up(moderator_client, session, items):
    response = moderator_client.post(url("agenda_item_move", items[2].pk), {"direction": "up"})

    assert response.status_code == 302
    assert [i.label for i in AgendaItem.objects.filter(session=session)] == [
        "城关镇 述职",
        "滨河街道 述职",
        "东风街道 述职",
    ]


def test_agenda_item_move_refusal_is_a_message(moderator_client, session, items):
    response = moderator_client.post(url("agenda_item_move", items[0].pk), {"direction": "up"})

    assert message_texts(response) == ["已经是第一项。"]
    assert AgendaItem.objects.get(pk=items[0].pk).order == 1


# ---------------------------------------------------------------- the console


def test_console_shows_agenda_screen_link_and_questions_place(
    moderator_client, session, items, django_assert_max_num_queries
):
    agenda.agenda_next(session=session, actor=None)
    token = stage_for(session).screen_token

    with django_assert_max_num_queries(12):
        response = moderator_client.get(url("console"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="http://testserver/screen/{token}/"' in html
    assert '<section id="console-questions" class="card"' in html
    assert 'data-countdown data-remaining="' in html
    assert f'id="console-item-{items[0].pk}" class="agenda-running agenda-current"' in html
    assert "下一位：东风街道 述职" in html


def test_console_sums_up_the_questions_and_the_vote_on_screen(moderator_client, session, items):
    from meeting.models import Question, SatisfactionVote
    from meeting.stage import stage_touch
    from tests.factories import CredentialFactory

    unit = session.participants.get(speaking_order=1).unit
    Question.objects.create(session=session, unit=unit, text="待审核的问题")
    answered = Question.objects.create(
        session=session, unit=unit, text="<b>何时</b>完工？", status="answered", vote="open"
    )
    for choice in ("satisfied", "basically_satisfied", "dissatisfied", "satisfied"):
        SatisfactionVote.objects.create(
            question=answered, credential=CredentialFactory(session=session), choice=choice
        )
    stage_touch(session, question_on_screen=answered)

    html = moderator_client.get(url("console")).content.decode()

    assert "待审核问题 1 个" in html
    assert "&lt;b&gt;何时&lt;/b&gt;完工？" in html
    assert "满意 2（50%） · 基本满意 1（25%） · 不满意 1（25%） · 满意率 75.00%" in html


def test_console_before_the_meeting_says_how_to_start(moderator_client, session, items):
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.READY)

    html = moderator_client.get(url("console")).content.decode()

    assert "会议尚未开始：请先在概览页将评议会状态改为“会议进行中”。" in html


def test_console_timer_start_with_htmx_swaps_the_live_partial(moderator_client, session, items):
    response = moderator_client.post(url("console_timer", items[1].pk), {"action": "start"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="console-live" class="console-live">')
    assert "<html" not in html
    assert states(session) == ["waiting", "running", "waiting"]
    assert Stage.objects.get(session=session).mode == "speaker"


def test_console_timer_without_htmx_redirects(moderator_client, session, items):
    response = moderator_client.post(url("console_timer", items[0].pk), {"action": "start"})

    assert (response.status_code, response["Location"]) == (302, url("console"))
    assert states(session) == ["running", "waiting", "waiting"]


@pytest.mark.parametrize(("action", "extra"), [("extend_60", 60), ("extend_30", 30)])
def test_console_timer_extends(moderator_client, session, items, action, extra):
    agenda.agenda_next(session=session, actor=None)

    moderator_client.post(url("console_timer", items[0].pk), {"action": action}, **HTMX)

    assert AgendaItem.objects.get(pk=items[0].pk).extra_seconds == extra


def test_console_timer_pause_resume_finish(moderator_client, session, items):
    agenda.agenda_next(session=session, actor=None)
    target = url("console_timer", items[0].pk)

    seen = []
    for action in ["pause", "resume", "finish"]:
        moderator_client.post(target, {"action": action, "confirmed": "1"}, **HTMX)
        seen.append(AgendaItem.objects.get(pk=items[0].pk).state)

    assert seen == ["paused", "running", "done"]
    assert list(
        AuditLog.objects.filter(action__startswith="agenda.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["agenda.generate", "agenda.next", "agenda.pause", "agenda.resume", "agenda.finish"]


def test_console_timer_refusal_with_htmx_is_409_in_place(moderator_client, session, items):
    response = moderator_client.post(url("console_timer", items[0].pk), {"action": "pause"}, **HTMX)

    assert response.status_code == 409
    assert '<div class="notice error" role="alert">该项目没有在计时，不能暂停。</div>' in (
        response.content.decode()
    )


def test_console_timer_refusal_without_htmx_is_a_message(moderator_client, session, items):
    response = moderator_client.post(url("console_timer", items[0].pk), {"action": "finish"})

    assert response.status_code == 302
    assert message_texts(response) == ["该项目尚未开始。"]


def test_console_timer_unknown_action_changes_nothing(moderator_client, session, items):
    response = moderator_client.post(
        url("console_timer", items[0].pk), {"action": "explode"}, **HTMX
    )

    assert response.status_code == 409
    assert states(session) == ["waiting", "waiting", "waiting"]


def test_console_next_starts_the_next_speaker(moderator_client, session, items):
    agenda.agenda_next(session=session, actor=None)

    response = moderator_client.post(url("console_next"), {"confirmed": "1"}, **HTMX)

    assert response.status_code == 200
    assert states(session) == ["done", "running", "waiting"]
    assert response.context["current"].label == "东风街道 述职"


def test_console_next_and_finish_ask_first_with_hx_confirm(moderator_client, session, items):
    agenda.agenda_next(session=session, actor=None)

    html = moderator_client.get(url("console")).content.decode()

    assert (
        'hx-confirm="结束“城关镇 述职”并开始下一位“东风街道 述职”？" '
        """hx-vals='{"confirmed": "1"}'""" in html
    )
    assert (
        'hx-confirm="结束“城关镇 述职”？计时将停止，本项用时定为最终用时，不能再继续或延长。"'
        in html
    )


def test_console_timer_shows_the_current_segment_and_its_limit(moderator_client, session):
    agenda.agenda_generate(
        session=session,
        actor=None,
        segments=["work", "integrity"],
        limits={"work": 480, "integrity": 180},
    )
    agenda.agenda_next(session=session, actor=None)

    html = moderator_client.get(url("console")).content.decode()

    assert '<p class="small muted console-limit">述职 · 限时 08:00</p>' in html


def test_console_start_of_the_first_speaker_asks_nothing(moderator_client, session, items):
    html = moderator_client.get(url("console")).content.decode()
    response = moderator_client.post(url("console_next"), **HTMX)

    assert "并开始下一位" not in html
    assert response.status_code == 200
    assert states(session) == ["running", "waiting", "waiting"]


def test_console_next_without_javascript_shows_a_confirmation_page_first(
    moderator_client, session, items
):
    agenda.agenda_next(session=session, actor=None)

    asked = moderator_client.post(url("console_next"))
    states_after_asking = states(session)
    done = moderator_client.post(url("console_next"), {"confirmed": "1"})

    assert asked.status_code == 200
    html = asked.content.decode()
    assert (
        '<p class="notice warn" role="alert">结束“城关镇 述职”并开始下一位“东风街道 述职”？</p>'
        in (html)
    )
    assert f'<form method="post" action="{url("console_next")}">' in html
    assert '<input type="hidden" name="confirmed" value="1">' in html
    assert states_after_asking == ["running", "waiting", "waiting"]
    assert done.status_code == 302
    assert states(session) == ["done", "running", "waiting"]


def test_console_next_from_an_out_of_date_console_asks_again(moderator_client, session, items):
    agenda.agenda_next(session=session, actor=None)

    response = moderator_client.post(url("console_next"), **HTMX)

    assert response.status_code == 409
    assert (
        "结束“城关镇 述职”并开始下一位“东风街道 述职”？（主持台已更新：请再点一次并确认。）"
        in response.content.decode()
    )
    assert states(session) == ["running", "waiting", "waiting"]
    assert AuditLog.objects.filter(action="agenda.next").count() == 1  # the first speaker's


def test_console_finish_without_javascript_asks_first_and_keeps_the_action(
    moderator_client, session, items
):
    agenda.agenda_next(session=session, actor=None)
    target = url("console_timer", items[0].pk)

    asked = moderator_client.post(target, {"action": "finish"})
    state_after_asking = AgendaItem.objects.get(pk=items[0].pk).state
    done = moderator_client.post(target, {"action": "finish", "confirmed": "1"})

    html = asked.content.decode()
    assert (asked.status_code, state_after_asking) == (200, "running")
    assert "结束“城关镇 述职”？计时将停止" in html
    assert '<input type="hidden" name="action" value="finish">' in html
    assert ">确认结束</button>" in html
    assert (done.status_code, AgendaItem.objects.get(pk=items[0].pk).state) == (302, "done")


def test_console_screen_switches_the_mode(moderator_client, session):
    response = moderator_client.post(
        url("console_screen"), {"mode": "projects", "project_colour": "yellow"}, **HTMX
    )

    stage = Stage.objects.get(session=session)
    assert response.status_code == 200
    assert (stage.mode, stage.project_colour) == ("projects", "yellow")
    assert 'value="projects" class="current" aria-pressed="true"' in response.content.decode()


def test_console_screen_ranking_before_publication_is_refused(moderator_client, session):
    response = moderator_client.post(url("console_screen"), {"mode": "ranking"}, **HTMX)

    assert response.status_code == 409
    assert "评议结果尚未发布，大屏不能显示评议结果。" in response.content.decode()
    assert Stage.objects.get(session=session).mode == "welcome"


def test_console_screen_invalid_mode_changes_nothing(moderator_client, session):
    response = moderator_client.post(url("console_screen"), {"mode": "cinema"})

    assert response.status_code == 302
    assert message_texts(response) == ["无效的大屏显示内容。"]
    assert stage_for(session).mode == "welcome"


def test_console_screen_renew_gives_the_console_a_new_link(moderator_client, session):
    old = stage_for(session).screen_token

    response = moderator_client.post(url("console_screen_renew"))

    new = stage_for(session).screen_token
    assert response.status_code == 302
    assert new != old
    assert message_texts(response) == ["已更换大屏链接：旧链接已失效，请在投影电脑上打开新链接。"]
    html = moderator_client.get(url("console")).content.decode()
    assert f"/screen/{new}/" in html
    assert f"/screen/{old}/" not in html


def test_console_screen_renew_is_for_those_who_run_the_stage(observer_client, client, session):
    old = stage_for(session).screen_token

    refused = observer_client.post(url("console_screen_renew"))
    client.logout()
    anonymous = client.post(url("console_screen_renew"))

    assert refused.status_code == 403
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert stage_for(session).screen_token == old


def test_console_screen_renew_answers_only_post(moderator_client, session):
    assert moderator_client.get(url("console_screen_renew")).status_code == 405
