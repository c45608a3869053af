"""Two districts on one installation: each district's organisers, moderators and observers see
nothing of the other's (404, not 403, on every staff page of a session), and what they may do
in their own is decided by their role there (docs/design.md, "Users and roles")."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import URLResolver, get_resolver, reverse

from org.access import STAFF_ROLES, Role, can_manage_targets
from org.models import District, Membership, OrgUnit
from org.services import default_district
from sessions.models import ReviewSession
from tests.factories import (
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CONVERTERS = {"slug": None, "int": 1, "str": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def _patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace or ""
            yield from _patterns(entry, prefix + str(entry.pattern), inner or namespace)
        elif entry.name:
            yield (
                prefix + str(entry.pattern),
                f"{namespace}:{entry.name}" if namespace else entry.name,
            )


def session_urls(slug: str) -> list[tuple[str, str]]:
    """Every URL the project has for one session, by the session's slug."""
    urls = []
    for pattern, name in _patterns():
        arguments = {n: c for c, n in re.findall(r"<(\w+):(\w+)>", pattern)}
        if arguments.get("slug") != "slug":
            continue
        kwargs = {n: slug if n == "slug" else CONVERTERS[c] for n, c in arguments.items()}
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


@pytest.fixture
def two():
    east = District.objects.create(code="guancheng", name="管城回族区")
    home = default_district()
    sessions = {}
    for district in (home, east):
        session = ReviewSessionFactory(district=district, status=ReviewSession.Status.RATING)
        ParticipantFactory.create_batch(2, session=session)
        RaterGroupFactory(session=session, name="县级领导")
        sessions[district.code] = session
    staff = {
        (district.code, role): UserFactory(role=role, role__district=district)
        for district in (home, east)
        for role in sorted(STAFF_ROLES)
    }
    return sessions, staff


def test_every_session_page_of_another_district_is_not_found(client, two):
    sessions, staff = two
    urls = session_urls(sessions["huiji"].slug)
    assert len(urls) > 60  # the check covers the project's session pages, not a sample

    for role in sorted(STAFF_ROLES):
        client.force_login(staff["guancheng", role])
        for name, url in urls:
            response = client.get(url)
            if response.status_code == 405:
                response = client.post(url)
            assert response.status_code == 404, (role, name, response.status_code)


def test_the_session_list_shows_only_the_users_districts(client, two):
    sessions, staff = two
    client.force_login(staff["guancheng", Role.OBSERVER])

    page = client.get(reverse("review:session_list")).content.decode()

    assert sessions["guancheng"].title in page
    assert sessions["huiji"].title not in page


@pytest.mark.parametrize(
    "role, organise, ballots",
    [(Role.ORGANISER, 200, 200), (Role.MODERATOR, 403, 403), (Role.OBSERVER, 403, 200)],
)
def test_in_their_own_district_the_role_decides(client, two, role, organise, ballots):
    sessions, staff = two
    session = sessions["guancheng"]
    client.force_login(staff["guancheng", role])

    assert client.get(reverse("review:session_detail", args=[session.slug])).status_code == 200
    assert client.get(reverse("review:session_edit", args=[session.slug])).status_code == organise
    assert client.get(reverse("review:ballots", args=[session.slug])).status_code == ballots


def test_a_role_in_one_district_gives_nothing_in_another(client, two):
    """An organiser of one district who also observes the other may organise only the first."""
    sessions, staff = two
    organiser = staff["huiji", Role.ORGANISER]
    Membership.objects.create(
        user=organiser, district=sessions["guancheng"].district, role=Role.OBSERVER
    )
    client.force_login(organiser)

    home, east = sessions["huiji"], sessions["guancheng"]
    assert client.get(reverse("review:session_edit", args=[home.slug])).status_code == 200
    assert client.get(reverse("review:session_edit", args=[east.slug])).status_code == 403
    assert client.get(reverse("review:session_detail", args=[east.slug])).status_code == 200


def test_an_organiser_of_two_districts_chooses_where_a_session_goes(client, two):
    sessions, staff = two
    organiser = staff["huiji", Role.ORGANISER]
    east = sessions["guancheng"].district
    Membership.objects.create(user=organiser, district=east, role=Role.ORGANISER)
    client.force_login(organiser)

    response = client.post(
        reverse("review:session_create"),
        {"kind": "midyear", "year": 2026, "title": "东区年中", "district": east.pk},
    )

    assert response.status_code == 302
    assert ReviewSession.objects.get(title="东区年中").district == east


def test_an_organiser_of_one_district_is_not_asked_and_cannot_choose_another(client, two):
    sessions, staff = two
    client.force_login(staff["huiji", Role.ORGANISER])

    page = client.get(reverse("review:session_create")).content.decode()
    response = client.post(
        reverse("review:session_create"),
        {
            "kind": "midyear",
            "year": 2026,
            "title": "本区年中",
            "district": sessions["guancheng"].district.pk,
        },
    )

    assert 'name="district"' not in page
    assert response.status_code == 302
    assert ReviewSession.objects.get(title="本区年中").district == default_district()


def test_a_user_without_any_role_is_told_so(client, two):
    sessions, _staff = two
    client.force_login(UserFactory())

    response = client.get(reverse("review:session_detail", args=[sessions["huiji"].slug]))

    assert response.status_code == 403


def test_a_liaison_is_not_district_staff_and_opens_no_session(client, two):
    """A 单位填报员 reports for their unit (docs/targets.md, "Who does what"): the sessions of
    their own district are as closed to them as another district's."""
    sessions, _staff = two
    session = sessions["huiji"]
    unit = OrgUnit.objects.create(district=session.district, code="U9001", name="区住建局")
    liaison = UserFactory(role=Role.LIAISON, role__org_unit=unit)
    client.force_login(liaison)

    assert client.get(reverse("review:session_list")).status_code == 403
    for name, url in session_urls(session.slug):
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url)
        assert response.status_code in (403, 404), (name, response.status_code)
    assert client.get(reverse("targets:unit_reports", args=["huiji", 2026])).status_code == 200


def test_the_office_manages_targets_and_only_in_its_district(two):
    _sessions, staff = two
    office = UserFactory(role=Role.OFFICE, role__district=District.objects.get(code="guancheng"))
    home = District.objects.get(code="huiji")
    east = District.objects.get(code="guancheng")

    assert can_manage_targets(office, east.pk)
    assert not can_manage_targets(office, home.pk)
    assert can_manage_targets(staff["huiji", Role.ORGANISER], home.pk)
    assert not can_manage_targets(staff["huiji", Role.OBSERVER], home.pk)


def test_a_liaison_membership_must_name_a_unit_of_its_own_district(two):
    east = District.objects.get(code="guancheng")
    unit = OrgUnit.objects.create(district=default_district(), code="U9002", name="区财政局")
    user = UserFactory()

    with pytest.raises(ValidationError):
        Membership(user=user, district=east, role=Role.LIAISON, org_unit=unit).full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Membership.objects.create(user=user, district=east, role=Role.LIAISON)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Membership.objects.create(user=user, district=east, role=Role.OFFICE, org_unit=unit)
