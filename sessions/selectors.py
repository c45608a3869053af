"""Reads that join or aggregate (STYLE.md): views call these, templates never query in loops."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch

from .models import AuditLog, Draw, Participant, RaterGroup, Report, ReviewSession, UnitCategory


def sessions_for_user(user):
    return ReviewSession.objects.annotate(
        participant_count=Count("participants", distinct=True),
    ).order_by("-year", "-date", "-id")


@dataclass(frozen=True)
class WeightLine:
    group: RaterGroup
    share: Decimal  # renormalised share in percent, 2 decimals


def weight_lines(groups: list[RaterGroup]) -> list[WeightLine]:
    """Each group's share of the 综合评议 score: w_g / Σ w (DESIGN.md section 4.5)."""
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
    terms = " + ".join(f"{g.name}得分×{g.weight.normalize():f}" for g in groups)
    return f"综合评议得分 = ({terms}) ÷ {total.normalize():f}"


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


def audit_entries(session: ReviewSession):
    return AuditLog.objects.filter(session=session).select_related("actor")


def draw_for_session(session: ReviewSession, pk: int) -> Draw:
    return session.draws.get(pk=pk)
