"""scoring/views_audit.py: downloading the audit pack (docs/results.md, "审计包 (audit pack)").
Organisers and observers of the session's district, once the result is published; what the
pack holds is tests/scoring/test_audit_pack.py's."""

import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from org.access import Role
from org.models import District
from scoring import services
from sessions.models import BallotGrade, ReviewSession
from tests.factories import UserFactory
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.django_db

SLUG = "2026-audit"
LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]
LINK = "下载审计包（可独立复算）"


@pytest.fixture
def world():
    world = scored_session(leaders=LEADERS, departments=DEPARTMENTS)
    ReviewSession.objects.filter(pk=world.session.pk).update(slug=SLUG)
    world.session.refresh_from_db()
    return world


def url(name: str = "audit_pack") -> str:
    return reverse(f"scoring:{name}", args=[SLUG])


def publish(world):
    return services.result_publish(session=world.session, actor=None)


def test_audit_pack_url_is_under_the_results():
    assert url() == f"/sessions/{SLUG}/results/audit-pack.zip"


def test_audit_pack_sends_anonymous_users_to_login(client, world):
    publish(world)

    response = client.get(url())

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url()}")


def test_audit_pack_of_another_districts_session_is_not_found(client, world):
    publish(world)
    east = District.objects.create(code="guancheng", name="管城回族区")
    client.force_login(UserFactory(role=Role.ORGANISER, role__district=east))

    assert client.get(url()).status_code == 404


def test_audit_pack_is_forbidden_to_moderators_and_users_without_a_role(moderator, world):
    publish(world)
    moderator_client, roleless_client = Client(), Client()
    moderator_client.force_login(moderator)
    roleless_client.force_login(UserFactory())

    statuses = [moderator_client.get(url()).status_code, roleless_client.get(url()).status_code]

    assert statuses == [403, 403]


@pytest.mark.parametrize("who", ["organiser_client", "observer_client"])
def test_audit_pack_downloads_once_published(request, world, who):
    snapshot = publish(world)
    client = request.getfixturevalue(who)

    response = client.get(url())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%AE%A1%E8%AE%A1%E5%8C%85-2026-audit-%E7%AC%AC1%E7%89%88.zip"
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert snapshot.inputs_hash in archive.read("snapshot.json").decode()


def test_audit_pack_is_409_for_the_organiser_before_publication(organiser_client, world):
    response = organiser_client.get(url())

    assert (response.status_code, response.content.decode()) == (
        409,
        "评议结果尚未发布：发布之后才能下载审计包。",
    )


def test_audit_pack_is_403_for_an_observer_before_publication(observer_client, world):
    assert observer_client.get(url()).status_code == 403


def test_audit_pack_is_409_when_the_inputs_changed_after_publication(organiser_client, world):
    publish(world)
    BallotGrade.objects.filter(
        ballot__group=world.departments_group, unit=world.departments[2], grade="average"
    ).update(grade="good")

    response = organiser_client.get(url())

    assert response.status_code == 409
    assert response.content.decode().startswith(
        "第 1 版发布之后，评议票、其他考核得分或计分办法有了改动"
    )
    assert "更正结果" in response.content.decode()


def test_audit_pack_rejects_post(organiser_client, world):
    publish(world)

    assert organiser_client.post(url()).status_code == 405


@pytest.mark.parametrize(
    ("who", "shown"),
    [("organiser_client", True), ("observer_client", True), ("moderator_client", False)],
)
def test_results_page_offers_the_audit_pack_once_published(request, world, who, shown):
    organiser = request.getfixturevalue("organiser_client")
    before = organiser.get(url("results")).content.decode()
    publish(world)

    after = request.getfixturevalue(who).get(url("results")).content.decode()

    assert (LINK in before, url() in before) == (False, False)
    assert (LINK in after, url() in after) == (shown, shown)
