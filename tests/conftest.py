import pytest

from org.access import Role
from tests.factories import UserFactory


def pytest_report_header(config):
    from django.db import connection

    # CI runs the suite twice; the header says which database each run used.
    return f"database: {connection.vendor} ({connection.settings_dict['NAME']})"


def pytest_configure(config):
    from django.conf import settings

    # A deliberately slow password hash is the point in production and pure waste in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organiser(db):
    return UserFactory(username="organiser", role=Role.ORGANISER)


@pytest.fixture
def moderator(db):
    return UserFactory(username="moderator", role=Role.MODERATOR)


@pytest.fixture
def observer(db):
    return UserFactory(username="observer", role=Role.OBSERVER)


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


@pytest.fixture
def observer_client(client, observer):
    client.force_login(observer)
    return client


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client
