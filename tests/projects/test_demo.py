"""projects/demo.py and projects/screen.py: the 129 demo projects give the counts
docs/projects.md documents, and the big screen's slides and signature."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from core.colours import Colour
from projects import demo, screen, services
from projects.models import ColourChange, KeyProject, ProjectUpdate
from projects.workbook import parse_projects_workbook
from tests.factories import ReviewSessionFactory, UnitFactory, UserFactory
from tests.factories.projects import KeyProjectFactory, MilestoneFactory

pytestmark = pytest.mark.django_db
DOC = Path(settings.BASE_DIR) / "docs" / "projects.md"


def documented_counts() -> dict[str, int]:
    line = re.search(r"^Demo counts as of 2026-07-16: (.*)$", DOC.read_text(), re.M).group(1)
    labels = {str(label): value for value, label in Colour.choices}
    return {labels[label]: int(n) for label, n in re.findall(r"(\S) (\d+)", line)}


@pytest.fixture
def demo_session():
    session = ReviewSessionFactory(slug="demo-mid")
    for name in ["迎宾路街道", "古荥镇", "区发改委", "区财政局", "区委办", "团区委"]:
        UnitFactory(session=session, name=name)
    return session


def test_demo_counts_are_the_documented_ones(demo_session):
    plan = demo.load_demo_projects(demo_session, UserFactory())

    assert plan.counts == documented_counts()
    assert sum(plan.counts.values()) == 129
    assert all(plan.counts.values())  # every colour present
    assert plan.changed == 0  # the import already coloured as of the session date
    assert KeyProject.objects.filter(session=demo_session).count() == 129
    assert ColourChange.objects.filter(project__session=demo_session).count() == 129
    assert ProjectUpdate.objects.filter(project__session=demo_session).count() == 43


def test_demo_recolour_command_line_matches_doc(demo_session):
    demo.load_demo_projects(demo_session, None)
    plan = services.projects_recolour(session=demo_session, actor=None, as_of=demo.DEMO_AS_OF)
    assert services.counts_in_words(plan.counts) == (
        re.search(r"^Demo counts as of 2026-07-16: (.*)$", DOC.read_text(), re.M).group(1)
    )


def test_demo_is_deterministic_and_loads_once(demo_session):
    names = list(demo_session.units.values_list("name", flat=True))
    first = parse_projects_workbook(io.BytesIO(demo.demo_workbook_bytes(names)), unit_names=names)
    again = parse_projects_workbook(
        io.BytesIO(demo.demo_workbook_bytes(list(reversed(names)))), unit_names=names
    )
    assert first == again
    assert len({r.unit for r in first}) == len(names)
    assert demo.load_demo_projects(demo_session, None) is not None
    assert demo.load_demo_projects(demo_session, None) is None
    assert KeyProject.objects.filter(session=demo_session).count() == 129


# ---------------------------------------------------------------- the big screen


@pytest.fixture
def slideshow():
    session = ReviewSessionFactory()
    for code, colour in [("B-2", "red"), ("B-1", "green"), ("B-3", "green"), ("B-4", "blue")]:
        project = KeyProjectFactory(session=session, code=code, colour=colour)
        MilestoneFactory(project=project)
    return session


def test_screen_slides_ordered_by_colour_then_code(slideshow, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        slides = screen.slides(slideshow)
    assert [(s.colour, s.code) for s in slides] == [
        ("green", "B-1"), ("green", "B-3"), ("blue", "B-4"), ("red", "B-2"),
    ]  # fmt: skip
    assert [s.code for s in screen.slides(slideshow, "green")] == ["B-1", "B-3"]
    assert len(screen.slides(slideshow, "nonsense")) == 4


def test_screen_slide_carries_what_a_slide_shows(slideshow):
    project = KeyProject.objects.get(code="B-4")
    ProjectUpdate.objects.create(project=project, text="旧的")
    ProjectUpdate.objects.create(project=project, text="新  进展\n" + "很长" * 40)
    (slide,) = screen.slides(slideshow, "blue")
    assert (slide.name, slide.unit, slide.category, slide.planned, slide.actual) == (
        project.name, project.unit.name, "产业项目", project.milestones.get().planned_progress,
        project.actual_progress,
    )  # fmt: skip
    assert slide.latest_update == "新 进展 " + ("很长" * 40)[: screen.UPDATE_CHARS - 6] + "…"
    assert len(slide.latest_update) == screen.UPDATE_CHARS


def test_screen_signature_changes_with_any_project_change(slideshow, django_assert_num_queries):
    with django_assert_num_queries(1):
        before = screen.signature(slideshow)
    assert before == screen.signature(slideshow)
    project = KeyProject.objects.get(code="B-1")
    services.project_colour_set(project=project, colour="red", reason="x", actor=None)
    after_colour = screen.signature(slideshow)
    assert after_colour != before
    services.project_update_add(project=project, actor=None, text="新进展")
    assert screen.signature(slideshow) != after_colour
    assert screen.signature(ReviewSessionFactory()) == "0:-"


def test_screen_template_pages_by_colour(slideshow):
    for i in range(7):
        KeyProjectFactory(session=slideshow, code=f"C-{i}", colour="green")
    html = render_to_string(
        "projects/_screen_slides.html", {"slides": screen.slides(slideshow), "colour": ""}
    )
    pages = re.findall(r'<section class="slide-page page-(\w+)', html)
    assert pages == ["green", "green", "blue", "red"]  # 9 green: 6 + 3
    assert re.findall(r'class="slides-count count-(\w+)"><b>(\d+)</b>', html) == [
        ("green", "9"), ("blue", "1"), ("yellow", "0"), ("red", "1"),
    ]  # fmt: skip
    only_red = render_to_string(
        "projects/_screen_slides.html", {"slides": screen.slides(slideshow, "red"), "colour": "red"}
    )
    assert re.findall(r'class="slides-count count-(\w+)"', only_red) == ["red"]
