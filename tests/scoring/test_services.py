"""scoring/selectors.py, scoring/services.py and scoring/document.py against a real database:
the numbers of a small session worked out by hand (tests/factories/scoring.py), publication once,
corrections, verification and the sensitivity panel."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from scoring import document, engine, selectors, services
from scoring.models import ExternalScore, LeaderComment, ResultSnapshot
from sessions.models import AuditLog, Ballot, BallotGrade, ReviewSession
from tests.factories import CriterionFactory, UserFactory
from tests.factories.scoring import add_ballot, scored_session

pytestmark = pytest.mark.django_db
Status = ReviewSession.Status
D = Decimal

# Units in order: 城关镇, 东风街道 (towns); 财政局, 教育局, 民政局 (departments).
LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]


def world(**kwargs):
    return scored_session(leaders=LEADERS, departments=DEPARTMENTS, **kwargs)


def by_name(result: engine.Result, w) -> dict:
    return {row.unit_name: row for row in result.rows()}


def test_compute_matches_the_hand_calculation():
    w = world()

    rows = by_name(services.compute(w.session).result, w)

    # 县级领导 (40): 城关镇 G G F = 93.33; 区直部门 (20): G F = 90.
    assert [g.score for g in rows["城关镇"].groups] == [D("93.33"), D("90.00")]
    # (40 × 93.33 + 20 × 90) / 60 = 92.22; (40 × 93.33 + 20 × 100) / 60 = 95.5533… = 95.55
    assert {name: row.review for name, row in rows.items()} == {
        "城关镇": D("92.22"),
        "东风街道": D("95.55"),
        "财政局": D("92.22"),
        "教育局": D("58.89"),
        "民政局": D("52.22"),
    }
    assert {name: row.total for name, row in rows.items()} == {
        name: row.review for name, row in rows.items()
    }
    assert {name: row.rank for name, row in rows.items()} == {
        "东风街道": 1,
        "城关镇": 2,
        "财政局": 1,
        "教育局": 2,
        "民政局": 3,
    }
    # ⌊30 % × 2⌋ = 0 and ⌊30 % × 3⌋ = 0 places for 优秀: above 90 means 良好, by the cap.
    assert (rows["东风街道"].band, rows["东风街道"].band_rule) == ("good", "cap")
    assert (rows["教育局"].band, rows["民政局"].band) == ("poor", "poor")


def test_compute_without_the_cap_gives_excellent_by_threshold():
    w = world(excellent_cap_enabled=False)

    rows = by_name(services.compute(w.session).result, w)

    assert (rows["东风街道"].band, rows["东风街道"].band_rule) == ("excellent", "threshold")
    assert rows["财政局"].band == "excellent"


def test_load_inputs_leaves_out_blanks_keeps_void_ballots_marked_and_holder_units():
    w = world()
    voided = add_ballot(w, w.leaders, "PPPPP", voided_at=timezone.now(), void_reason="重复录入")
    add_ballot(w, w.departments_group, "G.XGG", holder=w.departments[0])

    inputs = selectors.load_inputs(w.session)

    assert [u.name for u in inputs.units] == ["城关镇", "东风街道", "财政局", "教育局", "民政局"]
    assert [(g.name, g.weight, g.is_leaders) for g in inputs.groups] == [
        ("县级领导", D("40.00"), True),
        ("区直部门", D("20.00"), False),
    ]
    ballots = {b.key: b for b in inputs.ballots}
    assert ballots[voided.pk.hex].void is True
    last = next(b for b in inputs.ballots if b.holder_unit == str(w.departments[0].pk))
    assert last.grades == {
        str(w.towns[0].pk): "good",
        str(w.departments[0].pk): "abstain",
        str(w.departments[1].pk): "good",
        str(w.departments[2].pk): "good",
    }
    result = services.compute(w.session, inputs).result
    assert (result.ballots_used, result.ballots_void) == (6, 1)


def test_published_result_is_frozen_and_cannot_be_published_twice():
    w = world()
    organiser = UserFactory()

    snapshot = services.result_publish(session=w.session, actor=organiser)

    w.session.refresh_from_db()
    assert w.session.status == Status.PUBLISHED
    assert (snapshot.number, snapshot.reason, len(snapshot.inputs_hash)) == (1, "", 64)
    assert snapshot.inputs_hash == engine.inputs_hash(selectors.load_inputs(w.session))
    assert any(
        line.startswith("综合评议得分 = 县级领导 × 66.67% + 区直部门 × 33.33%")
        for line in snapshot.scheme["words"]
    )
    assert AuditLog.objects.filter(action="result.publish").count() == 1
    with pytest.raises(ValidationError, match="结果已经发布"):
        services.result_publish(session=w.session, actor=organiser)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultSnapshot.objects.create(
            session=w.session,
            number=1,
            scheme={},
            inputs_hash="x" * 64,
            engine_version="x",
            result={},
        )
    assert ResultSnapshot.objects.count() == 1


@pytest.mark.parametrize("status", [Status.DRAFT, Status.READY, Status.RATING])
def test_publish_needs_a_closed_session(status):
    w = world(status=status)

    with pytest.raises(ValidationError, match="只有评议已结束"):
        services.result_publish(session=w.session, actor=None)

    assert ResultSnapshot.objects.count() == 0
    w.session.refresh_from_db()
    assert w.session.status == status


def test_correction_is_a_new_snapshot_with_a_reason_and_the_first_stays():
    w = world()
    first = services.result_publish(session=w.session, actor=None)
    ExternalScore.objects.create(
        session=w.session, unit=w.departments[1], bonus=D("5"), bonus_reason="获省级表彰"
    )

    with pytest.raises(ValidationError, match="请写明更正理由"):
        services.result_correct(session=w.session, actor=None, reason="  ")
    second = services.result_correct(
        session=w.session, actor=None, reason="补录教育局加分（获省级表彰）"
    )

    first.refresh_from_db()
    assert [s.number for s in selectors.snapshots(w.session)] == [2, 1]
    assert first.inputs_hash != second.inputs_hash
    education = next(
        r for c in second.result["categories"] for r in c["rows"] if r["unit_name"] == "教育局"
    )
    assert (education["bonus"], education["total"]) == ("5.00", "63.89")
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultSnapshot.objects.create(
            session=w.session, number=3, scheme={}, inputs_hash="", engine_version="", result={}
        )


def test_verify_passes_on_a_published_session_and_fails_after_a_ballot_is_altered():
    w = world()
    services.result_publish(session=w.session, actor=None)

    assert services.result_verify(session=w.session).ok is True

    grade = BallotGrade.objects.filter(unit=w.departments[2], grade="poor").first()
    BallotGrade.objects.filter(pk=grade.pk).update(grade="good")
    check = services.result_verify(session=w.session)

    assert check.ok is False
    assert check.stored_hash != check.current_hash
    # 民政局's 县级领导 score rises from 53.33 to 73.33: it overtakes 教育局, whose rank changes.
    assert [d.split(":")[0] for d in check.differences] == ["教育局", "民政局"]


def test_verify_without_a_snapshot_says_so():
    w = world()

    with pytest.raises(ValidationError, match="还没有发布结果"):
        services.result_verify(session=w.session)


def test_sensitivity_shows_the_ranks_a_group_decides():
    w = world()
    computed = services.compute(w.session)

    variants, rows = services.sensitivity(computed)

    keys = [v.key for v in variants]
    leaders, departments = str(w.leaders.pk), str(w.departments_group.pk)
    assert keys == [
        "mean",
        f"weight:{leaders}:+1",
        f"weight:{leaders}:-1",
        f"weight:{departments}:+1",
        f"weight:{departments}:-1",
        f"without:{leaders}",
        f"without:{departments}",
    ]
    changes = {row.name: row.changes for row in rows}
    # Without 区直部门 everyone is scored by 县级领导 alone: the towns tie on 93.33 (城关镇 rises
    # to a shared first place), and so do 教育局 and 民政局 on 53.33.
    # Without 县级领导, 教育局 has 70 from 区直部门: 一般 instead of 较差.
    # ±10 points of weight and the trimmed mean (3 votes, k = 5: nothing to trim) change nothing.
    assert changes == {
        "东风街道": {},
        "城关镇": {f"without:{departments}": (1, "good")},
        "财政局": {},
        "教育局": {f"without:{leaders}": (2, "average")},
        "民政局": {f"without:{departments}": (2, "poor")},
    }


def test_external_scores_and_components_make_the_total():
    w = world(weight_review=D("60"), weight_target=D("40"))
    organiser = UserFactory()
    for unit, target in zip(w.units, ["95", "90", "88", "70", "60"], strict=True):
        services.external_score_save(
            session=w.session, unit=unit, actor=organiser, target=D(target), daily=None
        )

    rows = by_name(services.compute(w.session).result, w)

    # 东风街道: 95.55 × 60 % + 90 × 40 % = 57.33 + 36 = 93.33
    assert rows["东风街道"].total == D("93.33")
    # 城关镇: 92.22 × 60 % + 95 × 40 % = 55.332 + 38 = 93.332 → 93.33: a tie, shared rank 1.
    assert rows["城关镇"].total == D("93.33")
    assert (rows["城关镇"].rank, rows["东风街道"].rank) == (1, 1)
    assert AuditLog.objects.filter(action="external_score.save").count() == 5


def test_a_bonus_needs_a_reason_and_a_foreign_unit_is_refused():
    w = world()
    other = scored_session()

    with pytest.raises(ValidationError, match="必须写明理由"):
        services.external_score_save(
            session=w.session, unit=w.towns[0], actor=None, target=None, daily=None, bonus=D("2")
        )
    with pytest.raises(ValidationError, match="不属于本评议会"):
        services.external_score_save(
            session=w.session, unit=other.towns[0], actor=None, target=D("90"), daily=None
        )
    with pytest.raises(ValidationError):
        services.external_score_save(
            session=w.session, unit=w.towns[0], actor=None, target=D("101"), daily=None
        )
    assert ExternalScore.objects.count() == 0


def test_leader_comment_score_is_the_written_comment_component():
    w = world(weight_review=D("80"), weight_leader_comment=D("20"))
    for unit in w.units:
        services.leader_comment_save(
            session=w.session,
            unit=unit,
            actor=None,
            author="李副县长",
            text="工作扎实。",
            score=D("90"),
        )

    rows = by_name(services.compute(w.session).result, w)

    # 东风街道: 95.55 × 80 % + 90 × 20 % = 76.44 + 18 = 94.44
    assert rows["东风街道"].total == D("94.44")
    assert LeaderComment.objects.count() == 5


def test_document_of_a_preview_says_so_and_names_its_flags():
    w = world()
    add_ballot(w, w.departments_group, "GGGGG", voided_at=timezone.now(), void_reason="重复提交")

    doc = document.build(w.session)

    assert doc.preview is True
    assert doc.status_label == "预览（未发布）"
    assert [c.name for c in doc.categories] == ["镇(街道)", "区直部门"]
    assert [(r.rank, r.name, r.total, r.band) for r in doc.categories[0].rows] == [
        (1, "东风街道", D("95.55"), "良好"),
        (2, "城关镇", D("92.22"), "良好"),
    ]
    assert doc.categories[0].rows[0].flags == ["达到优秀分数线，但超出优秀比例，定为良好"]
    assert [name for name, _n in ((g.name, g.votes) for g in doc.categories[0].rows[0].groups)] == [
        "县级领导",
        "区直部门",
    ]
    assert [v[1] for v in doc.void_ballots] == ["重复提交"]
    assert doc.footnotes[1].startswith("输入数据 SHA-256：")


def test_document_of_a_published_session_reads_the_snapshot_and_last_years_ranks():
    last_year = scored_session(
        leaders=["GPGGG", "GPGGG"], departments=["GPGGG", "GPGGG"], year=2025, title="2025年度"
    )
    services.result_publish(session=last_year.session, actor=None)
    w = world()
    services.result_publish(session=w.session, actor=None)

    doc = document.build(w.session)

    assert (doc.preview, doc.status_label) == (False, "第 1 版")
    towns = {r.name: (r.rank, r.previous_rank, r.rank_change) for r in doc.categories[0].rows}
    # Last year 东风街道 was last (差 from everyone): up one place; 城关镇 down one.
    assert towns == {"东风街道": (1, 2, 1), "城关镇": (2, 1, -1)}


def test_load_inputs_reads_per_criterion_grades_as_nested_mappings():
    w = scored_session()
    work = CriterionFactory(session=w.session, name="工作实绩", weight=D("60"))
    style = CriterionFactory(session=w.session, name="工作作风", weight=D("40"))
    ballot = Ballot.objects.create(session=w.session, group=w.leaders)
    BallotGrade.objects.bulk_create(
        [
            BallotGrade(ballot=ballot, unit=w.towns[0], criterion=work, grade="good"),
            BallotGrade(ballot=ballot, unit=w.towns[0], criterion=style, grade="abstain"),
            BallotGrade(ballot=ballot, unit=w.departments[2], criterion=style, grade="poor"),
        ]
    )

    inputs = selectors.load_inputs(w.session)

    assert inputs.scheme.criteria == ((str(work.pk), D("60.00")), (str(style.pk), D("40.00")))
    assert [b.grades for b in inputs.ballots] == [
        {
            str(w.towns[0].pk): {str(work.pk): "good", str(style.pk): "abstain"},
            str(w.departments[2].pk): {str(style.pk): "poor"},
        }
    ]
