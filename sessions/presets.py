"""The built-in templates (docs/design.md §1 and §4 defaults): what a district's own session
templates start as (sessions/template_services.py), and the defaults a new rater group takes."""

from dataclasses import dataclass, field
from decimal import Decimal

from .models import ReviewSession, UnitCategory

TOWN = UnitCategory.Side.TOWN
DEPT = UnitCategory.Side.DEPARTMENT
OTHER = UnitCategory.Side.OTHER


@dataclass(frozen=True)
class Preset:
    kind: str
    title: str
    categories: list[tuple[str, str]] = field(default_factory=list)  # (name, side)
    groups: list[tuple[str, Decimal, str]] = field(default_factory=list)  # (name, weight, side)


def year_prefixed(title: str, year: int) -> str:
    """``title`` after ``year``. A name beginning with 年度 takes the bare number ("2026年度综合
    考核…", not "2026年年度…"); any other takes 年 ("2026年年中述职讲评…", "2026年述职评议会")."""
    if title.startswith("年度"):
        return f"{year}{title}"
    return f"{year}年{title}"


def asks_by_default(group_name: str) -> bool:
    """Whether a new rater group's credentials may ask questions and vote satisfaction
    (现场问政): the representatives and the public, by the names groups are given."""
    return any(word in group_name for word in ("代表", "委员", "公众"))


def leads_by_default(group_name: str) -> bool:
    """Whether a new rater group is the 县级领导 group the first tie-break compares (section
    4.7). A default when a group is made from a template or a workbook, stored in
    RaterGroup.is_leaders and changed on the groups page; nothing reads the name afterwards."""
    return group_name == "县级领导"


# Section 4.5: default weights 县级领导 40, 区直部门 20, 镇(街道) 20, 两代表一委员 20.
DEFAULT_GROUPS = [
    ("县级领导", Decimal("40"), OTHER),
    ("区直部门", Decimal("20"), DEPT),
    ("镇(街道)", Decimal("20"), TOWN),
    ("两代表一委员", Decimal("20"), OTHER),
]

PRESETS = {
    ReviewSession.Kind.ANNUAL: Preset(
        kind=ReviewSession.Kind.ANNUAL,
        title="年度综合考核述职评议会（三述两评一问）",
        categories=[
            ("镇(街道)", TOWN),
            ("政府部门", DEPT),
            ("统筹协调部门", DEPT),
            ("党群服务部门", DEPT),
            ("开发区", OTHER),
        ],
        groups=DEFAULT_GROUPS,
    ),
    ReviewSession.Kind.MIDYEAR: Preset(
        kind=ReviewSession.Kind.MIDYEAR,
        title="年中述职讲评暨现场问政会",
        categories=[
            ("镇(街道)", TOWN),
            ("政府部门", DEPT),
            ("统筹协调部门", DEPT),
            ("党群服务部门", DEPT),
        ],
        groups=[
            ("县级领导", Decimal("40"), OTHER),
            ("区直部门", Decimal("20"), DEPT),
            ("镇(街道)", Decimal("20"), TOWN),
            ("两代表一委员/社会公众代表", Decimal("20"), OTHER),
        ],
    ),
    ReviewSession.Kind.CUSTOM: Preset(kind=ReviewSession.Kind.CUSTOM, title="述职评议会"),
}
