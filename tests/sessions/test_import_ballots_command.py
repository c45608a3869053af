"""python manage.py import_ballots SLUG FILE.xlsx (docs/design.md §5): 纸质票录入."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sessions.models import AuditLog, Ballot, ReviewSession
from tests.factories.paper import ROWS, ballot_bytes, make_session


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ballots", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fail(*args) -> tuple[str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_ballots", *[str(a) for a in args], stdout=out, stderr=err)
    return str(caught.value), out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_ballots_prints_the_report(tmp_path):
    session = make_session(identical_grades_action="flag")
    path = tmp_path / "纸质票.xlsx"
    path.write_bytes(ballot_bytes([*ROWS, ["P004", "县级领导", None, "差", "差", "差", "差"]]))

    out, err = run(session.slug, path)

    assert out.splitlines() == [
        "评议会“2026年年中述职讲评”：已录入纸质票 4 张，忽略评价 1 项，标记 1 张。",
        "第 3 行 票号 P002：所在单位“区财政局”的评价已忽略",
        "第 5 行 票号 P004：已标记（所有单位评价相同）",
    ]
    assert err == ""
    assert Ballot.objects.filter(session=session, source="paper").count() == 4


@pytest.mark.django_db
def test_import_ballots_writes_as_system(tmp_path):
    session = make_session()
    path = tmp_path / "纸质票.xlsx"
    path.write_bytes(ballot_bytes())

    run(session.slug, path)

    entry = AuditLog.objects.get(action="ballot.paper_import")
    assert (entry.actor_label, entry.actor) == ("system", None)


@pytest.mark.django_db
def test_import_ballots_with_bad_rows_prints_every_problem_and_stores_nothing(tmp_path):
    session = make_session()
    path = tmp_path / "纸质票.xlsx"
    path.write_bytes(
        ballot_bytes([*ROWS, ["P001", "县级领导", None, "很好"], ["P005", None, None, "好"]])
    )

    message, out, err = fail(session.slug, path)

    assert message == "导入失败：发现 3 个问题（见上），未录入任何评议票。"
    assert err.splitlines() == [
        "工作表“评议票”第 5 行“票号”列：票号“P001”重复（第 2 行已使用）。",
        "工作表“评议票”第 5 行“城关镇”列：“很好”不是有效的评价等次（好/较好/一般/差/弃权）。",
        "工作表“评议票”第 6 行“评议组”列：不能为空。",
    ]
    assert out == ""
    assert (Ballot.objects.count(), AuditLog.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_import_ballots_refuses_a_session_that_is_not_rating_or_closed(tmp_path):
    session = make_session(status=ReviewSession.Status.READY)
    path = tmp_path / "纸质票.xlsx"
    path.write_bytes(ballot_bytes())

    message, _out, err = fail(session.slug, path)

    assert message == "导入失败：发现 1 个问题（见上），未录入任何评议票。"
    assert err.splitlines() == [
        "评议会状态为“已就绪”：纸质票只能在“评议中”或“评议已结束”状态下录入。"
    ]
    assert Ballot.objects.count() == 0


@pytest.mark.django_db
def test_import_ballots_twice_refuses_the_second_run(tmp_path):
    session = make_session()
    path = tmp_path / "纸质票.xlsx"
    path.write_bytes(ballot_bytes(ROWS[:2]))
    run(session.slug, path)

    _message, _out, err = fail(session.slug, path)

    assert err.splitlines() == [
        "工作表“评议票”第 2 行“票号”列：票号“P001”已录入过：本评议会已有此票号的评议票。",
        "工作表“评议票”第 3 行“票号”列：票号“P002”已录入过：本评议会已有此票号的评议票。",
    ]
    assert Ballot.objects.count() == 2


@pytest.mark.django_db
def test_import_ballots_with_an_unknown_slug_says_so(tmp_path):
    path = tmp_path / "纸质票.xlsx"
    path.write_bytes(ballot_bytes())

    message, _out, _err = fail("no-such-session", path)

    assert message == "找不到标识为“no-such-session”的评议会。"


@pytest.mark.django_db
def test_import_ballots_with_a_missing_file_says_so(tmp_path):
    session = make_session()
    missing = tmp_path / "nope.xlsx"

    message, _out, _err = fail(session.slug, missing)

    assert message == f"找不到文件“{missing}”。"
    assert Ballot.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ballots.xls", "ballots-gbk.csv", "ballots-utf8-bom.csv"])
def test_import_ballots_reads_xls_and_csv_made_by_libreoffice(name):
    session = make_session()
    path = Path(__file__).parents[1] / "fixtures" / "workbooks" / name

    out, err = run(session.slug, path)

    assert out.splitlines()[0] == (
        "评议会“2026年年中述职讲评”：已录入纸质票 2 张，忽略评价 1 项，标记 0 张。"
    )
    assert err == ""
    assert sorted(session.ballots.values_list("paper_number", flat=True)) == ["P001", "P002"]
