"""The unit's report card (scoring:report_card and the PDF's cards) with its 分管领导书面点评 and
督办事项. The session is tests/factories/scoring.py's."""

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.colours import Colour
from scoring import document, services
from scoring.exports import pdf
from scoring.models import LeaderComment
from tests.factories import ParticipantFactory, UserFactory
from tests.factories.followups import FollowUpFactory
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")
LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


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


def compact(value: str) -> str:
    return re.sub(r"\s+", "", value)


@pytest.fixture
def world():
    world = scored_session(leaders=LEADERS, departments=DEPARTMENTS)
    town = world.towns[0]  # 城关镇
    LeaderComment.objects.create(
        session=world.session,
        unit=town,
        author="分管副县长李某",
        text="重点工作推进有力。\n背街小巷改造进度偏慢。",
        score=Decimal("92.50"),
    )
    FollowUpFactory(
        session=world.session,
        unit=town,
        title="背街小巷改造",
        colour=Colour.BLUE,
        due_date=in_days(30),
    )
    FollowUpFactory(
        session=world.session,
        unit=town,
        title="老旧小区加装电梯",
        colour=Colour.GREEN,
        due_date=in_days(-3),
    )
    FollowUpFactory(
        session=world.session,
        unit=town,
        title="农贸市场提升",
        colour=Colour.GREEN,
        due_date=in_days(-10),
        done_at=timezone.now(),
    )
    FollowUpFactory(session=world.session, unit=world.towns[1], title="别的单位的事项")
    return world


def card_url(world, unit) -> str:
    return reverse("scoring:report_card", args=[world.session.slug, unit.pk])


# ---------------------------------------------------------------- the page


def test_report_card_shows_the_leaders_comment(organiser_client, world):
    response = organiser_client.get(card_url(world, world.towns[0]))

    html = response.content.decode()
    assert response.status_code == 200
    comment = re.search(r'id="card-comment">(.*?)</div>', html, re.S).group(1)
    assert (
        text(comment)
        == "分管副县长李某 · 点评得分 92.50 重点工作推进有力。 背街小巷改造进度偏慢。 修改书面点评"
    )
    assert "重点工作推进有力。<br>背街小巷改造进度偏慢。" in comment
    edit = reverse("scoring:score_edit", args=[world.session.slug, world.towns[0].pk])
    assert f'href="{edit}"' in comment


def test_report_card_shows_the_units_follow_ups_with_effective_colour(organiser_client, world):
    response = organiser_client.get(card_url(world, world.towns[0]))

    html = response.content.decode()
    assert table(html, 'id="card-follow-ups"') == [
        ["农贸市场提升", f"{in_days(-10):%Y-%m-%d}", "绿", "已办结"],
        ["老旧小区加装电梯", f"{in_days(-3):%Y-%m-%d}", "红", "逾期未办结"],
        ["背街小巷改造", f"{in_days(30):%Y-%m-%d}", "蓝", "办理中"],
    ]
    assert '<span class="chip chip-red">红</span>' in html
    assert 'href="/static/css/follow_ups.css"' in html
    unit_list = reverse("meeting:follow_ups_unit", args=[world.session.slug, world.towns[0].pk])
    assert f'href="{unit_list}"' in html


def test_report_card_without_comment_or_follow_ups_says_so(organiser_client, world):
    response = organiser_client.get(card_url(world, world.departments[0]))

    html = response.content.decode()
    assert text(re.search(r'id="card-comment">(.*?)</div>', html, re.S).group(1)) == (
        "暂无书面点评。 填写书面点评"
    )
    assert '<p class="muted" id="card-follow-ups">无督办事项。</p>' in html


def test_report_card_shows_comment_text_as_text(organiser_client, world):
    LeaderComment.objects.filter(unit=world.towns[0]).update(text="<script>alert(1)</script>")

    html = organiser_client.get(card_url(world, world.towns[0])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_follow_up_worded_with_markup_is_text_on_the_card_and_in_the_pdf(organiser_client, world):
    """A 督办事项 titled from a question typed with markup on a tablet."""
    FollowUpFactory(session=world.session, unit=world.towns[0], title="<b>请具体说明</b>")

    page = organiser_client.get(card_url(world, world.towns[0])).content.decode()
    pdf_html = pdf.render_html(document.build(world.session))

    for html in (page, pdf_html):
        assert "&lt;b&gt;请具体说明&lt;/b&gt;" in html
        assert "<b>请具体说明" not in html


def test_published_report_card_shows_comment_without_the_edit_link_to_observers(
    observer_client, world
):
    services.result_publish(session=world.session, actor=UserFactory(username="publisher"))

    response = observer_client.get(card_url(world, world.towns[0]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "分管副县长李某" in html
    assert "修改书面点评" not in html
    assert [row[0] for row in table(html, 'id="card-follow-ups"')] == [
        "农贸市场提升",
        "老旧小区加装电梯",
        "背街小巷改造",
    ]


def test_every_participant_has_a_comment_entry_on_the_scores_page(organiser_client, world):
    """Item 6: 书面点评 is entered per participant on the 其他考核 page (scoring:scores)."""
    html = organiser_client.get(
        reverse("scoring:scores", args=[world.session.slug])
    ).content.decode()

    edits = [
        reverse("scoring:score_edit", args=[world.session.slug, unit.pk]) for unit in world.units
    ]
    assert [f'href="{edit}"' in html for edit in edits] == [True] * len(world.units)


# ---------------------------------------------------------------- the document and the PDF


def test_document_rows_carry_comment_and_follow_ups(world):
    doc = document.build(world.session)

    row = doc.row(str(world.towns[0].pk))
    assert row.leader_comment == document.CardComment(
        author="分管副县长李某",
        text="重点工作推进有力。\n背街小巷改造进度偏慢。",
        score=Decimal("92.50"),
    )
    assert [(f.title, f.colour, f.done, f.overdue) for f in row.follow_ups] == [
        ("农贸市场提升", "green", True, False),
        ("老旧小区加装电梯", "red", False, True),
        ("背街小巷改造", "blue", False, False),
    ]
    assert doc.row(str(world.departments[0].pk)).follow_ups == ()
    assert doc.row(str(world.departments[0].pk)).leader_comment is None


def test_pdf_card_html_shows_comment_and_follow_ups(world):
    html = pdf.render_html(document.build(world.session))

    card = re.search(
        r'<span class="card-unit">城关镇&#10;</span>(.*?)</section>', html, re.S
    ).group(1)
    assert table(card, 'class="follow-ups"') == [
        ["农贸市场提升", f"{in_days(-10):%Y-%m-%d}", "绿", "已办结"],
        ["老旧小区加装电梯", f"{in_days(-3):%Y-%m-%d}", "红", "逾期未办结"],
        ["背街小巷改造", f"{in_days(30):%Y-%m-%d}", "蓝", "办理中"],
    ]
    assert text(re.search(r'<div class="comment">(.*?)</div>', card, re.S).group(1)) == (
        "分管副县长李某 点评得分 92.50 重点工作推进有力。 背街小巷改造进度偏慢。"
    )
    other = re.search(
        r'<span class="card-unit">财政局&#10;</span>(.*?)</section>', html, re.S
    ).group(1)
    assert '<p class="none">暂无书面点评。</p>' in other
    assert '<p class="none">无督办事项。</p>' in other


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_card_prints_comment_and_follow_ups(world, tmp_path):
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf.render(document.build(world.session)))

    pages = subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout.split("\f")[:-1]

    [card] = [compact(page) for page in pages if "分管副县长李某" in page]
    assert "城关镇" in card
    assert "分管副县长李某点评得分92.50" in card
    assert "重点工作推进有力。" in card
    assert f"老旧小区加装电梯{in_days(-3):%Y-%m-%d}红逾期未办结" in card
    assert f"农贸市场提升{in_days(-10):%Y-%m-%d}绿已办结" in card
    assert f"背街小巷改造{in_days(30):%Y-%m-%d}蓝办理中" in card


def render_queries(session) -> int:
    with CaptureQueriesContext(connection) as queries:
        pdf.render_html(document.build(session))
    return len(queries)


def test_pdf_cards_take_the_same_queries_whatever_the_number_of_units(
    world, django_assert_max_num_queries
):
    small = render_queries(world.session)
    for n in range(10):
        unit = ParticipantFactory(
            session=world.session,
            unit__category=world.department_category,
            unit__name=f"新增单位{n}",
            speaking_order=10 + n,
        ).unit
        LeaderComment.objects.create(session=world.session, unit=unit, author="领导", text="好")
        FollowUpFactory(session=world.session, unit=unit)
        FollowUpFactory(session=world.session, unit=unit, colour=Colour.RED)

    with django_assert_max_num_queries(small):
        html = pdf.render_html(document.build(world.session))

    # 城关镇, 东风街道 and the ten new units.
    assert html.count('<table class="follow-ups">') == 12


def _votes(world, unit, choices):
    from meeting.models import Question, SatisfactionVote
    from tests.factories import CredentialFactory

    question = Question.objects.create(
        session=world.session, unit=unit, text="问题", status="answered", vote="closed"
    )
    for choice in choices:
        SatisfactionVote.objects.create(
            question=question,
            credential=CredentialFactory(session=world.session, group=world.leaders),
            choice=choice,
        )


def test_report_card_shows_the_satisfaction_with_the_units_answers(organiser_client, world):
    _votes(world, world.towns[0], ["satisfied", "satisfied", "basically_satisfied", "dissatisfied"])

    town = organiser_client.get(card_url(world, world.towns[0])).content.decode()
    department = organiser_client.get(card_url(world, world.departments[0])).content.decode()

    assert text(re.search(r'id="card-satisfaction">(.*?)</p>', town, re.S).group(1)) == (
        "满意度投票 4 票：满意 2，基本满意 1，不满意 1；满意率 75.00%。"
    )
    assert "card-satisfaction" not in department


def test_pdf_card_html_shows_the_satisfaction(world):
    _votes(world, world.towns[0], ["satisfied", "dissatisfied"])

    html = pdf.render_html(document.build(world.session))

    card = re.search(
        r'<span class="card-unit">城关镇&#10;</span>(.*?)</section>', html, re.S
    ).group(1)
    assert "满意度投票 2 票：满意 1，基本满意 0，不满意 1；满意率 50.00%。" in text(card)
