"""scoring/views.py, the results pages: the result per category, the sensitivity panel,
publication, correction, verification, the per-unit report card and the downloads. The session is tests/factories/scoring.py's, whose numbers
tests/scoring/test_services.py works out by hand."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring import services
from scoring.models import ExternalScore, ResultSnapshot
from sessions.models import AuditLog, BallotGrade, ReviewSession
from tests.factories import UnitCategoryFactory, UserFactory
from tests.factories.scoring import RESULTS_SLUG, add_ballot, results_session, scored_session

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
SLUG = RESULTS_SLUG
make_world = results_session


@pytest.fixture
def world():
    return make_world()


def url(name: str, *args) -> str:
    return reverse(f"scoring:{name}", args=[SLUG, *args])


def publish(world) -> ResultSnapshot:
    return services.result_publish(session=world.session, actor=UserFactory(username="publisher"))


def row_time(snapshot) -> str:
    return timezone.localtime(snapshot.created_at).strftime("%Y-%m-%d %H:%M")


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def table(html: str, selector: str) -> list[list[str]]:
    """The body rows of the table whose opening tag contains ``selector``, as cell texts."""
    match = re.search(rf"<table[^>]*{selector}[^>]*>(.*?)</table>", html, flags=re.S)
    assert match, selector
    body = match.group(1).split("<tbody>")[1].split("</tbody>")[0]
    return [
        [text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    ]


def section(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">(.*?)</section>', html, re.S).group(1)


def head(html: str, selector: str) -> list[str]:
    match = re.search(rf"<table[^>]*{selector}[^>]*>(.*?)</table>", html, flags=re.S)
    thead = match.group(1).split("<thead>")[1].split("</thead>")[0]
    return [text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", thead, flags=re.S)]


def test_results_urls_are_under_the_session():
    assert [
        url("results"),
        url("sensitivity"),
        url("verify"),
        url("publish"),
        url("correct"),
        url("report_card", 7),
        url("export_xlsx"),
        url("export_pdf"),
    ] == [
        f"/sessions/{SLUG}/results/",
        f"/sessions/{SLUG}/results/sensitivity/",
        f"/sessions/{SLUG}/results/verify/",
        f"/sessions/{SLUG}/results/publish/",
        f"/sessions/{SLUG}/results/correct/",
        f"/sessions/{SLUG}/results/units/7/",
        f"/sessions/{SLUG}/results/export.xlsx",
        f"/sessions/{SLUG}/results/export.pdf",
    ]


# ---------------------------------------------------------------- who may see what

ALL_PAGES = ["results", "sensitivity", "verify", "publish", "correct", "export_xlsx", "export_pdf"]
# Started by a POST: the working copy is made off the request (scoring/views_pdf.py).
POSTED = {"export_pdf"}


def fetch(client, name: str):
    return client.post(url(name)) if name in POSTED else client.get(url(name))


@pytest.mark.parametrize("name", [*ALL_PAGES, "report_card"])
def test_results_pages_send_anonymous_users_to_login(client, world, name):
    target = url(name, world.towns[0].pk) if name == "report_card" else url(name)

    response = client.get(target)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={target}")


def test_results_pages_are_forbidden_to_users_without_a_role(client, world):
    client.force_login(UserFactory())
    publish(world)

    statuses = [fetch(client, name).status_code for name in ALL_PAGES]

    assert statuses == [403] * len(ALL_PAGES)


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_preview_is_forbidden_to_observers_and_moderators(request, world, who):
    client = request.getfixturevalue(who)

    statuses = [
        client.get(url("results")).status_code,
        client.get(url("report_card", world.towns[0].pk)).status_code,
        client.get(url("export_xlsx")).status_code,
        client.post(url("export_pdf")).status_code,
        client.get(url("verify")).status_code,
        client.get(url("sensitivity")).status_code,
        client.get(url("publish")).status_code,
        client.post(url("publish"), {"inputs_hash": "x"}).status_code,
        client.post(url("correct"), {"reason": "理由写得足够长"}).status_code,
    ]

    assert statuses == [403] * 9
    assert ResultSnapshot.objects.count() == 0


def test_observer_sees_the_published_result_and_may_verify(observer_client, world):
    publish(world)

    page = observer_client.get(url("results"))
    card = observer_client.get(url("report_card", world.towns[0].pk))
    verify = observer_client.get(url("verify"), **HTMX)

    assert (page.status_code, card.status_code, verify.status_code) == (200, 200, 200)
    html = page.content.decode()
    assert "第 1 版" in html
    assert "预览（未发布）" not in html
    # Organisers' tools are not offered, and refused if asked for.
    assert url("sensitivity") not in html
    assert url("correct") not in html
    assert url("verify") in html
    assert observer_client.get(url("sensitivity")).status_code == 403
    assert observer_client.post(url("correct"), {"reason": "理由写得足够长"}).status_code == 403


def test_moderator_sees_the_published_result_but_not_verification(moderator_client, world):
    publish(world)

    page = moderator_client.get(url("results"))
    verify = moderator_client.get(url("verify"))

    assert (page.status_code, verify.status_code) == (200, 403)
    assert url("verify") not in page.content.decode()


def test_results_page_for_an_unknown_session_is_404(organiser_client, world):
    response = organiser_client.get("/sessions/no-such-session/results/")

    assert response.status_code == 404


@pytest.mark.parametrize("status", [Status.DRAFT, Status.READY, Status.LIVE])
def test_results_page_before_rating_says_there_is_nothing_yet(organiser_client, status):
    make_world(status=status)

    response = organiser_client.get(url("results"))

    assert response.status_code == 200
    assert "doc" not in response.context
    label = ReviewSession.Status(status).label
    assert f"评议会状态为“{label}”：开始评议后才能预览结果。" in response.content.decode()


# ---------------------------------------------------------------- the result


def test_results_page_shows_the_preview_per_category(organiser_client, world):
    response = organiser_client.get(url("results"))

    html = response.content.decode()
    assert response.status_code == 200
    assert text(re.search(r'id="result-banner">(.*?)</div>', html, re.S).group(1)).startswith(
        "预览（未发布）"
    )
    town, dept = world.town_category.pk, world.department_category.pk
    assert head(html, f'id="result-{town}"') == [
        "排名",
        "单位",
        "县级领导",
        "区直部门",
        "综合评议得分",
        "加减分",
        "总分",
        "等次",
        "说明",
    ]
    capped = "达到优秀分数线，但超出优秀比例，定为良好"
    assert table(html, f'id="result-{town}"') == [
        ["1", "东风街道", "93.33", "100.00", "95.55", "0.00", "95.55", "良好 优秀比例限制", capped],
        ["2", "城关镇", "93.33", "90.00", "92.22", "0.00", "92.22", "良好 优秀比例限制", capped],
    ]
    assert table(html, f'id="result-{dept}"') == [
        ["1", "财政局", "93.33", "90.00", "92.22", "0.00", "92.22", "良好 优秀比例限制", capped],
        ["2", "教育局", "53.33", "70.00", "58.89", "0.00", "58.89", "较差 分数线", ""],
        ["3", "民政局", "53.33", "50.00", "52.22", "0.00", "52.22", "较差 分数线", ""],
    ]
    assert table(section(html, "awards"), "") == [
        ["镇(街道)", "—", "东风街道、城关镇"],
        ["区直部门", "—", "财政局"],
    ]
    assert response.context["can_publish"] is True
    assert response.context["doc"].ballots_used == 5


def test_results_page_marks_groups_without_data_and_every_flag(organiser_client):
    # 区直部门 gives 民政局 only one vote (minimum 2): no data, weights renormalised.
    world = make_world()
    BallotGrade.objects.filter(
        ballot__group=world.departments_group, unit=world.departments[2]
    ).first().delete()
    ExternalScore.objects.create(
        session=world.session, unit=world.towns[0], bonus=Decimal("1.5"), bonus_reason="抗洪抢险"
    )

    html = organiser_client.get(url("results")).content.decode()

    rows = table(html, f'id="result-{world.department_category.pk}"')
    assert rows[2] == [
        "3",
        "民政局",
        "53.33",
        "无数据",
        "53.33",
        "0.00",
        "53.33",
        "较差 分数线",
        "区直部门有效票不足，不计入 ； 权重已按有数据的评议组重新折算",
    ]
    towns = table(html, f'id="result-{world.town_category.pk}"')
    assert towns[1][1:7] == ["城关镇", "93.33", "90.00", "92.22", "1.50", "93.72"]
    assert towns[1][8] == "达到优秀分数线，但超出优秀比例，定为良好 ；加减分理由：抗洪抢险"


def test_results_page_has_a_column_per_weighted_component(organiser_client):
    world = make_world(weight_review=Decimal("60"), weight_target=Decimal("40"))
    ExternalScore.objects.create(session=world.session, unit=world.towns[0], target=Decimal("80"))
    UnitCategoryFactory(session=world.session, name="开发区", order=3)  # no participants

    html = organiser_client.get(url("results")).content.decode()

    town = world.town_category.pk
    assert head(html, f'id="result-{town}"')[4:8] == ["综合评议得分", "目标考核", "加减分", "总分"]
    # 60 % × 92.22 + 40 % × 80 = 87.33; 东风街道 has no 目标考核: no total, no rank.
    assert [row[:8] for row in table(html, f'id="result-{town}"')] == [
        ["1", "城关镇", "93.33", "90.00", "92.22", "80.00", "0.00", "87.33"],
        ["—", "东风街道", "93.33", "100.00", "95.55", "—", "0.00", "—"],
    ]
    assert table(html, f'id="result-{town}"')[1][9] == "缺少目标考核得分，未计算总分"
    assert "开发区" not in html.split('id="awards"')[0].split("</nav>")[1]
    assert [row[0] for row in table(section(html, "awards"), "")] == ["镇(街道)", "区直部门"]


def test_results_page_lists_void_and_flagged_ballots_with_links(organiser_client, world):
    void = add_ballot(
        world, world.leaders, "PPPPP", voided_at=timezone.now(), void_reason="重复录入"
    )
    flagged = add_ballot(world, world.leaders, "GGGGG", flags=["identical"])

    html = organiser_client.get(url("results")).content.decode()

    void_link = reverse("review:ballot_detail", args=[SLUG, void.pk])
    flagged_link = reverse("review:ballot_detail", args=[SLUG, flagged.pk])
    void_card = re.search(r'id="void-ballots">(.*?)</section>', html, re.S).group(1)
    flagged_card = re.search(r'id="flagged-ballots">(.*?)</section>', html, re.S).group(1)
    assert f'<a href="{void_link}">{void.pk.hex[:8]}</a>' in void_card
    assert text(void_card) == f"作废的评议票 {void.pk.hex[:8]} · 平板 · 重复录入"
    assert f'<a href="{flagged_link}">{flagged.pk.hex[:8]}</a>' in flagged_card
    assert text(flagged_card).startswith(
        f"被标记的评议票 {flagged.pk.hex[:8]} · 平板 · 所有单位评价相同"
    )
    assert (
        re.search(r'id="ballots-used">(\d+)<', html).group(1),
        re.search(r'id="ballots-void">(\d+)<', html).group(1),
    ) == ("6", "1")


def test_results_page_shows_participation_scheme_and_footnotes(organiser_client, world):
    html = organiser_client.get(url("results")).content.decode()

    assert table(section(html, "result-participation"), "") == [
        ["县级领导", "0", "3", "0", "0", "3"],
        ["区直部门", "0", "2", "0", "0", "2"],
    ]
    scheme = text(re.search(r'id="result-scheme">(.*?)</section>', html, re.S).group(1))
    assert "综合评议得分 = 县级领导 × 66.67% + 区直部门 × 33.33%" in scheme
    assert "输入数据 SHA-256：" in scheme


def test_published_result_shows_the_version_and_the_snapshot_list(organiser_client, world):
    snapshot = publish(world)

    html = organiser_client.get(url("results")).content.decode()

    banner = text(re.search(r'id="result-banner">(.*?)</div>', html, re.S).group(1))
    assert banner.startswith("第 1 版 发布于 ")
    assert banner.endswith(f"publisher 输入数据 SHA-256：{snapshot.inputs_hash}")
    created = timezone.localtime(snapshot.created_at).strftime("%Y-%m-%d %H:%M")
    snapshots = re.search(r'id="snapshots">(.*?)</section>', html, re.S).group(1)
    assert text(snapshots) == (
        f"发布记录 版本 时间 发布人 更正理由 输入数据 SHA-256 1 {created} publisher — "
        f"{snapshot.inputs_hash}"
    )


def test_results_page_query_count_is_bounded(
    organiser_client, world, django_assert_max_num_queries
):
    for _ in range(10):
        add_ballot(world, world.leaders, "GFGAP")

    # Measured: 26 for the preview (it computes), 15 once published (it reads the snapshot),
    # one of them the user's roles in the districts; neither grows with the number of ballots
    # or units (no query per row).
    with django_assert_max_num_queries(28):
        preview = organiser_client.get(url("results"))
    publish(world)
    with django_assert_max_num_queries(17):
        published = organiser_client.get(url("results"))

    assert (preview.status_code, published.status_code) == (200, 200)


# ---------------------------------------------------------------- sensitivity


def test_sensitivity_fragment_shows_only_the_changes(organiser_client, world):
    response = organiser_client.get(url("sensitivity"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="sensitivity-panel"')
    assert "<html" not in html
    # Two header rows: what changes, then (under each weight change) the group.
    assert head(html, "sensitivity") == [
        "单位",
        "名次",
        "等次",
        "去掉一个最高值和一个最低值",
        "权重 +10",
        "权重 −10",
        "不计该组",
        *["县级领导", "区直部门"] * 3,
    ]
    first = html.split("</table>")[0]
    assert re.findall(r'<th class="variant" scope="col" title="([^"]+)"', first) == [
        "县级领导权重 +10",
        "区直部门权重 +10",
        "县级领导权重 −10",
        "区直部门权重 −10",
        "不计县级领导",
        "不计区直部门",
    ]
    same = ["·"] * 5
    # Without 县级领导, 教育局 scores 70 (一般); without 区直部门, 城关镇 ties 东风街道 at 93.33
    # and 民政局 ties 教育局 at 53.33.
    tables = re.findall(r'<table class="sensitivity">.*?</table>', html, flags=re.S)
    assert [table(t, "sensitivity") for t in tables] == [
        [
            ["东风街道", "1", "良好", *same, "·", "·"],
            ["城关镇", "2", "良好", *same, "·", "第1名 良好"],
        ],
        [
            ["财政局", "1", "良好", *same, "·", "·"],
            ["教育局", "2", "较差", *same, "第2名 一般", "·"],
            ["民政局", "3", "较差", *same, "·", "第2名 较差"],
        ],
    ]
    assert "5 个单位中，有 3 个单位的名次或等次在至少一种假设下会发生变化。" in text(html)


def test_sensitivity_without_htmx_opens_the_panel_on_the_results_page(organiser_client, world):
    response = organiser_client.get(url("sensitivity"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="result-banner"' in html
    assert '<section id="sensitivity-panel"' in html


def test_sensitivity_is_offered_to_organisers_after_publication_too(organiser_client, world):
    publish(world)

    page = organiser_client.get(url("results")).content.decode()
    panel = organiser_client.get(url("sensitivity"), **HTMX)

    assert f'hx-get="{url("sensitivity")}"' in page
    assert panel.status_code == 200


# ---------------------------------------------------------------- publish


def test_publish_page_shows_what_will_be_frozen(organiser_client, world):
    response = organiser_client.get(url("publish"))

    html = response.content.decode()
    computed = services.compute(world.session)
    assert response.status_code == 200
    facts = text(re.search(r'id="publish-facts">(.*?)</dl>', html, re.S).group(1))
    assert facts == (
        "单位 5 个（2 个类别），其中 5 个有名次 计入结果的评议票 5 作废评议票 0 "
        "被标记的评议票 0（计入结果） 优秀单位 镇(街道)：—；区直部门：— "
        f"输入数据 SHA-256 {computed.inputs_hash}"
    )
    assert "发布是最终的。" in html
    assert f'value="{computed.inputs_hash}"' in html


def test_publish_page_counts_and_awards_only_categories_with_participants(organiser_client, world):
    UnitCategoryFactory(session=world.session, name="开发区", order=3)  # no participants

    html = organiser_client.get(url("publish")).content.decode()

    facts = text(re.search(r'id="publish-facts">(.*?)</dl>', html, re.S).group(1))
    assert facts.startswith("单位 5 个（2 个类别），其中 5 个有名次 ")
    assert "优秀单位 镇(街道)：—；区直部门：— " in facts
    assert "开发区" not in facts


def test_publish_freezes_the_result_once(organiser_client, world):
    inputs_hash = services.compute(world.session).inputs_hash

    first = organiser_client.post(url("publish"), {"inputs_hash": inputs_hash})
    second = organiser_client.post(url("publish"), {"inputs_hash": inputs_hash})

    assert (first.status_code, first["Location"]) == (302, url("results"))
    assert second.status_code == 409
    assert "结果已经发布，不能再次发布" in second.content.decode()
    snapshot = ResultSnapshot.objects.get()
    assert (snapshot.number, snapshot.inputs_hash, snapshot.created_by.username) == (
        1,
        inputs_hash,
        "organiser",
    )
    world.session.refresh_from_db()
    assert world.session.status == Status.PUBLISHED
    assert AuditLog.objects.filter(action="result.publish").count() == 1


def test_publish_while_rating_is_refused(organiser_client):
    world = make_world(status=Status.RATING)
    inputs_hash = services.compute(world.session).inputs_hash

    page = organiser_client.get(url("publish"))
    response = organiser_client.post(url("publish"), {"inputs_hash": inputs_hash})

    message = "只有评议已结束的评议会才能发布结果；当前状态：评议中。"
    assert page.status_code == 200
    assert message in page.content.decode()
    assert "确认发布" not in page.content.decode()
    assert response.status_code == 409
    assert message in response.content.decode()
    assert ResultSnapshot.objects.count() == 0
    world.session.refresh_from_db()
    assert world.session.status == Status.RATING


def test_publish_refuses_when_the_inputs_changed_after_confirmation(organiser_client, world):
    confirmed = services.compute(world.session).inputs_hash
    add_ballot(world, world.leaders, "PPPPP")  # a paper ballot keyed in meanwhile

    response = organiser_client.post(url("publish"), {"inputs_hash": confirmed})

    html = response.content.decode()
    assert response.status_code == 409
    assert "确认之后输入数据发生了变化" in html
    assert services.compute(world.session).inputs_hash in html  # the new figures to confirm
    assert ResultSnapshot.objects.count() == 0
    world.session.refresh_from_db()
    assert world.session.status == Status.CLOSED


def test_publish_without_the_confirmed_hash_is_refused(organiser_client, world):
    response = organiser_client.post(url("publish"), {})

    assert response.status_code == 409
    assert ResultSnapshot.objects.count() == 0


# ---------------------------------------------------------------- correct


def test_correction_without_a_reason_is_refused(organiser_client, world):
    publish(world)

    empty = organiser_client.post(url("correct"), {})
    blank = organiser_client.post(url("correct"), {"reason": ""})
    short = organiser_client.post(url("correct"), {"reason": "错了"})

    assert (empty.status_code, blank.status_code, short.status_code) == (422, 422, 422)
    assert blank.context["form"].errors == {"reason": ["这个字段是必填项。"]}
    assert short.context["form"].errors == {"reason": ["确保该变量至少包含 5 字符(目前字符数 2)。"]}
    assert ResultSnapshot.objects.count() == 1


def test_correction_publishes_the_next_version(organiser_client, world):
    first = publish(world)
    ExternalScore.objects.create(
        session=world.session,
        unit=world.departments[1],
        bonus=Decimal("-2"),
        bonus_reason="通报批评",
    )

    page = organiser_client.get(url("correct"))
    response = organiser_client.post(url("correct"), {"reason": "补录教育局的加减分"})

    assert page.status_code == 200
    assert (response.status_code, response["Location"]) == (302, url("results"))
    latest = ResultSnapshot.objects.get(number=2)
    assert (latest.reason, latest.created_by.username) == ("补录教育局的加减分", "organiser")
    assert latest.inputs_hash != first.inputs_hash
    html = organiser_client.get(url("results")).content.decode()
    assert "第 2 版" in html
    assert "本结果为第 2 版（更正）：补录教育局的加减分" in html
    snapshots = re.search(r'id="snapshots">(.*?)</section>', html, re.S).group(1)
    assert [row[:2] for row in table(snapshots, "")][0] == ["2", row_time(latest)]
    assert [row[3] for row in table(snapshots, "")] == ["补录教育局的加减分", "—"]


def test_correction_before_publication_is_a_conflict(organiser_client, world):
    page = organiser_client.get(url("correct"))
    response = organiser_client.post(url("correct"), {"reason": "理由写得足够长"})

    assert page.status_code == 200
    assert "只有已发布的结果才能更正。" in page.content.decode()
    assert response.status_code == 409
    assert ResultSnapshot.objects.count() == 0


# ---------------------------------------------------------------- verify


def test_verify_confirms_an_unchanged_result(organiser_client, world):
    snapshot = publish(world)

    response = organiser_client.get(url("verify"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="verify-panel"')
    assert "核验通过" in html
    assert html.count(snapshot.inputs_hash) == 2
    assert 'id="verify-differences"' not in html


def test_verify_after_a_ballot_grade_is_altered_names_the_unit(organiser_client, world):
    snapshot = publish(world)
    # 区直部门's first ballot: 民政局 一般 → 好, behind the application's back.
    BallotGrade.objects.filter(
        ballot__group=world.departments_group, unit=world.departments[2], grade="average"
    ).update(grade="good")

    response = organiser_client.get(url("verify"), **HTMX)
    page = organiser_client.get(url("verify"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "核验未通过" in html
    differences = re.search(r'id="verify-differences">(.*?)</ul>', html, re.S).group(1)
    lines = [text(li) for li in re.findall(r"<li>(.*?)</li>", differences, re.S)]
    # 民政局 now ties 教育局 at 58.89: its row changes, 教育局's (still second) does not.
    assert lines == ["民政局: 评议组票数与得分、综合评议得分、各项得分、总分、排名、“好”票数"]
    assert snapshot.inputs_hash in html
    assert page.status_code == 200
    assert 'id="result-banner"' in page.content.decode()
    assert "核验未通过" in page.content.decode()


def test_verify_before_publication_is_forbidden_to_observers(observer_client, world):
    assert observer_client.get(url("verify")).status_code == 403


# ---------------------------------------------------------------- report card


def test_report_card_shows_votes_scores_rank_and_band(organiser_client, world):
    response = organiser_client.get(url("report_card", world.departments[1].pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>教育局</h2>" in html
    assert table(html, 'id="card-groups"') == [
        ["县级领导", "0", "0", "2", "1", "0", "3", "53.33", ""],
        ["区直部门", "0", "1", "1", "0", "0", "2", "70.00", ""],
    ]
    assert table(html, 'id="card-components"') == [
        ["综合评议得分", "58.89"],
        ["加减分", "0.00"],
        ["总分", "58.89"],
    ]
    assert re.search(r'id="card-rank">(.*?)</b>', html).group(1) == "2 / 3"
    assert (
        text(re.search(r'id="card-band">(.*?)</span>', html, re.S).group(1)) == "较差 依据：分数线"
    )


def test_report_card_shows_the_change_in_rank_since_last_year(organiser_client):
    last_year = scored_session(
        leaders=["GGGGG", "PPPPA", "AAAAP"], departments=["GGGGA", "PPPPA"], year=2025
    )
    services.result_publish(session=last_year.session, actor=None)
    ReviewSession.objects.filter(pk=last_year.session.pk).update(kind="annual")
    world = make_world()
    ReviewSession.objects.filter(pk=world.session.pk).update(kind="annual")

    html = organiser_client.get(url("report_card", world.towns[0].pk)).content.decode()

    # 城关镇 was first of the towns in 2025 (GGG / GP against PAA / PA), second now.
    assert text(re.search(r'id="card-rank-change">(.*?)</span>', html, re.S).group(1)) == (
        "上年第 1 名，下降 1 位"
    )


def test_report_card_of_a_unit_not_taking_part_is_404(organiser_client, world):
    response = organiser_client.get(url("report_card", 999999))

    assert response.status_code == 404


def test_report_card_shows_preview_marking(organiser_client, world):
    html = organiser_client.get(url("report_card", world.towns[0].pk)).content.decode()

    assert '<span class="report-status preview">预览（未发布）</span>' in html


# ---------------------------------------------------------------- downloads


def test_xlsx_download_is_the_exporters_file(organiser_client, world):
    xlsx = pytest.importorskip("scoring.exports.xlsx")
    from scoring import document

    response = organiser_client.get(url("export_xlsx"))

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"
    assert len(response.content) > 0
    assert xlsx.render(document.build(world.session))[:2] == b"PK"


def test_results_page_pdf_button_starts_the_job_and_shows_progress(organiser_client, world):
    html = organiser_client.get(url("results")).content.decode()

    form = re.search(rf'<form [^>]*action="{url("export_pdf")}"[^>]*>(.*?)</form>', html, re.S)
    assert 'method="post"' in form.group(0)
    assert "data-download" in form.group(0)
    assert 'data-status="download-status"' in form.group(0)
    assert 'data-busy="正在生成 PDF（通报和 5 份成绩单），请稍候……"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert (
        '<p class="notice info" id="download-status" role="status" aria-live="polite" hidden>'
        in html
    )
    assert '<script src="/static/js/download.js" defer></script>' in html


def test_download_with_a_token_answers_with_the_cookie_the_page_waits_for(organiser_client, world):
    response = organiser_client.get(url("export_xlsx"), {"download_token": "1733312345123456"})

    assert response.status_code == 200
    cookie = response.cookies["huiji_download"]
    assert (cookie.value, cookie["max-age"], cookie["samesite"]) == ("1733312345123456", 60, "Lax")


@pytest.mark.parametrize("token", ["", "abc", "1" * 41, "1;path=/"])
def test_xlsx_download_with_a_bad_or_no_token_sets_no_cookie(organiser_client, world, token):
    response = organiser_client.get(url("export_xlsx"), {"download_token": token})

    assert response.status_code == 200
    assert "huiji_download" not in response.cookies


def test_downloads_before_rating_are_a_conflict(organiser_client):
    make_world(status=Status.READY)

    response = organiser_client.get(url("export_xlsx"))

    assert response.status_code == 409
