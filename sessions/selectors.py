"""Reads that join or aggregate (STYLE.md): views call these, templates never query in loops."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from org import access

from .models import AuditLog, Draw, Participant, RaterGroup, Report, ReviewSession, UnitCategory


def sessions_for_user(user):
    """The sessions of the districts where the user has a role (docs/design.md, "Users and
    roles"), newest first."""
    return (
        ReviewSession.objects.filter(district__in=access.visible_districts(user))
        .select_related("district")
        .annotate(participant_count=Count("participants", distinct=True))
        .order_by("-year", "-date", "-id")
    )


@dataclass(frozen=True)
class WeightLine:
    group: RaterGroup
    share: Decimal  # renormalised share in percent, 2 decimals


def weight_lines(groups: list[RaterGroup]) -> list[WeightLine]:
    """Each group's share of the 综合评议 score: w_g / Σ w (docs/design.md §4.5)."""
    total = sum((g.weight for g in groups), Decimal(0))
    lines = []
    for g in groups:
        share = (g.weight * 100 / total) if total else Decimal(0)
        lines.append(WeightLine(group=g, share=share.quantize(Decimal("0.01"), ROUND_HALF_UP)))
    return lines


def weight_formula(groups: list[RaterGroup]) -> str:
    """The 综合评议 formula in words, e.g. 综合评议得分 = (县级领导×40 + 区直部门×20) ÷ 60."""
    if not groups:
        return ""
    total = sum((g.weight for g in groups), Decimal(0))
    terms = " + ".join(
        _("%(group)s得分×%(weight)s") % {"group": g.name, "weight": f"{g.weight.normalize():f}"}
        for g in groups
    )
    return _("综合评议得分 = (%(terms)s) ÷ %(total)s") % {
        "terms": terms,
        "total": f"{total.normalize():f}",
    }


def categories_with_units(session: ReviewSession) -> list[UnitCategory]:
    participants = {p.unit_id: p for p in session.participants.all()}
    categories = list(session.categories.prefetch_related("units"))
    for category in categories:
        for unit in category.units.all():
            unit.participant = participants.get(unit.pk)
    return categories


def participants_with_reports(session: ReviewSession) -> list[Participant]:
    return list(
        session.participants.select_related("unit__category").prefetch_related(
            Prefetch("reports", queryset=Report.objects.prefetch_related("attachments"))
        )
    )


def session_overview(session: ReviewSession) -> dict:
    # Separate small counts: one query joining five tables would multiply rows.
    return {
        "units": session.units.count(),
        "participants": session.participants.count(),
        "drawn": session.participants.filter(how=Participant.How.DRAWN).count(),
        "groups": session.rater_groups.count(),
        "credentials": session.credentials.count(),
        "ballots": session.ballots.count(),
    }


def recent_draws(session: ReviewSession):
    return session.draws.select_related("created_by").order_by("-created_at", "-id")


# The actor_label core.audit writes when no person acted (commands, automatic steps).
SYSTEM_ACTOR = "system"


def audit_entries(
    session: ReviewSession,
    *,
    kind: str = "",
    actor_label: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """The session's audit entries, newest first, narrowed by kind of action (the part of the
    action code before the dot, e.g. ``draw``), by actor and by a range of local dates. The date
    bounds are turned into instants so that PostgreSQL can use the (session, created_at) index
    instead of converting every row's time zone."""
    entries = AuditLog.objects.filter(session=session).select_related("actor")
    if kind:
        entries = entries.filter(action__startswith=f"{kind}.")
    if actor_label:
        entries = entries.filter(actor_label=actor_label)
    zone = timezone.get_current_timezone()
    if date_from:
        start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
        entries = entries.filter(created_at__gte=start)
    if date_to:
        end = datetime.datetime.combine(
            date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        entries = entries.filter(created_at__lt=end)
    return entries


def audit_actors(session: ReviewSession) -> list[tuple[str, str]]:
    """(login name, display name) of everyone in the session's audit log, by display name. Read
    from the log's own text so that a deleted account can still be chosen."""
    labels = set(
        AuditLog.objects.filter(session=session)
        .order_by()
        .values_list("actor_label", flat=True)
        .distinct()
    )
    users = get_user_model().objects.filter(username__in=labels)
    names = {u.username: u.get_full_name() or u.username for u in users}
    names[SYSTEM_ACTOR] = _("系统")
    return sorted(((label, names.get(label, label)) for label in labels), key=lambda a: a[1])


def draw_for_session(session: ReviewSession, pk: int) -> Draw:
    return session.draws.get(pk=pk)


# ---------------------------------------------------------------- credentials (评议码)

# Imported here rather than at the top so that this section is a pure append (parallel work).
from django.db.models import BooleanField, ExpressionWrapper, Q  # noqa: E402

from .models import Credential  # noqa: E402


@dataclass(frozen=True)
class CredentialCounts:
    """Counts of one rater group's credentials; ``active`` ones are still usable (not revoked,
    no ballot), so issued = active + used + revoked (a used code cannot be revoked)."""

    group: RaterGroup | None  # None for the total row
    issued: int
    active: int
    revoked: int
    used: int


def credential_counts(
    session: ReviewSession, group: RaterGroup | None = None
) -> list[CredentialCounts]:
    """One row per rater group (or only ``group``), then a total row; one query."""
    # During a rehearsal only its 彩排 codes are counted, listed and printed (docs/rehearsal.md).
    kind = Q(credentials__rehearsal=session.in_rehearsal)
    active = Q(credentials__status=Credential.Status.ACTIVE, credentials__submitted_at__isnull=True)
    groups = session.rater_groups.annotate(
        n_issued=Count("credentials", filter=kind),
        n_active=Count("credentials", filter=kind & active),
        n_revoked=Count(
            "credentials", filter=kind & Q(credentials__status=Credential.Status.REVOKED)
        ),
        n_used=Count("credentials", filter=kind & Q(credentials__submitted_at__isnull=False)),
    )
    if group is not None:
        groups = groups.filter(pk=group.pk)
    rows = [
        CredentialCounts(
            group=g, issued=g.n_issued, active=g.n_active, revoked=g.n_revoked, used=g.n_used
        )
        for g in groups
    ]
    total = CredentialCounts(
        group=None,
        issued=sum(r.issued for r in rows),
        active=sum(r.active for r in rows),
        revoked=sum(r.revoked for r in rows),
        used=sum(r.used for r in rows),
    )
    return [*rows, total]


def credentials_for_list(session: ReviewSession, group: RaterGroup | None = None):
    """Credentials with what the organisers' table shows, without a query per row."""
    credentials = (
        session.credentials.filter(rehearsal=session.in_rehearsal)
        .select_related("group", "holder_unit", "reissued_as")
        .annotate(
            used=ExpressionWrapper(Q(submitted_at__isnull=False), output_field=BooleanField())
        )
        .order_by("group__order", "group_id", "id")
    )
    if group is not None:
        credentials = credentials.filter(group=group)
    return credentials


def printable_credentials(
    session: ReviewSession, *, group: RaterGroup | None = None, ids: list[int] | None = None
):
    """Active, unused credentials for the card PDF: all, one group's, or the given ids."""
    credentials = (
        session.credentials.filter(
            status=Credential.Status.ACTIVE,
            submitted_at__isnull=True,
            rehearsal=session.in_rehearsal,
        )
        .select_related("group", "holder_unit")
        .order_by("group__order", "group_id", "id")
    )
    if group is not None:
        credentials = credentials.filter(group=group)
    if ids is not None:
        credentials = credentials.filter(pk__in=ids)
    return credentials
