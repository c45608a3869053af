"""python manage.py export_results SLUG [--xlsx PATH] [--pdf PATH] (docs/design.md §5)."""

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from scoring import services
from sessions.models import ReviewSession
from tests.factories import ParticipantFactory, ReviewSessionFactory
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.django_db

LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]


def world():
    return scored_session(leaders=LEADERS, departments=DEPARTMENTS)


def export(*args) -> list[str]:
    out = io.StringIO()
    call_command("export_results", *args, stdout=out)
    return out.getvalue().splitlines()


def test_export_writes_both_files_of_a_preview_and_prints_their_paths(tmp_path):
    w = world()
    xlsx_path, pdf_path = tmp_path / "result.xlsx", tmp_path / "result.pdf"

    lines = export(w.session.slug, "--xlsx", str(xlsx_path), "--pdf", str(pdf_path))

    assert lines == [
        "评议会“2026年度述职评议”：预览（未发布）",
        str(xlsx_path.resolve()),
        str(pdf_path.resolve()),
    ]
    assert pdf_path.read_bytes().startswith(b"%PDF")
    wb = load_workbook(xlsx_path)
    assert wb.sheetnames[:3] == ["汇总", "镇(街道)", "区直部门"]
    assert wb["汇总"]["A1"].value.endswith("【预览（未发布）】")


def test_export_of_a_published_session_is_its_snapshot(tmp_path):
    w = world()
    services.result_publish(session=w.session, actor=None)
    xlsx_path = tmp_path / "result.xlsx"

    lines = export(w.session.slug, "--xlsx", str(xlsx_path))

    assert lines == ["评议会“2026年度述职评议”：第 1 版", str(xlsx_path.resolve())]
    assert load_workbook(xlsx_path)["汇总"]["A1"].value.endswith("（第 1 版）")


def test_export_writes_the_notice_in_official_format(tmp_path):
    w = world()
    services.result_publish(session=w.session, actor=None)
    ReviewSession.objects.filter(pk=w.session.pk).update(notice_number="惠组〔2026〕12号")
    path = tmp_path / "notice.pdf"

    lines = export(w.session.slug, "--notice", str(path))

    assert lines[1:] == [str(path.resolve())]
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(  # noqa: S603  (our own file into a fixed command)
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "惠组〔2026〕12号" in text
    assert re.search(r"—\s*1\s*—", text)  # the page number, as GB/T 9704 writes it


def test_export_writes_only_the_pdf_when_only_the_pdf_is_asked_for(tmp_path):
    w = world()

    lines = export(w.session.slug, "--pdf", str(tmp_path / "r.pdf"))

    assert lines[1:] == [str((tmp_path / "r.pdf").resolve())]
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_export_of_an_unknown_slug_fails_with_exit_code_1(tmp_path):
    with pytest.raises(CommandError, match="找不到标识为“nope”的评议会。") as error:
        export("nope", "--pdf", str(tmp_path / "r.pdf"))

    assert error.value.returncode == 1
    assert list(tmp_path.iterdir()) == []


def test_export_of_a_session_without_participants_fails(tmp_path):
    session = ReviewSessionFactory(title="空评议会")

    with pytest.raises(CommandError, match="评议会“空评议会”还没有述职单位") as error:
        export(session.slug, "--xlsx", str(tmp_path / "r.xlsx"))

    assert error.value.returncode == 1
    assert list(tmp_path.iterdir()) == []


def test_export_of_a_session_without_ballots_fails(tmp_path):
    participant = ParticipantFactory(session__title="未评议")

    with pytest.raises(CommandError, match="评议会“未评议”还没有收到评议表") as error:
        export(participant.session.slug, "--xlsx", str(tmp_path / "r.xlsx"))

    assert error.value.returncode == 1
    assert list(tmp_path.iterdir()) == []


def test_export_into_a_missing_directory_fails_before_writing_anything(tmp_path):
    w = world()

    with pytest.raises(CommandError, match="目录.*不存在"):
        export(
            w.session.slug,
            "--xlsx",
            str(tmp_path / "r.xlsx"),
            "--pdf",
            str(tmp_path / "missing" / "r.pdf"),
        )

    assert list(tmp_path.iterdir()) == []


def test_export_without_an_output_exits_1_with_a_message():
    # A real process, for the exit code manage.py gives the shell; it fails before any query.
    done = subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "export_results", "any-slug"],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert "请至少指定 --xlsx、--pdf 或 --notice 中的一个输出文件。" in done.stderr
