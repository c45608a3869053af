"""gunicorn serving the project for the tests that need the real server (tests/core/test_throttle.py,
tests/browser/test_outage.py, tests/browser/test_rater_logs.py): production settings read from
the environment, as docs/deployment.md runs it, on a free port of 127.0.0.1.

Each test brings what is its own: the database, the settings on top of production's, the number
of workers and threads, and gunicorn's further arguments (an access log and its format, say)."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def shared_database_url() -> str:
    """The URL of the database this test runs on, for a server that must share it (PostgreSQL:
    SQLite's test database lives in this process's memory)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or HOST
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def production_env(*, database_url: str, static_root: Path, **settings: str) -> dict[str, str]:
    """This process's environment with production's settings (DEBUG off, plain HTTP as behind
    the proxy), then ``settings``."""
    env = {
        key: value
        for key, value in os.environ.items()
        # The browser tests' own switch, and whatever database the suite itself runs on.
        if key not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="huiji_review.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        DATABASE_URL=database_url,
        STATIC_ROOT=str(static_root),
    )
    env.update(settings)
    return env


# The storage DEBUG=false uses, without whitenoise's compression: the same manifest and hashed
# names in a second, where compressing every file (brotli over the shipped CJK font above all)
# takes some 40 s of CPU. No test here measures how static files are served.
COLLECTSTATIC = """
import django

django.setup()
from django.conf import settings
from django.core.management import call_command

settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
call_command("collectstatic", interactive=False, verbosity=0)
"""


def collect_static(env: dict[str, str]) -> subprocess.Popen:
    """Start collecting the static files into ``env``'s STATIC_ROOT, as production needs them
    before its first page; the caller waits for it (``communicate()``)."""
    return subprocess.Popen(  # noqa: S603 - this interpreter, the script above
        [sys.executable, "-c", COLLECTSTATIC],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Gunicorn:
    """huiji_review.wsgi under gunicorn with ``env`` for its environment; what it prints goes to
    ``log_dir``/gunicorn.log, and ``args`` may put further logs in ``log_dir``."""

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        *,
        workers: int = 1,
        threads: int = 1,
        args: Sequence[str] = (),
        port: int | None = None,
    ):
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_dir = log_dir
        self.log_path = log_dir / "gunicorn.log"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - gunicorn on our own app, the tests' arguments
            [
                *(sys.executable, "-m", "gunicorn", "huiji_review.wsgi:application"),
                *("--bind", f"{HOST}:{self.port}"),
                *("--workers", str(workers), "--threads", str(threads)),
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, path: str = "/healthz/", seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                if self.request("GET", path, timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer {path} within {seconds:.0f} s:\n{self.logs()}")

    def logs(self) -> str:
        """The end of every log in ``log_dir``: where to look when gunicorn does not start."""
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
            for log in sorted(self.log_dir.glob("*.log"))
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        fields: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> http.client.HTTPResponse:
        """The answer, read: its body decoded as ``.text``, its Set-Cookie headers as
        ``.cookies``."""
        headers = dict(headers or {})
        body = None
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.text = response.read().decode(errors="replace")
            response.cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                response.cookies.load(header)
            return response
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: gunicorn stops its workers gracefully
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
