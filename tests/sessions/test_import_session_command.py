import io

import pytest
from django.core.management import CommandError, call_command

from sessions.models import AuditLog, ReviewSession
from tests.factories.workbooks import UNITS, replace, workbook_bytes


def run(path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_session", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_session_prints_a_summary_and_the_slug_last(tmp_path):
    path = tmp_path / "会议.xlsx"
    path.write_bytes(workbook_bytes())

    out, err = run(path)

    session = ReviewSession.objects.get()
    assert out.splitlines() == [
        "已创建草稿评议会“2026年年中述职讲评暨现场问政会”：单位类别 4 个，单位 5 个，"
        "评议组 4 个，评议码 17 个。",
        "2026-midyear",
    ]
    assert out.splitlines()[-1] == session.slug
    assert err == ""
    assert (session.status, session.participants.count()) == ("draft", 5)


@pytest.mark.django_db
def test_import_session_twice_gives_two_slugs(tmp_path):
    path = tmp_path / "会议.xlsx"
    path.write_bytes(workbook_bytes())

    first, _ = run(path)
    second, _ = run(path)

    assert [first.splitlines()[-1], second.splitlines()[-1]] == ["2026-midyear", "2026-midyear-2"]


@pytest.mark.django_db
def test_import_session_writes_as_system(tmp_path):
    path = tmp_path / "会议.xlsx"
    path.write_bytes(workbook_bytes())

    run(path)

    assert AuditLog.objects.get(action="session.import").actor_label == "system"


@pytest.mark.django_db
def test_import_session_with_a_malformed_workbook_creates_nothing(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook_bytes(units=replace(replace(UNITS, 5, 2, None), 3, 1, "=A1")))
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_session", str(path), stdout=out, stderr=err)

    assert str(caught.value) == "导入失败：发现 2 个问题（见上），未创建任何内容。"
    assert err.getvalue().splitlines() == [
        "工作表“单位”第 3 行“名称”列：不能是公式，请直接填写内容。",
        "工作表“单位”第 5 行“类别”列：不能为空。",
    ]
    assert out.getvalue() == ""
    assert (ReviewSession.objects.count(), AuditLog.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_import_session_with_a_file_that_is_not_a_workbook_fails_cleanly(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("名称,类别\n城关镇,镇(街道)\n", encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_session", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "CSV 文件只有一张表，评议会工作簿需要“会议”“单位”“评议组”等多张工作表："
        "请使用 .xlsx 或 .xls 工作簿（可下载模板）。"
    ]
    assert ReviewSession.objects.count() == 0


@pytest.mark.django_db
def test_import_session_with_a_missing_file_says_so(tmp_path):
    missing = tmp_path / "nope.xlsx"

    with pytest.raises(CommandError) as caught:
        call_command("import_session", str(missing), stdout=io.StringIO(), stderr=io.StringIO())

    assert str(caught.value) == f"找不到文件“{missing}”。"
