"""Production mode: refuses a missing SECRET_KEY and passes Django's deployment checks.

Settings are read once per process, so each case runs manage.py in a subprocess with its own
environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "-a-production-secret-key-for-the-deploy-check-only-" + "z" * 10


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process only.
        if key
        not in (
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "TASKS_BACKEND",
        )
    }
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false")

    assert result.returncode != 0
    assert "Production mode (DEBUG=false) needs a SECRET_KEY of at least 50 characters." in (
        result.stderr
    )


def test_production_refuses_the_development_key_length():
    result = _manage("check", DEBUG="false", SECRET_KEY="short")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_passes_the_deployment_checks():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="review.example.gov.cn",
    )

    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.strip() == "System check identified no issues (1 silenced)."


def test_healthz_answers_ok_without_a_login(client):
    response = client.get("/healthz/")

    assert (response.status_code, response.content) == (200, b"ok")


TASK_BACKEND = "from django.conf import settings; print(settings.TASKS['default']['BACKEND'])"


def test_tasks_run_in_the_request_unless_the_database_backend_is_chosen():
    default = _manage("shell", "--no-imports", "-c", TASK_BACKEND)
    database = _manage("shell", "--no-imports", "-c", TASK_BACKEND, TASKS_BACKEND="database")

    assert default.stdout.strip() == "django_tasks.backends.immediate.ImmediateBackend"
    assert database.stdout.strip() == "django_tasks_db.DatabaseBackend"


def test_an_unknown_tasks_backend_refuses_to_start():
    result = _manage("check", TASKS_BACKEND="celery")

    assert result.returncode != 0
    assert "TASKS_BACKEND must be one of: immediate, database (not 'celery')." in result.stderr
