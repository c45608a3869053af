"""Reports, notices and the users of the supervising office, for the notices, the ledger and
the spot checks (targets/notices.py, targets/ledger.py)."""

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from org.access import Role
from targets.line_state import refresh_lines
from targets.models import Notice, Report

from . import UserFactory
from .targets import TargetUnitFactory


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report
        skip_postgeneration_save = True

    target_unit = factory.SubFactory(TargetUnitFactory)
    month = 3
    value = Decimal(50)
    status = Report.Status.ACCEPTED
    submitted_at = factory.LazyFunction(timezone.now)
    return_reason = factory.Maybe(
        factory.LazyAttribute(lambda r: r.status == Report.Status.RETURNED),
        yes_declaration="佐证材料不全",
        no_declaration="",
    )

    @factory.post_generation
    def stored_state(obj, create, extracted, **kwargs):
        # Made directly, not by the services: its line's stored state as they keep it
        # (docs/targets.md, "Stored scores").
        if create:
            refresh_lines([obj.target_unit_id])


class NoticeFactory(factory.django.DjangoModelFactory):
    """A notice stored as it is; issuing one goes through targets.notices.notice_issue."""

    class Meta:
        model = Notice

    target_unit = factory.SubFactory(TargetUnitFactory)
    kind = Notice.Kind.SUPERVISE
    number = factory.Sequence(lambda n: n + 1)
    reason = "进度滞后"
    demand = "限期整改"
    due_date = date(2026, 12, 31)
    issued_at = factory.LazyFunction(timezone.now)
    district = factory.SelfAttribute("target_unit.target.district")
    year = factory.SelfAttribute("target_unit.target.year")


def office_user(username="office", district=None):
    """A user of the supervising office (督查室) of ``district`` (the installation's)."""
    return UserFactory(username=username, role=Role.OFFICE, role__district=district)
