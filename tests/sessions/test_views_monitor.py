"""sessions/views/monitor.py: the live participation monitor, its polled fragment (ETag / 304),
and the flagged and void ballots pages with voiding; the wrong-code blocks it
lists and lifting one (core/throttle.py)."""

import re
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localtime

from core import throttle
from sessions import ballots, rating
from sessions.models import AuditLog, Ballot, Grade, ReviewSession, ScoringScheme
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    PaperBallotFactory,
    ParticipantFactory,
    RaterGroupFactory,
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
    session = ReviewSessionFactory(slug=SLUG, title="2026年年中述职讲评会", status=Status.RATING)
    ScoringScheme.objects.filter(session=session).update(
        identical_grades_action=ScoringScheme.RuleAction.FLAG
    )
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    for order, name in enumerate(["城关镇", "东风街道", "滨河街道"], start=1):
        unit = UnitFactory(session=session, category=category, name=name)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    return session


@pytest.fixture
def group(session):
    return RaterGroupFactory(session=session, name="县级领导", order=0)


@pytest.fixture
def flagged(session, group):
    """A tablet ballot, submitted through the rating form, that grades every unit 一般 and is
    therefore flagged; its credential names its holder, who must never show next to it."""
    credential = CredentialFactory(
        session=session,
        group=group,
        code="HOLD2345",
        holder_name="王建国",
        holder_unit=session.units.get(name="城关镇"),
    )
    for unit in rating.rateable_units(credential):
        rating.draft_grade_set(
            credential=credential, unit_id=unit.pk, criterion_id=None, grade=Grade.AVERAGE
        )
    rating.ballot_submit(credential=credential)
    credential.refresh_from_db()
    ballot = Ballot.objects.get(session=session)
    ballot.credential_for_tests = credential
    return ballot


def url(name, *args, slug=SLUG):
    return reverse(f"review:{name}", args=[slug, *args])


def counts(response):
    return [
        (r.group.name, r.issued, r.opened, r.submitted, r.paper, r.void)
        for r in response.context["rows"]
    ]


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("name", ["monitor", "monitor_fragment", "ballots", "ballot_detail"])
def test_monitor_pages_send_anonymous_users_to_login(client, flagged, name):
    args = [flagged.pk] if name == "ballot_detail" else []

    response = client.get(url(name, *args))

    assert (response.status_code, response["Location"]) == (
        302,
        f"/login/?next={url(name, *args)}",
    )


@pytest.mark.parametrize("who", ["observer_client", "moderator_client", "organiser_client"])
def test_monitor_shows_participation_to_every_staff_role(request, who, flagged, group):
    client = request.getfixturevalue(who)
    CredentialFactory(session=flagged.session, group=group, opened_at=timezone.now())

    response = client.get(url("monitor"))

    assert response.status_code == 200
    assert counts(response) == [("县级领导", 2, 1, 1, 0, 0)]
    assert response.context["total"].submitted_percent == 50


def test_monitor_refuses_a_user_without_a_staff_role(client, django_user_model, session):
    client.force_login(django_user_model.objects.create_user("visitor", password="x" * 12))

    assert client.get(url("monitor")).status_code == 403


def test_moderator_cannot_see_ballots(moderator_client, flagged):
    assert moderator_client.get(url("ballots")).status_code == 403
    assert moderator_client.get(url("ballot_detail", flagged.pk)).status_code == 403


def test_observer_sees_ballots_but_cannot_void(observer_client, flagged):
    listed = observer_client.get(url("ballots"))
    detail = observer_client.get(url("ballot_detail", flagged.pk))
    posted = observer_client.post(
        url("ballot_detail", flagged.pk), {"reason": "同一人重复填写", "confirmed": "1"}
    )

    assert (listed.status_code, detail.status_code, posted.status_code) == (200, 200, 403)
    assert [b.pk for b in listed.context["flagged"]] == [flagged.pk]
    assert detail.context["form"] is None
    assert 'id="void-form"' not in detail.content.decode()
    flagged.refresh_from_db()
    assert flagged.is_void is False
    assert AuditLog.objects.filter(action="ballot.void").count() == 0


def test_ballot_detail_of_another_session_is_not_found(organiser_client, session):
    other = BallotFactory()

    assert organiser_client.get(url("ballot_detail", other.pk)).status_code == 404


# ---------------------------------------------------------------- monitor page


def test_monitor_polls_the_fragment_every_five_seconds(organiser_client, session):
    content = organiser_client.get(url("monitor")).content.decode()

    assert (
        f'<section id="participation" class="card" hx-get="{url("monitor_fragment")}" '
        'hx-trigger="every 5s" hx-swap="outerHTML">'
    ) in content
    assert f'href="{url("ballots")}"' in content


def test_monitor_does_not_poll_a_published_session(organiser_client, session):
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.PUBLISHED)

    content = organiser_client.get(url("monitor")).content.decode()

    assert "hx-trigger" not in content


@pytest.mark.parametrize(
    ("status", "targets"),
    [
        (Status.DRAFT, []),
        (Status.READY, ["rating"]),
        (Status.LIVE, ["rating"]),
        (Status.RATING, ["closed"]),
        (Status.CLOSED, []),
    ],
)
def test_monitor_offers_organisers_only_the_allowed_rating_transitions(
    organiser_client, session, status, targets
):
    ReviewSession.objects.filter(pk=session.pk).update(status=status)

    response = organiser_client.get(url("monitor"))

    assert [target for target, _label in response.context["transitions"]] == targets
    content = response.content.decode()
    shown = [t for t in ("rating", "closed") if f'href="{url("session_transition", t)}"' in content]
    assert shown == targets


def test_monitor_offers_observers_no_transition(observer_client, session):
    response = observer_client.get(url("monitor"))

    assert response.context["transitions"] == []
    assert f'href="{url("session_transition", "closed")}"' not in response.content.decode()


def test_monitor_bar_widths_are_classes_not_styles(organiser_client, session, group):
    for _ in range(3):
        BallotFactory(credential=CredentialFactory(session=session, group=group))
    CredentialFactory(session=session, group=group)

    content = organiser_client.get(url("monitor")).content.decode()

    assert '<span class="bar-submitted bar-w75"></span>' in content
    assert "style=" not in content


# ---------------------------------------------------------------- the polled fragment


def test_fragment_answers_200_with_an_etag_then_304_until_a_ballot_arrives(
    observer_client, session, group
):
    first = observer_client.get(url("monitor_fragment"), **HTMX)
    etag = first["ETag"]
    unchanged = observer_client.get(url("monitor_fragment"), HTTP_IF_NONE_MATCH=etag, **HTMX)
    BallotFactory(credential=CredentialFactory(session=session, group=group))
    changed = observer_client.get(url("monitor_fragment"), HTTP_IF_NONE_MATCH=etag, **HTMX)

    assert first.status_code == 200
    assert first.content.decode().startswith('<section id="participation"')
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert '<b id="total-submitted">1</b>' in changed.content.decode()


def test_fragment_asks_the_browser_to_revalidate_every_poll(observer_client, session):
    response = observer_client.get(url("monitor_fragment"))

    assert sorted(response["Cache-Control"].split(", ")) == ["no-cache", "private"]


@pytest.mark.parametrize(
    "change",
    ["open", "revoke", "void", "paper", "rename", "status"],
)
def test_fragment_etag_changes_with_everything_it_shows(
    organiser_client, flagged, group, organiser, change
):
    credential = CredentialFactory(session=flagged.session, group=group)
    etag = organiser_client.get(url("monitor_fragment"))["ETag"]
    if change == "open":
        rating.credential_open(credential=credential)
    elif change == "revoke":
        credential.status = "revoked"
        credential.save()
    elif change == "void":
        ballots.ballot_void(ballot=flagged, reason="同一人重复填写", actor=organiser)
    elif change == "paper":
        PaperBallotFactory(session=flagged.session, group=group)
    elif change == "rename":
        group.name = "县级领导干部"
        group.save()
    else:
        ReviewSession.objects.filter(pk=flagged.session_id).update(status=Status.CLOSED)

    response = organiser_client.get(url("monitor_fragment"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_fragment_etag_differs_by_language(organiser_client, session):
    chinese = organiser_client.get(url("monitor_fragment"))["ETag"]
    organiser_client.post(reverse("set_language"), {"language": "en", "next": "/"})

    english = organiser_client.get(url("monitor_fragment"), HTTP_IF_NONE_MATCH=chinese)

    assert english.status_code == 200
    assert english["ETag"] != chinese


def test_fragment_queries_do_not_grow_with_groups_or_ballots(
    organiser_client, session, django_assert_max_num_queries
):
    for _ in range(4):
        group = RaterGroupFactory(session=session)
        for _ in range(5):
            BallotFactory(credential=CredentialFactory(session=session, group=group))
        PaperBallotFactory(session=session, group=group)
    etag = organiser_client.get(url("monitor_fragment"))["ETag"]

    # Django's session and user, the user's permissions (2), the review session, the counts (2).
    with django_assert_max_num_queries(7):
        full = organiser_client.get(url("monitor_fragment"), **HTMX)
    with django_assert_max_num_queries(7):
        not_modified = organiser_client.get(url("monitor_fragment"), HTTP_IF_NONE_MATCH=etag)

    assert (full.status_code, not_modified.status_code) == (200, 304)


# ---------------------------------------------------------------- anonymity


def test_no_page_shows_who_gave_an_anonymous_ballot(organiser_client, flagged):
    credential = flagged.credential_for_tests
    assert flagged.credential_id is None
    secrets = [credential.code, credential.holder_name, credential.receipt]

    pages = [
        organiser_client.get(url("monitor")),
        organiser_client.get(url("monitor_fragment")),
        organiser_client.get(url("ballots")),
        organiser_client.get(url("ballot_detail", flagged.pk)),
        organiser_client.post(url("ballot_detail", flagged.pk), {"reason": "同一人重复填写"}),
    ]

    assert [p.status_code for p in pages] == [200, 200, 200, 200, 200]
    leaks = [s for p in pages for s in secrets if s in p.content.decode()]
    assert leaks == []


def test_ballot_detail_shows_grades_and_flags_but_no_holder_unit(observer_client, flagged):
    response = observer_client.get(url("ballot_detail", flagged.pk))

    content = response.content.decode()
    # The holder's own unit (城关镇) is stored as 弃权 and its name is not kept with an
    # anonymous ballot (docs/anonymity.md).
    assert [(r.unit.name, r.grades) for r in response.context["grade_rows"]] == [
        ("城关镇", ["弃权"]),
        ("东风街道", ["一般"]),
        ("滨河街道", ["一般"]),
    ]
    assert response.context["ballot"].flag_labels == ["所有单位评价相同"]
    assert response.context["ballot"].holder_unit is None
    assert "（本单位不参与评议）" not in content
    assert f"评议票 {flagged.pk.hex[:8]}" in content


# ---------------------------------------------------------------- voiding


def test_organiser_voids_a_ballot_after_confirming(organiser_client, organiser, flagged):
    detail = url("ballot_detail", flagged.pk)

    asked = organiser_client.post(detail, {"reason": "  同一人重复填写  "})
    flagged.refresh_from_db()
    void_after_asking = flagged.is_void
    done = organiser_client.post(detail, {"reason": "同一人重复填写", "confirmed": "1"})

    assert (asked.status_code, asked.context["confirming"], void_after_asking) == (200, True, False)
    assert '<input type="hidden" name="reason" value="同一人重复填写">' in asked.content.decode()
    assert (done.status_code, done["Location"]) == (302, detail)
    flagged.refresh_from_db()
    assert (flagged.void_reason, flagged.voided_by) == ("同一人重复填写", organiser)
    assert AuditLog.objects.filter(action="ballot.void").count() == 1
    listed = organiser_client.get(url("ballots"))
    assert [b.pk for b in listed.context["voided"]] == [flagged.pk]
    assert "同一人重复填写" in listed.content.decode()


@pytest.mark.parametrize("confirmed", ["", "1"])
def test_void_with_a_bad_reason_is_422_and_changes_nothing(organiser_client, flagged, confirmed):
    response = organiser_client.post(
        url("ballot_detail", flagged.pk), {"reason": "<script>", "confirmed": confirmed}
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"reason": ["作废理由不能包含尖括号“<”或“>”。"]}
    assert "作废理由不能包含尖括号“&lt;”或“&gt;”。" in response.content.decode()
    flagged.refresh_from_db()
    assert (flagged.is_void, AuditLog.objects.filter(action="ballot.void").count()) == (False, 0)


def test_void_of_a_published_session_is_422_at_the_first_step(organiser_client, flagged):
    ReviewSession.objects.filter(pk=flagged.session_id).update(status=Status.PUBLISHED)

    shown = organiser_client.get(url("ballot_detail", flagged.pk))
    response = organiser_client.post(url("ballot_detail", flagged.pk), {"reason": "同一人重复填写"})

    message = "评议会状态为“结果已发布”，只有在评议中或评议结束后、结果发布前才能作废评议票。"
    assert 'id="void-form"' not in shown.content.decode()
    assert message in shown.content.decode()
    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [message]
    assert response.context["confirming"] is False


def test_void_confirmed_twice_shows_the_error_as_422(organiser_client, organiser, flagged):
    ballots.ballot_void(ballot=flagged, reason="第一次的理由", actor=organiser)

    response = organiser_client.post(
        url("ballot_detail", flagged.pk), {"reason": "第二次的理由", "confirmed": "1"}
    )

    assert response.status_code == 422
    [error] = response.context["form"].non_field_errors()
    assert error.startswith(f"评议票 {flagged.pk.hex[:8]} 已于 ")
    assert error in response.content.decode()
    flagged.refresh_from_db()
    assert flagged.void_reason == "第一次的理由"


# ---------------------------------------------------------------- wrong-code blocks

HALL = "10.0.0.7"
OFFICE = "2001:db8::7"


def block(address: str, wrong_codes: int = 30) -> None:
    """``wrong_codes`` wrong codes from ``address``, counted by the raters' throttle."""
    for _ in range(wrong_codes):
        throttle.record_wrong_code(RequestFactory().post("/r/", REMOTE_ADDR=address))


@pytest.fixture
def blocked(db):
    """The hall's address blocked with 42 wrong codes, the office's with 30; the cache emptied
    around the test (Redis keeps nothing of the test's transaction)."""
    cache.clear()
    block(HALL, 42)
    block(OFFICE, 30)
    yield
    cache.clear()


def blocks_table(response) -> list[list[str]]:
    html = response.content.decode().split('<section id="wrong-code-blocks"')[1]
    html = html.split("</section>")[0]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td\b[^>]*>(.*?)</td>", row, flags=re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
        if "<td" in row
    ]


def unblock_url(address: str) -> str:
    return url("wrong_code_unblock", address)


def test_monitor_lists_wrong_code_blocks_with_a_lift_link_for_organisers(
    organiser_client, session, blocked
):
    response = organiser_client.get(url("monitor"))

    rows = blocks_table(response)
    [hall, office] = throttle.blocks()
    assert [row[:2] for row in rows] == [[HALL, "42"], [OFFICE, "30"]]
    assert [row[2:4] for row in rows] == [
        [
            localtime(b.since).strftime("%Y-%m-%d %H:%M:%S"),
            localtime(b.until).strftime("%Y-%m-%d %H:%M:%S"),
        ]
        for b in (hall, office)
    ]
    assert [row[4] for row in rows] == ["解除限制", "解除限制"]
    content = response.content.decode()
    assert f'href="{unblock_url(HALL)}"' in content
    assert f'href="{unblock_url(OFFICE)}"' in content


def test_monitor_lists_wrong_code_blocks_to_observers_without_a_lift_link(
    observer_client, session, blocked
):
    response = observer_client.get(url("monitor"))

    assert [row[:2] for row in blocks_table(response)] == [[HALL, "42"], [OFFICE, "30"]]
    assert [len(row) for row in blocks_table(response)] == [4, 4]
    assert "/monitor/blocks/" not in response.content.decode()


def test_monitor_shows_moderators_no_wrong_code_blocks(moderator_client, session, blocked):
    response = moderator_client.get(url("monitor"))

    assert response.context["wrong_code_blocks"] is None
    assert 'id="wrong-code-blocks"' not in response.content.decode()
    assert HALL not in response.content.decode()


def test_monitor_says_when_no_address_is_blocked(observer_client, session):
    cache.clear()
    block(HALL, 29)  # one short of the limit

    response = observer_client.get(url("monitor"))

    assert response.context["wrong_code_blocks"] == []
    assert blocks_table(response) == []
    assert "目前没有受限的地址。" in response.content.decode()


def test_monitor_fragment_does_not_read_the_blocks(organiser_client, session, blocked):
    response = organiser_client.get(url("monitor_fragment"))

    assert 'id="wrong-code-blocks"' not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_unblock_sends_anonymous_users_to_login(client, session, blocked, method):
    response = getattr(client, method)(unblock_url(HALL))

    assert (response.status_code, response["Location"]) == (
        302,
        f"/login/?next={quote(unblock_url(HALL))}",
    )
    assert [b.address for b in throttle.blocks()] == [HALL, OFFICE]


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_unblock_refuses_observers_and_moderators(request, session, blocked, who, method):
    client = request.getfixturevalue(who)

    response = getattr(client, method)(unblock_url(HALL))

    assert response.status_code == 403
    assert [b.address for b in throttle.blocks()] == [HALL, OFFICE]
    assert not AuditLog.objects.filter(action="rate.unblock").exists()


def test_unblock_asks_the_organiser_to_confirm_first(organiser_client, session, blocked):
    response = organiser_client.get(unblock_url(HALL))

    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["lifting"] == throttle.block_for(HALL)
    assert f"解除地址 {HALL} 的评议码输错限制？" in content
    assert "<dt>输错次数</dt><dd>42</dd>" in content
    assert '<button type="submit">确认解除</button>' in content
    assert f'href="{url("monitor")}"' in content  # 取消
    assert [b.address for b in throttle.blocks()] == [HALL, OFFICE]
    assert not AuditLog.objects.filter(action="rate.unblock").exists()


@pytest.mark.parametrize(("address", "count"), [(HALL, 42), (OFFICE, 30)])
def test_unblock_confirmed_lifts_the_block_and_writes_the_audit_log(
    organiser_client, organiser, session, blocked, address, count
):
    response = organiser_client.post(unblock_url(address))

    assert (response.status_code, response["Location"]) == (302, url("monitor"))
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"已解除地址 {address} 的评议码输错限制。"
    ]
    assert [b.address for b in throttle.blocks()] == [a for a in (HALL, OFFICE) if a != address]
    entry = AuditLog.objects.get(action="rate.unblock")
    assert (entry.session, entry.actor, entry.message) == (
        session,
        organiser,
        f"解除地址 {address} 的评议码输错限制（输错 {count} 次）",
    )
    request = RequestFactory().post("/r/", REMOTE_ADDR=address)
    assert throttle.wrong_code_blocked(request) is False
    assert throttle.record_wrong_code(request) is False  # counted from zero again


@pytest.mark.parametrize("method", ["get", "post"])
def test_unblock_of_an_address_not_blocked_goes_back_to_the_monitor(
    organiser_client, session, blocked, method
):
    response = getattr(organiser_client, method)(unblock_url("10.0.0.99"))

    assert (response.status_code, response["Location"]) == (302, url("monitor"))
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "地址 10.0.0.99 目前没有被限制（可能已到期或已被解除）。"
    ]
    assert not AuditLog.objects.filter(action="rate.unblock").exists()


def test_unblock_in_another_session_is_not_found(organiser_client, session, blocked):
    response = organiser_client.get(url("wrong_code_unblock", HALL, slug="no-such-session"))

    assert response.status_code == 404
