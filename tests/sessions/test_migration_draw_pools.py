"""Migration 0005 (draw pools and drawing party) carries recorded draws forward: a draw made
before it still re-runs to its recorded result."""

import random

import pytest
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor

from sessions import draw_services
from sessions.models import Draw

BEFORE = [("review", "0004_anonymous_ballots_forget_their_unit")]
AFTER = [("review", "0005_draw_pools_and_drawing_party")]


@pytest.mark.django_db(transaction=True)
def test_draws_recorded_before_pools_still_reproduce_after_the_migration():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
    except IrreversibleError as exc:  # a later migration cannot be undone: nothing to check
        pytest.skip(f"cannot migrate back to before 0005: {exc}")
    old_apps = executor.loader.project_state(BEFORE).apps
    session = old_apps.get_model("review", "ReviewSession").objects.create(
        slug="old-draw", title="2025年年中述职讲评", year=2025, kind="midyear"
    )
    pool = ["发改局", "司法局", "教育局", "民政局", "财政局"]
    old_apps.get_model("review", "Draw").objects.create(
        session=session,
        kind="participants",
        seed="830412775163",
        pool=pool,
        pool_categories=["政府部门"],
        count=3,
        result=random.Random("830412775163").sample(pool, 3),
        algorithm="python3-random-sample-v1",
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    draw = Draw.objects.get(session__slug="old-draw")
    assert (draw.pools, draw.drawn_by, draw.count) == ([], "", 3)
    assert draw_services.draw_reproduce(draw) == draw.result
