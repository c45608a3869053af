"""The ledger and the progress overview (targets/ledger.py; docs/targets.md, "Colours" and
"The ledger (台账)")."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from targets import engine
from targets.ledger import NO_REPORT, ledger_summary, overview, unit_ledgers
from targets.line_state import refresh_year
from targets.models import Report, Target, TargetYear
from targets.reports import due_date
from tests.factories.target_notices import NoticeFactory, ReportFactory
from tests.factories.targets import OrgUnitFactory, TargetFactory, TargetUnitFactory

pytestmark = pytest.mark.django_db
ACCEPTED, RETURNED, SUBMITTED = (
    Report.Status.ACCEPTED,
    Report.Status.RETURNED,
    Report.Status.SUBMITTED,
)
JULY_11 = date(2026, 7, 11)  # the first and second quarters' reports were due 10 April, 10 July


@pytest.fixture
def year():
    """Two units: 城关镇 behind on a rate and a count, with notices; 区财政局 on plan."""
    rate = TargetFactory(code="1.1", title="生产总值增长", goal=Decimal(100))
    count = TargetFactory(
        code="2.4", title="新增停车泊位", kind=Target.Kind.COUNT, goal=Decimal(100)
    )
    town = OrgUnitFactory(code="U01", name="城关镇")
    finance = OrgUnitFactory(code="U02", name="区财政局")
    town_rate = TargetUnitFactory(target=rate, org_unit=town)
    town_count = TargetUnitFactory(target=count, org_unit=town)
    finance_rate = TargetUnitFactory(target=rate, org_unit=finance)
    ReportFactory(target_unit=town_rate, month=3, value=Decimal(95))  # 95% of plan: yellow
    ReportFactory(target_unit=town_count, month=3, value=Decimal(20))  # 20 of 25 planned: red
    ReportFactory(target_unit=town_count, month=6, value=Decimal(40), status=RETURNED)
    ReportFactory(target_unit=finance_rate, month=3, value=Decimal(100))
    ReportFactory(target_unit=finance_rate, month=6, value=Decimal(101), status=SUBMITTED)
    open_notice = NoticeFactory(target_unit=town_rate)
    NoticeFactory(target_unit=town_count, closed_at=timezone.now(), close_note="已整改")
    return {
        "district": rate.district,
        "town_rate": town_rate,
        "town_count": town_count,
        "finance_rate": finance_rate,
        "open_notice": open_notice,
    }


def test_due_date_is_the_due_day_of_the_month_after():
    assert due_date(year=2026, month=3, due_day=10) == date(2026, 4, 10)
    assert due_date(year=2026, month=12, due_day=10) == date(2027, 1, 10)


def test_unit_ledgers_count_what_is_open_per_unit(year):
    town, finance = unit_ledgers(year["district"], 2026, today=JULY_11)
    assert (town.org_unit.name, finance.org_unit.name) == ("城关镇", "区财政局")
    assert town.counts == (1, 2, 1, 1, 1, 0)
    assert not town.clear
    assert finance.counts == (0, 0, 0, 0, 0, 0)
    assert finance.clear


def test_unit_ledgers_detail_names_each_item(year):
    town = unit_ledgers(year["district"], 2026, today=JULY_11, unit_code="U01")[0]
    assert town.open_notices == [year["open_notice"]]
    assert [
        (o.target_unit, o.month, o.due, o.report and o.report.status) for o in town.overdue
    ] == [
        (year["town_rate"], 6, date(2026, 7, 10), None),
        (year["town_count"], 6, date(2026, 7, 10), RETURNED),
    ]
    assert [(line, r.month, r.return_reason) for line, r in town.returned] == [
        (year["town_count"], 6, "佐证材料不全")
    ]
    assert [(c.target_unit, c.report.value, c.colour) for c in town.red] == [
        (year["town_count"], Decimal(20), engine.RED)
    ]
    assert [(c.target_unit, c.report.value, c.colour) for c in town.yellow] == [
        (year["town_rate"], Decimal(95), engine.YELLOW)
    ]


def test_unit_ledgers_a_period_is_overdue_only_after_its_due_day(year):
    town = unit_ledgers(year["district"], 2026, today=date(2026, 7, 10), unit_code="U01")[0]
    assert town.overdue == []


def test_unit_ledgers_read_the_years_due_day_and_yellow_level(year):
    TargetYear.objects.create(
        district=year["district"], year=2026, due_day=5, yellow_from=Decimal("0.8")
    )
    refresh_year(year["district"], 2026)  # the colours move with the yellow level
    town = unit_ledgers(year["district"], 2026, today=date(2026, 7, 6), unit_code="U01")[0]
    assert len(town.overdue) == 2
    # 20 of 25 is 80 %: yellow from 80 %.
    assert ([c.colour for c in town.red], [c.colour for c in town.yellow]) == (
        [],
        [engine.YELLOW, engine.YELLOW],
    )


def test_unit_ledgers_take_a_fixed_number_of_queries(year, django_assert_num_queries):
    # The settings, the returned reports, the lines with their latest accepted report, the
    # units, the open notices with their lines and the meeting's open 督办事项.
    with django_assert_num_queries(6):
        small = unit_ledgers(year["district"], 2026, today=JULY_11)
    for n in range(6):
        line = TargetUnitFactory(target=TargetFactory(district=year["district"]))
        ReportFactory(target_unit=line, month=3, value=Decimal(n))
        NoticeFactory(target_unit=line)
    with django_assert_num_queries(6):
        large = unit_ledgers(year["district"], 2026, today=JULY_11)
    assert (len(small), len(large)) == (2, 8)
    with django_assert_num_queries(0):  # what the pages read of a notice is loaded already
        names = [n.target_unit.org_unit.name for u in large for n in u.open_notices]
    assert len(names) == 7


def test_overview_lists_every_target_with_value_plan_and_colour(year):
    rows = overview(year["district"], 2026)
    assert [row.target.code for row in rows] == ["1.1", "2.4"]
    rate, count = rows
    assert [
        (line.target_unit.org_unit.name, line.report.value, line.plan, line.colour)
        for line in rate.lines
    ] == [
        ("城关镇", Decimal(95), Decimal(100), engine.YELLOW),
        ("区财政局", Decimal(100), Decimal(100), engine.GREEN),
    ]
    # The finance bureau's second quarter awaits review; the town's count was returned.
    assert (rate.lines[1].pending.month, rate.lines[1].pending.status) == (6, SUBMITTED)
    assert (count.lines[0].plan, count.lines[0].colour) == (Decimal(25), engine.RED)
    assert count.lines[0].pending.status == RETURNED


def test_overview_filters_by_unit_and_colour(year):
    assert [
        (row.target.code, [line.target_unit.org_unit.code for line in row.lines])
        for row in overview(year["district"], 2026, unit_code="U02")
    ] == [("1.1", ["U02"])]
    assert [row.target.code for row in overview(year["district"], 2026, colour=engine.RED)] == [
        "2.4"
    ]


def test_overview_shows_a_line_without_an_accepted_report(year):
    TargetUnitFactory(target=year["town_rate"].target)
    rows = overview(year["district"], 2026, colour=NO_REPORT)
    assert [(row.target.code, len(row.lines), row.lines[0].report) for row in rows] == [
        ("1.1", 1, None)
    ]


def test_ledger_summary_counts_as_the_unit_ledgers_do(year, django_assert_num_queries):
    # The settings, the lines' counts, the returned reports', the units, the open notices,
    # the meeting's open 督办事项.
    for today in (date(2026, 4, 11), date(2026, 7, 10), JULY_11, date(2027, 2, 1)):
        with django_assert_num_queries(6):
            summary = ledger_summary(year["district"], 2026, today=today)
        assert [(u.org_unit, u.counts, u.open_notices) for u in summary] == [
            (u.org_unit, u.counts, u.open_notices)
            for u in unit_ledgers(year["district"], 2026, today=today)
        ]


# ---------------------------------------------------------------- the meeting's 督办事项


def commitment_of(org_unit, *, title, date=date(2026, 1, 20), done=False, district=None):
    """A 督办事项 made at a review held on ``date``, to the session's unit standing for
    ``org_unit``."""
    from tests.factories import ReviewSessionFactory, UnitFactory
    from tests.factories.followups import FollowUpFactory

    session = ReviewSessionFactory(date=date, district=district or org_unit.district)
    unit = UnitFactory(session=session, name=org_unit.name, org_unit=org_unit)
    return FollowUpFactory(
        session=session, unit=unit, title=title, done_at=timezone.now() if done else None
    )


def test_the_meetings_open_commitments_join_the_units_ledger(year, client, organiser):
    from tests.factories.targets import OrgUnitFactory

    district = year["district"]
    finance = year["finance_rate"].org_unit
    commitment_of(finance, title="财政资金直达基层")
    commitment_of(finance, title="已办结的事项", done=True)
    commitment_of(finance, title="明年的评议会的事项", date=date(2027, 1, 20))
    # A unit with no targets this year but a commitment still gets a ledger.
    press = OrgUnitFactory(code="U09", name="区融媒体中心", district=district)
    commitment_of(press, title="开设评议会专栏")
    summary = {u.org_unit.name: u for u in ledger_summary(district, 2026, today=JULY_11)}
    assert summary["区财政局"].counts == (0, 0, 0, 0, 0, 1)
    assert not summary["区财政局"].clear
    assert summary["区融媒体中心"].counts == (0, 0, 0, 0, 0, 1)
    assert [c.title for c in summary["区财政局"].commitments] == ["财政资金直达基层"]
    # Made in 2026: not on the 2025 ledger.
    assert ledger_summary(district, 2025, today=JULY_11) == []

    client.force_login(organiser)
    page = client.get(f"/targets/{district.code}/2026/ledger/U02/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "财政资金直达基层" in html and "已办结的事项" not in html
    assert "明年的评议会的事项" not in html
    assert client.get(f"/targets/{district.code}/2026/ledger/U09/").status_code == 200
    table = client.get(f"/targets/{district.code}/2026/ledger/").content.decode()
    assert "区融媒体中心" in table and "会议督办" in table


def test_another_districts_commitments_stay_off_the_ledger(year):
    from org.models import District

    finance = year["finance_rate"].org_unit
    other = District.objects.create(code="other", name="别的区")
    commitment_of(finance, title="别的区的评议会", district=other)
    summary = {u.org_unit.name: u for u in ledger_summary(year["district"], 2026, today=JULY_11)}
    assert summary["区财政局"].commitments == []


def test_the_overview_pages_targets_chosen_from_the_stored_colours_as_it_colours_them(year):
    from targets.ledger import overview_targets

    district = year["district"]
    TargetUnitFactory(target=year["town_rate"].target)  # a line with no accepted report
    for colour in (None, engine.RED, engine.YELLOW, engine.GREEN, NO_REPORT):
        for unit_code in (None, "U01", "U02"):
            live = [
                row.target.pk
                for row in overview(district, 2026, unit_code=unit_code, colour=colour)
            ]
            assert list(overview_targets(district, 2026, unit_code=unit_code, colour=colour)) == (
                live
            ), (colour, unit_code)
