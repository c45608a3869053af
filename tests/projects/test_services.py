"""projects/services.py: import, recolour, manual colours, updates and the rule, each recorded
(ColourChange) and audited."""

import datetime
import io
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from projects import services
from projects.models import ColourChange, KeyProject, Milestone, ProjectRule, ProjectUpdate
from projects.workbook import parse_projects_workbook
from sessions.models import AuditLog
from sessions.workbook import WorkbookError
from tests.factories import ReviewSessionFactory, UnitFactory, UserFactory
from tests.factories.projects import (
    KeyProjectFactory,
    MilestoneFactory,
    milestone_row,
    project_row,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db
D = Decimal
AS_OF = datetime.date(2026, 7, 16)


@pytest.fixture
def session():
    session = ReviewSessionFactory(slug="2026-mid")
    UnitFactory(session=session, name="区发改委")
    UnitFactory(session=session, name="古荥镇")
    return session


@pytest.fixture
def actor():
    return UserFactory(username="zhang")


def rows_of(data: bytes, session):
    names = session.units.values_list("name", flat=True)
    return parse_projects_workbook(io.BytesIO(data), unit_names=names)


def do_import(session, actor, projects=None, milestones=None, as_of=AS_OF):
    rows = rows_of(workbook_bytes(projects, milestones), session)
    return services.projects_import(session=session, actor=actor, rows=rows, as_of=as_of)


def history(project):
    return [
        (c.from_colour, c.to_colour, c.by_rule, c.reason)
        for c in ColourChange.objects.filter(project=project).order_by("id")
    ]


def test_services_import_stores_projects_and_records_first_colour(session, actor):
    summary = do_import(
        session,
        actor,
        [project_row(code="A-1", actual=45), project_row(code="A-2", unit="古荥镇", actual=5)],
        [
            milestone_row(code="A-1", planned=40),
            milestone_row(code="A-2", planned=40),
            milestone_row(code="A-2", name="过半", planned_date=datetime.date(2026, 6, 30),
                          planned=60, done=None),
        ],
    )  # fmt: skip

    assert (summary.created, summary.updated, summary.milestones) == (2, 0, 3)
    assert summary.counts == {"green": 1, "blue": 0, "yellow": 0, "red": 1}
    a1, a2 = KeyProject.objects.filter(session=session).order_by("code")
    assert (a1.unit.name, a1.actual_progress, a1.colour, a1.colour_set_by) == (
        "区发改委", D("45.00"), "green", "rule",
    )  # fmt: skip
    assert history(a2) == [
        (
            "",
            "red",
            True,
            "按规则：截至 2026-07-16 计划 60%，实际 5%，落后 55 个百分点，超过红色阈值 30。",
        )
    ]
    assert list(a2.milestones.values_list("order", "name")) == [(1, "开工"), (2, "过半")]
    assert ProjectRule.objects.get(session=session).as_of == AS_OF
    log = AuditLog.objects.get(session=session, action="projects.import")
    assert log.message == (
        "导入重点项目：新增 2 个，更新 0 个，时间节点 3 个；颜色按 2026-07-16 计算：绿 1 / 蓝 0 / 黄 0 / 红 1"
    )
    assert log.actor == actor


def test_services_import_manual_colour_from_workbook(session, actor):
    do_import(session, actor, [project_row(colour="黄")])
    project = KeyProject.objects.get()
    assert (project.colour, project.colour_set_by) == ("yellow", "manual")
    assert history(project) == [("", "yellow", False, "导入工作簿：颜色列为“黄”。")]


def test_services_reimport_updates_and_keeps_history(session, actor):
    do_import(session, actor, [project_row(actual=45)])
    project = KeyProject.objects.get()
    ProjectUpdate.objects.create(project=project, text="开工")

    summary = do_import(
        session,
        actor,
        [project_row(name="新名称", unit="古荥镇", actual=10, stalled="是")],
        [milestone_row(name="只剩一个", planned=20)],
    )

    project.refresh_from_db()
    assert (summary.created, summary.updated) == (0, 1)
    assert (project.name, project.unit.name, project.actual_progress, project.stalled) == (
        "新名称", "古荥镇", D("10.00"), True,
    )  # fmt: skip
    assert list(project.milestones.values_list("name", flat=True)) == ["只剩一个"]
    assert project.updates.count() == 1
    assert [(f, t) for f, t, _b, _r in history(project)] == [("", "green"), ("green", "red")]


def test_services_reimport_without_milestones_keeps_the_stored_ones(session, actor):
    """A .csv holds only 项目: its rows come with milestones None, and the plan stays."""
    do_import(session, actor, [project_row(actual=10)])
    project = KeyProject.objects.get()
    (row,) = rows_of(workbook_bytes([project_row(actual=5)]), session)

    summary = services.projects_import(
        session=session, actor=actor, rows=[replace(row, milestones=None)], as_of=AS_OF
    )

    project.refresh_from_db()
    assert (summary.updated, summary.milestones, project.actual_progress) == (1, 0, D("5.00"))
    assert list(project.milestones.values_list("name", "planned_progress")) == [
        ("开工", D("20.00")),
        ("主体完工", D("70.00")),
    ]
    # Coloured against the kept plan: 20 % was due on 31 March and 5 % is 15 points behind
    # (yellow); without it nothing would be due and the project would stay green.
    assert [(f, t) for f, t, _b, _r in history(project)] == [("", "green"), ("green", "yellow")]


def test_services_reimport_blank_colour_keeps_manual_colour(session, actor):
    do_import(session, actor, [project_row(colour="蓝")])
    do_import(session, actor, [project_row(actual=0, stalled="是")])
    project = KeyProject.objects.get()
    assert (project.colour, project.colour_set_by) == ("blue", "manual")
    assert len(history(project)) == 1


def test_services_import_unit_gone_since_parse_stores_nothing(session, actor):
    rows = rows_of(workbook_bytes([project_row(unit="古荥镇")]), session)
    session.units.get(name="古荥镇").delete()

    with pytest.raises(WorkbookError) as caught:
        services.projects_import(session=session, actor=actor, rows=rows, as_of=AS_OF)

    assert caught.value.messages == [
        "工作表“项目”第 2 行“责任单位”列：单位“古荥镇”不在本评议会中。"
    ]
    assert KeyProject.objects.count() == 0
    assert AuditLog.objects.filter(action="projects.import").count() == 0


def test_services_recolour_records_changes_and_keeps_manual(session, actor):
    do_import(
        session,
        actor,
        [project_row(code="A-1", actual=20), project_row(code="A-2", actual=20, colour="绿")],
        [milestone_row(code=c, planned_date=datetime.date(2026, 8, 31), planned=50, done=None)
         for c in ("A-1", "A-2")],
    )  # fmt: skip
    a1, a2 = KeyProject.objects.order_by("code")
    assert (a1.colour, a2.colour) == ("green", "green")

    plan = services.projects_recolour(session=session, actor=actor, as_of=datetime.date(2026, 9, 1))

    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (plan.changed, plan.manual, plan.counts) == (
        1, 1, {"green": 1, "blue": 0, "yellow": 0, "red": 0} | {"yellow": 1},
    )  # fmt: skip
    assert (a1.colour, a2.colour) == ("yellow", "green")
    assert history(a1)[-1] == (
        "green",
        "yellow",
        True,
        "按规则：截至 2026-09-01 计划 50%，实际 20%，落后 30 个百分点，超过黄色阈值 10。",
    )
    assert len(history(a2)) == 1
    assert ProjectRule.objects.get(session=session).as_of == datetime.date(2026, 9, 1)
    log = AuditLog.objects.get(action="projects.recolour")
    assert log.message == (
        "按规则重新计算重点项目颜色（截至 2026-09-01）：1 个项目变色；绿 1 / 蓝 0 / 黄 1 / 红 0"
    )
    assert log.detail["changed"] == ["A-1"]

    again = services.projects_recolour(
        session=session, actor=actor, as_of=datetime.date(2026, 9, 1)
    )
    assert again.changed == 0
    assert ColourChange.objects.count() == 3


def test_services_recolour_plan_writes_nothing(session, actor):
    project = KeyProjectFactory(session=session, actual_progress=D("0"), colour="green")
    MilestoneFactory(project=project, planned_progress=D("80"))

    plan = services.recolour_plan(session, AS_OF)

    assert [(p.code, v.colour) for p, v in plan.changes] == [(project.code, "red")]
    project.refresh_from_db()
    assert project.colour == "green"
    assert ColourChange.objects.count() == 0


def test_services_colour_set_and_clear(session, actor):
    project = KeyProjectFactory(session=session, actual_progress=D("10"), colour="green")
    MilestoneFactory(project=project, planned_progress=D("30"), done_on=datetime.date(2026, 6, 1))
    ProjectRule.objects.create(session=session, as_of=AS_OF)

    services.project_colour_set(project=project, colour="red", reason="领导批示", actor=actor)
    project.refresh_from_db()
    assert (project.colour, project.colour_set_by) == ("red", "manual")
    services.projects_recolour(session=session, actor=actor, as_of=AS_OF)
    project.refresh_from_db()
    assert project.colour == "red"  # a recolour leaves a manual colour alone

    services.project_colour_clear(project=project, reason="已整改", actor=actor)
    project.refresh_from_db()
    assert (project.colour, project.colour_set_by) == ("yellow", "rule")
    assert history(project) == [
        ("green", "red", False, "手动设为“红”：领导批示"),
        (
            "red",
            "yellow",
            True,
            "取消手动颜色（已整改）。按规则：截至 2026-07-16 计划 30%，实际 10%，落后 20 个百分点，超过黄色阈值 10。",
        ),
    ]
    assert list(
        AuditLog.objects.filter(action__startswith="projects.colour")
        .order_by("id")
        .values_list("action", "message")
    ) == [
        ("projects.colour_set", f"重点项目 {project.code} 手动设为“红”：领导批示"),
        ("projects.colour_clear", f"重点项目 {project.code} 取消手动颜色，按规则为“黄”：已整改"),
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"colour": "red", "reason": "  "}, "请填写原因。"),
        ({"colour": "purple", "reason": "x"}, "请选择绿、蓝、黄或红。"),
        ({"colour": "red", "reason": "长" * 501}, "原因不能超过 500 个字符。"),
    ],
)
def test_services_colour_set_refuses_bad_input(session, actor, call, message):
    project = KeyProjectFactory(session=session)
    with pytest.raises(ValidationError) as caught:
        services.project_colour_set(project=project, actor=actor, **call)
    assert caught.value.messages == [message]
    project.refresh_from_db()
    assert (project.colour, ColourChange.objects.count()) == ("green", 0)


def test_services_colour_clear_refuses_rule_colour(session, actor):
    project = KeyProjectFactory(session=session)
    with pytest.raises(ValidationError) as caught:
        services.project_colour_clear(project=project, reason="x", actor=actor)
    assert caught.value.messages == ["该项目的颜色本来就是按规则计算的。"]


def test_services_update_with_progress_recolours(session, actor):
    project = KeyProjectFactory(session=session, actual_progress=D("10"), colour="yellow")
    MilestoneFactory(project=project, planned_progress=D("30"), done_on=datetime.date(2026, 6, 1))
    ProjectRule.objects.create(session=session, as_of=AS_OF)

    update = services.project_update_add(
        project=project,
        actor=actor,
        text="主体结构封顶",
        progress=D("35"),
        photo_url="https://example.com/a.jpg",
    )

    project.refresh_from_db()
    assert (update.progress, update.stalled, update.photo_url) == (
        D("35"), None, "https://example.com/a.jpg",
    )  # fmt: skip
    assert (project.actual_progress, project.colour) == (D("35.00"), "green")
    assert history(project) == [
        (
            "yellow",
            "green",
            True,
            "进展更新后重新计算。按规则：截至 2026-07-16 计划 30%，实际 35%，按计划推进。",
        )
    ]
    assert AuditLog.objects.get(action="projects.update").message == (
        f"重点项目 {project.code} 新增进展：主体结构封顶"
    )


def test_services_update_stalled_turns_red_and_text_only_changes_nothing(session, actor):
    project = KeyProjectFactory(session=session, colour="green")
    services.project_update_add(project=project, actor=actor, text="照常")
    project.refresh_from_db()
    assert (project.colour, ColourChange.objects.count()) == ("green", 0)

    services.project_update_add(project=project, actor=actor, text="停工", stalled=True)
    project.refresh_from_db()
    assert (project.stalled, project.colour) == (True, "red")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": " "}, "请填写进展情况。"),
        ({"text": "x", "progress": D("101")}, "实际进度必须在 0 到 100 之间。"),
        ({"text": "x", "photo_url": "ftp://example.com/a.jpg"}, "照片链接：输入一个有效的 URL。"),
        ({"text": "x", "video_url": "javascript:alert(1)"}, "视频链接：输入一个有效的 URL。"),
    ],
)
def test_services_update_refuses_bad_input(session, actor, fields, message):
    project = KeyProjectFactory(session=session)
    with pytest.raises(ValidationError) as caught:
        services.project_update_add(project=project, actor=actor, **fields)
    assert caught.value.messages == [message]
    assert ProjectUpdate.objects.count() == 0
    assert AuditLog.objects.filter(action="projects.update").count() == 0


def test_services_rule_save_validates_and_audits(session, actor):
    with pytest.raises(ValidationError) as caught:
        services.project_rule_save(
            session=session, actor=actor, yellow_behind=D("40"), red_behind=D("30")
        )
    assert caught.value.messages == ["黄色阈值不能大于红色阈值。"]

    rule = services.project_rule_save(
        session=session, actor=actor, yellow_behind=D("15"), red_behind=D("40")
    )
    assert (rule.yellow_behind, rule.red_behind) == (D("15"), D("40"))
    services.project_rule_save(
        session=session, actor=actor, yellow_behind=D("15"), red_behind=D("40")
    )
    assert list(AuditLog.objects.filter(action="projects.rule").values_list("message", flat=True)) == [
        "重点项目颜色规则：黄色阈值 10→15，红色阈值 30→40（百分点）"
    ]  # fmt: skip


def test_services_milestones_deleted_with_project(session):
    project = KeyProjectFactory(session=session)
    MilestoneFactory(project=project)
    project.delete()
    assert Milestone.objects.count() == 0


def test_services_milestone_done_recolours_and_clearing_it_recolours_back(session, actor):
    project = KeyProjectFactory(session=session, actual_progress=D("35"), colour="blue")
    milestone = MilestoneFactory(
        project=project, name="主体封顶", planned_date=datetime.date(2026, 6, 30),
        planned_progress=D("30"),
    )  # fmt: skip
    ProjectRule.objects.create(session=session, as_of=AS_OF)

    services.milestone_done_set(
        milestone=milestone, done_on=datetime.date(2026, 6, 28), actor=actor
    )
    project.refresh_from_db()
    green = project.colour
    services.milestone_done_set(milestone=milestone, done_on=None, actor=actor)
    project.refresh_from_db()

    assert (green, project.colour) == ("green", "blue")
    assert [(f, t) for f, t, _by_rule, _reason in history(project)] == [
        ("blue", "green"),
        ("green", "blue"),
    ]
    assert history(project)[0][3].startswith("时间节点完成情况更新后重新计算。按规则：")
    assert [
        e.message for e in AuditLog.objects.filter(action="projects.milestone").order_by("id")
    ] == [
        f"重点项目 {project.code} 的节点“主体封顶”于 2026-06-28 完成",
        f"重点项目 {project.code} 的节点“主体封顶”改为未完成",
    ]


def test_services_milestone_done_refuses_a_date_after_today_and_keeps_a_manual_colour(
    session, actor
):
    from django.utils import timezone

    project = KeyProjectFactory(session=session, colour="red", colour_set_by="manual")
    milestone = MilestoneFactory(project=project)

    with pytest.raises(ValidationError, match="完成日期不能晚于今天。"):
        services.milestone_done_set(
            milestone=milestone,
            done_on=timezone.localdate() + datetime.timedelta(days=1),
            actor=actor,
        )
    services.milestone_done_set(milestone=milestone, done_on=datetime.date(2026, 6, 1), actor=actor)

    milestone.refresh_from_db()
    project.refresh_from_db()
    assert (milestone.done_on, project.colour) == (datetime.date(2026, 6, 1), "red")
    assert history(project) == []
