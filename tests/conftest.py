import os
from urllib.parse import urlparse

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
    _redis_database_per_worker(settings)


def _redis_database_per_worker(settings):
    """Under pytest-xdist (`make test` runs the suite in parallel), each worker uses its own
    Redis database, numbered from REDIS_URL's: Django's ``cache.clear()`` empties the whole
    database (FLUSHDB), whatever the key prefix, so workers sharing one would wipe each other's
    counters mid-test. pytest-django gives each worker its own test database the same way.
    The environment changes too, for the gunicorn servers some tests start."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REDIS_URL", "")
    if not (worker.startswith("gw") and url):
        return
    parsed = urlparse(url)
    base = int(parsed.path.strip("/") or 0)
    # Redis has 16 databases unless configured otherwise; a run on PostgreSQL takes the upper
    # eight, so it may run beside one on SQLite (.ci/run runs both at once).
    postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    database = (base + int(worker.removeprefix("gw")) + (8 if postgres else 0)) % 16
    url = parsed._replace(path=f"/{database}").geturl()
    os.environ["REDIS_URL"] = url
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}


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
