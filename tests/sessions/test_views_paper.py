"""纸质票录入 in the browser (sessions/views/paper.py): upload page and template workbook."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from sessions.models import Ballot, ReviewSession
from tests.factories import UserFactory
from tests.factories.paper import HEADER, ROWS, ballot_bytes, make_session

PAGE_URL = "/sessions/2026-paper/paper/"
TEMPLATE_URL = "/sessions/2026-paper/paper/template.xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTMX = {"HTTP_HX_REQUEST": "true"}


def upload(data: bytes | None = None, name: str = "纸质票.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ballot_bytes() if data is None else data, XLSX_TYPE)


def problem_rows(response) -> list[tuple]:
    return [(p.sheet, p.row, p.column, p.text) for p in response.context["problems"]]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, flags=re.S).group(1)
    body = table.split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


@pytest.fixture
def session(db):
    return make_session()


def test_paper_urls_are_under_the_session():
    assert (
        reverse("review:paper_ballots", args=["2026-paper"]),
        reverse("review:paper_template", args=["2026-paper"]),
    ) == (PAGE_URL, TEMPLATE_URL)


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("url", [PAGE_URL, TEMPLATE_URL])
def test_paper_pages_send_anonymous_users_to_login(client, session, url):
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_paper_pages_are_forbidden_to_other_roles(request, session, who):
    client = request.getfixturevalue(who)

    get = client.get(PAGE_URL)
    post = client.post(PAGE_URL, {"file": upload()})
    template = client.get(TEMPLATE_URL)

    assert (get.status_code, post.status_code, template.status_code) == (403, 403, 403)
    assert Ballot.objects.count() == 0


def test_paper_pages_are_forbidden_to_users_without_a_role(client, session):
    client.force_login(UserFactory())

    assert (client.get(PAGE_URL).status_code, client.get(TEMPLATE_URL).status_code) == (403, 403)


def test_paper_page_for_an_unknown_session_is_404(organiser_client, session):
    response = organiser_client.get("/sessions/no-such-session/paper/")

    assert response.status_code == 404


# ---------------------------------------------------------------- the page


def test_paper_page_shows_the_upload_form_to_organisers(organiser_client, session):
    response = organiser_client.get(PAGE_URL)

    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert TEMPLATE_URL.encode() in response.content


def test_paper_upload_stores_the_ballots_and_shows_the_report(organiser_client, session):
    response = organiser_client.post(PAGE_URL, {"file": upload()})

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["report"].imported == 3
    assert "已录入纸质票 3 张，忽略评价 1 项，标记 0 张。" in html
    assert table_rows(html, "paper-ignored") == [["3", "P002", "区财政局", "所在单位，不评本单位"]]
    assert 'id="paper-flagged"' not in html
    assert sorted(Ballot.objects.values_list("paper_number", flat=True)) == [
        "P001",
        "P002",
        "P003",
    ]
    entry = session.audit_entries.get(action="ballot.paper_import")
    assert entry.actor_label == "organiser"


def test_paper_upload_lists_flagged_ballots(organiser_client):
    make_session(identical_grades_action="reject")
    data = ballot_bytes([["P009", "县级领导", None, "好", "好", "好", "好"]])

    response = organiser_client.post(PAGE_URL, {"file": upload(data)})

    assert response.status_code == 200
    assert table_rows(response.content.decode(), "paper-flagged") == [
        ["2", "P009", "所有单位评价相同"]
    ]
    assert Ballot.objects.get().flags == ["identical"]


def test_paper_upload_lists_every_problem_and_stores_nothing(organiser_client, session):
    data = ballot_bytes([*ROWS, ["P002", "县级领导", None, "很好"]])

    response = organiser_client.post(PAGE_URL, {"file": upload(data)})

    assert response.status_code == 422
    assert problem_rows(response) == [
        ("评议票", 5, "票号", "票号“P002”重复（第 3 行已使用）。"),
        ("评议票", 5, "城关镇", "“很好”不是有效的评价等次（好/较好/一般/差/弃权）。"),
    ]
    assert table_rows(response.content.decode(), "import-problems") == [
        ["评议票", "5", "票号", "票号“P002”重复（第 3 行已使用）。"],
        ["评议票", "5", "城关镇", "“很好”不是有效的评价等次（好/较好/一般/差/弃权）。"],
    ]
    assert Ballot.objects.count() == 0


def test_paper_upload_twice_is_refused_the_second_time(organiser_client, session):
    organiser_client.post(PAGE_URL, {"file": upload()})

    again = organiser_client.post(PAGE_URL, {"file": upload()})

    assert again.status_code == 422
    assert [row[1:3] for row in problem_rows(again)] == [(2, "票号"), (3, "票号"), (4, "票号")]
    assert Ballot.objects.count() == 3


def test_paper_upload_refuses_a_file_that_is_not_xlsx(organiser_client, session):
    response = organiser_client.post(PAGE_URL, {"file": upload(b"%PDF-1.4\n", name="票.pdf")})

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "file": [
            "只能导入表格文件：Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
            "或 CSV 文本（.csv）。"
        ]
    }
    assert Ballot.objects.count() == 0


def test_paper_upload_refuses_an_oversize_file(organiser_client, session, settings):
    settings.UPLOAD_MAX_BYTES = 1024

    response = organiser_client.post(PAGE_URL, {"file": upload(b"x" * 2048)})

    assert response.status_code == 422
    assert response.context["form"].errors == {"file": ["文件大小为 0.0 MB，超过上限 0.0 MB。"]}


def test_paper_upload_without_a_file_asks_for_one(organiser_client, session):
    response = organiser_client.post(PAGE_URL, {})

    assert response.status_code == 422
    assert response.context["form"].errors == {"file": ["这个字段是必填项。"]}


@pytest.mark.parametrize("status", ["draft", "ready", "live", "published"])
def test_paper_page_refuses_a_session_not_in_rating_or_closed(organiser_client, status):
    make_session(status=status)
    label = ReviewSession.Status(status).label

    get = organiser_client.get(PAGE_URL)
    post = organiser_client.post(PAGE_URL, {"file": upload()})

    assert (get.status_code, post.status_code) == (200, 409)
    assert problem_rows(post) == [
        ("", None, "", f"评议会状态为“{label}”：纸质票只能在“评议中”或“评议已结束”状态下录入。")
    ]
    assert b'type="file"' not in post.content
    assert Ballot.objects.count() == 0


def test_paper_upload_works_in_a_closed_session(organiser_client):
    make_session(status="closed")

    response = organiser_client.post(PAGE_URL, {"file": upload()})

    assert response.status_code == 200
    assert Ballot.objects.count() == 3


# ---------------------------------------------------------------- htmx


def test_paper_upload_htmx_returns_the_panel_with_the_report(organiser_client, session):
    response = organiser_client.post(PAGE_URL, {"file": upload()}, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="paper-panel">')
    assert "已录入纸质票 3 张，忽略评价 1 项，标记 0 张。" in content


def test_paper_upload_htmx_error_is_shown_in_the_panel(organiser_client, session):
    data = ballot_bytes([["P001", "县级领导", None, "很好"]])

    response = organiser_client.post(PAGE_URL, {"file": upload(data)}, **HTMX)

    content = response.content.decode()
    assert response.status_code == 422
    assert content.lstrip().startswith('<div id="paper-panel">')
    assert table_rows(content, "import-problems") == [
        ["评议票", "2", "城关镇", "“很好”不是有效的评价等次（好/较好/一般/差/弃权）。"]
    ]
    assert Ballot.objects.count() == 0


# ---------------------------------------------------------------- the template


def test_paper_template_downloads_for_the_session(organiser_client, session):
    response = organiser_client.get(TEMPLATE_URL)

    book = load_workbook(io.BytesIO(response.content))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E7%BA%B8%E8%B4%A8%E7%A5%A8%E5%BD%95%E5%85%A5-2026-paper.xlsx"
    )
    assert book.sheetnames == ["评议票", "说明"]
    assert [c.value for c in book["评议票"][1]] == HEADER


def test_paper_template_filled_in_uploads(organiser_client, session):
    book = load_workbook(io.BytesIO(organiser_client.get(TEMPLATE_URL).content))
    for row in ROWS:
        book["评议票"].append(row)
    filled = io.BytesIO()
    book.save(filled)

    response = organiser_client.post(PAGE_URL, {"file": upload(filled.getvalue())})

    assert response.status_code == 200
    assert Ballot.objects.filter(session=session, source="paper").count() == 3


# ---------------------------------------------------------------- the link on the overview


@pytest.mark.parametrize(
    ("status", "linked"),
    [("draft", False), ("ready", False), ("rating", True), ("closed", True), ("published", False)],
)
def test_session_detail_links_to_paper_ballots_while_rating_or_closed(
    organiser_client, status, linked
):
    make_session(status=status)

    response = organiser_client.get("/sessions/2026-paper/")

    assert (PAGE_URL.encode() in response.content) == linked


def test_session_detail_does_not_link_paper_ballots_for_observers(observer_client, session):
    response = observer_client.get("/sessions/2026-paper/")

    assert response.status_code == 200
    assert PAGE_URL.encode() not in response.content


@pytest.mark.parametrize(("name", "kind"), [("ballots.xls", "xls"), ("ballots-gbk.csv", "csv")])
def test_paper_upload_takes_xls_and_csv(organiser_client, session, name, kind):
    from pathlib import Path

    data = (Path(__file__).parents[1] / "fixtures" / "workbooks" / name).read_bytes()
    page = organiser_client.get(PAGE_URL).content.decode()

    response = organiser_client.post(PAGE_URL, {"file": upload(data, name=f"纸质票.{kind}")})

    assert 'accept=".xlsx,.xlsm,.xls,.ods,.csv,' in page
    assert response.status_code == 200
    assert response.context["report"].imported == 2
    assert sorted(Ballot.objects.values_list("paper_number", flat=True)) == ["P001", "P002"]
