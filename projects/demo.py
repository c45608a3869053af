"""The mid-year demo's 129 重点项目 (docs/design.md §1): a deterministic workbook, and
``load_demo_projects`` which imports it and recolours by rule as of the session date.

The workbook depends only on the seed and on the unit names given (projects are dealt to the
units in turn), so every run builds the same bytes for the same session; the colours depend on
the seed alone. docs/projects.md states the counts per colour as of 2026-07-16, and
tests/projects/test_demo.py checks that line against a real import.
"""

from __future__ import annotations

import datetime
import io
import random
from decimal import Decimal

from sessions.models import ReviewSession

from . import services
from .models import KeyProject, ProjectUpdate
from .workbook import ExportProject, parse_projects_workbook, workbook_bytes

DEMO_AS_OF = datetime.date(2026, 7, 16)
DEMO_COUNT = 129
DEMO_SEED = "huiji-key-projects-2026"

PLACES = [
    "花园口", "古荥", "迎宾路", "大河路", "长兴路", "刘寨", "老鸦陈", "新城",
    "江山路", "天河路", "文化路", "索须河", "贾鲁河", "双桥", "固城", "丰乐",
]  # fmt: skip
KINDS = {
    "产业项目": [
        "智能装备产业园", "生物医药产业园", "数字经济产业园", "冷链物流园", "新能源汽车零部件基地",
        "跨境电商产业园", "食品加工产业园", "科技企业孵化器", "现代农业示范园", "文旅综合体",
    ],
    "民生项目": [
        "小学扩建工程", "社区卫生服务中心", "养老服务中心", "公共租赁住房", "幼儿园新建工程",
        "农贸市场提升", "全民健身中心", "社区食堂",
    ],
    "基础设施": [
        "道路改造工程", "污水管网工程", "雨污分流改造", "供热管网延伸", "桥梁新建工程",
        "公交首末站", "停车场建设", "黄河生态廊道",
    ],
    "城市更新": [
        "老旧小区改造", "城中村改造", "片区综合整治", "背街小巷提升", "历史街区保护更新",
    ],
}  # fmt: skip
CATEGORY_WEIGHTS = {"产业项目": 35, "民生项目": 30, "基础设施": 20, "城市更新": 15}
# How each demo project is doing; the rule, not this label, decides its colour.
PROFILES = {"on_plan": 54, "milestone_missed": 20, "slow": 14, "stalled": 12}
MILESTONE_NAMES = ["前期手续办结", "开工建设", "主体施工过半", "主体完工", "竣工验收"]
UPDATE_TEXTS = {
    "on_plan": "按计划推进，本月完成既定节点任务。",
    "milestone_missed": "整体进度基本正常，个别节点因审批延后，正在协调办理。",
    "slow": "受征迁和资金影响进度偏慢，已制定赶工计划。",
    "stalled": "因土地手续问题暂时停工，正在协调解决。",
}


def _month_end(year: int, month: int) -> datetime.date:
    first_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_next - datetime.timedelta(days=1)


def _plan(rng: random.Random) -> list[tuple[str, datetime.date, Decimal]]:
    """3 to 5 milestones across 2026, planned progress rising to 100."""
    count = rng.choice([3, 4, 4, 5])
    months = sorted(rng.sample(range(2, 13), count))
    steps = sorted(rng.sample(range(1, 20), count - 1))  # in 5-point units, below 100
    progress = [Decimal(5 * s) for s in steps] + [Decimal(100)]
    names = MILESTONE_NAMES[-count:] if count < 5 else MILESTONE_NAMES
    return [
        (name, _month_end(2026, month), planned)
        for name, month, planned in zip(names, months, progress, strict=True)
    ]


def _demo_project(
    rng: random.Random, index: int, unit: str, names: set[str]
) -> tuple[ExportProject, str]:
    category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
    name = f"{rng.choice(PLACES)}{rng.choice(KINDS[category])}"
    phase = 1
    while name + ("" if phase == 1 else f"（{phase}期）") in names:
        phase += 1
    name += "" if phase == 1 else f"（{phase}期）"
    names.add(name)
    profile = rng.choices(list(PROFILES), list(PROFILES.values()))[0]
    plan = _plan(rng)
    due = [(n, d, p) for n, d, p in plan if d <= DEMO_AS_OF]
    planned = due[-1][2] if due else Decimal(0)
    stalled = False
    if profile == "on_plan":
        actual = planned + rng.randint(-8, 12)
    elif profile == "milestone_missed":
        actual = planned - rng.randint(0, 9)
    elif profile == "slow":
        actual = planned - rng.randint(11, 29)
    else:
        stalled = rng.random() < 0.6
        actual = planned - (rng.randint(5, 20) if stalled else rng.randint(31, 55))
    actual = min(max(actual, Decimal(0)), Decimal(100))
    missed_from = len(due) - 1 if profile in ("milestone_missed", "slow", "stalled") else len(due)
    milestones = tuple(
        (
            n,
            d,
            p,
            d - datetime.timedelta(days=rng.randint(0, 12)) if i < missed_from else None,
        )
        for i, (n, d, p) in enumerate(plan)
    )
    project = ExportProject(
        code=f"ZD2026-{index:03d}",
        name=name,
        unit=unit,
        category=category,
        actual=actual,
        stalled=stalled,
        manual_colour=None,
        milestones=milestones,
    )
    return project, profile


def demo_projects(unit_names: list[str]) -> list[tuple[ExportProject, str]]:
    """The 129 demo projects with the profile each was drawn from (for its demo update)."""
    rng = random.Random(DEMO_SEED)
    names: set[str] = set()
    units = sorted(unit_names)
    result = []
    for index in range(1, DEMO_COUNT + 1):
        result.append(_demo_project(rng, index, units[(index * 7) % len(units)], names))
    return result


def demo_workbook_bytes(unit_names: list[str]) -> bytes:
    """The demo workbook; the same bytes' content for the same unit names."""
    return workbook_bytes(
        projects=[project for project, _profile in demo_projects(unit_names)],
        unit_names=sorted(unit_names),
    )


def load_demo_projects(session: ReviewSession, actor) -> services.RecolourPlan | None:
    """Import the demo's 129 projects into ``session`` and recolour them by rule as of
    2026-07-16, with a short update on every third project. Does nothing (returns None) when
    the session already has projects, so seed_demo can run again."""
    if KeyProject.objects.filter(session=session).exists():
        return None
    unit_names = list(session.units.values_list("name", flat=True))
    rows = parse_projects_workbook(
        io.BytesIO(demo_workbook_bytes(unit_names)), unit_names=unit_names
    )
    services.projects_import(session=session, actor=actor, rows=rows, as_of=DEMO_AS_OF)
    plan = services.projects_recolour(session=session, actor=actor, as_of=DEMO_AS_OF)
    projects = {p.code: p for p in KeyProject.objects.filter(session=session)}
    # Demo data, not a person's report: written directly, without an audit entry each.
    ProjectUpdate.objects.bulk_create(
        ProjectUpdate(
            project=projects[project.code],
            text=UPDATE_TEXTS[profile],
            photo_url=f"https://example.com/huiji/projects/{project.code}.jpg",
            actor_label="demo",
        )
        for i, (project, profile) in enumerate(demo_projects(unit_names))
        if i % 3 == 0
    )
    return plan
