import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from org.models import OrgUnit
from org.services import default_district
from sessions.imports import (
    ImportSummary,
    category_side,
    session_create_from_workbook,
    session_import_into,
)
from sessions.models import (
    AuditLog,
    Credential,
    Participant,
    RaterGroup,
    ReviewSession,
    Unit,
    UnitCategory,
)
from sessions.workbook import (
    GroupRow,
    RaterRow,
    SessionMeta,
    SessionWorkbook,
    UnitRow,
    WorkbookError,
    parse_session_workbook,
)
from tests.factories import (
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)
from tests.factories.workbooks import RATERS, workbook_file

TOWN, DEPT, OTHER = UnitCategory.Side.TOWN, UnitCategory.Side.DEPARTMENT, UnitCategory.Side.OTHER


def parsed(**sheets) -> SessionWorkbook:
    return parse_session_workbook(workbook_file(**sheets))


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            ReviewSession,
            UnitCategory,
            Unit,
            Participant,
            RaterGroup,
            Credential,
            AuditLog,
        )
    }


def credential_rows(session) -> list[tuple]:
    return [
        (c.group.name, c.holder_unit.name if c.holder_unit else None, c.holder_name)
        for c in session.credentials.select_related("group", "holder_unit").order_by("id")
    ]


@pytest.mark.django_db
def test_category_side_comes_from_the_districts_data_never_the_words_of_the_name():
    district = default_district()
    # Known from the district's templates (made from the built-in presets).
    assert category_side(district, "镇(街道)") == TOWN
    assert category_side(district, "政府部门") == DEPT
    assert category_side(district, "开发区") == OTHER
    # Unknown: 其他, whatever the name says.
    assert category_side(district, "街道办事处") == OTHER
    assert category_side(district, "区直单位（局）") == OTHER
    # Known from the kind of the units usually ranked in it.
    for name in ("甲街道", "乙街道"):
        OrgUnit.objects.create(
            district=district, code=name, name=name, kind=TOWN, category="街道办事处"
        )
    assert category_side(district, "街道办事处") == TOWN


# ---------------------------------------------------------------- a new session


@pytest.mark.django_db
def test_session_create_from_workbook_creates_the_session_with_the_default_scheme(organiser):
    session = session_create_from_workbook(workbook=parsed(), actor=organiser)

    session.refresh_from_db()
    assert (
        session.slug,
        session.title,
        session.kind,
        session.year,
        session.date,
        session.venue,
        session.status,
        session.created_by,
    ) == (
        "2026-midyear",
        "2026年年中述职讲评暨现场问政会",
        "midyear",
        2026,
        datetime.date(2026, 7, 15),
        "区行政中心第一会议室",
        "draft",
        organiser,
    )
    assert session.scheme.weight_review == Decimal("100.00")
    assert session.scheme.default_min_sample == 3


@pytest.mark.django_db
def test_session_create_from_workbook_creates_categories_units_and_participants(organiser):
    session = session_create_from_workbook(workbook=parsed(), actor=organiser)

    assert list(session.categories.values_list("name", "side", "order")) == [
        ("镇(街道)", TOWN, 0),
        ("政府部门", DEPT, 1),
        ("党群服务部门", DEPT, 2),
        ("开发区", OTHER, 3),
    ]
    assert sorted(session.units.values_list("name", "category__name")) == sorted(
        [
            ("城关镇", "镇(街道)"),
            ("滨河街道", "镇(街道)"),
            ("区财政局", "政府部门"),
            ("区委办公室", "党群服务部门"),
            ("经济开发区", "开发区"),
        ]
    )
    assert sorted(session.participants.values_list("unit__name", "how", "speaking_order")) == [
        ("区委办公室", "fixed", None),
        ("区财政局", "fixed", None),
        ("城关镇", "fixed", None),
        ("滨河街道", "fixed", None),
        ("经济开发区", "fixed", None),
    ]


@pytest.mark.django_db
def test_session_create_from_workbook_creates_groups_and_credentials(organiser):
    session = session_create_from_workbook(workbook=parsed(), actor=organiser)

    assert list(session.rater_groups.values_list("name", "weight", "min_sample", "order")) == [
        ("县级领导", Decimal("40.00"), 5, 0),
        ("区直部门", Decimal("20.00"), 3, 1),
        ("镇(街道)", Decimal("20.00"), 3, 2),
        ("两代表一委员", Decimal("20.00"), 3, 3),
    ]
    assert credential_rows(session) == [
        ("县级领导", None, "李明"),
        ("县级领导", None, "王芳"),
        *[("区直部门", "区财政局", "")] * 3,
        *[("镇(街道)", "城关镇", "")] * 2,
        *[("两代表一委员", None, "")] * 10,
    ]


@pytest.mark.django_db
def test_session_create_from_workbook_writes_one_import_audit_entry(organiser):
    session = session_create_from_workbook(workbook=parsed(), actor=organiser)

    entries = list(session.audit_entries.order_by("id").values_list("action", flat=True))
    imported = session.audit_entries.get(action="session.import")
    assert entries == ["session.create", *["credential.generate"] * 4, "session.import"]
    assert imported.message == (
        "从 Excel 导入：新增单位类别 4 个、单位 5 个（已有 0 个）、述职单位 5 个、"
        "评议组 4 个（更新权重 0 个）、评议码 17 个"
    )
    assert imported.actor_label == "organiser"
    assert imported.detail["credentials"] == 17


@pytest.mark.django_db
def test_session_create_from_workbook_without_raters_creates_no_credentials(organiser):
    session = session_create_from_workbook(workbook=parsed(raters=None), actor=organiser)

    assert session.credentials.count() == 0
    assert session.units.count() == 5


@pytest.mark.django_db
def test_session_create_from_workbook_merges_rows_of_the_same_group_and_unit(organiser):
    raters = [*RATERS, ["区直部门", "区财政局", 4, None]]

    session = session_create_from_workbook(workbook=parsed(raters=raters), actor=organiser)

    assert session.credentials.filter(group__name="区直部门").count() == 7
    assert session.audit_entries.filter(action="credential.generate").count() == 4


@pytest.mark.django_db
def test_session_create_from_workbook_needs_the_meta_sheet(organiser):
    workbook = parse_session_workbook(workbook_file(), require_meta=False)

    with pytest.raises(ValidationError) as caught:
        session_create_from_workbook(workbook=workbook, actor=organiser)

    assert caught.value.messages == ["工作簿缺少“会议”工作表，无法新建评议会。"]
    assert ReviewSession.objects.count() == 0


@pytest.mark.django_db
def test_session_create_from_workbook_is_all_or_nothing(organiser):
    # The last rater row passes the dataclass but credentials_generate refuses it, after the
    # session, units and groups have been written: all of it must be rolled back.
    workbook = SessionWorkbook(
        meta=SessionMeta(title="会", year=2026, date=None, venue="", kind="custom"),
        units=[UnitRow("城关镇", "镇(街道)", 2)],
        groups=[GroupRow("县级领导", Decimal("40"), None, 2)],
        raters=[RaterRow("县级领导", None, 5, (), 2), RaterRow("县级领导", "城关镇", 1, (" ",), 3)],
    )
    before = row_counts()

    with pytest.raises(ValidationError) as caught:
        session_create_from_workbook(workbook=workbook, actor=organiser)

    assert caught.value.messages == ["每次生成的数量须在 1 到 2000 之间。"]
    assert row_counts() == before


@pytest.mark.django_db
def test_session_create_from_a_workbook_with_one_bad_row_creates_nothing(organiser):
    before = row_counts()
    raters = [*RATERS, ["县级领导", None, 0, None]]

    with pytest.raises(WorkbookError):
        session_create_from_workbook(workbook=parsed(raters=raters), actor=organiser)

    assert row_counts() == before


# ---------------------------------------------------------------- into an existing session


@pytest.fixture
def draft():
    session = ReviewSessionFactory(slug="2026-draft")
    towns = UnitCategoryFactory(session=session, name="镇(街道)", side=TOWN, order=0)
    UnitFactory(session=session, category=towns, name="城关镇")
    ParticipantFactory(session=session, unit=UnitFactory(session=session, category=towns))
    RaterGroupFactory(session=session, name="县级领导", weight=Decimal("30"), min_sample=4)
    return session


@pytest.mark.django_db
def test_session_import_into_adds_what_is_new_and_keeps_what_exists(draft, organiser):
    summary = session_import_into(session=draft, workbook=parsed(), actor=organiser)

    assert summary == ImportSummary(
        categories_created=3,
        units_created=4,
        units_existing=1,
        participants_added=5,
        groups_created=3,
        groups_updated=1,
        credentials_created=17,
    )
    assert list(draft.categories.values_list("name", "order")) == [
        ("镇(街道)", 0),
        ("政府部门", 1),
        ("党群服务部门", 2),
        ("开发区", 3),
    ]
    assert draft.units.count() == 6
    assert draft.participants.filter(unit__name="城关镇", how="fixed").count() == 1
    assert draft.participants.count() == 6


@pytest.mark.django_db
def test_session_import_into_gives_an_existing_group_the_new_weight(draft, organiser):
    session_import_into(session=draft, workbook=parsed(), actor=organiser)

    assert list(draft.rater_groups.values_list("name", "weight", "min_sample")) == [
        ("县级领导", Decimal("40.00"), 5),
        ("区直部门", Decimal("20.00"), 3),
        ("镇(街道)", Decimal("20.00"), 3),
        ("两代表一委员", Decimal("20.00"), 3),
    ]
    imported = draft.audit_entries.get(action="session.import")
    assert imported.detail["groups_updated"] == {
        "县级领导": {"weight": ["30.00", "40.00"], "min_sample": [4, 5]}
    }


@pytest.mark.django_db
def test_session_import_into_ignores_the_meta_sheet(draft, organiser):
    workbook = parse_session_workbook(workbook_file(), require_meta=False)
    title = draft.title

    session_import_into(session=draft, workbook=workbook, actor=organiser)

    draft.refresh_from_db()
    assert (draft.title, draft.kind, draft.year, draft.date) == (title, "custom", 2026, None)
    assert ReviewSession.objects.count() == 1


@pytest.mark.django_db
def test_session_import_into_refuses_a_unit_whose_category_differs(draft, organiser):
    UnitFactory(session=draft, name="区财政局", category__name="财政口")
    before = row_counts()

    with pytest.raises(WorkbookError) as caught:
        session_import_into(session=draft, workbook=parsed(), actor=organiser)

    assert caught.value.messages == [
        "工作表“单位”第 4 行“类别”列：单位“区财政局”已在本评议会中，类别为“财政口”，"
        "与此处的“政府部门”不一致。请改为一致，或先在单位页修改该单位的类别。"
    ]
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["ready", "live", "rating", "closed", "published"])
def test_session_import_into_refuses_a_session_that_is_not_draft(draft, organiser, status):
    ReviewSession.objects.filter(pk=draft.pk).update(status=status)
    draft.refresh_from_db()
    before = row_counts()

    with pytest.raises(ValidationError) as caught:
        session_import_into(session=draft, workbook=parsed(), actor=organiser)

    assert caught.value.messages == [
        f"评议会状态为“{draft.get_status_display()}”，单位、评议组、权重和计分办法已冻结。"
        "如需修改，请先退回草稿（仅在尚无评议票时可行）。"
    ]
    assert row_counts() == before


@pytest.mark.django_db
def test_session_import_into_is_all_or_nothing(draft, organiser):
    CredentialFactory(session=draft, group=draft.rater_groups.get())
    workbook = SessionWorkbook(
        meta=None,
        units=[UnitRow("新单位", "新类别", 2)],
        groups=[GroupRow("县级领导", Decimal("50"), None, 2)],
        raters=[RaterRow("县级领导", None, 2, (), 2), RaterRow("县级领导", None, 1, ("",), 3)],
    )
    before = row_counts()

    with pytest.raises(ValidationError):
        session_import_into(session=draft, workbook=workbook, actor=organiser)

    assert row_counts() == before
    assert draft.rater_groups.get().weight == Decimal("30.00")


@pytest.mark.django_db
def test_session_import_into_refuses_an_anonymous_minimum_sample_below_3(draft, organiser):
    workbook = SessionWorkbook(
        meta=None,
        groups=[GroupRow(name="区直部门", weight=Decimal("20"), min_sample=2, row=3)],
    )
    groups_before = list(draft.rater_groups.values_list("name", "min_sample"))

    with pytest.raises(WorkbookError) as refused:
        session_import_into(session=draft, workbook=workbook, actor=organiser)

    assert [str(problem) for problem in refused.value.problems] == [
        "工作表“评议组”第 3 行“最少有效票数”列：匿名评议的最少有效票数不能少于 3。"
    ]
    assert list(draft.rater_groups.values_list("name", "min_sample")) == groups_before


# ---------------------------------------------------------------- speaking order from the workbook

ORDERED_UNITS = [
    ["名称", "类别", "发言顺序"],
    ["城关镇", "镇(街道)", 3],
    ["滨河街道", "镇(街道)", 1],
    ["区财政局", "政府部门", 2],
]


@pytest.mark.django_db
def test_session_create_from_workbook_sets_and_audits_the_speaking_order(organiser):
    session = session_create_from_workbook(
        workbook=parsed(units=ORDERED_UNITS, raters=None), actor=organiser
    )

    assert list(session.participants.values_list("unit__name", "speaking_order")) == [
        ("滨河街道", 1),
        ("区财政局", 2),
        ("城关镇", 3),
    ]
    entry = session.audit_entries.get(action="session.import")
    assert entry.message.endswith("；发言顺序按工作簿：滨河街道、区财政局、城关镇")
    assert entry.detail["speaking_order"] == {"城关镇": 3, "滨河街道": 1, "区财政局": 2}
    assert entry.detail["speaking_order_source"] == "workbook"


@pytest.mark.django_db
def test_session_import_into_refuses_a_speaking_order_that_leaves_participants_out(
    draft, organiser
):
    before = row_counts()

    with pytest.raises(WorkbookError) as caught:
        session_import_into(
            session=draft, workbook=parsed(units=ORDERED_UNITS, raters=None), actor=organiser
        )

    left_out = draft.participants.exclude(unit__name="城关镇").get().unit.name
    assert caught.value.messages == [
        f"工作表“单位”“发言顺序”列：给出了发言顺序，但本评议会还有述职单位不在此表中：{left_out}。"
        "发言顺序须一次排定全部述职单位：请把它们加入此表，或删去“发言顺序”列后抽签。"
    ]
    assert row_counts() == before


@pytest.mark.django_db
def test_session_import_into_replaces_a_drawn_order_with_the_workbook_one(organiser):
    session = ReviewSessionFactory(slug="2026-order")
    towns = UnitCategoryFactory(session=session, name="镇（街道）", side=TOWN)  # full-width
    unit = UnitFactory(session=session, category=towns, name="城关镇")
    ParticipantFactory(session=session, unit=unit, speaking_order=1)

    session_import_into(
        session=session, workbook=parsed(units=ORDERED_UNITS, raters=None), actor=organiser
    )

    assert session.categories.count() == 2  # 镇(街道) is the stored 镇（街道）
    assert dict(session.participants.values_list("unit__name", "speaking_order")) == {
        "城关镇": 3,
        "滨河街道": 1,
        "区财政局": 2,
    }


# ---------------------------------------------------------------- raters imported twice


@pytest.mark.django_db
def test_session_import_into_refuses_to_issue_codes_again_without_being_asked(draft, organiser):
    session_import_into(session=draft, workbook=parsed(), actor=organiser)
    before = row_counts()

    with pytest.raises(WorkbookError) as caught:
        session_import_into(session=draft, workbook=parsed(), actor=organiser)

    assert caught.value.messages == [
        f"工作表“评议人”第 {row} 行“评议组”列：评议组“{group}”已有 {n} 个评议码，"
        f"再导入会另外生成 {n} 个。若确要追加，请勾选“追加评议码”后重新导入。"
        for row, group, n in [
            (2, "县级领导", 2),
            (4, "区直部门", 3),
            (5, "镇(街道)", 2),
            (6, "两代表一委员", 10),
        ]
    ]
    assert row_counts() == before


@pytest.mark.django_db
def test_session_import_into_adds_codes_when_asked(draft, organiser):
    session_import_into(session=draft, workbook=parsed(), actor=organiser)

    summary = session_import_into(session=draft, workbook=parsed(), actor=organiser, add_codes=True)

    assert summary.credentials_created == 17
    assert draft.credentials.count() == 34
    assert (
        draft.audit_entries.filter(action="session.import")
        .order_by("pk")
        .last()
        .detail["add_codes"]
        is True
    )


@pytest.mark.django_db
def test_session_import_into_without_raters_needs_no_permission_to_add(draft, organiser):
    session_import_into(session=draft, workbook=parsed(), actor=organiser)

    summary = session_import_into(session=draft, workbook=parsed(raters=None), actor=organiser)

    assert summary.credentials_created == 0
    assert draft.credentials.count() == 17
