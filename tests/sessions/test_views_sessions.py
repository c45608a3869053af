"""Staff pages of a session (sessions/views/sessions.py) and the rater's entry page
(sessions/views/rate.py): anonymous, wrong role, right role, htmx fragments, bad input,
tampered ids, frozen sessions and queries per page (STYLE.md items 3, 5 and 12)."""

import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.audit import audit
from sessions import draw_services, draws, report_services
from sessions.models import (
    Attachment,
    AuditLog,
    Credential,
    Draw,
    Participant,
    RaterGroup,
    Report,
    ReviewSession,
    Unit,
    UnitCategory,
)
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
    UserFactory,
)
from tests.factories.raters import enter, holding

Status = ReviewSession.Status
PDF = b"%PDF-1.7\n%test\n"
HTMX = {"HTTP_HX_REQUEST": "true"}
FROZEN_NOTICE = "配置已冻结：单位、评议组、权重和抽签结果只能在草稿状态下修改。"
FROZEN_REFUSAL = "评议会状态为“已就绪”，单位、评议组、权重和计分办法已冻结。"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _build(slug: str, title: str) -> SimpleNamespace:
    """A draft session with one of everything a staff page can name by id."""
    session = ReviewSessionFactory(slug=slug, title=title)
    towns = UnitCategoryFactory(session=session, name="镇(街道)", side="town")
    empty = UnitCategoryFactory(session=session, name="开发区")
    fixed = UnitFactory(session=session, category=towns, name="花园口镇")
    pool_unit = UnitFactory(session=session, category=towns, name="刘集镇")
    participant = ParticipantFactory(session=session, unit=fixed)
    group = RaterGroupFactory(session=session, name="县级领导", weight=Decimal("40"))
    spare_group = RaterGroupFactory(session=session, name="区直部门", weight=Decimal("20"))
    draw = draw_services.draw_speaking_order(session=session, actor=None, seed="1")
    attachment = report_services.attachment_add(
        participant=participant,
        kind="work",
        upload=SimpleUploadedFile("述职报告.pdf", PDF),
        actor=None,
    )
    return SimpleNamespace(
        session=session,
        slug=slug,
        towns=towns,
        empty=empty,
        fixed=fixed,
        pool_unit=pool_unit,
        participant=participant,
        group=group,
        spare_group=spare_group,
        draw=draw,
        attachment=attachment,
    )


@pytest.fixture
def world(db):
    return _build("2026-midyear", "2026年年中述职讲评")


@pytest.fixture
def other(db):
    return _build("2025-midyear", "另一场评议会")


def _snapshot() -> dict:
    """Every row a staff write could touch, in every session."""
    return {
        "sessions": list(ReviewSession.objects.order_by("pk").values()),
        "categories": list(UnitCategory.objects.order_by("pk").values()),
        "units": list(Unit.objects.order_by("pk").values()),
        "groups": list(RaterGroup.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "draws": list(Draw.objects.order_by("pk").values()),
        "reports": list(Report.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "credentials": list(Credential.objects.order_by("pk").values()),
        "audit": AuditLog.objects.count(),
    }


def _url(name: str, *args) -> str:
    return reverse(f"review:{name}", args=args)


def _html(response) -> str:
    return response.content.decode()


def _upload(name="附件.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# Every staff page that only reads: (name, args, extra GET data).
READS = {
    "session_list": lambda w: _url("session_list"),
    "session_detail": lambda w: _url("session_detail", w.slug),
    "audit_log": lambda w: _url("audit_log", w.slug),
    "units": lambda w: _url("units", w.slug),
    "groups": lambda w: _url("groups", w.slug),
    "draws": lambda w: _url("draws", w.slug),
    "draw_detail": lambda w: _url("draw_detail", w.slug, w.draw.pk),
    "participant_reports": lambda w: _url("participant_reports", w.slug, w.participant.pk),
    "attachment_download": lambda w: _url("attachment_download", w.slug, w.attachment.pk),
}

# Every write, with valid input so that a missing permission check would change something.
WRITES = {
    "session_create GET": lambda w: ("get", _url("session_create"), {}),
    "session_create": lambda w: ("post", _url("session_create"), {"kind": "annual", "year": 2026}),
    "session_edit GET": lambda w: ("get", _url("session_edit", w.slug), {}),
    "session_edit": lambda w: (
        "post",
        _url("session_edit", w.slug),
        {"title": "改名", "year": 2026, "date": "", "venue": ""},
    ),
    "session_transition GET": lambda w: ("get", _url("session_transition", w.slug, "ready"), {}),
    "session_transition": lambda w: ("post", _url("session_transition", w.slug, "ready"), {}),
    "unit_add": lambda w: (
        "post",
        _url("unit_add", w.slug),
        {"name": "新城街道", "category": w.towns.pk},
    ),
    "unit_edit GET": lambda w: ("get", _url("unit_edit", w.slug, w.pool_unit.pk), {}),
    "unit_edit": lambda w: (
        "post",
        _url("unit_edit", w.slug, w.pool_unit.pk),
        {"name": "改名", "category": w.towns.pk},
    ),
    "unit_delete GET": lambda w: ("get", _url("unit_delete", w.slug, w.pool_unit.pk), {}),
    "unit_delete": lambda w: ("post", _url("unit_delete", w.slug, w.pool_unit.pk), {}),
    "participant_toggle": lambda w: (
        "post",
        _url("participant_toggle", w.slug),
        {"unit": w.pool_unit.pk},
    ),
    "category_add": lambda w: (
        "post",
        _url("category_add", w.slug),
        {"name": "政府部门", "side": "department"},
    ),
    "category_edit GET": lambda w: ("get", _url("category_edit", w.slug, w.towns.pk), {}),
    "category_edit": lambda w: (
        "post",
        _url("category_edit", w.slug, w.towns.pk),
        {"name": "改名", "side": "other"},
    ),
    "category_delete GET": lambda w: ("get", _url("category_delete", w.slug, w.empty.pk), {}),
    "category_delete": lambda w: ("post", _url("category_delete", w.slug, w.empty.pk), {}),
    "group_add": lambda w: (
        "post",
        _url("group_add", w.slug),
        {"name": "两代表一委员", "weight": "20", "min_sample": "3", "side": "other"},
    ),
    "group_edit GET": lambda w: ("get", _url("group_edit", w.slug, w.group.pk), {}),
    "group_edit": lambda w: (
        "post",
        _url("group_edit", w.slug, w.group.pk),
        {"name": "县级领导", "weight": "50", "min_sample": "3", "side": "other"},
    ),
    "group_delete GET": lambda w: ("get", _url("group_delete", w.slug, w.spare_group.pk), {}),
    "group_delete": lambda w: ("post", _url("group_delete", w.slug, w.spare_group.pk), {}),
    "draw_participants": lambda w: (
        "post",
        _url("draw_participants", w.slug),
        {f"quota_{w.towns.pk}": "1", "seed": "7", "drawn_by": "城关镇党委书记 张三"},
    ),
    "draw_speaking_order": lambda w: (
        "post",
        _url("draw_speaking_order", w.slug),
        {"seed": "7"},
    ),
    "participant_reports POST": lambda w: (
        "post",
        _url("participant_reports", w.slug, w.participant.pk),
        {"kind": "integrity", "text": "廉洁自律"},
    ),
    "attachment_add": lambda w: (
        "post",
        _url("attachment_add", w.slug, w.participant.pk),
        {"kind": "work", "file": _upload()},
    ),
    "attachment_delete": lambda w: (
        "post",
        _url("attachment_delete", w.slug, w.attachment.pk),
        {},
    ),
}


def _send(client, method, url, data, **extra):
    return getattr(client, method)(url, data, **extra)


# ---------------------------------------------------------------- anonymous and wrong roles


@pytest.mark.parametrize("page", READS.values(), ids=READS.keys())
def test_staff_read_page_anonymous_redirects_to_login(client, world, page):
    url = page(world)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url)}"


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_staff_write_anonymous_redirects_to_login_and_changes_nothing(client, world, write):
    method, url, data = write(world)
    before = _snapshot()

    response = _send(client, method, url, data)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url)}"
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["observer", "moderator"])
@pytest.mark.parametrize("page", READS.values(), ids=READS.keys())
def test_staff_read_page_observer_and_moderator_see_it(client, request, world, role, page):
    client.force_login(request.getfixturevalue(role))

    response = client.get(page(world))

    assert response.status_code == 200


@pytest.mark.parametrize("role", ["observer", "moderator"])
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_staff_write_observer_and_moderator_forbidden_and_nothing_changed(
    client, request, world, role, write
):
    client.force_login(request.getfixturevalue(role))
    method, url, data = write(world)
    before = _snapshot()

    response = _send(client, method, url, data)

    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize("page", READS.values(), ids=READS.keys())
def test_staff_read_page_user_without_role_forbidden(client, world, page):
    client.force_login(UserFactory())

    response = client.get(page(world))

    assert response.status_code == 403


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_staff_write_user_without_role_forbidden(client, world, write):
    client.force_login(UserFactory())
    method, url, data = write(world)
    before = _snapshot()

    response = _send(client, method, url, data)

    assert response.status_code == 403
    assert _snapshot() == before


def test_observer_pages_offer_no_write_controls(observer_client, world):
    pages = [
        _url("session_detail", world.slug),
        _url("units", world.slug),
        _url("groups", world.slug),
        _url("draws", world.slug),
        _url("participant_reports", world.slug, world.participant.pk),
    ]

    bodies = [_html(observer_client.get(url)) for url in pages]

    assert [("<form method" in body, 'method="post" action' in body) for body in bodies] == [
        (False, False)
    ] * len(pages)
    assert "新建评议会" not in _html(observer_client.get(_url("session_list")))


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_staff_views_refuse_other_http_methods(organiser_client, world, method):
    response = getattr(organiser_client, method)(_url("units", world.slug))

    assert response.status_code == 405


def test_read_page_get_only_refuses_post(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(_url("session_detail", world.slug))

    assert response.status_code == 405
    assert _snapshot() == before


def test_unknown_session_slug_is_404(organiser_client, db):
    assert organiser_client.get(_url("session_detail", "no-such-session")).status_code == 404


# ---------------------------------------------------------------- list, create, detail, edit


def test_session_list_organiser_sees_sessions_and_create_link(organiser_client, world, other):
    response = organiser_client.get(_url("session_list"))

    body = _html(response)
    assert response.status_code == 200
    assert "2026年年中述职讲评" in body
    assert "另一场评议会" in body
    assert _url("session_create") in body
    # Same year and no date: the newer session first.
    assert list(response.context["sessions"]) == [other.session, world.session]


def test_session_create_get_shows_templates(organiser_client, db):
    response = organiser_client.get(_url("session_create"))

    body = _html(response)
    assert response.status_code == 200
    assert 'value="annual"' in body
    assert 'value="midyear"' in body
    assert 'value="custom"' in body


def test_session_create_post_creates_from_template_and_redirects(organiser_client, organiser):
    response = organiser_client.post(
        _url("session_create"), {"kind": "midyear", "year": 2026, "venue": "区委礼堂"}
    )

    session = ReviewSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("session_detail", "2026-midyear")
    assert (session.slug, session.kind, session.venue, session.created_by) == (
        "2026-midyear",
        "midyear",
        "区委礼堂",
        organiser,
    )
    assert session.rater_groups.count() == 4
    followed = organiser_client.get(response["Location"])
    assert "已创建评议会“2026年年中述职讲评暨现场问政会”。" in _html(followed)


def test_session_create_invalid_year_shows_error_and_creates_nothing(organiser_client, db):
    response = organiser_client.post(_url("session_create"), {"kind": "annual", "year": 1999})

    assert response.status_code == 200
    assert "确保该值大于或等于2000。" in _html(response)
    assert ReviewSession.objects.count() == 0


def test_session_create_unknown_kind_shows_error(organiser_client, db):
    response = organiser_client.post(_url("session_create"), {"kind": "weekly", "year": 2026})

    assert response.status_code == 200
    assert "选择一个有效的选项。 weekly 不在可用的选项中。" in _html(response)
    assert ReviewSession.objects.count() == 0


def test_session_detail_organiser_sees_overview_weights_and_transitions(organiser_client, world):
    response = organiser_client.get(_url("session_detail", world.slug))

    body = _html(response)
    assert response.status_code == 200
    assert response.context["overview"] == {
        "units": 2,
        "participants": 1,
        "drawn": 0,
        "groups": 2,
        "credentials": 0,
        "ballots": 0,
    }
    assert "综合评议得分 = (县级领导得分×40 + 区直部门得分×20) ÷ 60" in body
    assert "66.67%" in body
    assert _url("session_transition", world.slug, "ready") in body
    assert _url("participant_reports", world.slug, world.participant.pk) in body
    assert response.context["targets"] == [("ready", [])]


def test_session_detail_closed_session_offers_publish_only_with_its_problem(
    organiser_client, world
):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.CLOSED)

    response = organiser_client.get(_url("session_detail", world.slug))

    assert response.context["targets"] == [
        ("published", ["发布结果须在结果页计算并冻结结果快照后进行，不能直接改状态。"])
    ]


def test_session_edit_get_shows_current_values(organiser_client, world):
    response = organiser_client.get(_url("session_edit", world.slug))

    assert response.status_code == 200
    assert 'value="2026年年中述职讲评"' in _html(response)


def test_session_edit_post_saves_audits_and_redirects(organiser_client, world):
    response = organiser_client.post(
        _url("session_edit", world.slug),
        {"title": "改后的名称", "year": 2026, "date": "2026-07-15", "venue": "区委礼堂"},
    )

    world.session.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == _url("session_detail", world.slug)
    assert (world.session.title, str(world.session.date), world.session.venue) == (
        "改后的名称",
        "2026-07-15",
        "区委礼堂",
    )
    assert AuditLog.objects.filter(session=world.session, action="session.update").count() == 1


def test_session_edit_empty_title_shows_error_and_changes_nothing(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("session_edit", world.slug), {"title": "", "year": 2026, "date": "", "venue": ""}
    )

    assert response.status_code == 200
    assert "这个字段是必填项。" in _html(response)
    assert _snapshot() == before


def test_session_edit_published_session_shows_refusal(organiser_client, world):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.PUBLISHED)
    before = _snapshot()

    response = organiser_client.post(
        _url("session_edit", world.slug), {"title": "改名", "year": 2026, "date": "", "venue": ""}
    )

    assert "结果已发布，评议会信息不能再修改。" in _html(response)
    assert _snapshot() == before


def test_audit_log_lists_entries_newest_first(organiser_client, world):
    audit(session=world.session, actor=None, action="test.first", message="第一条记录")
    audit(session=world.session, actor=None, action="test.second", message="第二条记录")

    response = organiser_client.get(_url("audit_log", world.slug))

    body = _html(response)
    assert response.status_code == 200
    assert body.index("第二条记录") < body.index("第一条记录")
    assert "抽签确定发言顺序，种子 1：花园口镇" in body


# ---------------------------------------------------------------- lifecycle


def test_session_transition_get_asks_for_confirmation_then_post_moves(organiser_client, world):
    url = _url("session_transition", world.slug, "ready")

    confirm = organiser_client.get(url)
    response = organiser_client.post(url)

    world.session.refresh_from_db()
    assert confirm.status_code == 200
    assert "确认转为“已就绪”" in _html(confirm)
    assert "就绪后，单位、类别、评议组、权重、计分办法和抽签结果将被冻结。" in _html(confirm)
    assert response.status_code == 302
    assert response["Location"] == _url("session_detail", world.slug)
    assert world.session.status == Status.READY
    entry = AuditLog.objects.filter(session=world.session, action="session.status").get()
    assert entry.detail == {"before": "draft", "after": "ready"}
    assert "评议会已转为“已就绪”。" in _html(organiser_client.get(response["Location"]))


def test_session_transition_get_with_problems_shows_them_without_a_form(organiser_client, db):
    session = ReviewSessionFactory(slug="empty")

    response = organiser_client.get(_url("session_transition", "empty", "ready"))

    body = _html(response)
    assert response.status_code == 200
    assert "还不能转换：" in body
    assert "还没有评议组。" in body
    assert "确认转为" not in body
    session.refresh_from_db()
    assert session.status == Status.DRAFT


def test_session_transition_post_refused_shows_problems_and_changes_nothing(
    organiser_client, world
):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.READY)
    BallotFactory(
        credential=CredentialFactory(session=world.session, group=world.group), receipt="R1"
    )
    before = _snapshot()

    response = organiser_client.post(_url("session_transition", world.slug, "draft"))

    assert response.status_code == 409
    assert "已有评议票，不能退回草稿。" in _html(response)
    assert _snapshot() == before


def test_session_transition_to_published_refused(organiser_client, world):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.CLOSED)
    before = _snapshot()

    response = organiser_client.post(_url("session_transition", world.slug, "published"))

    assert response.status_code == 409
    assert "发布结果须在结果页计算并冻结结果快照后进行" in _html(response)
    assert _snapshot() == before


def test_session_transition_unknown_target_is_404(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(_url("session_transition", world.slug, "archived"))

    assert response.status_code == 404
    assert _snapshot() == before


# ---------------------------------------------------------------- units and categories


def test_units_page_lists_categories_units_and_participation(organiser_client, world):
    response = organiser_client.get(_url("units", world.slug))

    body = _html(response)
    assert response.status_code == 200
    assert "<html" in body
    assert 'id="units-panel"' in body
    # (unit, how it takes part) per row, as the table shows it
    rows = re.findall(r"<td>([^<]+)</td>\s*<td>(?:<span[^>]*>)?([^<]+)</span>", body)
    assert rows == [("刘集镇", "候选池"), ("花园口镇", "固定参加")]


def test_units_page_htmx_returns_only_the_panel(organiser_client, world):
    response = organiser_client.get(_url("units", world.slug), **HTMX)

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.strip().startswith('<div id="units-panel">')
    assert "花园口镇" in body


def test_unit_add_creates_unit_and_redirects(organiser_client, world):
    response = organiser_client.post(
        _url("unit_add", world.slug),
        {"name": "新城街道", "category": world.towns.pk, "participates": "on"},
    )

    unit = Unit.objects.get(session=world.session, name="新城街道")
    assert response.status_code == 302
    assert response["Location"] == f"{_url('units', world.slug)}?category={world.towns.pk}"
    assert unit.category == world.towns
    assert Participant.objects.get(unit=unit).how == "fixed"

    page = _html(organiser_client.get(response["Location"]))
    assert "已添加单位“新城街道”（" + world.towns.name + "）。" in page
    selected = re.findall(r'<option value="(\d+)" selected>', page)
    assert selected == [str(world.towns.pk)]


def test_unit_add_htmx_keeps_the_category_and_names_the_unit(organiser_client, world):
    response = organiser_client.post(
        _url("unit_add", world.slug), {"name": "新城街道", "category": world.towns.pk}, **HTMX
    )

    body = _html(response)
    assert response.status_code == 200
    messages = re.findall(r'<li class="success">([^<]*)</li>', body)
    assert messages == ["已添加单位“新城街道”（" + world.towns.name + "）。"]
    selected = re.findall(r'<option value="(\d+)" selected>', body)
    assert selected == [str(world.towns.pk)]
    # The name field is empty again for the next unit.
    assert re.search(r'<input type="text" name="name"[^>]*value=', body) is None


def test_units_page_ignores_an_unknown_category_in_the_address(organiser_client, world):
    page = _html(organiser_client.get(_url("units", world.slug) + "?category=zz"))
    assert re.findall(r'<option value="(\d+)" selected>', page) == []


def test_unit_add_htmx_returns_the_updated_panel(organiser_client, world):
    response = organiser_client.post(
        _url("unit_add", world.slug), {"name": "新城街道", "category": world.towns.pk}, **HTMX
    )

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="units-panel"' in body
    assert "新城街道" in body
    assert Unit.objects.filter(session=world.session, name="新城街道").count() == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_unit_add_name_clash_returns_422_with_message(organiser_client, world, htmx):
    before = _snapshot()

    response = organiser_client.post(
        _url("unit_add", world.slug),
        {"name": "花园口镇", "category": world.towns.pk},
        **(HTMX if htmx else {}),
    )

    body = _html(response)
    assert response.status_code == 422
    assert "单位“花园口镇”已存在。" in body
    assert ("<html" in body) is not htmx
    assert _snapshot() == before


def test_unit_add_empty_name_returns_422_with_message(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("unit_add", world.slug), {"name": "   ", "category": world.towns.pk}, **HTMX
    )

    assert response.status_code == 422
    assert "这个字段是必填项。" in _html(response)
    assert _snapshot() == before


def test_unit_add_category_of_another_session_is_refused(organiser_client, world, other):
    before = _snapshot()

    response = organiser_client.post(
        _url("unit_add", world.slug), {"name": "新城街道", "category": other.towns.pk}
    )

    assert response.status_code == 422
    assert "选择一个有效的选项" in _html(response)
    assert _snapshot() == before


def test_unit_edit_get_shows_form_with_current_values(organiser_client, world):
    response = organiser_client.get(_url("unit_edit", world.slug, world.fixed.pk))

    body = _html(response)
    assert response.status_code == 200
    assert 'value="花园口镇"' in body
    assert 'id="id_participates" checked' in body


def test_unit_edit_post_renames_and_redirects(organiser_client, world):
    response = organiser_client.post(
        _url("unit_edit", world.slug, world.pool_unit.pk),
        {"name": "刘集镇（新）", "category": world.towns.pk},
    )

    world.pool_unit.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == _url("units", world.slug)
    assert world.pool_unit.name == "刘集镇（新）"


def test_unit_edit_name_clash_shows_error_and_changes_nothing(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("unit_edit", world.slug, world.pool_unit.pk),
        {"name": "花园口镇", "category": world.towns.pk},
    )

    assert "单位“花园口镇”已存在。" in _html(response)
    assert _snapshot() == before


def test_unit_delete_get_confirms_then_post_deletes(organiser_client, world):
    url = _url("unit_delete", world.slug, world.pool_unit.pk)

    confirm = organiser_client.get(url)
    response = organiser_client.post(url)

    assert confirm.status_code == 200
    assert "删除单位“刘集镇”？" in _html(confirm)
    assert response.status_code == 302
    assert response["Location"] == _url("units", world.slug)
    assert not Unit.objects.filter(pk=world.pool_unit.pk).exists()


def test_unit_delete_refused_shows_409_with_reason(organiser_client, world):
    CredentialFactory(session=world.session, group=world.group, holder_unit=world.pool_unit)
    before = _snapshot()

    response = organiser_client.post(_url("unit_delete", world.slug, world.pool_unit.pk))

    assert response.status_code == 409
    assert "单位“刘集镇”是部分评议码持有人的所在单位" in _html(response)
    assert _snapshot() == before


def test_participant_toggle_adds_then_removes_a_fixed_participant(organiser_client, world):
    url = _url("participant_toggle", world.slug)

    added = organiser_client.post(url, {"unit": world.pool_unit.pk})
    participants_after_add = list(
        Participant.objects.filter(unit=world.pool_unit).values_list("how", flat=True)
    )
    removed = organiser_client.post(url, {"unit": world.pool_unit.pk})

    assert (added.status_code, removed.status_code) == (302, 302)
    assert participants_after_add == ["fixed"]
    assert not Participant.objects.filter(unit=world.pool_unit).exists()


def test_participant_toggle_htmx_returns_the_panel(organiser_client, world):
    response = organiser_client.post(
        _url("participant_toggle", world.slug), {"unit": world.pool_unit.pk}, **HTMX
    )

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="units-panel"' in body
    assert Participant.objects.filter(unit=world.pool_unit).exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_participant_toggle_unit_of_another_session_is_refused(
    organiser_client, world, other, htmx
):
    before = _snapshot()

    response = organiser_client.post(
        _url("participant_toggle", world.slug),
        {"unit": other.pool_unit.pk},
        follow=not htmx,
        **(HTMX if htmx else {}),
    )

    assert response.status_code == (400 if htmx else 200)
    assert "所选单位不存在或不属于本评议会。" in _html(response)
    assert _snapshot() == before


def test_category_add_creates_and_redirects(organiser_client, world):
    response = organiser_client.post(
        _url("category_add", world.slug), {"name": "政府部门", "side": "department"}
    )

    assert response.status_code == 302
    assert response["Location"] == _url("units", world.slug)
    assert UnitCategory.objects.get(session=world.session, name="政府部门").side == "department"


def test_category_add_htmx_returns_the_panel(organiser_client, world):
    response = organiser_client.post(
        _url("category_add", world.slug), {"name": "政府部门", "side": "department"}, **HTMX
    )

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="units-panel"' in body
    assert "政府部门" in body


@pytest.mark.parametrize("htmx", [False, True])
def test_category_add_name_clash_returns_422_with_message(organiser_client, world, htmx):
    before = _snapshot()

    response = organiser_client.post(
        _url("category_add", world.slug),
        {"name": "开发区", "side": "other"},
        **(HTMX if htmx else {}),
    )

    assert response.status_code == 422
    assert "类别“开发区”已存在。" in _html(response)
    assert _snapshot() == before


def test_category_edit_get_then_post_renames(organiser_client, world):
    url = _url("category_edit", world.slug, world.towns.pk)

    form = organiser_client.get(url)
    response = organiser_client.post(url, {"name": "街道", "side": "town"})

    world.towns.refresh_from_db()
    assert form.status_code == 200
    assert 'value="镇(街道)"' in _html(form)
    assert response.status_code == 302
    assert world.towns.name == "街道"


def test_category_edit_name_clash_shows_error(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("category_edit", world.slug, world.towns.pk), {"name": "开发区", "side": "town"}
    )

    assert "类别“开发区”已存在。" in _html(response)
    assert _snapshot() == before


def test_category_delete_empty_category(organiser_client, world):
    url = _url("category_delete", world.slug, world.empty.pk)

    confirm = organiser_client.get(url)
    response = organiser_client.post(url)

    assert confirm.status_code == 200
    assert "删除单位类别“开发区”？" in _html(confirm)
    assert response.status_code == 302
    assert not UnitCategory.objects.filter(pk=world.empty.pk).exists()


def test_category_delete_with_units_refused_409(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(_url("category_delete", world.slug, world.towns.pk))

    assert response.status_code == 409
    assert "类别“镇(街道)”下还有 2 个单位，请先移走或删除这些单位。" in _html(response)
    assert _snapshot() == before


# ---------------------------------------------------------------- rater groups


def test_groups_page_shows_weights_shares_and_formula(organiser_client, world):
    response = organiser_client.get(_url("groups", world.slug))

    body = _html(response)
    assert response.status_code == 200
    assert "<html" in body
    assert 'id="groups-panel"' in body
    assert "综合评议得分 = (县级领导得分×40 + 区直部门得分×20) ÷ 60" in body
    assert "66.67%" in body
    assert "33.33%" in body


def test_groups_page_htmx_returns_only_the_panel(organiser_client, world):
    response = organiser_client.get(_url("groups", world.slug), **HTMX)

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.strip().startswith('<div id="groups-panel">')


def test_group_add_creates_and_redirects(organiser_client, world):
    response = organiser_client.post(
        _url("group_add", world.slug),
        {"name": "两代表一委员", "weight": "20", "min_sample": "3", "side": "other"},
    )

    group = RaterGroup.objects.get(session=world.session, name="两代表一委员")
    assert response.status_code == 302
    assert response["Location"] == _url("groups", world.slug)
    assert (group.weight, group.min_sample, group.order) == (Decimal("20.00"), 3, 2)


def test_group_add_htmx_returns_the_panel_with_new_shares(organiser_client, world):
    response = organiser_client.post(
        _url("group_add", world.slug),
        {"name": "两代表一委员", "weight": "20", "min_sample": "3", "side": "other"},
        **HTMX,
    )

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="groups-panel"' in body
    assert "综合评议得分 = (县级领导得分×40 + 区直部门得分×20 + 两代表一委员得分×20) ÷ 80" in body
    assert "50.00%" in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "县级领导", "weight": "10", "min_sample": "3", "side": "other"},
            "评议组“县级领导”已存在。",
        ),
        ({"name": "新组", "weight": "-1", "min_sample": "3", "side": "other"}, "权重不能为负数。"),
        ({"name": "新组", "weight": "abc", "min_sample": "3", "side": "other"}, "输入一个数字。"),
        ({"name": "", "weight": "10", "min_sample": "3", "side": "other"}, "这个字段是必填项。"),
        (
            {"name": "新组", "weight": "10", "min_sample": "0", "side": "other"},
            "确保该值大于或等于1。",
        ),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_group_add_bad_input_returns_422_with_message(organiser_client, world, data, message, htmx):
    before = _snapshot()

    response = organiser_client.post(_url("group_add", world.slug), data, **(HTMX if htmx else {}))

    body = _html(response)
    assert response.status_code == 422
    assert message in body
    assert ("<html" in body) is not htmx
    assert _snapshot() == before


def test_group_edit_get_then_post_changes_weight(organiser_client, world):
    url = _url("group_edit", world.slug, world.group.pk)

    form = organiser_client.get(url)
    response = organiser_client.post(
        url, {"name": "县级领导", "weight": "50", "min_sample": "4", "side": "other"}
    )

    world.group.refresh_from_db()
    assert form.status_code == 200
    assert 'value="县级领导"' in _html(form)
    assert response.status_code == 302
    assert response["Location"] == _url("groups", world.slug)
    assert (world.group.weight, world.group.min_sample) == (Decimal("50.00"), 4)


def test_group_edit_name_clash_shows_error(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("group_edit", world.slug, world.group.pk),
        {"name": "区直部门", "weight": "50", "min_sample": "3", "side": "other"},
    )

    assert "评议组“区直部门”已存在。" in _html(response)
    assert _snapshot() == before


def test_group_delete_get_confirms_then_post_deletes(organiser_client, world):
    url = _url("group_delete", world.slug, world.spare_group.pk)

    confirm = organiser_client.get(url)
    response = organiser_client.post(url)

    assert confirm.status_code == 200
    assert "删除评议组“区直部门”？" in _html(confirm)
    assert response.status_code == 302
    assert response["Location"] == _url("groups", world.slug)
    assert not RaterGroup.objects.filter(pk=world.spare_group.pk).exists()


def test_group_delete_with_credentials_refused_409(organiser_client, world):
    CredentialFactory(session=world.session, group=world.spare_group)
    before = _snapshot()

    response = organiser_client.post(_url("group_delete", world.slug, world.spare_group.pk))

    assert response.status_code == 409
    assert "评议组“区直部门”已发放 1 个评议码，不能删除。" in _html(response)
    assert _snapshot() == before


# ---------------------------------------------------------------- draws


def test_draws_page_lists_participants_and_draw_records(organiser_client, world):
    response = organiser_client.get(_url("draws", world.slug))

    body = _html(response)
    assert response.status_code == 200
    assert "<html" in body
    assert 'id="draws-panel"' in body
    assert _url("draw_detail", world.slug, world.draw.pk) in body
    assert 'id="draw-submit"' in body


def test_draws_page_htmx_returns_only_the_panel(organiser_client, world):
    response = organiser_client.get(_url("draws", world.slug), **HTMX)

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.strip().startswith('<div id="draws-panel">')


def test_draw_participants_post_draws_and_redirects(organiser_client, organiser, world):
    response = organiser_client.post(
        _url("draw_participants", world.slug),
        {f"quota_{world.towns.pk}": "1", "seed": "7", "drawn_by": "城关镇党委书记 张三"},
    )

    draw = Draw.objects.get(session=world.session, kind="participants")
    assert response.status_code == 302
    assert response["Location"] == _url("draws", world.slug)
    assert (draw.seed, draw.pool, draw.result, draw.created_by) == (
        "7",
        ["刘集镇"],
        ["刘集镇"],
        organiser,
    )
    assert Participant.objects.get(unit=world.pool_unit).how == "drawn"
    assert "抽选完成（种子 7）：刘集镇" in _html(organiser_client.get(response["Location"]))


def test_draw_participants_htmx_returns_panel_with_result_message(organiser_client, world):
    response = organiser_client.post(
        _url("draw_participants", world.slug),
        {f"quota_{world.towns.pk}": "1", "seed": "7", "drawn_by": "城关镇党委书记 张三"},
        **HTMX,
    )

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="draws-panel"' in body
    assert "抽选完成（种子 7）：刘集镇" in body


@pytest.mark.parametrize("htmx", [False, True])
def test_draw_participants_count_over_pool_returns_422_with_message(organiser_client, world, htmx):
    before = _snapshot()

    response = organiser_client.post(
        _url("draw_participants", world.slug),
        {f"quota_{world.towns.pk}": "2", "seed": "7", "drawn_by": "城关镇党委书记 张三"},
        **(HTMX if htmx else {}),
    )

    body = _html(response)
    assert response.status_code == 422
    assert "抽取数量必须在 1 到 1 之间（候选池中有 1 个单位）。" in body
    assert ("<html" in body) is not htmx
    assert _snapshot() == before


def test_draw_participants_without_seed_or_category_returns_422(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("draw_participants", world.slug), {"count": "1", "seed": ""}, **HTMX
    )

    assert response.status_code == 422
    assert _html(response).count("这个字段是必填项。") == 2
    assert _snapshot() == before


def test_draw_participants_category_of_another_session_is_refused(organiser_client, world, other):
    before = _snapshot()

    response = organiser_client.post(
        _url("draw_participants", world.slug),
        {f"quota_{other.towns.pk}": "1", "seed": "7", "drawn_by": "城关镇党委书记 张三"},
    )

    # Only this session's categories have a quota box: another's is not a pool at all.
    assert response.status_code == 422
    assert "请至少为一个类别填写抽取数量。" in _html(response)
    assert _snapshot() == before


def test_draw_participants_two_pools_in_one_draw_shown_with_the_drawing_party(
    organiser_client, world
):
    departments = UnitCategoryFactory(session=world.session, name="政府部门")
    for name in ["发改局", "财政局", "教育局"]:
        UnitFactory(session=world.session, category=departments, name=name)

    response = organiser_client.post(
        _url("draw_participants", world.slug),
        {
            f"quota_{world.towns.pk}": "1",
            f"quota_{departments.pk}": "2",
            f"quota_{world.empty.pk}": "",
            "seed": "7",
            "drawn_by": "城关镇党委书记 张三",
        },
        **HTMX,
    )

    draw = Draw.objects.get(session=world.session, kind="participants")
    expected = draws.draw_pools(
        {"政府部门": (["发改局", "财政局", "教育局"], 2), "镇(街道)": (["刘集镇"], 1)}, "7"
    )
    assert response.status_code == 200
    assert [(p["label"], p["result"]) for p in draw.pools] == sorted(expected.items())
    assert draw.drawn_by == "城关镇党委书记 张三"
    body = _html(response)
    assert '抽签人：<span class="drawn-by">城关镇党委书记 张三</span>' in body
    assert f"<b>政府部门 2</b>：{'、'.join(expected['政府部门'])}" in body
    detail = organiser_client.get(_url("draw_detail", world.slug, draw.pk))
    assert detail.context["matches"] is True
    assert '<dd id="drawn-by">城关镇党委书记 张三</dd>' in _html(detail)
    assert "for label in sorted(pools):" in _html(detail)


def test_draw_participants_without_drawing_party_returns_422(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("draw_participants", world.slug),
        {f"quota_{world.towns.pk}": "1", "seed": "7", "drawn_by": "  "},
        **HTMX,
    )

    assert response.status_code == 422
    assert _html(response).count("这个字段是必填项。") == 1
    assert _snapshot() == before


def test_draws_page_offers_a_quota_per_category_with_its_candidates(organiser_client, world):
    response = organiser_client.get(_url("draws", world.slug))

    form = response.context["draw_form"]
    assert form.quota_fields == [f"quota_{c.pk}" for c in world.session.categories.all()]
    assert form.fields[f"quota_{world.towns.pk}"].help_text == "候选 1 个（不含固定参加的单位）"


def test_draw_speaking_order_post_orders_and_redirects(organiser_client, world):
    Participant.objects.create(session=world.session, unit=world.pool_unit)

    response = organiser_client.post(_url("draw_speaking_order", world.slug), {"seed": "7"})

    orders = dict(
        Participant.objects.filter(session=world.session).values_list(
            "unit__name", "speaking_order"
        )
    )
    latest = Draw.objects.filter(session=world.session, superseded=False).get()
    assert response.status_code == 302
    assert sorted(orders.values()) == [1, 2]
    assert latest.seed == "7"
    assert [name for name, _order in sorted(orders.items(), key=lambda i: i[1])] == latest.result


def test_draw_speaking_order_htmx_returns_the_panel(organiser_client, world):
    response = organiser_client.post(_url("draw_speaking_order", world.slug), {"seed": "7"}, **HTMX)

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="draws-panel"' in body
    assert "发言顺序已抽定。" in body


def test_draw_speaking_order_without_participants_returns_422(organiser_client, world):
    Participant.objects.filter(session=world.session).delete()
    before = _snapshot()

    response = organiser_client.post(_url("draw_speaking_order", world.slug), {"seed": "7"}, **HTMX)

    assert response.status_code == 422
    assert "还没有述职单位，无法抽签确定发言顺序。" in _html(response)
    assert _snapshot() == before


def test_draw_detail_reproduces_the_recorded_draw(observer_client, world):
    response = observer_client.get(_url("draw_detail", world.slug, world.draw.pk))

    body = _html(response)
    assert response.status_code == 200
    assert response.context["matches"] is True
    assert "复核通过" in body
    assert 'random.Random("1").sample(pool, len(pool))' in body


def test_draw_detail_shows_a_mismatch_when_the_record_was_altered(observer_client, world):
    Draw.objects.filter(pk=world.draw.pk).update(result=["别的单位"])

    response = observer_client.get(_url("draw_detail", world.slug, world.draw.pk))

    assert response.context["matches"] is False
    assert "复核不一致" in _html(response)


# ---------------------------------------------------------------- reports and attachments


def test_participant_reports_get_shows_sections_and_attachment(organiser_client, world):
    response = organiser_client.get(_url("participant_reports", world.slug, world.participant.pk))

    body = _html(response)
    assert response.status_code == 200
    assert [s["kind"] for s in response.context["sections"]] == [
        "work",
        "responsibility",
        "integrity",
    ]
    assert "述职报告.pdf" in body
    assert _url("attachment_download", world.slug, world.attachment.pk) in body


def test_participant_reports_post_saves_text(organiser_client, world):
    response = organiser_client.post(
        _url("participant_reports", world.slug, world.participant.pk),
        {"kind": "integrity", "text": "廉洁自律情况"},
    )

    assert response.status_code == 200
    assert "已保存。" in _html(response)
    assert (
        Report.objects.get(participant=world.participant, kind="integrity").text == "廉洁自律情况"
    )


def test_participant_reports_post_unknown_kind_returns_422(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("participant_reports", world.slug, world.participant.pk),
        {"kind": "poetry", "text": "x"},
    )

    assert response.status_code == 422
    assert "选择一个有效的选项。 poetry 不在可用的选项中。" in _html(response)
    assert _snapshot() == before


def test_participant_reports_post_closed_session_returns_422_with_message(organiser_client, world):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.CLOSED)
    before = _snapshot()

    response = organiser_client.post(
        _url("participant_reports", world.slug, world.participant.pk),
        {"kind": "work", "text": "迟到的修改"},
    )

    assert response.status_code == 422
    assert "评议已结束，述职报告不能再修改。" in _html(response)
    assert _snapshot() == before


def test_attachment_add_uploads_and_redirects(organiser_client, world):
    response = organiser_client.post(
        _url("attachment_add", world.slug, world.participant.pk),
        {"kind": "responsibility", "file": _upload("述责报告.pdf")},
        follow=True,
    )

    attachment = Attachment.objects.get(original_name="述责报告.pdf")
    assert response.redirect_chain == [
        (_url("participant_reports", world.slug, world.participant.pk), 302)
    ]
    assert "附件已上传。" in _html(response)
    assert (attachment.report.participant, attachment.report.kind) == (
        world.participant,
        "responsibility",
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("病毒.exe", PDF, "不支持的附件类型“exe”"),
        ("假的.pdf", b"GIF89a", "附件“假的.pdf”的内容与扩展名 .pdf 不符，可能已损坏或被改名。"),
    ],
)
def test_attachment_add_bad_file_shows_error_and_stores_nothing(
    organiser_client, world, name, content, message
):
    before = _snapshot()

    response = organiser_client.post(
        _url("attachment_add", world.slug, world.participant.pk),
        {"kind": "work", "file": _upload(name, content)},
        follow=True,
    )

    assert message in _html(response)
    assert _snapshot() == before


def test_attachment_add_without_file_shows_error(organiser_client, world):
    before = _snapshot()

    response = organiser_client.post(
        _url("attachment_add", world.slug, world.participant.pk), {"kind": "work"}, follow=True
    )

    assert "这个字段是必填项。" in _html(response)
    assert _snapshot() == before


def test_attachment_download_returns_the_file(observer_client, world):
    response = observer_client.get(_url("attachment_download", world.slug, world.attachment.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E8%BF%B0%E8%81%8C%E6%8A%A5%E5%91%8A.pdf"
    )


def test_attachment_delete_deletes_and_redirects(organiser_client, world):
    response = organiser_client.post(
        _url("attachment_delete", world.slug, world.attachment.pk), follow=True
    )

    assert response.redirect_chain == [
        (_url("participant_reports", world.slug, world.participant.pk), 302)
    ]
    assert "已删除附件“述职报告.pdf”。" in _html(response)
    assert not Attachment.objects.filter(pk=world.attachment.pk).exists()


def test_attachment_delete_get_asks_for_confirmation_and_deletes_nothing(organiser_client, world):
    response = organiser_client.get(_url("attachment_delete", world.slug, world.attachment.pk))

    assert response.status_code == 200
    assert "删除附件“述职报告.pdf”？" in _html(response)
    assert Attachment.objects.filter(pk=world.attachment.pk).exists()


def test_attachment_delete_closed_session_refused(organiser_client, world):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.CLOSED)
    before = _snapshot()

    response = organiser_client.post(_url("attachment_delete", world.slug, world.attachment.pk))

    assert response.status_code == 409
    assert "评议已结束，述职报告不能再修改。" in _html(response)
    assert _snapshot() == before


# ---------------------------------------------------------------- tampered ids

# Each names an object of the *other* session through this session's URL.
TAMPERED = {
    "unit_edit": lambda w, o: ("get", _url("unit_edit", w.slug, o.pool_unit.pk), {}),
    "unit_edit POST": lambda w, o: (
        "post",
        _url("unit_edit", w.slug, o.pool_unit.pk),
        {"name": "改名", "category": w.towns.pk},
    ),
    "unit_delete": lambda w, o: ("post", _url("unit_delete", w.slug, o.pool_unit.pk), {}),
    "category_edit": lambda w, o: (
        "post",
        _url("category_edit", w.slug, o.towns.pk),
        {"name": "改名", "side": "other"},
    ),
    "category_delete": lambda w, o: ("post", _url("category_delete", w.slug, o.empty.pk), {}),
    "group_edit": lambda w, o: (
        "post",
        _url("group_edit", w.slug, o.group.pk),
        {"name": "改名", "weight": "1", "min_sample": "3", "side": "other"},
    ),
    "group_delete": lambda w, o: ("post", _url("group_delete", w.slug, o.spare_group.pk), {}),
    "draw_detail": lambda w, o: ("get", _url("draw_detail", w.slug, o.draw.pk), {}),
    "participant_reports": lambda w, o: (
        "get",
        _url("participant_reports", w.slug, o.participant.pk),
        {},
    ),
    "participant_reports POST": lambda w, o: (
        "post",
        _url("participant_reports", w.slug, o.participant.pk),
        {"kind": "work", "text": "篡改"},
    ),
    "attachment_add": lambda w, o: (
        "post",
        _url("attachment_add", w.slug, o.participant.pk),
        {"kind": "work", "file": _upload()},
    ),
    "attachment_download": lambda w, o: (
        "get",
        _url("attachment_download", w.slug, o.attachment.pk),
        {},
    ),
    "attachment_delete": lambda w, o: (
        "post",
        _url("attachment_delete", w.slug, o.attachment.pk),
        {},
    ),
}


@pytest.mark.parametrize("tampered", TAMPERED.values(), ids=TAMPERED.keys())
def test_id_of_another_session_is_404_and_changes_nothing(organiser_client, world, other, tampered):
    method, url, data = tampered(world, other)
    before = _snapshot()

    response = _send(organiser_client, method, url, data)

    assert response.status_code == 404
    assert _snapshot() == before


# ---------------------------------------------------------------- frozen (ready) session

FROZEN_POSTS = {
    name: WRITES[name]
    for name in [
        "unit_add",
        "unit_edit",
        "unit_delete",
        "participant_toggle",
        "category_add",
        "category_edit",
        "category_delete",
        "group_add",
        "group_edit",
        "group_delete",
        "draw_participants",
        "draw_speaking_order",
    ]
}


@pytest.mark.parametrize("write", FROZEN_POSTS.values(), ids=FROZEN_POSTS.keys())
def test_post_to_ready_session_shows_frozen_message_and_changes_nothing(
    organiser_client, world, write
):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.READY)
    method, url, data = write(world)
    before = _snapshot()

    response = _send(organiser_client, method, url, data, follow=True)

    # A delete stays on its confirmation page and says it there, in the service's words.
    expected = FROZEN_REFUSAL if url.endswith("/delete/") else FROZEN_NOTICE
    assert expected in _html(response)
    assert _snapshot() == before


@pytest.mark.parametrize(
    "write",
    [FROZEN_POSTS[n] for n in ("unit_add", "category_add", "group_add", "draw_participants")],
    ids=["unit_add", "category_add", "group_add", "draw_participants"],
)
def test_htmx_post_to_ready_session_shows_frozen_message_in_the_panel(
    organiser_client, world, write
):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.READY)
    method, url, data = write(world)
    before = _snapshot()

    response = _send(organiser_client, method, url, data, **HTMX)

    body = _html(response)
    assert "<html" not in body
    assert FROZEN_NOTICE in body
    assert _snapshot() == before


def test_ready_session_pages_hide_configuration_forms(organiser_client, world):
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.READY)

    bodies = [
        _html(organiser_client.get(_url(name, world.slug))) for name in ("units", "groups", "draws")
    ]

    assert [FROZEN_NOTICE in body for body in bodies] == [True, True, True]
    assert [
        _url("unit_add", world.slug) in bodies[0],
        _url("group_add", world.slug) in bodies[1],
    ] == [
        False,
        False,
    ]
    assert 'id="draw-submit"' not in bodies[2]


def test_frozen_notice_only_where_configuration_is_edited_and_once(organiser_client, world):
    """Units, groups and draws say it once; the scheme page in its own words; pages that never
    edit the configuration (overview, codes, monitor, projects, questions, results…) not at all."""
    ReviewSession.objects.filter(pk=world.session.pk).update(status=Status.READY)
    pages = {
        "units": _url("units", world.slug),
        "groups": _url("groups", world.slug),
        "draws": _url("draws", world.slug),
        "scheme": _url("scheme", world.slug),
        "overview": _url("session_detail", world.slug),
        "credentials": _url("credentials", world.slug),
        "monitor": _url("monitor", world.slug),
        "audit": _url("audit_log", world.slug),
        "projects": reverse("projects:board", args=[world.slug]),
        "questions": reverse("meeting:questions", args=[world.slug]),
        "follow_ups": reverse("meeting:follow_ups", args=[world.slug]),
        "scores": reverse("scoring:scores", args=[world.slug]),
        "results": reverse("scoring:results", args=[world.slug]),
    }
    counts = {
        name: (
            _html(organiser_client.get(url)).count("配置已冻结"),
            _html(organiser_client.get(url)).count("计分办法已冻结"),
        )
        for name, url in pages.items()
    }
    assert counts == {
        "units": (1, 0),
        "groups": (1, 0),
        "draws": (1, 0),
        "scheme": (0, 1),
        **{name: (0, 0) for name in list(pages)[4:]},
    }


# ---------------------------------------------------------------- queries per page


def _many_rows(n: int = 20) -> ReviewSession:
    """One session with n units in 5 categories (all participants, with reports), n groups and
    n draws, and n other sessions, so that a query per row (or per category) would show."""
    session = ReviewSessionFactory(slug="big")
    categories = UnitCategoryFactory.create_batch(5, session=session)
    for i in range(n):
        participant = ParticipantFactory(
            session=session, unit__category=categories[i % 5], speaking_order=i + 1
        )
        Report.objects.create(participant=participant, kind="work", text="正文")
        RaterGroupFactory(session=session)
        Draw.objects.create(
            session=session,
            kind="participants",
            seed=str(i),
            pool=["甲"],
            count=1,
            result=["甲"],
            algorithm="python3-random-sample-v1",
            created_by=UserFactory(),
        )
        ParticipantFactory(session=ReviewSessionFactory())
    return session


@pytest.mark.parametrize(
    ("name", "args", "max_queries"),
    [
        # Measured with 1 and with 20 rows: 5, 17, 9, 6 and 8 queries, login and permissions
        # included. The bounds leave room for a query or two, not for one per row (20 rows).
        ("session_list", (), 7),
        ("session_detail", ("big",), 19),
        ("units", ("big",), 11),
        ("groups", ("big",), 8),
        ("draws", ("big",), 10),
    ],
)
def test_staff_pages_make_no_query_per_row(
    organiser_client, django_assert_max_num_queries, name, args, max_queries
):
    _many_rows(20)
    url = _url(name, *args)

    with django_assert_max_num_queries(max_queries):
        response = organiser_client.get(url)

    assert response.status_code == 200


# ---------------------------------------------------------------- the rater's card page /r/form/


@pytest.fixture
def credential(db):
    session = ReviewSessionFactory(title="惠济区年中述职讲评", status=Status.RATING)
    group = RaterGroupFactory(session=session, name="县级领导")
    return CredentialFactory(session=session, group=group, code="ABCD2345")


def test_rate_entry_unknown_code_is_404_and_reveals_nothing(client, credential):
    response = enter(client, "ZZZZ9999")

    body = _html(response)
    assert response.status_code == 404
    assert "评议码无效" in body
    assert "惠济区年中述职讲评" not in body
    assert "县级领导" not in body
    assert response.context["unknown"] is True


def test_rate_entry_open_credential_shows_its_form(client, credential):
    response = holding(client, credential).get("/r/form/")

    body = _html(response)
    assert response.status_code == 200
    assert response.context["credential"] == credential
    assert "惠济区年中述职讲评" in body
    assert "评议组：县级领导" in body
    assert 'id="progress"' in body


def test_rate_entry_code_is_case_insensitive(client, credential):
    response = holding(client, "abcd2345").get("/r/form/")

    assert response.status_code == 200
    assert response.context["credential"] == credential


def test_rate_entry_revoked_credential_says_so(client, credential):
    Credential.objects.filter(pk=credential.pk).update(status=Credential.Status.REVOKED)

    response = holding(client, credential).get("/r/form/")

    body = _html(response)
    assert response.status_code == 200
    assert response.context["state"] == "revoked"
    assert "评议码已作废" in body
    assert "评议正在进行" not in body


@pytest.mark.parametrize(
    ("status", "label"),
    [(Status.DRAFT, "草稿"), (Status.READY, "已就绪"), (Status.LIVE, "会议进行中")],
)
def test_rate_entry_not_yet_open_says_when_to_come_back(client, credential, status, label):
    ReviewSession.objects.filter(pk=credential.session_id).update(status=status)

    response = holding(client, credential).get("/r/form/")

    body = _html(response)
    assert response.status_code == 200
    assert response.context["state"] == "not_open"
    assert f"评议尚未开放（当前状态：{label}）。请在主持人宣布开始评议后再扫码。" in body


@pytest.mark.parametrize("status", [Status.CLOSED, Status.PUBLISHED])
def test_rate_entry_after_rating_ended_does_not_say_not_yet_open(client, credential, status):
    ReviewSession.objects.filter(pk=credential.session_id).update(status=status)

    response = holding(client, credential).get("/r/form/")

    body = _html(response)
    assert response.status_code == 200
    assert response.context["state"] == "ended"
    assert "评议已结束，不再接收评议表。" in body
    assert "尚未开放" not in body


def test_rate_form_refuses_post(client, credential):
    assert holding(client, credential).post("/r/form/").status_code == 405


def test_unit_names_are_escaped_on_every_page(organiser_client, world):
    Unit.objects.filter(pk=world.fixed.pk).update(name="<script>x</script>")

    bodies = [
        _html(organiser_client.get(_url(name, world.slug)))
        for name in ("session_detail", "units", "draws")
    ]

    assert ["<script>x</script>" in body for body in bodies] == [False, False, False]
    assert ["&lt;script&gt;x&lt;/script&gt;" in body for body in bodies] == [True, True, True]
