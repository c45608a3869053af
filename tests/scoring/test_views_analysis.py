"""scoring/views_analysis.py: the bias and robustness panel of the results page (docs/results.md,
"Rater bias" and "Robustness")."""

import re

import pytest

from scoring import analysis, services
from tests.scoring.test_views_results import HTMX, make_world, publish, table, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_organisers_see_the_panel_before_publication(organiser_client, world):
    response = organiser_client.get(url("analysis"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="analysis-panel"')
    groups = [row[0].split(" ")[0] for row in table(html, 'id="bias-table"')]
    assert groups == ["县级领导", "区直部门"]
    # Every figure comes with its sentence; the seed is the inputs' hash.
    computed = services.compute(world.session)
    assert computed.inputs_hash[:16] in html
    assert "在双方都评过的" in html and "组内一致性" in html
    # The ranking, its ranges and the margins; a plot drawn as inline SVG, one line a unit.
    ranges = table(html, 'class="analysis-ranges"')
    assert [row[:6] for row in ranges[:2]] == [
        ["1", "东风街道", "良好", "1", "100%", "良好 100%"],
        ["2", "城关镇", "良好", "2", "100%", "良好 100%"],
    ]
    # Down a band with 2 and 1 changed ballots; never 优秀 here (the cap allows none).
    assert [row[6:] for row in ranges[:2]] == [["2", "—"], ["1", "—"]]
    assert html.count('<svg class="rank-plot"') == 2
    assert len(re.findall(r'<circle cx="[\d.]+" cy="\d+" r="5"', html)) == 5
    # No script and no inline style: the page's CSP stays strict.
    assert "<script" not in html and "style=" not in html


def test_without_htmx_it_is_a_page_of_its_own(organiser_client, world):
    response = organiser_client.get(url("analysis"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and '<section id="analysis-panel"' in html


def test_supervisors_see_it_once_published_and_moderators_never(client, world, observer, moderator):
    client.force_login(observer)
    assert client.get(url("analysis"), **HTMX).status_code == 403
    publish(world)
    assert client.get(url("analysis"), **HTMX).status_code == 200
    page = client.get(url("results")).content.decode()
    assert 'id="analysis-open"' in page
    client.force_login(moderator)
    assert client.get(url("analysis"), **HTMX).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(url("analysis"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_notes_for_the_notice_only_when_the_scheme_says_so(world):
    computed = services.compute(world.session)
    # No group of the factory's hall is flagged, and the default is "nothing" anyway.
    assert analysis.notice_notes(world.session, computed) == []
