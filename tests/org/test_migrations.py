"""Districts and persistent units (review 0007–0009): a database made by the code before them
migrates forward with nothing lost, its published result still verifies with the same SHA-256,
and last year's rank on a report card is unchanged.

The database is built by the code as it was before the step — the tree of the commit before
the one that added review 0007, taken from git — running its own ``migrate``, ``seed_demo``,
``set_status`` and publication; then today's code migrates it and checks. Both run as
``manage.py`` processes on a database of their own: a SQLite file, or on PostgreSQL (when the
suite runs there) a database made for the test and dropped after it.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
STEP = "sessions/migrations/0007_districts_and_org_units.py"
GIT = shutil.which("git")

# Run by the old code once the demo is seeded: publish the annual session, make next year's
# annual session with the same units, and print what a report card of it says of last year.
BEFORE = """
import json
from django.core.management import call_command
from scoring import document
from scoring import services as scoring
from sessions import services
from sessions.models import ReviewSession
old = ReviewSession.objects.get(slug="demo-2025-annual")
call_command("set_status", old.slug, "closed")
snapshot = scoring.result_publish(session=old, actor=None)
new = services.session_create(kind="annual", year=2026, slug="annual-2026", actor=None)
categories = {c.name: c for c in new.categories.all()}
for unit in old.units.select_related("category").order_by("id"):
    services.unit_save(session=new, actor=None, name=unit.name,
                       category=categories[unit.category.name], participates=True)
print(json.dumps({
    "hash": snapshot.inputs_hash,
    "previous": {r.name: r.previous_rank for r in document.build(new).rows()},
    "units": sum(s.units.count() for s in ReviewSession.objects.all()),
    "names": sorted({(u.name, u.category.name) for s in ReviewSession.objects.all()
                     for u in s.units.select_related("category")}),
}, ensure_ascii=False))
"""

AFTER = """
import json
from django.contrib.auth.models import User
from org.models import District, Membership, OrgUnit
from scoring import document
from sessions.models import RaterGroup, ReviewSession, Unit
new = ReviewSession.objects.get(slug="annual-2026")
print(json.dumps({
    "previous": {r.name: r.previous_rank for r in document.build(new).rows()},
    "districts": list(District.objects.values_list("name", flat=True)),
    "sessions_outside": ReviewSession.objects.exclude(district=District.objects.get()).count(),
    "units": Unit.objects.count(),
    "unlinked": Unit.objects.filter(org_unit__isnull=True).count(),
    "org_units": sorted([u.name, u.category] for u in OrgUnit.objects.all()),
    "same_unit": Unit.objects.filter(name="古荥镇").values("org_unit").distinct().count(),
    "leaders": sorted(RaterGroup.objects.filter(is_leaders=True).values_list("name", flat=True)),
    "staff": sorted([m.user.username, m.role] for m in Membership.objects.select_related("user")),
    "superusers": list(User.objects.filter(is_superuser=True).values_list("username", flat=True)),
}, ensure_ascii=False))
"""


def _database(tmp_path):
    """A database for the two runs, and a function that drops it."""
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.settings_dict
        name = f"huiji_migration_{uuid.uuid4().hex[:12]}"
        admin = f"host={params['HOST']} port={params['PORT'] or 5432} user={params['USER']}"
        if params["PASSWORD"]:
            admin += f" password={params['PASSWORD']}"
        with psycopg.connect(admin + " dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(admin + " dbname=postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        user = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
        url = f"postgres://{user}@{params['HOST']}:{params['PORT'] or 5432}/{name}"
        return url, drop
    return f"sqlite:///{tmp_path / 'before.sqlite3'}", lambda: None


def _manage(tree: Path, url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "huiji_review.settings"}
    env.pop("PYTHONPATH", None)  # each tree imports its own code first (the working directory)
    done = subprocess.run(  # noqa: S603  (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.skipif(GIT is None or not (ROOT / ".git").exists(), reason="needs the git history")
def test_a_demo_made_before_districts_migrates_forward_with_nothing_lost(tmp_path):
    step = subprocess.run(  # noqa: S603
        [GIT, "rev-list", "-1", "HEAD", "--", STEP], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if not step:
        pytest.skip("the migration is not committed yet")
    old_tree = tmp_path / "before"
    old_tree.mkdir()
    archive = subprocess.run(  # noqa: S603
        [GIT, "archive", f"{step}^"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive, check=True)  # noqa: S603, S607
    assert not (old_tree / STEP).exists()

    url, drop = _database(tmp_path)
    try:
        _manage(old_tree, url, "migrate", "--noinput", "-v0")
        _manage(old_tree, url, "createcachetable")
        _manage(old_tree, url, "seed_demo")
        before = json.loads(_manage(old_tree, url, "shell", "-c", BEFORE).strip().splitlines()[-1])

        _manage(ROOT, url, "migrate", "--noinput", "-v0")
        verified = _manage(ROOT, url, "verify_result", "demo-2025-annual")
        after = json.loads(_manage(ROOT, url, "shell", "-c", AFTER).strip().splitlines()[-1])
    finally:
        drop()

    # The published result verifies, with the SHA-256 it was published with.
    assert f"存档 SHA-256 / stored:     {before['hash']}" in verified
    assert f"重算 SHA-256 / recomputed: {before['hash']}" in verified
    assert verified.strip().endswith("OK")
    # Last year's rank on every card of the next year's session, as before.
    assert after["previous"] == before["previous"]
    assert sum(1 for rank in before["previous"].values() if rank) >= 30
    # Every session in the one district; every unit kept and linked; one OrgUnit for each name
    # and category, shared by the sessions that list it.
    assert after["districts"] == [settings.HUIJI_DISTRICT_NAME]
    assert after["sessions_outside"] == 0
    assert (after["units"], after["unlinked"]) == (before["units"], 0)
    assert sorted(map(list, before["names"])) == after["org_units"]
    assert after["same_unit"] == 1
    # The tie-break's group is flagged, in each session that has it.
    assert set(after["leaders"]) == {"县级领导"} and len(after["leaders"]) >= 2
    # The demo's staff keep their roles, now in the district; the superuser needs none.
    assert after["staff"] == [
        ["moderator", "moderator"],
        ["observer", "observer"],
        ["organiser", "organiser"],
    ]
    assert after["superusers"] == ["admin"]
