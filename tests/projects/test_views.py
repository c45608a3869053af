"""projects/views.py: the board, import, recolour, rule, project page and slideshow preview:
who may, filters, htmx fragments, another session's ids."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from projects.models import ColourChange, KeyProject, ProjectRule, ProjectUpdate
from sessions.models import AuditLog
from tests.factories import ReviewSessionFactory, UnitFactory
from tests.factories.projects import (
    XLSX_TYPE,
    KeyProjectFactory,
    MilestoneFactory,
    chart_sheet_bytes,
    project_row,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db
D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
SLUG = "2026-mid"
AS_OF = datetime.date(2026, 7, 16)


@pytest.fixture
def session():
    session = ReviewSessionFactory(slug=SLUG)
    ProjectRule.objects.create(session=session, as_of=AS_OF)
    return session


@pytest.fixture
def world(session):
    """Four projects, one per colour, over two units and two categories."""
    town = UnitFactory(session=session, name="古荥镇")
    office = UnitFactory(session=session, name="区发改委")
    specs = [
        ("A-1", "green", town, "产业项目"),
        ("A-2", "blue", town, "民生项目"),
        ("A-3", "yellow", office, "产业项目"),
        ("A-4", "red", office, "产业项目"),
    ]
    projects = {}
    for code, colour, unit, category in specs:
        projects[code] = KeyProjectFactory(
            session=session, code=code, name=f"项目{code}", unit=unit, category=category,
            colour=colour,
        )  # fmt: skip
        MilestoneFactory(project=projects[code], planned_progress=D("60"))
    return projects


def url(name, *args):
    return reverse(f"projects:{name}", args=[SLUG, *args])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def listed_codes(response) -> list[str]:
    body = re.search(
        r'<table id="project-list".*?<tbody>(.*?)</tbody>', response.content.decode(), re.S
    ).group(1)
    return re.findall(r"<span class=\"small muted\">(A-\d)", body)


def tile_counts(response) -> dict[str, str]:
    html = response.content.decode()
    return dict(re.findall(r'id="tile-(\w+)".*?<b>(\d+)</b>', html))


def test_projects_urls():
    assert [url("board"), url("import"), url("template"), url("recolour"), url("rule"),
            url("slides"), url("detail", 3), url("update_add", 3), url("colour", 3)] == [
        f"/sessions/{SLUG}/projects/", f"/sessions/{SLUG}/projects/import/",
        f"/sessions/{SLUG}/projects/projects.xlsx", f"/sessions/{SLUG}/projects/recolour/",
        f"/sessions/{SLUG}/projects/rule/", f"/sessions/{SLUG}/projects/slides/",
        f"/sessions/{SLUG}/projects/3/", f"/sessions/{SLUG}/projects/3/updates/",
        f"/sessions/{SLUG}/projects/3/colour/",
    ]  # fmt: skip


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("name", ["board", "rule", "slides", "import", "template", "recolour"])
def test_projects_anonymous_is_sent_to_login(client, session, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize("name", ["board", "rule", "slides"])
def test_projects_every_staff_role_views(client, session, world, name, moderator, observer):
    for user in (moderator, observer):
        client.force_login(user)
        assert client.get(url(name)).status_code == 200


def test_projects_detail_viewable_by_moderator_without_forms(moderator_client, world):
    response = moderator_client.get(url("detail", world["A-1"].pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert ('id="update-form"' in html, 'id="colour-form"' in html) == (False, False)


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "import", ()),
        ("post", "import", ()),
        ("get", "template", ()),
        ("get", "recolour", ()),
        ("post", "recolour", ()),
        ("post", "rule", ()),
        ("post", "update_add", ("A-1",)),
        ("post", "colour", ("A-1",)),
    ],
)
def test_projects_changes_are_for_organisers(moderator_client, world, method, name, args):
    ids = [world[a].pk for a in args]
    response = getattr(moderator_client, method)(url(name, *ids))
    assert response.status_code == 403
    assert ProjectUpdate.objects.count() == 0
    assert ColourChange.objects.count() == 0


def test_projects_user_without_role_is_refused(client, session):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(url("board")).status_code == 403


# ---------------------------------------------------------------- the board


def test_projects_board_lists_counts_and_bars(
    organiser_client, world, django_assert_max_num_queries
):
    world["A-1"].actual_progress = D("62.5")
    world["A-1"].save()
    ProjectUpdate.objects.create(project=world["A-2"], text="<script>x</script>进展")
    with django_assert_max_num_queries(12):
        response = organiser_client.get(url("board"))
    assert response.status_code == 200
    assert listed_codes(response) == ["A-1", "A-2", "A-3", "A-4"]
    assert tile_counts(response) == {"green": "1", "blue": "1", "yellow": "1", "red": "1"}
    html = response.content.decode()
    assert "62.5% / 60%" in text(html)
    assert 'class="bar-planned bar-w60"' in html and 'class="bar-actual fill-green bar-w65"' in html
    assert "&lt;script&gt;x&lt;/script&gt;进展" in html
    assert "<script>x" not in html


def test_projects_board_queries_do_not_grow_with_projects(
    organiser_client, world, django_assert_max_num_queries
):
    for i in range(30):
        project = KeyProjectFactory(session=world["A-1"].session, unit=world["A-1"].unit)
        MilestoneFactory(project=project)
        ProjectUpdate.objects.create(project=project, text=f"进展{i}")
    with django_assert_max_num_queries(12):
        assert organiser_client.get(url("board")).status_code == 200


@pytest.mark.parametrize(
    ("query", "codes", "tiles"),
    [
        ({"colour": "yellow"}, ["A-3"], {"green": "1", "blue": "1", "yellow": "1", "red": "1"}),
        ({"category": "产业项目"}, ["A-1", "A-3", "A-4"], {"green": "1", "blue": "0", "yellow": "1", "red": "1"}),
        ({"unit": "town", "colour": "blue"}, ["A-2"], {"green": "1", "blue": "1", "yellow": "0", "red": "0"}),
    ],
)  # fmt: skip
def test_projects_board_filters(organiser_client, world, query, codes, tiles):
    if "unit" in query:
        query["unit"] = world["A-1"].unit_id
    response = organiser_client.get(url("board"), query)
    assert listed_codes(response) == codes
    assert tile_counts(response) == tiles


def test_projects_board_htmx_returns_the_body_only(organiser_client, world):
    response = organiser_client.get(url("board"), {"colour": "red"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board-body">')
    assert "<html" not in html
    assert listed_codes(response) == ["A-4"]
    # The tiles keep the other filters and swap the same body.
    assert 'href="?colour=green"' in html
    assert "HX-Request" in response["Vary"]


def test_projects_board_history_restore_gets_the_whole_page(organiser_client, world):
    response = organiser_client.get(
        url("board"), {"colour": "red"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    assert "<html" in response.content.decode()
    assert listed_codes(response) == ["A-4"]


def test_projects_board_bad_filter_is_shown_and_ignored(organiser_client, world):
    other = UnitFactory()  # a unit of another session
    response = organiser_client.get(url("board"), {"unit": other.pk, "colour": "purple"})
    assert response.status_code == 200
    assert listed_codes(response) == ["A-1", "A-2", "A-3", "A-4"]
    assert "筛选条件无效，已忽略" in text(response.content.decode())


def test_projects_board_empty_says_how_to_start(organiser_client, session):
    response = organiser_client.get(url("board"))
    assert "还没有重点项目。组织者可从 Excel 导入。" in text(response.content.decode())


# ---------------------------------------------------------------- import and download


def upload(data: bytes, name="重点项目.xlsx"):
    return SimpleUploadedFile(name, data, XLSX_TYPE)


def test_projects_import_stores_and_redirects(organiser_client, session):
    UnitFactory(session=session, name="区发改委")
    response = organiser_client.post(url("import"), {"file": upload(workbook_bytes())})
    assert response.status_code == 302
    assert response.url == url("board")
    assert list(KeyProject.objects.values_list("code", "colour")) == [("A-1", "green")]
    page = organiser_client.get(response.url)
    assert "导入重点项目：新增 1 个" in text(page.content.decode())


def test_projects_import_bad_file_names_row_and_stores_nothing(organiser_client, session):
    UnitFactory(session=session, name="区发改委")
    data = workbook_bytes([project_row(), project_row(code="A-2", unit="某某局")])
    response = organiser_client.post(url("import"), {"file": upload(data)})
    assert response.status_code == 422
    rows = re.findall(
        r"<tr><td>(.*?)</td><td class=\"num\">(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>",
        response.content.decode(),
    )
    assert rows == [("项目", "3", "责任单位", "单位“某某局”不在本评议会中。")]
    assert KeyProject.objects.count() == 0
    assert AuditLog.objects.filter(action="projects.import").count() == 0


def test_projects_import_chart_sheet_is_a_message_not_a_crash(organiser_client, session):
    UnitFactory(session=session, name="区发改委")
    response = organiser_client.post(url("import"), {"file": upload(chart_sheet_bytes())})
    assert response.status_code == 422  # the page, with the problem, as for every bad workbook
    assert [str(p) for p in response.context["problems"]] == [
        "工作表“项目”：这是一张图表工作表，没有数据：请把数据放在名为“项目”的普通工作表中。"
    ]
    assert "这是一张图表工作表" in text(response.content.decode())
    assert KeyProject.objects.count() == 0
    assert AuditLog.objects.filter(action="projects.import").count() == 0


@pytest.mark.parametrize("name", ["projects-plain-percent.xls", "projects-utf8-bom.csv"])
def test_projects_import_reads_xls_and_csv(organiser_client, session, name):
    UnitFactory(session=session, name="区发改委")
    UnitFactory(session=session, name="区委办公室（区档案馆）")
    data = (Path(__file__).parents[1] / "fixtures" / "workbooks" / name).read_bytes()

    response = organiser_client.post(url("import"), {"file": upload(data, name=name)})

    assert response.status_code == 302
    assert list(KeyProject.objects.order_by("code").values_list("code", "actual_progress")) == [
        ("ZD-001", Decimal("40.00")),
        ("ZD-002", Decimal("45.50")),
        ("ZD-003", Decimal("62.50")),
    ]


def test_projects_import_refuses_other_file_types(organiser_client, session):
    response = organiser_client.post(url("import"), {"file": upload(b"%PDF-1.4", name="x.pdf")})
    assert response.status_code == 422
    assert "只能导入表格文件" in text(response.content.decode())


def test_projects_template_downloads_xlsx(organiser_client, world):
    response = organiser_client.get(url("template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]


# ---------------------------------------------------------------- recolour


def test_projects_recolour_previews_then_applies(organiser_client, world):
    # A-1 is stored green but is 50 behind plan (60) at 10 %: the rule says red.
    world["A-1"].actual_progress = D("10")
    world["A-1"].save()
    preview = organiser_client.post(url("recolour"), {"as_of": "2026-07-16"})
    assert preview.status_code == 200
    assert ColourChange.objects.count() == 0
    assert "按 2026-07-16 计算，将有 3 个项目变色" in text(preview.content.decode())

    done = organiser_client.post(url("recolour"), {"as_of": "2026-07-16", "confirmed": "on"})
    assert done.status_code == 302
    assert ColourChange.objects.count() == 3
    # A-2..A-4 missed their milestone (not done) at 50 % of a 60 % plan: blue.
    assert dict(KeyProject.objects.values_list("code", "colour")) == {
        "A-1": "red", "A-2": "blue", "A-3": "blue", "A-4": "blue",
    }  # fmt: skip


def test_projects_recolour_date_defaults_to_today_in_iso(organiser_client, world):
    """A date input shows only an ISO value: the localised 2026/07/16 left the field blank and
    the preview could not be asked for without typing a date."""
    response = organiser_client.get(url("recolour"))
    today = timezone.localdate().isoformat()
    field = re.search(r'<input type="date" name="as_of"[^>]*>', response.content.decode())
    assert field is not None
    assert f'value="{today}"' in field.group(0)
    preview = organiser_client.post(url("recolour"), {"as_of": today})
    assert preview.status_code == 200
    assert f"按 {today} 计算" in text(preview.content.decode())


def test_projects_recolour_bad_date_changes_nothing(organiser_client, world):
    response = organiser_client.post(url("recolour"), {"as_of": "2026-13-01", "confirmed": "on"})
    assert response.status_code == 422
    assert ColourChange.objects.count() == 0


# ---------------------------------------------------------------- the rule


def test_projects_rule_saves_and_refuses_yellow_above_red(organiser_client, session):
    bad = organiser_client.post(url("rule"), {"yellow_behind": "40", "red_behind": "30"})
    assert bad.status_code == 422
    assert "红色阈值不能小于黄色阈值。" in text(bad.content.decode())
    good = organiser_client.post(url("rule"), {"yellow_behind": "15", "red_behind": "35"})
    assert good.status_code == 302
    rule = ProjectRule.objects.get(session=session)
    assert (rule.yellow_behind, rule.red_behind) == (D("15"), D("35"))


# ---------------------------------------------------------------- one project


def test_projects_detail_shows_milestones_updates_history(organiser_client, world):
    project = world["A-3"]
    ColourChange.objects.create(
        project=project, from_colour="", to_colour="yellow", by_rule=True, reason="导入"
    )
    ProjectUpdate.objects.create(
        project=project, text="<b>封顶</b>", photo_url="https://example.com/p.jpg"
    )
    response = organiser_client.get(url("detail", project.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;b&gt;封顶&lt;/b&gt;" in html
    assert '<a href="https://example.com/p.jpg" rel="noopener noreferrer" target="_blank">' in html
    assert 'id="update-form"' in html and 'id="colour-form"' in html


def test_projects_other_sessions_project_is_404(organiser_client, session, world):
    stranger = KeyProjectFactory()  # another session
    for name, method in (("detail", "get"), ("update_add", "post"), ("colour", "post")):
        response = getattr(organiser_client, method)(
            url(name, stranger.pk), {"text": "x", "reason": "x"}
        )
        assert response.status_code == 404
    assert organiser_client.get(reverse("projects:board", args=["no-such"])).status_code == 404
    assert ProjectUpdate.objects.count() == 0


def test_projects_update_add_htmx_swaps_the_body(organiser_client, world):
    project = world["A-1"]
    response = organiser_client.post(
        url("update_add", project.pk),
        {"text": "完成主体", "progress": "70", "stalled": "", "photo_url": "", "video_url": ""},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="project-body">')
    assert 'id="actual-progress">70%' in html
    project.refresh_from_db()
    assert project.actual_progress == D("70")


def test_projects_update_add_without_htmx_redirects(organiser_client, world):
    project = world["A-1"]
    response = organiser_client.post(url("update_add", project.pk), {"text": "开工"})
    assert response.status_code == 302
    assert response.url == url("detail", project.pk)


def test_projects_update_add_bad_link_changes_nothing(organiser_client, world):
    project = world["A-1"]
    response = organiser_client.post(
        url("update_add", project.pk), {"text": "x", "photo_url": "ftp://example.com/a"}, **HTMX
    )
    assert response.status_code == 422
    assert "输入一个有效的 URL。" in text(response.content.decode())
    assert ProjectUpdate.objects.count() == 0


def test_projects_colour_set_and_clear(organiser_client, world):
    project = world["A-1"]
    response = organiser_client.post(
        url("colour", project.pk), {"colour": "red", "reason": "领导批示"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.colour, project.colour_set_by) == ("red", "manual")

    no_reason = organiser_client.post(
        url("colour", project.pk), {"colour": "", "reason": ""}, **HTMX
    )
    assert no_reason.status_code == 422
    project.refresh_from_db()
    assert project.colour_set_by == "manual"

    cleared = organiser_client.post(
        url("colour", project.pk), {"colour": "", "reason": "已整改"}, **HTMX
    )
    assert cleared.status_code == 200
    project.refresh_from_db()
    assert project.colour_set_by == "rule"
    assert ColourChange.objects.filter(project=project).count() == 2


# ---------------------------------------------------------------- slideshow preview


def test_projects_slides_preview_filters_by_colour(organiser_client, world):
    response = organiser_client.get(url("slides"), {"colour": "red"})
    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'<article class="slide-card card-(\w+)">', html) == ["red"]
    assert 'src="/static/js/projects_slides.js"' in html


def test_projects_milestone_done_htmx_swaps_the_body_with_the_date(organiser_client, world):
    project = world["A-1"]
    milestone = project.milestones.get()

    response = organiser_client.post(
        url("milestone_done", project.pk, milestone.pk), {"done_on": "2026-06-20"}, **HTMX
    )

    milestone.refresh_from_db()
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="project-body">')
    assert milestone.done_on == datetime.date(2026, 6, 20)
    assert 'value="2026-06-20"' in html


def test_projects_milestone_done_refusal_is_shown_and_changes_nothing(organiser_client, world):
    project = world["A-1"]
    milestone = project.milestones.get()

    future = organiser_client.post(
        url("milestone_done", project.pk, milestone.pk), {"done_on": "2099-01-01"}, **HTMX
    )
    garbage = organiser_client.post(
        url("milestone_done", project.pk, milestone.pk), {"done_on": "not a date"}, **HTMX
    )

    milestone.refresh_from_db()
    assert (future.status_code, garbage.status_code) == (422, 422)
    assert "完成日期不能晚于今天。" in future.content.decode()
    assert "请填写有效的完成日期。" in garbage.content.decode()
    assert milestone.done_on is None


def test_projects_milestone_done_is_for_organisers_of_this_session(moderator_client, world):
    from org.access import Role
    from tests.factories import UserFactory

    project = world["A-1"]
    milestone = project.milestones.get()
    stranger = MilestoneFactory(project=KeyProjectFactory(session=ReviewSessionFactory()))

    assert moderator_client.post(url("milestone_done", project.pk, milestone.pk)).status_code == 403
    moderator_client.logout()
    organiser = UserFactory(username="org2", role=Role.ORGANISER)
    moderator_client.force_login(organiser)
    assert moderator_client.post(url("milestone_done", project.pk, stranger.pk)).status_code == 404
