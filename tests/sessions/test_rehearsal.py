"""彩排 (sessions/rehearsal.py, docs/rehearsal.md): a rehearsal runs the day through with its own
codes, and the reset puts every row of the session back exactly as it was."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import load_workbook

from core.audit import audit
from meeting import agenda, followups, questions
from meeting.models import FollowUpUpdate, Stage
from org.access import Role
from projects.models import ColourChange, ProjectRule, ProjectUpdate
from scoring import document
from scoring import services as scoring_services
from scoring.exports import pdf, xlsx
from scoring.models import ExternalScore, LeaderComment, ResultSnapshot
from sessions import cards, credentials, rating, rehearsal
from sessions.models import (
    Attachment,
    AuditLog,
    Ballot,
    Credential,
    Criterion,
    DraftGrade,
    Draw,
    Grade,
    Rehearsal,
    Report,
    ReviewSession,
)
from sessions.report_services import attachment_delete
from sessions.services import session_transition
from tests.factories import UserFactory
from tests.factories.projects import KeyProjectFactory, MilestoneFactory
from tests.factories.questions import make_hall
from tests.factories.raters import rater

Status = ReviewSession.Status


@pytest.fixture
def hall(db):
    hall = make_hall(status=Status.READY)
    session = hall.session
    # What a session looks like the day before: an agenda, a question collected before the
    # meeting, reports, other scores, a key project, an audit trail.
    organiser = UserFactory(username="zuzhi", role=Role.ORGANISER)
    agenda.agenda_generate(session=session, actor=organiser, segments=["work"], limit_seconds=300)
    questions.question_add(
        session=session, actor=organiser, unit=hall.units[0], text="会前征集的问题", asker="群众"
    )
    Report.objects.create(participant=session.participants.first(), kind="work", text="述职报告")
    ExternalScore.objects.create(session=session, unit=hall.units[0], target=Decimal("90"))
    project = KeyProjectFactory(session=session, unit=hall.units[1])
    MilestoneFactory(project=project)
    audit(session=session, actor=organiser, action="session.note", message="彩排前的记录")
    hall.organiser = organiser
    return hall


def _counts(session) -> dict[str, int]:
    counts = {
        model._meta.label_lower: model._default_manager.filter(**{path: session.pk}).count()
        for model, path in rehearsal.session_models()
    }
    counts["audit"] = AuditLog.objects.filter(session=session).count()
    return counts


def _session_fields(session) -> dict:
    session.refresh_from_db()
    return {f.attname: getattr(session, f.attname) for f in ReviewSession._meta.concrete_fields}


def _rate(credential, units, grade=Grade.GOOD):
    for unit in units:
        rating.draft_grade_set(
            credential=credential, unit_id=unit.pk, criterion_id=None, grade=grade
        )


def _rehearse_everything(hall):
    """A full day in rehearsal, by the services where they allow it, and every model of the
    session touched (added to or changed) besides."""
    session, organiser = hall.session, hall.organiser
    codes = list(Credential.objects.filter(session=session, rehearsal=True))
    asking = [c for c in codes if c.group_id == hall.asking.pk]
    leaders = [c for c in codes if c.group_id == hall.leaders.pk]

    session_transition(session=session, target=Status.LIVE, actor=organiser)
    first = session.agenda_items.order_by("order").first()
    agenda.item_start(item=first, actor=organiser)
    agenda.item_finish(item=first, actor=organiser)
    question = questions.question_submit(
        credential=asking[0], unit_id=hall.units[0].pk, text="彩排的问题"
    )
    questions.question_approve(question=question, actor=organiser)
    questions.question_put_on_screen(question=question, actor=organiser)
    questions.question_answered(question=question, actor=organiser, summary="答复")
    questions.vote_open(question=question, actor=organiser)
    questions.vote_cast(credential=asking[1], question_id=question.pk, choice="satisfied")
    questions.vote_close(question=question, actor=organiser)
    follow_up = followups.follow_up_from_question(
        question=question,
        actor=organiser,
        title="督办",
        detail="",
        due_date=datetime.date(2026, 12, 31),
        colour="green",
    )
    FollowUpUpdate.objects.create(follow_up=follow_up, text="进展")

    session_transition(session=session, target=Status.RATING, actor=organiser)
    _rate(asking[0], hall.units)
    rating.ballot_submit(credential=asking[0])
    _rate(leaders[0], hall.units, Grade.AVERAGE)
    rating.ballot_submit(credential=leaders[0])
    _rate(leaders[1], hall.units[:1])  # drafts only: destroyed at close
    _rate(leaders[2], hall.units[:1])
    session_transition(session=session, target=Status.CLOSED, actor=organiser)
    doc = document.build(session)
    assert doc.rehearsal and doc.preview_label == "彩排数据，不计入结果"
    with pytest.raises(ValidationError, match="正在彩排"):
        scoring_services.result_publish(session=session, actor=organiser)
    # The rest, which no service offers in a closed session, straight into the tables: the
    # reset must undo whatever happened, not only what the pages allow.
    session.refresh_from_db()
    participant = session.participants.first()
    report = Report.objects.get(participant=participant)
    report.text = "彩排中改过"
    report.save()
    Attachment.objects.create(
        report=report,
        file=ContentFile(b"%PDF-1.4", name="x.pdf"),
        original_name="x.pdf",
        content_type="application/pdf",
        size=8,
    )
    project = session.key_projects.get()
    ProjectUpdate.objects.create(project=project, text="进展")
    ColourChange.objects.create(project=project, to_colour="red", by_rule=False, reason="彩排")
    ProjectRule.objects.create(session=session)
    DraftGrade.objects.create(credential=leaders[1], unit=hall.units[0], grade=Grade.POOR)
    project.milestones.update(name="改名")
    project.name = "改名项目"
    project.save()
    Criterion.objects.create(session=session, name="彩排指标", weight=Decimal("10"))
    Draw.objects.create(
        session=session, kind="participants", seed="x", pool=[], count=0, result=[], algorithm="a"
    )
    participant.speaking_order = 9
    participant.save()
    hall.asking.__class__.objects.filter(pk=hall.asking.pk).update(weight=Decimal("7"))
    session.scheme.__class__.objects.filter(session=session).update(trimmed_mean=True)
    hall.units[2].__class__.objects.filter(pk=hall.units[2].pk).update(name="改名单位")
    hall.units[0].category.__class__.objects.filter(pk=hall.units[0].category_id).update(
        name="改名类别"
    )
    ExternalScore.objects.filter(session=session).update(target=Decimal("10"))
    LeaderComment.objects.create(session=session, unit=hall.units[0], author="领导", text="好")
    ResultSnapshot.objects.create(
        session=session, number=1, scheme={}, inputs_hash="0" * 64, engine_version="x", result={}
    )


def test_a_rehearsal_touching_every_model_resets_to_exactly_the_start(hall):
    session, organiser = hall.session, hall.organiser
    counts_before = _counts(session)
    rows_before = rehearsal.take_snapshot(session)
    fields_before = _session_fields(session)
    log_before = list(
        AuditLog.objects.filter(session=session).order_by("pk").values_list("pk", "action")
    )

    started = rehearsal.rehearsal_start(session=session, actor=organiser, codes_per_group=3)
    assert Credential.objects.filter(session=session, rehearsal=True).count() == 6
    assert AuditLog.objects.filter(session=session, action="rehearsal.start").exists()
    _rehearse_everything(hall)

    touched = {change.label for change in rehearsal.changes(session, started)}
    assert touched == {model._meta.label_lower for model, _path in rehearsal.session_models()}
    assert Ballot.objects.filter(session=session).count() == 2
    session.refresh_from_db()
    assert session.status == Status.CLOSED
    attachment = Attachment.objects.get(report__participant__session=session)
    stored = attachment.file.name
    assert attachment.file.storage.exists(stored)

    entry = rehearsal.rehearsal_reset(session=session, actor=organiser)

    assert _counts(session) == {**counts_before, "audit": counts_before["audit"] + 1}
    assert rehearsal.take_snapshot(session) == rows_before
    assert _session_fields(session) == fields_before
    assert not Rehearsal.objects.filter(session=session).exists()
    log_after = list(
        AuditLog.objects.filter(session=session).order_by("pk").values_list("pk", "action")
    )
    assert log_after == [*log_before, (entry.pk, "rehearsal.reset")]
    assert entry.detail["rehearsal_codes"] == 6
    assert entry.detail["ballots"] == 2
    assert entry.detail["audit_entries"] > 10
    assert entry.detail["audit_actions"]["rehearsal.start"] == 1
    assert entry.detail["audit_actions"]["session.status"] == 3
    assert "彩排期间的审计记录" in entry.message
    assert {c["model"] for c in entry.detail["changes"]} == touched


def test_the_files_of_rows_added_in_rehearsal_are_deleted_after_the_reset(
    hall, django_capture_on_commit_callbacks
):
    session = hall.session
    rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    report = Report.objects.get()
    attachment = Attachment.objects.create(
        report=report,
        file=ContentFile(b"%PDF-1.4", name="x.pdf"),
        original_name="x.pdf",
        content_type="application/pdf",
        size=8,
    )
    storage, name = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        rehearsal.rehearsal_reset(session=session, actor=hall.organiser)
    assert not storage.exists(name)
    assert not Attachment.objects.exists()


def test_real_codes_are_refused_while_the_rehearsal_runs(hall):
    session = hall.session
    rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    session_transition(session=session, target=Status.RATING, actor=hall.organiser)
    real = Credential.objects.select_related("session", "group").get(pk=hall.deputy.pk)
    assert rating.rating_state(real) == "rehearsing"
    with pytest.raises(rating.RatingClosed, match="正在彩排，评议尚未开始"):
        rating.draft_grade_set(
            credential=real, unit_id=hall.units[0].pk, criterion_id=None, grade=Grade.GOOD
        )
    with pytest.raises(ValidationError, match="正在彩排"):
        questions.question_submit(credential=real, unit_id=hall.units[0].pk, text="问题")
    assert questions.vote_problem(real) == "正在彩排，评议尚未开始。"
    fake = Credential.objects.filter(session=session, rehearsal=True, group=hall.asking).first()
    assert rating.rating_state(fake) == "open"
    # Nor can real codes be issued, revoked or reissued in the meantime.
    with pytest.raises(ValidationError, match="正在彩排"):
        credentials.credentials_generate(
            session=session, group=hall.asking, actor=hall.organiser, count=1
        )
    with pytest.raises(ValidationError, match="正在彩排"):
        credentials.credential_revoke(credential=real, actor=hall.organiser)
    assert credentials.credential_revoke(credential=fake, actor=hall.organiser).rehearsal


def test_after_the_reset_the_rehearsal_codes_are_gone_and_real_codes_work(hall):
    session = hall.session
    rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    fake_codes = list(
        Credential.objects.filter(session=session, rehearsal=True).values_list("code", flat=True)
    )
    rehearsal.rehearsal_reset(session=session, actor=hall.organiser)
    assert not Credential.objects.filter(code__in=fake_codes).exists()
    session_transition(session=session, target=Status.RATING, actor=hall.organiser)
    real = Credential.objects.select_related("session", "group").get(pk=hall.deputy.pk)
    assert rating.rating_state(real) == "open"


@pytest.mark.parametrize("status", [Status.DRAFT, Status.LIVE, Status.RATING, Status.CLOSED])
def test_a_rehearsal_starts_only_from_ready(db, status):
    hall = make_hall(status=status)
    organiser = UserFactory(role=Role.ORGANISER)
    with pytest.raises(ValidationError, match="已就绪"):
        rehearsal.rehearsal_start(session=hall.session, actor=organiser)
    assert not Credential.objects.filter(rehearsal=True).exists()
    assert not AuditLog.objects.filter(session=hall.session).exists()


def test_start_twice_and_reset_without_a_rehearsal_are_refused(hall):
    session = hall.session
    with pytest.raises(ValidationError, match="没有在彩排"):
        rehearsal.rehearsal_reset(session=session, actor=hall.organiser)
    with pytest.raises(ValidationError, match="每个评议组"):
        rehearsal.rehearsal_start(session=session, actor=hall.organiser, codes_per_group=0)
    session.refresh_from_db()
    assert not session.in_rehearsal
    rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    with pytest.raises(ValidationError, match="彩排已经开始"):
        rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    assert Rehearsal.objects.filter(session=session).count() == 1


def test_a_rehearsing_session_cannot_go_back_to_draft(hall):
    session = hall.session
    rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    with pytest.raises(ValidationError, match="请先结束彩排并恢复"):
        session_transition(session=session, target=Status.DRAFT, actor=hall.organiser)
    session.refresh_from_db()
    assert session.status == Status.READY


def test_a_session_with_ballots_cannot_rehearse(hall):
    Ballot.objects.create(session=hall.session, group=hall.asking, source="paper", paper_number="1")
    with pytest.raises(ValidationError, match="已有评议票"):
        rehearsal.rehearsal_start(session=hall.session, actor=hall.organiser)


def test_the_big_screen_keeps_its_link_and_shows_what_it_showed_before(hall):
    session = hall.session
    stage = Stage.objects.get(session=session)
    rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    session_transition(session=session, target=Status.LIVE, actor=hall.organiser)
    agenda.screen_mode_set(session=session, actor=hall.organiser, mode="participation")
    assert Stage.objects.get(session=session).version > stage.version
    rehearsal.rehearsal_reset(session=session, actor=hall.organiser)
    after = Stage.objects.get(session=session)
    assert (after.pk, after.screen_token, after.mode, after.version) == (
        stage.pk,
        stage.screen_token,
        stage.mode,
        stage.version,
    )


# ---------------------------------------------------------------- pages


def test_the_organiser_starts_and_resets_a_rehearsal_through_the_pages(hall, organiser_client):
    session = hall.session
    detail = organiser_client.get(session.get_absolute_url()).content.decode()
    assert reverse("review:rehearsal_start", args=[session.slug]) in detail
    page = organiser_client.get(reverse("review:rehearsal_start", args=[session.slug]))
    assert page.status_code == 200 and "确认开始彩排" in page.content.decode()
    answer = organiser_client.post(reverse("review:rehearsal_start", args=[session.slug]))
    assert answer.status_code == 302
    detail = organiser_client.get(session.get_absolute_url()).content.decode()
    assert "rehearsal-banner" in detail and "结束彩排并恢复" in detail
    credentials_page = organiser_client.get(reverse("review:credentials", args=[session.slug]))
    assert hall.deputy.code not in credentials_page.content.decode()  # real codes stay hidden
    cards = organiser_client.get(reverse("review:credential_cards", args=[session.slug]))
    assert cards.status_code == 200 and cards["Content-Type"] == "application/pdf"

    confirm = organiser_client.get(reverse("review:rehearsal_reset", args=[session.slug]))
    text = confirm.content.decode()
    assert confirm.status_code == 200 and "rehearsal-removals" in text
    assert "彩排评议码" in text and "确认结束彩排并恢复" in text
    answer = organiser_client.post(reverse("review:rehearsal_reset", args=[session.slug]))
    assert answer.status_code == 302
    session.refresh_from_db()
    assert not session.in_rehearsal
    assert AuditLog.objects.filter(session=session).first().action == "rehearsal.reset"
    again = organiser_client.post(reverse("review:rehearsal_reset", args=[session.slug]))
    assert again.status_code == 409 and "没有在彩排" in again.content.decode()


def test_only_organisers_reach_the_rehearsal_pages(hall, observer_client, moderator_client):
    for client in (observer_client, moderator_client):
        for name in ("review:rehearsal_start", "review:rehearsal_reset"):
            assert client.post(reverse(name, args=[hall.session.slug])).status_code == 403
    hall.session.refresh_from_db()
    assert not hall.session.in_rehearsal


def test_a_start_refused_says_why_and_changes_nothing(db, organiser_client):
    hall = make_hall(status=Status.LIVE)
    answer = organiser_client.post(reverse("review:rehearsal_start", args=[hall.session.slug]))
    assert answer.status_code == 409 and "已就绪" in answer.content.decode()
    assert not Credential.objects.filter(rehearsal=True).exists()


def test_a_real_card_during_the_rehearsal_shows_that_rating_has_not_begun(hall):
    rehearsal.rehearsal_start(session=hall.session, actor=hall.organiser)
    session_transition(session=hall.session, target=Status.RATING, actor=hall.organiser)
    page = rater(hall.leader).get(reverse("rate:form")).content.decode()
    assert "正在彩排，评议尚未开始" in page
    fake = Credential.objects.filter(session=hall.session, rehearsal=True).first()
    page = rater(fake).get(reverse("rate:form")).content.decode()
    assert "rehearsal-banner" in page and "rate-head" in page


# ---------------------------------------------------------------- exports


def test_every_export_made_in_rehearsal_says_so(hall):
    session = hall.session
    rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    session_transition(session=session, target=Status.RATING, actor=hall.organiser)
    code = Credential.objects.filter(session=session, rehearsal=True).first()
    _rate(code, hall.units)
    rating.ballot_submit(credential=code)
    doc = document.build(session)
    assert doc.preview and doc.rehearsal and doc.status_label == "彩排数据，不计入结果"
    wb = load_workbook(io.BytesIO(xlsx.render(doc)))
    titles = [ws.cell(1, 1).value for ws in wb.worksheets]
    assert titles and all("【彩排数据，不计入结果】" in (t or "") for t in titles[:-1])
    assert all(ws.oddHeader.center.text == "彩排数据，不计入结果" for ws in wb.worksheets[:-1])
    html = pdf.render_html(doc)
    assert 'class="watermark">彩排<' in html and "彩排数据不计入结果" in html
    printed = cards.render_cards_html(session=session, credentials=[code])
    assert "rehearsal-mark" in printed and "【彩排】" in printed

    rehearsal.rehearsal_reset(session=session, actor=hall.organiser)
    assert not document.build(session).rehearsal


@pytest.mark.django_db(transaction=True)
def test_the_storage_rewrite_after_the_reset_leaves_the_log_as_before_plus_the_reset():
    hall = make_hall(status=Status.READY, slug="2026-scrub", code_prefix="SCR")
    organiser = UserFactory(role=Role.ORGANISER)
    session = hall.session
    audit(session=session, actor=organiser, action="session.note", message="彩排前")
    before = list(
        AuditLog.objects.filter(session=session).order_by("pk").values_list("pk", "action")
    )
    rehearsal.rehearsal_start(session=session, actor=organiser)
    session_transition(session=session, target=Status.RATING, actor=organiser)
    code = Credential.objects.filter(session=session, rehearsal=True).first()
    _rate(code, hall.units)
    rating.ballot_submit(credential=code)
    session_transition(session=session, target=Status.CLOSED, actor=organiser)
    # The close's own scrub ran after its commit, and is a rehearsal entry like the others.
    assert AuditLog.objects.filter(session=session, action="ballot_box.scrubbed").exists()
    entry = rehearsal.rehearsal_reset(session=session, actor=organiser)
    # The rewrite after the reset's commit has run (no transaction is open here) and, having
    # succeeded, wrote nothing: the log is as before plus the reset entry.
    after = list(
        AuditLog.objects.filter(session=session).order_by("pk").values_list("pk", "action")
    )
    assert after == [*before, (entry.pk, "rehearsal.reset")]
    assert not Ballot.objects.filter(session=session).exists()


def test_an_attachment_cannot_be_deleted_in_rehearsal_since_its_file_would_not_come_back(hall):
    report = Report.objects.get()
    attachment = Attachment.objects.create(
        report=report,
        file=ContentFile(b"%PDF-1.4", name="x.pdf"),
        original_name="x.pdf",
        content_type="application/pdf",
        size=8,
    )
    rehearsal.rehearsal_start(session=hall.session, actor=hall.organiser)
    with pytest.raises(ValidationError, match="正在彩排"):
        attachment_delete(attachment=attachment, actor=hall.organiser)
    assert attachment.file.storage.exists(attachment.file.name)
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_the_big_screen_and_the_tablet_say_rehearsal(hall, client):
    rehearsal.rehearsal_start(session=hall.session, actor=hall.organiser)
    token = Stage.objects.get(session=hall.session).screen_token
    screen = client.get(reverse("screen:screen", args=[token])).content.decode()
    assert 'class="screen-rehearsal"' in screen
    fake = Credential.objects.filter(session=hall.session, rehearsal=True, group=hall.asking)
    live = rater(fake.first()).get(reverse("tablet:live")).content.decode()
    assert "rehearsal-banner" in live
    rehearsal.rehearsal_reset(session=hall.session, actor=hall.organiser)
    screen = client.get(reverse("screen:screen", args=[token])).content.decode()
    assert "screen-rehearsal" not in screen


def test_the_reset_page_names_apart_what_looks_like_real_work(hall, organiser_client):
    session = hall.session
    rehearsal.rehearsal_start(session=session, actor=hall.organiser)
    url = reverse("review:rehearsal_reset", args=[session.slug])
    assert "rehearsal-other-work" not in organiser_client.get(url).content.decode()
    ExternalScore.objects.filter(session=session).update(target=Decimal("70"))
    page = organiser_client.get(url).content.decode()
    assert "rehearsal-other-work" in page and "其他考核得分" in page
    ReviewSession.objects.filter(pk=session.pk).update(venue="改到二楼")
    page = organiser_client.get(url).content.decode()
    assert "<li>评议会</li>" in page
    rehearsal.rehearsal_reset(session=session, actor=hall.organiser)
    session.refresh_from_db()
    assert session.venue == ""
