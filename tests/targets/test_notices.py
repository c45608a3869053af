"""Notices and spot checks (targets/notices.py; docs/targets.md, "Notices (督办单, 警示单,
诫勉谈话)" and "Spot checks (随机抽查)")."""

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from sessions.models import AuditLog
from targets.models import Notice, Report, SpotCheck
from targets.notices import (
    notice_close,
    notice_issue,
    notice_reference,
    spot_check_draw,
    spot_check_recompute,
    spot_check_reproduce,
)
from tests.factories.target_notices import ReportFactory, office_user
from tests.factories.targets import TargetFactory, TargetUnitFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 5, 12, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
DUE = date(2026, 5, 31)


def issue(line, kind=Notice.Kind.SUPERVISE, actor=None, **overrides):
    values = {"reason": "一季度进度滞后", "demand": "5 月底前报送整改情况", "due_date": DUE}
    return notice_issue(target_unit=line, kind=kind, actor=actor, at=AT, **(values | overrides))


def test_notice_issue_numbers_per_district_year_and_kind():
    first, second = TargetUnitFactory(), TargetUnitFactory()
    a = issue(first)
    b = issue(second)
    c = issue(first, Notice.Kind.WARNING)
    other_year = issue(TargetUnitFactory(target=TargetFactory(year=2025)))
    assert [a.number, b.number, c.number, other_year.number] == [1, 2, 1, 1]
    assert (a.district, a.year, a.issued_at) == (first.target.district, 2026, AT)


def test_notice_issue_records_an_audit_entry():
    office = office_user()
    notice = issue(TargetUnitFactory(), actor=office)
    entry = AuditLog.objects.get(action="targets.notice.issue")
    assert (entry.actor, entry.session) == (office, None)
    assert entry.detail["notice"] == notice.pk
    assert entry.detail["year"] == 2026
    assert "督办〔2026〕第 1 号" in entry.message


def test_notice_reference_reads_as_printed():
    notice = issue(TargetUnitFactory())
    assert notice_reference(notice) == "督办〔2026〕第 1 号"


def test_notice_issue_warning_needs_a_supervise_notice_first():
    line = TargetUnitFactory()
    with pytest.raises(ValidationError) as caught:
        issue(line, Notice.Kind.WARNING)
    assert "须先签发过督办单" in caught.value.messages[0]
    assert Notice.objects.count() == 0


def test_notice_issue_admonish_needs_a_warning_first():
    line = TargetUnitFactory()
    issue(line)
    with pytest.raises(ValidationError) as caught:
        issue(line, Notice.Kind.ADMONISH)
    assert "须先签发过警示单" in caught.value.messages[0]
    issue(line, Notice.Kind.WARNING)
    assert issue(line, Notice.Kind.ADMONISH).number == 1


def test_notice_issue_escalation_counts_the_same_unit_and_target_only():
    line = TargetUnitFactory()
    issue(TargetUnitFactory(target=line.target))  # another unit, same target
    with pytest.raises(ValidationError):
        issue(line, Notice.Kind.WARNING)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"demand": ""}, "demand"),
        ({"due_date": date(2026, 5, 1)}, "due_date"),
    ],
)
def test_notice_issue_refuses_missing_reason_demand_or_a_past_due_date(overrides, field):
    with pytest.raises(ValidationError) as caught:
        issue(TargetUnitFactory(), **overrides)
    assert list(caught.value.message_dict) == [field]
    assert Notice.objects.count() == 0


def test_notice_issue_refuses_an_unknown_kind():
    with pytest.raises(ValidationError) as caught:
        issue(TargetUnitFactory(), kind="scold")
    assert caught.value.message_dict == {"kind": ["没有这种督办通知。"]}


def test_notice_close_records_the_note_once():
    office = office_user()
    notice = issue(TargetUnitFactory())
    closed = notice_close(notice=notice, note="已报送整改报告", actor=office, at=AT)
    assert (closed.closed_at, closed.closed_by, closed.close_note) == (AT, office, "已报送整改报告")
    assert AuditLog.objects.filter(action="targets.notice.close").count() == 1
    with pytest.raises(ValidationError) as caught:
        notice_close(notice=notice, note="再次销号", actor=office)
    assert "已于" in caught.value.messages[0]
    notice.refresh_from_db()
    assert notice.close_note == "已报送整改报告"


def test_notice_close_requires_a_note():
    notice = issue(TargetUnitFactory())
    with pytest.raises(ValidationError) as caught:
        notice_close(notice=notice, note=" ", actor=None)
    assert caught.value.message_dict == {"note": ["请填写销号说明。"]}
    notice.refresh_from_db()
    assert notice.closed_at is None


# ------------------------------------------------------------------------ spot checks


def accepted_reports(n, month=3, **kwargs):
    target = TargetFactory()
    return [
        ReportFactory(target_unit=TargetUnitFactory(target=target), month=month, **kwargs)
        for _ in range(n)
    ]


def test_spot_check_draw_records_pool_seed_and_draw():
    reports = accepted_reports(6)
    ReportFactory(target_unit=reports[0].target_unit, month=6)  # another period
    ReportFactory(month=3, status=Report.Status.SUBMITTED)  # not accepted
    ReportFactory(month=3, status=Report.Status.RETURNED)
    district = reports[0].target_unit.target.district
    check = spot_check_draw(
        district=district, year=2026, month=3, count=2, actor=None, seed="20260512", at=AT
    )
    pool = sorted(r.pk for r in reports)
    assert check.pool == pool
    assert check.drawn == random.Random("20260512").sample(pool, 2)
    assert (check.seed, check.month, check.drawn_at) == ("20260512", 3, AT)
    entry = AuditLog.objects.get(action="targets.spot_check.draw")
    assert entry.detail["drawn"] == check.drawn


def test_spot_check_draw_is_reproducible_from_seed_and_pool():
    reports = accepted_reports(10)
    district = reports[0].target_unit.target.district
    first = spot_check_draw(district=district, year=2026, month=3, count=4, actor=None, seed="s1")
    again = spot_check_draw(district=district, year=2026, month=3, count=4, actor=None, seed="s1")
    assert first.drawn == again.drawn
    assert spot_check_reproduce(first) == first.drawn
    # The pool's order as given does not matter: it is sorted first.
    assert spot_check_recompute(pool=list(reversed(first.pool)), count=4, seed="s1") == first.drawn


def test_spot_check_draw_makes_a_seed_when_none_is_given():
    reports = accepted_reports(3)
    district = reports[0].target_unit.target.district
    check = spot_check_draw(district=district, year=2026, month=3, count=3, actor=None)
    assert len(check.seed) == 16
    assert sorted(check.drawn) == check.pool
    assert spot_check_reproduce(check) == check.drawn


def test_spot_check_draw_refuses_an_empty_period_and_too_many():
    reports = accepted_reports(2)
    district = reports[0].target_unit.target.district
    with pytest.raises(ValidationError) as caught:
        spot_check_draw(district=district, year=2026, month=4, count=1, actor=None)
    assert "没有已审核的填报" in caught.value.messages[0]
    with pytest.raises(ValidationError) as caught:
        spot_check_draw(district=district, year=2026, month=3, count=3, actor=None)
    assert list(caught.value.message_dict) == ["count"]
    assert SpotCheck.objects.count() == 0
