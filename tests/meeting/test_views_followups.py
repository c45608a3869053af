"""meeting/views/followups.py: the 督办事项 pages."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.colours import Colour
from meeting import followups
from meeting.models import FollowUp, FollowUpUpdate, Question
from sessions.models import ReviewSession
from tests.factories import ReviewSessionFactory, UnitFactory, UserFactory
from tests.factories.followups import FollowUpFactory, QuestionFactory

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
SLUG = "2026-mid"
PDF = b"%PDF-1.4 evidence"


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def url(name: str, *args) -> str:
    return reverse(f"meeting:{name}", args=[SLUG, *args])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def table(html: str, selector: str) -> list[list[str]]:
    match = re.search(rf"<table[^>]*{selector}[^>]*>(.*?)</table>", html, flags=re.S)
    assert match, selector
    body = match.group(1).split("<tbody>")[1].split("</tbody>")[0]
    return [
        [text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    ]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def session():
    return ReviewSessionFactory(slug=SLUG, title="2026年年中述职讲评会", status=Status.LIVE)


@pytest.fixture
def town(session):
    return UnitFactory(session=session, name="城关镇")


@pytest.fixture
def item(session, town):
    return FollowUpFactory(
        session=session, unit=town, title="背街小巷改造", colour=Colour.BLUE, due_date=in_days(20)
    )


@pytest.fixture
def evidence(item):
    return followups.follow_up_update(
        follow_up=item,
        actor=UserFactory(username="clerk"),
        text="完成 5 条",
        file=SimpleUploadedFile("验收报告.pdf", PDF),
    )


@pytest.fixture
def other_session():
    return ReviewSessionFactory(slug="2026-other", status=Status.LIVE)


def all_urls(item, town, evidence):
    return [
        url("follow_ups"),
        url("follow_ups_unit", town.pk),
        url("follow_up_create"),
        url("follow_up_detail", item.pk),
        url("follow_up_file", evidence.pk),
    ]


# ---------------------------------------------------------------- urls and access


def test_follow_up_urls_are_under_the_session():
    assert [
        url("follow_ups"),
        url("follow_ups_unit", 3),
        url("follow_up_create"),
        url("follow_up_create") + "?question=5",
        url("follow_up_detail", 7),
        url("follow_up_file", 9),
    ] == [
        f"/sessions/{SLUG}/follow-ups/",
        f"/sessions/{SLUG}/follow-ups/units/3/",
        f"/sessions/{SLUG}/follow-ups/new/",
        f"/sessions/{SLUG}/follow-ups/new/?question=5",
        f"/sessions/{SLUG}/follow-ups/7/",
        f"/sessions/{SLUG}/follow-ups/updates/9/file/",
    ]


def test_follow_up_pages_send_anonymous_users_to_login(client, item, town, evidence):
    targets = all_urls(item, town, evidence)

    responses = [client.get(target) for target in targets]

    assert [(r.status_code, r["Location"]) for r in responses] == [
        (302, f"/login/?next={target}") for target in targets
    ]


def test_follow_up_pages_are_forbidden_to_users_without_a_role(client, item, town, evidence):
    client.force_login(UserFactory())

    statuses = [client.get(target).status_code for target in all_urls(item, town, evidence)]

    assert statuses == [403] * 5


def test_observer_reads_everything_but_changes_nothing(observer_client, item, town, evidence):
    reads = [observer_client.get(target).status_code for target in all_urls(item, town, evidence)]
    update = observer_client.post(url("follow_up_detail", item.pk), {"text": "试图修改"})
    create = observer_client.post(url("follow_up_create"), {"title": "x"})

    assert reads == [200, 200, 403, 200, 200]
    assert (update.status_code, create.status_code) == (403, 403)
    assert FollowUpUpdate.objects.count() == 1
    detail = observer_client.get(url("follow_up_detail", item.pk)).content.decode()
    assert 'id="follow-up-update"' not in detail
    overview = observer_client.get(url("follow_ups")).content.decode()
    assert url("follow_up_create") not in overview


def test_moderator_creates_but_does_not_record_progress(moderator_client, item):
    page = moderator_client.get(url("follow_up_create"))
    update = moderator_client.post(url("follow_up_detail", item.pk), {"text": "进展"})

    assert (page.status_code, update.status_code) == (200, 403)
    assert url("follow_up_create") in moderator_client.get(url("follow_ups")).content.decode()


def test_unknown_session_is_404(organiser_client):
    response = organiser_client.get("/sessions/no-such/follow-ups/")

    assert response.status_code == 404


# ---------------------------------------------------------------- overview


def test_overview_shows_tiles_and_the_table(organiser_client, session, town, item):
    dept = UnitFactory(session=session, name="住建局")
    FollowUpFactory(
        session=session,
        unit=dept,
        title="加装电梯方案",
        source=FollowUp.Source.LEADER,
        asked_by="县委书记",
        leading_group="城市更新领导小组",
        colour=Colour.GREEN,
        due_date=in_days(-2),
    )
    followups.follow_up_update(follow_up=item, actor=UserFactory(), text="已完成 5 条，共 12 条")

    response = organiser_client.get(url("follow_ups"))

    html = response.content.decode()
    assert response.status_code == 200
    tiles = re.search(r'id="follow-up-tiles">(.*?)</div>\s*<p', html, re.S).group(1)
    assert text(tiles) == "绿 0 蓝 1 黄 0 红 1 逾期 1 已办结 0 共 2 项"
    today = timezone.localdate().strftime("%Y-%m-%d")
    assert table(html, 'id="follow-up-table"') == [
        [
            "住建局",
            "加装电梯方案",
            "领导现场提问 县委书记 · 城市更新领导小组",
            f"{in_days(-2):%Y-%m-%d} 已逾期",
            "红",
            "暂无",
        ],
        [
            "城关镇",
            "背街小巷改造",
            "领导现场提问 县委书记 · 城市更新领导小组",
            f"{in_days(20):%Y-%m-%d}",
            "蓝",
            f"{today} 已完成 5 条，共 12 条",
        ],
    ]
    assert '<tr class="overdue">' in html
    assert 'href="/static/css/follow_ups.css"' in html


def test_overview_filters_with_htmx_answer_the_list_only(organiser_client, session, town, item):
    FollowUpFactory(session=session, title="逾期事项", colour=Colour.GREEN, due_date=in_days(-1))

    response = organiser_client.get(url("follow_ups"), {"colour": "red"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="follow-up-list"')
    assert "<html" not in html
    assert [row[1] for row in table(html, 'id="follow-up-table"')] == ["逾期事项"]


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({}, ["逾期事项", "办结事项", "背街小巷改造"]),
        ({"overdue": "on"}, ["逾期事项"]),
        ({"done": "done"}, ["办结事项"]),
        ({"done": "open"}, ["逾期事项", "背街小巷改造"]),
        ({"colour": "blue"}, ["背街小巷改造"]),
        ({"colour": "green", "done": "open"}, []),
    ],
)
def test_overview_filters(organiser_client, session, town, item, params, titles):
    FollowUpFactory(session=session, title="逾期事项", colour=Colour.GREEN, due_date=in_days(-1))
    FollowUpFactory(session=session, title="办结事项", due_date=in_days(1), done_at=timezone.now())

    response = organiser_client.get(url("follow_ups"), params)

    rows = table(response.content.decode(), 'id="follow-up-table"')
    assert response.status_code == 200
    assert [row[1] for row in rows if len(row) > 1] == titles


def test_overview_filter_by_unit(organiser_client, session, town, item):
    FollowUpFactory(session=session, title="别的单位")

    response = organiser_client.get(url("follow_ups"), {"unit": town.pk})

    assert [row[1] for row in table(response.content.decode(), 'id="follow-up-table"')] == [
        "背街小巷改造"
    ]


@pytest.mark.parametrize("params", [{"colour": "purple"}, {"done": "maybe"}, {"unit": "abc"}])
def test_overview_refuses_a_bad_filter(organiser_client, item, params):
    response = organiser_client.get(url("follow_ups"), params)

    html = response.content.decode()
    assert response.status_code == 400
    assert "筛选条件有误" in html
    assert "背街小巷改造" not in html


def test_overview_refuses_a_unit_of_another_session_as_filter(
    organiser_client, item, other_session
):
    stranger = UnitFactory(session=other_session)

    response = organiser_client.get(url("follow_ups"), {"unit": stranger.pk})

    assert response.status_code == 400


def test_overview_queries_do_not_grow_with_items(
    organiser_client, session, django_assert_max_num_queries
):
    for n in range(12):
        follow_up = FollowUpFactory(session=session, title=f"事项{n}")
        followups.follow_up_update(follow_up=follow_up, actor=None, text=f"进展{n}")

    with django_assert_max_num_queries(9):  # with the user's roles in the districts
        response = organiser_client.get(url("follow_ups"))

    assert len(table(response.content.decode(), 'id="follow-up-table"')) == 12


def test_overview_escapes_html_in_titles(organiser_client, session):
    FollowUpFactory(session=session, title="<script>alert(1)</script>")

    html = organiser_client.get(url("follow_ups")).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ---------------------------------------------------------------- unit list


def test_unit_list_shows_only_that_units_items(organiser_client, session, town, item):
    FollowUpFactory(session=session, title="别的单位")

    response = organiser_client.get(url("follow_ups_unit", town.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>城关镇的督办事项</h2>" in html
    assert [row[0] for row in table(html, 'id="follow-up-table"')] == ["背街小巷改造"]


def test_unit_list_htmx_answers_the_list(organiser_client, town, item):
    response = organiser_client.get(url("follow_ups_unit", town.pk), {"colour": "blue"}, **HTMX)

    assert response.content.decode().startswith('<section id="follow-up-list"')


def test_unit_list_of_another_sessions_unit_is_404(organiser_client, session, other_session):
    stranger = UnitFactory(session=other_session)

    assert organiser_client.get(url("follow_ups_unit", stranger.pk)).status_code == 404


# ---------------------------------------------------------------- create


def post_data(**changes):
    return {
        "title": "年底前完成改造",
        "detail": "",
        "due_date": in_days(30).isoformat(),
        "colour": "blue",
        **changes,
    }


def test_create_from_question_prefills_and_fixes_the_unit(moderator_client, session, town):
    question = QuestionFactory(
        session=session, unit=town, text="背街小巷什么时候改完？", answer_summary="年底前完成。"
    )

    response = moderator_client.get(url("follow_up_create") + f"?question={question.pk}")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="unit"' not in html
    assert 'value="背街小巷什么时候改完？"' in html
    assert "\n年底前完成。</textarea>" in html
    assert text(re.search(r'id="follow-up-question">(.*?)</dl>', html, re.S).group(1)) == (
        "责任单位 城关镇 问政问题 背街小巷什么时候改完？ 答复摘要 年底前完成。"
    )


def test_create_from_question_posts_and_redirects(moderator_client, session, town):
    question = QuestionFactory(session=session, unit=town)
    target = url("follow_up_create") + f"?question={question.pk}"

    response = moderator_client.post(target, post_data())

    follow_up = FollowUp.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        url("follow_up_detail", follow_up.pk),
    )
    assert (follow_up.question, follow_up.unit, follow_up.colour, follow_up.source) == (
        question,
        town,
        Colour.BLUE,
        FollowUp.Source.QUESTION,
    )


def test_create_from_question_with_htmx_redirects_the_client(moderator_client, session, town):
    question = QuestionFactory(session=session, unit=town)

    response = moderator_client.post(
        url("follow_up_create") + f"?question={question.pk}", post_data(), **HTMX
    )

    assert (response.status_code, response["HX-Redirect"]) == (
        200,
        url("follow_up_detail", FollowUp.objects.get().pk),
    )


def test_create_from_question_twice_is_refused_with_a_link(moderator_client, session, town):
    question = QuestionFactory(session=session, unit=town)
    target = url("follow_up_create") + f"?question={question.pk}"
    moderator_client.post(target, post_data())

    page = moderator_client.get(target)
    again = moderator_client.post(target, post_data(title="第二次"))

    assert (page.status_code, again.status_code) == (409, 409)
    html = page.content.decode()
    assert "该问题已转为督办事项。" in html
    assert url("follow_up_detail", FollowUp.objects.get().pk) in html
    assert FollowUp.objects.count() == 1


def test_create_from_an_unanswered_question_is_refused(moderator_client, session, town):
    question = QuestionFactory(
        session=session, unit=town, status=Question.Status.APPROVED, answered_at=None
    )
    target = url("follow_up_create") + f"?question={question.pk}"

    page = moderator_client.get(target)
    post = moderator_client.post(target, post_data())

    assert (page.status_code, post.status_code) == (409, 409)
    assert "只有已答复的问题才能转为督办事项。" in page.content.decode()
    assert FollowUp.objects.count() == 0


@pytest.mark.parametrize("param", ["abc", "0", "999999"])
def test_create_with_a_tampered_question_is_404(moderator_client, session, param):
    response = moderator_client.get(url("follow_up_create") + f"?question={param}")

    assert response.status_code == 404


def test_create_with_a_question_of_another_session_is_404(moderator_client, session, other_session):
    question = QuestionFactory(session=other_session)

    get = moderator_client.get(url("follow_up_create") + f"?question={question.pk}")
    post = moderator_client.post(url("follow_up_create") + f"?question={question.pk}", post_data())

    assert (get.status_code, post.status_code) == (404, 404)
    assert FollowUp.objects.count() == 0


def test_create_from_leader_form(moderator_client, session, town):
    response = moderator_client.post(
        url("follow_up_create"),
        post_data(unit=town.pk, asked_by="县委书记", leading_group="城市更新领导小组"),
    )

    follow_up = FollowUp.objects.get()
    assert response.status_code == 302
    assert (follow_up.unit, follow_up.asked_by, follow_up.leading_group, follow_up.source) == (
        town,
        "县委书记",
        "城市更新领导小组",
        FollowUp.Source.LEADER,
    )


def test_create_from_leader_refuses_a_unit_of_another_session(
    moderator_client, session, other_session
):
    stranger = UnitFactory(session=other_session)

    response = moderator_client.post(
        url("follow_up_create"), post_data(unit=stranger.pk, asked_by="县委书记")
    )

    assert response.status_code == 422
    assert "选择一个有效的选项" in response.content.decode()
    assert FollowUp.objects.count() == 0


def test_create_with_a_past_due_date_shows_the_services_error(moderator_client, session, town):
    response = moderator_client.post(
        url("follow_up_create"),
        post_data(unit=town.pk, asked_by="县委书记", due_date=in_days(-1).isoformat()),
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert html.startswith('<section class="card" id="follow-up-create">')
    assert "完成时限不能早于今天。" in html
    assert FollowUp.objects.count() == 0


def test_create_in_a_draft_session_is_refused(moderator_client, session, town):
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.DRAFT)

    page = moderator_client.get(url("follow_up_create"))
    post = moderator_client.post(url("follow_up_create"), post_data(unit=town.pk, asked_by="书记"))

    assert (page.status_code, post.status_code) == (409, 409)
    assert "评议会还是草稿：就绪后才能登记督办事项。" in page.content.decode()
    assert FollowUp.objects.count() == 0


def test_create_htmx_get_answers_the_form(moderator_client, session):
    response = moderator_client.get(url("follow_up_create"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section class="card" id="follow-up-create">')
    assert 'name="asked_by"' in html


# ---------------------------------------------------------------- detail and updates


def test_detail_shows_the_item_and_its_history(organiser_client, item, evidence):
    response = organiser_client.get(url("follow_up_detail", item.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="follow-up-title">背街小巷改造</h2>' in html
    assert '<span class="chip chip-blue" id="follow-up-colour">蓝</span>' in html
    assert "完成 5 条" in html
    assert url("follow_up_file", evidence.pk) in html
    assert 'id="follow-up-update"' in html


def test_detail_of_an_overdue_item_shows_red(organiser_client, session):
    late = FollowUpFactory(session=session, colour=Colour.GREEN, due_date=in_days(-1))

    html = organiser_client.get(url("follow_up_detail", late.pk)).content.decode()

    assert '<span class="chip chip-red" id="follow-up-colour">红</span>' in html
    assert 'id="follow-up-overdue"' in html


def test_detail_post_records_an_update_with_file_link_and_colour(organiser_client, item, media):
    response = organiser_client.post(
        url("follow_up_detail", item.pk),
        {
            "text": "完成 8 条",
            "link": "https://www.huiji.gov.cn/1.html",
            "colour": "yellow",
            "file": SimpleUploadedFile("照片.pdf", PDF),
        },
    )

    update = FollowUpUpdate.objects.get()
    item.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, url("follow_up_detail", item.pk))
    assert (update.text, update.link, update.colour, update.original_name, item.colour) == (
        "完成 8 条",
        "https://www.huiji.gov.cn/1.html",
        "yellow",
        "照片.pdf",
        Colour.YELLOW,
    )
    assert (media / update.file.name).read_bytes() == PDF


def test_detail_post_with_htmx_answers_the_main_part(organiser_client, item):
    response = organiser_client.post(
        url("follow_up_detail", item.pk), {"text": "完成", "marks_done": "on"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="follow-up-main">')
    assert "已登记进展。" in html
    assert 'name="reopen"' in html  # the item is done: the form now offers to reopen it
    item.refresh_from_db()
    assert item.done_at is not None


def test_detail_post_refuses_a_javascript_link(organiser_client, item):
    response = organiser_client.post(
        url("follow_up_detail", item.pk), {"text": "进展", "link": "javascript:alert(1)"}, **HTMX
    )

    assert response.status_code == 422
    assert "链接必须是以 http:// 或 https:// 开头的网址。" in response.content.decode()
    assert FollowUpUpdate.objects.count() == 0


def test_detail_post_refuses_a_wrong_file_and_stores_nothing(organiser_client, item, media):
    response = organiser_client.post(
        url("follow_up_detail", item.pk),
        {"text": "进展", "file": SimpleUploadedFile("x.pdf", b"<html>")},
    )

    assert response.status_code == 422
    assert "附件“x.pdf”的内容与扩展名 .pdf 不符" in response.content.decode()
    assert FollowUpUpdate.objects.count() == 0
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_detail_post_on_a_done_item_needs_reopen(organiser_client, item):
    FollowUp.objects.filter(pk=item.pk).update(done_at=timezone.now())

    without = organiser_client.post(url("follow_up_detail", item.pk), {"text": "补充"})
    reopened = organiser_client.post(
        url("follow_up_detail", item.pk), {"text": "未整改到位", "reopen": "on"}
    )

    item.refresh_from_db()
    assert (without.status_code, reopened.status_code, item.done_at) == (422, 302, None)
    assert list(FollowUpUpdate.objects.values_list("text", flat=True)) == ["未整改到位"]


@pytest.mark.parametrize("who", ["organiser_client", "observer_client", "moderator_client"])
def test_detail_htmx_get_answers_the_main_part(request, item, who):
    client = request.getfixturevalue(who)

    response = client.get(url("follow_up_detail", item.pk), **HTMX)

    assert response.status_code == 200
    assert response.content.decode().startswith('<div id="follow-up-main">')


def test_detail_of_another_sessions_item_is_404(organiser_client, session, other_session):
    stranger = FollowUpFactory(session=other_session)

    get = organiser_client.get(url("follow_up_detail", stranger.pk))
    post = organiser_client.post(url("follow_up_detail", stranger.pk), {"text": "x"})

    assert (get.status_code, post.status_code) == (404, 404)
    assert FollowUpUpdate.objects.count() == 0


# ---------------------------------------------------------------- evidence download


@pytest.mark.parametrize("who", ["organiser_client", "observer_client", "moderator_client"])
def test_evidence_file_downloads_for_staff(request, evidence, who):
    client = request.getfixturevalue(who)

    response = client.get(url("follow_up_file", evidence.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")


def test_evidence_file_of_another_session_is_404(organiser_client, session, other_session):
    stranger = FollowUpFactory(session=other_session)
    update = followups.follow_up_update(
        follow_up=stranger, actor=None, text="x", file=SimpleUploadedFile("a.pdf", PDF)
    )

    assert organiser_client.get(url("follow_up_file", update.pk)).status_code == 404


def test_evidence_of_an_update_without_file_is_404(organiser_client, item):
    update = followups.follow_up_update(follow_up=item, actor=None, text="没有附件")

    assert organiser_client.get(url("follow_up_file", update.pk)).status_code == 404


# ---------------------------------------------------------------- correcting an entry


def test_follow_up_edit_page_saves_and_returns_to_the_item(organiser_client, item, town):
    page = organiser_client.get(url("follow_up_edit", item.pk))
    response = organiser_client.post(
        url("follow_up_edit", item.pk),
        {
            "unit": town.pk,
            "asked_by": "县委书记",
            "leading_group": "",
            "title": "背街小巷改造（<b>12</b> 条）",
            "detail": "",
            "due_date": in_days(40).isoformat(),
        },
    )

    item.refresh_from_db()
    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == url("follow_up_detail", item.pk)
    assert (item.title, item.due_date, item.leading_group) == (
        "背街小巷改造（<b>12</b> 条）",
        in_days(40),
        "",
    )
    detail = organiser_client.get(url("follow_up_detail", item.pk)).content.decode()
    assert "背街小巷改造（&lt;b&gt;12&lt;/b&gt; 条）" in detail
    assert 'id="follow-up-edit-link"' in detail


def test_follow_up_edit_refusal_is_shown_and_changes_nothing(organiser_client, item, town):
    response = organiser_client.post(
        url("follow_up_edit", item.pk),
        {
            "unit": town.pk,
            "asked_by": "县委书记",
            "title": "改了",
            "due_date": in_days(-5).isoformat(),
        },
    )

    item.refresh_from_db()
    assert response.status_code == 422
    assert "完成时限不能早于今天。" in response.content.decode()
    assert item.title == "背街小巷改造"


def test_follow_up_edit_is_for_organisers(moderator_client, observer_client, item):
    observer_page = observer_client.get(url("follow_up_detail", item.pk)).content.decode()

    assert moderator_client.get(url("follow_up_edit", item.pk)).status_code == 403
    assert observer_client.post(url("follow_up_edit", item.pk), {"title": "x"}).status_code == 403
    assert 'id="follow-up-edit-link"' not in observer_page


def test_follow_up_edit_of_another_sessions_item_is_404(organiser_client, session, other_session):
    stranger = FollowUpFactory(session=other_session)

    assert organiser_client.get(url("follow_up_edit", stranger.pk)).status_code == 404
