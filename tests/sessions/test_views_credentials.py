"""sessions/views/credentials.py: the 评议码 pages and the cards PDF."""

from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from core.models import RenderJob
from org.access import Role
from org.models import District
from sessions import credentials as credential_services
from sessions.models import AuditLog, Credential, ReviewSession
from sessions.views.credentials import CARDS_IN_REQUEST
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
INVALID_CHOICE = ["选择一个有效的选项： 该选择不在可用的选项中。"]


@pytest.fixture
def session():
    return ReviewSessionFactory(slug="2026-mid", title="2026年年中述职讲评会")


@pytest.fixture
def group(session):
    return RaterGroupFactory(session=session, name="县级领导")


@pytest.fixture
def issued(session, group):
    """Two active codes, one revoked, one used, in one group; one active in another group."""
    other = RaterGroupFactory(session=session, name="镇(街道)")
    return {
        "active": CredentialFactory(session=session, group=group, code="AAAA2222"),
        "active2": CredentialFactory(session=session, group=group, code="BBBB3333"),
        "revoked": CredentialFactory(
            session=session, group=group, code="CCCC4444", status=Credential.Status.REVOKED
        ),
        "used": BallotFactory(
            credential=CredentialFactory(session=session, group=group, code="DDDD5555")
        ).used_credential,
        "other": CredentialFactory(session=session, group=other, code="EEEE6666"),
    }


def url(name, *args, slug="2026-mid"):
    return reverse(f"review:{name}", args=[slug, *args])


def count_row(response, name):
    row = next(r for r in response.context["counts"] if r.group and r.group.name == name)
    return (row.issued, row.active, row.revoked, row.used)


CODES = ["AAAA2222", "BBBB3333", "CCCC4444", "DDDD5555", "EEEE6666"]


# ---------------------------------------------------------------- list


def test_credential_list_sends_anonymous_users_to_login(client, session):
    response = client.get(url("credentials"))

    assert (response.status_code, response["Location"]) == (
        302,
        f"/login/?next={url('credentials')}",
    )


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_credential_list_shows_counts_but_never_codes_to_other_roles(request, who, issued):
    client = request.getfixturevalue(who)

    response = client.get(url("credentials"))

    assert response.status_code == 200
    assert count_row(response, "县级领导") == (4, 2, 1, 1)
    assert count_row(response, "镇(街道)") == (1, 1, 0, 0)
    content = response.content.decode()
    assert [code for code in CODES if code in content] == []
    assert "credentials" not in response.context
    assert url("credential_cards") not in content


def test_credential_list_shows_codes_and_total_to_organisers(organiser_client, issued):
    response = organiser_client.get(url("credentials"))

    assert response.status_code == 200
    content = response.content.decode()
    assert [code for code in CODES if code in content] == CODES
    total = response.context["counts"][-1]
    assert (total.group, total.issued, total.active, total.revoked, total.used) == (
        None,
        5,
        3,
        1,
        1,
    )


def test_credential_list_filters_by_group(organiser_client, issued, group):
    response = organiser_client.get(url("credentials"), {"group": group.pk})

    content = response.content.decode()
    assert [code for code in CODES if code in content] == CODES[:4]
    assert [r.group.name for r in response.context["counts"][:-1]] == ["县级领导"]


def test_credential_list_foreign_group_filter_is_an_error(organiser_client, issued):
    foreign = RaterGroupFactory()

    response = organiser_client.get(url("credentials"), {"group": foreign.pk})

    assert response.status_code == 400
    assert response.context["filter_form"].errors == {"group": INVALID_CHOICE}


def test_credential_list_queries_do_not_grow_with_credentials(
    organiser_client, session, group, django_assert_max_num_queries
):
    for _ in range(30):
        reissued = CredentialFactory(
            session=session, group=group, holder_unit=UnitFactory(session=session)
        )
        CredentialFactory(session=session, group=group, reissued_from=reissued)
    BallotFactory(credential=CredentialFactory(session=session, group=group))

    with django_assert_max_num_queries(13):  # with the user's roles in the districts
        response = organiser_client.get(url("credentials"))

    assert response.status_code == 200
    assert len(response.context["credentials"]) == 61


# ---------------------------------------------------------------- generate


def test_credential_generate_by_count_redirects_to_the_list(organiser_client, session, group):
    response = organiser_client.post(url("credential_generate"), {"group": group.pk, "count": 5})

    assert (response.status_code, response["Location"]) == (302, url("credentials"))
    assert Credential.objects.filter(session=session, group=group).count() == 5


def test_credential_generate_by_names_ignores_count(organiser_client, session, group):
    unit = UnitFactory(session=session)

    organiser_client.post(
        url("credential_generate"),
        {
            "group": group.pk,
            "count": "0",
            "holder_names": "张三\r\n\r\n李四\r\n",
            "holder_unit": unit.pk,
        },
    )

    issued = Credential.objects.filter(session=session).order_by("id")
    assert [(c.holder_name, c.holder_unit_id) for c in issued] == [
        ("张三", unit.pk),
        ("李四", unit.pk),
    ]


def test_credential_generate_htmx_returns_the_panel_only(organiser_client, session, group):
    response = organiser_client.post(
        url("credential_generate"), {"group": group.pk, "count": 3}, **HTMX
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="credentials-panel">')
    assert "已生成 3 个评议码。" in content
    codes = Credential.objects.filter(session=session).values_list("code", flat=True)
    assert [code for code in codes if code in content] == list(codes)


@pytest.mark.parametrize(
    ("count", "error"),
    [
        ("0", "确保该值大于或等于1。"),
        ("abc", "输入整数。"),
        ("", "请填写数量，或填写持有人名单。"),
        ("2001", "确保该值小于或等于2000。"),
    ],
)
def test_credential_generate_bad_count_is_an_error_and_creates_nothing(
    organiser_client, session, group, count, error
):
    response = organiser_client.post(
        url("credential_generate"), {"group": group.pk, "count": count}
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"count": [error]}
    assert Credential.objects.count() == 0


def test_credential_generate_foreign_group_or_unit_is_an_error(organiser_client, session, group):
    foreign_group = RaterGroupFactory()
    foreign_unit = UnitFactory()

    by_group = organiser_client.post(
        url("credential_generate"), {"group": foreign_group.pk, "count": 2}
    )
    by_unit = organiser_client.post(
        url("credential_generate"), {"group": group.pk, "count": 2, "holder_unit": foreign_unit.pk}
    )

    assert (by_group.status_code, by_unit.status_code) == (422, 422)
    assert by_group.context["form"].errors == {"group": INVALID_CHOICE}
    assert by_unit.context["form"].errors == {"holder_unit": INVALID_CHOICE}
    assert Credential.objects.count() == 0


def test_credential_generate_htmx_error_is_shown_in_the_panel(organiser_client, group):
    response = organiser_client.post(
        url("credential_generate"), {"group": group.pk, "count": "0"}, **HTMX
    )

    assert response.status_code == 422
    assert "<html" not in response.content.decode()
    assert "确保该值大于或等于1。" in response.content.decode()
    assert response.context["form"].errors == {"count": ["确保该值大于或等于1。"]}
    assert Credential.objects.count() == 0


def test_credential_generate_service_error_is_shown(organiser_client, group):
    response = organiser_client.post(
        url("credential_generate"), {"group": group.pk, "holder_names": "张" * 101}
    )

    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == ["持有人姓名不能超过 100 个字符。"]
    assert Credential.objects.count() == 0


def test_credential_generate_closed_session_is_refused(organiser_client, group):
    ReviewSession.objects.filter(pk=group.session_id).update(status=ReviewSession.Status.CLOSED)

    response = organiser_client.post(url("credential_generate"), {"group": group.pk, "count": 1})

    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [
        "评议会状态为“评议已结束”，不能再发放评议码。"
    ]
    assert Credential.objects.count() == 0


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_credential_generate_is_forbidden_to_other_roles(request, who, group):
    client = request.getfixturevalue(who)

    response = client.post(url("credential_generate"), {"group": group.pk, "count": 1})

    assert response.status_code == 403
    assert Credential.objects.count() == 0


# ---------------------------------------------------------------- revoke and reissue


def test_credential_revoke_get_asks_for_confirmation(organiser_client, issued):
    credential = issued["active"]

    response = organiser_client.get(url("credential_revoke", credential.pk))

    assert response.status_code == 200
    assert "作废评议码 AAAA 2222？" in response.content.decode()
    credential.refresh_from_db()
    assert credential.status == Credential.Status.ACTIVE


def test_credential_revoke_post_revokes_and_redirects(organiser_client, issued, group):
    credential = issued["active"]

    response = organiser_client.post(url("credential_revoke", credential.pk))

    assert (response.status_code, response["Location"]) == (
        302,
        f"{url('credentials')}?group={group.pk}",
    )
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REVOKED
    assert AuditLog.objects.filter(action="credential.revoke").count() == 1


def test_credential_revoke_used_shows_the_error(organiser_client, issued):
    credential = issued["used"]

    response = organiser_client.post(url("credential_revoke", credential.pk))

    assert response.status_code == 409
    assert response.context["error"] == f"评议码 #{credential.pk} 已提交评议表，不能作废。"
    credential.refresh_from_db()
    assert credential.status == Credential.Status.ACTIVE


def test_credential_revoke_tampered_id_is_404(organiser_client, session):
    foreign = CredentialFactory()

    get = organiser_client.get(url("credential_revoke", foreign.pk))
    post = organiser_client.post(url("credential_revoke", foreign.pk))

    assert (get.status_code, post.status_code) == (404, 404)
    foreign.refresh_from_db()
    assert foreign.status == Credential.Status.ACTIVE


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_credential_revoke_and_reissue_are_forbidden_to_other_roles(request, who, issued):
    client = request.getfixturevalue(who)
    credential = issued["active"]

    responses = [
        client.get(url("credential_revoke", credential.pk)).status_code,
        client.post(url("credential_revoke", credential.pk)).status_code,
        client.get(url("credential_reissue", credential.pk)).status_code,
        client.post(url("credential_reissue", credential.pk)).status_code,
    ]

    assert responses == [403, 403, 403, 403]
    assert Credential.objects.filter(status=Credential.Status.REVOKED).count() == 1


def test_credential_reissue_post_issues_a_new_code(organiser_client, issued):
    old = issued["active"]

    response = organiser_client.post(url("credential_reissue", old.pk), follow=True)

    new = Credential.objects.get(reissued_from=old)
    old.refresh_from_db()
    assert old.status == Credential.Status.REVOKED
    assert response.status_code == 200
    assert (
        f"已补发新评议码 {new.code}（原码 AAAA2222 已作废），请打印新卡交给持有人。"
        in response.content.decode()
    )


def test_credential_reissue_used_shows_the_error(organiser_client, issued):
    credential = issued["used"]

    response = organiser_client.post(url("credential_reissue", credential.pk))

    assert response.status_code == 409
    assert response.context["error"] == f"评议码 #{credential.pk} 已提交评议表，不能补发。"
    assert Credential.objects.filter(reissued_from=credential).count() == 0


def test_credential_reissue_tampered_id_is_404(organiser_client, session):
    foreign = CredentialFactory()

    response = organiser_client.post(url("credential_reissue", foreign.pk))

    assert response.status_code == 404
    assert Credential.objects.filter(reissued_from=foreign).count() == 0


# ---------------------------------------------------------------- cards PDF


def test_credential_cards_is_a_pdf_for_organisers(organiser_client, issued):
    response = organiser_client.get(url("credential_cards"))

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('评议码-2026-mid.pdf')}"
    )
    assert body.startswith(b"%PDF")
    entry = AuditLog.objects.get(action="credential.print")
    assert entry.message == "打印 3 张评议卡"
    assert entry.detail["credentials"] == sorted(
        [issued["active"].pk, issued["active2"].pk, issued["other"].pk]
    )


def test_credential_cards_by_group_and_by_ids(organiser_client, issued, group):
    by_group = organiser_client.get(url("credential_cards"), {"group": group.pk})
    by_ids = organiser_client.get(url("credential_cards"), {"ids": f"{issued['other'].pk}"})

    assert (by_group.status_code, by_ids.status_code) == (200, 200)
    details = [e.detail["credentials"] for e in AuditLog.objects.order_by("id")]
    assert details == [
        [issued["active"].pk, issued["active2"].pk],
        [issued["other"].pk],
    ]


@pytest.mark.parametrize("which", ["revoked", "used"])
def test_credential_cards_refuses_revoked_or_used_ids(organiser_client, issued, which):
    ids = f"{issued['active'].pk},{issued[which].pk}"

    response = organiser_client.get(url("credential_cards"), {"ids": ids})

    assert (response.status_code, response["Location"]) == (302, url("credentials"))
    assert AuditLog.objects.filter(action="credential.print").count() == 0


@pytest.mark.parametrize("query", [{"ids": "1,x"}, {"group": "999999"}])
def test_credential_cards_bad_query_redirects_with_an_error(organiser_client, issued, query):
    response = organiser_client.get(url("credential_cards"), query, follow=True)

    assert response.redirect_chain == [(url("credentials"), 302)]
    assert "打印范围无效" in response.content.decode()
    assert AuditLog.objects.filter(action="credential.print").count() == 0


def test_credential_cards_with_nothing_to_print_redirects(organiser_client, session, group):
    response = organiser_client.get(url("credential_cards"), follow=True)

    assert response.redirect_chain == [(url("credentials"), 302)]
    assert "没有可打印的评议码" in response.content.decode()


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_credential_cards_is_forbidden_to_other_roles(request, who, issued):
    client = request.getfixturevalue(who)

    response = client.get(url("credential_cards"))

    assert response.status_code == 403
    assert AuditLog.objects.filter(action="credential.print").count() == 0


def test_credential_cards_sends_anonymous_users_to_login(client, issued):
    response = client.get(url("credential_cards"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# ---------------------------------------------------------------- own-unit codes per unit


@pytest.fixture
def towns(session):
    category = UnitCategoryFactory(session=session, name="镇(街道)")
    for name in ["花园口镇", "刘集镇"]:
        UnitFactory(session=session, category=category, name=name)
    return category


def test_credential_per_unit_get_confirms_how_many_and_creates_nothing(
    organiser_client, group, towns
):
    response = organiser_client.get(
        url("credential_generate_per_unit"),
        {"group": group.pk, "category": towns.pk, "per_unit": 3},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "将为评议组“县级领导”生成 <strong>6</strong> 个评议码：2 个单位 × 每单位 3 个。" in body
    assert '<dd class="small" id="per-unit-units">刘集镇、花园口镇</dd>' in body
    assert "确认生成 6 个" in body
    assert Credential.objects.count() == 0


def test_credential_per_unit_post_issues_and_returns_to_the_group(organiser_client, group, towns):
    response = organiser_client.post(
        url("credential_generate_per_unit"),
        {"group": group.pk, "category": towns.pk, "per_unit": 3},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{url('credentials')}?group={group.pk}"
    assert (
        sorted(Credential.objects.filter(group=group).values_list("holder_unit__name", flat=True))
        == ["刘集镇"] * 3 + ["花园口镇"] * 3
    )
    assert AuditLog.objects.filter(action="credential.generate_per_unit").count() == 1
    page = organiser_client.get(response["Location"]).content.decode()
    assert "已为“镇(街道)”的每个单位各生成 3 个本单位评议码，共 6 个。" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_credential_per_unit_bad_input_is_an_error_and_creates_nothing(
    organiser_client, group, towns, method
):
    empty = UnitCategoryFactory(session=group.session, name="开发区")

    bad_number = getattr(organiser_client, method)(
        url("credential_generate_per_unit"),
        {"group": group.pk, "category": towns.pk, "per_unit": 0},
    )
    no_units = getattr(organiser_client, method)(
        url("credential_generate_per_unit"),
        {"group": group.pk, "category": empty.pk, "per_unit": 2},
    )

    assert bad_number.status_code == no_units.status_code == 422
    assert "确保该值大于或等于1。" in bad_number.content.decode()
    assert "类别“开发区”还没有单位，无法按单位生成评议码。" in no_units.content.decode()
    assert (Credential.objects.count(), AuditLog.objects.count()) == (0, 0)


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_credential_per_unit_other_roles_refused(request, who, group, towns):
    response = request.getfixturevalue(who).post(
        url("credential_generate_per_unit"),
        {"group": group.pk, "category": towns.pk, "per_unit": 1},
    )

    assert response.status_code == 403
    assert Credential.objects.count() == 0


def test_credential_per_unit_anonymous_sent_to_login(client, session):
    response = client.get(url("credential_generate_per_unit"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_credential_list_offers_the_per_unit_step(organiser_client, session, towns):
    response = organiser_client.get(url("credentials"))

    body = response.content.decode()
    assert f'action="{url("credential_generate_per_unit")}"' in body
    assert "下一步：核对数量" in body


# ---------------------------------------------------------------- a large print, off the request


@pytest.fixture
def many(session, group):
    """One card more than is drawn in the request."""
    return credential_services.credentials_generate(
        session=session, group=group, actor=None, count=CARDS_IN_REQUEST + 1
    )


def printed_entries():
    return list(
        AuditLog.objects.filter(action="credential.print").values_list("message", flat=True)
    )


def test_a_large_print_from_a_link_asks_to_confirm_and_starts_nothing(organiser_client, many):
    response = organiser_client.get(url("credential_cards"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "打印 65 张评议卡" in html
    assert f'<form method="post" action="{url("credential_cards")}">' in html
    ids = ",".join(str(credential.pk) for credential in many)
    assert f'<input type="hidden" name="ids" value="{ids}">' in html
    assert (RenderJob.objects.count(), printed_entries()) == (0, [])


def test_a_large_print_is_made_off_the_request_and_sent_once(organiser_client, organiser, many):
    start = organiser_client.post(url("credential_cards"))
    job = RenderJob.objects.get()
    page = organiser_client.get(url("credential_cards_job", job.pk)).content.decode()
    before = printed_entries()

    response = organiser_client.get(url("credential_cards_job_download", job.pk))

    assert (start.status_code, start["Location"]) == (302, url("credential_cards_job", job.pk))
    assert (job.kind, job.requested_by, job.delete_after_download) == (
        "credential-cards",
        organiser,
        True,
    )
    assert "评议卡 PDF（65 张）" in page
    assert "文件中有评议码：下载一次后即从服务器删除" in page
    assert before == []  # nothing has left the server yet
    assert response.status_code == 200
    assert response.content[:5] == b"%PDF-"
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('评议码-2026-mid.pdf')}"
    )
    assert response["Cache-Control"] == "private, no-store"
    assert not default_storage.exists(f"jobs/{job.pk}.pdf")
    entry = AuditLog.objects.get(action="credential.print")
    assert (entry.message, entry.detail["credentials"]) == (
        "打印 65 张评议卡",
        [credential.pk for credential in many],
    )


def test_a_large_print_downloaded_once_is_gone_and_can_be_made_again(organiser_client, many):
    organiser_client.post(url("credential_cards"))
    job = RenderJob.objects.get()
    organiser_client.get(url("credential_cards_job_download", job.pk))

    again = organiser_client.get(url("credential_cards_job_download", job.pk))
    page = organiser_client.get(url("credential_cards_job", job.pk)).content.decode()
    restart = organiser_client.post(url("credential_cards"))

    assert (again.status_code, again["Location"]) == (302, url("credential_cards_job", job.pk))
    assert "文件已在下载后从服务器删除。如需再次下载，请重新生成。" in page
    ids = ",".join(str(credential.pk) for credential in many)
    assert f'<input type="hidden" name="ids" value="{ids}">' in page
    assert 'id="job-retry">重新生成</button>' in page
    assert printed_entries() == ["打印 65 张评议卡"]
    assert restart["Location"] != url("credential_cards_job", job.pk)
    assert RenderJob.objects.count() == 2


def test_a_large_print_job_page_under_htmx_is_its_fragment(organiser_client, many):
    organiser_client.post(url("credential_cards"))
    job = RenderJob.objects.get()

    fragment = organiser_client.get(url("credential_cards_job", job.pk), **HTMX)

    html = fragment.content.decode()
    assert html.startswith('<section id="render-job" class="card render-job" aria-live="polite"')
    assert 'data-state="done"' in html
    assert f'href="{url("credential_cards_job_download", job.pk)}"' in html
    assert fragment["Cache-Control"] == "private, no-cache"


def test_a_large_print_job_sends_anonymous_users_to_login(client, organiser_client, many):
    organiser_client.post(url("credential_cards"))
    job = RenderJob.objects.get()
    client.logout()

    for name in ("credential_cards_job", "credential_cards_job_download"):
        response = client.get(url(name, job.pk))
        assert (response.status_code, response["Location"]) == (
            302,
            f"/login/?next={url(name, job.pk)}",
        )


def test_a_large_print_asked_for_twice_is_one_job(organiser_client, many):
    first = organiser_client.post(url("credential_cards"))
    second = organiser_client.post(
        url("credential_cards"), {"ids": ",".join(str(c.pk) for c in many)}
    )

    assert first["Location"] == second["Location"]
    assert RenderJob.objects.count() == 1


def test_a_large_print_is_the_asking_organisers_alone(client, organiser_client, many):
    organiser_client.post(url("credential_cards"))
    job = RenderJob.objects.get()
    east = District.objects.create(code="guancheng", name="管城回族区")
    others = {
        "another organiser here": UserFactory(role=Role.ORGANISER),
        "an organiser of another district": UserFactory(role=Role.ORGANISER, role__district=east),
        "an observer here": UserFactory(role=Role.OBSERVER),
    }

    statuses = {}
    for who, user in others.items():
        client.force_login(user)
        statuses[who] = [
            client.get(url("credential_cards_job", job.pk)).status_code,
            client.get(url("credential_cards_job", job.pk), **HTMX).status_code,
            client.get(url("credential_cards_job_download", job.pk)).status_code,
        ]
    client.force_login(others["an organiser of another district"])
    foreign_start = client.post(url("credential_cards")).status_code

    assert statuses == {
        "another organiser here": [404, 404, 404],
        "an organiser of another district": [404, 404, 404],
        "an observer here": [403, 403, 403],
    }
    assert foreign_start == 404
    assert RenderJob.objects.count() == 1
    assert default_storage.exists(f"jobs/{job.pk}.pdf")  # still there for its organiser
    assert printed_entries() == []


@pytest.mark.django_db(transaction=True)
def test_cards_revoked_before_the_worker_runs_fail_with_a_message_to_retry(
    client, database_tasks, run_db_worker
):
    session = ReviewSessionFactory(slug="2026-mid", title="2026年年中述职讲评会")
    group = RaterGroupFactory(session=session, name="县级领导")
    issued = credential_services.credentials_generate(
        session=session, group=group, actor=None, count=CARDS_IN_REQUEST + 1
    )
    client.force_login(UserFactory(role=Role.ORGANISER))
    client.post(url("credential_cards"))
    job = RenderJob.objects.get()
    queued = client.get(url("credential_cards_job", job.pk)).content.decode()
    Credential.objects.filter(session=session).update(status=Credential.Status.REVOKED)

    run_db_worker()

    page = client.get(url("credential_cards_job", job.pk)).content.decode()
    job.refresh_from_db()
    assert "排队中，等待后台生成……" in queued
    assert job.status == RenderJob.Status.FAILED
    assert "生成失败：所选的评议码都已作废或已使用，没有可打印的评议卡。" in page
    ids = ",".join(str(credential.pk) for credential in issued)
    assert f'<input type="hidden" name="ids" value="{ids}">' in page
    assert 'id="job-retry">重试</button>' in page
    assert not default_storage.exists(f"jobs/{job.pk}.pdf")
