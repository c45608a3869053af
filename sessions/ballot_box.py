"""The ballot box at close: what makes an anonymous ballot unlinkable to its credential once
rating has ended (docs/anonymity.md; docs/design.md §4.13).

While rating runs, a submission writes the ballot and marks its credential used in one
transaction, so both rows carry that transaction's id (PostgreSQL's ``xmin``) and the deleted
drafts stay on disk as dead rows until vacuumed. Closing rating therefore, in the closing
transaction itself (which holds the session row lock every submission shares, so no ballot
is in flight):

1. destroys the drafts of every code that never submitted, after counting them per group for
   the audit entry (the confirmation page showed the same counts);
2. rewrites every anonymous tablet ballot of the session, and its grades, as new rows with new
   random ids in a shuffled order: each now carries the closing transaction's id, their
   physical order says nothing about the order of submission, and no earlier id survives;

and after it commits, ``scrub_storage`` rewrites the tables involved (``VACUUM FULL`` on
PostgreSQL, ``VACUUM`` on SQLite), so the dead rows of the submissions, of the drafts and of
the ballots before the mix are gone from the database files and their indexes.

Paper ballots and named sessions are left as they are: they are not linked to a code in a way
the mix could hide (a paper ballot's number is its own, a named ballot keeps its credential).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from core.audit import audit

from .models import Ballot, BallotGrade, Credential, DraftGrade, RaterGroup, ReviewSession

logger = logging.getLogger(__name__)

Status = ReviewSession.Status


@dataclass(frozen=True)
class UnsubmittedDrafts:
    """Codes of one group opened (or tapped) but never submitted; of them, how many saved
    grades, and how many grades."""

    group: str
    codes: int
    grades: int
    opened: int = 0


def unsubmitted_drafts(session: ReviewSession) -> list[UnsubmittedDrafts]:
    """Per rater group, the codes opened but not submitted and the grades they saved: what
    closing destroys (shown on the confirmation page; counts only, never which code)."""
    rows = (
        DraftGrade.objects.filter(
            credential__session=session, credential__submitted_at__isnull=True
        )
        .values_list("credential__group_id", "credential_id")
        .order_by()
    )
    codes: dict[int, set[int]] = defaultdict(set)
    grades: Counter = Counter()
    for group_id, credential_id in rows:
        codes[group_id].add(credential_id)
        grades[group_id] += 1
    opened: dict[int, set[int]] = defaultdict(set)
    for group_id, credential_id in (
        Credential.objects.filter(
            session=session, opened_at__isnull=False, submitted_at__isnull=True
        )
        .values_list("group_id", "id")
        .order_by()
    ):
        opened[group_id].add(credential_id)
    groups = set(codes) | set(opened)
    names = dict(RaterGroup.objects.filter(pk__in=groups).values_list("pk", "name"))
    return [
        UnsubmittedDrafts(
            group=names[pk],
            codes=len(codes[pk]),
            grades=grades[pk],
            opened=len(codes[pk] | opened[pk]),
        )
        for pk in sorted(groups, key=lambda pk: names[pk])
    ]


def mix(*, session_id: int, ballot_model=Ballot, grade_model=BallotGrade) -> dict[str, str]:
    """Rewrite the session's anonymous tablet ballots and their grades as new rows with new
    ids, inserted in a random order, then delete the old ones. Returns, for voided ballots
    only, old short id → new short id, so the audit trail of a void still finds its ballot.

    Takes the models as arguments so that a migration can run it with its historical models.
    Must run inside the transaction that holds the session's row lock."""
    tablet = ballot_model.objects.filter(
        session_id=session_id, source="tablet", credential__isnull=True
    )
    ballots = list(
        tablet.values("id", "group_id", "flags", "void_reason", "voided_at", "voided_by_id")
    )
    if not ballots:
        return {}
    grades: dict[uuid.UUID, list[tuple]] = defaultdict(list)
    for ballot_id, unit_id, criterion_id, grade in grade_model.objects.filter(
        ballot__in=tablet
    ).values_list("ballot_id", "unit_id", "criterion_id", "grade"):
        grades[ballot_id].append((unit_id, criterion_id, grade))
    secrets.SystemRandom().shuffle(ballots)

    renamed: dict[str, str] = {}
    new_ballots, new_grades = [], []
    for old in ballots:
        new_id = uuid.uuid4()
        if old["voided_at"] is not None:
            renamed[old["id"].hex[:8]] = new_id.hex[:8]
        new_ballots.append(
            ballot_model(
                id=new_id,
                session_id=session_id,
                group_id=old["group_id"],
                holder_unit_id=None,
                credential_id=None,
                source="tablet",
                paper_number="",
                flags=old["flags"],
                void_reason=old["void_reason"],
                voided_at=old["voided_at"],
                voided_by_id=old["voided_by_id"],
            )
        )
        cells = grades[old["id"]]
        # Each ballot's grades in the form's order, whatever order they were written in.
        cells.sort(key=lambda cell: (cell[0], cell[1] or 0))
        new_grades += [
            grade_model(
                id=uuid.uuid4(), ballot_id=new_id, unit_id=unit, criterion_id=criterion, grade=g
            )
            for unit, criterion, g in cells
        ]
    grade_model.objects.filter(ballot__in=tablet).delete()
    # Fetched ids, not the queryset: the new rows must not match the delete.
    ballot_model.objects.filter(pk__in=[old["id"] for old in ballots]).delete()
    ballot_model.objects.bulk_create(new_ballots, batch_size=500)
    grade_model.objects.bulk_create(new_grades, batch_size=2000)
    return renamed


def seal(*, session: ReviewSession, actor) -> None:
    """Everything closing does to the ballot box, inside the closing transaction (the caller
    holds the session's row lock): destroy unsubmitted drafts, mix anonymous ballots, and
    scrub the storage once the transaction has committed."""
    if connection.vendor == "postgresql":
        # Rewriting a large hall's ballots may outlast a request's statement timeout
        # (docs/deployment.md); for this transaction only, it may take what it needs.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
    drafts = unsubmitted_drafts(session)
    DraftGrade.objects.filter(credential__session=session).delete()
    anonymous = session.scheme.anonymous
    renamed = mix(session_id=session.pk) if anonymous else {}
    mixed = (
        Ballot.objects.filter(session=session, source=Ballot.Source.TABLET).count()
        if anonymous
        else 0
    )
    audit(
        session=session,
        actor=actor,
        action="ballot_box.seal",
        message=_(
            "结束评议：销毁未提交评议码的暂存评价 %(codes)s 个评议码共 %(grades)s 项；"
            "匿名评议票 %(mixed)s 张已重新编号并打乱存储顺序。"
        )
        % {
            "codes": sum(d.codes for d in drafts),
            "grades": sum(d.grades for d in drafts),
            "mixed": mixed,
        },
        drafts=[
            {"group": d.group, "codes": d.codes, "grades": d.grades} for d in drafts if d.codes
        ],
        mixed=mixed,
        voided_renamed=renamed,
    )
    transaction.on_commit(lambda: scrub_storage(session_id=session.pk))


def _checkpoint(cursor) -> None:
    """Let PostgreSQL recycle the WAL that recorded the submissions, where the database user
    may (a superuser, or a member of pg_checkpoint); otherwise the next automatic checkpoint
    does it (docs/anonymity.md, "where the promise ends")."""
    cursor.execute(
        "SELECT rolsuper OR pg_has_role(current_user, 'pg_checkpoint', 'MEMBER')"
        " FROM pg_roles WHERE rolname = current_user"
    )
    row = cursor.fetchone()
    if row and row[0]:
        cursor.execute("CHECKPOINT")


# How often, and after what pauses, the rewrite is repeated while rows it had to keep remain.
SCRUB_PAUSES = (0.5, 1.0, 2.0, 4.0)


def _kept_rows(notices: list[tuple[str | None, str | None]]) -> int:
    """Dead rows a ``VACUUM (FULL, VERBOSE)`` had to keep because a snapshot could still see
    them: the first number of its INFO detail ("N dead row versions cannot be removed yet"),
    read by position so that a translated server message reads the same. ``notices`` holds
    each notice's (severity, detail)."""
    kept = 0
    for severity, detail in notices:
        match = re.search(r"\d+", detail or "")
        if severity == "INFO" and match:
            kept += int(match.group())
    return kept


def _vacuum_full(cursor, tables: list[str]) -> int:
    """One ``VACUUM FULL`` of each table; the number of dead rows it had to keep."""
    notices: list[tuple[str | None, str | None]] = []

    def keep(diagnostic):
        # psycopg frees a notice's fields once its handlers return: a Diagnostic kept for
        # later reads None everywhere, and every rewrite would seem to have kept nothing.
        notices.append((diagnostic.severity_nonlocalized, diagnostic.message_detail))

    raw = connection.connection
    raw.add_notice_handler(keep)
    try:
        for table in tables:
            cursor.execute(f"VACUUM (FULL, VERBOSE, ANALYZE) {table}")
    finally:
        raw.remove_notice_handler(keep)
    return _kept_rows(notices)


def scrub_storage(*, session_id: int | None = None, audit_success: bool = True) -> bool:
    """Rewrite the ballot, grade and draft tables so no dead row of a submission, a draft or
    a ballot before the mix remains in the database files (docs/anonymity.md, "after close").
    Runs outside any transaction (VACUUM cannot run inside one); True when done. A failure
    is logged and audited, and ``python manage.py scrub_ballot_storage`` runs it again.

    On PostgreSQL a rewrite must keep the dead rows that some open snapshot may still see (an
    ANALYZE by autovacuum after the day's inserts, a backup under way): it is repeated, after
    short pauses, until it kept none. ``audit_success`` off: only a failure is audited (the
    rehearsal's reset, whose own entry already says the storage is rewritten)."""
    session = ReviewSession.objects.filter(pk=session_id).first() if session_id else None
    if connection.in_atomic_block:
        logger.warning("ballot storage not scrubbed: inside a transaction")
        return False
    tables = [
        connection.ops.quote_name(model._meta.db_table)
        for model in (Ballot, BallotGrade, DraftGrade, Credential)
    ]
    kept = 0
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The rewrite waits for the tables' exclusive lock and may take a while on a
                # large installation: the connection's usual timeouts do not apply to it.
                cursor.execute("SET lock_timeout = '60s'")
                cursor.execute("SET statement_timeout = 0")
                try:
                    kept = _vacuum_full(cursor, tables)
                    for pause in SCRUB_PAUSES:
                        if not kept:
                            break
                        time.sleep(pause)
                        kept = _vacuum_full(cursor, tables)
                    _checkpoint(cursor)
                finally:
                    cursor.execute("RESET lock_timeout")
                    cursor.execute("RESET statement_timeout")
            elif connection.vendor == "sqlite":
                cursor.execute("VACUUM")
    except DatabaseError as exc:
        return _scrub_failed(session, exc.__class__.__name__)
    if kept:
        return _scrub_failed(session, f"{kept} dead rows still visible to an open snapshot")
    if not audit_success:
        return True
    audit(
        session=session,
        actor=None,
        action="ballot_box.scrubbed",
        message=_("评议票、评价和暂存评价的存储已重写，不留已删除的旧记录。"),
    )
    return True


def _scrub_failed(session: ReviewSession | None, reason: str) -> bool:
    logger.error("ballot storage not scrubbed: %s", reason)
    audit(
        session=session,
        actor=None,
        action="ballot_box.scrub_failed",
        message=_(
            "评议票存储清理未完成（%(error)s），请稍后运行 python manage.py scrub_ballot_storage。"
        )
        % {"error": reason},
    )
    return False
