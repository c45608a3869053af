"""Submitted ballots seen by the organisers: participation per rater group, flagged ballots
and voiding (docs/design.md §4.9, 4.10 and 6).

Anonymity: organisers see counts and flags, never who gave which grades.
Nothing here puts a credential next to a ballot: a ballot is named by the first 8 hex digits
of its random id, and participation is counted per group, where credentials and ballots only
meet as totals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit

from . import lifecycle
from .models import (
    Ballot,
    BallotGrade,
    Credential,
    Criterion,
    Grade,
    RaterGroup,
    ReviewSession,
    Unit,
)

Status = ReviewSession.Status

# A ballot can be voided while it can still change the result: not before rating (there is
# none), not after publication (the snapshot is frozen, section 3).
REASON_MIN_LENGTH = 4
REASON_MAX_LENGTH = 500

# The ballot rules of section 4.9 that flag rather than reject, in words.
FLAG_LABELS = {
    "max_good": gettext_lazy("“好”比例超过上限"),
    "identical": gettext_lazy("所有单位评价相同"),
}


def short_id(ballot: Ballot) -> str:
    """How a ballot is named on screen and in the audit log: random, so it links to no one."""
    return ballot.pk.hex[:8]


def flag_labels(flags: list[str]) -> list[str]:
    return [str(FLAG_LABELS.get(flag, flag)) for flag in flags]


# ---------------------------------------------------------------- voiding (section 4.10)


def void_reason_clean(reason: str) -> str:
    """The written reason: kept with the ballot and shown in the report, so it must say
    something and be plain text."""
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            _("请写明作废理由（至少 %(min)s 个字）。") % {"min": REASON_MIN_LENGTH}
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("作废理由不能超过 %(max)s 个字（现有 %(n)s 个）。")
            % {"max": REASON_MAX_LENGTH, "n": len(reason)}
        )
    if "<" in reason or ">" in reason:
        raise ValidationError(_("作废理由不能包含尖括号“<”或“>”。"))
    return reason


def void_problem(ballot: Ballot, session: ReviewSession | None = None) -> str | None:
    """Why ``ballot`` cannot be voided now, or None when it can."""
    session = session or ballot.session
    if ballot.is_void:
        return _("评议票 %(id)s 已于 %(when)s 作废，不能重复作废。") % {
            "id": short_id(ballot),
            "when": timezone.localtime(ballot.voided_at).strftime("%Y-%m-%d %H:%M"),
        }
    if not lifecycle.can_void_ballots(session):
        return _(
            "评议会状态为“%(status)s”，只有在评议中或评议结束后、结果发布前才能作废评议票。"
        ) % {"status": session.get_status_display()}
    return None


@transaction.atomic
def ballot_void(*, ballot: Ballot, reason: str, actor) -> Ballot:
    """Void a submitted ballot with a written reason: it is kept, marked, left out of scoring
    and listed in the report (docs/design.md §4.10)."""
    reason = void_reason_clean(reason)
    # The session row first, as session_transition locks it: a void cannot race publication.
    session = ReviewSession.objects.select_for_update().get(pk=ballot.session_id)
    locked = (
        Ballot.objects.select_for_update(of=("self",)).select_related("group").get(pk=ballot.pk)
    )
    problem = void_problem(locked, session)
    if problem:
        raise ValidationError(problem)
    locked.void_reason = reason
    locked.voided_at = timezone.now()
    locked.voided_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["void_reason", "voided_at", "voided_by"])
    audit(
        session=session,
        actor=actor,
        action="ballot.void",
        message=_("作废评议票 %(id)s（评议组“%(group)s”）：%(reason)s")
        % {"id": short_id(locked), "group": locked.group.name, "reason": reason},
        ballot=short_id(locked),
        group=locked.group.name,
        source=locked.source,
        reason=reason,
    )
    return locked


# ---------------------------------------------------------------- participation (monitor)


@dataclass(frozen=True)
class Participation:
    """One rater group's participation, or the total row (``group`` None).

    issued: credentials not revoked; opened: of those, forms opened at least once; submitted:
    credentials used for a tablet ballot; tablet / paper: ballots received by source; void:
    ballots voided (they are still counted as received)."""

    group: RaterGroup | None
    issued: int
    opened: int
    submitted: int
    tablet: int
    paper: int
    void: int

    @property
    def received(self) -> int:
        return self.tablet + self.paper

    @property
    def valid(self) -> int:
        return self.received - self.void

    @property
    def submitted_percent(self) -> int:
        # Rounded down: 299 of 300 is 99 %, never a premature 100 %.
        return self.submitted * 100 // self.issued if self.issued else 0

    @property
    def submitted_bar(self) -> int:
        return bar_step(self.submitted, self.issued)

    @property
    def opened_bar(self) -> int:
        return bar_step(self.opened, self.issued)

    def key(self) -> tuple:
        """Everything the monitor shows of this row, for the fragment's ETag."""
        name = self.group.name if self.group else ""
        pk = self.group.pk if self.group else 0
        return (
            pk,
            name,
            self.issued,
            self.opened,
            self.submitted,
            self.tablet,
            self.paper,
            self.void,
        )


def bar_step(part: int, whole: int) -> int:
    """``part / whole`` as a bar width in 5 % steps (a CSS class each: the CSP forbids style
    attributes). A bar is empty only at 0 and full only when complete."""
    if whole <= 0 or part <= 0:
        return 0
    if part >= whole:
        return 100
    step = (part * 20 + whole // 2) // whole * 5
    return min(max(step, 5), 95)


def participation(session: ReviewSession) -> list[Participation]:
    """One row per rater group, in the groups' order, then the total row; two queries (joining
    credentials and ballots in one would multiply the rows)."""
    # While a rehearsal runs, its own codes are the ones that take part (docs/rehearsal.md).
    kind = Q(credentials__rehearsal=session.in_rehearsal)
    active = kind & Q(credentials__status=Credential.Status.ACTIVE)
    groups = (
        RaterGroup.objects.filter(session=session)
        .annotate(
            n_issued=Count("credentials", filter=active),
            n_opened=Count("credentials", filter=active & Q(credentials__opened_at__isnull=False)),
            n_submitted=Count(
                "credentials", filter=kind & Q(credentials__submitted_at__isnull=False)
            ),
        )
        .order_by("order", "id")
    )
    ballots = {
        row["group_id"]: row
        for row in Ballot.objects.filter(session=session)
        .order_by()
        .values("group_id")
        .annotate(
            tablet=Count("pk", filter=Q(source=Ballot.Source.TABLET)),
            paper=Count("pk", filter=Q(source=Ballot.Source.PAPER)),
            void=Count("pk", filter=Q(voided_at__isnull=False)),
        )
    }
    rows = []
    for group in groups:
        counts = ballots.get(group.pk, {})
        rows.append(
            Participation(
                group=group,
                issued=group.n_issued,
                opened=group.n_opened,
                submitted=group.n_submitted,
                tablet=counts.get("tablet", 0),
                paper=counts.get("paper", 0),
                void=counts.get("void", 0),
            )
        )
    total = Participation(
        group=None,
        issued=sum(r.issued for r in rows),
        opened=sum(r.opened for r in rows),
        submitted=sum(r.submitted for r in rows),
        tablet=sum(r.tablet for r in rows),
        paper=sum(r.paper for r in rows),
        void=sum(r.void for r in rows),
    )
    return [*rows, total]


# ---------------------------------------------------------------- flagged and void ballots


def _labelled(ballots) -> list[Ballot]:
    ballots = list(ballots)
    for ballot in ballots:
        ballot.short_id = short_id(ballot)
        ballot.flag_labels = flag_labels(ballot.flags)
    return ballots


def flagged_ballots(session: ReviewSession) -> list[Ballot]:
    """Ballots a rule of section 4.9 flagged, voided or not. The order (group, source, 票号,
    random id) says nothing about when a ballot arrived."""
    return _labelled(
        session.ballots.exclude(flags=[])
        .select_related("group", "voided_by")
        .order_by("group__order", "group_id", "source", "paper_number", "id")
    )


def void_ballots(session: ReviewSession) -> list[Ballot]:
    return _labelled(
        session.ballots.filter(voided_at__isnull=False)
        .select_related("group", "voided_by")
        .order_by("-voided_at", "id")
    )


def ballot_for_session(session: ReviewSession, ballot_id) -> Ballot:
    """Raises Ballot.DoesNotExist for an id of another session."""
    ballot = session.ballots.select_related("group", "holder_unit", "voided_by").get(pk=ballot_id)
    return _labelled([ballot])[0]


@dataclass(frozen=True)
class GradeRow:
    unit: Unit
    grades: list[str]  # one label per criterion (or one), "—" where the ballot has none


def ballot_grades(ballot: Ballot) -> tuple[list[Criterion], list[GradeRow], list[tuple[str, int]]]:
    """The ballot's grades per unit (and criterion), and how many of each grade it gave: what
    an organiser needs to judge a flag. One query."""
    grades = list(
        BallotGrade.objects.filter(ballot=ballot)
        .select_related("unit__category", "criterion")
        # The rating form's order: category, then speaking order (one participation per unit).
        .order_by(
            "unit__category__order",
            "unit__category_id",
            "unit__participations__speaking_order",
            "unit__name",
        )
    )
    criteria = sorted(
        {g.criterion for g in grades if g.criterion is not None},
        key=lambda c: (c.order, c.pk),
    )
    columns = [c.pk for c in criteria] or [None]
    by_cell = {(g.unit_id, g.criterion_id): g.grade for g in grades}
    units = list(dict.fromkeys(g.unit for g in grades))
    rows = [
        GradeRow(
            unit=unit,
            grades=[
                str(Grade(by_cell[(unit.pk, column)]).label)
                if (unit.pk, column) in by_cell
                else "—"
                for column in columns
            ],
        )
        for unit in units
    ]
    tally = Counter(g.grade for g in grades)
    return criteria, rows, [(str(grade.label), tally[grade.value]) for grade in Grade]
