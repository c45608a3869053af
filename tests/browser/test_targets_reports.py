"""目标填报 in a real browser, on a liaison's phone and the office's tablet: the liaison reports
with a file, the office returns it with a reason, the liaison reads the reason, corrects and
resubmits, the office accepts, and only then does the value count in the unit's score
(docs/targets.md, "Reports (目标填报)"). Screenshots go to $TARGETS_REPORTS_SCREENSHOTS (when
set) for a person to look at."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from org.access import Role
from targets.models import Report
from targets.scores import annual_scores, period_scores
from tests.browser.staff import PASSWORD
from tests.factories import UserFactory
from tests.factories.target_reports import PDF_BYTES
from tests.factories.targets import OrgUnitFactory, TargetFactory, TargetUnitFactory

pytestmark = [pytest.mark.browser]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
UNIT_PAGE = "/targets/huiji/2026/unit/"
QUEUE = "/targets/huiji/2026/reports/"
LEDGER = "/targets/huiji/2026/ledger/"
RANKING = "/targets/huiji/2026/ranking/?quarter=1"
SHOTS = os.environ.get("TARGETS_REPORTS_SCREENSHOTS")


def shoot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def log_in(page, username, next_url):
    page.goto(f"/login/?next={next_url}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


@pytest.fixture
def line(settings, tmp_path):
    settings.HUIJI_DISTRICT_CODE = "huiji"
    settings.MEDIA_ROOT = tmp_path
    line = TargetUnitFactory(
        target=TargetFactory(code="2.4", title="新增停车泊位", goal=4000, measure="个"),
        org_unit=OrgUnitFactory(code="U01", name="城关镇"),
    )
    UserFactory(
        username="liaison", role=Role.LIAISON, role__org_unit=line.org_unit, password=PASSWORD
    )
    UserFactory(username="office", role=Role.OFFICE, password=PASSWORD)
    return line


def ledger_counts(page, unit_name):
    """The ledger summary's counts for the unit: open notices, overdue, returned, red, yellow."""
    page.goto(LEDGER)
    cells = page.locator("#ledger-summary tbody tr", has_text=unit_name).locator("td.num")
    return [int(text) for text in cells.all_inner_texts()]


def unit_total(line, scores):
    [result] = [r for r in scores if r.org_unit.pk == line.org_unit_id]
    return result.total


def test_report_returned_corrected_and_accepted(open_page, line):
    phone = open_page({"width": 390, "height": 844})
    log_in(phone, "liaison", UNIT_PAGE)
    row = phone.locator(f"#period-{line.pk}-3")
    expect(row).to_contain_text("逾期未报")
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)

    row.get_by_role("link", name="填报").click()
    phone.get_by_label("累计完成值").fill("1800")
    phone.get_by_label("进展情况").fill("一季度新增泊位 1800 个")
    phone.locator("#id_files").set_input_files(
        files=[{"name": "开工证明.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    shoot(phone, "report-form-390")
    phone.get_by_role("button", name="报送").click()
    expect(phone.locator(".messages")).to_contain_text("等待督查室审核")
    expect(row).to_contain_text("待审核")
    expect(row).to_contain_text("逾期")
    report = Report.objects.get(target_unit=line, month=3)
    assert unit_total(line, annual_scores(line.target.district, 2026)) == Decimal("0.00")

    office = open_page()
    log_in(office, "office", QUEUE)
    office.locator(f"#queue-{report.pk}").get_by_role("link", name="审核").click()
    expect(office.locator("#report-files")).to_contain_text("开工证明.pdf")
    shoot(office, "report-detail-1024")
    office.get_by_label("退回理由").fill("泊位数与开工证明不符，请核实")
    office.get_by_role("button", name="退回").click()
    expect(office.locator("#report-status")).to_contain_text("已退回")
    report_page = office.url
    # The ledger lists the returned report; the first quarter's ranking has nothing to count.
    returned = ledger_counts(office, "城关镇")
    assert returned[2] == 1, returned
    office.goto(RANKING)
    expect(office.locator("#unit-U01")).to_contain_text("0.00 / 10.00")
    office.goto(report_page)

    phone.goto(UNIT_PAGE)
    expect(row).to_contain_text("退回理由：泊位数与开工证明不符，请核实")
    row.get_by_role("link", name="修改重报").click()
    expect(phone.locator("#return-reason")).to_contain_text("泊位数与开工证明不符")
    expect(phone.get_by_label("累计完成值")).to_have_value("1800")
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    shoot(phone, "report-returned-390")
    phone.get_by_label("累计完成值").fill("1600")
    phone.get_by_role("button", name="重新报送").click()
    expect(row).to_contain_text("待审核")
    assert unit_total(line, period_scores(line.target.district, 2026, 3)) == Decimal("0.00")

    office.reload()
    expect(office.locator("#report-value")).to_contain_text("1600")
    office.get_by_role("button", name="审核通过").click()
    expect(office.locator("#report-status")).to_contain_text("已审核")
    expect(office.locator("#report-history li")).to_have_count(4)

    # 1600 of 4000 on the ratio rule: 40 % of 10 points (a 定量 target: the plan is the goal
    # all year, so the first quarter's 季评比 counts the same).
    assert unit_total(line, annual_scores(line.target.district, 2026)) == Decimal("4.00")
    assert unit_total(line, period_scores(line.target.district, 2026, 3)) == Decimal("4.00")
    accepted = ledger_counts(office, "城关镇")
    assert accepted[2] == 0, accepted  # nothing returned any more
    office.goto(RANKING)
    expect(office.locator("#unit-U01")).to_contain_text("4.00 / 10.00")
    phone.goto(UNIT_PAGE)
    expect(row).to_contain_text("已审核")
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    shoot(phone, "unit-reports-390")
    office.goto(QUEUE + "?status=all")
    shoot(office, "review-queue-1024")
