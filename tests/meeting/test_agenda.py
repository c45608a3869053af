"""meeting/agenda.py: the agenda and the timer."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from meeting import agenda
from meeting.models import AgendaItem, Stage
from meeting.stage import stage_for
from scoring.models import ResultSnapshot
from sessions.models import AuditLog, ReviewSession
from tests.factories import (
    ParticipantFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
State = AgendaItem.State
Segment = AgendaItem.Segment


@pytest.fixture
def actor():
    return UserFactory(username="moderator")


def make_session(*, status=Status.LIVE, kind=ReviewSession.Kind.MIDYEAR, names=None):
    session = ReviewSessionFactory(status=status, kind=kind)
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    # Speaking orders 2, 1 and none (two without one: after, by name).
    for name, order in names or [
        ("东风街道", 2),
        ("城关镇", 1),
        ("白沙镇", None),
        ("白云街道", None),
    ]:
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    return session


@pytest.fixture
def session():
    return make_session()


def labels(session):
    return [
        (item.order, item.label, item.state)
        for item in AgendaItem.objects.filter(session=session).select_related("participant__unit")
    ]


def generated(session, actor, **kwargs):
    kwargs.setdefault("limit_seconds", 300)
    return agenda.agenda_generate(session=session, actor=actor, **kwargs)


def item(session, order):
    return AgendaItem.objects.get(session=session, order=order)


def version(session):
    return Stage.objects.get(session=session).version


def in_the_past(agenda_item, seconds):
    """Arrange: the current run began ``seconds`` ago."""
    AgendaItem.objects.filter(pk=agenda_item.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )


# ---------------------------------------------------------------- generate


def test_agenda_generate_orders_participants_by_speaking_order_then_name(session, actor):
    generated(session, actor)

    assert labels(session) == [
        (1, "城关镇 述职", "waiting"),
        (2, "东风街道 述职", "waiting"),
        (3, "白云街道 述职", "waiting"),
        (4, "白沙镇 述职", "waiting"),
    ]


def test_agenda_generate_annual_defaults_to_three_segments_per_unit(actor):
    session = make_session(kind=ReviewSession.Kind.ANNUAL, names=[("城关镇", 1), ("东风街道", 2)])

    items = generated(session, actor, limit_seconds=240)

    assert labels(session) == [
        (1, "城关镇 述职", "waiting"),
        (2, "城关镇 述责", "waiting"),
        (3, "城关镇 述廉", "waiting"),
        (4, "东风街道 述职", "waiting"),
        (5, "东风街道 述责", "waiting"),
        (6, "东风街道 述廉", "waiting"),
    ]
    assert {i.limit_seconds for i in items} == {240}


def test_agenda_generate_gives_each_segment_its_own_limit_and_remembers_them(actor):
    session = make_session(kind=ReviewSession.Kind.ANNUAL, names=[("城关镇", 1)])

    agenda.agenda_generate(
        session=session,
        actor=actor,
        limits={"work": 600, "responsibility": 240, "integrity": 120},
    )

    assert [(i.label, i.limit_seconds) for i in AgendaItem.objects.filter(session=session)] == [
        ("城关镇 述职", 600),
        ("城关镇 述责", 240),
        ("城关镇 述廉", 120),
    ]
    stage = Stage.objects.get(session=session)
    assert [stage.segment_limit(s) for s in ("work", "responsibility", "integrity")] == [
        600,
        240,
        120,
    ]
    entry = AuditLog.objects.get(action="agenda.generate")
    assert entry.message == (
        "生成议程：1 个单位，每个单位 述职限时 10:00、述责限时 04:00、述廉限时 02:00"
    )
    assert entry.detail["limits"] == {"work": 600, "responsibility": 240, "integrity": 120}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (ReviewSession.Kind.ANNUAL, [480, 300, 180]),
        (ReviewSession.Kind.MIDYEAR, [600, 300, 180]),
        (ReviewSession.Kind.CUSTOM, [300, 300, 300]),
    ],
)
def test_agenda_generate_without_limits_uses_the_templates_per_segment(actor, kind, expected):
    session = make_session(kind=kind, names=[("城关镇", 1)])

    agenda.agenda_generate(
        session=session, actor=actor, segments=["work", "responsibility", "integrity"]
    )

    assert [i.limit_seconds for i in AgendaItem.objects.filter(session=session)] == expected


def test_agenda_generate_again_uses_the_limits_given_last_time(session, actor):
    generated(session, actor, limit_seconds=None, limits={"work": 420})

    generated(session, actor, limit_seconds=None)

    assert {i.limit_seconds for i in AgendaItem.objects.filter(session=session)} == {420}


def test_agenda_generate_refuses_a_chosen_segment_without_a_limit(session, actor):
    with pytest.raises(ValidationError) as refused:
        generated(
            session, actor, limit_seconds=None, segments=["work", "integrity"], limits={"work": 300}
        )

    assert refused.value.messages == ["请填写述廉的限时。"]
    assert AgendaItem.objects.filter(session=session).count() == 0


def test_agenda_generate_keeps_segments_in_their_order_whatever_was_passed(session, actor):
    generated(session, actor, segments=["integrity", "work"])

    assert [i.segment for i in AgendaItem.objects.filter(session=session)][:2] == [
        "work",
        "integrity",
    ]


def test_agenda_generate_replaces_a_waiting_agenda(session, actor):
    generated(session, actor)
    agenda.agenda_item_add(session=session, actor=actor, title="主持人讲话", limit_seconds=60)

    generated(session, actor, segments=["responsibility"], limit_seconds=120)

    assert [(o, label) for o, label, _s in labels(session)] == [
        (1, "城关镇 述责"),
        (2, "东风街道 述责"),
        (3, "白云街道 述责"),
        (4, "白沙镇 述责"),
    ]
    entry = AuditLog.objects.filter(action="agenda.generate").first()
    assert (entry.detail["replaced"], entry.detail["items"]) == (5, 4)


def test_agenda_generate_refuses_once_an_item_started(session, actor):
    generated(session, actor)
    agenda.item_start(item=item(session, 1), actor=actor)

    with pytest.raises(ValidationError) as refused:
        generated(session, actor)

    assert refused.value.messages == [
        "已有议程项目开始计时，不能重新生成议程（以免清除会议记录）。请逐项添加或修改。"
    ]
    assert [state for _o, _l, state in labels(session)] == [
        "running",
        "waiting",
        "waiting",
        "waiting",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"segments": ["other"]}, "请选择述职、述责、述廉中的至少一项。"),
        ({"limit_seconds": 5}, "限时须在 10 秒到 120 分钟之间。"),
        ({"limit_seconds": 7201}, "限时须在 10 秒到 120 分钟之间。"),
    ],
)
def test_agenda_generate_refuses_bad_input_and_changes_nothing(session, actor, kwargs, message):
    with pytest.raises(ValidationError) as refused:
        generated(session, actor, **kwargs)

    assert refused.value.messages == [message]
    assert AgendaItem.objects.filter(session=session).count() == 0


def test_agenda_generate_without_participants_says_what_to_do(actor):
    session = ReviewSessionFactory(status=Status.LIVE)

    with pytest.raises(ValidationError) as refused:
        generated(session, actor)

    assert refused.value.messages == ["还没有述职单位：请先在“单位”页确定参加的单位。"]


def test_agenda_generate_refused_after_rating_closed(actor):
    session = make_session(status=Status.CLOSED)

    with pytest.raises(ValidationError) as refused:
        generated(session, actor)

    assert refused.value.messages == ["评议已结束，议程不能再修改。"]


def test_agenda_generate_moves_the_screen_version_and_is_audited(session, actor):
    before = stage_for(session).version

    generated(session, actor)

    assert version(session) == before + 1
    entry = AuditLog.objects.get(action="agenda.generate")
    assert (entry.actor, entry.message) == (
        actor,
        "生成议程：4 个单位，每个单位 述职限时 05:00",
    )


# ---------------------------------------------------------------- add, edit, delete, move


def test_agenda_item_add_appends_a_free_item(session, actor):
    generated(session, actor)

    added = agenda.agenda_item_add(
        session=session, actor=actor, title="  观看重点项目视频 ", limit_seconds=600
    )

    assert (added.order, added.label, added.segment, added.limit_seconds) == (
        5,
        "观看重点项目视频",
        "other",
        600,
    )
    assert AuditLog.objects.filter(action="agenda.add").count() == 1


def test_agenda_item_add_needs_a_title(session, actor):
    with pytest.raises(ValidationError) as refused:
        agenda.agenda_item_add(session=session, actor=actor, title="  ", limit_seconds=60)

    assert refused.value.messages == ["请填写议程标题。"]
    assert AgendaItem.objects.count() == 0


def test_agenda_item_update_changes_title_and_limit(session, actor):
    generated(session, actor)

    agenda.agenda_item_update(
        item=item(session, 2), actor=actor, title="东风街道 工作汇报", limit_seconds=420
    )

    changed = item(session, 2)
    assert (changed.label, changed.limit_seconds) == ("东风街道 工作汇报", 420)
    entry = AuditLog.objects.get(action="agenda.update")
    assert entry.detail["before"] == {"title": "", "limit_seconds": 300}


def test_agenda_item_update_refuses_a_finished_item(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    agenda.item_finish(item=first, actor=actor)

    with pytest.raises(ValidationError) as refused:
        agenda.agenda_item_update(item=first, actor=actor, title="", limit_seconds=60)

    assert refused.value.messages == ["该项目已结束，不能再修改。"]
    assert item(session, 1).limit_seconds == 300


def test_agenda_item_update_of_a_free_item_keeps_a_title(session, actor):
    free = agenda.agenda_item_add(session=session, actor=actor, title="讲话", limit_seconds=60)

    with pytest.raises(ValidationError) as refused:
        agenda.agenda_item_update(item=free, actor=actor, title="", limit_seconds=60)

    assert refused.value.messages == ["请填写议程标题。"]


def test_agenda_item_delete_removes_a_waiting_item(session, actor):
    generated(session, actor)

    agenda.agenda_item_delete(item=item(session, 2), actor=actor)

    assert [o for o, _l, _s in labels(session)] == [1, 3, 4]
    assert AuditLog.objects.get(action="agenda.delete").message == "删除议程：东风街道 述职"


def test_agenda_item_delete_refuses_an_item_that_started(session, actor):
    generated(session, actor)
    started = agenda.item_start(item=item(session, 1), actor=actor)

    with pytest.raises(ValidationError) as refused:
        agenda.agenda_item_delete(item=started, actor=actor)

    assert refused.value.messages == ["只能删除尚未开始的议程项目。"]
    assert AgendaItem.objects.filter(session=session).count() == 4


def test_agenda_item_move_swaps_with_the_neighbour(session, actor):
    generated(session, actor)
    agenda.agenda_item_delete(item=item(session, 2), actor=actor)  # a gap: 1, 3, 4

    agenda.agenda_item_move(item=item(session, 3), actor=actor, up=True)
    agenda.agenda_item_move(item=item(session, 3), actor=actor, up=False)

    assert labels(session) == [
        (1, "白云街道 述职", "waiting"),
        (3, "白沙镇 述职", "waiting"),
        (4, "城关镇 述职", "waiting"),
    ]


@pytest.mark.parametrize(
    ("order", "up", "message"), [(1, True, "已经是第一项。"), (4, False, "已经是最后一项。")]
)
def test_agenda_item_move_at_either_end_is_refused(session, actor, order, up, message):
    generated(session, actor)

    with pytest.raises(ValidationError) as refused:
        agenda.agenda_item_move(item=item(session, order), actor=actor, up=up)

    assert refused.value.messages == [message]


# ---------------------------------------------------------------- the timer


def test_item_start_runs_the_item_and_puts_the_speaker_on_screen(session, actor):
    generated(session, actor)
    before = stage_for(session).version

    started = agenda.item_start(item=item(session, 1), actor=actor)

    stage = Stage.objects.get(session=session)
    assert (started.state, started.started_at is not None) == ("running", True)
    assert (stage.current_item_id, stage.mode, stage.version) == (started.pk, "speaker", before + 1)
    assert AuditLog.objects.get(action="agenda.start").message == "开始计时：城关镇 述职"


def test_item_start_pauses_the_item_that_was_running(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    in_the_past(first, 40)

    agenda.item_start(item=item(session, 3), actor=actor)

    first.refresh_from_db()
    assert (first.state, first.started_at, first.elapsed_seconds) == ("paused", None, 40)
    assert AgendaItem.objects.filter(session=session, state=State.RUNNING).count() == 1
    assert Stage.objects.get(session=session).current_item == item(session, 3)


def test_item_start_refuses_an_item_not_waiting(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    agenda.item_pause(item=first, actor=actor)

    with pytest.raises(ValidationError) as refused:
        agenda.item_start(item=first, actor=actor)

    assert refused.value.messages == ["该项目已暂停，请点“继续”。"]


def test_item_pause_keeps_the_time_spoken_and_stops_the_clock(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    in_the_past(first, 90)

    paused = agenda.item_pause(item=first, actor=actor)

    paused.refresh_from_db()
    assert (paused.state, paused.started_at, paused.elapsed_seconds) == ("paused", None, 90)
    # Paused, the clock stands still: the same remaining time an hour later.
    later = timezone.now() + datetime.timedelta(hours=1)
    assert paused.remaining_at(later) == 210


def test_item_resume_adds_to_the_time_already_spoken(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    in_the_past(first, 90)
    agenda.item_pause(item=first, actor=actor)

    resumed = agenda.item_resume(item=first, actor=actor)
    in_the_past(resumed, 30)
    agenda.item_pause(item=resumed, actor=actor)

    resumed.refresh_from_db()
    assert (resumed.state, resumed.elapsed_seconds) == ("paused", 120)


def test_item_resume_pauses_another_running_item(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    agenda.item_pause(item=first, actor=actor)
    second = agenda.item_start(item=item(session, 2), actor=actor)

    agenda.item_resume(item=first, actor=actor)

    second.refresh_from_db()
    assert (item(session, 1).state, second.state) == ("running", "paused")


def test_item_pause_and_resume_refuse_the_wrong_state(session, actor):
    generated(session, actor)
    waiting = item(session, 1)

    with pytest.raises(ValidationError) as not_running:
        agenda.item_pause(item=waiting, actor=actor)
    with pytest.raises(ValidationError) as not_paused:
        agenda.item_resume(item=waiting, actor=actor)

    assert (not_running.value.messages, not_paused.value.messages) == (
        ["该项目没有在计时，不能暂停。"],
        ["该项目没有暂停，不能继续。"],
    )


def test_item_extend_adds_to_the_limit(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    in_the_past(first, 100)

    agenda.item_extend(item=first, actor=actor, seconds=60)
    extended = agenda.item_extend(item=first, actor=actor, seconds=30)

    extended.refresh_from_db()
    assert (extended.extra_seconds, extended.limit_total) == (90, 390)
    assert round(extended.remaining_at(timezone.now())) == 290
    assert (
        AuditLog.objects.filter(action="agenda.extend").first().message == "延长 30 秒：城关镇 述职"
    )


def test_item_extend_is_bounded(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    AgendaItem.objects.filter(pk=first.pk).update(extra_seconds=agenda.MAX_EXTRA_SECONDS - 30)

    agenda.item_extend(item=first, actor=actor, seconds=30)
    with pytest.raises(ValidationError) as refused:
        agenda.item_extend(item=first, actor=actor, seconds=30)

    assert refused.value.messages == ["延长时间已达上限（每项最多延长 30 分钟）。"]
    assert item(session, 1).extra_seconds == agenda.MAX_EXTRA_SECONDS


@pytest.mark.parametrize("seconds", [0, 45, 120, -30])
def test_item_extend_takes_only_30_or_60_seconds(session, actor, seconds):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)

    with pytest.raises(ValidationError) as refused:
        agenda.item_extend(item=first, actor=actor, seconds=seconds)

    assert refused.value.messages == ["每次只能延长 30 秒或 1 分钟。"]
    assert item(session, 1).extra_seconds == 0


def test_item_finish_records_the_time_spoken(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    in_the_past(first, 320)

    finished = agenda.item_finish(item=first, actor=actor)

    finished.refresh_from_db()
    assert (finished.state, finished.started_at, finished.elapsed_seconds) == ("done", None, 320)
    assert finished.finished_at is not None
    # Over time by 20 s, for good: the clock no longer runs.
    assert finished.remaining_at(timezone.now() + datetime.timedelta(minutes=5)) == -20
    # It stays on screen with its final time until the next one starts.
    assert Stage.objects.get(session=session).current_item == finished


@pytest.mark.parametrize(
    ("prepare", "message"), [("waiting", "该项目尚未开始。"), ("done", "该项目已结束。")]
)
def test_item_finish_refuses_an_item_not_on(session, actor, prepare, message):
    generated(session, actor)
    target = item(session, 1)
    if prepare == "done":
        agenda.item_finish(item=agenda.item_start(item=target, actor=actor), actor=actor)

    with pytest.raises(ValidationError) as refused:
        agenda.item_finish(item=target, actor=actor)

    assert refused.value.messages == [message]


def test_agenda_next_finishes_the_current_item_and_starts_the_next(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    in_the_past(first, 200)

    started = agenda.agenda_next(session=session, actor=actor)

    first.refresh_from_db()
    assert (first.state, first.elapsed_seconds) == ("done", 200)
    assert (started.order, started.state) == (2, "running")
    stage = Stage.objects.get(session=session)
    assert (stage.current_item, stage.mode) == (started, "speaker")
    assert AuditLog.objects.get(action="agenda.next").message == (
        "下一位：东风街道 述职（结束 城关镇 述职）"
    )


def test_agenda_next_without_a_current_item_starts_the_first(session, actor):
    generated(session, actor)

    started = agenda.agenda_next(session=session, actor=actor)

    assert started == item(session, 1)


def test_agenda_next_comes_back_to_an_item_skipped_earlier(session, actor):
    generated(session, actor)
    agenda.item_start(item=item(session, 4), actor=actor)

    started = agenda.agenda_next(session=session, actor=actor)

    assert started.order == 1


def test_agenda_next_finishes_a_paused_item(session, actor):
    generated(session, actor)
    first = agenda.item_start(item=item(session, 1), actor=actor)
    agenda.item_pause(item=first, actor=actor)

    agenda.agenda_next(session=session, actor=actor)

    assert [state for _o, _l, state in labels(session)] == ["done", "running", "waiting", "waiting"]


def test_agenda_next_after_the_last_item_finishes_it(session, actor):
    agenda.agenda_item_add(session=session, actor=actor, title="总结讲话", limit_seconds=60)
    agenda.agenda_next(session=session, actor=actor)

    started = agenda.agenda_next(session=session, actor=actor)

    assert (started, item(session, 1).state) == (None, "done")
    with pytest.raises(ValidationError) as refused:
        agenda.agenda_next(session=session, actor=actor)
    assert refused.value.messages == ["议程中没有未开始的项目。"]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.DRAFT, "会议尚未开始：请先在概览页将评议会状态改为“会议进行中”。"),
        (Status.READY, "会议尚未开始：请先在概览页将评议会状态改为“会议进行中”。"),
        (Status.CLOSED, "评议已结束，计时器不能再使用。"),
        (Status.PUBLISHED, "评议已结束，计时器不能再使用。"),
    ],
)
def test_timer_runs_only_while_live_or_rating(actor, status, message):
    session = make_session(status=Status.READY)
    generated(session, actor)
    ReviewSession.objects.filter(pk=session.pk).update(status=status)

    with pytest.raises(ValidationError) as start:
        agenda.item_start(item=item(session, 1), actor=actor)
    with pytest.raises(ValidationError) as following:
        agenda.agenda_next(session=session, actor=actor)

    assert start.value.messages == following.value.messages == [message]
    assert AgendaItem.objects.filter(session=session, state=State.WAITING).count() == 4


def test_timer_runs_while_rating(actor):
    session = make_session(status=Status.RATING)
    generated(session, actor)

    assert agenda.item_start(item=item(session, 1), actor=actor).state == "running"


# ---------------------------------------------------------------- the screen's mode


def publish(session):
    return ResultSnapshot.objects.create(
        session=session,
        number=1,
        scheme={},
        inputs_hash="0" * 64,
        engine_version="test",
        result={"categories": [], "ballots_used": 0, "ballots_void": 0},
    )


def test_screen_mode_set_switches_the_screen(session, actor):
    before = stage_for(session).version

    stage = agenda.screen_mode_set(session=session, actor=actor, mode="participation")

    assert (stage.mode, stage.version) == ("participation", before + 1)
    assert AuditLog.objects.get(action="screen.mode").message == "大屏切换为：评议进度"


def test_screen_mode_set_keeps_a_colour_for_projects_only(session, actor):
    projects = agenda.screen_mode_set(
        session=session, actor=actor, mode="projects", project_colour="red"
    )
    welcome = agenda.screen_mode_set(
        session=session, actor=actor, mode="welcome", project_colour="red"
    )

    assert (projects.project_colour, welcome.project_colour) == ("red", "")
    assert AuditLog.objects.filter(action="screen.mode").first().message == "大屏切换为：会标"
    assert AuditLog.objects.filter(action="screen.mode").last().message == (
        "大屏切换为：重点项目（红）"
    )


def test_screen_mode_set_shows_the_ranking_only_once_published(session, actor):
    with pytest.raises(ValidationError) as refused:
        agenda.screen_mode_set(session=session, actor=actor, mode="ranking")
    publish(session)
    stage = agenda.screen_mode_set(session=session, actor=actor, mode="ranking")

    assert refused.value.messages == ["评议结果尚未发布，大屏不能显示评议结果。"]
    assert stage.mode == "ranking"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "cinema"}, "未知的大屏显示内容。"),
        ({"mode": "projects", "project_colour": "pink"}, "未知的项目颜色。"),
    ],
)
def test_screen_mode_set_refuses_unknown_values(session, actor, kwargs, message):
    with pytest.raises(ValidationError) as refused:
        agenda.screen_mode_set(session=session, actor=actor, **kwargs)

    assert refused.value.messages == [message]
    assert stage_for(session).mode == "welcome"


@pytest.mark.parametrize("status", [Status.LIVE, Status.RATING, Status.CLOSED, Status.PUBLISHED])
def test_screen_mode_set_allowed_from_live_on(actor, status):
    session = make_session(status=status)

    assert agenda.screen_mode_set(session=session, actor=actor, mode="speaker").mode == "speaker"


@pytest.mark.parametrize("status", [Status.DRAFT, Status.READY])
def test_screen_mode_set_refused_before_the_meeting(actor, status):
    session = make_session(status=status)

    with pytest.raises(ValidationError) as refused:
        agenda.screen_mode_set(session=session, actor=actor, mode="speaker")

    assert refused.value.messages == ["会议尚未开始：请先在概览页将评议会状态改为“会议进行中”。"]


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "00:00"), (59, "00:59"), (300, "05:00"), (4500, "75:00")]
)
def test_mm_ss_formats_durations(seconds, text):
    assert agenda.mm_ss(seconds) == text


def test_screen_token_renew_retires_the_old_link_and_is_audited(session, actor, client):
    old = stage_for(session).screen_token
    before = stage_for(session).version

    stage = agenda.screen_token_renew(session=session, actor=actor)

    assert stage.screen_token != old
    assert len(stage.screen_token) >= 20
    assert stage.version == before + 1
    assert client.get(f"/screen/{old}/state/").status_code == 404
    assert client.get(f"/screen/{stage.screen_token}/state/").status_code == 200
    entry = AuditLog.objects.filter(session=session).first()
    assert (entry.action, entry.message) == ("screen.token_renew", "更换了大屏链接，旧链接已失效")
