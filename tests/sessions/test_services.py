"""sessions/services.py: every write to a session (docs/design.md §1, 3 and 4)."""

import datetime
import random
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.audit import audit
from sessions import draw_services, draws, lifecycle, report_services, services, unit_services
from sessions.models import (
    Attachment,
    AuditLog,
    Draw,
    Participant,
    RaterGroup,
    Report,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)
from sessions.presets import year_prefixed
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

Status = ReviewSession.Status
TOWN = UnitCategory.Side.TOWN
DEPT = UnitCategory.Side.DEPARTMENT
OTHER = UnitCategory.Side.OTHER

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(db):
    return UserFactory(username="staff")


def _ready_to_freeze(**session_fields) -> ReviewSession:
    """A draft session that passes every readiness check of draft → ready."""
    session = ReviewSessionFactory(**session_fields)
    RaterGroupFactory(session=session, name="县级领导", weight=Decimal("40"))
    ParticipantFactory(session=session, speaking_order=1)
    return session


def _entries(session, action=None) -> list[AuditLog]:
    entries = AuditLog.objects.filter(session=session).order_by("id")
    if action:
        entries = entries.filter(action=action)
    return list(entries)


def _state(session) -> dict:
    """Everything a configuration write could touch, to show that a refused write changed nothing."""
    return {
        "session": list(
            ReviewSession.objects.filter(pk=session.pk).values("status", "title", "year")
        ),
        "categories": list(UnitCategory.objects.filter(session=session).values()),
        "units": list(Unit.objects.filter(session=session).values()),
        "groups": list(RaterGroup.objects.filter(session=session).values()),
        "participants": list(Participant.objects.filter(session=session).values()),
        "draws": list(Draw.objects.filter(session=session).values()),
        "reports": list(Report.objects.filter(participant__session=session).values()),
        "attachments": list(
            Attachment.objects.filter(report__participant__session=session).values()
        ),
        "audit": AuditLog.objects.filter(session=session).count(),
    }


def _message(exc_info) -> str:
    return " ".join(exc_info.value.messages)


# ---------------------------------------------------------------- session_create


def test_session_create_annual_template_has_categories_groups_and_weights(actor):
    session = services.session_create(kind="annual", year=2026, actor=actor)

    assert session.status == Status.DRAFT
    assert session.kind == "annual"
    assert session.title == "2026年度综合考核述职评议会（三述两评一问）"
    assert session.created_by == actor
    assert list(session.categories.values_list("name", "side", "order")) == [
        ("镇(街道)", TOWN, 0),
        ("政府部门", DEPT, 1),
        ("统筹协调部门", DEPT, 2),
        ("党群服务部门", DEPT, 3),
        ("开发区", OTHER, 4),
    ]
    # docs/design.md §4.5: 县级领导 40, 区直部门 20, 镇(街道) 20, 两代表一委员 20.
    assert list(session.rater_groups.values_list("name", "weight", "side", "min_sample")) == [
        ("县级领导", Decimal("40.00"), OTHER, 3),
        ("区直部门", Decimal("20.00"), DEPT, 3),
        ("镇(街道)", Decimal("20.00"), TOWN, 3),
        ("两代表一委员", Decimal("20.00"), OTHER, 3),
    ]


def test_session_create_midyear_template_has_towns_departments_and_public_panel(actor):
    session = services.session_create(kind="midyear", year=2026, actor=actor)

    assert session.title == "2026年年中述职讲评暨现场问政会"
    assert list(session.categories.values_list("name", "side")) == [
        ("镇(街道)", TOWN),
        ("政府部门", DEPT),
        ("统筹协调部门", DEPT),
        ("党群服务部门", DEPT),
    ]
    assert list(session.rater_groups.values_list("name", "weight", "side")) == [
        ("县级领导", Decimal("40.00"), OTHER),
        ("区直部门", Decimal("20.00"), DEPT),
        ("镇(街道)", Decimal("20.00"), TOWN),
        ("两代表一委员/社会公众代表", Decimal("20.00"), OTHER),
    ]


def test_session_create_custom_template_starts_empty(actor):
    session = services.session_create(kind="custom", year=2026, actor=actor)

    assert session.title == "2026年述职评议会"
    assert session.categories.count() == 0
    assert session.rater_groups.count() == 0


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("annual", "2027年度综合考核述职评议会（三述两评一问）"),
        ("midyear", "2027年年中述职讲评暨现场问政会"),
        ("custom", "2027年述职评议会"),
    ],
)
def test_session_create_composes_the_title_without_doubling_nian(actor, kind, title):
    session = services.session_create(kind=kind, year=2027, actor=actor)

    assert session.title == title
    assert "年年度" not in session.title


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("年度综合考核", "2026年度综合考核"),
        ("年中述职讲评会", "2026年年中述职讲评会"),
        ("述职评议会", "2026年述职评议会"),
    ],
)
def test_year_prefixed_puts_one_nian_between_year_and_title(title, expected):
    assert year_prefixed(title, 2026) == expected


def test_session_create_without_preset_starts_empty(actor):
    session = services.session_create(kind="annual", year=2026, actor=actor, with_preset=False)

    assert session.categories.count() == 0
    assert session.rater_groups.count() == 0
    assert ScoringScheme.objects.filter(session=session).count() == 1


@pytest.mark.parametrize("kind", ["annual", "midyear", "custom"])
def test_session_create_has_default_scheme_of_section_4(actor, kind):
    session = services.session_create(kind=kind, year=2026, actor=actor)
    scheme = ScoringScheme.objects.get(session=session)

    values = {
        name: getattr(scheme, name)
        for name in [
            "value_good",
            "value_fairly_good",
            "value_average",
            "value_poor",
            "cross_rating",
            "trimmed_mean",
            "trim_above",
            "default_min_sample",
            "weight_review",
            "weight_target",
            "weight_daily",
            "weight_satisfaction",
            "weight_leader_comment",
            "apply_bonus",
            "tie_break_leaders",
            "tie_break_good_share",
            "band_excellent",
            "band_good",
            "band_average",
            "excellent_cap_enabled",
            "excellent_cap_percent",
            "max_good_percent",
            "max_good_action",
            "identical_grades_action",
            "value_satisfied",
            "value_basically_satisfied",
            "value_dissatisfied",
        ]
    }

    assert values == {
        "value_good": Decimal("100"),
        "value_fairly_good": Decimal("80"),
        "value_average": Decimal("60"),
        "value_poor": Decimal("40"),
        "cross_rating": False,
        "trimmed_mean": False,
        "trim_above": 5,
        "default_min_sample": 3,
        "weight_review": Decimal("100"),
        "weight_target": Decimal("0"),
        "weight_daily": Decimal("0"),
        "weight_satisfaction": Decimal("0"),
        "weight_leader_comment": Decimal("0"),
        "apply_bonus": True,
        "tie_break_leaders": False,
        "tie_break_good_share": False,
        "band_excellent": Decimal("90"),
        "band_good": Decimal("80"),
        "band_average": Decimal("70"),
        "excellent_cap_enabled": True,
        "excellent_cap_percent": Decimal("30"),
        "max_good_percent": None,
        "max_good_action": "off",
        "identical_grades_action": "off",
        "value_satisfied": Decimal("100"),
        "value_basically_satisfied": Decimal("70"),
        "value_dissatisfied": Decimal("30"),
    }
    assert scheme.component_weight_total == Decimal("100")


def test_session_create_slugs_are_unique_per_year_and_kind(actor):
    first = services.session_create(kind="midyear", year=2026, actor=actor)
    second = services.session_create(kind="midyear", year=2026, actor=actor)
    third = services.session_create(kind="midyear", year=2026, actor=actor)
    annual = services.session_create(kind="annual", year=2026, actor=actor)
    next_year = services.session_create(kind="midyear", year=2027, actor=actor)

    assert [first.slug, second.slug, third.slug, annual.slug, next_year.slug] == [
        "2026-midyear",
        "2026-midyear-2",
        "2026-midyear-3",
        "2026-annual",
        "2027-midyear",
    ]


def test_session_create_keeps_given_title_date_and_venue_stripped(actor):
    session = services.session_create(
        kind="midyear",
        year=2026,
        title="  惠济区2026年年中述职讲评  ",
        date=datetime.date(2026, 7, 15),
        venue=" 区委礼堂 ",
        actor=actor,
    )

    session.refresh_from_db()
    assert (session.title, session.date, session.venue) == (
        "惠济区2026年年中述职讲评",
        datetime.date(2026, 7, 15),
        "区委礼堂",
    )


def test_session_create_writes_one_audit_entry(actor):
    session = services.session_create(kind="annual", year=2026, actor=actor)

    entries = _entries(session)
    assert [(e.action, e.actor, e.actor_label, e.detail) for e in entries] == [
        ("session.create", actor, "staff", {"kind": "annual", "year": 2026})
    ]
    assert entries[0].message == "创建评议会“2026年度综合考核述职评议会（三述两评一问）”"


@pytest.mark.parametrize("year", [1999, 2101])
def test_session_create_year_out_of_range_is_refused_and_nothing_created(actor, year):
    with pytest.raises(ValidationError):
        services.session_create(kind="annual", year=year, actor=actor)

    assert ReviewSession.objects.count() == 0
    assert UnitCategory.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_session_create_unknown_kind_is_refused_with_a_validation_error(actor):
    with pytest.raises(ValidationError) as exc_info:
        services.session_create(kind="weekly", year=2026, actor=actor)

    assert exc_info.value.messages == ["未知的评议会类型“weekly”。"]
    assert ReviewSession.objects.count() == 0


def test_session_create_explicit_slug_is_used_and_a_clash_refused(actor):
    session = services.session_create(kind="annual", year=2026, slug="huiji-2026", actor=actor)

    with pytest.raises(ValidationError) as exc_info:
        services.session_create(kind="annual", year=2026, slug="huiji-2026", actor=actor)

    assert session.slug == "huiji-2026"
    assert list(exc_info.value.message_dict) == ["slug"]
    assert ReviewSession.objects.count() == 1


# ---------------------------------------------------------------- session_update


def test_session_update_changes_fields_and_audits_only_the_changes(actor):
    session = ReviewSessionFactory(title="旧名称", venue="")

    services.session_update(
        session=session,
        actor=actor,
        title=" 新名称 ",
        year=2026,
        date=datetime.date(2026, 7, 15),
        venue="",
    )

    session.refresh_from_db()
    entries = _entries(session)
    assert (session.title, session.date) == ("新名称", datetime.date(2026, 7, 15))
    assert [(e.action, e.detail) for e in entries] == [
        (
            "session.update",
            {"changes": {"title": ["旧名称", "新名称"], "date": [None, "2026-07-15"]}},
        )
    ]


def test_session_update_without_changes_writes_no_audit_entry(actor):
    session = ReviewSessionFactory(title="名称", venue="礼堂")

    services.session_update(
        session=session, actor=actor, title="名称", year=2026, date=None, venue="礼堂"
    )

    assert _entries(session) == []


def test_session_update_refused_once_published(actor):
    session = ReviewSessionFactory(status=Status.PUBLISHED, title="名称")

    with pytest.raises(ValidationError, match="结果已发布"):
        services.session_update(
            session=session, actor=actor, title="别的", year=2026, date=None, venue=""
        )

    session.refresh_from_db()
    assert session.title == "名称"


def test_session_update_empty_title_refused(actor):
    session = ReviewSessionFactory(title="名称")

    with pytest.raises(ValidationError):
        services.session_update(
            session=session, actor=actor, title="   ", year=2026, date=None, venue=""
        )

    session.refresh_from_db()
    assert session.title == "名称"


# ---------------------------------------------------------------- lifecycle

ALLOWED = [
    (Status.DRAFT, Status.READY),
    (Status.READY, Status.DRAFT),
    (Status.READY, Status.LIVE),
    (Status.READY, Status.RATING),
    (Status.LIVE, Status.RATING),
    (Status.RATING, Status.CLOSED),
]
REFUSED = [(a, b) for a in Status.values for b in Status.values if (a, b) not in ALLOWED]


def test_transitions_table_matches_design_section_3():
    allowed = {(a, b) for a, targets in lifecycle.TRANSITIONS.items() for b in targets}

    # closed → published is listed but always refused here: publishing goes through the snapshot.
    assert allowed == set(ALLOWED) | {(Status.CLOSED, Status.PUBLISHED)}


@pytest.mark.parametrize(("before", "after"), ALLOWED)
def test_session_transition_allowed_moves_and_writes_one_audit_entry(actor, before, after):
    session = _ready_to_freeze(status=before)

    services.session_transition(session=session, target=after, actor=actor)

    session.refresh_from_db()
    entries = [e for e in _entries(session) if e.action == "session.status"]
    others = [e.action for e in _entries(session) if e.action != "session.status"]
    assert session.status == after
    assert [(e.action, e.actor, e.detail) for e in entries] == [
        ("session.status", actor, {"before": before, "after": after})
    ]
    assert entries[0].message == f"状态：{Status(before).label} → {Status(after).label}"
    # Closing also seals the ballot box (sessions/ballot_box.py), audited on its own.
    assert others == (["ballot_box.seal"] if after == Status.CLOSED else [])


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_session_transition_refused_changes_nothing(actor, before, after):
    session = _ready_to_freeze(status=before)

    with pytest.raises(ValidationError):
        services.session_transition(session=session, target=after, actor=actor)

    session.refresh_from_db()
    assert session.status == before
    assert _entries(session) == []


def test_session_transition_refusal_names_the_allowed_targets(actor):
    session = ReviewSessionFactory(status=Status.LIVE)

    with pytest.raises(ValidationError) as exc_info:
        services.session_transition(session=session, target=Status.DRAFT, actor=actor)

    assert exc_info.value.messages == ["不能从“会议进行中”转到“草稿”；当前可转到：评议中。"]


def test_session_transition_to_same_status_is_refused_with_message(actor):
    session = ReviewSessionFactory(status=Status.RATING)

    with pytest.raises(ValidationError) as exc_info:
        services.session_transition(session=session, target=Status.RATING, actor=actor)

    assert exc_info.value.messages == ["评议会已经是“评议中”状态。"]


def test_session_transition_ready_to_draft_refused_once_a_ballot_exists(actor):
    session = _ready_to_freeze(status=Status.READY)
    BallotFactory(credential=CredentialFactory(session=session), receipt="R1")

    with pytest.raises(ValidationError) as exc_info:
        services.session_transition(session=session, target=Status.DRAFT, actor=actor)

    session.refresh_from_db()
    assert exc_info.value.messages == ["已有评议票，不能退回草稿。"]
    assert session.status == Status.READY
    assert _entries(session) == []


def test_session_transition_to_published_is_refused_from_closed(actor):
    session = ReviewSessionFactory(status=Status.CLOSED)

    with pytest.raises(ValidationError) as exc_info:
        services.session_transition(session=session, target=Status.PUBLISHED, actor=actor)

    session.refresh_from_db()
    assert exc_info.value.messages == [
        "发布结果须在结果页计算并冻结结果快照后进行，不能直接改状态。"
    ]
    assert session.status == Status.CLOSED


def test_session_transition_unknown_status_is_refused(actor):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError) as exc_info:
        services.session_transition(session=session, target="archived", actor=actor)

    session.refresh_from_db()
    assert exc_info.value.messages == ["未知状态“archived”。"]
    assert session.status == Status.DRAFT


def test_session_transition_uses_the_stored_status_not_a_stale_object(actor):
    session = _ready_to_freeze()
    stale = ReviewSession.objects.get(pk=session.pk)
    services.session_transition(session=session, target=Status.READY, actor=actor)

    # The stale copy still says draft; the service re-reads the row, so ready → live works.
    services.session_transition(session=stale, target=Status.LIVE, actor=actor)

    session.refresh_from_db()
    assert session.status == Status.LIVE


def test_readiness_problems_empty_session_lists_participants_and_groups():
    session = ReviewSessionFactory()

    assert services.readiness_problems(session) == [
        "还没有述职单位：请添加固定参加的单位或进行随机抽选。",
        "还没有评议组。",
    ]


def test_readiness_missing_speaking_order_is_a_warning_not_a_blocker():
    # A session rated without a live meeting needs no order; the meeting asks for it.
    session = _ready_to_freeze()
    ParticipantFactory(session=session, speaking_order=None)

    assert services.readiness_problems(session) == []
    assert [w for w in services.readiness_warnings(session) if "发言顺序" in w] == [
        "还没有发言顺序：召开现场会前须确定发言顺序，就绪后不能再抽签。"
        "不开现场会（纸质票、纯民主测评）可以不抽。"
    ]


def test_readiness_problems_zero_total_weight():
    session = ReviewSessionFactory()
    ParticipantFactory(session=session, speaking_order=1)
    RaterGroupFactory(session=session, weight=Decimal("0"))

    assert services.readiness_problems(session) == ["评议组权重之和必须大于 0。"]


def test_readiness_problems_component_weights_not_100():
    session = _ready_to_freeze()
    ScoringScheme.objects.filter(session=session).update(weight_target=Decimal("10"))
    session = ReviewSession.objects.get(pk=session.pk)

    assert services.readiness_problems(session) == ["计分构成的权重之和为 110.00%，必须为 100%。"]


def test_session_transition_draft_to_ready_refused_when_not_ready(actor):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError) as exc_info:
        services.session_transition(session=session, target=Status.READY, actor=actor)

    session.refresh_from_db()
    assert exc_info.value.messages == services.readiness_problems(session)
    assert session.status == Status.DRAFT
    assert _entries(session) == []


# ---------------------------------------------------------------- draft-only guards


@pytest.fixture
def frozen(actor):
    """A ready session with one of everything, and the refused write to try on it."""
    session = _ready_to_freeze(status=Status.READY)
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    empty_category = UnitCategoryFactory(session=session, name="空类别")
    unit = UnitFactory(session=session, category=category, name="花园口镇")
    participant = Participant.objects.get(session=session)
    group = RaterGroup.objects.get(session=session)
    return {
        "session": session,
        "category": category,
        "empty_category": empty_category,
        "unit": unit,
        "participant": participant,
        "group": group,
        "actor": actor,
    }


FROZEN_WRITES = {
    "category create": lambda f: unit_services.category_save(
        session=f["session"], actor=f["actor"], name="新类别"
    ),
    "category rename": lambda f: unit_services.category_save(
        session=f["session"], actor=f["actor"], name="新名", category=f["category"]
    ),
    "category delete": lambda f: unit_services.category_delete(
        category=f["empty_category"], actor=f["actor"]
    ),
    "unit create": lambda f: unit_services.unit_save(
        session=f["session"], actor=f["actor"], name="新单位", category=f["category"]
    ),
    "unit rename": lambda f: unit_services.unit_save(
        session=f["session"], actor=f["actor"], name="新名", category=f["category"], unit=f["unit"]
    ),
    "unit delete": lambda f: unit_services.unit_delete(unit=f["unit"], actor=f["actor"]),
    "participant add": lambda f: unit_services.participant_add(
        session=f["session"], actor=f["actor"], unit=f["unit"]
    ),
    "participant remove": lambda f: unit_services.participant_remove(
        participant=f["participant"], actor=f["actor"]
    ),
    "group create": lambda f: unit_services.group_save(
        session=f["session"], actor=f["actor"], name="新组", weight=Decimal("10")
    ),
    "group reweight": lambda f: unit_services.group_save(
        session=f["session"],
        actor=f["actor"],
        name=f["group"].name,
        weight=Decimal("99"),
        group=f["group"],
    ),
    "group delete": lambda f: unit_services.group_delete(group=f["group"], actor=f["actor"]),
    "draw participants": lambda f: draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=f["session"],
        actor=f["actor"],
        categories=[f["category"]],
        count=1,
        seed="1",
    ),
    "draw speaking order": lambda f: draw_services.draw_speaking_order(
        session=f["session"], actor=f["actor"], seed="1"
    ),
}


@pytest.mark.parametrize("write", FROZEN_WRITES.values(), ids=FROZEN_WRITES.keys())
def test_configuration_write_refused_once_ready_changes_nothing(frozen, write):
    before = _state(frozen["session"])

    with pytest.raises(ValidationError) as exc_info:
        write(frozen)

    assert exc_info.value.messages == [
        "评议会状态为“已就绪”，单位、评议组、权重和计分办法已冻结。"
        "如需修改，请先退回草稿（仅在尚无评议票时可行）。"
    ]
    assert _state(frozen["session"]) == before


@pytest.mark.parametrize("status", [Status.LIVE, Status.RATING, Status.CLOSED, Status.PUBLISHED])
def test_configuration_write_refused_in_every_status_after_draft(actor, status):
    session = ReviewSessionFactory(status=status)
    category = UnitCategoryFactory(session=session)

    with pytest.raises(ValidationError, match="已冻结"):
        unit_services.unit_save(session=session, actor=actor, name="新单位", category=category)

    assert Unit.objects.filter(session=session).count() == 0


# ---------------------------------------------------------------- categories


def test_category_save_creates_in_order_and_audits(actor):
    session = ReviewSessionFactory()

    first = unit_services.category_save(session=session, actor=actor, name=" 镇(街道) ", side=TOWN)
    second = unit_services.category_save(session=session, actor=actor, name="政府部门", side=DEPT)

    assert [(c.name, c.side, c.order) for c in (first, second)] == [
        ("镇(街道)", TOWN, 0),
        ("政府部门", DEPT, 1),
    ]
    assert [(e.action, e.message, e.detail) for e in _entries(session)] == [
        ("category.create", "新增单位类别“镇(街道)”", {"side": "town"}),
        ("category.create", "新增单位类别“政府部门”", {"side": "department"}),
    ]


def test_category_save_renames_and_audits_old_name(actor):
    session = ReviewSessionFactory()
    category = UnitCategoryFactory(session=session, name="旧类别")

    unit_services.category_save(session=session, actor=actor, name="新类别", category=category)

    category.refresh_from_db()
    assert category.name == "新类别"
    assert [(e.action, e.message) for e in _entries(session)] == [
        ("category.update", "修改单位类别“旧类别”为“新类别”")
    ]


def test_category_save_name_clash_refused(actor):
    session = ReviewSessionFactory()
    UnitCategoryFactory(session=session, name="政府部门")
    other = UnitCategoryFactory(session=session, name="党群服务部门")

    with pytest.raises(ValidationError) as on_create:
        unit_services.category_save(session=session, actor=actor, name="政府部门")
    with pytest.raises(ValidationError) as on_rename:
        unit_services.category_save(session=session, actor=actor, name="政府部门", category=other)

    other.refresh_from_db()
    assert on_create.value.messages == ["类别“政府部门”已存在。"]
    assert on_rename.value.messages == ["类别“政府部门”已存在。"]
    assert other.name == "党群服务部门"
    assert UnitCategory.objects.filter(session=session).count() == 2
    assert _entries(session) == []


def test_category_save_same_name_in_another_session_is_fine(actor):
    UnitCategoryFactory(name="政府部门")
    session = ReviewSessionFactory()

    category = unit_services.category_save(session=session, actor=actor, name="政府部门")

    assert category.session == session


@pytest.mark.parametrize("name", ["", "   ", None])
def test_category_save_empty_name_refused(actor, name):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError) as exc_info:
        unit_services.category_save(session=session, actor=actor, name=name)

    assert exc_info.value.messages == ["类别名称不能为空。"]
    assert UnitCategory.objects.filter(session=session).count() == 0


def test_category_save_too_long_name_refused(actor):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError) as exc_info:
        unit_services.category_save(session=session, actor=actor, name="长" * 101)

    assert exc_info.value.messages == ["类别名称不能超过 100 个字符。"]


def test_category_save_unknown_side_refused(actor):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError):
        unit_services.category_save(session=session, actor=actor, name="开发区", side="moon")

    assert UnitCategory.objects.filter(session=session).count() == 0


def test_category_delete_refused_while_it_has_units(actor):
    session = ReviewSessionFactory()
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    UnitFactory.create_batch(2, session=session, category=category)

    with pytest.raises(ValidationError) as exc_info:
        unit_services.category_delete(category=category, actor=actor)

    assert exc_info.value.messages == ["类别“镇(街道)”下还有 2 个单位，请先移走或删除这些单位。"]
    assert UnitCategory.objects.filter(pk=category.pk).exists()
    assert _entries(session) == []


def test_category_delete_empty_category_deletes_and_audits(actor):
    session = ReviewSessionFactory()
    category = UnitCategoryFactory(session=session, name="开发区")

    unit_services.category_delete(category=category, actor=actor)

    assert UnitCategory.objects.filter(session=session).count() == 0
    assert [(e.action, e.message) for e in _entries(session)] == [
        ("category.delete", "删除单位类别“开发区”")
    ]


# ---------------------------------------------------------------- units and participants


def test_unit_save_creates_unit_and_audits(actor):
    session = ReviewSessionFactory()
    category = UnitCategoryFactory(session=session, name="镇(街道)")

    unit = unit_services.unit_save(
        session=session, actor=actor, name=" 花园口镇 ", category=category
    )

    assert (unit.name, unit.category, unit.session) == ("花园口镇", category, session)
    assert Participant.objects.filter(session=session).count() == 0
    assert [(e.action, e.message) for e in _entries(session)] == [
        ("unit.create", "新增单位“花园口镇”（镇(街道)）")
    ]


def test_unit_save_participates_adds_a_fixed_participant(actor):
    session = ReviewSessionFactory()
    category = UnitCategoryFactory(session=session)

    unit = unit_services.unit_save(
        session=session, actor=actor, name="花园口镇", category=category, participates=True
    )

    participant = Participant.objects.get(session=session)
    assert (participant.unit, participant.how, participant.draw) == (unit, "fixed", None)
    assert [e.action for e in _entries(session)] == ["unit.create", "participant.add"]


def test_unit_save_participates_false_removes_the_participant(actor):
    session = ReviewSessionFactory()
    participant = ParticipantFactory(session=session)
    unit = participant.unit

    unit_services.unit_save(
        session=session,
        actor=actor,
        name=unit.name,
        category=unit.category,
        unit=unit,
        participates=False,
    )

    assert Participant.objects.filter(session=session).count() == 0
    assert [e.action for e in _entries(session)] == ["participant.remove"]


def test_unit_save_unchanged_writes_no_audit_entry(actor):
    session = ReviewSessionFactory()
    unit = UnitFactory(session=session, name="花园口镇")

    unit_services.unit_save(
        session=session, actor=actor, name="花园口镇", category=unit.category, unit=unit
    )

    assert _entries(session) == []


def test_unit_save_moves_unit_to_another_category(actor):
    session = ReviewSessionFactory()
    unit = UnitFactory(session=session, name="花园口镇")
    other = UnitCategoryFactory(session=session, name="开发区")

    unit_services.unit_save(
        session=session, actor=actor, name="花园口镇", category=other, unit=unit
    )

    unit.refresh_from_db()
    assert unit.category == other
    assert [(e.action, e.message) for e in _entries(session)] == [
        ("unit.update", "修改单位“花园口镇”（开发区）")
    ]


def test_unit_save_name_clash_refused(actor):
    session = ReviewSessionFactory()
    taken = UnitFactory(session=session, name="花园口镇")
    other = UnitFactory(session=session, name="刘集镇", category=taken.category)

    with pytest.raises(ValidationError) as on_create:
        unit_services.unit_save(
            session=session, actor=actor, name="花园口镇", category=taken.category
        )
    with pytest.raises(ValidationError) as on_rename:
        unit_services.unit_save(
            session=session, actor=actor, name="花园口镇", category=taken.category, unit=other
        )

    other.refresh_from_db()
    assert on_create.value.messages == ["单位“花园口镇”已存在。"]
    assert on_rename.value.messages == ["单位“花园口镇”已存在。"]
    assert other.name == "刘集镇"
    assert Unit.objects.filter(session=session).count() == 2
    assert _entries(session) == []


@pytest.mark.parametrize("name", ["", "  \t ", None])
def test_unit_save_empty_name_refused(actor, name):
    session = ReviewSessionFactory()
    category = UnitCategoryFactory(session=session)

    with pytest.raises(ValidationError) as exc_info:
        unit_services.unit_save(session=session, actor=actor, name=name, category=category)

    assert exc_info.value.messages == ["单位名称不能为空。"]
    assert Unit.objects.filter(session=session).count() == 0


def test_unit_save_category_of_another_session_refused(actor):
    session = ReviewSessionFactory()
    foreign = UnitCategoryFactory()

    with pytest.raises(ValidationError) as exc_info:
        unit_services.unit_save(session=session, actor=actor, name="花园口镇", category=foreign)

    assert exc_info.value.messages == ["所选类别不属于本评议会。"]
    assert Unit.objects.count() == 0


def test_unit_delete_deletes_unit_and_its_participation(actor):
    session = ReviewSessionFactory()
    participant = ParticipantFactory(session=session, unit__name="花园口镇")

    unit_services.unit_delete(unit=participant.unit, actor=actor)

    assert Unit.objects.filter(session=session).count() == 0
    assert Participant.objects.filter(session=session).count() == 0
    assert [(e.action, e.message) for e in _entries(session)] == [
        ("unit.delete", "删除单位“花园口镇”")
    ]


def test_unit_delete_refused_while_credentials_name_it_as_holder_unit(actor):
    session = ReviewSessionFactory()
    unit = UnitFactory(session=session, name="花园口镇")
    CredentialFactory(session=session, holder_unit=unit)

    with pytest.raises(ValidationError, match="花园口镇"):
        unit_services.unit_delete(unit=unit, actor=actor)

    assert Unit.objects.filter(pk=unit.pk).exists()


def test_unit_delete_refused_while_a_key_project_names_it_as_owner(actor):
    from tests.factories.projects import KeyProjectFactory

    session = ReviewSessionFactory()
    unit = UnitFactory(session=session, name="花园口镇")
    KeyProjectFactory(session=session, unit=unit)

    with pytest.raises(ValidationError, match="重点项目的责任单位"):
        unit_services.unit_delete(unit=unit, actor=actor)

    assert Unit.objects.filter(pk=unit.pk).exists()


def test_unit_delete_refused_while_a_question_names_it(actor):
    from meeting.models import Question

    session = ReviewSessionFactory()
    unit = UnitFactory(session=session, name="花园口镇")
    Question.objects.create(session=session, unit=unit, text="问题")

    with pytest.raises(ValidationError, match="已有现场问政问题或督办事项"):
        unit_services.unit_delete(unit=unit, actor=actor)

    assert Unit.objects.filter(pk=unit.pk).exists()


def test_participant_add_and_remove_audit(actor):
    session = ReviewSessionFactory()
    unit = UnitFactory(session=session, name="花园口镇")

    participant = unit_services.participant_add(session=session, actor=actor, unit=unit)
    again = unit_services.participant_add(session=session, actor=actor, unit=unit)
    participant_pk, again_pk = participant.pk, again.pk
    unit_services.participant_remove(participant=participant, actor=actor)

    assert again_pk == participant_pk
    assert Participant.objects.filter(session=session).count() == 0
    assert [(e.action, e.message) for e in _entries(session)] == [
        ("participant.add", "“花园口镇”列为固定述职单位"),
        ("participant.remove", "“花园口镇”不再是述职单位"),
    ]


def test_participant_add_unit_of_another_session_refused(actor):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError, match="该单位不属于本评议会"):
        unit_services.participant_add(session=session, actor=actor, unit=UnitFactory())

    assert Participant.objects.count() == 0


# ---------------------------------------------------------------- rater groups


def test_group_save_creates_with_scheme_default_min_sample_and_audits(actor):
    session = ReviewSessionFactory()
    ScoringScheme.objects.filter(session=session).update(default_min_sample=5)
    session = ReviewSession.objects.get(pk=session.pk)
    RaterGroupFactory(session=session, name="县级领导")

    group = unit_services.group_save(
        session=session, actor=actor, name=" 区直部门 ", weight=Decimal("20"), side=DEPT
    )

    group.refresh_from_db()
    assert (group.name, group.weight, group.min_sample, group.side, group.order) == (
        "区直部门",
        Decimal("20.00"),
        5,
        DEPT,
        1,
    )
    assert [(e.action, e.message, e.detail) for e in _entries(session)] == [
        ("group.create", "评议组“区直部门”：权重 20，最少有效票数 5", {"before": None})
    ]


def test_group_save_update_records_before(actor):
    session = ReviewSessionFactory()
    created = RaterGroupFactory(
        session=session, name="县级领导", weight=Decimal("40"), min_sample=3
    )
    group = RaterGroup.objects.get(pk=created.pk)

    unit_services.group_save(
        session=session,
        actor=actor,
        name="县级领导",
        weight=Decimal("50"),
        min_sample=4,
        group=group,
    )

    group.refresh_from_db()
    assert (group.weight, group.min_sample) == (Decimal("50.00"), 4)
    assert [(e.action, e.detail) for e in _entries(session)] == [
        ("group.update", {"before": {"name": "县级领导", "weight": "40.00", "min_sample": 3}})
    ]


def test_group_save_name_clash_refused(actor):
    session = ReviewSessionFactory()
    RaterGroupFactory(session=session, name="县级领导")
    other = RaterGroupFactory(session=session, name="区直部门")

    with pytest.raises(ValidationError) as on_create:
        unit_services.group_save(session=session, actor=actor, name="县级领导", weight=Decimal("1"))
    with pytest.raises(ValidationError) as on_rename:
        unit_services.group_save(
            session=session, actor=actor, name="县级领导", weight=Decimal("1"), group=other
        )

    other.refresh_from_db()
    assert on_create.value.messages == ["评议组“县级领导”已存在。"]
    assert on_rename.value.messages == ["评议组“县级领导”已存在。"]
    assert other.name == "区直部门"
    assert _entries(session) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "weight": Decimal("10")}, "评议组名称不能为空。"),
        ({"name": "   ", "weight": Decimal("10")}, "评议组名称不能为空。"),
        ({"name": "县级领导", "weight": Decimal("-1")}, "权重不能为负数。"),
        ({"name": "县级领导", "weight": None}, "权重不能为负数。"),
        ({"name": "县级领导", "weight": Decimal("10"), "min_sample": 0}, "最少有效票数至少为 1。"),
    ],
)
def test_group_save_bad_input_refused(actor, fields, message):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError) as exc_info:
        unit_services.group_save(session=session, actor=actor, **fields)

    assert exc_info.value.messages == [message]
    assert RaterGroup.objects.filter(session=session).count() == 0


def test_group_delete_refused_while_it_has_credentials(actor):
    session = ReviewSessionFactory()
    group = RaterGroupFactory(session=session, name="县级领导")
    CredentialFactory.create_batch(2, session=session, group=group)

    with pytest.raises(ValidationError) as exc_info:
        unit_services.group_delete(group=group, actor=actor)

    assert exc_info.value.messages == ["评议组“县级领导”已发放 2 个评议码，不能删除。"]
    assert RaterGroup.objects.filter(pk=group.pk).exists()
    assert _entries(session) == []


def test_group_delete_deletes_and_audits(actor):
    session = ReviewSessionFactory()
    group = RaterGroupFactory(session=session, name="县级领导")

    unit_services.group_delete(group=group, actor=actor)

    assert RaterGroup.objects.filter(session=session).count() == 0
    assert [(e.action, e.message) for e in _entries(session)] == [
        ("group.delete", "删除评议组“县级领导”")
    ]


# ---------------------------------------------------------------- draws


@pytest.fixture
def pool(actor):
    """A draft session: six departments (one fixed) and three towns (one fixed)."""
    session = ReviewSessionFactory()
    departments = UnitCategoryFactory(session=session, name="政府部门")
    towns = UnitCategoryFactory(session=session, name="镇(街道)")
    department_names = ["发改委", "财政局", "教育局", "民政局", "司法局", "审计局"]
    for name in department_names:
        UnitFactory(session=session, category=departments, name=name)
    for name in ["花园口镇", "刘集镇", "新城街道"]:
        UnitFactory(session=session, category=towns, name=name)
    fixed_department = Unit.objects.get(session=session, name="审计局")
    fixed_town = Unit.objects.get(session=session, name="花园口镇")
    ParticipantFactory(session=session, unit=fixed_department)
    ParticipantFactory(session=session, unit=fixed_town)
    return {
        "session": session,
        "departments": departments,
        "towns": towns,
        "department_pool": sorted(set(department_names) - {"审计局"}),
        "actor": actor,
    }


def _drawn_names(session) -> list[str]:
    return sorted(
        Participant.objects.filter(session=session, how="drawn").values_list(
            "unit__name", flat=True
        )
    )


def _fixed_names(session) -> list[str]:
    return sorted(
        Participant.objects.filter(session=session, how="fixed").values_list(
            "unit__name", flat=True
        )
    )


def test_draw_participants_records_pool_seed_and_result(pool):
    session, actor = pool["session"], pool["actor"]

    draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=2,
        seed="20260715",
    )

    draw.refresh_from_db()
    expected = random.Random("20260715").sample(pool["department_pool"], 2)
    assert (draw.kind, draw.seed, draw.count, draw.superseded) == (
        "participants",
        "20260715",
        2,
        False,
    )
    assert draw.pool == pool["department_pool"]
    assert draw.pool_categories == ["政府部门"]
    assert draw.result == expected
    assert draw.algorithm == "python3-random-sample-v1"
    assert draw.created_by == actor


def test_draw_participants_pool_excludes_fixed_participants_and_other_categories(pool):
    session = pool["session"]

    draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=pool["actor"],
        categories=[pool["departments"]],
        count=5,
        seed="1",
    )

    assert "审计局" not in draw.pool
    assert not {"刘集镇", "新城街道", "花园口镇"} & set(draw.pool)
    assert sorted(draw.result) == pool["department_pool"]


def test_draw_participants_makes_drawn_participants(pool):
    session = pool["session"]

    draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=pool["actor"],
        categories=[pool["departments"]],
        count=3,
        seed="9",
    )

    drawn = Participant.objects.filter(session=session, how="drawn")
    assert _drawn_names(session) == sorted(draw.result)
    assert {p.draw_id for p in drawn} == {draw.pk}
    assert _fixed_names(session) == ["审计局", "花园口镇"]


def test_draw_participants_over_several_categories(pool):
    session = pool["session"]

    draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=pool["actor"],
        categories=[pool["departments"], pool["towns"]],
        count=7,
        seed="9",
    )

    assert draw.pool == sorted(pool["department_pool"] + ["刘集镇", "新城街道"])
    assert draw.pool_categories == ["政府部门", "镇(街道)"]
    assert sorted(draw.result) == draw.pool


def test_draw_participants_writes_one_audit_entry(pool):
    session, actor = pool["session"], pool["actor"]

    draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=2,
        seed="42",
    )

    entries = _entries(session)
    assert [(e.action, e.actor, e.detail) for e in entries] == [
        (
            "draw.participants",
            actor,
            {
                "draw": draw.pk,
                "drawn_by": "城关镇党委书记 张三",
                "pools": [{"label": "政府部门", "count": 2}],
                "superseded": [],
                "superseded_result": [],
            },
        )
    ]
    assert entries[0].message == (
        f"城关镇党委书记 张三从政府部门中随机抽选 2 个单位，种子 42：{'、'.join(draw.result)}"
    )


def test_draw_participants_without_seed_generates_a_twelve_digit_seed(pool):
    draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=pool["session"],
        actor=pool["actor"],
        categories=[pool["departments"]],
        count=1,
    )

    assert re.fullmatch(r"[0-9]{12}", draw.seed)
    assert draw.result == random.Random(draw.seed).sample(pool["department_pool"], 1)


def test_draw_participants_strips_the_seed(pool):
    draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=pool["session"],
        actor=pool["actor"],
        categories=[pool["departments"]],
        count=1,
        seed="  42 ",
    )

    assert draw.seed == "42"


def test_draw_participants_second_draw_supersedes_the_first(pool):
    session, actor = pool["session"], pool["actor"]
    first = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=2,
        seed="1",
    )

    second = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=3,
        seed="2",
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.superseded, second.superseded) == (True, False)
    # The first draw's units are back in the pool of the second.
    assert second.pool == pool["department_pool"]
    assert _drawn_names(session) == sorted(second.result)
    assert set(
        Participant.objects.filter(session=session, how="drawn").values_list("draw", flat=True)
    ) == {second.pk}
    assert _fixed_names(session) == ["审计局", "花园口镇"]
    last = _entries(session, "draw.participants")[-1]
    assert last.detail["superseded"] == [first.pk]
    assert sorted(last.detail["superseded_result"]) == sorted(first.result)


def test_draw_participants_clears_the_speaking_order(pool):
    session, actor = pool["session"], pool["actor"]
    draw_services.draw_speaking_order(session=session, actor=actor, seed="1")

    draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=2,
        seed="2",
    )

    assert list(
        Participant.objects.filter(session=session).values_list("speaking_order", flat=True)
    ) == [None, None, None, None]


@pytest.mark.parametrize("count", [0, -1, 6])
def test_draw_participants_count_out_of_range_refused_with_nothing_changed(pool, count):
    session, actor = pool["session"], pool["actor"]
    draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=2,
        seed="1",
    )
    before = _state(session)

    with pytest.raises(ValidationError) as exc_info:
        draw_services.draw_participants(
            drawn_by="城关镇党委书记 张三",
            session=session,
            actor=actor,
            categories=[pool["departments"]],
            count=count,
            seed="2",
        )

    assert exc_info.value.messages == ["抽取数量必须在 1 到 5 之间（候选池中有 5 个单位）。"]
    assert _state(session) == before


def _three_pools(session):
    """The towns' draw of the mid-year review: three department categories, four from each."""
    categories = {}
    for name, units in {
        "政府部门": ["发改局", "财政局", "教育局", "民政局", "司法局", "人社局"],
        "统筹协调": ["区委办", "区政府办", "组织部", "宣传部", "统战部"],
        "党群": ["总工会", "团区委", "妇联", "科协", "工商联", "残联"],
    }.items():
        categories[name] = UnitCategoryFactory(session=session, name=name)
        for unit in units:
            UnitFactory(session=session, category=categories[name], name=unit)
    return categories


def test_draw_participants_several_pools_each_with_its_own_quota(actor):
    session = ReviewSessionFactory()
    categories = _three_pools(session)

    draw = draw_services.draw_participants(
        session=session,
        actor=actor,
        drawn_by="  城关镇党委书记   张三 ",
        pools=[([categories[name]], 4) for name in ("党群", "政府部门", "统筹协调")],
        seed="20260715",
    )

    expected = draws.draw_pools(
        {
            name: (list(Unit.objects.filter(category=c).values_list("name", flat=True)), 4)
            for name, c in categories.items()
        },
        "20260715",
    )
    draw.refresh_from_db()
    assert [p["label"] for p in draw.pools] == sorted(categories)
    assert {p["label"]: p["result"] for p in draw.pools} == expected
    assert draw.result == [n for label in sorted(expected) for n in expected[label]]
    assert (draw.count, draw.drawn_by, draw.algorithm) == (
        12,
        "城关镇党委书记 张三",
        "python3-random-sample-pools-v1",
    )
    assert _drawn_names(session) == sorted(draw.result)
    assert draw_services.draw_reproduce(draw) == draw.result
    entry = _entries(session, "draw.participants")[-1]
    assert entry.detail["pools"] == [
        {"label": "党群", "count": 4},
        {"label": "政府部门", "count": 4},
        {"label": "统筹协调", "count": 4},
    ]
    assert entry.message.startswith(
        "城关镇党委书记 张三分 3 个候选池随机抽选 12 个单位，种子 20260715：党群 4："
    )


def test_draw_participants_pool_quota_over_its_size_names_the_pool(actor):
    session = ReviewSessionFactory()
    categories = _three_pools(session)
    before = _state(session)

    with pytest.raises(ValidationError) as exc_info:
        draw_services.draw_participants(
            session=session,
            actor=actor,
            drawn_by="张三",
            pools=[([categories["政府部门"]], 4), ([categories["统筹协调"]], 6)],
            seed="1",
        )

    assert exc_info.value.messages == [
        "“统筹协调”的抽取数量必须在 1 到 5 之间（候选池中有 5 个单位）。"
    ]
    assert _state(session) == before


def test_draw_participants_category_in_two_pools_refused(actor):
    session = ReviewSessionFactory()
    categories = _three_pools(session)

    with pytest.raises(ValidationError) as exc_info:
        draw_services.draw_participants(
            session=session,
            actor=actor,
            drawn_by="张三",
            pools=[([categories["党群"]], 1), ([categories["党群"], categories["政府部门"]], 2)],
            seed="1",
        )

    assert exc_info.value.messages == ["同一类别不能出现在两个候选池中。"]
    assert Draw.objects.count() == 0


@pytest.mark.parametrize("drawn_by", ["", "   ", "长" * 101])
def test_draw_participants_without_a_drawing_party_refused(pool, drawn_by):
    before = _state(pool["session"])

    with pytest.raises(ValidationError) as exc_info:
        draw_services.draw_participants(
            session=pool["session"],
            actor=pool["actor"],
            drawn_by=drawn_by,
            categories=[pool["departments"]],
            count=1,
            seed="1",
        )

    assert exc_info.value.messages == (
        ["抽签人不能超过 100 个字符。"]
        if drawn_by.strip()
        else ["请填写抽签人（如“城关镇党委书记 张三”）：抽选结果须记明由谁抽取。"]
    )
    assert _state(pool["session"]) == before


def test_draw_reproduce_a_draw_recorded_before_pools_existed(pool):
    # A row as the earlier schema left it: no pools, no drawing party.
    old = Draw.objects.create(
        session=pool["session"],
        kind="participants",
        seed="830412775163",
        pool=pool["department_pool"],
        pool_categories=["政府部门"],
        count=3,
        result=random.Random("830412775163").sample(pool["department_pool"], 3),
        algorithm="python3-random-sample-v1",
    )

    assert (old.pools, old.drawn_by) == ([], "")
    assert draw_services.draw_reproduce(old) == old.result


def test_draw_participants_without_categories_refused(pool):
    with pytest.raises(ValidationError) as exc_info:
        draw_services.draw_participants(
            drawn_by="城关镇党委书记 张三",
            session=pool["session"],
            actor=pool["actor"],
            categories=[],
            count=1,
            seed="1",
        )

    assert exc_info.value.messages == ["请选择至少一个候选类别。"]
    assert Draw.objects.count() == 0


def test_draw_participants_category_of_another_session_refused(pool):
    foreign = UnitFactory(name="外单位").category

    with pytest.raises(ValidationError) as exc_info:
        draw_services.draw_participants(
            drawn_by="城关镇党委书记 张三",
            session=pool["session"],
            actor=pool["actor"],
            categories=[foreign],
            count=1,
            seed="1",
        )

    assert exc_info.value.messages == ["所选类别不属于本评议会。"]
    assert Draw.objects.count() == 0


def test_draw_participants_seed_longer_than_40_refused(pool):
    with pytest.raises(ValidationError) as exc_info:
        draw_services.draw_participants(
            drawn_by="城关镇党委书记 张三",
            session=pool["session"],
            actor=pool["actor"],
            categories=[pool["departments"]],
            count=1,
            seed="1" * 41,
        )

    assert exc_info.value.messages == ["随机种子不能超过 40 个字符。"]
    assert Draw.objects.count() == 0


def test_draw_reproduce_equals_stored_result(pool):
    session, actor = pool["session"], pool["actor"]
    participants_draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=3,
        seed="77",
    )
    order_draw = draw_services.draw_speaking_order(session=session, actor=actor, seed="88")

    stored = Draw.objects.get(pk=participants_draw.pk)
    stored_order = Draw.objects.get(pk=order_draw.pk)
    assert draw_services.draw_reproduce(stored) == stored.result
    assert draw_services.draw_reproduce(stored_order) == stored_order.result


def test_draw_reproduce_survives_renaming_units(pool):
    session, actor = pool["session"], pool["actor"]
    draw = draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=3,
        seed="77",
    )
    for unit in Unit.objects.filter(session=session):
        unit.name = f"改名{unit.pk}"
        unit.save()

    assert draw_services.draw_reproduce(Draw.objects.get(pk=draw.pk)) == draw.result


def test_draw_speaking_order_orders_participants_one_to_n(pool):
    session, actor = pool["session"], pool["actor"]
    draw_services.draw_participants(
        drawn_by="城关镇党委书记 张三",
        session=session,
        actor=actor,
        categories=[pool["departments"]],
        count=2,
        seed="5",
    )
    names = sorted(Participant.objects.filter(session=session).values_list("unit__name", flat=True))

    draw = draw_services.draw_speaking_order(session=session, actor=actor, seed="20260715")

    ordered = list(
        Participant.objects.filter(session=session)
        .order_by("speaking_order")
        .values_list("speaking_order", "unit__name")
    )
    expected = random.Random("20260715").sample(names, len(names))
    assert ordered == list(enumerate(expected, start=1))
    assert (draw.kind, draw.seed, draw.count, draw.pool, draw.result) == (
        "speaking_order",
        "20260715",
        4,
        names,
        expected,
    )
    assert [(e.action, e.detail) for e in _entries(session, "draw.speaking_order")] == [
        ("draw.speaking_order", {"draw": draw.pk, "superseded": []})
    ]


def test_draw_speaking_order_again_supersedes_the_previous_order(pool):
    session, actor = pool["session"], pool["actor"]
    first = draw_services.draw_speaking_order(session=session, actor=actor, seed="1")

    second = draw_services.draw_speaking_order(session=session, actor=actor, seed="2")

    first.refresh_from_db()
    assert (first.superseded, second.superseded) == (True, False)
    assert sorted(
        Participant.objects.filter(session=session).values_list("speaking_order", flat=True)
    ) == [1, 2]
    assert _entries(session, "draw.speaking_order")[-1].detail["superseded"] == [first.pk]


def test_draw_speaking_order_without_participants_refused(actor):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError) as exc_info:
        draw_services.draw_speaking_order(session=session, actor=actor, seed="1")

    assert exc_info.value.messages == ["还没有述职单位，无法抽签确定发言顺序。"]
    assert Draw.objects.count() == 0


# ---------------------------------------------------------------- reports and attachments

PDF = b"%PDF-1.7\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
DOCX = b"PK\x03\x04" + b"\0" * 16


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_report_save_saves_text_and_audits(actor):
    participant = ParticipantFactory(unit__name="花园口镇")

    report = report_services.report_save(
        participant=participant, kind="work", text="第一段\r\n第二段", actor=actor
    )

    report.refresh_from_db()
    assert (report.kind, report.text) == ("work", "第一段\n第二段")
    assert [(e.action, e.message) for e in _entries(participant.session)] == [
        ("report.update", "更新“花园口镇”的述职报告（7 字）")
    ]


def test_report_save_same_text_again_writes_no_second_entry(actor):
    participant = ParticipantFactory()
    report_services.report_save(participant=participant, kind="integrity", text="廉洁", actor=actor)

    report_services.report_save(participant=participant, kind="integrity", text="廉洁", actor=actor)

    assert Report.objects.filter(participant=participant).count() == 1
    assert len(_entries(participant.session)) == 1


def test_report_save_unknown_kind_refused(actor):
    participant = ParticipantFactory()

    with pytest.raises(ValidationError) as exc_info:
        report_services.report_save(participant=participant, kind="poetry", text="x", actor=actor)

    assert exc_info.value.messages == ["未知的报告类型。"]
    assert Report.objects.count() == 0


@pytest.mark.parametrize("status", [Status.DRAFT, Status.READY, Status.LIVE, Status.RATING])
def test_report_save_allowed_until_rating_ends(actor, status):
    participant = ParticipantFactory(session__status=status)

    report_services.report_save(participant=participant, kind="work", text="正文", actor=actor)

    assert Report.objects.get(participant=participant).text == "正文"


@pytest.mark.parametrize("status", [Status.CLOSED, Status.PUBLISHED])
def test_report_save_refused_once_rating_closed(actor, status):
    participant = ParticipantFactory(session__status=status)

    with pytest.raises(ValidationError) as exc_info:
        report_services.report_save(participant=participant, kind="work", text="正文", actor=actor)

    assert exc_info.value.messages == ["评议已结束，述职报告不能再修改。"]
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("述职报告.pdf", PDF, "application/pdf"),
        ("现场照片.PNG", PNG, "image/png"),
        (
            "述职报告.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_attachment_add_stores_file_and_audits(actor, media, name, content, content_type):
    participant = ParticipantFactory(unit__name="花园口镇")

    attachment = report_services.attachment_add(
        participant=participant,
        kind="work",
        upload=SimpleUploadedFile(name, content),
        actor=actor,
    )

    attachment.refresh_from_db()
    stored = _stored_files(media)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        name,
        content_type,
        len(content),
    )
    assert (attachment.report.participant, attachment.report.kind) == (participant, "work")
    assert attachment.uploaded_by == actor
    assert len(stored) == 1
    assert stored[0].read_bytes() == content
    # The stored name is random, never the uploaded name.
    assert re.fullmatch(
        rf"reports/{participant.session_id}/[0-9a-f]{{32}}\.{name.rsplit('.', 1)[1].lower()}",
        attachment.file.name,
    )
    assert [(e.action, e.message, e.detail) for e in _entries(participant.session)] == [
        (
            "attachment.add",
            f"为“花园口镇”的述职报告上传附件“{name}”",
            {"size": len(content)},
        )
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "virus.exe",
            "不支持的附件类型“exe”；可上传：doc, docx, jpeg, jpg, pdf, png, pptx, xlsx。",
        ),
        ("报告", "不支持的附件类型“?”；可上传：doc, docx, jpeg, jpg, pdf, png, pptx, xlsx。"),
        (
            "报告.pdf.html",
            "不支持的附件类型“html”；可上传：doc, docx, jpeg, jpg, pdf, png, pptx, xlsx。",
        ),
    ],
)
def test_attachment_add_wrong_extension_refused(actor, media, name, message):
    participant = ParticipantFactory()

    with pytest.raises(ValidationError) as exc_info:
        report_services.attachment_add(
            participant=participant, kind="work", upload=SimpleUploadedFile(name, PDF), actor=actor
        )

    assert exc_info.value.messages == [message]
    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []
    assert _entries(participant.session) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [("报告.pdf", PNG), ("照片.png", PDF), ("报告.docx", PDF), ("照片.jpg", b""), ("a.doc", DOCX)],
)
def test_attachment_add_content_not_matching_extension_refused(actor, media, name, content):
    participant = ParticipantFactory()

    with pytest.raises(ValidationError) as exc_info:
        report_services.attachment_add(
            participant=participant,
            kind="work",
            upload=SimpleUploadedFile(name, content),
            actor=actor,
        )

    ext = name.rsplit(".", 1)[1]
    assert exc_info.value.messages == [
        f"附件“{name}”的内容与扩展名 .{ext} 不符，可能已损坏或被改名。"
    ]
    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []


def test_attachment_add_larger_than_20_mb_refused(actor, media):
    participant = ParticipantFactory()
    content = PDF + b"0" * (20 * 1024 * 1024 + 1 - len(PDF))

    with pytest.raises(ValidationError) as exc_info:
        report_services.attachment_add(
            participant=participant,
            kind="work",
            upload=SimpleUploadedFile("大文件.pdf", content),
            actor=actor,
        )

    assert exc_info.value.messages == ["附件“大文件.pdf”大小为 20.0 MB，超过上限 20 MB。"]
    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []


def test_attachment_add_exactly_20_mb_accepted(actor, media):
    participant = ParticipantFactory()
    content = PDF + b"0" * (20 * 1024 * 1024 - len(PDF))

    attachment = report_services.attachment_add(
        participant=participant,
        kind="work",
        upload=SimpleUploadedFile("刚好.pdf", content),
        actor=actor,
    )

    assert attachment.size == 20 * 1024 * 1024


def test_attachment_add_unknown_kind_refused(actor, media):
    participant = ParticipantFactory()

    with pytest.raises(ValidationError) as exc_info:
        report_services.attachment_add(
            participant=participant,
            kind="poetry",
            upload=SimpleUploadedFile("报告.pdf", PDF),
            actor=actor,
        )

    assert exc_info.value.messages == ["未知的报告类型。"]
    assert Report.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []


@pytest.mark.parametrize("status", [Status.CLOSED, Status.PUBLISHED])
def test_attachment_add_refused_once_rating_closed(actor, media, status):
    participant = ParticipantFactory(session__status=status)

    with pytest.raises(ValidationError) as exc_info:
        report_services.attachment_add(
            participant=participant,
            kind="work",
            upload=SimpleUploadedFile("报告.pdf", PDF),
            actor=actor,
        )

    assert exc_info.value.messages == ["评议已结束，述职报告不能再修改。"]
    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []


def test_attachment_delete_removes_row_file_and_audits(
    actor, media, django_capture_on_commit_callbacks
):
    participant = ParticipantFactory(unit__name="花园口镇")
    attachment = report_services.attachment_add(
        participant=participant,
        kind="work",
        upload=SimpleUploadedFile("报告.pdf", PDF),
        actor=actor,
    )

    with django_capture_on_commit_callbacks(execute=True):
        report_services.attachment_delete(attachment=attachment, actor=actor)

    assert Attachment.objects.count() == 0
    assert _stored_files(media) == []
    assert [(e.action, e.message) for e in _entries(participant.session)][-1] == (
        "attachment.delete",
        "删除“花园口镇”的附件“报告.pdf”",
    )


def test_attachment_delete_refused_once_rating_closed(actor, media):
    participant = ParticipantFactory()
    attachment = report_services.attachment_add(
        participant=participant,
        kind="work",
        upload=SimpleUploadedFile("报告.pdf", PDF),
        actor=actor,
    )
    ReviewSession.objects.filter(pk=participant.session_id).update(status=Status.CLOSED)
    attachment = Attachment.objects.get(pk=attachment.pk)

    with pytest.raises(ValidationError, match="评议已结束"):
        report_services.attachment_delete(attachment=attachment, actor=actor)

    assert Attachment.objects.count() == 1
    assert len(_stored_files(media)) == 1


# ---------------------------------------------------------------- audit


def test_audit_without_actor_is_labelled_system():
    session = ReviewSessionFactory()

    entry = audit(
        session=session,
        actor=None,
        action="test",
        message="x" * 600,
        when=datetime.date(2026, 7, 15),
        weight=Decimal("1.50"),
        names=("甲", "乙"),
    )

    entry.refresh_from_db()
    assert (entry.actor, entry.actor_label, len(entry.message)) == (None, "system", 500)
    assert entry.detail == {"when": "2026-07-15", "weight": "1.50", "names": ["甲", "乙"]}


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["add", "remove", "delete_unit"])
def test_participant_list_change_voids_the_speaking_order_and_its_draw(change):
    session = ReviewSessionFactory()
    first, second = ParticipantFactory(session=session), ParticipantFactory(session=session)
    draw = draw_services.draw_speaking_order(session=session, actor=None, seed="1")
    spare = UnitFactory(session=session, category=first.unit.category)

    if change == "add":
        unit_services.participant_add(session=session, actor=None, unit=spare)
    elif change == "remove":
        unit_services.participant_remove(participant=second, actor=None)
    else:
        unit_services.unit_delete(unit=second.unit, actor=None)

    draw.refresh_from_db()
    assert draw.superseded is True
    assert list(session.participants.values_list("speaking_order", flat=True)) == [None] * (
        3 if change == "add" else 1
    )
    assert services.speaking_order_complete(session) is False


def test_session_create_lets_only_the_representatives_ask(db):
    session = services.session_create(
        kind=ReviewSession.Kind.ANNUAL, year=2026, title="年度", actor=None
    )

    asks = dict(session.rater_groups.values_list("name", "can_ask"))

    assert asks == {"县级领导": False, "区直部门": False, "镇(街道)": False, "两代表一委员": True}


def test_group_save_defaults_can_ask_by_name_and_keeps_what_the_organiser_set(db):
    session = ReviewSessionFactory()

    public = unit_services.group_save(
        session=session, actor=None, name="社会公众代表", weight=Decimal(10)
    )
    leaders = unit_services.group_save(
        session=session, actor=None, name="县级领导", weight=Decimal(40)
    )
    unit_services.group_save(
        session=session,
        actor=None,
        name="社会公众代表",
        weight=Decimal(10),
        can_ask=False,
        group=public,
    )

    public.refresh_from_db()
    assert (public.can_ask, leaders.can_ask) == (False, False)
    assert unit_services.group_save(
        session=session, actor=None, name="人大代表", weight=Decimal(5)
    ).can_ask


# ---------------------------------------------------------------- anonymous minimum sample


def test_group_save_refuses_a_minimum_sample_below_3_in_an_anonymous_session(actor):
    session = ReviewSessionFactory()

    with pytest.raises(ValidationError) as refused:
        unit_services.group_save(
            session=session, actor=actor, name="县级领导", weight=Decimal("40"), min_sample=2
        )

    assert refused.value.messages == [
        "匿名评议的最少有效票数不能少于 3：票数更少时，单位得分会暴露个别评议人的评价。"
    ]
    assert session.rater_groups.count() == 0


def test_group_save_allows_a_minimum_sample_of_1_in_a_named_session(actor):
    session = ReviewSessionFactory()
    ScoringScheme.objects.filter(session=session).update(anonymous=False)
    session.refresh_from_db()

    group = unit_services.group_save(
        session=session, actor=actor, name="县级领导", weight=Decimal("40"), min_sample=1
    )

    assert group.min_sample == 1


def test_readiness_problems_name_anonymous_groups_below_3():
    session = _ready_to_freeze()
    RaterGroup.objects.filter(session=session).update(min_sample=2)  # stored before the rule

    problems = services.readiness_problems(session)

    assert problems == [
        "评议组“县级领导”：匿名评议的最少有效票数不能少于 3：票数更少时，单位得分会暴露个别评议人的评价。"
    ]
