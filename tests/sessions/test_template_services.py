"""A district's session templates: data its organisers edit, read by every new session
(sessions/template_services.py)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from org.access import Role
from org.models import District
from org.services import default_district
from sessions import services, template_services
from sessions.models import ReviewSession, SessionTemplate
from sessions.presets import PRESETS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MIDYEAR = ReviewSession.Kind.MIDYEAR


def test_a_district_starts_from_the_built_in_presets():
    template = template_services.template_for(default_district(), MIDYEAR)

    preset = PRESETS[MIDYEAR]
    assert template.title == preset.title
    assert [(c["name"], c["side"]) for c in template.categories] == preset.categories
    assert [(g["name"], g["weight"], g["side"]) for g in template.groups] == [
        (name, str(weight), side) for name, weight, side in preset.groups
    ]
    assert [g["name"] for g in template.groups if g["is_leaders"]] == ["县级领导"]
    assert [g["name"] for g in template.groups if g["can_ask"]] == ["两代表一委员/社会公众代表"]


def test_a_new_session_takes_its_districts_edited_template():
    east = District.objects.create(code="guancheng", name="管城回族区")
    template_services.template_update(
        template=template_services.template_for(east, MIDYEAR),
        actor=None,
        title="年中述职讲评会",
        categories="镇(街道) | 镇(街道)\n区直单位 | 部门",
        groups="区级领导 | 50 | 其他 | 否 | 是\n群众代表｜12.5｜其他｜是｜否",
    )

    session = services.session_create(kind=MIDYEAR, year=2026, district=east)
    home = services.session_create(kind=MIDYEAR, year=2026)

    assert session.title == "2026年年中述职讲评会"
    assert list(session.categories.values_list("name", "side")) == [
        ("镇(街道)", "town"),
        ("区直单位", "department"),
    ]
    assert [
        (g.name, str(g.weight), g.side, g.can_ask, g.is_leaders) for g in session.rater_groups.all()
    ] == [("区级领导", "50.00", "other", False, True), ("群众代表", "12.50", "other", True, False)]
    # The other district keeps the built-in template.
    assert list(home.rater_groups.values_list("name", flat=True)) == [
        name for name, _weight, _side in PRESETS[MIDYEAR].groups
    ]


def test_every_wrong_line_is_named_and_nothing_is_saved():
    template = template_services.template_for(default_district(), MIDYEAR)
    before = (template.title, template.categories, template.groups)

    with pytest.raises(ValidationError) as raised:
        template_services.template_update(
            template=template,
            actor=None,
            title=" ",
            categories="镇(街道) | 乡村\n镇(街道) | 镇(街道)\n政府部门 | 部门\n政府部门",
            groups="县级领导 | 四十 | 其他 | 否 | 是\n代表 | 20 | 其他 | 也许 | 否\n"
            "甲 | 10 | 其他 | 否 | 是\n乙 | 10 | 其他 | 否 | 是",
        )

    assert raised.value.messages == [
        "模板名称不能为空。",
        "单位类别第 1 行“镇(街道) | 乡村”：应为“名称 | 镇(街道)、部门或其他”。",
        "单位类别第 4 行“政府部门”：类别“政府部门”重复。",
        "评议组第 1 行“县级领导 | 四十 | 其他 | 否 | 是”：应为“名称 | 权重（不小于 0 的数） | "
        "镇(街道)、部门或其他 | 可问政（是/否） | 县级领导组（是/否）”。",
        "评议组第 2 行“代表 | 20 | 其他 | 也许 | 否”：应为“名称 | 权重（不小于 0 的数） | "
        "镇(街道)、部门或其他 | 可问政（是/否） | 县级领导组（是/否）”。",
        "评议组：至多一个县级领导组（同分时比较的评议组）。",
    ]
    template.refresh_from_db()
    assert (template.title, template.categories, template.groups) == before


def test_the_page_shows_the_template_as_text_that_saves_back_unchanged(client):
    client.force_login(UserFactory(role=Role.ORGANISER))
    url = reverse("review:template_edit", args=["huiji", MIDYEAR])
    form = client.get(url).context["form"]

    response = client.post(url, {name: form.initial[name] for name in form.fields})

    assert response.status_code == 302
    template = SessionTemplate.objects.get(kind=MIDYEAR)
    assert template.groups == template_services.template_for(default_district(), MIDYEAR).groups
    assert "县级领导 | 40 | 其他 | 否 | 是" in form.initial["groups"]


def test_only_the_districts_organisers_edit_its_templates(client):
    east = District.objects.create(code="guancheng", name="管城回族区")
    home_url = reverse("review:template_edit", args=["huiji", MIDYEAR])

    client.force_login(UserFactory(role=Role.ORGANISER, role__district=east))
    assert client.get(home_url).status_code == 404
    assert (
        client.get(reverse("review:template_edit", args=["guancheng", MIDYEAR])).status_code == 200
    )
    listing = client.get(reverse("review:template_list")).content.decode()
    assert "管城回族区" in listing and "惠济区" not in listing

    client.force_login(UserFactory(role=Role.MODERATOR))
    assert client.get(home_url).status_code == 403


def test_a_workbooks_new_groups_start_as_the_districts_template_says():
    from sessions.imports import session_create_from_workbook
    from sessions.workbook import parse_session_workbook
    from tests.factories.workbooks import workbook_file

    template_services.template_update(
        template=template_services.template_for(default_district(), MIDYEAR),
        actor=None,
        title="年中述职讲评会",
        categories="镇(街道) | 镇(街道)",
        groups="区级领导 | 40 | 其他 | 否 | 是\n街镇组 | 20 | 镇(街道) | 否 | 否\n群众 | 20 | 其他 | 是 | 否",
    )
    groups = [
        ["名称", "权重"],
        ["区级领导", 40],
        ["街镇组", 20],
        ["群众", 20],
        ["县级领导", 10],
        ["其他组", 5],
    ]

    session = session_create_from_workbook(
        workbook=parse_session_workbook(workbook_file(groups=groups, raters=[])), actor=None
    )

    assert [
        (g.name, g.side, g.can_ask, g.is_leaders) for g in session.rater_groups.order_by("order")
    ] == [
        ("区级领导", "other", False, True),
        ("街镇组", "town", False, False),
        ("群众", "other", True, False),
        # The annual template's leaders' group, but the session has one already.
        ("县级领导", "other", False, False),
        # In no template of the district: 其他, and the built-in defaults.
        ("其他组", "other", False, False),
    ]
