"""The rater's pages end to end through the Django test client (the bad-input suite): /r/form/
the form, /r/grade/ one tap, /r/submit/ confirm and submit, each for the card the device holds
(entered on /r/, tests/factories/raters.py). sessions/views/rate.py; the services are tested in
test_rating.py, the entry page and the card's cookie in test_views_rate.py.

Every refused request is shown to store nothing: the drafts, ballots and credentials are
compared before and after."""

import re
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions import rating
from sessions.models import (
    Ballot,
    BallotGrade,
    Credential,
    DraftGrade,
    Grade,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)
from sessions.views import card
from tests.factories import (
    CredentialFactory,
    CriterionFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)
from tests.factories.raters import HTMX, enter, holding, page_token, rater

pytestmark = pytest.mark.django_db

Status = ReviewSession.Status
Side = UnitCategory.Side
RuleAction = ScoringScheme.RuleAction

NOT_ON_FORM = "此单位不在您的评议表上。"
BAD_TAP = "无效的评价，请重新选择。"
REVOKED = "这张评议卡已被作废，请向会务人员领取新卡。"
SUBMITTED = "此评议码已提交评议表，不能再修改。"
NOT_OPEN = "评议尚未开放，请在主持人宣布开始评议后再填写。"
ENDED = "评议已经结束，不再接收评议表。"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The wrong-code counter lives in the cache; one test's attempts must not throttle the next.
    cache.clear()
    yield
    cache.clear()


@dataclass
class Form:
    session: ReviewSession
    towns: list[Unit]
    departments: list[Unit]
    credential: Credential

    @property
    def units(self) -> list[Unit]:
        return self.towns + self.departments


def make_form(*, towns=2, departments=3, status=Status.RATING, **scheme_fields) -> Form:
    """A session with two categories (towns first) in speaking order and one credential of a
    group on neither side, without a holder unit: it rates every participant."""
    session = ReviewSessionFactory(
        status=status, **{f"scheme__{name}": value for name, value in scheme_fields.items()}
    )
    town = UnitCategoryFactory(session=session, name="镇(街道)", side=Side.TOWN, order=1)
    department = UnitCategoryFactory(
        session=session, name="政府部门", side=Side.DEPARTMENT, order=2
    )
    order = iter(range(1, towns + departments + 1))
    town_units = [
        ParticipantFactory(
            session=session, unit__category=town, unit__name=f"镇{i}", speaking_order=next(order)
        ).unit
        for i in range(1, towns + 1)
    ]
    department_units = [
        ParticipantFactory(
            session=session,
            unit__category=department,
            unit__name=f"局{i:02d}",
            speaking_order=next(order),
        ).unit
        for i in range(1, departments + 1)
    ]
    return Form(session, town_units, department_units, CredentialFactory(session=session))


def url(name: str) -> str:
    return reverse(f"rate:{name}")


def tap(client, credential, unit_id, grade=Grade.GOOD, *, criterion="", htmx=True):
    data = {"unit": unit_id, "grade": grade, "criterion": criterion}
    return holding(client, credential).post(url("grade"), data, **(HTMX if htmx else {}))


def fill(credential: Credential, grades: dict[Unit, str]) -> None:
    for unit, grade in grades.items():
        rating.draft_grade_set(
            credential=credential, unit_id=unit.pk, criterion_id=None, grade=grade
        )


def stored() -> dict:
    """Everything a rater's request could write, to show that a refused one wrote nothing."""
    return {
        "drafts": list(DraftGrade.objects.order_by("id").values()),
        "ballots": list(Ballot.objects.values()),
        "ballot_grades": list(BallotGrade.objects.order_by("id").values()),
        "credentials": list(
            Credential.objects.order_by("id").values("id", "status", "submitted_at", "receipt")
        ),
    }


def drafts(credential: Credential) -> dict:
    return {
        (d.unit_id, d.criterion_id): d.grade
        for d in DraftGrade.objects.filter(credential=credential)
    }


def rows(html: str) -> dict[int, str]:
    """The HTML of each unit's row on the form, by unit id."""
    body = html.split('<div class="rate-footer">')[0]
    return {
        int(part.split('"', 1)[0]): part
        for part in body.split('<div class="rate-unit" id="unit-')[1:]
    }


def main(response) -> str:
    return response.content.decode().split("<main>")[1].split("</main>")[0]


def checked(row_html: str) -> list[str]:
    return re.findall(r'value="(\w+)" checked', row_html)


def section_names(response) -> list[tuple[str, list[str]]]:
    """(category heading, unit names under it), read off the page as a rater sees it."""
    body = response.content.decode().split('<div class="rate-footer">')[0]
    return [
        (
            part.split("</h2>", 1)[0],
            re.findall(r'<div class="rate-unit-name">([^<]*)</div>', part),
        )
        for part in body.split('<h2 class="rate-category">')[1:]
    ]


def revoke(credential: Credential) -> None:
    Credential.objects.filter(pk=credential.pk).update(
        status=Credential.Status.REVOKED, revoked_at=timezone.now()
    )


def submit_all(client, form: Form, grade=Grade.GOOD) -> None:
    fill(form.credential, dict.fromkeys(form.units, grade))
    response = holding(client, form.credential).post(url("submit"))
    assert response.status_code == 303


# ---------------------------------------------------------------- the form: GET /r/form/


def test_form_without_a_card_sends_the_device_to_the_entry_page(client):
    form = make_form()

    response = client.get(url("form"), follow=True)

    assert response.redirect_chain == [("/r/", 303)]
    page = response.content.decode()
    assert (
        "这台设备还没有打开评议卡（或已换卡、已过期）。请扫描评议卡上的二维码，或输入评议码。"
        in page
    )
    assert form.session.title not in page
    assert Credential.objects.get(pk=form.credential.pk).opened_at is None


def test_form_revoked_code_says_so_and_shows_no_units(client):
    form = make_form()
    revoke(form.credential)

    response = holding(client, form.credential).get(url("form"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>评议码已作废</h1>" in page
    assert REVOKED in page
    assert [u.name for u in form.units if u.name in page] == []


def test_form_used_code_shows_the_same_receipt(client):
    form = make_form()
    submit_all(client, form)
    receipt = Credential.objects.get(pk=form.credential.pk).receipt

    response = holding(client, form.credential).get(url("form"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>评议表已提交</h1>" in page
    assert f'<p class="receipt" id="receipt">{receipt[:4]} {receipt[4:]}</p>' in page
    assert 'name="grade"' not in page


def test_receipt_offers_the_next_rater_a_fresh_start(client):
    """A shared tablet: 下一位评议人 on the receipt forgets the card and opens the code entry;
    the ballot stays as it was, and the device holds nothing of the card (docs/anonymity.md)."""
    form = make_form()
    submit_all(client, form)
    page = holding(client, form.credential).get(url("form")).content.decode()
    next_rater = re.search(r'<form class="rate-leave rate-next"[^>]*>.*?</form>', page, re.S)
    assert next_rater is not None
    assert 'action="/r/leave/"' in next_rater.group(0)
    assert '<button type="submit" id="next-rater">下一位评议人</button>' in next_rater.group(0)
    assert page.count('action="/r/leave/"') == 1  # not beside 换一张评议卡 as well
    before = stored()

    response = client.post(url("leave"), follow=True)

    assert response.redirect_chain == [("/r/", 303)]
    assert "下一位评议人请扫描自己的评议卡。" in response.content.decode()
    assert client.cookies[card.COOKIE_NAME].value == ""
    assert client.cookies[card.COOKIE_NAME]["max-age"] == 0
    assert stored() == before
    assert Ballot.objects.filter(session=form.session).count() == 1
    # Back on the receipt's address: no card, so the code entry, not the receipt.
    again = client.get(url("form"), follow=True)
    assert again.redirect_chain == [("/r/", 303)]
    assert "回执码" not in again.content.decode()


@pytest.mark.parametrize("status", [Status.DRAFT, Status.READY, Status.LIVE])
def test_form_before_rating_says_not_open(client, status):
    form = make_form(status=status)

    response = holding(client, form.credential).get(url("form"))

    assert response.status_code == 200
    page = response.content.decode()
    label = Status(status).label
    assert f"评议尚未开放（当前状态：{label}）。请在主持人宣布开始评议后再扫码。" in page
    assert 'name="grade"' not in page
    assert Credential.objects.get(pk=form.credential.pk).opened_at is None


@pytest.mark.parametrize("status", [Status.CLOSED, Status.PUBLISHED])
def test_form_after_rating_says_ended(client, status):
    form = make_form(status=status)

    response = holding(client, form.credential).get(url("form"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "评议已结束，不再接收评议表。" in page
    assert 'name="grade"' not in page


def test_form_lists_every_participant_by_category_but_not_the_holders_own(client):
    form = make_form(towns=2, departments=3)
    UnitFactory(
        session=form.session, category=form.towns[0].category, name="镇9"
    )  # not taking part
    credential = CredentialFactory(session=form.session, holder_unit=form.departments[1])

    response = holding(client, credential).get(url("form"))

    assert response.status_code == 200
    assert section_names(response) == [("镇(街道)", ["镇1", "镇2"]), ("政府部门", ["局01", "局03"])]
    assert sorted(rows(response.content.decode())) == sorted(
        u.pk for u in (*form.towns, form.departments[0], form.departments[2])
    )
    page = response.content.decode()
    assert '<h2 class="rate-category">镇(街道)</h2>' in page
    assert "本单位（局02）不在表中" in page
    assert (
        '<p id="progress" class="progress" role="status" aria-live="polite" >已评 0/4</p>' in page
    )
    assert Credential.objects.get(pk=credential.pk).opened_at is not None


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        (Side.TOWN, [("政府部门", ["局01", "局02", "局03"])]),
        (Side.DEPARTMENT, [("镇(街道)", ["镇1", "镇2"])]),
        (Side.OTHER, [("镇(街道)", ["镇1", "镇2"]), ("政府部门", ["局01", "局02", "局03"])]),
    ],
)
def test_form_with_cross_rating_shows_only_the_other_side(client, side, expected):
    form = make_form(cross_rating=True)
    credential = CredentialFactory(
        session=form.session, group=RaterGroupFactory(session=form.session, side=side)
    )

    response = holding(client, credential).get(url("form"))

    assert section_names(response) == expected


def test_form_checks_the_drafts_and_counts_them(client):
    form = make_form()
    fill(form.credential, {form.towns[1]: Grade.AVERAGE, form.departments[0]: Grade.ABSTAIN})

    response = holding(client, form.credential).get(url("form"))

    by_unit = rows(response.content.decode())
    assert {pk: checked(html) for pk, html in by_unit.items()} == {
        form.towns[0].pk: [],
        form.towns[1].pk: ["average"],
        form.departments[0].pk: ["abstain"],
        form.departments[1].pk: [],
        form.departments[2].pk: [],
    }
    assert (
        '<span class="save-state small" aria-live="polite">已保存</span>'
        in by_unit[form.towns[1].pk]
    )
    assert response.context["done"] == 2
    assert response.context["total"] == 5


def test_form_query_count_does_not_grow_with_40_units(client, django_assert_max_num_queries):
    form = make_form(towns=8, departments=32)
    fill(form.credential, dict.fromkeys(form.units[:20], Grade.GOOD))

    with django_assert_max_num_queries(6):
        response = holding(client, form.credential).get(url("form"))

    assert response.status_code == 200
    assert len(rows(response.content.decode())) == 40


# ---------------------------------------------------------------- one tap: POST /r/<code>/grade/


def test_grade_htmx_saves_and_answers_the_row_and_progress(client):
    form = make_form()

    response = tap(client, form.credential, form.towns[0].pk, Grade.FAIRLY_GOOD)

    assert response.status_code == 200
    saved, confirm = response.content.decode().split('<div id="confirm"')
    assert saved == (
        "已保存：较好"
        '<p id="progress" class="progress" role="status" aria-live="polite" '
        'hx-swap-oob="true">已评 1/5</p>'
    )
    # The in-page confirmation box follows, out of band, with the counts and what is missing.
    assert ' hx-swap-oob="true"' in confirm.split(">")[0]
    counts = confirm.split('<p class="small">')[1].split("</p>")[0]
    assert re.sub(r"<[^>]+>", "", counts) == ("好 0 · 较好 1 · 一般 0 · 差 0 · 弃权 0")
    assert (
        '<p class="notice warn small" data-when-missing><span data-missing-text>'
        "还有 4 项没有评价（弃权也需选择）。</span>"
    ) in confirm
    assert '<p class="small" data-when-complete hidden>' in confirm
    assert '<button type="submit" disabled>确认提交</button>' in confirm
    assert drafts(form.credential) == {(form.towns[0].pk, None): Grade.FAIRLY_GOOD}


def test_grade_htmx_last_tap_enables_confirm(client):
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units[1:], Grade.GOOD))

    response = tap(client, form.credential, form.units[0].pk, Grade.POOR)

    assert response.status_code == 200
    confirm = response.content.decode().split('<div id="confirm"')[1]
    assert '<p class="notice warn small" data-when-missing hidden>' in confirm
    assert '<p class="small" data-when-complete>提交后评议表不能再修改，也不能撤回。</p>' in confirm
    assert '<button type="submit" >确认提交</button>' in confirm


def test_grade_htmx_second_tap_replaces_the_first(client):
    form = make_form()
    tap(client, form.credential, form.towns[0].pk, Grade.GOOD)

    response = tap(client, form.credential, form.towns[0].pk, Grade.POOR)

    assert response.status_code == 200
    assert "已评 1/5" in response.content.decode()
    assert drafts(form.credential) == {(form.towns[0].pk, None): Grade.POOR}


def test_grade_plain_post_saves_and_returns_to_the_form(client):
    form = make_form()

    response = tap(client, form.credential, form.departments[2].pk, Grade.POOR, htmx=False)

    assert response.status_code == 303
    assert response["Location"] == url("form")
    assert drafts(form.credential) == {(form.departments[2].pk, None): Grade.POOR}
    page = client.get(response["Location"]).content.decode()
    assert checked(rows(page)[form.departments[2].pk]) == ["poor"]
    assert "已保存" in rows(page)[form.departments[2].pk]
    assert ">已评 1/5</p>" in page


def _other_sessions_unit(form):
    return ParticipantFactory(session__status=Status.RATING).unit.pk


def _non_participant(form):
    return UnitFactory(session=form.session, category=form.towns[0].category).pk


def _own_unit(form):
    Credential.objects.filter(pk=form.credential.pk).update(holder_unit=form.towns[0])
    return form.towns[0].pk


TAMPERED_UNITS = [
    pytest.param(_other_sessions_unit, NOT_ON_FORM, id="another-sessions-unit"),
    pytest.param(_non_participant, NOT_ON_FORM, id="non-participant"),
    pytest.param(_own_unit, NOT_ON_FORM, id="own-unit"),
    pytest.param(lambda form: 987654, NOT_ON_FORM, id="nonexistent"),
    pytest.param(lambda form: "abc", BAD_TAP, id="non-numeric"),
    pytest.param(lambda form: "", BAD_TAP, id="missing"),
    pytest.param(lambda form: "0", BAD_TAP, id="zero"),
    pytest.param(lambda form: "1e3", BAD_TAP, id="float-like"),
]


@pytest.mark.parametrize(("make_unit", "message"), TAMPERED_UNITS)
def test_grade_htmx_refuses_a_tampered_unit_id(client, make_unit, message):
    form = make_form()
    unit_id = make_unit(form)
    before = stored()

    response = tap(client, form.credential, unit_id)

    assert response.status_code == 422
    assert response.content.decode() == f'<span class="unsaved">{message}</span>'
    assert stored() == before


@pytest.mark.parametrize(("make_unit", "message"), TAMPERED_UNITS)
def test_grade_plain_post_refuses_a_tampered_unit_id_with_the_form(client, make_unit, message):
    form = make_form()
    unit_id = make_unit(form)
    before = stored()

    response = tap(client, form.credential, unit_id, htmx=False)

    assert response.status_code == 422
    page = response.content.decode()
    assert f'<div class="notice error" role="alert">{message}</div>' in page
    credential = Credential.objects.get(pk=form.credential.pk)
    assert sorted(rows(page)) == sorted(u.pk for u in rating.rateable_units(credential))
    assert stored() == before


@pytest.mark.parametrize("grade", ["excellent", "GOOD", "好", "", "good "])
def test_grade_refuses_a_grade_outside_the_scale(client, grade):
    form = make_form()
    before = stored()

    response = tap(client, form.credential, form.towns[0].pk, grade)

    assert response.status_code == 422
    assert response.content.decode() == f'<span class="unsaved">{BAD_TAP}</span>'
    assert stored() == before


def test_grade_refuses_a_criterion_when_the_session_has_none(client):
    form = make_form()
    foreign = CriterionFactory()  # another session's
    before = stored()

    response = tap(client, form.credential, form.towns[0].pk, criterion=foreign.pk)

    assert response.status_code == 422
    assert response.content.decode() == f'<span class="unsaved">{NOT_ON_FORM}</span>'
    assert stored() == before


@pytest.mark.parametrize(
    ("make_unavailable", "message"),
    [
        pytest.param(revoke, REVOKED, id="revoked"),
        pytest.param(
            lambda c: ReviewSession.objects.filter(pk=c.session_id).update(status=Status.CLOSED),
            ENDED,
            id="closed",
        ),
        pytest.param(
            lambda c: ReviewSession.objects.filter(pk=c.session_id).update(status=Status.PUBLISHED),
            ENDED,
            id="published",
        ),
        pytest.param(
            lambda c: ReviewSession.objects.filter(pk=c.session_id).update(status=Status.READY),
            NOT_OPEN,
            id="ready",
        ),
    ],
)
def test_grade_htmx_on_a_credential_that_cannot_rate_is_409(client, make_unavailable, message):
    form = make_form()
    fill(form.credential, {form.towns[0]: Grade.GOOD})
    make_unavailable(form.credential)
    before = stored()

    response = tap(client, form.credential, form.towns[0].pk, Grade.POOR)

    assert response.status_code == 409
    assert response.content.decode() == f'<span class="unsaved">{message}</span>'
    assert stored() == before


def test_grade_after_submission_is_409_and_changes_nothing(client):
    form = make_form()
    submit_all(client, form, Grade.FAIRLY_GOOD)
    before = stored()

    response = tap(client, form.credential, form.towns[0].pk, Grade.POOR)

    assert response.status_code == 409
    assert response.content.decode() == f'<span class="unsaved">{SUBMITTED}</span>'
    assert stored() == before


def test_grade_plain_post_on_a_closed_session_lands_on_the_ended_page(client):
    form = make_form(status=Status.CLOSED)

    response = tap(client, form.credential, form.towns[0].pk, htmx=False)

    assert response.status_code == 303
    assert response["Location"] == url("form")
    assert DraftGrade.objects.count() == 0
    assert "评议已结束，不再接收评议表。" in client.get(response["Location"]).content.decode()


def test_grade_htmx_without_a_card_is_403_text_and_stores_nothing(client):
    form = make_form()

    response = client.post(url("grade"), {"unit": form.towns[0].pk, "grade": Grade.GOOD}, **HTMX)

    # Short text, not swapped into the row: static/js/app.js shows it and marks the row 未保存.
    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "这台设备还没有打开评议卡（或已换卡、已过期）。请扫描评议卡上的二维码，或输入评议码。"
    )
    assert DraftGrade.objects.count() == 0


def test_grade_plain_post_without_a_card_goes_to_the_entry_page(client):
    form = make_form()

    response = client.post(url("grade"), {"unit": form.towns[0].pk, "grade": Grade.GOOD})

    assert (response.status_code, response["Location"]) == (303, "/r/")
    assert DraftGrade.objects.count() == 0


def test_grade_to_code_a_never_touches_code_bs_drafts(client):
    form = make_form()
    other = CredentialFactory(session=form.session)
    fill(other, {form.towns[0]: Grade.POOR, form.towns[1]: Grade.AVERAGE})
    others_before = drafts(other)

    # Naming the other credential in the body changes nothing: the card is the only key.
    response = holding(client, form.credential).post(
        url("grade"),
        {
            "unit": form.towns[0].pk,
            "grade": Grade.GOOD,
            "code": other.code,
            "credential": other.pk,
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert drafts(form.credential) == {(form.towns[0].pk, None): Grade.GOOD}
    assert drafts(other) == others_before


def test_grade_get_is_405(client):
    form = make_form()

    response = holding(client, form.credential).get(url("grade"))

    assert response.status_code == 405


def test_grade_oversize_body_is_400_and_stores_nothing(client, settings):
    form = make_form()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = stored()

    response = tap(client, form.credential, form.towns[0].pk, "x" * 2048)

    assert response.status_code == 400
    assert stored() == before


def test_grade_malformed_multipart_body_is_400_and_stores_nothing(client):
    form = make_form()
    before = stored()

    response = holding(client, form.credential).generic(
        "POST",
        url("grade"),
        b'--xyz\r\nContent-Disposition: form-data; name="unit\r\n\r\n1',
        content_type="multipart/form-data; boundary=",
        **HTMX,
    )

    assert response.status_code == 400
    assert stored() == before


def test_grade_per_criterion_saves_with_the_criterion(client):
    form = make_form(towns=1, departments=1)
    first = CriterionFactory(session=form.session, name="工作实绩", order=1)
    second = CriterionFactory(session=form.session, name="廉洁自律", order=2)

    response = tap(client, form.credential, form.towns[0].pk, Grade.AVERAGE, criterion=second.pk)

    assert response.status_code == 200
    assert "已评 1/4" in response.content.decode()
    assert drafts(form.credential) == {(form.towns[0].pk, second.pk): Grade.AVERAGE}
    assert first.pk != second.pk


def test_grade_per_criterion_refuses_a_tap_without_a_criterion(client):
    form = make_form(towns=1, departments=1)
    CriterionFactory(session=form.session)
    before = stored()

    response = tap(client, form.credential, form.towns[0].pk)

    assert response.status_code == 422
    assert response.content.decode() == f'<span class="unsaved">{NOT_ON_FORM}</span>'
    assert stored() == before


def test_form_per_criterion_has_one_row_per_criterion(client):
    form = make_form(towns=1, departments=1)
    work = CriterionFactory(session=form.session, name="工作实绩", order=1)
    integrity = CriterionFactory(session=form.session, name="廉洁自律", order=2)
    rating.draft_grade_set(
        credential=form.credential,
        unit_id=form.towns[0].pk,
        criterion_id=integrity.pk,
        grade=Grade.GOOD,
    )

    response = holding(client, form.credential).get(url("form"))

    row = rows(response.content.decode())[form.towns[0].pk]
    assert re.findall(r'name="criterion" value="(\d+)"', row) == [str(work.pk), str(integrity.pk)]
    assert re.findall(r'<div class="rate-criterion">(.+?)</div>', row) == ["工作实绩", "廉洁自律"]
    assert checked(row) == ["good"]
    assert ">已评 1/4</p>" in response.content.decode()


# ---------------------------------------------------------------- submit: /r/<code>/submit/


def test_submit_get_lists_the_missing_units_and_disables_confirm(client):
    form = make_form()
    fill(form.credential, {form.towns[0]: Grade.GOOD, form.departments[1]: Grade.ABSTAIN})

    response = holding(client, form.credential).get(url("submit"))

    assert response.status_code == 200
    assert [u.pk for u in response.context["missing_units"]] == [
        form.towns[1].pk,
        form.departments[0].pk,
        form.departments[2].pk,
    ]
    page = response.content.decode()
    assert re.findall(r'#unit-\d+">(.+?)</a>', page) == ["镇2", "局01", "局03"]
    assert '<button type="submit" disabled>确认提交</button>' in page
    assert response.context["counts"] == [
        (Grade.GOOD, "好", 1),
        (Grade.FAIRLY_GOOD, "较好", 0),
        (Grade.AVERAGE, "一般", 0),
        (Grade.POOR, "差", 0),
        (Grade.ABSTAIN, "弃权", 1),
    ]


def test_submit_get_when_complete_enables_confirm(client):
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units, Grade.FAIRLY_GOOD))

    response = holding(client, form.credential).get(url("submit"))

    assert response.status_code == 200
    assert response.context["missing_units"] == []
    assert '<button type="submit" >确认提交</button>' in response.content.decode()


def test_submit_post_with_missing_units_is_422_and_stores_nothing(client):
    form = make_form()
    fill(form.credential, {form.towns[0]: Grade.GOOD, form.towns[1]: Grade.POOR})
    before = stored()

    response = holding(client, form.credential).post(url("submit"))

    assert response.status_code == 422
    assert "还有 3 项没有评价（弃权也需选择），请完成后再提交。" in response.content.decode()
    assert stored() == before


def test_submit_post_makes_one_ballot_and_redirects_to_the_receipt(client):
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units, Grade.AVERAGE))

    response = holding(client, form.credential).post(url("submit"))

    assert response.status_code == 303
    assert response["Location"] == url("form")
    ballot = Ballot.objects.get()
    assert sorted(ballot.grades.values_list("unit_id", "grade")) == sorted(
        (u.pk, Grade.AVERAGE) for u in form.units
    )
    credential = Credential.objects.get(pk=form.credential.pk)
    receipt_page = client.get(response["Location"]).content.decode()
    assert f"{credential.receipt[:4]} {credential.receipt[4:]}" in receipt_page
    assert DraftGrade.objects.count() == 0


def test_submit_post_twice_gives_the_same_receipt_and_one_ballot(client):
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units, Grade.GOOD))
    holding(client, form.credential).post(url("submit"))
    receipt = Credential.objects.get(pk=form.credential.pk).receipt

    again = holding(client, form.credential).post(url("submit"))
    second_tablet = rater(form.credential).post(url("submit"), follow=True)

    assert again.status_code == 303
    assert again["Location"] == url("form")
    assert f"{receipt[:4]} {receipt[4:]}" in second_tablet.content.decode()
    assert Ballot.objects.count() == 1
    assert Credential.objects.get(pk=form.credential.pk).receipt == receipt


def test_submit_htmx_retry_after_a_lost_answer_gets_the_same_receipt(client):
    # What static/js/app.js does when the answer to 确认提交 never arrived (network) or was a
    # 5xx: it posts again. The redirect is followed by the browser's XHR, and the receipt page
    # is swapped in as <main>.
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units, Grade.GOOD))
    first = holding(client, form.credential).post(url("submit"), **HTMX, follow=True)
    receipt = Credential.objects.get(pk=form.credential.pk).receipt

    retry = client.post(url("submit"), **HTMX, follow=True)

    for answer in (first, retry):
        assert answer.redirect_chain == [("/r/form/", 303)]
        assert answer.status_code == 200
        assert f'<p class="receipt" id="receipt">{receipt[:4]} {receipt[4:]}</p>' in (
            answer.content.decode()
        )
    assert Ballot.objects.count() == 1


def test_submit_form_posts_through_htmx_into_main_and_without_script_too(client):
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units, Grade.GOOD))

    page = holding(client, form.credential).get(url("form")).content.decode()

    box = page.split('<div id="confirm"')[1]
    tag = re.search(r"<form class=\"rate-submit\"[^>]*>", box).group(0)
    assert 'method="post" action="/r/submit/"' in tag  # the plain POST
    assert 'hx-post="/r/submit/" hx-target="main" hx-select="main" hx-swap="outerHTML"' in tag
    assert 'data-msg-retrying="未提交，正在重试……"' in tag
    assert 'name="csrfmiddlewaretoken"' in box.split("</form>")[0]


def test_submit_htmx_refused_by_a_rule_shows_the_check_page_at_its_own_address(client):
    form = make_form(identical_grades_action=RuleAction.REJECT)
    fill(form.credential, dict.fromkeys(form.units, Grade.GOOD))

    response = holding(client, form.credential).post(url("submit"), **HTMX)

    assert response.status_code == 422
    assert response["HX-Push-Url"] == "/r/submit/"
    assert Ballot.objects.count() == 0


def test_submit_post_rejected_by_a_ballot_rule_is_422_with_its_message(client):
    form = make_form(identical_grades_action=RuleAction.REJECT)
    fill(form.credential, dict.fromkeys(form.units, Grade.GOOD))
    before = stored()

    response = holding(client, form.credential).post(url("submit"))

    assert response.status_code == 422
    assert response.context["errors"] == ["所有单位的评价都是“好”：请区分各单位的实际表现。"]
    assert (
        '<div class="notice error" role="alert"><ul><li>'
        "所有单位的评价都是“好”：请区分各单位的实际表现。</li></ul></div>"
    ) in response.content.decode()
    assert stored() == before


def test_submit_get_warns_about_a_flag_rule_before_confirming(client):
    form = make_form(max_good_percent=20, max_good_action=RuleAction.FLAG)
    grades = [Grade.GOOD, Grade.GOOD, Grade.POOR, Grade.AVERAGE, Grade.POOR]
    fill(form.credential, dict(zip(form.units, grades, strict=True)))

    response = holding(client, form.credential).get(url("submit"))

    assert response.status_code == 200
    assert response.context["warnings"] == [
        "评为“好”的有 2 项，占 40.00%，超过上限 20%：最多可评 1 项为“好”。"
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_submit_on_a_closed_session_goes_to_the_ended_page(client, method):
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units, Grade.GOOD))
    ReviewSession.objects.filter(pk=form.session.pk).update(status=Status.CLOSED)
    before = stored()

    response = getattr(holding(client, form.credential), method)(url("submit"))

    assert response.status_code == 303
    assert response["Location"] == url("form")
    assert stored() == before


def test_submit_on_a_revoked_credential_stores_nothing(client):
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units, Grade.GOOD))
    revoke(form.credential)
    before = stored()

    response = holding(client, form.credential).post(url("submit"), follow=True)

    assert response.status_code == 200
    assert "<h1>评议码已作废</h1>" in response.content.decode()
    assert stored() == before


# ---------------------------------------------------------------- the wrong-code throttle


def _block(client, address: str) -> None:
    """Wrong codes typed from ``address`` until the entry page throttles it."""
    for n in range(1000):
        response = client.post(url("entry"), {"code": f"WRONG{n:03d}"}, REMOTE_ADDR=address)
        if response.status_code == 429:
            return
        assert response.status_code == 404
    raise AssertionError("1,000 wrong codes and still not throttled")


def test_a_card_keeps_rating_from_an_address_the_throttle_blocks(client):
    # A venue NAT puts a whole hall behind one address: others' typos must not lock a rater
    # out, neither while entering the code nor mid-form (core/throttle.py).
    form = make_form()
    _block(Client(), "10.0.0.7")
    fill(form.credential, dict.fromkeys(form.units[1:], Grade.GOOD))
    at = {"REMOTE_ADDR": "10.0.0.7"}

    entered = enter(client, form.credential, **at)
    page = client.get(url("form"), **at)
    saved = client.post(url("grade"), {"unit": form.units[0].pk, "grade": "poor"}, **at, **HTMX)
    check = client.get(url("submit"), **at)
    submitted = client.post(url("submit"), **at)

    assert [r.status_code for r in (entered, page, saved, check, submitted)] == [
        303,
        200,
        200,
        200,
        303,
    ]
    assert Ballot.objects.count() == 1
    assert client.post(url("entry"), {"code": "ZZZZ2222"}, **at).status_code == 429


# ---------------------------------------------------------------- CSRF


# The card is a cookie, which the browser sends by itself: every rater POST must carry the
# page's CSRF token (and the card's cookie is SameSite=Strict as well).


def test_tap_without_the_csrf_token_is_refused_and_stores_nothing():
    form = make_form()
    tablet = rater(form.credential, enforce_csrf_checks=True)
    before = stored()

    response = tablet.post(url("grade"), {"unit": form.towns[0].pk, "grade": "poor"}, **HTMX)

    assert response.status_code == 403
    assert stored() == before


def test_submit_without_the_csrf_token_is_refused_and_stores_nothing():
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units, Grade.GOOD))
    tablet = rater(form.credential, enforce_csrf_checks=True)
    before = stored()

    response = tablet.post(url("submit"))

    assert response.status_code == 403
    assert stored() == before


def test_leave_without_the_csrf_token_keeps_the_card():
    form = make_form()
    tablet = rater(form.credential, enforce_csrf_checks=True)

    response = tablet.post(url("leave"))

    assert response.status_code == 403
    assert tablet.get(url("form")).status_code == 200


def test_posts_with_the_pages_csrf_token_are_accepted():
    form = make_form()
    fill(form.credential, dict.fromkeys(form.units[1:], Grade.GOOD))
    tablet = rater(form.credential, enforce_csrf_checks=True)
    token = page_token(tablet.get(url("form")))

    saved = tablet.post(
        url("grade"),
        {"unit": form.units[0].pk, "grade": Grade.GOOD},
        HTTP_X_CSRFTOKEN=token,
        **HTMX,
    )
    submitted = tablet.post(url("submit"), HTTP_X_CSRFTOKEN=token, **HTMX)

    assert (saved.status_code, submitted.status_code) == (200, 303)
    assert Ballot.objects.count() == 1


def test_plain_post_of_a_cell_carries_the_csrf_token_for_a_browser_without_script():
    form = make_form()
    tablet = rater(form.credential, enforce_csrf_checks=True)
    page = tablet.get(url("form")).content.decode()
    row = rows(page)[form.towns[1].pk]
    token = re.search(
        r'<noscript><input type="hidden" name="csrfmiddlewaretoken" value="(\w+)">', row
    )

    response = tablet.post(
        url("grade"),
        {"unit": form.towns[1].pk, "grade": Grade.AVERAGE, "csrfmiddlewaretoken": token.group(1)},
    )

    assert (response.status_code, response["Location"]) == (303, url("form"))
    assert drafts(form.credential) == {(form.towns[1].pk, None): Grade.AVERAGE}
