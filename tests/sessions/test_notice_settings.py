"""The 通报's letterhead settings (发文机关, 发文字号, 落款, 抄送, 印发机关) on the session edit
page: sessions.services.session_update and the session_edit view. They may change in every
state, a published result's included, and every change is audited (docs/results.md, "通报
(official format)")."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from org.access import Role
from org.models import District
from sessions import services
from sessions.models import AuditLog, ReviewSession
from tests.factories import ReviewSessionFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
DETAILS = {"title": "2026年度述职评议", "year": 2026, "date": datetime.date(2026, 1, 20)}
NOTICE = {
    "notice_issuer": "中共惠济区委组织部",
    "notice_number": "惠组〔2026〕12号",
    "notice_signatory": "中共惠济区委组织部",
    "notice_copy_to": "区委办公室，区人大常委会办公室",
    "notice_printed_by": "中共惠济区委组织部办公室",
}


def make_session(status=Status.DRAFT, **fields) -> ReviewSession:
    return ReviewSessionFactory(slug="2026-annual", status=status, venue="", **DETAILS, **fields)


def entries(session) -> list[tuple[str, str, dict]]:
    return [
        (entry.action, entry.message, entry.detail)
        for entry in AuditLog.objects.filter(session=session).order_by("id")
    ]


# ---------------------------------------------------------------- the service


@pytest.mark.parametrize("status", list(Status))
def test_session_update_sets_the_letterhead_in_every_state_and_audits_it(status):
    session = make_session(status=status)

    services.session_update(session=session, actor=None, venue="", **DETAILS, **NOTICE)

    session.refresh_from_db()
    assert {name: getattr(session, name) for name in NOTICE} == NOTICE
    assert entries(session) == [
        (
            "session.update",
            "修改评议会信息：发文机关、发文字号、落款（署名）、抄送、印发机关",
            {"changes": {name: ["", value] for name, value in NOTICE.items()}},
        )
    ]


def test_session_update_still_refuses_new_details_once_published():
    session = make_session(status=Status.PUBLISHED)

    with pytest.raises(ValidationError, match="结果已发布，评议会信息不能再修改。"):
        services.session_update(
            session=session, actor=None, **{**DETAILS, "title": "别的名称"}, venue="", **NOTICE
        )

    session.refresh_from_db()
    assert (session.title, session.notice_issuer) == ("2026年度述职评议", "")
    assert entries(session) == []


def test_session_update_trims_clears_and_leaves_out_what_it_is_not_given():
    session = make_session(**NOTICE)

    services.session_update(
        session=session,
        actor=None,
        venue="",
        **DETAILS,
        notice_number=" 惠组〔2026〕13号 ",
        notice_copy_to="",
    )

    session.refresh_from_db()
    assert (session.notice_number, session.notice_copy_to, session.notice_issuer) == (
        "惠组〔2026〕13号",
        "",
        "中共惠济区委组织部",
    )


# ---------------------------------------------------------------- the page


def url(name: str = "session_edit") -> str:
    return reverse(f"review:{name}", args=["2026-annual"])


def test_edit_page_groups_the_letterhead_with_labels_and_examples(organiser_client):
    make_session(**NOTICE)

    html = organiser_client.get(url()).content.decode()
    fieldset = re.search(
        r'<fieldset class="scheme-section" id="notice-settings">(.*?)</fieldset>', html, re.S
    )
    labels = re.findall(r"<label [^>]*>(.*?)</label>", fieldset.group(1))

    assert labels == ["发文机关:", "发文字号:", "落款（署名）:", "抄送:", "印发机关:"]
    assert "如“惠组〔2026〕12号”" in fieldset.group(1)
    assert 'value="惠组〔2026〕12号"' in fieldset.group(1)
    assert 'id="details-frozen"' not in html


def test_edit_page_of_a_published_session_saves_the_letterhead(organiser_client, organiser):
    session = make_session(status=Status.PUBLISHED)
    form = {**DETAILS, "date": "2026-01-20", "venue": "", **NOTICE}

    page = organiser_client.get(url()).content.decode()
    response = organiser_client.post(url(), form)

    session.refresh_from_db()
    assert 'id="details-frozen"' in page
    assert (response.status_code, response["Location"]) == (302, url("session_detail"))
    assert session.notice_number == "惠组〔2026〕12号"
    assert AuditLog.objects.get(session=session, action="session.update").actor == organiser


def test_edit_page_is_forbidden_to_observers(observer_client):
    session = make_session(status=Status.PUBLISHED)

    response = observer_client.post(url(), {**DETAILS, "date": "2026-01-20", **NOTICE})

    session.refresh_from_db()
    assert response.status_code == 403
    assert session.notice_issuer == ""


def test_edit_page_of_another_districts_session_is_not_found(client):
    make_session()
    east = District.objects.create(code="guancheng", name="管城回族区")
    client.force_login(UserFactory(role=Role.ORGANISER, role__district=east))

    response = client.post(url(), {**DETAILS, "date": "2026-01-20", **NOTICE})

    assert response.status_code == 404
