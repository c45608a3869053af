"""Hand-written SQL for the rater's hot path: the form page, every tap and the submission.

Why not the ORM here: building and compiling a five-table ``select_related`` query costs about
1.6 ms of CPU, the same read as one SQL statement 0.07 ms, and every rater request needs it
(docs/benchmarks.md, docs/design.md §8: 200 ballots/s on two cores leaves about 10 ms of CPU
per ballot for everything). The statements are built once from the models' own metadata, so a
new column is read without editing them, and values pass through the same database converters
the ORM applies, so the instances are the ones a queryset would give (tests/sessions/test_rater_sql.py
compares them field by field on SQLite and PostgreSQL). Writes go the same way: values are
prepared by each field's own ``get_db_prep_save``.
"""

from __future__ import annotations

import functools
import weakref

from django.db import connection, connections

from .models import (
    Credential,
    Criterion,
    DraftGrade,
    Participant,
    RaterGroup,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)

_CONVERTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# (model, alias, join): the credential with everything its pages show or its checks read.
_CREDENTIAL_JOINS = (
    (Credential, "c", ""),
    (ReviewSession, "s", "JOIN {table} s ON s.id = c.session_id"),
    (ScoringScheme, "x", "LEFT JOIN {table} x ON x.session_id = c.session_id"),
    (RaterGroup, "g", "JOIN {table} g ON g.id = c.group_id"),
    (Unit, "u", "LEFT JOIN {table} u ON u.id = c.holder_unit_id"),
)


@functools.cache
def _credential_statement(vendor: str, for_update: bool):
    """The SELECT, and per model its slice of the row (built once per process)."""
    quote = connection.ops.quote_name
    columns, parts, joins, start = [], [], [], 0
    for model, alias, join in _CREDENTIAL_JOINS:
        fields = model._meta.concrete_fields
        columns += [f"{alias}.{quote(field.column)}" for field in fields]
        cols = [field.get_col(alias) for field in fields]
        parts.append((model, start, [field.attname for field in fields], cols))
        if join:
            joins.append(join.format(table=quote(model._meta.db_table)))
        start += len(fields)
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Credential._meta.db_table)} c "
        f"{' '.join(joins)} WHERE c.{{where}} = %s"
    )
    if for_update and connection.features.has_select_for_update_of:
        # The session row too, shared: closing rating locks it exclusively
        # (sessions/services.session_transition), so a submission either commits before the
        # close begins or waits and then reads the session as closed. Without it a ballot
        # could commit just after the close and still get a receipt (docs/anonymity.md,
        # "closing").
        sql += " FOR UPDATE OF c FOR KEY SHARE OF s"
    return sql, parts, [col for _m, _s, _n, cols in parts for col in cols]


def credential_with_session(*, code: str | None = None, pk: int | None = None, lock=False):
    """The credential with ``code`` (or ``pk``) and its session, scheme, group and holder unit
    already attached, or None. ``lock`` takes the credential's row lock (PostgreSQL), as
    ``select_for_update(of=("self",))`` would, and a shared lock on its session."""
    sql, parts, cols = _credential_statement(connection.vendor, lock)
    sql = sql.format(where="code" if code is not None else "id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [code if code is not None else pk])
        row = cursor.fetchone()
    if row is None:
        return None
    # The converters the ORM would apply (SQLite keeps datetimes, decimals and UUIDs as text),
    # looked up once per database connection: finding them costs more than the query.
    compiler = Credential.objects.none().query.get_compiler(connection=connection)
    wrapper = connections[connection.alias]
    converters = _CONVERTERS.get(wrapper)
    if converters is None:
        converters = _CONVERTERS[wrapper] = compiler.get_converters(cols)
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    objects = {}
    for model, start, names, _cols in parts:
        values = row[start : start + len(names)]
        objects[model] = (
            None if values[0] is None else model.from_db(connection.alias, names, values)
        )
    credential, session = objects[Credential], objects[ReviewSession]
    session.scheme = objects[ScoringScheme]
    credential.session = session
    credential.group = objects[RaterGroup]
    credential.holder_unit = objects[Unit]
    return credential


@functools.cache
def _layout_statement(vendor: str, cross_rating: bool) -> str:
    quote = connection.ops.quote_name

    def table(model):
        return quote(model._meta.db_table)

    return (
        f"SELECT p.unit_id, u.name, u.category_id, k.name, r.id, r.name"
        f" FROM {table(Participant)} p"
        f" JOIN {table(Unit)} u ON u.id = p.unit_id"
        f" JOIN {table(UnitCategory)} k ON k.id = u.category_id"
        f" LEFT JOIN {table(Criterion)} r ON r.session_id = p.session_id"
        f" WHERE p.session_id = %s AND p.unit_id <> %s"
        + (" AND k.side = %s" if cross_rating else "")
        # The ORM's order for the same read: category, speaking order, name; then criteria.
        + f" ORDER BY k.{quote('order')}, k.id, p.speaking_order, u.name, r.{quote('order')}, r.id"
    )


def layout_rows(*, session_id: int, holder_unit_id: int | None, side: str | None):
    """(unit id, unit name, category id, category name, criterion id, criterion name) for every
    cell of a form, in form order; ``side`` keeps only units of that category side (交叉评议)."""
    sql = _layout_statement(connection.vendor, side is not None)
    params = [session_id, holder_unit_id or 0] + ([side] if side is not None else [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _execute(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def draft_rows(*, credential_id: int):
    sql = f"SELECT unit_id, criterion_id, grade FROM {_table(DraftGrade)} WHERE credential_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [credential_id])
        return cursor.fetchall()


def drafts_delete(*, credential_id: int) -> int:
    return _execute(f"DELETE FROM {_table(DraftGrade)} WHERE credential_id = %s", [credential_id])


def credential_mark_opened(*, credential_id: int, at) -> bool:
    """Set ``opened_at`` unless it is set already; True if this call set it."""
    field = Credential._meta.get_field("opened_at")
    sql = f"UPDATE {_table(Credential)} SET opened_at = %s WHERE id = %s AND opened_at IS NULL"
    return _execute(sql, [field.get_db_prep_save(at, connection), credential_id]) == 1


def credential_mark_submitted(*, credential_id: int, at, receipt: str) -> int:
    """Mark an unused credential used, with its receipt; the number of rows changed (0 or 1)."""
    field = Credential._meta.get_field("submitted_at")
    sql = (
        f"UPDATE {_table(Credential)} SET submitted_at = %s, receipt = %s"
        " WHERE id = %s AND submitted_at IS NULL"
    )
    return _execute(sql, [field.get_db_prep_save(at, connection), receipt, credential_id])


def insert(objects: list) -> None:
    """INSERT model instances of one model in one statement, every value prepared by its field
    as ``save()`` would (defaults must already be set: use it for models with client-side
    primary keys, as Ballot and BallotGrade have)."""
    if not objects:
        return
    fields = objects[0]._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [
        field.get_db_prep_save(field.pre_save(obj, True), connection)
        for obj in objects
        for field in fields
    ]
    sql = f"INSERT INTO {_table(type(objects[0]))} ({columns}) VALUES " + ", ".join(
        [row] * len(objects)
    )
    _execute(sql, params)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
