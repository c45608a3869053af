"""The settings gunicorn runs with in tests/core/test_throttle.py: production's, read from the
environment like huiji_review/settings.py (DEBUG off), except for static files. Production's
compressed manifest needs a collectstatic of some 50 s before the first page renders, and no
test there loads a static file."""

from huiji_review.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
