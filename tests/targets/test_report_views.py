"""The reporting pages (targets/views/reports.py): who reaches which, what each does."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.audit import audit_log_model
from org.access import Role
from targets import reports
from targets.models import Report, ReportEvent, ReportFile
from tests.factories import UserFactory
from tests.factories.target_reports import (
    PDF_BYTES,
    liaison_of,
    local,
    office_of,
    pdf_upload,
    submitted,
)
from tests.factories.targets import (
    DistrictFactory,
    OrgUnitFactory,
    TargetFactory,
    TargetUnitFactory,
)

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def district_code(settings, tmp_path):
    settings.HUIJI_DISTRICT_CODE = "huiji"
    settings.MEDIA_ROOT = tmp_path


def url(name, *args, year=2026, district="huiji"):
    return reverse(f"targets:{name}", args=[district, year, *args])


@pytest.fixture
def line():
    return TargetUnitFactory(
        target=TargetFactory(code="2.4", title="新增停车泊位", goal=4000, measure="个"),
        org_unit=OrgUnitFactory(code="U01", name="城关镇"),
    )


@pytest.fixture
def liaison(line):
    return liaison_of(line.org_unit, username="liaison")


@pytest.fixture
def other_liaison(line):
    return liaison_of(OrgUnitFactory(code="U02", name="区交通局"), username="other-liaison")


@pytest.fixture
def office(line):
    return office_of(username="office")


@pytest.fixture
def stranger(line):
    """The office of another district."""
    return office_of(district=DistrictFactory(code="other"), username="stranger")


@pytest.fixture
def report(line, liaison):
    return submitted(line, value=Decimal(1200), actor=liaison, at=local(2026, 4, 8))


# ---------------------------------------------------------------------------- anonymous


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("unit_reports", []),
        ("report_submit", [1, 3]),
        ("review_queue", []),
        ("report_detail", [1]),
        ("report_file", [1]),
    ],
)
def test_pages_anonymous_go_to_login(client, name, args):
    response = client.get(url(name, *args))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# ---------------------------------------------------------------------------- the unit's page


def test_unit_reports_lists_the_liaisons_targets_by_period(client, line, liaison, report):
    client.force_login(liaison)

    response = client.get(url("unit_reports"))

    assert response.status_code == 200
    assert response.context["liaison_unit"] == line.org_unit
    [unit_line] = response.context["lines"]
    assert [(p.month, p.status) for p in unit_line.periods] == [
        (3, "submitted"),
        (6, "none"),
        (9, "none"),
        (12, "none"),
    ]
    assert unit_line.goal_shown == Decimal(4000)
    html = response.content.decode()
    assert "本单位填报" in html  # the liaison's menu
    assert "填报审核" not in html  # not the office's


def test_unit_reports_shows_a_returned_reports_reason(client, line, liaison, report, office):
    reports.report_return(report=report, reason="请补充开工证明", actor=office)
    client.force_login(liaison)

    response = client.get(url("unit_reports"))

    assert "退回理由：请补充开工证明" in response.content.decode()
    assert response.context["returned"] == 1


def test_unit_reports_reads_a_fixed_number_of_queries(
    client, line, liaison, report, django_assert_max_num_queries
):
    for code in range(3, 13):
        TargetUnitFactory(target=TargetFactory(code=f"9.{code}"), org_unit=line.org_unit)
    client.force_login(liaison)

    with django_assert_max_num_queries(12):
        assert client.get(url("unit_reports")).status_code == 200


def test_unit_reports_are_not_found_for_staff(client, line, office):
    client.force_login(office)

    assert client.get(url("unit_reports")).status_code == 404


def test_unit_reports_are_not_found_in_another_district(client, line, liaison):
    DistrictFactory(code="other")
    client.force_login(liaison)

    assert client.get(url("unit_reports", district="other")).status_code == 404


# ---------------------------------------------------------------------------- submit


def test_report_submit_form_then_post_with_files(client, line, liaison):
    client.force_login(liaison)
    assert client.get(url("report_submit", line.pk, 6)).status_code == 200

    response = client.post(
        url("report_submit", line.pk, 6),
        {
            "value": "2500",
            "text": "上半年新增泊位",
            "files": [pdf_upload("一.pdf"), pdf_upload("二.pdf")],
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("unit_reports")
    report = Report.objects.get(target_unit=line, month=6)
    assert (report.value, report.text, report.status, report.submitted_by) == (
        Decimal(2500),
        "上半年新增泊位",
        Report.Status.SUBMITTED,
        liaison,
    )
    assert sorted(report.files.values_list("name", flat=True)) == ["一.pdf", "二.pdf"]


def test_report_submit_refused_shows_why_and_stores_nothing(client, line, liaison):
    client.force_login(liaison)

    response = client.post(url("report_submit", line.pk, 3), {"value": "10", "text": ""})

    assert response.status_code == 422
    assert "该目标须附佐证材料：请上传至少一个文件。" in response.content.decode()
    assert Report.objects.count() == 0


def test_report_submit_invalid_value_is_a_form_error(client, line, liaison):
    client.force_login(liaison)

    response = client.post(
        url("report_submit", line.pk, 3), {"value": "NaN", "files": [pdf_upload()]}
    )

    assert response.status_code == 422
    assert Report.objects.count() == 0


def test_report_submit_pending_report_is_shown_not_submitted_again(client, line, liaison, report):
    client.force_login(liaison)

    page = client.get(url("report_submit", line.pk, 3))
    posted = client.post(url("report_submit", line.pk, 3), {"value": "1", "files": [pdf_upload()]})

    assert page.status_code == 200
    assert page.context["form"] is None
    assert "已报送，等待督查室审核。" in page.content.decode()
    assert posted.status_code == 409
    assert Report.objects.get().value == Decimal(1200)


def test_report_submit_returned_report_is_corrected_and_resubmitted(
    client, line, liaison, report, office
):
    reports.report_return(report=report, reason="数值有误", actor=office)
    client.force_login(liaison)

    page = client.get(url("report_submit", line.pk, 3))
    assert page.context["form"].initial == {"value": Decimal(1200), "text": ""}
    assert "数值有误" in page.content.decode()

    response = client.post(url("report_submit", line.pk, 3), {"value": "1150", "text": "更正"})

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.value, report.files.count()) == (
        Report.Status.SUBMITTED,
        Decimal(1150),
        1,
    )


def test_report_submit_by_the_liaison_of_another_unit_is_not_found(client, line, other_liaison):
    client.force_login(other_liaison)

    assert client.get(url("report_submit", line.pk, 3)).status_code == 404
    response = client.post(
        url("report_submit", line.pk, 3), {"value": "1", "files": [pdf_upload()]}
    )
    assert response.status_code == 404
    assert Report.objects.count() == 0


def test_report_submit_by_staff_is_not_found(client, line, office):
    client.force_login(office)

    assert client.get(url("report_submit", line.pk, 3)).status_code == 404


def test_report_submit_month_outside_the_periods_is_not_found(client, line, liaison):
    client.force_login(liaison)

    assert client.get(url("report_submit", line.pk, 2)).status_code == 404


def test_report_submit_of_another_year_is_not_found(client, line, liaison):
    client.force_login(liaison)

    assert client.get(url("report_submit", line.pk, 3, year=2025)).status_code == 404


# ---------------------------------------------------------------------------- the queue


def test_review_queue_lists_waiting_reports_oldest_first(client, line, liaison, office, report):
    later_line = TargetUnitFactory(target=TargetFactory(code="3.1"), org_unit=line.org_unit)
    later = submitted(later_line, actor=liaison, at=local(2026, 4, 9))
    accepted = reports.report_accept(
        report=submitted(
            TargetUnitFactory(target=TargetFactory(code="4.1"), org_unit=line.org_unit),
            at=local(2026, 4, 1),
        ),
        actor=office,
    )
    client.force_login(office)

    response = client.get(url("review_queue"))

    assert response.status_code == 200
    assert response.context["reports"] == [report, later]
    html = response.content.decode()
    assert '">审核</a>' in html
    assert '<td class="num">1200</td>' in html  # as typed, never 1200.0000 or 1.2E+3
    everything = client.get(url("review_queue"), {"status": "all"}).context["reports"]
    assert everything == [accepted, report, later]
    by_unit = client.get(url("review_queue"), {"unit": "U01", "month": "3", "status": "accepted"})
    assert by_unit.context["reports"] == [accepted]


def test_review_queue_for_an_observer_has_no_review_buttons(client, line, report):
    client.force_login(UserFactory(role=Role.OBSERVER))

    response = client.get(url("review_queue"))

    assert response.status_code == 200
    assert response.context["reports"] == [report]
    assert '">审核</a>' not in response.content.decode()


def test_review_queue_is_not_found_for_another_districts_staff_or_a_liaison(
    client, line, stranger, liaison
):
    client.force_login(stranger)
    assert client.get(url("review_queue")).status_code == 404
    client.force_login(liaison)
    assert client.get(url("review_queue")).status_code == 404


# ---------------------------------------------------------------------------- one report


def test_report_detail_shows_the_report_history_and_forms(client, report, office):
    client.force_login(office)

    response = client.get(url("report_detail", report.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="accept-form"' in html and 'id="return-form"' in html
    assert 'id="correct-form"' not in html
    assert "佐证材料.pdf" in html
    assert [(e.action, str(e.value_shown)) for e in response.context["events"]] == [
        ("submit", "1200")
    ]


def test_report_detail_office_accepts(client, report, office):
    client.force_login(office)

    response = client.post(url("report_detail", report.pk), {"action": "accept"})

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == (Report.Status.ACCEPTED, office)
    assert "已审核通过。" in client.get(url("report_detail", report.pk)).content.decode()


def test_report_detail_office_returns_with_a_reason(client, report, office):
    client.force_login(office)

    refused = client.post(url("report_detail", report.pk), {"action": "return", "reason": ""})
    assert refused.status_code == 422
    assert Report.objects.get().status == Report.Status.SUBMITTED

    response = client.post(
        url("report_detail", report.pk), {"action": "return", "reason": "佐证材料不全"}
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.return_reason) == (Report.Status.RETURNED, "佐证材料不全")


def test_report_detail_office_corrects_an_accepted_value(client, report, office):
    reports.report_accept(report=report, actor=office)
    client.force_login(office)

    response = client.post(
        url("report_detail", report.pk),
        {"action": "correct", "value": "1180", "reason": "抽查核减"},
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.value == Decimal(1180)
    event = ReportEvent.objects.get(action="correct")
    assert (event.previous_value, event.value, event.reason, event.actor_label) == (
        Decimal(1200),
        Decimal(1180),
        "抽查核减",
        "office",
    )


def test_report_detail_refused_action_shows_the_services_message(client, report, office):
    client.force_login(office)

    response = client.post(
        url("report_detail", report.pk), {"action": "correct", "value": "1", "reason": "x"}
    )

    assert response.status_code == 422
    assert "只有已审核的填报可以更正" in response.content.decode()


def test_report_detail_observer_cannot_accept(client, report):
    client.force_login(UserFactory(role=Role.OBSERVER))

    assert client.get(url("report_detail", report.pk)).status_code == 200
    response = client.post(url("report_detail", report.pk), {"action": "accept"})

    assert response.status_code == 403
    assert Report.objects.get().status == Report.Status.SUBMITTED
    assert not audit_log_model().objects.filter(action="targets.report.accept").exists()


def test_report_detail_is_not_found_for_another_districts_staff(client, report, stranger):
    client.force_login(stranger)

    assert client.get(url("report_detail", report.pk)).status_code == 404
    assert client.post(url("report_detail", report.pk), {"action": "accept"}).status_code == 404


def test_report_detail_of_another_year_is_not_found(client, report, office):
    client.force_login(office)

    assert client.get(url("report_detail", report.pk, year=2025)).status_code == 404


def test_report_detail_is_not_found_for_the_liaison(client, report, liaison):
    client.force_login(liaison)

    assert client.get(url("report_detail", report.pk)).status_code == 404


# ---------------------------------------------------------------------------- files


def _file(report):
    return ReportFile.objects.get(report=report)


def test_report_file_downloads_for_the_office_with_its_name_and_type(client, report, office):
    client.force_login(office)

    response = client.get(url("report_file", _file(report).pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E4%BD%90%E8%AF%81%E6%9D%90%E6%96%99.pdf"
    )
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_report_file_downloads_for_the_liaison_of_the_unit(client, report, liaison):
    client.force_login(liaison)

    assert client.get(url("report_file", _file(report).pk)).status_code == 200


def test_report_file_is_not_found_for_anyone_else(client, report, other_liaison, stranger):
    client.force_login(other_liaison)
    assert client.get(url("report_file", _file(report).pk)).status_code == 404
    client.force_login(stranger)
    assert client.get(url("report_file", _file(report).pk)).status_code == 404
    assert client.get(url("report_file", _file(report).pk, district="other")).status_code == 404


def test_report_file_of_another_year_is_not_found(client, report, office):
    client.force_login(office)

    assert client.get(url("report_file", _file(report).pk, year=2025)).status_code == 404
