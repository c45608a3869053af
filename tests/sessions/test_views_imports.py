import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from sessions.models import ReviewSession
from tests.factories import RaterGroupFactory, ReviewSessionFactory
from tests.factories.workbooks import GROUPS, UNITS, replace, workbook_bytes

IMPORT_URL = "/sessions/import/"
TEMPLATE_URL = "/sessions/import/template.xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(data: bytes | None = None, name: str = "会议.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, workbook_bytes() if data is None else data, XLSX_TYPE)


def problem_rows(response) -> list[tuple]:
    return [(p.sheet, p.row, p.column, p.text) for p in response.context["problems"]]


@pytest.fixture
def draft():
    session = ReviewSessionFactory(slug="2026-draft")
    RaterGroupFactory(session=session, name="县级领导", weight=Decimal("30"))
    return session


# ---------------------------------------------------------------- urls


def test_import_urls_are_not_taken_by_the_session_slug_route():
    assert (reverse("review:session_import"), reverse("review:import_template")) == (
        IMPORT_URL,
        TEMPLATE_URL,
    )
    assert reverse("review:session_import_into", args=["2026-draft"]) == (
        "/sessions/2026-draft/import/"
    )


# ---------------------------------------------------------------- a new session


@pytest.mark.django_db
def test_session_import_sends_anonymous_users_to_login(client):
    response = client.get(IMPORT_URL)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={IMPORT_URL}")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_session_import_is_forbidden_to_other_roles(request, who):
    client = request.getfixturevalue(who)

    get = client.get(IMPORT_URL)
    post = client.post(IMPORT_URL, {"file": upload()})

    assert (get.status_code, post.status_code) == (403, 403)
    assert ReviewSession.objects.count() == 0


@pytest.mark.django_db
def test_session_import_shows_the_form_to_organisers(organiser_client):
    response = organiser_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert TEMPLATE_URL.encode() in response.content


@pytest.mark.django_db
def test_session_import_creates_the_session_and_redirects_to_it(organiser_client):
    response = organiser_client.post(IMPORT_URL, {"file": upload()}, follow=True)

    session = ReviewSession.objects.get()
    assert response.redirect_chain == [(f"/sessions/{session.slug}/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "已从 Excel 创建评议会“2026年年中述职讲评暨现场问政会”（草稿）。"
    ]
    assert (session.units.count(), session.credentials.count()) == (5, 17)
    assert session.created_by.username == "organiser"


@pytest.mark.django_db
def test_session_import_lists_every_problem_and_stores_nothing(organiser_client):
    data = workbook_bytes(units=replace(UNITS, 5, 2, None), groups=replace(GROUPS, 3, 2, "x"))

    response = organiser_client.post(IMPORT_URL, {"file": upload(data)})

    assert response.status_code == 422
    assert problem_rows(response) == [
        ("单位", 5, "类别", "不能为空。"),
        ("评议组", 3, "权重", "“x”不是数字。"),
    ]
    assert "工作表".encode() in response.content
    assert "“x”不是数字。".encode() in response.content
    assert ReviewSession.objects.count() == 0


@pytest.mark.django_db
def test_session_import_refuses_a_file_that_is_not_xlsx_before_parsing(organiser_client):
    response = organiser_client.post(IMPORT_URL, {"file": upload(b"%PDF-1.4\n", name="units.pdf")})

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "file": [
            "只能导入表格文件：Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
            "或 CSV 文本（.csv）。"
        ]
    }
    assert ReviewSession.objects.count() == 0


@pytest.mark.django_db
def test_session_import_refuses_an_oversize_file(organiser_client, settings):
    settings.UPLOAD_MAX_BYTES = 1024

    response = organiser_client.post(IMPORT_URL, {"file": upload(b"x" * 2048)})

    assert response.status_code == 422
    assert response.context["form"].errors == {"file": ["文件大小为 0.0 MB，超过上限 0.0 MB。"]}


@pytest.mark.django_db
def test_session_import_refuses_a_damaged_xlsx_without_a_traceback(organiser_client):
    response = organiser_client.post(IMPORT_URL, {"file": upload(b"PK\x03\x04broken")})

    assert response.status_code == 422
    assert problem_rows(response) == [
        (
            "",
            None,
            "",
            "文件是一个损坏或不完整的压缩包（.xlsx 文件本质上是压缩包）：请重新保存后再导入。",
        )
    ]


@pytest.mark.django_db
def test_session_import_without_a_file_asks_for_one(organiser_client):
    response = organiser_client.post(IMPORT_URL, {})

    assert response.status_code == 422
    assert response.context["form"].errors == {"file": ["这个字段是必填项。"]}


# ---------------------------------------------------------------- into a draft session


def into_url(session) -> str:
    return f"/sessions/{session.slug}/import/"


@pytest.mark.django_db
def test_session_import_into_sends_anonymous_users_to_login(client, draft):
    response = client.get(into_url(draft))

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={into_url(draft)}"


@pytest.mark.django_db
def test_session_import_into_is_forbidden_to_observers(observer_client, draft):
    response = observer_client.post(into_url(draft), {"file": upload()})

    assert response.status_code == 403
    assert draft.units.count() == 0


@pytest.mark.django_db
def test_session_import_into_imports_and_returns_to_the_units_page(organiser_client, draft):
    response = organiser_client.post(into_url(draft), {"file": upload()}, follow=True)

    assert response.redirect_chain == [(f"/sessions/{draft.slug}/units/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "导入完成：新增单位类别 4 个、单位 5 个（已有 0 个）、述职单位 5 个、"
        "评议组 3 个（更新权重 1 个）、评议码 17 个。"
    ]
    assert draft.rater_groups.get(name="县级领导").weight == Decimal("40.00")
    assert ReviewSession.objects.count() == 1


@pytest.mark.django_db
def test_session_import_into_lists_problems_and_stores_nothing(organiser_client, draft):
    data = workbook_bytes(groups=replace(GROUPS, 2, 2, -1))

    response = organiser_client.post(into_url(draft), {"file": upload(data)})

    assert response.status_code == 422
    assert problem_rows(response) == [("评议组", 2, "权重", "不能为负数。")]
    assert draft.units.count() == 0
    assert draft.rater_groups.get().weight == Decimal("30.00")


@pytest.mark.django_db
def test_session_import_into_a_session_that_is_not_draft_is_refused(organiser_client, draft):
    ReviewSession.objects.filter(pk=draft.pk).update(status="ready")

    get = organiser_client.get(into_url(draft))
    post = organiser_client.post(into_url(draft), {"file": upload()})

    assert (get.status_code, post.status_code) == (200, 409)
    assert problem_rows(post) == [
        ("", None, "", "评议会状态为“已就绪”，只有草稿状态的评议会可以导入单位和评议人。")
    ]
    assert b'type="file"' not in post.content
    assert draft.units.count() == 0


@pytest.mark.django_db
def test_units_page_links_to_the_import(organiser_client, draft):
    response = organiser_client.get(f"/sessions/{draft.slug}/units/")

    assert into_url(draft).encode() in response.content


@pytest.mark.django_db
def test_session_list_links_to_the_import(organiser_client):
    response = organiser_client.get("/sessions/")

    assert IMPORT_URL.encode() in response.content


# ---------------------------------------------------------------- the template


@pytest.mark.django_db
def test_import_template_sends_anonymous_users_to_login(client):
    response = client.get(TEMPLATE_URL)

    assert response.status_code == 302


@pytest.mark.django_db
def test_import_template_is_forbidden_to_users_without_a_staff_role(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())

    assert client.get(TEMPLATE_URL).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["observer_client", "moderator_client", "organiser_client"])
def test_import_template_downloads_for_any_staff_role(request, who):
    client = request.getfixturevalue(who)

    response = client.get(TEMPLATE_URL)

    book = load_workbook(io.BytesIO(response.content))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E8%AF%84%E8%AE%AE%E4%BC%9A%E5%AF%BC%E5%85%A5"
        "%E6%A8%A1%E6%9D%BF.xlsx"
    )
    assert book.sheetnames == ["会议", "单位", "评议组", "评议人", "说明"]
    assert [c.value for c in book["评议人"][1]] == ["评议组", "所在单位", "人数", "姓名"]
    assert book["单位"].max_row == 3


@pytest.mark.django_db
def test_import_template_reimports_successfully(organiser_client):
    template = organiser_client.get(TEMPLATE_URL).content

    response = organiser_client.post(IMPORT_URL, {"file": upload(template)})

    session = ReviewSession.objects.get()
    assert response.status_code == 302
    assert list(session.units.order_by("name").values_list("name", flat=True)) == [
        "区发展和改革委员会",
        "城关镇",
    ]
    assert session.credentials.count() == 6


@pytest.mark.django_db
def test_session_import_into_twice_is_refused_unless_adding_codes_is_ticked(
    organiser_client, draft
):
    organiser_client.post(into_url(draft), {"file": upload()})

    refused = organiser_client.post(into_url(draft), {"file": upload()})
    added = organiser_client.post(into_url(draft), {"file": upload(), "add_codes": "on"})

    assert refused.status_code == 422
    assert problem_rows(refused)[0] == (
        "评议人",
        2,
        "评议组",
        "评议组“县级领导”已有 2 个评议码，再导入会另外生成 2 个。若确要追加，请勾选“追加评议码”后重新导入。",
    )
    assert 'name="add_codes"' in refused.content.decode()
    assert added.status_code == 302
    assert draft.credentials.count() == 34


@pytest.mark.django_db
def test_session_import_reads_a_libreoffice_workbook_as_an_office_fills_it_in(organiser_client):
    from pathlib import Path

    data = (
        Path(__file__).parents[1] / "fixtures" / "workbooks" / "session-libreoffice.xlsx"
    ).read_bytes()

    response = organiser_client.post(IMPORT_URL, {"file": upload(data, name="会议.xlsx")})

    session = ReviewSession.objects.get()
    assert response.status_code == 302
    assert list(session.participants.values_list("unit__name", "speaking_order")) == [
        ("滨河街道", 1),
        ("城关镇", 2),
        ("区委办公室(区档案馆)", 3),
        ("区财政局", 4),
    ]
    assert list(session.rater_groups.values_list("name", "weight")) == [
        ("县级领导", Decimal("40.00")),
        ("区直部门", Decimal("20.00")),
        ("镇(街道)", Decimal("20.00")),
        ("两代表一委员", Decimal("20.00")),
    ]
