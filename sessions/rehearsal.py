"""彩排 (rehearsal mode): run the whole session the day before, then put it back exactly as it
was (docs/rehearsal.md).

Starting a rehearsal (only from ``ready``) serialises the session row and every row hanging off
it (found by following the models' non-null foreign keys to ReviewSession, so a model added
later is covered without editing this file), keeps that in a Rehearsal row, and issues a few
彩排 codes per rater group. While it runs, only those codes rate, ask and vote; real codes are
refused (sessions/rating.rating_state, meeting/questions.ask_problem), new real codes cannot be
issued, and nothing can be published.

The reset deletes every row of the session's models and writes the serialised rows back with
their own ids, in one transaction (foreign keys are checked at commit, so the order of the
writes does not matter). Whatever the rehearsal created, changed or removed is therefore back
as it was: codes, ballots (mixed or not), drafts, paper ballots, questions, votes, follow-ups,
the stage and agenda timers, result snapshots. Audit entries written during the rehearsal are
removed from the session's log and counted, by action, in the one ``rehearsal.reset`` entry
(docs/rehearsal.md explains why).
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import dataclass

from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit

from . import lifecycle
from .credentials import _create_with_unique_code
from .guards import lock_session
from .models import AuditLog, Ballot, Credential, DraftGrade, Rehearsal, ReviewSession

Status = ReviewSession.Status

CODES_PER_GROUP = 3
MAX_CODES_PER_GROUP = 50


# ---------------------------------------------------------------- the session's models


def session_models() -> list[tuple[type[models.Model], str]]:
    """Every model whose rows belong to one session, with the lookup from it to the session,
    deepest first (a row is found through its parent, so children are deleted first).

    Only non-null foreign keys are followed: a row reached through one always belongs to
    that session. The session row itself, the rehearsal and the audit log are handled apart."""
    skip = {ReviewSession, Rehearsal, AuditLog}
    candidates = [m for m in apps.get_models() if m not in skip]
    paths: dict[type[models.Model], str] = {}
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in paths:
                continue
            for field in model._meta.concrete_fields:
                if not field.is_relation or field.null:
                    continue
                target = field.related_model
                if target is ReviewSession:
                    path = field.name
                elif target in paths and target is not model:
                    path = f"{field.name}__{paths[target]}"
                else:
                    continue
                paths[model] = path
                changed = True
                break
    return sorted(paths.items(), key=lambda item: (-item[1].count("__"), item[0]._meta.label_lower))


def _rows(model, path: str, session_id: int):
    return model._default_manager.filter(**{path: session_id}).order_by("pk")


class _Exact(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; the reset must give back the very value."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _serialise(queryset) -> list[dict]:
    # Through JSON, so that what is kept is exactly what the JSON field will give back.
    return json.loads(json.dumps(serializers.serialize("python", queryset), cls=_Exact))


def take_snapshot(session: ReviewSession) -> dict:
    rows = []
    for model, path in session_models():
        rows += _serialise(_rows(model, path, session.pk))
    return {
        "session": _serialise(ReviewSession.objects.filter(pk=session.pk)),
        "rows": rows,
    }


@dataclass(frozen=True)
class ModelChange:
    """What the reset undoes in one model: rows the rehearsal added, changed and removed."""

    label: str
    name: str
    added: int
    changed: int
    removed: int


def changes(session: ReviewSession, rehearsal: Rehearsal) -> list[ModelChange]:
    """Per model, what differs from the start of the rehearsal (the confirmation page and the
    reset entry show the same list)."""
    before: dict[str, dict[str, dict]] = {}
    for row in rehearsal.snapshot["rows"]:
        before.setdefault(row["model"], {})[str(row["pk"])] = row
    found = []
    # The session's own details (title, date, venue) edited meanwhile: the reset puts them back
    # too. Its status and timestamps are the rehearsal's own doing.
    own = {"status", "updated_at", "rehearsal_started_at"}
    then = rehearsal.snapshot["session"][0]["fields"]
    now = _serialise(ReviewSession.objects.filter(pk=session.pk))[0]["fields"]
    if any(now[key] != then.get(key) for key in now if key not in own):
        found.append(
            ModelChange(
                label="review.reviewsession",
                name=str(ReviewSession._meta.verbose_name),
                added=0,
                changed=1,
                removed=0,
            )
        )
    for model, path in sorted(session_models(), key=lambda item: item[0]._meta.label_lower):
        now = {str(row["pk"]): row for row in _serialise(_rows(model, path, session.pk))}
        then = before.get(model._meta.label_lower, {})
        added = len(now.keys() - then.keys())
        removed = len(then.keys() - now.keys())
        changed = sum(1 for pk in now.keys() & then.keys() if now[pk] != then[pk])
        if added or removed or changed:
            found.append(
                ModelChange(
                    label=model._meta.label_lower,
                    name=str(model._meta.verbose_name),
                    added=added,
                    changed=changed,
                    removed=removed,
                )
            )
    return found


# What a rehearsal itself is expected to touch: the day's codes, ballots, stage and questions.
# A change anywhere else (其他考核, 重点项目, reports, …) was more likely real work done while
# the rehearsal ran, which the reset would undo too: the confirmation page names it apart.
REHEARSAL_MODELS = frozenset(
    {
        "review.credential",
        "review.ballot",
        "review.ballotgrade",
        "review.draftgrade",
        "meeting.stage",
        "meeting.agendaitem",
        "meeting.question",
        "meeting.satisfactionvote",
        "meeting.followup",
        "meeting.followupupdate",
        "scoring.resultsnapshot",
    }
)


def other_work(found: list[ModelChange]) -> list[ModelChange]:
    """The changes outside what a rehearsal is expected to touch."""
    return [change for change in found if change.label not in REHEARSAL_MODELS]


def audit_entries(session: ReviewSession, rehearsal: Rehearsal):
    """The session's audit entries written since the rehearsal started."""
    return AuditLog.objects.filter(session=session, pk__gt=rehearsal.audit_mark)


def current(session: ReviewSession) -> Rehearsal | None:
    return Rehearsal.objects.filter(session=session).first()


# ---------------------------------------------------------------- start


def start_problems(session: ReviewSession) -> list[str]:
    """Why a rehearsal cannot start now; empty when it can."""
    if session.in_rehearsal:
        return [_("彩排已经开始。")]
    if not lifecycle.can_rehearse(session):
        return [
            _("只有“%(ready)s”状态的评议会可以彩排（当前：%(status)s）。")
            % {"ready": Status.READY.label, "status": session.get_status_display()}
        ]
    problems = []
    if Ballot.objects.filter(session=session).exists():
        problems.append(_("已有评议票，不能彩排。"))
    if not session.rater_groups.exists():
        problems.append(_("还没有评议组，无法发放彩排评议码。"))
    return problems


@transaction.atomic
def rehearsal_start(
    *, session: ReviewSession, actor, codes_per_group: int = CODES_PER_GROUP
) -> Rehearsal:
    """Start a rehearsal of a ``ready`` session: keep its rows as they are now, then issue
    ``codes_per_group`` 彩排 codes to every rater group."""
    given, session = session, lock_session(session)
    problems = start_problems(session)
    if problems:
        raise ValidationError(problems)
    if not 1 <= codes_per_group <= MAX_CODES_PER_GROUP:
        raise ValidationError(
            _("每个评议组的彩排评议码须在 1 到 %(max)s 个之间。") % {"max": MAX_CODES_PER_GROUP}
        )
    now = timezone.now()
    rehearsal = Rehearsal.objects.create(
        session=session,
        started_at=now,
        started_by=actor if getattr(actor, "pk", None) else None,
        started_by_label=getattr(actor, "username", None) or (str(actor) if actor else "system"),
        audit_mark=AuditLog.objects.aggregate(mark=Max("pk"))["mark"] or 0,
        snapshot=take_snapshot(session),
    )
    # Only the new field: updated_at stays as it was, so the reset has nothing to undo there.
    ReviewSession.objects.filter(pk=session.pk).update(rehearsal_started_at=now)
    session.rehearsal_started_at = given.rehearsal_started_at = now
    groups = list(session.rater_groups.all())
    for group in groups:
        for _n in range(codes_per_group):
            _create_with_unique_code(session=session, group=group, rehearsal=True)
    audit(
        session=session,
        actor=actor,
        action="rehearsal.start",
        message=_("开始彩排：每个评议组发放 %(n)s 个彩排评议码，真实评议码暂停使用。")
        % {"n": codes_per_group},
        codes=codes_per_group * len(groups),
    )
    return rehearsal


# ---------------------------------------------------------------- reset


def _change_words(found: list[ModelChange]) -> str:
    parts = []
    for change in found:
        bits = []
        if change.added:
            bits.append(_("新增 %(n)s") % {"n": change.added})
        if change.changed:
            bits.append(_("改动 %(n)s") % {"n": change.changed})
        if change.removed:
            bits.append(_("删除 %(n)s") % {"n": change.removed})
        parts.append(f"{change.name} {'/'.join(bits)}")
    return "；".join(parts) or _("无")


def _files_of_removed_rows(session: ReviewSession, snapshot: dict) -> list:
    """Stored files of rows the rehearsal added (attachments, evidence): deleted after the
    reset commits, since no restored row points at them."""
    kept = {(row["model"], str(row["pk"])) for row in snapshot["rows"]}
    files = []
    for model, path in session_models():
        file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if not file_fields:
            continue
        for obj in _rows(model, path, session.pk):
            if (model._meta.label_lower, str(obj.pk)) in kept:
                continue
            files += [getattr(obj, f.attname) for f in file_fields if getattr(obj, f.attname)]
    return files


@transaction.atomic
def rehearsal_reset(*, session: ReviewSession, actor) -> AuditLog:
    """结束彩排并恢复: put the session and every row hanging off it back as they were when the
    rehearsal started, remove the rehearsal's audit entries, and write one ``rehearsal.reset``
    entry that counts what was undone."""
    given, session = session, lock_session(session)
    rehearsal = current(session)
    if rehearsal is None or not session.in_rehearsal:
        raise ValidationError(_("评议会没有在彩排，无需恢复。"))
    found = changes(session, rehearsal)
    codes = Credential.objects.filter(session=session, rehearsal=True).count()
    ballots = Ballot.objects.filter(session=session).count()
    drafts = DraftGrade.objects.filter(credential__session=session).exists()
    files = _files_of_removed_rows(session, rehearsal.snapshot)
    entries = audit_entries(session, rehearsal)
    actions = Counter(entries.values_list("action", flat=True))
    started_at, started_by = rehearsal.started_at, rehearsal.started_by_label
    # Closing destroys drafts and a ballot may have come and gone: whether rating ever ran.
    rating_reached = session.status in (Status.RATING, Status.CLOSED)

    # Delete every row of the session's models, children first, then write back the rows as
    # they were. Foreign keys are deferred to commit on PostgreSQL and SQLite alike, so rows
    # pointing at each other (a merged question, a reissued code) come back in any order.
    for model, path in session_models():
        _rows(model, path, session.pk)._raw_delete(using=model._default_manager.db)
    snapshot = rehearsal.snapshot
    for restored in serializers.deserialize("python", snapshot["rows"]):
        restored.save(force_insert=True)
    # The session row last: its status, timestamps and rehearsal_started_at (empty then).
    for restored in serializers.deserialize("python", snapshot["session"]):
        restored.save(force_update=True)
    removed_entries = entries.count()
    entries.delete()
    Rehearsal.objects.filter(pk=rehearsal.pk).delete()
    session.refresh_from_db()
    if given is not session:
        given.refresh_from_db()

    ended_at = timezone.now()
    entry = audit(
        session=session,
        actor=actor,
        action="rehearsal.reset",
        message=_(
            "结束彩排并恢复到彩排前的状态（彩排 %(start)s 由 %(by)s 开始）：删除彩排评议码 "
            "%(codes)s 个、评议票 %(ballots)s 张；%(changes)s；彩排期间的审计记录 %(entries)s "
            "条已并入本条。"
        )
        % {
            "start": timezone.localtime(started_at).strftime("%Y-%m-%d %H:%M"),
            "by": started_by,
            "codes": codes,
            "ballots": ballots,
            "changes": _change_words(found),
            "entries": removed_entries,
        },
        started_at=started_at,
        started_by=started_by,
        ended_at=ended_at,
        rehearsal_codes=codes,
        ballots=ballots,
        changes=[
            {"model": c.label, "added": c.added, "changed": c.changed, "removed": c.removed}
            for c in found
        ],
        audit_entries=removed_entries,
        audit_actions=dict(sorted(actions.items())),
    )

    def after_commit():
        for stored in files:
            stored.storage.delete(stored.name)
        if ballots or drafts or rating_reached:
            # The rehearsal's ballots and drafts, mixed or not, leave no dead rows behind
            # (docs/anonymity.md, "closing"): the same rewrite as after a close.
            from .ballot_box import scrub_storage

            scrub_storage(session_id=session.pk, audit_success=False)

    transaction.on_commit(after_commit)
    return entry
