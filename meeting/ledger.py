"""The meeting's 督办事项 on the unit's ledger (docs/targets.md, "The ledger (台账)").

Connected to ``org.ledger.open_commitments`` in ``MeetingConfig.ready``: the ledger, drawn up
by ``targets``, lists a unit's open commitments from every review session of its district
beside its targets' notices, overdue reports and red lights. Only a session's unit that
stands for a persistent unit (``Unit.org_unit``) reaches a ledger.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from core.colours import Colour
from org.ledger import Commitment

from .models import FollowUp


def open_follow_ups(*, district, year, org_unit_ids, today, **_kwargs) -> list[Commitment]:
    """The district's 督办事项 not done, made at a review held in ``year`` or before (its
    session's date, else when it was entered), whatever their due date: like an open notice,
    an open commitment stays on the ledger until it is done. One query."""
    items = FollowUp.objects.filter(
        Q(session__date__year__lte=year)
        | Q(session__date__isnull=True, created_at__year__lte=year),
        session__district=district,
        done_at__isnull=True,
        unit__org_unit__isnull=False,
    )
    if org_unit_ids is not None:
        items = items.filter(unit__org_unit_id__in=org_unit_ids)
    rows = []
    for item in items.select_related("session", "unit").order_by("due_date", "pk"):
        overdue = item.due_date < today
        rows.append(
            Commitment(
                org_unit_id=item.unit.org_unit_id,
                source=item.session.title,
                title=item.title,
                due_date=item.due_date,
                colour=Colour.RED if overdue else item.colour,
                overdue=overdue,
                url=reverse("meeting:follow_up_detail", args=[item.session.slug, item.pk]),
            )
        )
    return rows
