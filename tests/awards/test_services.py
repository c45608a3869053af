"""awards/services.py against a real database: nominations from a published result and from
the year's 目标考核 scores, quota and ties, exclusions, the lifecycle and its refusals
(docs/awards.md)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from awards import services
from awards.models import Nomination, Objection, Programme
from org.services import default_district
from scoring.selectors import current_snapshot
from sessions.models import AuditLog
from targets.models import Notice
from targets.scores import basis, live_annual_scores
from tests.factories import UserFactory
from tests.factories.awards import (
    AFTER_PUBLICITY,
    PUBLICITY,
    TIED,
    computed,
    make_programme,
    person_programme,
    publicised,
    published_world,
)
from tests.factories.scoring import scored_session
from tests.factories.target_notices import NoticeFactory, ReportFactory
from tests.factories.targets import (
    DistrictFactory,
    OrgUnitFactory,
    TargetFactory,
    TargetUnitFactory,
)

pytestmark = pytest.mark.django_db
Status = Programme.Status
D = Decimal
TZ = ZoneInfo("Asia/Shanghai")


def listed(programme) -> list[str]:
    return [
        n.org_unit.name
        for n in programme.nominations.filter(excluded=False, withdrawn=False).order_by("position")
    ]


def org_unit(world, name):
    return next(u.org_unit for u in world.units if u.name == name)


# ---------------------------------------------------------------------------- from the snapshot


def test_compute_by_rank_copies_how_each_qualified_from_the_snapshot():
    w = published_world()
    snapshot = current_snapshot(w.session)
    programme = make_programme(session=w.session, top_n=1)

    found = computed(programme)

    assert list(found) == ["东风街道", "财政局"]
    east = found["东风街道"]
    assert (east.category, east.rank, east.band, east.score) == ("镇(街道)", 1, "good", D("95.55"))
    assert (
        east.basis == "镇(街道)综合得分第 1 名（总分 95.55），等次良好；2026年度述职评议第 1 版结果"
    )
    assert (east.snapshot, east.inputs_hash) == (snapshot, snapshot.inputs_hash)
    assert [n.position for n in found.values()] == [1, 2]
    programme.refresh_from_db()
    assert programme.status == Status.NOMINATED
    entry = AuditLog.objects.get(action="awards.nominations.compute")
    assert (entry.session, entry.detail["snapshot"]) == (w.session, snapshot.pk)
    assert entry.detail["listed"] == [east.org_unit.code, found["财政局"].org_unit.code]


def test_compute_by_band_takes_the_chosen_bands():
    w = published_world()
    programme = make_programme(session=w.session, source=Programme.Source.BAND, bands=["good"])

    found = computed(programme)

    assert list(found) == ["东风街道", "城关镇", "财政局"]
    assert found["城关镇"].basis.startswith("镇(街道)第 2 名，总分 92.22，等次良好")


def test_compute_by_review_score_ranks_on_the_review_score_alone():
    w = published_world()
    programme = make_programme(session=w.session, rank_by=Programme.RankBy.REVIEW, top_n=1)

    found = computed(programme)

    assert list(found) == ["东风街道", "财政局"]
    assert found["财政局"].basis.startswith("区直部门综合评议得分第 1 名（92.22 分）")


def test_compute_applies_the_quota_per_category_and_the_default():
    w = published_world()
    programme = make_programme(session=w.session, top_n=3, quota={"镇(街道)": 1}, quota_default=2)

    computed(programme)

    assert listed(programme) == ["东风街道", "财政局", "教育局"]
    assert AuditLog.objects.get(action="awards.nominations.compute").message.endswith(
        "入选 3 个，排除 0 个，超出名额 2 个"
    )


def test_compute_quota_zero_lists_nobody_of_that_category():
    w = published_world()
    programme = make_programme(session=w.session, quota={"区直部门": 0})

    computed(programme)

    assert listed(programme) == ["东风街道", "城关镇"]


def test_compute_includes_and_flags_every_unit_tied_at_the_quota_edge():
    w = published_world(leaders=TIED, departments=TIED)
    programme = make_programme(session=w.session, top_n=3, quota_default=1)

    found = computed(programme)

    assert {name: (n.rank, n.tie_at_quota) for name, n in found.items()} == {
        "城关镇": (1, True),
        "东风街道": (1, True),
        "财政局": (1, True),
        "教育局": (1, True),
    }
    assert "民政局" not in found


def test_compute_without_a_tie_flags_nobody():
    w = published_world()
    programme = make_programme(session=w.session, quota_default=1)

    found = computed(programme)

    assert [n.tie_at_quota for n in found.values()] == [False, False]


def test_compute_is_deterministic():
    w = published_world(leaders=TIED, departments=TIED)
    programme = make_programme(session=w.session, top_n=3, quota_default=1)

    first = [(n.org_unit_id, n.position, n.basis) for n in computed(programme).values()]
    second = [(n.org_unit_id, n.position, n.basis) for n in computed(programme).values()]

    assert first == second
    assert Nomination.objects.filter(programme=programme).count() == 4


def test_compute_refuses_a_session_without_a_published_result():
    world = scored_session()
    programme = make_programme(session=world.session)

    with pytest.raises(ValidationError, match="尚未发布结果"):
        services.nominations_compute(programme=programme, actor=None)

    programme.refresh_from_db()
    assert (programme.status, programme.nominations.count()) == (Status.DRAFT, 0)


# ---------------------------------------------------------------------------- exclusions


def test_a_listed_exclusion_is_kept_with_its_reason_and_frees_its_place():
    w = published_world()
    east = org_unit(w, "东风街道")
    programme = make_programme(
        session=w.session, quota_default=1, exclusions={east: "发生安全生产事故"}
    )

    found = computed(programme)

    assert listed(programme) == ["城关镇", "财政局"]
    assert (found["东风街道"].excluded, found["东风街道"].excluded_reason) == (
        True,
        "列入排除名单：发生安全生产事故",
    )


def test_a_unit_vetoed_in_its_targets_is_excluded():
    w = published_world()
    finance = org_unit(w, "财政局")
    # A veto target without an accepted result vetoes (docs/targets.md, rule 5).
    TargetUnitFactory(org_unit=finance, target=TargetFactory(code="9.1", veto=True))
    programme = make_programme(session=w.session)

    found = computed(programme)

    assert found["财政局"].excluded is True
    assert found["财政局"].excluded_reason == "目标考核被一票否决（指标 9.1）"
    assert listed(programme) == ["东风街道", "城关镇", "教育局"]


def test_an_open_warning_or_admonition_excludes_a_closed_one_or_a_supervision_does_not():
    w = published_world()
    east, town, finance = (org_unit(w, n) for n in ("东风街道", "城关镇", "财政局"))
    NoticeFactory(target_unit=TargetUnitFactory(org_unit=east), kind=Notice.Kind.ADMONISH)
    NoticeFactory(
        target_unit=TargetUnitFactory(org_unit=town),
        kind=Notice.Kind.WARNING,
        closed_at=datetime(2026, 6, 1, tzinfo=TZ),
        close_note="已整改",
    )
    NoticeFactory(target_unit=TargetUnitFactory(org_unit=finance), kind=Notice.Kind.SUPERVISE)
    programme = make_programme(session=w.session)

    found = computed(programme)

    assert [name for name, n in found.items() if n.excluded] == ["东风街道"]
    assert found["东风街道"].excluded_reason.startswith("有未销号的诫勉谈话（2026 年第")


def test_exclusion_rules_can_be_turned_off():
    w = published_world()
    finance = org_unit(w, "财政局")
    TargetUnitFactory(org_unit=finance, target=TargetFactory(veto=True))
    NoticeFactory(target_unit=TargetUnitFactory(org_unit=finance), kind=Notice.Kind.ADMONISH)
    programme = make_programme(session=w.session, exclude_vetoed=False, exclude_noticed=False)

    found = computed(programme)

    assert found["财政局"].excluded is False


# ---------------------------------------------------------------------------- from the targets


def target_world():
    """Four units of the installation's district with one target each, reported in December."""
    units = {
        name: OrgUnitFactory(name=name, category=category)
        for name, category in [
            ("甲镇", "镇(街道)"),
            ("乙镇", "镇(街道)"),
            ("丙局", "政府部门"),
            ("丁局", "政府部门"),
        ]
    }
    for name, value in [("甲镇", 95), ("乙镇", 95), ("丙局", 92), ("丁局", 80)]:
        ReportFactory(target_unit=TargetUnitFactory(org_unit=units[name]), month=12, value=value)
    return units


def test_compute_from_target_scores_takes_the_threshold_and_keeps_the_basis_hash():
    target_world()
    programme = make_programme(
        district=default_district(),
        source=Programme.Source.TARGET,
        min_score=D("90"),
        quota_default=1,
    )

    found = computed(programme)

    assert {name: (n.category, n.score, n.tie_at_quota) for name, n in found.items()} == {
        "甲镇": ("镇(街道)", D("95.00"), True),
        "乙镇": ("镇(街道)", D("95.00"), True),
        "丙局": ("政府部门", D("92.00"), False),
    }
    scores = {r.org_unit.name: r for r in live_annual_scores(default_district(), 2026)}
    assert found["丙局"].inputs_hash == basis(scores["丙局"])
    assert found["丙局"].snapshot is None
    assert found["丙局"].basis == "2026 年度目标考核得分 92.00，政府部门第 1 名"


# ---------------------------------------------------------------------------- programme_save


def test_programme_save_refuses_a_session_of_another_district_or_year():
    w = published_world()
    other = DistrictFactory()

    with pytest.raises(ValidationError, match="不属于本区"):
        make_programme(session=w.session, district=other)
    with pytest.raises(ValidationError, match="2026 年度的"):
        services.programme_save(
            actor=None,
            district=w.session.district,
            year=2025,
            session=w.session,
            name="优秀单位",
            kind="unit",
            source="rank",
            top_n=1,
        )
    assert Programme.objects.count() == 0


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"top_n": None}, "前几名"),
        ({"kind": "person"}, "先进个人由单位推荐"),
        ({"source": "band", "bands": []}, "至少选择一个等次"),
        ({"source": "target", "min_score": None}, "最低目标考核得分"),
        ({"name": " "}, "奖项名称"),
        ({"quota": {"镇(街道)": -1}}, "分类名额"),
    ],
)
def test_programme_save_refuses_incomplete_rules(rules, message):
    w = published_world()
    with pytest.raises(ValidationError, match=message):
        make_programme(session=w.session, **rules)
    assert Programme.objects.count() == 0


def test_programme_save_refuses_a_name_used_in_the_year():
    w = published_world()
    make_programme(session=w.session)
    with pytest.raises(ValidationError, match="已有名为"):
        make_programme(session=w.session)


def test_changing_the_rules_after_computing_drops_the_list():
    w = published_world()
    programme = make_programme(session=w.session)
    computed(programme)

    services.programme_save(
        actor=None,
        district=programme.district,
        year=2026,
        programme=programme,
        session=w.session,
        name=programme.name,
        kind="unit",
        source="rank",
        top_n=1,
    )

    programme.refresh_from_db()
    assert (programme.status, programme.nominations.count(), programme.top_n) == (
        Status.DRAFT,
        0,
        1,
    )
    assert "原提名名单已作废" in AuditLog.objects.get(action="awards.programme.update").message


def test_after_publicity_neither_rules_nor_list_change():
    w = published_world()
    programme = make_programme(session=w.session)
    computed(programme)
    publicised(programme)

    with pytest.raises(ValidationError, match="公示开始后名单不能重新计算"):
        services.nominations_compute(programme=programme, actor=None)
    with pytest.raises(ValidationError, match="评选规则已不能修改"):
        services.programme_save(
            actor=None,
            district=programme.district,
            year=2026,
            programme=programme,
            session=w.session,
            name="改名",
            kind="unit",
            source="rank",
            top_n=1,
        )
    programme.refresh_from_db()
    assert (programme.name, programme.nominations.count()) == ("综合目标管理优秀单位", 4)


# ---------------------------------------------------------------------------- persons


def test_person_nominate_keeps_to_the_places_per_unit():
    district = default_district()
    unit, other = OrgUnitFactory(name="甲镇"), OrgUnitFactory(name="乙镇")
    programme = person_programme(district=district)

    first = services.person_nominate(
        programme=programme, org_unit=unit, person_name="张明", post="主任", actor=None
    )

    assert (first.person_name, first.post, first.basis) == ("张明", "主任", "由甲镇推荐")
    programme.refresh_from_db()
    assert programme.status == Status.NOMINATED
    with pytest.raises(ValidationError, match="推荐名额为 1 名，已经用完"):
        services.person_nominate(
            programme=programme, org_unit=unit, person_name="李华", post="科长", actor=None
        )
    with pytest.raises(ValidationError, match="已推荐过张明"):
        services.person_nominate(
            programme=programme, org_unit=unit, person_name="张明", post="主任", actor=None
        )
    with pytest.raises(ValidationError, match="不属于本区"):
        services.person_nominate(
            programme=programme,
            org_unit=OrgUnitFactory(district=DistrictFactory()),
            person_name="王五",
            post="科员",
            actor=None,
        )
    services.person_nominate(
        programme=programme, org_unit=other, person_name="李华", post="科长", actor=None
    )
    assert programme.nominations.count() == 2


def test_person_nominate_refused_on_a_unit_programme_and_compute_on_a_person_one():
    w = published_world()
    units = make_programme(session=w.session)
    persons = person_programme(district=w.session.district)

    with pytest.raises(ValidationError, match="不能推荐个人"):
        services.person_nominate(
            programme=units,
            org_unit=w.units[0].org_unit,
            person_name="张明",
            post="主任",
            actor=None,
        )
    with pytest.raises(ValidationError, match="不按结果计算"):
        services.nominations_compute(programme=persons, actor=None)


# ---------------------------------------------------------------------------- lifecycle


def nominated_programme(**rules):
    w = published_world()
    programme = make_programme(session=w.session, **rules)
    computed(programme)
    return programme


def test_publicise_refuses_bad_dates_an_empty_list_and_a_draft():
    programme = nominated_programme()
    with pytest.raises(ValidationError, match="结束日期不能早于开始日期"):
        services.publicise(
            programme=programme, start=date(2026, 12, 7), end=date(2026, 12, 1), actor=None
        )
    for nomination in programme.nominations.all():
        services.nomination_withdraw(nomination=nomination, reason="并列，研究决定", actor=None)
    with pytest.raises(ValidationError, match="名单为空"):
        publicised(programme)
    draft = make_programme(session=programme.session, name="先进单位")
    with pytest.raises(ValidationError, match="只有已提名的奖项可以公示"):
        publicised(draft)
    programme.refresh_from_db()
    assert programme.status == Status.NOMINATED


def test_nomination_withdraw_before_publicity_only():
    programme = nominated_programme()
    first, second = programme.nominations.all()[:2]

    services.nomination_withdraw(
        nomination=first, reason="名额边界并列，研究决定不列入", actor=None
    )
    publicised(programme)

    first.refresh_from_db()
    assert (first.withdrawn, first.withdrawn_reason) == (True, "名额边界并列，研究决定不列入")
    with pytest.raises(ValidationError, match="只有公示前可以撤销提名"):
        services.nomination_withdraw(nomination=second, reason="x", actor=None)


def test_objection_upheld_withdraws_the_nomination():
    programme = publicised(nominated_programme())
    nomination = programme.nominations.get(org_unit__name="城关镇")
    objection = services.objection_record(
        nomination=nomination,
        summary="反映该单位年内发生信访事件",
        received_at=datetime(2026, 12, 3, 10, tzinfo=TZ),
        actor=None,
    )

    services.objection_decide(objection=objection, outcome="upheld", note="经核查属实", actor=None)

    nomination.refresh_from_db()
    assert (nomination.withdrawn, nomination.withdrawn_reason) == (
        True,
        "公示期异议成立：经核查属实",
    )
    assert "城关镇" not in listed(programme)
    with pytest.raises(ValidationError, match="已经核查过"):
        services.objection_decide(objection=objection, outcome="dismissed", note="x", actor=None)
    with pytest.raises(ValidationError, match="不在公示名单上"):
        services.objection_record(
            nomination=nomination,
            summary="再次反映",
            received_at=datetime(2026, 12, 4, 10, tzinfo=TZ),
            actor=None,
        )


def test_objection_dismissed_leaves_the_nomination_on_the_list():
    programme = publicised(nominated_programme())
    nomination = programme.nominations.get(org_unit__name="城关镇")
    objection = services.objection_record(
        nomination=nomination,
        summary="反映台账不全",
        received_at=datetime(2026, 12, 3, 10, tzinfo=TZ),
        actor=None,
    )

    services.objection_decide(objection=objection, outcome="dismissed", note="台账齐全", actor=None)

    nomination.refresh_from_db()
    objection.refresh_from_db()
    assert (nomination.withdrawn, objection.outcome) == (False, Objection.Outcome.DISMISSED)


def test_objection_refused_outside_publicity_or_without_a_note():
    programme = nominated_programme()
    nomination = programme.nominations.first()
    with pytest.raises(ValidationError, match="只有公示期间可以登记异议"):
        services.objection_record(nomination=nomination, summary="x", actor=None)
    publicised(programme)
    with pytest.raises(ValidationError, match="须在公示期内"):
        services.objection_record(
            nomination=nomination,
            summary="逾期反映",
            received_at=datetime(2026, 12, 9, 10, tzinfo=TZ),
            actor=None,
        )
    objection = services.objection_record(
        nomination=nomination,
        summary="反映",
        received_at=datetime(2026, 12, 1, 0, 30, tzinfo=TZ),
        actor=None,
    )
    with pytest.raises(ValidationError, match="核查说明"):
        services.objection_decide(objection=objection, outcome="upheld", note=" ", actor=None)
    objection.refresh_from_db()
    assert objection.outcome == Objection.Outcome.PENDING


def test_finalise_after_the_end_date_with_every_objection_decided():
    programme = publicised(nominated_programme())
    objection = services.objection_record(
        nomination=programme.nominations.first(),
        summary="反映",
        received_at=datetime(2026, 12, 2, 9, tzinfo=TZ),
        actor=None,
    )
    end = PUBLICITY[1]

    with pytest.raises(ValidationError, match="公示期满后才能确定"):
        services.finalise(programme=programme, actor=None, today=end)
    with pytest.raises(ValidationError, match="还有 1 条异议未核查"):
        services.finalise(programme=programme, actor=None, today=AFTER_PUBLICITY)
    services.objection_decide(objection=objection, outcome="dismissed", note="不属实", actor=None)
    services.finalise(programme=programme, actor=None, today=AFTER_PUBLICITY)

    programme.refresh_from_db()
    assert programme.status == Status.FINAL
    assert AuditLog.objects.filter(action="awards.finalise").count() == 1


def final_programme(world, name, **rules):
    programme = make_programme(session=world.session, name=name, **rules)
    computed(programme)
    publicised(programme)
    return services.finalise(programme=programme, actor=None, today=AFTER_PUBLICITY)


def decide(programmes, **overrides):
    values = {
        "number": "惠文〔2027〕1号",
        "date": date(2026, 12, 20),
        "issuer": "中共惠济区委 惠济区人民政府",
        "body": "为表彰先进，决定予以表彰。",
        "actor": UserFactory(),
    }
    return services.decide(programmes=programmes, **(values | overrides))


def test_decide_one_decision_for_several_programmes():
    w = published_world()
    first = final_programme(w, "综合目标管理优秀单位", top_n=1)
    second = final_programme(w, "先进单位")

    decided = decide([second, first], signatory="张三")

    assert [p.pk for p in decided] == [first.pk, second.pk]
    for programme in (first, second):
        programme.refresh_from_db()
        assert (programme.status, programme.decision_number, programme.decision_signatory) == (
            Status.DECIDED,
            "惠文〔2027〕1号",
            "张三",
        )
    assert AuditLog.objects.filter(action="awards.decide").count() == 2


def test_decide_refusals_change_nothing():
    w = published_world()
    final = final_programme(w, "综合目标管理优秀单位")
    nominated = make_programme(session=w.session, name="先进单位")
    computed(nominated)

    with pytest.raises(ValidationError, match="确定最终名单后才能作出表彰决定"):
        decide([final, nominated])
    with pytest.raises(ValidationError, match="须在公示期满之后"):
        decide([final], date=PUBLICITY[1])
    with pytest.raises(ValidationError, match="请填写决定正文"):
        decide([final], body="")
    final.refresh_from_db()
    assert (final.status, final.decision_number) == (Status.FINAL, "")
    decide([final])
    second = final_programme(w, "重点工作先进单位")
    with pytest.raises(ValidationError, match="已被另一个表彰决定使用"):
        decide([second])


def test_decide_refuses_programmes_of_different_years():
    w = published_world()
    other = published_world(year=2025, title="2025年度述职评议")
    a = final_programme(w, "优秀单位")
    b = final_programme(other, "优秀单位")

    with pytest.raises(ValidationError, match="同一年度"):
        decide([a, b])
