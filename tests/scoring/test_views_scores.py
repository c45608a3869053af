"""scoring/views.py, the 其他考核 page: 目标考核, 日常考核, 加减分 and 分管领导书面点评 per unit,
edited inline (htmx) or imported from a workbook."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from scoring.models import ExternalScore, LeaderComment
from sessions.models import AuditLog, ReviewSession
from tests.factories import UnitFactory, UserFactory
from tests.factories.scores import ROWS, chart_sheet_bytes, scores_bytes
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.django_db
D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
SLUG = "2026-scores"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

GOOD_ROW = {
    "target": "95.5",
    "daily": "88",
    "bonus": "-2",
    "bonus_reason": "通报批评",
    "comment_author": "张副区长",
    "comment_score": "92",
    "comment_text": "工作扎实，亮点突出。",
}


@pytest.fixture
def world():
    world = scored_session(status=ReviewSession.Status.RATING)
    ReviewSession.objects.filter(pk=world.session.pk).update(slug=SLUG)
    world.session.refresh_from_db()
    return world


def url(name: str, *args) -> str:
    return reverse(f"scoring:{name}", args=[SLUG, *args])


def upload(data: bytes | None = None, name: str = "其他考核.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, scores_bytes() if data is None else data, XLSX_TYPE)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def rows_of(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [
        [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    ]


def test_scores_urls_are_under_the_session():
    assert [
        url("scores"),
        url("scores_import"),
        url("scores_template"),
        url("score_row", 3),
        url("score_edit", 3),
    ] == [
        f"/sessions/{SLUG}/scores/",
        f"/sessions/{SLUG}/scores/import/",
        f"/sessions/{SLUG}/scores/template.xlsx",
        f"/sessions/{SLUG}/scores/3/",
        f"/sessions/{SLUG}/scores/3/edit/",
    ]


# ---------------------------------------------------------------- who may


def test_scores_pages_send_anonymous_users_to_login(client, world):
    target = url("score_edit", world.towns[0].pk)

    response = client.get(target)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={target}")
    assert client.get(url("scores")).status_code == 302


@pytest.mark.parametrize("who", ["moderator_client", "no_role"])
def test_scores_pages_are_forbidden_to_moderators_and_users_without_a_role(
    request, client, world, who
):
    if who == "no_role":
        client.force_login(UserFactory())
    else:
        client = request.getfixturevalue(who)
    unit = world.towns[0].pk

    statuses = [
        client.get(url("scores")).status_code,
        client.get(url("score_row", unit), **HTMX).status_code,
        client.get(url("score_edit", unit)).status_code,
        client.post(url("score_edit", unit), GOOD_ROW).status_code,
        client.post(url("scores_import"), {"file": upload()}).status_code,
        client.get(url("scores_template")).status_code,
    ]

    assert statuses == [403] * 6
    assert ExternalScore.objects.count() == 0


def test_observer_reads_the_scores_but_cannot_change_them(observer_client, world):
    ExternalScore.objects.create(session=world.session, unit=world.towns[0], target=D("90"))
    unit = world.towns[0].pk

    page = observer_client.get(url("scores"))
    edit = observer_client.get(url("score_edit", unit))
    post = observer_client.post(url("score_edit", unit), GOOD_ROW)
    imported = observer_client.post(url("scores_import"), {"file": upload()})
    template = observer_client.get(url("scores_template"))

    html = page.content.decode()
    assert page.status_code == 200
    assert rows_of(html, "scores-table")[0] == ["城关镇 镇(街道)", "90.00", "—", "—", "—", "—", ""]
    assert url("score_edit", unit) not in html
    assert 'id="scores-import"' not in html
    assert (edit.status_code, post.status_code, imported.status_code, template.status_code) == (
        403,
        403,
        403,
        403,
    )
    assert ExternalScore.objects.get().target == D("90.00")


def test_scores_page_for_an_unknown_session_is_404(organiser_client, world):
    assert organiser_client.get("/sessions/no-such-session/scores/").status_code == 404


# ---------------------------------------------------------------- the page


def test_scores_page_lists_participants_with_scores_and_comments(organiser_client, world):
    UnitFactory(session=world.session, category=world.town_category, name="滨河街道")  # pool only
    ExternalScore.objects.create(
        session=world.session,
        unit=world.departments[0],
        target=D("91"),
        daily=D("85.5"),
        bonus=D("1"),
        bonus_reason="获省级表彰",
    )
    LeaderComment.objects.create(
        session=world.session,
        unit=world.departments[0],
        author="李副区长",
        text="成绩突出",
        score=D("95"),
    )

    response = organiser_client.get(url("scores"))

    html = response.content.decode()
    assert response.status_code == 200
    assert rows_of(html, "scores-table") == [
        ["城关镇 镇(街道)", "—", "—", "—", "—", "—", "修改"],
        ["东风街道 镇(街道)", "—", "—", "—", "—", "—", "修改"],
        [
            "财政局 区直部门",
            "91.00",
            "85.50",
            "1.00",
            "获省级表彰",
            "李副区长 · 95.00 分 成绩突出",
            "修改",
        ],
        ["教育局 区直部门", "—", "—", "—", "—", "—", "修改"],
        ["民政局 区直部门", "—", "—", "—", "—", "—", "修改"],
    ]
    assert "本评议会的总分构成：综合评议 100%。加减分计入总分。" in text(html)
    assert url("scores_template") in html


def test_scores_page_queries_do_not_grow_with_units(
    organiser_client, world, django_assert_max_num_queries
):
    for unit in world.units:
        ExternalScore.objects.create(session=world.session, unit=unit, target=D("80"))
        LeaderComment.objects.create(session=world.session, unit=unit, author="甲", text="乙")

    with django_assert_max_num_queries(10):
        response = organiser_client.get(url("scores"))

    assert response.status_code == 200


# ---------------------------------------------------------------- inline edit


def test_edit_row_fragment_is_a_form_in_the_row(organiser_client, world):
    unit = world.towns[0]

    response = organiser_client.get(url("score_edit", unit.pk), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<tr id="score-{unit.pk}" class="editing">')
    assert f'hx-post="{url("score_edit", unit.pk)}"' in html
    assert f'hx-get="{url("score_row", unit.pk)}"' in html
    assert "<html" not in html


def test_edit_row_saves_exact_values_and_answers_with_the_row(organiser_client, world):
    unit = world.departments[1]

    response = organiser_client.post(url("score_edit", unit.pk), GOOD_ROW, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<tr id="score-{unit.pk}" class="just-saved">')
    score = ExternalScore.objects.get()
    assert (score.unit, score.target, score.daily, score.bonus, score.bonus_reason) == (
        unit,
        D("95.50"),
        D("88.00"),
        D("-2.00"),
        "通报批评",
    )
    assert score.updated_by.username == "organiser"
    comment = LeaderComment.objects.get()
    assert (comment.unit, comment.author, comment.text, comment.score) == (
        unit,
        "张副区长",
        "工作扎实，亮点突出。",
        D("92.00"),
    )
    assert sorted(AuditLog.objects.values_list("action", flat=True)) == [
        "external_score.save",
        "leader_comment.save",
    ]


def test_edit_row_without_htmx_redirects_to_the_page(organiser_client, world):
    unit = world.towns[0]

    page = organiser_client.get(url("score_edit", unit.pk))
    response = organiser_client.post(url("score_edit", unit.pk), {"target": "77"})

    assert page.status_code == 200
    assert 'action="' + url("score_edit", unit.pk) + '"' in page.content.decode()
    assert (response.status_code, response["Location"]) == (302, url("scores"))
    assert ExternalScore.objects.get().target == D("77.00")
    assert LeaderComment.objects.count() == 0


def test_edit_row_without_changes_writes_nothing(organiser_client, world):
    response = organiser_client.post(url("score_edit", world.towns[0].pk), {}, **HTMX)

    assert response.status_code == 200
    assert (ExternalScore.objects.count(), LeaderComment.objects.count()) == (0, 0)
    assert AuditLog.objects.filter(action__startswith="external_score").count() == 0


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"target": "100.5"}, {"target": ["确保该值小于或等于100。"]}),
        ({"daily": "abc"}, {"daily": ["输入一个数字。"]}),
        ({"bonus": "-101"}, {"bonus": ["确保该值大于或等于-100。"]}),
        ({"target": "90.123"}, {"target": ["确认小数不超过 2 位."]}),
        ({"bonus_reason": ""}, {"bonus_reason": ["有加减分时必须写明理由。"]}),
        ({"comment_author": ""}, {"comment_author": ["填写书面点评时必须写明点评领导。"]}),
        ({"comment_text": "  "}, {"comment_text": ["填写书面点评时必须填写点评内容。"]}),
    ],
)
def test_edit_row_with_bad_input_is_422_with_errors_in_the_row(
    organiser_client, world, changes, errors
):
    unit = world.towns[0]

    response = organiser_client.post(url("score_edit", unit.pk), {**GOOD_ROW, **changes}, **HTMX)

    assert response.status_code == 422
    assert response.content.decode().startswith(f'<tr id="score-{unit.pk}" class="editing">')
    assert response.context["form"].errors == errors
    assert (ExternalScore.objects.count(), LeaderComment.objects.count()) == (0, 0)


def test_a_written_comment_cannot_be_emptied(organiser_client, world):
    unit = world.towns[0]
    LeaderComment.objects.create(session=world.session, unit=unit, author="李副区长", text="好")

    response = organiser_client.post(url("score_edit", unit.pk), {"target": "80"}, **HTMX)

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "comment_author": ["填写书面点评时必须写明点评领导。"],
        "comment_text": ["填写书面点评时必须填写点评内容。"],
    }
    assert ExternalScore.objects.count() == 0


def test_edit_of_a_unit_not_taking_part_is_404(organiser_client, world):
    pool = UnitFactory(session=world.session, category=world.town_category, name="滨河街道")

    assert organiser_client.get(url("score_edit", pool.pk)).status_code == 404
    assert organiser_client.post(url("score_edit", pool.pk), GOOD_ROW).status_code == 404
    assert ExternalScore.objects.count() == 0


def test_cancel_returns_the_row_as_it_reads(organiser_client, world):
    unit = world.towns[0]
    ExternalScore.objects.create(session=world.session, unit=unit, daily=D("66"))

    fragment = organiser_client.get(url("score_row", unit.pk), **HTMX)
    plain = organiser_client.get(url("score_row", unit.pk))

    assert fragment.status_code == 200
    assert rows_of(f'<table id="t"><tbody>{fragment.content.decode()}</tbody></table>', "t") == [
        ["城关镇 镇(街道)", "—", "66.00", "—", "—", "—", "修改"]
    ]
    assert (plain.status_code, plain["Location"]) == (302, url("scores"))


# ---------------------------------------------------------------- import


def test_import_stores_the_rows_and_shows_a_summary(organiser_client, world):
    response = organiser_client.post(url("scores_import"), {"file": upload()})

    html = response.content.decode()
    assert response.status_code == 200
    assert text(re.search(r'id="import-summary">(.*?)</div>', html, re.S).group(1)) == (
        "已导入 3 个单位的其他考核得分：目标考核 2 个，日常考核 2 个，加减分 2 个。未列出的单位保持不变。"
    )
    assert rows_of(html, "import-rows") == [
        ["2", "城关镇", "95.50", "88.00", "0", "—"],
        ["3", "财政局", "90.25", "92.00", "-2.00", "通报批评"],
        ["4", "教育局", "—", "—", "1.50", "获省级表彰"],
    ]
    assert dict(ExternalScore.objects.values_list("unit__name", "target")) == {
        "城关镇": D("95.50"),
        "财政局": D("90.25"),
        "教育局": None,
    }
    assert rows_of(html, "scores-table")[2][:5] == [
        "财政局 区直部门",
        "90.25",
        "92.00",
        "-2.00",
        "通报批评",
    ]


@pytest.mark.parametrize("name", ["scores.xls", "scores-gbk.csv"])
def test_import_reads_xls_and_csv(organiser_client, world, name):
    data = (Path(__file__).parents[1] / "fixtures" / "workbooks" / name).read_bytes()

    response = organiser_client.post(url("scores_import"), {"file": upload(data, name=name)})

    assert response.status_code == 200
    assert rows_of(response.content.decode(), "import-rows") == [
        ["2", "城关镇", "95.50", "88.00", "0", "—"],
        ["3", "财政局", "90.25", "92.00", "-1.00", "-1分：迟报材料"],
        ["4", "教育局", "—", "—", "2.00", "+2分：获省级表彰"],
        ["5", "东风街道", "80.00", "86.75", "0", "—"],
    ]
    assert ExternalScore.objects.count() == 4


def test_import_with_htmx_answers_with_the_panel(organiser_client, world):
    response = organiser_client.post(url("scores_import"), {"file": upload()}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<div id="scores-panel">')
    assert "<html" not in html


def test_import_with_problems_stores_nothing_and_names_row_and_column(organiser_client, world):
    data = scores_bytes([*ROWS, ["城关镇", 80, 80, None, None], ["外单位", 101, 80, None, None]])

    response = organiser_client.post(url("scores_import"), {"file": upload(data)}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 422
    assert rows_of(html, "import-problems") == [
        ["其他考核", "5", "单位", "单位“城关镇”重复（第 2 行已列出）。"],
        ["其他考核", "6", "单位", "“外单位”不是本评议会的述职单位。"],
        ["其他考核", "6", "目标考核", "必须是 0 到 100 之间的数字。"],
    ]
    assert ExternalScore.objects.count() == 0


def test_import_of_a_chart_sheet_is_a_message_not_a_crash(organiser_client, world):
    response = organiser_client.post(url("scores_import"), {"file": upload(chart_sheet_bytes())})

    html = response.content.decode()
    assert response.status_code == 422  # the page, with the problem, as for every bad workbook
    assert rows_of(html, "import-problems") == [
        [
            "其他考核",
            "—",
            "—",
            "这是一张图表工作表，没有数据：请把数据放在名为“其他考核”的普通工作表中。",
        ]
    ]
    assert ExternalScore.objects.count() == 0
    assert AuditLog.objects.filter(action="external_score.import").count() == 0


@pytest.mark.parametrize(
    ("file", "error"),
    [
        (
            SimpleUploadedFile("x.pdf", b"%PDF-1.4", "application/pdf"),
            "只能导入表格文件：Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
            "或 CSV 文本（.csv）。",
        ),
        (
            SimpleUploadedFile("x.xlsx", b"x" * (2 * 1024 * 1024 + 1), XLSX_TYPE),
            "文件大小为 2.0 MB，超过上限 2.0 MB。",
        ),
        (None, "这个字段是必填项。"),
    ],
)
def test_import_refuses_wrong_missing_and_oversized_files(organiser_client, world, file, error):
    response = organiser_client.post(url("scores_import"), {"file": file} if file else {})

    assert response.status_code == 422
    assert response.context["upload_form"].errors == {"file": [error]}
    assert ExternalScore.objects.count() == 0


def test_import_of_a_corrupt_file_is_refused(organiser_client, world):
    response = organiser_client.post(url("scores_import"), {"file": upload(b"PK\x03\x04broken")})

    assert response.status_code == 422
    assert [p.text for p in response.context["problems"]] == [
        "文件是一个损坏或不完整的压缩包（.xlsx 文件本质上是压缩包）：请重新保存后再导入。"
    ]
    assert ExternalScore.objects.count() == 0


def test_template_download_is_the_sessions_sheet(organiser_client, world):
    response = organiser_client.get(url("scores_template"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content))["其他考核"]
    assert [c.value for c in sheet[1]] == ["单位", "目标考核", "日常考核", "加减分", "加减分理由"]
    assert sheet.max_row == 6
