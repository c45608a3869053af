import pytest

from sessions import roles
from tests.factories import UserFactory


@pytest.fixture
def organiser(db):
    return UserFactory(username="organiser", role=roles.ORGANISER)


@pytest.fixture
def moderator(db):
    return UserFactory(username="moderator", role=roles.MODERATOR)


@pytest.fixture
def observer(db):
    return UserFactory(username="observer", role=roles.OBSERVER)


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
