"""The reporting workflow's services (targets/reports.py; docs/targets.md, "Reports (目标填报)")."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.audit import audit_log_model
from targets import reports
from targets.models import Report, ReportEvent, ReportFile, Target, TargetYear
from targets.scores import accepted_values
from tests.factories.target_reports import local, office_of, pdf_upload, submitted
from tests.factories.targets import TargetFactory, TargetUnitFactory

pytestmark = pytest.mark.django_db

ON_TIME = local(2026, 4, 8)  # Q1 falls due on 10 April
LATE = local(2026, 4, 11)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def line():
    return TargetUnitFactory(target=TargetFactory(code="2.4", title="新增停车泊位", goal=4000))


@pytest.fixture
def office():
    return office_of(username="office")


def state():
    """Everything a refused call must leave as it was."""
    return (
        list(Report.objects.values().order_by("pk")),
        ReportFile.objects.count(),
        ReportEvent.objects.count(),
        audit_log_model().objects.count(),
    )


def refused(call, **kwargs) -> str:
    before = state()
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    assert state() == before
    return " ".join(error.value.messages)


def events(report):
    return list(
        report.events.order_by("at", "pk").values_list(
            "action", "value", "previous_value", "reason"
        )
    )


# ---------------------------------------------------------------------------- due dates


def test_due_date_is_the_due_day_of_the_month_after():
    assert reports.due_date(year=2026, month=3, due_day=10) == datetime.date(2026, 4, 10)
    assert reports.due_date(year=2026, month=11, due_day=5) == datetime.date(2026, 12, 5)


def test_due_date_of_december_is_in_january_of_the_next_year():
    assert reports.due_date(year=2026, month=12, due_day=10) == datetime.date(2027, 1, 10)


# ---------------------------------------------------------------------------- submit


def test_report_submit_stores_the_report_its_file_event_and_audit_entry(line):
    report = submitted(line, value=Decimal("1200.5"), text="一季度新增泊位", at=ON_TIME)

    report.refresh_from_db()
    assert (report.month, report.value, report.text, report.status, report.late) == (
        3,
        Decimal("1200.5"),
        "一季度新增泊位",
        Report.Status.SUBMITTED,
        False,
    )
    assert [(f.name, f.content_type, f.size) for f in report.files.all()] == [
        ("佐证材料.pdf", "application/pdf", len(pdf_upload().read()))
    ]
    assert report.files.get().file.read().startswith(b"%PDF-1.4")
    assert events(report) == [("submit", Decimal("1200.5"), None, "")]
    entry = audit_log_model().objects.get()
    assert (entry.action, entry.detail["district"], entry.detail["year"]) == (
        "targets.report.submit",
        line.target.district.code,
        2026,
    )
    assert entry.message == f"{line.org_unit.name}报送“2.4 新增停车泊位”3月完成值 1200.5"


def test_report_submit_on_the_due_day_is_on_time_and_after_it_late(line):
    on_due_day = submitted(line, month=3, at=local(2026, 4, 10, hour=23))
    late = submitted(line, month=6, at=local(2026, 7, 11, hour=0))

    assert (on_due_day.late, late.late) == (False, True)
    assert audit_log_model().objects.latest("pk").message.endswith("（逾期）")


def test_report_submit_reads_the_years_due_day(line):
    TargetYear.objects.create(district=line.target.district, year=2026, due_day=5)

    assert submitted(line, at=local(2026, 4, 6)).late is True


def test_report_submit_december_falls_due_in_january(line):
    assert submitted(line, month=12, at=local(2027, 1, 10)).late is False


def test_report_submit_monthly_target_takes_every_month(line):
    Target.objects.filter(pk=line.target_id).update(period=Target.Period.MONTH)
    line.refresh_from_db()

    assert submitted(line, month=2, at=local(2026, 3, 1)).month == 2


def test_report_submit_refuses_a_month_that_is_not_a_period(line):
    message = refused(
        reports.report_submit,
        target_unit=line,
        month=2,
        value=Decimal(1),
        text="",
        files=[pdf_upload()],
        actor=None,
    )
    assert message == "“新增停车泊位”按按季填报，没有以 2 月结束的填报期。"


@pytest.mark.parametrize("status", [Report.Status.SUBMITTED, Report.Status.ACCEPTED])
def test_report_submit_refuses_a_pending_or_accepted_report(line, office, status):
    report = submitted(line)
    if status == Report.Status.ACCEPTED:
        reports.report_accept(report=report, actor=office)

    message = refused(
        reports.report_submit,
        target_unit=line,
        month=3,
        value=Decimal(99),
        text="",
        files=[pdf_upload()],
        actor=None,
    )
    assert message == (
        "本期已报送，正在等待督查室审核，不能重复报送。"
        if status == Report.Status.SUBMITTED
        else "本期填报已审核通过；如需更改，请联系督查室更正。"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("NaN"), "完成值须是一个有限的数。"),
        (Decimal("Infinity"), "完成值须是一个有限的数。"),
        (Decimal("-Infinity"), "完成值须是一个有限的数。"),
        ("abc", "完成值须是一个数。"),
        (Decimal("1.23456"), "完成值最多保留 4 位小数。"),
        (Decimal("1E+12"), "完成值过大。"),
    ],
)
def test_report_submit_refuses_a_value_that_is_not_a_finite_number(line, value, message):
    assert (
        refused(
            reports.report_submit,
            target_unit=line,
            month=3,
            value=value,
            text="",
            files=[pdf_upload()],
            actor=None,
        )
        == message
    )


def test_report_submit_refuses_no_files_when_evidence_is_required(line):
    message = refused(
        reports.report_submit,
        target_unit=line,
        month=3,
        value=Decimal(1),
        text="",
        files=[],
        actor=None,
    )
    assert message == "该目标须附佐证材料：请上传至少一个文件。"


def test_report_submit_without_files_when_evidence_is_not_required(line):
    Target.objects.filter(pk=line.target_id).update(evidence_required=False)
    line.refresh_from_db()

    report = submitted(line, files=[])

    assert report.files.count() == 0


def test_report_submit_refuses_a_bad_file_before_writing_anything(line, media):
    renamed = SimpleUploadedFile(
        "表格.pdf", b"PK\x03\x04 not a pdf", content_type="application/pdf"
    )
    message = refused(
        reports.report_submit,
        target_unit=line,
        month=3,
        value=Decimal(1),
        text="",
        files=[pdf_upload(), renamed],
        actor=None,
    )
    assert message == "附件“表格.pdf”的内容与扩展名 .pdf 不符，可能已损坏或被改名。"
    assert list(media.rglob("*.*")) == []


def test_report_submit_refuses_a_file_over_20_mb(line):
    big = pdf_upload("大.pdf", b"%PDF-1.4" + b"0" * (20 * 1024 * 1024))
    message = refused(
        reports.report_submit,
        target_unit=line,
        month=3,
        value=Decimal(1),
        text="",
        files=[big],
        actor=None,
    )
    assert message == "附件“大.pdf”大小为 20.0 MB，超过上限 20 MB。"


def test_report_submit_refuses_text_over_the_limit(line):
    message = refused(
        reports.report_submit,
        target_unit=line,
        month=3,
        value=Decimal(1),
        text="字" * 4001,
        files=[pdf_upload()],
        actor=None,
    )
    assert message == "进展情况最多 4000 个字，现在是 4001 个。"


# ---------------------------------------------------------------------------- return, resubmit


def test_report_return_then_resubmit_keeps_the_reason_in_the_history(line, office):
    report = submitted(line, value=Decimal(100), at=ON_TIME)
    returned = reports.report_return(
        report=report, reason="佐证材料不全", actor=office, at=local(2026, 4, 9)
    )
    assert (returned.status, returned.return_reason, returned.reviewed_by) == (
        Report.Status.RETURNED,
        "佐证材料不全",
        office,
    )

    again = reports.report_submit(
        target_unit=line,
        month=3,
        value=Decimal(120),
        text="补充了开工证明",
        files=[pdf_upload("开工证明.pdf")],
        actor=None,
        at=local(2026, 4, 9, hour=15),
    )

    again.refresh_from_db()
    assert (again.pk, again.status, again.value, again.return_reason, again.late) == (
        report.pk,
        Report.Status.SUBMITTED,
        Decimal(120),
        "",
        False,
    )
    assert (again.reviewed_at, again.reviewed_by) == (None, None)
    assert sorted(f.name for f in again.files.all()) == ["佐证材料.pdf", "开工证明.pdf"]
    assert events(again) == [
        ("submit", Decimal(100), None, ""),
        ("return", Decimal(100), None, "佐证材料不全"),
        ("submit", Decimal(120), Decimal(100), ""),
    ]
    assert list(audit_log_model().objects.order_by("pk").values_list("action", flat=True)) == [
        "targets.report.submit",
        "targets.report.return",
        "targets.report.submit",
    ]


def test_report_resubmit_needs_no_new_file_when_one_is_attached(line, office):
    report = submitted(line)
    reports.report_return(report=report, reason="数值有误", actor=office)

    again = submitted(line, value=Decimal(60), files=[])

    assert (again.status, again.files.count()) == (Report.Status.SUBMITTED, 1)


def test_report_late_flag_stays_set_on_resubmission(line, office):
    report = submitted(line, at=LATE)
    reports.report_return(report=report, reason="数值有误", actor=office, at=LATE)

    again = submitted(line, value=Decimal(60), files=[], at=ON_TIME)

    assert again.late is True


def test_report_resubmitted_after_the_due_day_is_late(line, office):
    report = submitted(line, at=ON_TIME)
    reports.report_return(report=report, reason="数值有误", actor=office, at=ON_TIME)

    assert submitted(line, value=Decimal(60), files=[], at=LATE).late is True


def test_report_return_requires_a_reason(line, office):
    report = submitted(line)

    assert refused(reports.report_return, report=report, reason="  ", actor=office) == (
        "请填写退回理由。"
    )


@pytest.mark.parametrize("status", [Report.Status.RETURNED, Report.Status.ACCEPTED])
def test_report_return_refuses_a_report_not_waiting_for_review(line, office, status):
    report = submitted(line)
    if status == Report.Status.ACCEPTED:
        reports.report_accept(report=report, actor=office)
    else:
        reports.report_return(report=report, reason="数值有误", actor=office)

    assert refused(reports.report_return, report=report, reason="再退", actor=office) == (
        "只有待审核的填报可以退回。"
    )


# ---------------------------------------------------------------------------- accept, correct


def test_report_accept_makes_the_value_the_one_scored(line, office):
    report = submitted(line, value=Decimal(1500), at=ON_TIME)
    assert accepted_values(line.target.district, 2026, 12) == {}

    reports.report_accept(report=report, actor=office, at=local(2026, 4, 12))

    report.refresh_from_db()
    assert (report.status, report.reviewed_by, report.reviewed_at) == (
        Report.Status.ACCEPTED,
        office,
        local(2026, 4, 12),
    )
    assert accepted_values(line.target.district, 2026, 12) == {
        line.pk: (report.pk, 3, Decimal(1500))
    }
    assert events(report)[-1] == ("accept", Decimal(1500), None, "")
    assert audit_log_model().objects.latest("pk").action == "targets.report.accept"


@pytest.mark.parametrize("status", [Report.Status.RETURNED, Report.Status.ACCEPTED])
def test_report_accept_refuses_a_report_not_waiting_for_review(line, office, status):
    report = submitted(line)
    if status == Report.Status.ACCEPTED:
        reports.report_accept(report=report, actor=office)
    else:
        reports.report_return(report=report, reason="数值有误", actor=office)

    assert refused(reports.report_accept, report=report, actor=office) == (
        "只有待审核的填报可以审核通过。"
    )


def test_report_correct_changes_an_accepted_value_with_its_history(line, office):
    report = submitted(line, value=Decimal(1500))
    reports.report_accept(report=report, actor=office)

    reports.report_correct(
        report=report, value=Decimal("1450.25"), reason="抽查核减 49.75 个", actor=office
    )
    reports.report_correct(report=report, value=Decimal(1460), reason="复核", actor=office)

    report.refresh_from_db()
    assert (report.status, report.value) == (Report.Status.ACCEPTED, Decimal(1460))
    assert events(report)[-2:] == [
        ("correct", Decimal("1450.25"), Decimal(1500), "抽查核减 49.75 个"),
        ("correct", Decimal(1460), Decimal("1450.25"), "复核"),
    ]
    entry = audit_log_model().objects.filter(action="targets.report.correct").earliest("pk")
    assert entry.detail["previous_value"] == "1500.0000"
    assert accepted_values(line.target.district, 2026, 12)[line.pk][2] == Decimal(1460)


def test_report_correct_requires_a_reason(line, office):
    report = reports.report_accept(report=submitted(line), actor=office)

    message = refused(
        reports.report_correct, report=report, value=Decimal(1), reason="", actor=office
    )
    assert message == "请填写更正理由。"


def test_report_correct_refuses_the_same_value(line, office):
    report = reports.report_accept(report=submitted(line, value=Decimal(50)), actor=office)

    message = refused(
        reports.report_correct, report=report, value=Decimal("50.0"), reason="无", actor=office
    )
    assert message == "更正后的完成值与原值相同。"


@pytest.mark.parametrize("status", [Report.Status.SUBMITTED, Report.Status.RETURNED])
def test_report_correct_refuses_a_report_not_accepted(line, office, status):
    report = submitted(line)
    if status == Report.Status.RETURNED:
        reports.report_return(report=report, reason="数值有误", actor=office)

    message = refused(
        reports.report_correct, report=report, value=Decimal(1), reason="更正", actor=office
    )
    assert message == "只有已审核的填报可以更正；待审核的请审核或退回。"


def test_report_correct_refuses_a_value_that_is_not_finite(line, office):
    report = reports.report_accept(report=submitted(line), actor=office)

    message = refused(
        reports.report_correct, report=report, value=Decimal("NaN"), reason="更正", actor=office
    )
    assert message == "完成值须是一个有限的数。"
