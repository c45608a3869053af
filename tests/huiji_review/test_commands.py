"""seed_demo, set_status and draw_order (docs/design.md §5)."""

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from awards.models import Nomination, Programme
from huiji_review.management.commands import seed_demo
from org.models import Membership
from org.services import default_district
from scoring.models import ExternalScore
from scoring.services import compute
from sessions import ballots, draws
from sessions.models import AuditLog, Credential, Draw, Participant, ReviewSession, Unit
from targets.ledger import unit_ledgers
from targets.models import Notice, Report
from tests.factories import ParticipantFactory, RaterGroupFactory
from tests.factories.target_recompute import recompute


@pytest.fixture(autouse=True)
def _debug_on(settings):
    # pytest-django runs with DEBUG off; seed_demo is a development command.
    settings.DEBUG = True


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once for a class of tests that read it: in a transaction of its own,
    rolled back after the class. Each test's own transaction is a savepoint inside it, so a
    test sees the demo and leaves it as it found it. Seeding takes seconds; the tests only read.
    Returns what seed_demo printed."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        yield _seed()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
class TestSeedDemo:
    def test_seed_demo_builds_midyear_session_with_recorded_draw(self):
        session = ReviewSession.objects.get(slug=seed_demo.MIDYEAR_SLUG)
        towns = Participant.objects.filter(session=session, how=Participant.How.FIXED)
        drawn = Participant.objects.filter(session=session, how=Participant.How.DRAWN)
        draw = session.draws.get(kind=Draw.Kind.PARTICIPANTS)
        pool = sorted(seed_demo.GOVERNMENT + seed_demo.COORDINATING + seed_demo.PARTY_MASS)

        assert session.status == ReviewSession.Status.LIVE
        assert sorted(towns.values_list("unit__name", flat=True)) == sorted(seed_demo.TOWNS)
        assert draw.seed == seed_demo.DRAW_SEED
        assert draw.pool == pool
        assert draw.result == draws.draw_names(pool, 12, seed_demo.DRAW_SEED)
        assert sorted(drawn.values_list("unit__name", flat=True)) == sorted(draw.result)
        assert sorted(session.participants.values_list("speaking_order", flat=True)) == list(
            range(1, 21)
        )
        assert list(session.rater_groups.values_list("name", "weight")) == [
            ("县级领导", 40),
            ("区直部门", 20),
            ("镇(街道)", 20),
            ("两代表一委员/社会公众代表", 20),
        ]

    def test_the_published_annual_sessions_bias_report_flags_the_towns_own_cards_only(self):
        from scoring import analysis, robustness, services

        session = ReviewSession.objects.get(slug=seed_demo.PUBLISHED_SLUG)
        assert session.status == ReviewSession.Status.PUBLISHED
        computed = services.compute(session)
        # Nothing changed since publication: the analysis is the published result's.
        assert computed.inputs_hash == session.result_snapshots.get().inputs_hash
        found = analysis.analyse(session, computed)
        assert [(g.name, "own_side" in g.flags) for g in found.flagged] == [("镇(街道)", True)]
        towns = next(g for g in found.biases if g.name == "镇(街道)")
        assert towns.own_side.difference > 5 and towns.own_side.p_value < 0.01
        # The scheme declared that flags are noted in the 通报: one note, for that group.
        (note,) = analysis.notice_notes(session, computed)
        assert "镇(街道)" in note and "不调整得分" in note
        from django.utils.html import escape

        from scoring import document
        from scoring.exports.official import render_html

        html = render_html(document.build(session))
        assert escape(note) in html and "惠组〔2025〕3号" in html
        # The rank ranges come again from the recorded seed (the inputs' hash).
        again = robustness.rank_ranges(computed.inputs, computed.result, seed=computed.inputs_hash)
        assert {r.unit: r for r in again} == found.ranges
        assert all(r.low <= r.rank <= r.high for r in again if r.rank is not None)

    def test_the_published_annual_sessions_audit_pack_verifies_and_recalculates(self, tmp_path):
        """The pack of the demo's published session: its verifier prints OK, and FAIL after
        one grade is changed; LibreOffice's recalculated 排名 equals the published rows
        (docs/results.md, "审计包")."""
        import io
        import zipfile

        from scoring import audit_pack, selectors
        from tests.scoring import test_audit_pack as pack_tests

        session = ReviewSession.objects.get(slug=seed_demo.PUBLISHED_SLUG)
        content = audit_pack.build(session).content
        folder = pack_tests.unzip(content, tmp_path / "pack")
        ok = pack_tests.run_verify(folder)
        assert (ok.returncode, ok.stdout.strip().splitlines()[-1]) == (0, "OK")
        data = json.loads((folder / "inputs.json").read_bytes())
        ballot = next(b for b in data["ballots"] if "good" in b["grades"])
        ballot["grades"][ballot["grades"].index("good")] = "poor"
        (folder / "inputs.json").write_bytes(pack_tests.canonical(data))
        failed = pack_tests.run_verify(folder)
        assert failed.returncode == 1 and "FAIL" in failed.stdout
        if pack_tests.SOFFICE is None:
            pytest.skip("LibreOffice (Debian package libreoffice-calc-nogui) is not installed")
        xlsx = zipfile.ZipFile(io.BytesIO(content)).read("ranking.xlsx")
        workbook = pack_tests.recalculated(xlsx, tmp_path / "lo")
        snapshot = session.result_snapshots.get()
        assert pack_tests.sheet_rows(
            workbook, selectors.load_inputs(session)
        ) == pack_tests.expected_rows(snapshot.result)

    def test_seed_demo_counts_every_submitted_code_as_opened(self):
        session = ReviewSession.objects.get(slug=seed_demo.ANNUAL_SLUG)
        rows = ballots.participation(session)

        counts = [(row.issued, row.opened, row.submitted) for row in rows]
        total = rows[-1]
        assert total.submitted == total.issued - seed_demo.ANNUAL_OPEN_CARDS
        # The cards left for trying the form are neither opened nor used.
        assert [opened == submitted for _issued, opened, submitted in counts] == [True] * len(rows)
        assert (
            Credential.objects.filter(
                session=session, submitted_at__isnull=False, opened_at__isnull=True
            ).count()
            == 0
        )

    def test_seed_demo_builds_annual_session_with_forty_units(self):
        session = ReviewSession.objects.get(slug=seed_demo.ANNUAL_SLUG)

        assert session.participants.count() == 40
        assert session.kind == ReviewSession.Kind.ANNUAL
        assert session.status == ReviewSession.Status.RATING
        own_unit_cards = Credential.objects.filter(session=session, holder_unit__isnull=False)
        assert own_unit_cards.count() == Unit.objects.filter(session=session).count()

    def test_seed_demo_second_run_changes_nothing(self):
        counts = (
            ReviewSession.objects.count(),
            Credential.objects.count(),
            AuditLog.objects.count(),
            Draw.objects.count(),
        )

        output = _seed()

        assert (
            ReviewSession.objects.count(),
            Credential.objects.count(),
            AuditLog.objects.count(),
            Draw.objects.count(),
        ) == counts
        assert f"exists  {seed_demo.MIDYEAR_SLUG} (unchanged)" in output.splitlines()

    def test_seed_demo_annual_target_scores_equal_an_independent_recomputation(self):
        session = ReviewSession.objects.get(slug=seed_demo.ANNUAL_SLUG)
        scores = {
            e.unit.name: e
            for e in ExternalScore.objects.filter(session=session).select_related("unit")
        }

        assert len(scores) == 40
        for unit in session.units.select_related("org_unit"):
            taken = scores[unit.name]
            assert taken.target_source == ExternalScore.TargetSource.TARGETS, unit.name
            assert taken.target == recompute(unit.org_unit, session.year), unit.name
        # Not one score for all: the demo's units did not all do equally well.
        assert len({e.target for e in scores.values()}) > 10

    def test_seed_demo_annual_total_is_70_review_and_30_target_score(self):
        session = ReviewSession.objects.get(slug=seed_demo.ANNUAL_SLUG)
        taken = dict(ExternalScore.objects.filter(session=session).values_list("unit_id", "target"))

        rows = list(compute(session).result.rows())

        assert len(rows) == 40
        for row in rows:
            assert row.components["target"] == taken[int(row.unit)]
            expected = (row.review * 70 + row.components["target"] * 30) / 100
            assert row.total == expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def test_seed_demo_reports_the_current_year_as_docs_targets_say(self):
        year = seed_demo.MIDYEAR_YEAR
        reports = Report.objects.filter(target_unit__target__year=year)

        assert set(reports.values_list("month", flat=True)) == {3, 6, 9}
        assert reports.filter(late=True).exists()
        assert reports.filter(status=Report.Status.RETURNED).count() == 1
        assert Notice.objects.filter(year=year, kind=Notice.Kind.SUPERVISE).count() == 1
        reds = [
            ledger
            for ledger in unit_ledgers(default_district(), year, today=date(2026, 12, 4))
            if ledger.red
        ]
        assert len(reds) >= 2
        liaison = Membership.objects.get(user__username="liaison")
        assert (liaison.role, liaison.org_unit.name) == ("liaison", "区住建局")

    def test_seed_demo_decides_the_annual_years_awards(self):
        session = ReviewSession.objects.get(slug=seed_demo.ANNUAL_SLUG)

        programmes = Programme.objects.filter(district=session.district, year=session.year)

        assert {p.status for p in programmes} == {Programme.Status.DECIDED}
        assert programmes.count() == 2
        assert Nomination.objects.filter(programme__in=programmes, withdrawn=False).count() >= 4

    def test_seed_demo_prints_urls_and_logins(self, seeded):
        output = seeded

        assert f"/sessions/{seed_demo.MIDYEAR_SLUG}/" in output
        assert f"organiser / {seed_demo.DEMO_PASSWORD}" in output
        assert "/login/" in output
        assert "评议表示例 / a rater's form: http://127.0.0.1:8000/r/" in output


@pytest.mark.django_db
def test_seed_demo_refuses_in_production_without_force(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())

    assert ReviewSession.objects.count() == 0


def _ready_session():
    participant = ParticipantFactory(speaking_order=1)
    RaterGroupFactory(session=participant.session)
    return participant.session


@pytest.mark.django_db
def test_set_status_moves_session_and_writes_audit():
    session = _ready_session()
    out = StringIO()

    call_command("set_status", session.slug, "ready", stdout=out)

    session.refresh_from_db()
    assert session.status == ReviewSession.Status.READY
    assert out.getvalue().strip() == f"{session.slug}: 草稿 → 已就绪"
    entry = AuditLog.objects.get(session=session, action="session.status")
    assert (entry.detail["before"], entry.detail["after"]) == ("draft", "ready")
    assert entry.actor_label == "system"


@pytest.mark.django_db
def test_set_status_refuses_a_move_the_lifecycle_does_not_allow():
    session = _ready_session()

    with pytest.raises(CommandError, match="不能从“草稿”转到“评议已结束”"):
        call_command("set_status", session.slug, "closed", stdout=StringIO())

    session.refresh_from_db()
    assert session.status == ReviewSession.Status.DRAFT
    assert not AuditLog.objects.filter(session=session, action="session.status").exists()


@pytest.mark.django_db
def test_set_status_refuses_ready_when_configuration_is_incomplete():
    session = ParticipantFactory().session  # no rater group, no speaking order

    with pytest.raises(CommandError) as excinfo:
        call_command("set_status", session.slug, "ready", stdout=StringIO())

    assert str(excinfo.value).splitlines() == ["还没有评议组。"]


@pytest.mark.django_db
def test_set_status_unknown_slug_and_status_are_clear_errors():
    session = _ready_session()

    with pytest.raises(CommandError, match="没有标识为“missing”的评议会"):
        call_command("set_status", "missing", "ready")
    with pytest.raises(CommandError, match="未知状态“finished”"):
        call_command("set_status", session.slug, "finished")


@pytest.mark.django_db
def test_set_status_ready_prints_warnings_and_moves():
    # No speaking order and no codes: both can wait, neither stops a session without a meeting.
    participant = ParticipantFactory(speaking_order=None)
    session = participant.session
    RaterGroupFactory(session=session, name="县级领导")
    out, err = StringIO(), StringIO()

    call_command("set_status", session.slug, "ready", stdout=out, stderr=err)

    session.refresh_from_db()
    assert session.status == ReviewSession.Status.READY
    assert out.getvalue().strip() == f"{session.slug}: 草稿 → 已就绪"
    assert err.getvalue().splitlines() == [
        "提醒 warning: 还没有发言顺序：召开现场会前须确定发言顺序，就绪后不能再抽签。"
        "不开现场会（纸质票、纯民主测评）可以不抽。",
        "提醒 warning: 还没有发放评议码：就绪后仍可在“评议码”页发放，评议开始前须发放。",
    ]


@pytest.mark.django_db
def test_set_status_live_refused_without_a_speaking_order_and_rating_allowed():
    participant = ParticipantFactory(speaking_order=None)
    session = participant.session
    RaterGroupFactory(session=session)
    call_command("set_status", session.slug, "ready", stdout=StringIO(), stderr=StringIO())

    with pytest.raises(CommandError) as excinfo:
        call_command("set_status", session.slug, "live", stdout=StringIO())

    session.refresh_from_db()
    assert str(excinfo.value) == (
        "召开现场会需要完整的发言顺序，但部分述职单位还没有：请先退回草稿，"
        "在“抽签”页抽签确定发言顺序（命令行：draw_order），再就绪并开始会议。"
    )
    assert session.status == ReviewSession.Status.READY
    call_command("set_status", session.slug, "rating", stdout=StringIO())
    session.refresh_from_db()
    assert session.status == ReviewSession.Status.RATING


@pytest.mark.django_db
def test_draw_order_draws_like_the_browser_and_prints_order_and_seed():
    session = ParticipantFactory(unit__name="乙单位").session
    ParticipantFactory(session=session, unit__name="甲单位")
    ParticipantFactory(session=session, unit__name="丙单位")
    out = StringIO()

    call_command("draw_order", session.slug, "--seed", "20260715", stdout=out)

    draw = session.draws.get(kind=Draw.Kind.SPEAKING_ORDER)
    expected = draws.shuffle_names(["甲单位", "乙单位", "丙单位"], "20260715")
    assert out.getvalue().splitlines() == [
        *(f"{i}. {name}" for i, name in enumerate(expected, start=1)),
        "种子 seed: 20260715",
    ]
    assert (draw.seed, draw.result) == ("20260715", expected)
    assert (
        list(session.participants.order_by("speaking_order").values_list("unit__name", flat=True))
        == expected
    )
    entry = AuditLog.objects.get(session=session, action="draw.speaking_order")
    assert entry.actor_label == "system"


@pytest.mark.django_db
def test_draw_order_without_seed_generates_one():
    session = ParticipantFactory().session
    out = StringIO()

    call_command("draw_order", session.slug, stdout=out)

    draw = session.draws.get(kind=Draw.Kind.SPEAKING_ORDER)
    assert out.getvalue().splitlines()[-1] == f"种子 seed: {draw.seed}"
    assert len(draw.seed) == 12


@pytest.mark.django_db
def test_draw_order_refusals_are_clear_and_change_nothing():
    session = ParticipantFactory(speaking_order=None).session
    RaterGroupFactory(session=session)
    empty = RaterGroupFactory().session
    other = ParticipantFactory().session

    with pytest.raises(CommandError, match="没有标识为“missing”的评议会。 No session"):
        call_command("draw_order", "missing")
    with pytest.raises(CommandError, match="还没有述职单位，无法抽签确定发言顺序。 Cannot draw"):
        call_command("draw_order", empty.slug)
    call_command("set_status", session.slug, "ready", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="单位、评议组、权重和计分办法已冻结"):
        call_command("draw_order", session.slug, "--seed", "1")
    with pytest.raises(CommandError, match="随机种子不能超过 40 个字符"):
        call_command("draw_order", other.slug, "--seed", "9" * 41)

    assert Draw.objects.count() == 0
    assert list(session.participants.values_list("speaking_order", flat=True)) == [None]


@pytest.mark.django_db
def test_seed_demo_runs_the_midyear_meeting_through_the_services():
    from meeting.models import FollowUp, Question, Stage
    from meeting.selectors import tally

    _seed()

    session = ReviewSession.objects.get(slug=seed_demo.MIDYEAR_SLUG)
    asked = session.questions.filter(kind=Question.Kind.QUESTION)
    by_status = sorted(asked.values_list("status", flat=True))
    stage = Stage.objects.get(session=session)
    on_screen = stage.question_on_screen
    closed = asked.get(vote=Question.Vote.CLOSED)

    assert session.key_projects.count() == 129
    assert session.agenda_items.count() == 20
    assert by_status == [
        "answered",
        "answered",
        "approved",
        "approved",
        "merged",
        "rejected",
        "submitted",
    ]
    assert asked.filter(collected_before=True).count() == 3
    assert (on_screen.vote, tally(on_screen).counts) == (Question.Vote.OPEN, (5, 3, 2))
    assert tally(closed).counts == (9, 4, 2)
    assert FollowUp.objects.filter(session=session).count() == 2
    # 回头看: the annual session's four commitments (one done); 迎宾路街道's two came back and
    # were voted on, 大河路街道's one waits in the queue; 区住建局 takes no part in July.
    annual = ReviewSession.objects.get(slug=seed_demo.ANNUAL_SLUG)
    assert FollowUp.objects.filter(session=annual).count() == 4
    voted, waiting = session.questions.filter(kind=Question.Kind.RECHECK).order_by("pk")
    assert (voted.unit.name, voted.recheck_items.count(), voted.vote) == (
        "迎宾路街道",
        2,
        Question.Vote.CLOSED,
    )
    assert tally(voted).counts == (7, 5, 3)
    assert (waiting.unit.name, waiting.status, waiting.vote) == (
        "大河路街道",
        Question.Status.APPROVED,
        Question.Vote.NONE,
    )
