"""The 季评比, annual score and 晒成绩 pages (targets/views/results.py)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from org.access import Role
from org.services import default_district
from targets.models import Target
from targets.views.results import default_quarter
from tests.factories import UserFactory
from tests.factories.target_scores import GDP, accepted, line_of, worked_example_unit
from tests.factories.targets import DistrictFactory, OrgUnitFactory

pytestmark = pytest.mark.django_db
D = Decimal
YEAR = 2026


@pytest.fixture
def year():
    district = default_district()
    a = OrgUnitFactory(district=district, code="A01", name="区财政局", category="区直部门")
    b = OrgUnitFactory(district=district, code="B02", name="区发改委", category="区直部门")
    town = OrgUnitFactory(district=district, code="T01", name="城关镇", category="镇(街道)")
    worked_example_unit(a, accident=1)
    accepted(line_of(b, **GDP), "7", month=3)
    count = line_of(town, kind=Target.Kind.COUNT, goal=D(120), points=D(10), measure="个")
    accepted(count, "15", month=3)
    return district, a, b, town, count


def url(name, *args, district=None):
    return reverse(f"targets:{name}", args=[district or default_district().code, YEAR, *args])


def test_default_quarter_is_the_latest_ended():
    assert [
        default_quarter(2025, date(2026, 2, 1)),
        default_quarter(2026, date(2026, 2, 1)),
        default_quarter(2026, date(2026, 7, 1)),
        default_quarter(2026, date(2026, 12, 31)),
        default_quarter(2027, date(2026, 12, 31)),
    ] == [4, 1, 2, 3, 1]


def test_results_pages_send_anonymous_users_to_login(client, year):
    pages = [url("ranking"), url("annual"), url("annual_unit", "A01"), url("board")]

    assert [client.get(page).status_code for page in pages] == [302] * 4


def test_results_pages_are_not_found_for_other_districts_and_liaisons(client, year):
    other = UserFactory(role=Role.OBSERVER, role__district=DistrictFactory())
    liaison = UserFactory(role=Role.LIAISON, role__org_unit=year[1])
    pages = [url("ranking"), url("annual"), url("annual_unit", "A01"), url("board")]

    statuses = []
    for user in (other, liaison):
        client.force_login(user)
        statuses += [client.get(page).status_code for page in pages]

    assert statuses == [404] * 8


def test_ranking_by_quarter_per_category_against_the_plan(client, year):
    client.force_login(UserFactory(role=Role.OBSERVER))

    response = client.get(url("ranking") + "?quarter=1")
    html = response.content.decode()

    assert response.status_code == 200
    assert (response.context["quarter"], response.context["month"]) == (1, 3)
    tables = dict(response.context["tables"])
    # 区发改委 met its rate; 区财政局 is vetoed (one accident); 城关镇 has 15 of the 30 planned.
    assert [
        (r.result.org_unit.code, r.result.rank, r.result.score) for r in tables["区直部门"]
    ] == [
        ("B02", 1, D("100.00")),
        ("A01", 2, D("0.00")),
    ]
    assert [(r.result.score, r.result.total, r.result.possible) for r in tables["镇(街道)"]] == [
        (D("50.00"), D("5.00"), D("10.00"))
    ]
    assert url("annual_unit", "A01") in html
    assert "重大安全生产事故" in html


def test_annual_page_and_unit_trace_show_every_point(client, year, django_assert_max_num_queries):
    client.force_login(UserFactory(role=Role.OBSERVER))

    annual = client.get(url("annual"))
    # The ranks from the stored scores (3), the unit's working live (4).
    with django_assert_max_num_queries(13):
        trace = client.get(url("annual_unit", "A01"))
    html = trace.content.decode()

    assert annual.status_code == 200
    assert trace.status_code == 200
    result = trace.context["result"]
    assert (result.total, result.vetoed_by != ()) == (D("0.00"), True)
    assert (trace.context["row"].points, trace.context["row"].bonus) == (D("29.00"), D("1.00"))
    for step in ("6.3 ÷ 7 = 90.00%", "力争 8：加分 2 × 50.00% = 1.00", "一票否决：未达到确保目标"):
        assert step in html
    report_id = result.lines[0].report_id
    assert reverse("targets:report_detail", args=[default_district().code, YEAR, report_id]) in html


def test_unit_trace_for_a_quarter_and_for_a_unit_of_another_district(client, year):
    client.force_login(UserFactory(role=Role.OFFICE))
    stranger = OrgUnitFactory(district=DistrictFactory(), code="Z99")

    quarter = client.get(url("annual_unit", "T01") + "?quarter=1")
    missing = client.get(url("annual_unit", stranger.code))

    assert quarter.status_code == 200
    assert quarter.context["lines"][0].line.assessed.goal == D(30)
    assert missing.status_code == 404


def test_board_shows_key_indicators_with_bars(client, year):
    client.force_login(UserFactory(role=Role.OBSERVER))

    key = client.get(url("board"))
    everything = client.get(url("board") + "?show=all")

    rows = key.context["rows"]
    assert all(r.target.kind == Target.Kind.QUANTITY for r in rows)
    assert len(everything.context["rows"]) == 7
    gdp = next(r for r in rows if r.value == D("6.3"))
    assert (gdp.bar, gdp.percent, gdp.colour) == (90, D("90.00"), "yellow")
    count = next(
        r for r in everything.context["rows"] if r.target.measure == "个" and r.value == D(15)
    )
    assert (count.bar, count.plan_bar, count.colour) == (10, 25, "red")
    assert 'style="' not in key.content.decode()
