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
    # Tasks run inside the request that enqueues them, whatever TASKS_BACKEND the shell sets;
    # the tests of the database backend set their own (docs/results.md, "PDFs in the
    # background").
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["immediate"]}}
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


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Every test writes its files (uploads, PDFs made off the request) under a folder of its
    own, never under the project's var/media."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


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


@pytest.fixture
def database_tasks(settings):
    """Tasks stored by django-tasks-db's DatabaseBackend, as with TASKS_BACKEND=database, until a
    worker runs them: ``run_db_worker``. Its tests need ``transaction=True``: the worker checks
    its connection between tasks the way a long-running process must, which would close the
    connection a rolled-back test runs in."""
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["database"]}}


@pytest.fixture
def run_db_worker():
    """``manage.py db_worker --batch``: run every task stored, then return. The worker installs
    its own SIGINT and SIGTERM handlers (to finish the task under way on a stop); the test
    process gets its own back afterwards."""
    import signal

    from django.core.management import call_command

    names = [name for name in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, name)]
    saved = {name: signal.getsignal(getattr(signal, name)) for name in names}

    def run():
        try:
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        finally:
            for name, handler in saved.items():
                signal.signal(getattr(signal, name), handler)

    return run
