"""计分办法 pages (sessions/views/scheme.py): anonymous, wrong role, right role, htmx fragments,
bad input (422, nothing changed), frozen sessions (409, nothing changed) and the audit log."""

import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from sessions import scheme_services
from sessions.models import AuditLog, Criterion, ReviewSession, ScoringScheme
from tests.factories import (
    CriterionFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UserFactory,
)

Status = ReviewSession.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
FROZEN = "计分办法已冻结：评议会已离开草稿状态。如需修改，请先退回草稿（尚无评议表时才可以）。"


@pytest.fixture
def world(db):
    session = ReviewSessionFactory(slug="2026-annual", title="2026年度综合考核")
    RaterGroupFactory(session=session, name="县级领导", weight=Decimal("40"), min_sample=3)
    RaterGroupFactory(session=session, name="区直部门", weight=Decimal("20"), min_sample=3)
    criterion = CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"), order=0)
    spare = CriterionFactory(session=session, name="工作作风", weight=Decimal("30"), order=1)
    return SimpleNamespace(session=session, slug=session.slug, criterion=criterion, spare=spare)


def _url(name: str, *args) -> str:
    return reverse(f"review:{name}", args=args)


def _html(response) -> str:
    return response.content.decode()


def _state() -> tuple:
    return (
        list(ScoringScheme.objects.order_by("pk").values()),
        list(Criterion.objects.order_by("pk").values()),
        list(ReviewSession.objects.order_by("pk").values("pk", "status")),
        AuditLog.objects.count(),
    )


def _form_data(session, **changes) -> dict:
    """What the browser posts for the stored scheme with ``changes``: unchecked boxes are left
    out, an empty optional number is ""."""
    scheme = ScoringScheme.objects.get(session=session)
    values = {**model_to_dict(scheme, fields=scheme_services.SCHEME_FIELDS), **changes}
    data = {}
    for name, value in values.items():
        if value is True:
            data[name] = "on"
        elif value is None:
            data[name] = ""
        elif value is not False:
            data[name] = str(value)
    return data


def _words(body: str) -> list[str]:
    found = re.search(r'<ol class="scheme-words" id="scheme-words">(.*?)</ol>', body, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def _freeze(world, status=Status.RATING) -> None:
    ReviewSession.objects.filter(pk=world.session.pk).update(status=status)


READS = {
    "scheme": lambda w: _url("scheme", w.slug),
}

WRITES = {
    "scheme POST": lambda w: (
        "post",
        _url("scheme", w.slug),
        _form_data(w.session, band_excellent=Decimal("85")),
    ),
    "criterion_add": lambda w: (
        "post",
        _url("criterion_add", w.slug),
        {"name": "廉洁自律", "weight": "20"},
    ),
    "criterion_edit GET": lambda w: ("get", _url("criterion_edit", w.slug, w.criterion.pk), {}),
    "criterion_edit": lambda w: (
        "post",
        _url("criterion_edit", w.slug, w.criterion.pk),
        {"name": "工作实绩", "weight": "60", "order": "0"},
    ),
    "criterion_delete GET": lambda w: (
        "get",
        _url("criterion_delete", w.slug, w.spare.pk),
        {},
    ),
    "criterion_delete": lambda w: ("post", _url("criterion_delete", w.slug, w.spare.pk), {}),
}


# ---------------------------------------------------------------- anonymous and wrong roles


@pytest.mark.parametrize(
    "url",
    [
        lambda w: _url("scheme", w.slug),
        lambda w: _url("scheme_words", w.slug),
    ],
    ids=["scheme", "scheme_words"],
)
def test_scheme_read_anonymous_redirects_to_login(client, world, url):
    target = url(world)

    response = client.get(target)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(target)}"


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_scheme_write_anonymous_redirects_to_login_and_changes_nothing(client, world, write):
    method, url, data = write(world)
    before = _state()

    response = getattr(client, method)(url, data)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url)}"
    assert _state() == before


@pytest.mark.parametrize("role", ["observer", "moderator"])
def test_scheme_page_observer_and_moderator_read_only(client, request, world, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get(_url("scheme", world.slug))

    body = _html(response)
    assert response.status_code == 200
    assert "<form method" not in body
    assert 'method="post" action' not in body
    assert _url("criterion_edit", world.slug, world.criterion.pk) not in body
    assert "<dt>优秀分数线</dt><dd>90</dd>" in body
    assert "<dt>超过“好”票比例上限时</dt><dd>不启用</dd>" in body
    assert "<dt>匿名评议</dt><dd>是</dd>" in body
    assert _words(body)[0].startswith("评价等次分值：好 100 分")


@pytest.mark.parametrize("role", ["observer", "moderator"])
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_scheme_write_observer_and_moderator_forbidden_and_nothing_changed(
    client, request, world, role, write
):
    client.force_login(request.getfixturevalue(role))
    method, url, data = write(world)
    before = _state()

    response = getattr(client, method)(url, data)

    assert response.status_code == 403
    assert _state() == before


def test_scheme_page_user_without_role_forbidden(client, world):
    client.force_login(UserFactory())

    assert client.get(_url("scheme", world.slug)).status_code == 403
    assert client.get(_url("scheme_words", world.slug), **HTMX).status_code == 403


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_scheme_write_user_without_role_forbidden(client, world, write):
    client.force_login(UserFactory())
    method, url, data = write(world)
    before = _state()

    response = getattr(client, method)(url, data)

    assert response.status_code == 403
    assert _state() == before


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_scheme_page_refuses_other_http_methods(organiser_client, world, method):
    response = getattr(organiser_client, method)(_url("scheme", world.slug))

    assert response.status_code == 405


def test_scheme_words_and_criterion_add_refuse_wrong_method(organiser_client, world):
    before = _state()

    assert organiser_client.post(_url("scheme_words", world.slug), **HTMX).status_code == 405
    assert organiser_client.get(_url("criterion_add", world.slug)).status_code == 405
    assert _state() == before


def test_scheme_unknown_session_or_foreign_criterion_is_404(organiser_client, world):
    foreign = CriterionFactory(name="别的指标", weight=Decimal("10"))

    assert organiser_client.get(_url("scheme", "no-such-session")).status_code == 404
    assert organiser_client.get(_url("criterion_edit", world.slug, foreign.pk)).status_code == 404
    assert (
        organiser_client.post(_url("criterion_delete", world.slug, foreign.pk)).status_code == 404
    )
    assert Criterion.objects.filter(pk=foreign.pk).exists()


# ---------------------------------------------------------------- the page


def test_scheme_page_organiser_sees_form_words_groups_and_criteria(
    organiser_client, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = organiser_client.get(_url("scheme", world.slug))

    body = _html(response)
    assert response.status_code == 200
    assert "<html" in body
    assert 'id="scheme-panel"' in body
    assert f'hx-post="{_url("scheme", world.slug)}"' in body
    assert f'hx-post="{_url("criterion_add", world.slug)}"' in body
    assert 'name="band_excellent" value="90.00"' in body
    assert _url("criterion_edit", world.slug, world.criterion.pk) in body
    assert _url("groups", world.slug) in body
    assert '<td class="num">66.67%</td>' in body
    assert _words(body)[1] == (
        "按评议指标评价：每张评议表对一个单位的分值是各指标分值的加权平均"
        "（权重：工作实绩 50、工作作风 30）；弃权的指标不计入，所有指标都弃权的不算有效票。"
    )
    assert _words(body)[3] == (
        "综合评议得分 = 县级领导 × 66.67% + 区直部门 × 33.33%"
        "（某组有效票少于 3 票时不计，其余组按权重重新折算）"
    )


def test_scheme_page_htmx_returns_only_the_panel(organiser_client, world):
    response = organiser_client.get(_url("scheme", world.slug), **HTMX)

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.strip().startswith('<div id="scheme-panel">')


def test_scheme_page_nav_links_to_it(observer_client, world):
    body = _html(observer_client.get(_url("session_detail", world.slug)))

    assert f'<a href="{_url("scheme", world.slug)}" >计分办法</a>' in body


def test_scheme_page_frozen_is_read_only_for_organiser(organiser_client, world):
    _freeze(world)

    response = organiser_client.get(_url("scheme", world.slug))

    body = _html(response)
    assert response.status_code == 200
    assert f'<p class="notice info">{FROZEN}</p>' in body
    assert "<form method" not in body
    assert "<dt>优秀分数线</dt><dd>90</dd>" in body


def test_scheme_page_ready_is_frozen(organiser_client, world):
    _freeze(world, Status.READY)

    response = organiser_client.get(_url("scheme", world.slug))

    body = _html(response)
    assert f'<p class="notice info">{FROZEN}</p>' in body
    assert f'hx-post="{_url("scheme", world.slug)}"' not in body


# ---------------------------------------------------------------- saving the scheme


def test_scheme_post_saves_redirects_and_audits(organiser_client, world, organiser):
    data = _form_data(
        world.session,
        weight_review=Decimal("60"),
        weight_target=Decimal("40"),
        trimmed_mean=True,
        cross_rating=True,
    )

    response = organiser_client.post(_url("scheme", world.slug), data)

    scheme = ScoringScheme.objects.get(session=world.session)
    entry = AuditLog.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("scheme", world.slug)
    assert (scheme.weight_review, scheme.weight_target, scheme.trimmed_mean) == (
        Decimal("60.00"),
        Decimal("40.00"),
        True,
    )
    assert (entry.action, entry.actor) == ("scheme.update", organiser)
    assert entry.message == (
        "修改计分办法：交叉评议 否 → 是；去掉最高值和最低值 否 → 是；"
        "综合评议在总分中的权重 100 → 60；目标考核在总分中的权重 0 → 40"
    )
    followed = _html(organiser_client.get(response["Location"]))
    assert "已保存计分办法。" in followed
    assert "总分 = 综合评议 × 60% + 目标考核 × 40% + 加减分" in _words(followed)


def test_scheme_post_unchecked_box_switches_off(organiser_client, world):
    data = _form_data(world.session)
    del data["anonymous"]

    organiser_client.post(_url("scheme", world.slug), data)

    assert ScoringScheme.objects.get(session=world.session).anonymous is False


def test_scheme_post_htmx_returns_panel_with_new_words(organiser_client, world):
    data = _form_data(world.session, band_excellent=Decimal("85"), excellent_cap_enabled=False)

    response = organiser_client.post(_url("scheme", world.slug), data, **HTMX)

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert '<p class="notice ok" role="status">已保存计分办法。</p>' in body
    assert "等次分数线：优秀 85 分以上，良好 80 分以上，一般 70 分以上，低于 70 分为较差。" in (
        _words(body)
    )
    assert "优秀不设比例限制。" in _words(body)
    assert AuditLog.objects.count() == 1


def _error_summary(body: str) -> list[str]:
    found = re.search(
        r'<div class="notice error" role="alert" id="scheme-errors">(.*?)</div>', body, re.S
    )
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("changes", "summary", "field"),
    [
        ({"weight_review": "90"}, "各组成部分权重之和必须为 100%，现在是 90%。", None),
        ({"band_excellent": "75"}, "优秀分数线不能低于良好分数线。", "band_excellent"),
        (
            {"max_good_action": "reject", "max_good_percent": ""},
            "启用“好”票比例上限时必须填写上限（%）；不限制请选“不启用”。",
            "max_good_percent",
        ),
        ({"value_good": "abc"}, "“好”的分值：输入一个数字。", "value_good"),
        (
            {"trim_above": "1"},
            "去极值的票数门槛必须是 2 到 1000 之间的整数。",
            "trim_above",
        ),
        ({"band_good": "80.123"}, "良好分数线：确认小数不超过 2 位.", "band_good"),
    ],
)
def test_scheme_post_bad_input_returns_422_and_changes_nothing(
    organiser_client, world, changes, summary, field, htmx
):
    data = {**_form_data(world.session), **changes}
    before = _state()

    response = organiser_client.post(_url("scheme", world.slug), data, **(HTMX if htmx else {}))

    body = _html(response)
    assert response.status_code == 422
    assert _error_summary(body) == [summary]
    assert (f'id="id_{field}_error"' in body) is (field is not None)
    assert ("<html" in body) is not htmx
    assert _state() == before


def test_scheme_post_bad_input_keeps_what_was_typed(organiser_client, world):
    data = _form_data(world.session, band_excellent="75")

    response = organiser_client.post(_url("scheme", world.slug), data)

    body = _html(response)
    assert 'name="band_excellent" value="75"' in body
    # The words still describe the stored scheme, not the refused input.
    assert "等次分数线：优秀 90 分以上，良好 80 分以上，一般 70 分以上，低于 70 分为较差。" in (
        _words(body)
    )


@pytest.mark.parametrize(
    "status", [Status.READY, Status.LIVE, Status.RATING, Status.CLOSED, Status.PUBLISHED]
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_scheme_post_frozen_returns_409_and_changes_nothing(organiser_client, world, status, htmx):
    _freeze(world, status)
    before = _state()

    response = organiser_client.post(
        _url("scheme", world.slug),
        _form_data(world.session, band_excellent=Decimal("85")),
        **(HTMX if htmx else {}),
    )

    body = _html(response)
    assert response.status_code == 409
    assert f'<div class="notice error" role="alert">{FROZEN}</div>' in body
    assert "<form method" not in body
    assert ("<html" in body) is not htmx
    assert _state() == before


def test_scheme_post_frozen_wins_over_bad_input(organiser_client, world):
    _freeze(world)
    before = _state()

    response = organiser_client.post(_url("scheme", world.slug), {"value_good": "abc"})

    assert response.status_code == 409
    assert FROZEN in _html(response)
    assert _state() == before


def test_scheme_post_while_ready_is_409_and_changes_nothing(organiser_client, world):
    _freeze(world, Status.READY)

    response = organiser_client.post(
        _url("scheme", world.slug), _form_data(world.session, band_good=Decimal("82"))
    )

    assert response.status_code == 409
    assert ScoringScheme.objects.get(session=world.session).band_good == Decimal("80.00")


# ---------------------------------------------------------------- the overview's summary


def test_session_detail_loads_scheme_words(organiser_client, world):
    body = _html(organiser_client.get(_url("session_detail", world.slug)))

    assert f'hx-get="{_url("scheme_words", world.slug)}" hx-trigger="load"' in body
    assert f'href="{_url("scheme", world.slug)}">查看和修改</a>' in body


def test_scheme_words_htmx_returns_only_the_sentences(observer_client, world):
    response = observer_client.get(_url("scheme_words", world.slug), **HTMX)

    body = _html(response)
    assert response.status_code == 200
    assert body.startswith('<ol class="scheme-words" id="scheme-words">')
    assert _words(body)[-1] == "匿名评议：评议表不记录评议码和持有人，无法追溯到个人。"
    assert len(_words(body)) == 11


def test_scheme_words_without_htmx_redirects_to_the_page(observer_client, world):
    response = observer_client.get(_url("scheme_words", world.slug))

    assert response.status_code == 302
    assert response["Location"] == _url("scheme", world.slug)


# ---------------------------------------------------------------- criteria


def test_criterion_add_creates_redirects_and_audits(organiser_client, world):
    response = organiser_client.post(
        _url("criterion_add", world.slug), {"name": "廉洁自律", "weight": "20"}
    )

    criterion = Criterion.objects.get(session=world.session, name="廉洁自律")
    assert response.status_code == 302
    assert response["Location"] == _url("scheme", world.slug)
    assert (criterion.weight, criterion.order) == (Decimal("20.00"), 2)
    assert AuditLog.objects.get().message == "新增评议指标“廉洁自律”：权重 20，排序 2"


def test_criterion_add_htmx_returns_panel_with_new_criterion(organiser_client, world):
    response = organiser_client.post(
        _url("criterion_add", world.slug), {"name": "廉洁自律", "weight": "20"}, **HTMX
    )

    body = _html(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert '<p class="notice ok" role="status">已添加评议指标“廉洁自律”。</p>' in body
    assert "（权重：工作实绩 50、工作作风 30、廉洁自律 20）" in _words(body)[1]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("data", "message", "summary"),
    [
        ({"name": "工作实绩", "weight": "10"}, "评议指标“工作实绩”已存在。", None),
        ({"name": "新指标", "weight": "-5"}, "评议指标“新指标”的权重不能为负数。", None),
        ({"name": "", "weight": "10"}, "这个字段是必填项。", "指标名称：这个字段是必填项。"),
        ({"name": "新指标", "weight": "x"}, "输入一个数字。", "权重：输入一个数字。"),
    ],
)
def test_criterion_add_bad_input_returns_422_and_changes_nothing(
    organiser_client, world, data, message, summary, htmx
):
    summary = summary or message
    before = _state()

    response = organiser_client.post(
        _url("criterion_add", world.slug), data, **(HTMX if htmx else {})
    )

    body = _html(response)
    assert response.status_code == 422
    assert message in body
    assert _error_summary(body) == [summary]
    assert ("<html" in body) is not htmx
    assert _state() == before


def test_criterion_edit_get_then_post_changes_it(organiser_client, world):
    url = _url("criterion_edit", world.slug, world.criterion.pk)

    form = organiser_client.get(url)
    response = organiser_client.post(url, {"name": "工作成效", "weight": "55", "order": "3"})

    world.criterion.refresh_from_db()
    assert form.status_code == 200
    assert 'name="name" value="工作实绩"' in _html(form)
    assert response.status_code == 302
    assert (world.criterion.name, world.criterion.weight, world.criterion.order) == (
        "工作成效",
        Decimal("55.00"),
        3,
    )
    assert AuditLog.objects.get().message == (
        "修改评议指标“工作实绩”：名称 工作实绩 → 工作成效；权重 50 → 55；排序 0 → 3"
    )


def test_criterion_edit_last_positive_weight_to_zero_returns_422(organiser_client, world):
    world.spare.weight = Decimal("0")
    world.spare.save()
    before = _state()

    response = organiser_client.post(
        _url("criterion_edit", world.slug, world.criterion.pk),
        {"name": "工作实绩", "weight": "0", "order": "0"},
    )

    assert response.status_code == 422
    assert "至少要有一个评议指标的权重大于 0：按权重加权平均，权重全为 0 无法计算。" in _html(
        response
    )
    assert _state() == before


def test_criterion_delete_get_confirms_then_post_deletes(organiser_client, world):
    url = _url("criterion_delete", world.slug, world.spare.pk)

    confirm = organiser_client.get(url)
    response = organiser_client.post(url)

    assert confirm.status_code == 200
    assert "删除评议指标“工作作风”？" in _html(confirm)
    assert response.status_code == 302
    assert response["Location"] == _url("scheme", world.slug)
    assert list(Criterion.objects.values_list("name", flat=True)) == ["工作实绩"]
    assert AuditLog.objects.get().message == "删除评议指标“工作作风”（权重 30）"


@pytest.mark.parametrize(
    "write",
    [
        lambda w: (_url("criterion_add", w.slug), {"name": "廉洁自律", "weight": "20"}),
        lambda w: (
            _url("criterion_edit", w.slug, w.criterion.pk),
            {"name": "工作实绩", "weight": "60", "order": "0"},
        ),
        lambda w: (_url("criterion_delete", w.slug, w.spare.pk), {}),
    ],
    ids=["add", "edit", "delete"],
)
def test_criterion_writes_frozen_return_409_and_change_nothing(organiser_client, world, write):
    _freeze(world)
    url, data = write(world)
    before = _state()

    response = organiser_client.post(url, data)

    assert response.status_code == 409
    assert FROZEN in _html(response)
    assert _state() == before


def test_criterion_edit_get_frozen_shows_no_form(organiser_client, world):
    _freeze(world)

    response = organiser_client.get(_url("criterion_edit", world.slug, world.criterion.pk))

    body = _html(response)
    assert response.status_code == 200
    assert f'<div class="notice error" role="alert">{FROZEN}</div>' in body
    assert "<form method" not in body
