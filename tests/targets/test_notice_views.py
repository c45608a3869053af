"""The progress overview, ledger, notices, spot checks and workbook pages
(targets/views/notices.py)."""

import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from org.access import Role
from targets.models import Notice, Report, SpotCheck, Target
from targets.views.notices import notice_pdf_html
from tests.factories import UserFactory
from tests.factories.target_notices import NoticeFactory, ReportFactory, office_user
from tests.factories.targets import (
    UNIT_NAMES,
    DistrictFactory,
    OrgUnitFactory,
    TargetFactory,
    TargetUnitFactory,
    breakdown_bytes,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "workbooks"


pytestmark = [pytest.mark.django_db]


@pytest.fixture
def line():
    line = TargetUnitFactory(
        target=TargetFactory(code="2.4", title="新增停车泊位"),
        org_unit=OrgUnitFactory(code="U01", name="城关镇"),
    )
    ReportFactory(target_unit=line, month=3, value=Decimal(20))
    return line


@pytest.fixture
def office_client(client):
    client.force_login(office_user())
    return client


def url(name, *args, year=2026, district="huiji"):
    from django.urls import reverse

    return reverse(f"targets:{name}", args=[district, year, *args])


@pytest.fixture(autouse=True)
def district_code(settings):
    settings.HUIJI_DISTRICT_CODE = "huiji"


READ_PAGES = ["overview", "ledger", "notices", "spot_checks", "targets_export"]


@pytest.mark.parametrize("name", READ_PAGES)
def test_read_pages_anonymous_go_to_login(client, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", [*READ_PAGES, "notice_issue", "targets_import"])
def test_pages_are_not_found_for_another_districts_staff(client, line, name):
    other = DistrictFactory(code="other")
    client.force_login(UserFactory(role=Role.ORGANISER, role__district=other))
    assert client.get(url(name)).status_code == 404


def test_pages_are_not_found_for_a_liaison(client, line):
    client.force_login(UserFactory(role=Role.LIAISON, role__org_unit=line.org_unit))
    assert client.get(url("ledger")).status_code == 404


@pytest.mark.parametrize("name", READ_PAGES)
def test_read_pages_open_for_an_observer(observer_client, line, name):
    assert observer_client.get(url(name)).status_code == 200


def test_observer_cannot_issue_close_draw_or_import(observer_client, line):
    notice = NoticeFactory(target_unit=line)
    assert observer_client.get(url("notice_issue")).status_code == 403
    assert observer_client.post(url("notice_issue"), {}).status_code == 403
    assert observer_client.post(url("notice_detail", notice.pk), {"note": "x"}).status_code == 403
    assert observer_client.post(url("spot_checks"), {"month": 3, "count": 1}).status_code == 403
    assert observer_client.get(url("targets_import")).status_code == 403
    notice.refresh_from_db()
    assert notice.closed_at is None
    assert SpotCheck.objects.count() == 0


def test_overview_shows_value_plan_colour_and_filters(office_client, line):
    other = TargetUnitFactory(target=line.target, org_unit=OrgUnitFactory(name="区交通局"))
    table = _overview_table(office_client.get(url("overview")))
    assert 'class="chip chip-red"' in table
    assert "20</a> / 100" in table  # the value and the plan (a rate's plan is its goal)
    assert "区交通局" in table
    table = _overview_table(office_client.get(url("overview"), {"colour": "red"}))
    assert ("城关镇" in table, "区交通局" in table) == (True, False)
    table = _overview_table(office_client.get(url("overview"), {"unit": other.org_unit.code}))
    assert ("城关镇" in table, "区交通局" in table) == (False, True)


def test_overview_pages_through_the_targets_keeping_the_filter(office_client, line):
    from targets.views.notices import OVERVIEW_PAGE_SIZE

    for n in range(OVERVIEW_PAGE_SIZE + 2):
        TargetUnitFactory(
            target=TargetFactory(code=f"9.{n:02d}", title=f"目标{n:02d}"), org_unit=line.org_unit
        )
    first = office_client.get(url("overview"), {"unit": "U01"}).content.decode()
    assert first.count("<b>9.") + first.count("<b>2.4") == OVERVIEW_PAGE_SIZE
    assert "第 1 / 2 页，共 28 个目标" in first
    assert 'href="?unit=U01&amp;page=2"' in first
    second = _overview_table(office_client.get(url("overview"), {"unit": "U01", "page": 2}))
    assert second.count("<b>9.") + second.count("<b>2.4") == 3
    # A page past the end, or not a number, shows a page rather than an error.
    assert _overview_table(office_client.get(url("overview"), {"page": "99"}))
    assert _overview_table(office_client.get(url("overview"), {"page": "x"}))


def _overview_table(response):
    assert response.status_code == 200
    return response.content.decode().split('id="target-overview"')[1]


def test_ledger_summary_and_unit_detail(office_client, line):
    ReportFactory(target_unit=line, month=6, status=Report.Status.RETURNED)
    NoticeFactory(target_unit=line, number=3)
    response = office_client.get(url("ledger"))
    assert response.status_code == 200
    assert "城关镇" in response.content.decode()
    response = office_client.get(url("ledger_unit", "U01"))
    body = response.content.decode()
    assert "督办〔2026〕第 3 号" in body
    assert "佐证材料不全" in body
    assert office_client.get(url("ledger_unit", "NOPE")).status_code == 404


def test_notice_issue_form_issues_and_escalation_is_refused_in_chinese(office_client, line):
    form = {
        "target_unit": line.pk,
        "kind": Notice.Kind.WARNING,
        "reason": "泊位建设滞后",
        "demand": "6 月底前整改",
        "due_date": date(2099, 6, 30).isoformat(),
    }
    response = office_client.post(url("notice_issue"), form)
    assert response.status_code == 422
    assert "须先签发过督办单" in response.content.decode()
    response = office_client.post(url("notice_issue"), form | {"kind": Notice.Kind.SUPERVISE})
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("notice_detail", notice.pk)
    assert (notice.number, notice.reason) == (1, "泊位建设滞后")


def test_notice_issue_form_offers_only_this_years_breakdown(office_client, line):
    TargetUnitFactory(target=TargetFactory(year=2025, title="去年的指标"))
    response = office_client.get(url("notice_issue"), {"target_unit": line.pk})
    body = response.content.decode()
    assert "新增停车泊位 · 城关镇" in body
    assert "去年的指标" not in body


def test_notice_detail_closes_once(office_client, line):
    notice = NoticeFactory(target_unit=line)
    assert office_client.get(url("notice_detail", notice.pk)).status_code == 200
    response = office_client.post(url("notice_detail", notice.pk), {"note": "已整改到位"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.close_note == "已整改到位"
    response = office_client.post(url("notice_detail", notice.pk), {"note": "again"})
    assert response.status_code == 422


def test_notice_of_another_year_is_not_found(office_client, line):
    notice = NoticeFactory(target_unit=line)
    assert office_client.get(url("notice_detail", notice.pk, year=2025)).status_code == 404


def test_notice_pdf_is_a_pdf_with_the_reference(observer_client, line):
    notice = NoticeFactory(target_unit=line, number=3)
    response = observer_client.get(url("notice_pdf", notice.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(  # noqa: S603  (our own bytes into a fixed command)
        [pdftotext, "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "督办〔2026〕第 3 号" in text
    assert "城关镇" in text
    # Without a name of its own, the district's 督查室 in the generic wording.
    assert f"{notice.district.name}督查室" in text


def test_the_notice_names_the_districts_own_office(observer_client, line):
    notice = NoticeFactory(target_unit=line, number=4)
    notice.district.supervision_office = "中共郑州市惠济区委督查室"
    notice.district.save(update_fields=["supervision_office"])
    html = notice_pdf_html(notice)
    assert html.count("中共郑州市惠济区委督查室") == 2  # the report goes to it; it signs


def test_spot_checks_draw_and_list(office_client, line):
    response = office_client.post(url("spot_checks"), {"month": 3, "count": 1, "seed": "abc"})
    assert response.status_code == 302
    check = SpotCheck.objects.get()
    assert (check.seed, check.drawn) == ("abc", [line.reports.get().pk])
    body = office_client.get(url("spot_checks")).content.decode()
    assert "abc" in body
    assert "新增停车泊位 · 城关镇" in body
    response = office_client.post(url("spot_checks"), {"month": 4, "count": 1})
    assert response.status_code == 422


def _upload(data, name="targets.xlsx"):
    return {"file": SimpleUploadedFile(name, data)}


@pytest.fixture
def units():
    return [OrgUnitFactory(name=name) for name in UNIT_NAMES]


def test_targets_import_stores_the_workbook(office_client, units):
    response = office_client.post(url("targets_import"), _upload(breakdown_bytes()))
    assert response.status_code == 302
    assert Target.objects.filter(year=2026).count() == 5


def test_targets_import_of_a_fixture_workbook(office_client, units):
    OrgUnitFactory(name="区应急局")
    data = (FIXTURES / "targets-libreoffice.xlsx").read_bytes()
    response = office_client.post(url("targets_import"), _upload(data))
    assert response.status_code == 302
    assert Target.objects.filter(year=2026).count() == 5


def test_targets_import_refuses_a_malformed_workbook_whole(office_client, units):
    rows = [
        ["1.1", "生产总值增长", None, None, None, None, 7, None, 10, None,
         None, None, None, None, None, None, "区发改委", None],
        ["1.2", "一般公共预算收入增长", None, None, None, None, "六", None, 10, None,
         None, None, None, None, None, None, "区财政局", None],
    ]  # fmt: skip
    response = office_client.post(url("targets_import"), _upload(breakdown_bytes(rows)))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="import-problems"' in body
    assert '<td>目标</td><td class="num">3</td><td>确保目标</td>' in body
    assert Target.objects.count() == 0


def test_targets_export_downloads_the_breakdown(observer_client, line):
    response = observer_client.get(url("targets_export"))
    assert response.status_code == 200
    assert response.content.startswith(b"PK")
