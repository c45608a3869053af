"""A rater's submission survives a database restart with the same receipt (docs/deployment.md,
"Database outages and stuck locks").

The restart is real, so it cannot be the PostgreSQL the rest of the suite uses: the test starts a
private cluster in a temporary directory (initdb, a free port), migrates it and builds a session
in rating with one card through the project's services, and serves it with gunicorn in
production mode (DEBUG=false), as docs/deployment.md runs it. Chromium fills the form, the
cluster is stopped, 确认提交 is pressed: the server answers 503 with Retry-After, the tablet says
it is retrying; the cluster starts again and the receipt appears. Skipped where initdb (or, by
conftest.py, Chromium) is missing.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import expect

from sessions.models import Ballot, Credential
from tests.gunicorn_server import (
    HOST,
    ROOT,
    Gunicorn,
    collect_static,
    free_port,
    production_env,
)

pytestmark = pytest.mark.browser

UNITS = ["城关镇", "东风街道", "滨河街道"]
TABLET = {"width": 1024, "height": 768}

# Built through the services, in a process of its own with DATABASE_URL set: the session in
# rating, its three units (the form's layout) and one anonymous card. Prints what the test needs.
SETUP = """
import json
import sys

import django

django.setup()
from django.core.management import call_command

from sessions import credentials, services
from sessions import draw_services, unit_services
from sessions.models import ReviewSession

call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
session = services.session_create(
    kind=ReviewSession.Kind.CUSTOM, year=2026, title="数据库重启演练", with_preset=False
)
category = unit_services.category_save(session=session, actor=None, name="镇(街道)")
units = [
    unit_services.unit_save(
        session=session, actor=None, name=name, category=category, participates=True
    )
    for name in json.loads(sys.argv[1])
]
group = unit_services.group_save(session=session, actor=None, name="两代表一委员", weight=20)
draw_services.draw_speaking_order(session=session, actor=None, seed="restart")
for target in ("ready", "rating"):
    session = services.session_transition(session=session, target=target, actor=None)
[card] = credentials.credentials_generate(session=session, group=group, actor=None, count=1)
print(json.dumps({"session": session.pk, "code": card.code, "units": [u.pk for u in units]}))
"""


def postgres_bin() -> Path | None:
    """The directory of initdb and pg_ctl: on PATH, else Debian's newest under /usr/lib."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    return Path(versions[-1]).parent if versions else None


class PrivateCluster:
    """A PostgreSQL cluster of this test's own, on a free port of 127.0.0.1, trust auth.

    PostgreSQL refuses to run as root, so as root (CI) its programs run as the postgres user
    (``runuser``), which then owns the directory."""

    def __init__(self, bindir: Path, directory: Path):
        self.bindir = bindir
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(directory, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(  # noqa: S603 - PostgreSQL's own programs, fixed arguments
            [*self.as_user, str(self.bindir / program), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"{program}: {done.stderr or done.stdout}"

    def create(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        settings = [
            f"port = {self.port}",
            f"listen_addresses = '{HOST}'",
            f"unix_socket_directories = '{self.directory}'",
            # A throwaway cluster: durability would only cost time.
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
        ]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(settings) + "\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, name: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{name}"

    def connect(self, name: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(host=HOST, port=self.port, user="postgres", dbname=name, **kwargs)


@pytest.fixture
def private_cluster():
    bindir = postgres_bin()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip("initdb not found: install PostgreSQL's server package (postgresql-15)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user to run PostgreSQL as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser to run PostgreSQL as postgres")
    directory = Path(tempfile.mkdtemp(prefix="huiji-pg-"))
    cluster = PrivateCluster(bindir, directory)
    try:
        cluster.create()
        cluster.start()
        with cluster.connect(autocommit=True) as conn:
            conn.execute("CREATE DATABASE huiji")
        yield cluster
    finally:
        if cluster.running():
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


def python(script: str, env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - this interpreter, the scripts above
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


@pytest.fixture
def rating_server(private_cluster, tmp_path):
    """gunicorn on the private cluster, and the session it serves: {session, code, units}."""
    env = production_env(
        database_url=private_cluster.url("huiji"),
        static_root=tmp_path / "static",
        LOG_LEVEL="WARNING",
    )
    static = collect_static(env)
    setup = python(SETUP, env, json.dumps(UNITS))
    finished(static)
    fixture = json.loads(finished(setup).strip().splitlines()[-1])
    server = Gunicorn(env, tmp_path, threads=4, args=("--timeout", "30", "--graceful-timeout", "2"))
    try:
        server.wait_ready("/readyz/", seconds=30)
        yield server, fixture
    finally:
        server.stop()


def submit_answers(page) -> list[tuple[int, str | None]]:
    """Every answer the server gives to 确认提交 from now on: (status, Retry-After)."""
    answers: list[tuple[int, str | None]] = []

    def seen(response):
        if response.request.method == "POST" and response.url.endswith("/r/submit/"):
            answers.append((response.status, response.headers.get("retry-after")))

    page.on("response", seen)
    return answers


def test_rater_submit_survives_a_database_restart_with_the_same_receipt(
    browser, private_cluster, rating_server
):
    server, fixture = rating_server
    context = browser.new_context(viewport=TABLET, base_url=server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"/r/#{fixture['code']}")  # the card's QR code
        expect(page).to_have_url(re.compile(r"/r/form/$"))
        page.wait_for_load_state("load")  # htmx (deferred) is bound before the first tap
        for done, unit in enumerate(fixture["units"], start=1):
            row = page.locator(f"#unit-{unit}")
            row.get_by_text("较好", exact=True).click()
            expect(row.locator(".save-state")).to_have_text("已保存：较好")
            expect(page.locator("#progress")).to_have_text(f"已评 {done}/{len(UNITS)}")
        page.locator("summary", has_text="检查并提交").click()
        answers = submit_answers(page)

        private_cluster.stop()
        page.locator("#confirm").get_by_role("button", name="确认提交").click()

        expect(page.locator("#confirm .submit-state")).to_have_text("未提交，正在重试……")
        expect(page.locator("#htmx-error")).to_have_text("未提交，正在重试……")
        assert answers[0] == (503, "5")

        private_cluster.start()

        expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交", timeout=30_000)
        shown = page.locator("#receipt").inner_text()
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("评议表已提交")
        expect(page.locator("#receipt")).to_have_text(shown)
    finally:
        context.close()

    with private_cluster.connect("huiji") as conn:
        ballots = conn.execute(
            f"SELECT count(*) FROM {Ballot._meta.db_table} WHERE session_id = %s",  # noqa: S608
            [fixture["session"]],
        ).fetchone()[0]
        receipt = conn.execute(
            f"SELECT receipt FROM {Credential._meta.db_table} WHERE code = %s",  # noqa: S608
            [fixture["code"]],
        ).fetchone()[0]
    assert ballots == 1
    assert shown == f"{receipt[:4]} {receipt[4:]}"
    # Every attempt but the last was told to wait, none got a bare 500.
    assert [status for status, _after in answers] == [503] * (len(answers) - 1) + [303]
    assert "Internal Server Error" not in server.log_path.read_text(errors="replace")
