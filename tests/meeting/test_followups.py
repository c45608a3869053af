"""meeting/followups.py and meeting/followup_selectors.py: 督办事项."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.colours import Colour
from meeting import followup_selectors as selectors
from meeting import followups
from meeting.models import FollowUp, FollowUpUpdate, Question
from sessions.models import AuditLog, ReviewSession
from tests.factories import ReviewSessionFactory, UnitFactory, UserFactory
from tests.factories.followups import FollowUpFactory, QuestionFactory

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
PDF = b"%PDF-1.4 evidence"
PNG = b"\x89PNG\r\n\x1a\n rest"


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def mod():
    return User.objects.filter(username="mod").first() or UserFactory(username="mod")


def from_question(question, **changes):
    fields = {
        "question": question,
        "actor": mod(),
        "title": "年底前完成背街小巷改造",
        "detail": "",
        "due_date": in_days(60),
        "colour": Colour.BLUE,
        **changes,
    }
    return followups.follow_up_from_question(**fields)


def from_leader(session, **changes):
    fields = {
        "session": session,
        "actor": mod(),
        "unit": UnitFactory(session=session, name="住建局"),
        "asked_by": "县委书记",
        "leading_group": "城市更新领导小组",
        "title": "三个月内拿出老旧小区加装电梯方案",
        "detail": "",
        "due_date": in_days(90),
        "colour": Colour.GREEN,
        **changes,
    }
    return followups.follow_up_from_leader(**fields)


def update(follow_up, **changes):
    fields = {
        "follow_up": follow_up,
        "actor": UserFactory(),
        "text": "已完成 5 条",
        "link": "",
        "file": None,
        "colour": "",
        "marks_done": False,
        **changes,
    }
    return followups.follow_up_update(**fields)


def refusal(call, *args, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        call(*args, **kwargs)
    return exc.value.messages


# ---------------------------------------------------------------- from a question


def test_follow_up_from_question_takes_the_questioned_unit_and_is_audited():
    question = QuestionFactory(unit__name="城关镇")

    follow_up = from_question(question, detail="  分两批完成  ")

    follow_up.refresh_from_db()
    assert (
        follow_up.session,
        follow_up.unit,
        follow_up.source,
        follow_up.question,
        follow_up.title,
        follow_up.detail,
        follow_up.due_date,
        follow_up.colour,
        follow_up.created_by.username,
        follow_up.done_at,
    ) == (
        question.session,
        question.unit,
        FollowUp.Source.QUESTION,
        question,
        "年底前完成背街小巷改造",
        "分两批完成",
        in_days(60),
        Colour.BLUE,
        "mod",
        None,
    )
    log = AuditLog.objects.get(action="follow_up.create")
    assert (log.session, log.actor_label, log.message) == (
        question.session,
        "mod",
        f"登记督办事项“年底前完成背街小巷改造”（责任单位：城关镇，完成时限 {in_days(60).isoformat()}）",
    )


@pytest.mark.parametrize(
    "status",
    [Question.Status.SUBMITTED, Question.Status.APPROVED],
)
def test_follow_up_from_question_refuses_a_question_not_answered(status):
    question = QuestionFactory(status=status, answered_at=None)

    assert refusal(from_question, question) == ["只有已答复的问题才能转为督办事项。"]
    assert FollowUp.objects.count() == 0
    assert AuditLog.objects.filter(action="follow_up.create").count() == 0


def test_follow_up_from_question_refuses_a_rejected_question():
    question = QuestionFactory(status=Question.Status.REJECTED, reject_reason="重复")

    assert refusal(from_question, question) == ["只有已答复的问题才能转为督办事项。"]


def test_follow_up_from_question_happens_only_once():
    question = QuestionFactory()
    first = from_question(question)

    assert refusal(from_question, question, title="另一个标题") == ["该问题已转为督办事项。"]
    assert list(FollowUp.objects.values_list("pk", "title")) == [
        (first.pk, "年底前完成背街小巷改造")
    ]


def test_follow_up_from_question_refuses_a_draft_session():
    question = QuestionFactory(session__status=Status.DRAFT)

    assert refusal(from_question, question) == ["评议会还是草稿：就绪后才能登记督办事项。"]


@pytest.mark.parametrize(
    "status", [Status.READY, Status.LIVE, Status.RATING, Status.CLOSED, Status.PUBLISHED]
)
def test_follow_ups_are_tracked_in_every_status_after_draft(status):
    question = QuestionFactory(session__status=status)

    follow_up = from_question(question)
    update(follow_up, colour=Colour.YELLOW)

    assert FollowUp.objects.get().colour == Colour.YELLOW


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "   "}, "请填写事项。"),
        ({"title": "长" * 201}, "事项最多 200 个字，现在是 201 个。"),
        ({"due_date": None}, "请填写完成时限。"),
        ({"colour": "purple"}, "请选择状态颜色：绿、蓝、黄或红。"),
    ],
)
def test_follow_up_from_question_refuses_bad_input(changes, message):
    question = QuestionFactory()

    assert refusal(from_question, question, **changes) == [message]
    assert FollowUp.objects.count() == 0


def test_follow_up_due_date_cannot_be_in_the_past():
    question = QuestionFactory()

    assert refusal(from_question, question, due_date=in_days(-1)) == ["完成时限不能早于今天。"]
    assert from_question(question, due_date=in_days(0)).due_date == in_days(0)


# ---------------------------------------------------------------- from a leader


def test_follow_up_from_leader_records_who_asked_and_the_group():
    session = ReviewSessionFactory(status=Status.LIVE)

    follow_up = from_leader(session, leading_group="  ")

    follow_up.refresh_from_db()
    assert (
        follow_up.unit.name,
        follow_up.source,
        follow_up.question,
        follow_up.asked_by,
        follow_up.leading_group,
        follow_up.colour,
    ) == ("住建局", FollowUp.Source.LEADER, None, "县委书记", "", Colour.GREEN)


def test_follow_up_from_leader_refuses_a_unit_of_another_session():
    session = ReviewSessionFactory(status=Status.LIVE)
    stranger = UnitFactory(session=ReviewSessionFactory(status=Status.LIVE))

    assert refusal(from_leader, session, unit=stranger) == ["这个单位不属于本评议会。"]
    assert FollowUp.objects.count() == 0


def test_follow_up_from_leader_needs_the_leader():
    session = ReviewSessionFactory(status=Status.LIVE)

    assert refusal(from_leader, session, asked_by="") == ["请填写提问领导。"]


def test_follow_up_from_leader_refuses_a_draft_session():
    session = ReviewSessionFactory(status=Status.DRAFT)

    assert refusal(from_leader, session) == ["评议会还是草稿：就绪后才能登记督办事项。"]


# ---------------------------------------------------------------- colour and overdue


def test_follow_up_past_its_due_date_and_not_done_is_red():
    follow_up = FollowUpFactory(colour=Colour.GREEN, due_date=in_days(-1))

    assert (follow_up.is_overdue, follow_up.effective_colour) == (True, Colour.RED)


def test_follow_up_due_today_is_not_overdue():
    follow_up = FollowUpFactory(colour=Colour.BLUE, due_date=in_days(0))

    assert (follow_up.is_overdue, follow_up.effective_colour) == (False, Colour.BLUE)


def test_done_follow_up_past_its_due_date_keeps_its_colour():
    follow_up = FollowUpFactory(colour=Colour.GREEN, due_date=in_days(-5), done_at=timezone.now())

    assert (follow_up.is_overdue, follow_up.effective_colour) == (False, Colour.GREEN)


def test_colour_counts_count_overdue_items_as_red(django_assert_num_queries):
    session = ReviewSessionFactory(status=Status.LIVE)
    FollowUpFactory(session=session, colour=Colour.GREEN)
    FollowUpFactory(session=session, colour=Colour.GREEN, due_date=in_days(-1))
    FollowUpFactory(session=session, colour=Colour.BLUE)
    FollowUpFactory(session=session, colour=Colour.YELLOW, due_date=in_days(-3))
    FollowUpFactory(session=session, colour=Colour.RED)
    FollowUpFactory(
        session=session, colour=Colour.BLUE, due_date=in_days(-3), done_at=timezone.now()
    )
    FollowUpFactory(colour=Colour.RED)  # another session's

    with django_assert_num_queries(1):
        counts = selectors.colour_counts(session)

    assert (counts.total, counts.done, counts.overdue, counts.by_colour) == (
        6,
        1,
        2,
        [("green", "绿", 1), ("blue", "蓝", 2), ("yellow", "黄", 0), ("red", "红", 3)],
    )


def test_follow_up_rows_filter_by_effective_colour_overdue_done_and_unit(django_assert_num_queries):
    session = ReviewSessionFactory(status=Status.LIVE)
    town = UnitFactory(session=session, name="城关镇")
    green = FollowUpFactory(session=session, unit=town, title="绿", due_date=in_days(10))
    late = FollowUpFactory(session=session, title="逾期", due_date=in_days(-1))
    red = FollowUpFactory(session=session, unit=town, title="红", colour=Colour.RED)
    done = FollowUpFactory(
        session=session, title="办结", due_date=in_days(-2), done_at=timezone.now()
    )

    def titles(**filters):
        return [row.follow_up.title for row in selectors.follow_up_rows(session, **filters)]

    with django_assert_num_queries(1):
        everything = titles()
    assert everything == ["办结", "逾期", "绿", "红"]
    assert titles(colour=Colour.RED) == ["逾期", "红"]
    assert titles(colour=Colour.GREEN) == ["办结", "绿"]
    assert titles(overdue=True) == ["逾期"]
    assert titles(done=selectors.DONE_DONE) == ["办结"]
    assert titles(done=selectors.DONE_OPEN) == ["逾期", "绿", "红"]
    assert titles(unit=town) == ["绿", "红"]
    assert titles(unit=town, colour=Colour.RED) == ["红"]
    rows = {row.follow_up.pk: row for row in selectors.follow_up_rows(session)}
    assert [
        (rows[f.pk].colour, rows[f.pk].colour_label, rows[f.pk].overdue)
        for f in (green, late, red, done)
    ] == [
        ("green", "绿", False),
        ("red", "红", True),
        ("red", "红", False),
        ("green", "绿", False),
    ]


def test_follow_up_rows_show_the_latest_update():
    follow_up = FollowUpFactory()
    update(follow_up, text="第一次")
    update(follow_up, text="第二次")

    [row] = selectors.follow_up_rows(follow_up.session)

    assert (row.last_update_text, row.last_update_at) == (
        "第二次",
        FollowUpUpdate.objects.get(text="第二次").created_at,
    )


# ---------------------------------------------------------------- updates


def test_update_with_a_colour_change_is_recorded_on_the_update_row():
    follow_up = FollowUpFactory(colour=Colour.GREEN)

    first = update(follow_up, text="进度滞后", colour=Colour.YELLOW)
    second = update(follow_up, text="仍然滞后", colour=Colour.YELLOW)
    third = update(follow_up, text="说明情况")

    follow_up.refresh_from_db()
    assert follow_up.colour == Colour.YELLOW
    assert [(u.text, u.colour) for u in (first, second, third)] == [
        ("进度滞后", Colour.YELLOW),
        ("仍然滞后", ""),  # the same colour again is no change
        ("说明情况", ""),
    ]
    logs = AuditLog.objects.filter(action="follow_up.update").order_by("id")
    assert [(log.message, log.detail["colour"]) for log in logs] == [
        (f"登记督办事项“{follow_up.title}”的进展", "yellow"),
        (f"登记督办事项“{follow_up.title}”的进展", ""),
        (f"登记督办事项“{follow_up.title}”的进展", ""),
    ]


def test_update_needs_text():
    follow_up = FollowUpFactory()

    assert refusal(update, follow_up, text=" \n ") == ["请填写进展情况。"]
    assert FollowUpUpdate.objects.count() == 0


def test_update_refuses_an_unknown_colour():
    follow_up = FollowUpFactory()

    assert refusal(update, follow_up, colour="orange") == ["请选择状态颜色：绿、蓝、黄或红。"]


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://example.com/a.pdf",
        "//example.com/a",
        "example.com/report",
    ],
)
def test_update_refuses_a_link_that_is_not_http(link):
    follow_up = FollowUpFactory()

    assert refusal(update, follow_up, link=link) == [
        "链接必须是以 http:// 或 https:// 开头的网址。"
    ]
    assert FollowUpUpdate.objects.count() == 0


def test_update_keeps_an_https_link():
    follow_up = FollowUpFactory()

    saved = update(follow_up, link="  https://www.huiji.gov.cn/news/1.html ")

    assert saved.link == "https://www.huiji.gov.cn/news/1.html"


def test_update_stores_an_evidence_file_under_a_random_name(media):
    follow_up = FollowUpFactory()

    saved = update(follow_up, file=SimpleUploadedFile("验收报告.PDF", PDF))

    saved.refresh_from_db()
    prefix = f"followups/{follow_up.session_id}/"
    assert saved.original_name == "验收报告.PDF"
    assert saved.file.name.startswith(prefix)
    assert saved.file.name.endswith(".pdf")
    assert len(saved.file.name) == len(prefix) + 32 + len(".pdf")
    assert stored_files(media) == [saved.file.name]
    assert (media / saved.file.name).read_bytes() == PDF
    assert followups.evidence_content_type(saved) == "application/pdf"


def test_update_refuses_a_file_too_big_and_stores_nothing(media, monkeypatch):
    follow_up = FollowUpFactory()
    big = SimpleUploadedFile("照片.png", PNG + b"0" * (followups.FOLLOW_UP_FILE_MAX_BYTES - 7))

    assert refusal(update, follow_up, file=big) == [
        "附件“照片.png”大小为 10.0 MB，超过上限 10 MB。"
    ]
    assert FollowUpUpdate.objects.count() == 0
    assert stored_files(media) == []
    assert AuditLog.objects.filter(action="follow_up.update").count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "run.exe",
            b"MZ\x90\x00",
            "不支持的附件类型“exe”；可上传：doc, docx, jpeg, jpg, pdf, png, pptx, xlsx。",
        ),
        (
            "page.html",
            b"<script>",
            "不支持的附件类型“html”；可上传：doc, docx, jpeg, jpg, pdf, png, pptx, xlsx。",
        ),
        (
            "noextension",
            PDF,
            "不支持的附件类型“?”；可上传：doc, docx, jpeg, jpg, pdf, png, pptx, xlsx。",
        ),
        ("fake.pdf", b"<html>", "附件“fake.pdf”的内容与扩展名 .pdf 不符，可能已损坏或被改名。"),
    ],
)
def test_update_refuses_a_file_of_the_wrong_type_and_stores_nothing(media, name, content, message):
    follow_up = FollowUpFactory()

    assert refusal(update, follow_up, file=SimpleUploadedFile(name, content)) == [message]
    assert FollowUpUpdate.objects.count() == 0
    assert stored_files(media) == []


def test_marking_done_closes_the_item_and_refuses_further_progress():
    follow_up = FollowUpFactory(due_date=in_days(3))

    update(follow_up, text="全部完成", marks_done=True, colour=Colour.GREEN)

    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    assert refusal(update, follow_up, text="再补充一点") == [
        "该事项已办结，不能再登记进展；如需继续督办，请选择“重新打开”并写明原因。"
    ]
    assert FollowUpUpdate.objects.count() == 1
    assert AuditLog.objects.get(action="follow_up.update").message == (
        f"督办事项“{follow_up.title}”办结"
    )


def test_a_done_item_can_be_reopened_with_a_reason():
    follow_up = FollowUpFactory()
    update(follow_up, text="完成", marks_done=True)

    update(follow_up, text="群众反映仍未整改到位", reopen=True, colour=Colour.YELLOW)
    update(follow_up, text="继续整改")

    follow_up.refresh_from_db()
    assert (follow_up.done_at, follow_up.colour) == (None, Colour.YELLOW)
    entries = selectors.history(follow_up)
    assert [(e.update.text, e.update.marks_done, e.reopens, e.colour_label) for e in entries] == [
        ("完成", True, False, ""),
        ("群众反映仍未整改到位", False, True, "黄"),
        ("继续整改", False, False, ""),
    ]
    assert AuditLog.objects.get(action="follow_up.reopen").message == (
        f"重新打开督办事项“{follow_up.title}”"
    )


def test_reopening_an_open_item_is_refused():
    follow_up = FollowUpFactory()

    assert refusal(update, follow_up, reopen=True) == ["该事项尚未办结，无需重新打开。"]


def test_marking_done_and_reopening_at_once_is_refused():
    follow_up = FollowUpFactory(done_at=timezone.now())

    assert refusal(update, follow_up, reopen=True, marks_done=True) == [
        "不能同时标记办结和重新打开。"
    ]


def test_update_refuses_a_draft_session():
    follow_up = FollowUpFactory(session__status=Status.DRAFT)

    assert refusal(update, follow_up) == ["评议会还是草稿：就绪后才能登记督办事项。"]


# ---------------------------------------------------------------- report cards


def test_follow_ups_by_unit_groups_a_whole_session_in_one_query(django_assert_num_queries):
    session = ReviewSessionFactory(status=Status.LIVE)
    town, dept = UnitFactory(session=session), UnitFactory(session=session)
    FollowUpFactory(session=session, unit=town, title="B", due_date=in_days(9))
    FollowUpFactory(session=session, unit=town, title="A", due_date=in_days(-1))
    FollowUpFactory(session=session, unit=dept, title="C", done_at=timezone.now())
    FollowUpFactory(title="another session")

    with django_assert_num_queries(1):
        cards = selectors.follow_ups_by_unit(session)

    assert {
        unit: [(c.title, c.colour, c.colour_label, c.overdue, c.done) for c in items]
        for unit, items in cards.items()
    } == {
        town.pk: [("A", "red", "红", True, False), ("B", "green", "绿", False, False)],
        dept.pk: [("C", "green", "绿", False, True)],
    }


# ---------------------------------------------------------------- correcting an entry


def test_follow_up_edit_corrects_a_leaders_item_and_keeps_the_old_values_in_the_audit():
    item = FollowUpFactory(title="背街小巷改造", asked_by="县长")
    new_unit = UnitFactory(session=item.session, name="东风街道")
    later = timezone.localdate() + datetime.timedelta(days=60)

    followups.follow_up_edit(
        follow_up=item,
        actor=None,
        title="背街小巷改造（12 条）",
        detail="",
        due_date=later,
        unit=new_unit,
        asked_by="县委书记",
        leading_group="城市更新领导小组",
    )

    item.refresh_from_db()
    assert (item.title, item.due_date, item.unit, item.asked_by) == (
        "背街小巷改造（12 条）",
        later,
        new_unit,
        "县委书记",
    )
    entry = AuditLog.objects.filter(action="follow_up.edit").get()
    assert (
        entry.message == "修改督办事项“背街小巷改造（12 条）”：事项、完成时限、责任单位、提问领导"
    )
    assert entry.detail["before"]["title"] == "背街小巷改造"
    assert entry.detail["before"]["asked_by"] == "县长"


def test_follow_up_edit_keeps_an_overdue_due_date_but_refuses_a_new_one_in_the_past():
    overdue = timezone.localdate() - datetime.timedelta(days=3)
    item = FollowUpFactory(due_date=overdue, title="旧标题")

    followups.follow_up_edit(
        follow_up=item, actor=None, title="新标题", detail="", due_date=overdue
    )
    with pytest.raises(ValidationError, match="完成时限不能早于今天。"):
        followups.follow_up_edit(
            follow_up=item,
            actor=None,
            title="再改",
            detail="",
            due_date=overdue - datetime.timedelta(days=1),
        )

    item.refresh_from_db()
    assert (item.title, item.due_date) == ("新标题", overdue)


def test_follow_up_edit_keeps_the_questioned_unit():
    question = QuestionFactory()
    item = followups.follow_up_from_question(
        question=question,
        actor=None,
        title="事项",
        detail="",
        due_date=timezone.localdate() + datetime.timedelta(days=10),
        colour=Colour.GREEN,
    )
    other = UnitFactory(session=question.session)

    with pytest.raises(ValidationError, match="责任单位就是被问单位"):
        followups.follow_up_edit(
            follow_up=item, actor=None, title="事项", detail="", due_date=item.due_date, unit=other
        )

    item.refresh_from_db()
    assert item.unit == question.unit


def test_follow_up_edit_refuses_a_unit_of_another_session_and_writes_nothing_unchanged():
    item = FollowUpFactory()
    stranger = UnitFactory()

    with pytest.raises(ValidationError, match="这个单位不属于本评议会。"):
        followups.follow_up_edit(
            follow_up=item,
            actor=None,
            title=item.title,
            detail="",
            due_date=item.due_date,
            unit=stranger,
        )
    followups.follow_up_edit(
        follow_up=item, actor=None, title=item.title, detail="", due_date=item.due_date
    )

    assert AuditLog.objects.filter(action="follow_up.edit").count() == 0
