"""Migrations carry an existing database forward with nothing lost, and a published snapshot
still verifies afterwards (docs/anonymity.md, "upgrading").

Each test migrates the review app back to 0003, writes data as the old code stored it (the
schema is the same: 0004 changes data only), migrates forward and checks.
"""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from scoring import services as scoring
from sessions.models import Ballot, BallotGrade, ReviewSession
from tests.factories.scoring import add_ballot, scored_session

pytestmark = pytest.mark.django_db(transaction=True)
Status = ReviewSession.Status


def _later_columns() -> list:
    """Fields of today's review models whose columns a later migration adds (0004 adds none):
    present in the models, missing from the tables at 0003."""
    missing = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in apps.get_app_config("review").get_models():
            if model._meta.db_table not in tables:
                continue
            columns = {
                c.name
                for c in connection.introspection.get_table_description(
                    cursor, model._meta.db_table
                )
            }
            missing += [(model, f) for f in model._meta.local_fields if f.column not in columns]
    return missing


def _migrate_forward() -> None:
    # The columns added for writing are dropped again, so that their migrations add them;
    # first any of today's constraints on them that SQLite's table rebuilds brought along.
    with connection.schema_editor() as editor:
        for model, field in _ADDED:
            for constraint in model._meta.constraints:
                uses = set(getattr(constraint, "fields", ()))
                condition = getattr(constraint, "condition", None)
                if condition is not None:
                    uses |= {c[0] for c in condition.children if isinstance(c, tuple)}
                if field.name in uses and _index_exists(model, constraint.name):
                    editor.remove_constraint(model, constraint)
        # Plain columns first: SQLite drops one by rebuilding the table from today's model,
        # which brings back the indexes on the keys; those are dropped with their key after.
        for model, field in sorted(_ADDED, key=lambda added: added[1].is_relation):
            if field.is_relation:
                table = model._meta.db_table
                with connection.cursor() as cursor:
                    found = connection.introspection.get_constraints(cursor, table)
                for name, info in found.items():
                    if (
                        info["columns"] == [field.column]
                        and info["index"]
                        and not info["primary_key"]
                    ):
                        editor.execute(f"DROP INDEX {editor.quote_name(name)}")
                editor.execute(
                    f"ALTER TABLE {editor.quote_name(table)} "
                    f"DROP COLUMN {editor.quote_name(field.column)}"
                )
            else:
                editor.remove_field(model, field)
    _ADDED.clear()
    call_command("migrate", verbosity=0)


_ADDED: list = []


def _index_exists(model, name: str) -> bool:
    with connection.cursor() as cursor:
        return name in connection.introspection.get_constraints(cursor, model._meta.db_table)


@pytest.fixture
def at_0003():
    call_command("migrate", "review", "0003", verbosity=0)
    # The data is written with today's models: columns added after 0004 are added for the
    # writing (with their defaults) and dropped before migrating forward.
    # A key to another table (a session's district, a unit's OrgUnit) is added as a plain
    # nullable column: SQLite would rebuild the table from today's model for a key, adding
    # every later column at once.
    with connection.schema_editor() as editor:
        for model, field in _later_columns():
            if field.is_relation:
                editor.execute(
                    f"ALTER TABLE {editor.quote_name(model._meta.db_table)} ADD COLUMN "
                    f"{editor.quote_name(field.column)} bigint NULL"
                )
            else:
                editor.add_field(model, field)
            _ADDED.append((model, field))
    yield
    _migrate_forward()


def _grades(session) -> list[tuple]:
    return sorted(
        BallotGrade.objects.filter(ballot__session=session).values_list(
            "ballot__group__name", "unit__name", "grade"
        )
    )


def test_a_published_session_is_left_alone_and_still_verifies(at_0003):
    world = scored_session(
        leaders=["GGFAP", "GFFAA", "FFGAG"], departments=["GA.FF", "AGG.F", "FGA.G"]
    )
    # Old style: the holder unit kept with the ballot, the own unit left out.
    add_ballot(world, world.departments_group, "G.FFA", holder=world.towns[1])
    scoring.result_publish(session=world.session, actor=None)
    before = list(Ballot.objects.values_list("pk", "holder_unit_id").order_by("pk"))
    grades = _grades(world.session)

    _migrate_forward()

    assert list(Ballot.objects.values_list("pk", "holder_unit_id").order_by("pk")) == before
    assert _grades(world.session) == grades
    assert scoring.result_verify(session=world.session).ok


def test_an_unpublished_session_forgets_holder_units_and_pads_the_own_unit(at_0003):
    world = scored_session(status=Status.RATING, leaders=["GGFAP"], departments=["GAGFF"])
    own = world.towns[1]
    tablet = add_ballot(world, world.departments_group, "G.FFA", holder=own)
    paper = add_ballot(
        world, world.departments_group, "GGFF.", holder=world.departments[2], source="paper"
    )
    paper.paper_number = "P001"
    paper.save(update_fields=["paper_number"])
    before = _grades(world.session)

    _migrate_forward()

    assert set(Ballot.objects.values_list("holder_unit_id", flat=True)) == {None}
    # The tablet ballot gets its own unit as 弃权 (its group grades 东风街道 elsewhere); the
    # paper ballot, whose own-unit grade was left out at import, is not padded.
    assert _grades(world.session) == sorted([*before, ("区直部门", own.name, "abstain")])
    assert Ballot.objects.get(pk=tablet.pk).grades.count() == 5
    assert Ballot.objects.get(pk=paper.pk).grades.count() == 4


def test_a_closed_unpublished_session_is_mixed(at_0003):
    world = scored_session(leaders=["GGFAP", "GFFAA", "FFGAG"], departments=["GAGFF"])
    before_ids = set(Ballot.objects.values_list("pk", flat=True))
    grades = _grades(world.session)
    result = scoring.compute(world.session).result.to_dict()

    _migrate_forward()

    assert set(Ballot.objects.values_list("pk", flat=True)).isdisjoint(before_ids)
    assert Ballot.objects.count() == len(before_ids)
    assert _grades(world.session) == grades
    # Same ballots, same result (the ballot ids are new, so only the hash of inputs moves).
    assert scoring.compute(world.session).result.to_dict()["categories"] == result["categories"]
