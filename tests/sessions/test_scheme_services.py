"""The 计分办法 and criteria services (sessions/services.py): validation with messages that
name the field, all or nothing, frozen from the meeting on, one audit entry per change."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import translation

from sessions import scheme_services
from sessions.forms import SchemeForm
from sessions.models import AuditLog, Criterion, ReviewSession, ScoringScheme
from tests.factories import CriterionFactory, RaterGroupFactory, ReviewSessionFactory

Status = ReviewSession.Status
FROZEN = ["计分办法已冻结：评议会已离开草稿状态。如需修改，请先退回草稿（尚无评议表时才可以）。"]


@pytest.fixture
def session(db):
    session = ReviewSessionFactory()
    RaterGroupFactory(session=session, name="县级领导", weight=Decimal("40"))
    return session


def _stored(session) -> dict:
    scheme = ScoringScheme.objects.get(session=session)
    return model_to_dict(scheme, fields=scheme_services.SCHEME_FIELDS)


def _state(session) -> tuple:
    return (
        _stored(session),
        list(Criterion.objects.filter(session=session).order_by("pk").values()),
        AuditLog.objects.count(),
    )


# ---------------------------------------------------------------- scheme_update


def test_scheme_update_changes_fields_and_writes_one_audit_entry(session, organiser):
    scheme_services.scheme_update(
        session=session,
        actor=organiser,
        band_excellent=Decimal("85"),
        weight_review=Decimal("60"),
        weight_target=Decimal("40"),
        anonymous=False,
        max_good_percent=Decimal("30"),
        max_good_action="reject",
    )

    stored = _stored(session)
    entry = AuditLog.objects.get(action="scheme.update")
    assert (
        stored["band_excellent"],
        stored["weight_review"],
        stored["weight_target"],
        stored["anonymous"],
        stored["max_good_percent"],
        stored["max_good_action"],
    ) == (Decimal("85.00"), Decimal("60.00"), Decimal("40.00"), False, Decimal("30.00"), "reject")
    assert AuditLog.objects.count() == 1
    assert (entry.session, entry.actor, entry.actor_label) == (session, organiser, "organiser")
    assert entry.message == (
        "修改计分办法：匿名评议 是 → 否；综合评议在总分中的权重 100 → 60；目标考核在总分中的权重 0 → 40；"
        "优秀分数线 90 → 85；“好”票比例上限 未设 → 30；超过“好”票比例上限时 不启用 → 拒收并提示"
    )
    assert entry.detail == {
        "changes": {
            "anonymous": [True, False],
            "weight_review": ["100.00", "60"],
            "weight_target": ["0.00", "40"],
            "band_excellent": ["90.00", "85"],
            "max_good_percent": [None, "30"],
            "max_good_action": ["off", "reject"],
        }
    }


def test_scheme_update_without_change_writes_no_audit_entry(session):
    scheme_services.scheme_update(session=session, actor=None, band_good=Decimal("80.00"))

    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(
    "status", [Status.READY, Status.LIVE, Status.RATING, Status.CLOSED, Status.PUBLISHED]
)
def test_scheme_update_frozen_once_the_session_leaves_draft(session, status):
    session.status = status
    session.save()
    before = _state(session)

    with pytest.raises(scheme_services.SchemeFrozen) as raised:
        scheme_services.scheme_update(session=session, actor=None, trimmed_mean=True)

    assert raised.value.messages == FROZEN
    assert _state(session) == before


def test_scheme_update_rereads_status_under_lock(session):
    # The caller's copy still says draft; the database says rating: the database wins.
    ReviewSession.objects.filter(pk=session.pk).update(status=Status.RATING)

    with pytest.raises(scheme_services.SchemeFrozen):
        scheme_services.scheme_update(session=session, actor=None, trimmed_mean=True)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"weight_review": Decimal("90")},
            {"__all__": ["各组成部分权重之和必须为 100%，现在是 90%。"]},
        ),
        (
            {"weight_review": Decimal("60"), "weight_daily": Decimal("50.5")},
            {"__all__": ["各组成部分权重之和必须为 100%，现在是 110.5%。"]},
        ),
        (
            {"weight_target": Decimal("-10"), "weight_review": Decimal("110")},
            {
                "weight_review": ["综合评议在总分中的权重必须在 0 到 100 之间，现在是 110。"],
                "weight_target": ["目标考核在总分中的权重必须在 0 到 100 之间，现在是 -10。"],
            },
        ),
        (
            {"band_excellent": Decimal("75")},
            {"band_excellent": ["优秀分数线不能低于良好分数线。"]},
        ),
        (
            {"band_average": Decimal("85")},
            {"band_good": ["良好分数线不能低于一般分数线。"]},
        ),
        (
            {"band_excellent": Decimal("101")},
            {"band_excellent": ["优秀分数线必须在 0 到 100 之间，现在是 101。"]},
        ),
        (
            {"band_good": Decimal("80.125")},
            {"band_good": ["良好分数线最多保留两位小数。"]},
        ),
        (
            {"value_fairly_good": Decimal("100")},
            {"value_good": ["“好”的分值必须高于“较好”的分值。"]},
        ),
        (
            {"value_poor": Decimal("-1")},
            {"value_poor": ["“差”的分值必须在 0 到 100 之间，现在是 -1。"]},
        ),
        (
            {"value_good": "一百"},
            {"value_good": ["“好”的分值必须是数字。"]},
        ),
        (
            {"trim_above": 1},
            {"trim_above": ["去极值的票数门槛必须是 2 到 1000 之间的整数。"]},
        ),
        (
            {"default_min_sample": 0},
            {"default_min_sample": ["默认最少有效票数必须是 1 到 1000 之间的整数。"]},
        ),
        (
            {"excellent_cap_percent": Decimal("0")},
            {
                "excellent_cap_percent": [
                    "限制优秀比例时，优秀比例上限必须大于 0%；不限制请取消“限制优秀比例”。"
                ]
            },
        ),
        (
            {"excellent_cap_percent": Decimal("120"), "excellent_cap_enabled": False},
            {"excellent_cap_percent": ["优秀比例上限必须在 0 到 100 之间，现在是 120。"]},
        ),
        (
            {"max_good_action": "flag"},
            {"max_good_percent": ["启用“好”票比例上限时必须填写上限（%）；不限制请选“不启用”。"]},
        ),
        (
            {"max_good_action": "reject", "max_good_percent": Decimal("0")},
            {"max_good_percent": ["“好”票比例上限必须大于 0%。"]},
        ),
        (
            {"identical_grades_action": "ignore"},
            {"identical_grades_action": ["所有单位评价相同时的选项无效。"]},
        ),
        (
            {"anonymous": "no"},
            {"anonymous": ["匿名评议只能是“是”或“否”。"]},
        ),
        (
            {"value_basically_satisfied": Decimal("100.5")},
            {"value_basically_satisfied": ["“基本满意”的分值必须在 0 到 100 之间，现在是 100.5。"]},
        ),
        (
            {"value_dissatisfied": Decimal("80")},
            {"value_basically_satisfied": ["“基本满意”的分值不能低于“不满意”的分值。"]},
        ),
    ],
)
def test_scheme_update_bad_values_refused_naming_the_field_and_nothing_changed(
    session, changes, errors
):
    before = _state(session)

    with pytest.raises(ValidationError) as raised:
        scheme_services.scheme_update(session=session, actor=None, **changes)

    assert raised.value.message_dict == errors
    assert _state(session) == before


@pytest.mark.parametrize(
    "name, is_leaders", [("区直部门", False), ("县级领导", False)], ids=["none", "named only"]
)
def test_scheme_update_leaders_tie_break_needs_a_group_flagged_as_the_leaders(db, name, is_leaders):
    """The group is found by its flag: one merely named 县级领导 does not count."""
    session = ReviewSessionFactory()
    RaterGroupFactory(session=session, name=name, is_leaders=is_leaders)

    with pytest.raises(ValidationError) as raised:
        scheme_services.scheme_update(session=session, actor=None, tie_break_leaders=True)

    assert raised.value.message_dict == {
        "tie_break_leaders": [
            "同分比较县级领导组得分需要一个标为“县级领导组”的评议组，本评议会还没有。"
        ]
    }


def test_scheme_update_leaders_tie_break_with_a_flagged_group_of_any_name(db):
    session = ReviewSessionFactory()
    RaterGroupFactory(session=session, name="区级领导", is_leaders=True)

    scheme_services.scheme_update(session=session, actor=None, tie_break_leaders=True)

    assert _stored(session)["tie_break_leaders"] is True


def test_scheme_update_leaders_tie_break_with_leaders_group(session):
    scheme_services.scheme_update(session=session, actor=None, tie_break_leaders=True)

    assert _stored(session)["tie_break_leaders"] is True


def test_scheme_update_unknown_field_is_a_programming_error(session):
    with pytest.raises(TypeError):
        scheme_services.scheme_update(session=session, actor=None, session_id=1)


def test_scheme_form_sections_cover_every_scheme_field_once():
    names = [name for _legend, _help, fields in SchemeForm.SECTIONS for name in fields]

    assert names == list(scheme_services.SCHEME_FIELDS)
    assert list(SchemeForm.base_fields) == list(scheme_services.SCHEME_FIELDS)


# ---------------------------------------------------------------- criteria


def test_criterion_save_creates_last_and_audits(session, organiser):
    CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"), order=4)

    criterion = scheme_services.criterion_save(
        session=session, actor=organiser, name=" 工作作风 ", weight=Decimal("30")
    )

    entry = AuditLog.objects.get()
    assert (criterion.name, criterion.weight, criterion.order) == ("工作作风", Decimal("30"), 5)
    assert (entry.action, entry.message) == (
        "criterion.create",
        "新增评议指标“工作作风”：权重 30，排序 5",
    )


def test_criterion_save_first_criterion_gets_order_zero(session):
    criterion = scheme_services.criterion_save(
        session=session, actor=None, name="工作实绩", weight=Decimal("50")
    )

    assert criterion.order == 0


def test_criterion_save_update_lists_changes(session):
    criterion = CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"), order=0)

    scheme_services.criterion_save(
        session=session,
        actor=None,
        criterion=criterion,
        name="工作成效",
        weight=Decimal("45.5"),
        order=None,
    )

    criterion.refresh_from_db()
    entry = AuditLog.objects.get()
    assert (criterion.name, criterion.weight, criterion.order) == ("工作成效", Decimal("45.50"), 0)
    assert (entry.action, entry.message) == (
        "criterion.update",
        "修改评议指标“工作实绩”：名称 工作实绩 → 工作成效；权重 50 → 45.5",
    )


def test_criterion_save_unchanged_writes_no_audit_entry(session):
    criterion = CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"), order=2)

    scheme_services.criterion_save(
        session=session, actor=None, criterion=criterion, name="工作实绩", weight=Decimal("50")
    )

    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "weight", "order", "message"),
    [
        ("工作实绩", Decimal("10"), None, "评议指标“工作实绩”已存在。"),
        ("  ", Decimal("10"), None, "评议指标名称不能为空。"),
        ("新指标", Decimal("-1"), None, "评议指标“新指标”的权重不能为负数。"),
        ("新指标", Decimal("1000.01"), None, "评议指标“新指标”的权重不能超过 1000。"),
        ("新指标", Decimal("1.005"), None, "评议指标“新指标”的权重最多保留两位小数。"),
        ("新指标", None, None, "评议指标“新指标”的权重必须是数字。"),
        ("新指标", Decimal("10"), -1, "排序必须是 0 到 32767 之间的整数。"),
    ],
)
def test_criterion_save_bad_input_refused_and_nothing_changed(
    session, name, weight, order, message
):
    CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"))
    before = _state(session)

    with pytest.raises(ValidationError) as raised:
        scheme_services.criterion_save(
            session=session, actor=None, name=name, weight=weight, order=order
        )

    assert raised.value.messages == [message]
    assert _state(session) == before


def test_criterion_save_zero_weight_allowed_while_another_is_positive(session):
    CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"))

    extra = scheme_services.criterion_save(
        session=session, actor=None, name="附加", weight=Decimal("0")
    )

    assert extra.weight == Decimal("0")


def test_criterion_save_refuses_setting_the_last_positive_weight_to_zero(session):
    only = CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"))
    CriterionFactory(session=session, name="附加", weight=Decimal("0"))
    before = _state(session)

    with pytest.raises(ValidationError) as raised:
        scheme_services.criterion_save(
            session=session, actor=None, criterion=only, name="工作实绩", weight=Decimal("0")
        )

    assert raised.value.messages == [
        "至少要有一个评议指标的权重大于 0：按权重加权平均，权重全为 0 无法计算。"
    ]
    assert _state(session) == before


def test_criterion_save_first_criterion_with_zero_weight_refused(session):
    with pytest.raises(ValidationError) as raised:
        scheme_services.criterion_save(
            session=session, actor=None, name="工作实绩", weight=Decimal("0")
        )

    assert raised.value.messages == [
        "至少要有一个评议指标的权重大于 0：按权重加权平均，权重全为 0 无法计算。"
    ]
    assert Criterion.objects.count() == 0


def test_criterion_delete_removes_and_audits(session, organiser):
    criterion = CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"))

    scheme_services.criterion_delete(criterion=criterion, actor=organiser)

    entry = AuditLog.objects.get()
    assert Criterion.objects.count() == 0
    assert (entry.action, entry.message) == (
        "criterion.delete",
        "删除评议指标“工作实绩”（权重 50）",
    )


def test_criterion_delete_refused_when_only_zero_weights_would_remain(session):
    positive = CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"))
    CriterionFactory(session=session, name="附加", weight=Decimal("0"))
    before = _state(session)

    with pytest.raises(ValidationError) as raised:
        scheme_services.criterion_delete(criterion=positive, actor=None)

    assert raised.value.messages == [
        "删除“工作实绩”后，其余评议指标的权重都为 0：请先把其中一项的权重改为大于 0，或一并删除。"
    ]
    assert _state(session) == before


@pytest.mark.parametrize(
    "status", [Status.READY, Status.LIVE, Status.RATING, Status.CLOSED, Status.PUBLISHED]
)
def test_criteria_frozen_from_the_meeting_on(session, status):
    criterion = CriterionFactory(session=session, name="工作实绩", weight=Decimal("50"))
    session.status = status
    session.save()
    before = _state(session)

    with pytest.raises(scheme_services.SchemeFrozen) as added:
        scheme_services.criterion_save(
            session=session, actor=None, name="新指标", weight=Decimal("5")
        )
    with pytest.raises(scheme_services.SchemeFrozen) as changed:
        scheme_services.criterion_save(
            session=session, actor=None, criterion=criterion, name="改名", weight=Decimal("5")
        )
    with pytest.raises(scheme_services.SchemeFrozen) as deleted:
        scheme_services.criterion_delete(criterion=criterion, actor=None)

    assert [added.value.messages, changed.value.messages, deleted.value.messages] == [FROZEN] * 3
    assert _state(session) == before


def test_criterion_save_refuses_criterion_of_another_session(session):
    foreign = CriterionFactory(name="工作实绩", weight=Decimal("50"))

    with pytest.raises(ValidationError) as raised:
        scheme_services.criterion_save(
            session=session, actor=None, criterion=foreign, name="改名", weight=Decimal("5")
        )

    assert raised.value.messages == ["该评议指标不属于本评议会。"]
    foreign.refresh_from_db()
    assert foreign.name == "工作实绩"


def test_scheme_update_component_sum_error_is_english_when_english_is_active(session):
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        scheme_services.scheme_update(session=session, actor=None, weight_review=Decimal("90"))

    assert raised.value.messages == [
        "The component weights must add up to 100%; they add up to 90%."
    ]


MIN_SAMPLE_RULE = "匿名评议的最少有效票数不能少于 3：票数更少时，单位得分会暴露个别评议人的评价。"


def test_scheme_update_anonymous_default_min_sample_below_3_refused(session):
    before = _stored(session)

    with pytest.raises(ValidationError) as raised:
        scheme_services.scheme_update(session=session, actor=None, default_min_sample=2)

    assert raised.value.message_dict == {"default_min_sample": [MIN_SAMPLE_RULE]}
    assert _stored(session) == before


def test_scheme_update_named_session_may_use_a_minimum_sample_of_1(session):
    scheme_services.scheme_update(
        session=session, actor=None, anonymous=False, default_min_sample=1
    )

    assert (_stored(session)["anonymous"], _stored(session)["default_min_sample"]) == (False, 1)


def test_scheme_update_turning_anonymous_on_names_groups_below_3(session):
    scheme_services.scheme_update(session=session, actor=None, anonymous=False)
    session.rater_groups.update(min_sample=1)

    with pytest.raises(ValidationError) as raised:
        scheme_services.scheme_update(session=session, actor=None, anonymous=True)

    assert raised.value.message_dict == {"anonymous": [f"评议组“县级领导”：{MIN_SAMPLE_RULE}"]}
    assert _stored(session)["anonymous"] is False
