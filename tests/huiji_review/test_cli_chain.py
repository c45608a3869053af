"""The command-line chain of docs/design.md §5, from a workbook to an exported ranking, through
``call_command`` alone, as a shell script would run it: nothing here calls a service or writes
to the database; the database is only read to check what the commands did.

Ballots are chosen so that every rank is known in advance (section 4.7, a shared rank and the
skipped one after it included).
"""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from sessions.models import AuditLog, Ballot, Draw, ReviewSession
from tests.factories.workbooks import workbook_bytes

pytestmark = pytest.mark.django_db

TOWNS = ["城关镇", "滨河街道", "白沙镇"]
DEPARTMENTS = ["区财政局", "区教育局", "区民政局"]
UNITS = TOWNS + DEPARTMENTS
GROUPS = ["县级领导", "两代表一委员"]

# Every ballot grades a unit the same, so a unit's score is the value of its grade.
GRADES = {
    "城关镇": "好",  # 100
    "滨河街道": "较好",  # 80
    "白沙镇": "一般",  # 60
    "区财政局": "较好",  # 80
    "区教育局": "好",  # 100
    "区民政局": "较好",  # 80, tied with 区财政局
}
# Per category sheet, unit → (排名, 总分); the order of tied rows is the export's to choose.
EXPECTED = {
    "镇(街道)": {"城关镇": (1, 100), "滨河街道": (2, 80), "白沙镇": (3, 60)},
    "政府部门": {"区教育局": (1, 100), "区财政局": (2, 80), "区民政局": (2, 80)},
}


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def session_workbook(tmp_path, *, kind: str) -> str:
    path = tmp_path / "评议会.xlsx"
    path.write_bytes(
        workbook_bytes(
            meta=[
                ["名称", "2026年度综合考核述职评议"],
                ["年度", 2026],
                ["日期", "2027-01-20"],
                ["类型", kind],
            ],
            units=[["名称", "类别"]]
            + [[n, "镇(街道)"] for n in TOWNS]
            + [[n, "政府部门"] for n in DEPARTMENTS],
            groups=[["名称", "权重", "最少有效票数"], ["县级领导", 50, 3], ["两代表一委员", 50, 3]],
            raters=None,
        )
    )
    return str(path)


def ballots_workbook(tmp_path) -> str:
    rows = [["票号", "评议组", "所在单位", *UNITS]]
    for group in GROUPS:
        for n in range(3):
            rows.append([f"{group[:2]}{n + 1:02d}", group, None, *(GRADES[u] for u in UNITS)])
    path = tmp_path / "纸质票.xlsx"
    path.write_bytes(
        workbook_bytes(meta=None, units=None, groups=None, raters=None, extra={"评议票": rows})
    )
    return str(path)


def ranking(path) -> dict[str, dict[str, tuple]]:
    """Each category sheet's rows under the header row that holds 排名: 单位 → (排名, 总分)."""
    book = load_workbook(path)
    result = {}
    for category in EXPECTED:
        values = list(book[category].iter_rows(values_only=True))
        start = next(i for i, row in enumerate(values) if row and "排名" in row)
        header = list(values[start])
        rows = {}
        for row in values[start + 1 :]:
            unit = row[header.index("单位")]
            if unit in (None, ""):
                break
            rows[unit] = (row[header.index("排名")], row[header.index("总分")])
        result[category] = rows
    return result


def import_session(tmp_path, *, kind: str = "年度") -> str:
    out, _err = run("import_session", session_workbook(tmp_path, kind=kind))
    return out.strip().splitlines()[-1]


def finish(tmp_path, slug: str, *, with_pdf: bool = True) -> dict[str, dict[str, tuple]]:
    """rating → paper ballots → closed → export; returns the exported ranking."""
    out, _err = run("import_ballots", slug, ballots_workbook(tmp_path))
    assert out.splitlines()[0].endswith("已录入纸质票 6 张，忽略评价 0 项，标记 0 张。")
    run("set_status", slug, "closed")
    xlsx, pdf = tmp_path / "结果.xlsx", tmp_path / "结果.pdf"
    if with_pdf:
        out, _err = run("export_results", slug, "--xlsx", xlsx, "--pdf", pdf)
        assert str(pdf) in out
        assert pdf.read_bytes().startswith(b"%PDF-")
    else:
        out, _err = run("export_results", slug, "--xlsx", xlsx)
    assert str(xlsx) in out
    return ranking(xlsx)


def test_chain_without_a_meeting_reaches_an_exported_ranking(tmp_path):
    slug = import_session(tmp_path)

    out, err = run("set_status", slug, "ready")
    # No order drawn and no codes issued: warned about, not refused, for a session rated on paper.
    assert out.strip() == f"{slug}: 草稿 → 已就绪"
    assert [line.split("：")[0] for line in err.splitlines()] == [
        "提醒 warning: 还没有发言顺序",
        "提醒 warning: 还没有发放评议码",
    ]
    out, _err = run("set_status", slug, "rating")
    assert out.strip() == f"{slug}: 已就绪 → 评议中"

    assert finish(tmp_path, slug) == EXPECTED
    session = ReviewSession.objects.get(slug=slug)
    assert session.status == ReviewSession.Status.CLOSED
    assert Ballot.objects.filter(session=session, source="paper").count() == 6
    assert list(
        AuditLog.objects.filter(session=session, action="session.status")
        .order_by("id")
        .values_list("detail__after", flat=True)
    ) == ["ready", "rating", "closed"]


def test_chain_with_a_meeting_draws_the_order_then_goes_live(tmp_path):
    slug = import_session(tmp_path)
    run("set_status", slug, "ready")
    # The meeting needs the order, which can only be drawn in draft: refused, and it says so.
    with pytest.raises(CommandError, match="请先退回草稿"):
        run("set_status", slug, "live")
    run("set_status", slug, "draft")

    out, _err = run("draw_order", slug, "--seed", "20270120")

    drawn = out.splitlines()
    assert drawn[-1] == "种子 seed: 20270120"
    assert sorted(line.split(". ", 1)[1] for line in drawn[:-1]) == sorted(UNITS)
    draw = Draw.objects.get(session__slug=slug, kind=Draw.Kind.SPEAKING_ORDER)
    assert [line.split(". ", 1)[1] for line in drawn[:-1]] == draw.result
    out, err = run("set_status", slug, "ready")
    assert "发言顺序" not in err
    for status, line in (("live", "已就绪 → 会议进行中"), ("rating", "会议进行中 → 评议中")):
        out, _err = run("set_status", slug, status)
        assert out.strip() == f"{slug}: {line}"

    assert finish(tmp_path, slug, with_pdf=False) == EXPECTED
