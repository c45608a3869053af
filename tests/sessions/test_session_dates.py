"""A session's year and date checked against each other (sessions/services.py): the review of
year Y is held in Y or early in Y+1; any other year is refused, on every path that creates or
edits a session (form, workbook import, command), and a mid-year review dated Y+1 is warned
about."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from sessions import services
from sessions.models import AuditLog, ReviewSession
from tests.factories import ReviewSessionFactory
from tests.factories.workbooks import META, workbook_bytes

pytestmark = pytest.mark.django_db
Kind = ReviewSession.Kind

REFUSAL_2024 = (
    "日期 2024-12-20 与年度 2026 不符：2026 年度的评议会应在 2026 年内或 2027 年初召开。"
    "请检查年度或日期。"
)
MIDYEAR_WARNING = (
    "年中评议会通常在当年召开，但日期 2027-07-15 在 2027 年，年度却是 2026："
    "请确认年度是否应为 2027。"
)


@pytest.mark.parametrize(
    ("kind", "date"),
    [
        (Kind.ANNUAL, datetime.date(2026, 12, 20)),  # annual review in December
        (Kind.ANNUAL, datetime.date(2027, 1, 20)),  # … or in January of the next year
        (Kind.MIDYEAR, datetime.date(2026, 7, 15)),
        (Kind.MIDYEAR, datetime.date(2027, 7, 15)),  # possible, warned about below
        (Kind.CUSTOM, None),
    ],
)
def test_session_create_accepts_a_date_in_the_year_or_the_next(kind, date):
    session = services.session_create(kind=kind, year=2026, date=date, actor=None)

    assert (session.year, session.date) == (2026, date)


@pytest.mark.parametrize(
    ("date", "message"),
    [
        (datetime.date(2024, 12, 20), REFUSAL_2024),
        (
            datetime.date(2028, 1, 10),
            "日期 2028-01-10 与年度 2026 不符：2026 年度的评议会应在 2026 年内或 2027 年初召开。"
            "请检查年度或日期。",
        ),
    ],
)
def test_session_create_refuses_a_date_in_another_year(date, message):
    with pytest.raises(ValidationError) as caught:
        services.session_create(kind=Kind.ANNUAL, year=2026, date=date, actor=None)

    assert caught.value.messages == [message]
    assert ReviewSession.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_session_update_refuses_a_contradicting_year_and_changes_nothing():
    session = ReviewSessionFactory(year=2026, date=datetime.date(2026, 7, 15))

    with pytest.raises(ValidationError) as caught:
        services.session_update(
            session=session,
            actor=None,
            title="改名",
            year=2026,
            date=datetime.date(2024, 12, 20),
            venue="",
        )

    session.refresh_from_db()
    assert caught.value.messages == [REFUSAL_2024]
    assert (session.title != "改名", session.date) == (True, datetime.date(2026, 7, 15))
    assert not AuditLog.objects.filter(action="session.update").exists()


@pytest.mark.parametrize(
    ("kind", "date", "warning"),
    [
        (Kind.MIDYEAR, datetime.date(2027, 7, 15), MIDYEAR_WARNING),
        (Kind.MIDYEAR, datetime.date(2026, 7, 15), None),
        (Kind.ANNUAL, datetime.date(2027, 1, 20), None),
        (Kind.CUSTOM, datetime.date(2027, 7, 15), None),
        (Kind.MIDYEAR, None, None),
    ],
)
def test_session_date_warning_only_for_a_midyear_review_in_the_next_year(kind, date, warning):
    assert services.session_date_warning(kind=kind, year=2026, date=date) == warning


def test_readiness_checklist_repeats_the_midyear_warning_with_the_edit_page():
    session = ReviewSessionFactory(kind=Kind.MIDYEAR, year=2026, date=datetime.date(2027, 7, 15))

    lines = [(w.message, w.page) for w in services.readiness_check(session).warnings]

    assert lines == [(MIDYEAR_WARNING, "review:session_edit")]


# ---------------------------------------------------------------- the form


def test_create_form_refuses_a_contradicting_date_and_creates_nothing(organiser_client):
    response = organiser_client.post(
        reverse("review:session_create"),
        {"kind": Kind.ANNUAL, "year": 2026, "date": "2024-12-20", "title": "", "venue": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [REFUSAL_2024]
    assert ReviewSession.objects.count() == 0


def test_create_form_warns_about_a_midyear_review_in_the_next_year(organiser_client):
    response = organiser_client.post(
        reverse("review:session_create"),
        {"kind": Kind.MIDYEAR, "year": 2026, "date": "2027-07-15", "title": "", "venue": ""},
        follow=True,
    )

    assert ReviewSession.objects.get().date == datetime.date(2027, 7, 15)
    assert [str(m) for m in response.context["messages"]][-1] == MIDYEAR_WARNING


def test_edit_form_refuses_a_contradicting_year(organiser_client):
    session = ReviewSessionFactory(slug="2026-dates", year=2026, date=datetime.date(2026, 7, 15))

    response = organiser_client.post(
        reverse("review:session_edit", args=[session.slug]),
        {"title": session.title, "year": 2028, "date": "2026-07-15", "venue": ""},
    )

    session.refresh_from_db()
    assert response.context["form"].non_field_errors() == [
        "日期 2026-07-15 与年度 2028 不符：2028 年度的评议会应在 2028 年内或 2029 年初召开。"
        "请检查年度或日期。"
    ]
    assert session.year == 2026


# ---------------------------------------------------------------- the workbook import


def meta_with(year, date, kind="年中"):
    rows = [row for row in META if row[0] not in ("年度", "日期", "类型")]
    return [*rows, ["年度", year], ["日期", date], ["类型", kind]]


def test_import_session_refuses_a_contradicting_date_and_creates_nothing(tmp_path):
    path = tmp_path / "评议会.xlsx"
    path.write_bytes(workbook_bytes(meta=meta_with(2026, "2024-12-20", "年度")))
    err = io.StringIO()

    with pytest.raises(CommandError, match="未创建任何内容"):
        call_command("import_session", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [REFUSAL_2024]
    assert ReviewSession.objects.count() == 0


def test_import_session_warns_about_a_midyear_review_in_the_next_year(tmp_path):
    path = tmp_path / "评议会.xlsx"
    path.write_bytes(workbook_bytes(meta=meta_with(2026, "2027-07-15")))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_session", str(path), stdout=out, stderr=err)

    slug = out.getvalue().splitlines()[-1]
    assert ReviewSession.objects.get(slug=slug).date == datetime.date(2027, 7, 15)
    assert err.getvalue().splitlines() == [f"提醒：{MIDYEAR_WARNING}"]


def test_browser_import_refuses_a_contradicting_date(organiser_client):
    upload = io.BytesIO(workbook_bytes(meta=meta_with(2026, "2024-12-20", "年度")))
    upload.name = "评议会.xlsx"

    response = organiser_client.post(reverse("review:session_import"), {"file": upload})

    assert response.status_code == 422
    assert [p.text for p in response.context["problems"]] == [REFUSAL_2024]
    assert ReviewSession.objects.count() == 0
