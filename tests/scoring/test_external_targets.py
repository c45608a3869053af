"""目标考核 taken from target management into a review session (scoring/services.py
``external_targets_fill``, the 其他考核 page's 从目标管理取目标考核得分; docs/targets.md, "Into
the review"), checked against a recomputation written here from docs/targets.md's rules."""

from decimal import Decimal

import pytest
from django.urls import reverse

from scoring import engine, services
from scoring.models import ExternalScore
from sessions.models import AuditLog, ReviewSession
from targets import reports
from targets.models import Report, Target
from tests.factories.scoring import scored_session
from tests.factories.target_recompute import recompute
from tests.factories.target_scores import GDP, REVENUE, SAFETY, accepted, line_of

pytestmark = pytest.mark.django_db
D = Decimal
SLUG = "2026-targets-fill"


# ------------------------------------------------------------------------------- the world


def _session(**scheme):
    world = scored_session(
        leaders=["GGFAA", "GFGAF", "FGAGG"],
        departments=["GGGGG", "FFAAG"],
        weight_review=D(70),
        weight_target=D(30),
        **scheme,
    )
    ReviewSession.objects.filter(pk=world.session.pk).update(slug=SLUG)
    world.session.refresh_from_db()
    return world


def _varied_targets(world) -> dict[str, Report]:
    """Targets with every kind of rule for four of the five units; 民政局 has none."""
    town, street, finance, education, _civil = (u.org_unit for u in world.units)
    found = {}
    # 城关镇: ratio with floor 50 % and cap 120 %, over the goal; at most with a baseline.
    found["over"] = accepted(line_of(town, **GDP, floor=D("0.5"), cap=D("1.2")), "7.7")
    accepted(line_of(town, **GDP, floor=D("0.5")), "3.2")  # 45.71 %: below the floor
    at_most = line_of(
        town, direction=Target.Direction.AT_MOST, baseline=D(30), goal=D(20), points=D(6)
    )
    accepted(at_most, "26", month=6)
    accepted(at_most, "24", month=9)  # the latest counts: (30 − 24) ÷ (30 − 20) = 60 %
    # 东风街道: steps; at most without a baseline, over the goal (goal ÷ actual).
    accepted(
        line_of(
            street,
            kind=Target.Kind.COUNT,
            goal=D(4000),
            points=D(8),
            method=Target.Method.STEPS,
            steps=[["0.8", "0.6"], ["0.9", "0.8"], ["1", "1"]],
        ),
        "3650",
    )
    accepted(line_of(street, direction=Target.Direction.AT_MOST, goal=D(5), points=D(5)), "5.5")
    # 财政局: the 力争 bonus, part of the way; pass/fail at most, met; a unit's own share.
    found["revenue"] = accepted(line_of(finance, **REVENUE), "7")
    accepted(
        line_of(
            finance,
            direction=Target.Direction.AT_MOST,
            goal=D(5),
            points=D(5),
            method=Target.Method.PASS_FAIL,
        ),
        "4.6",
    )
    accepted(line_of(finance, **GDP, unit_goal=D(5), unit_points=D(4)), "4.5")
    line_of(finance, **GDP)  # never reported: nothing earned
    # 教育局: a veto target missed.
    accepted(line_of(education, **GDP), "7")
    accepted(line_of(education, **SAFETY), "1")
    return found


def url(name: str) -> str:
    return reverse(f"scoring:{name}", args=[SLUG])


# --------------------------------------------------------------------------------- service


def test_fill_writes_each_units_annual_score_as_recomputed_from_the_rules(organiser):
    world = _session()
    _varied_targets(world)
    civil = world.units[4]
    ExternalScore.objects.create(session=world.session, unit=civil, target=D("77.5"), daily=D("80"))
    ExternalScore.objects.create(
        session=world.session,
        unit=world.units[2],
        daily=D("91"),
        bonus=D("-1"),
        bonus_reason="通报",
    )

    summary = services.external_targets_fill(session=world.session, actor=organiser)

    stored = {e.unit.name: e for e in ExternalScore.objects.select_related("unit")}
    expected = {u.name: recompute(u.org_unit, 2026) for u in world.units[:4]}
    assert {name: stored[name].target for name in expected} == expected
    # And by hand, from the targets above:
    assert expected == {
        "城关镇": D("56.15"),  # (11.00 + 0.00 + 3.60) ÷ 26 × 100
        "东风街道": D("84.23"),  # (6.40 + 4.55) ÷ 13 × 100
        "财政局": D("67.59"),  # (10.00 + 1.00 + 5.00 + 3.60 + 0.00) ÷ 29 × 100
        "教育局": D("0.00"),  # 一票否决
    }
    assert {stored[name].target_source for name in expected} == {"targets"}
    assert all(len(stored[name].target_basis) == 64 for name in expected)
    # 民政局 has no targets: untouched, still typed.
    assert (
        stored["民政局"].target,
        stored["民政局"].target_source,
        stored["民政局"].target_basis,
    ) == (
        D("77.50"),
        "typed",
        "",
    )
    # 日常考核 and 加减分 stay as they were.
    assert (stored["财政局"].daily, stored["财政局"].bonus, stored["财政局"].bonus_reason) == (
        D("91.00"),
        D("-1.00"),
        "通报",
    )
    assert (len(summary["filled"]), summary["changed"], summary["without_targets"]) == (
        4,
        4,
        ["民政局"],
    )
    entry = AuditLog.objects.get(action="external_score.targets")
    assert (entry.session_id, entry.detail["year"], len(entry.detail["units"])) == (
        world.session.pk,
        2026,
        4,
    )


def test_basis_changes_the_hash_even_where_the_score_stays(organiser):
    world = _session()
    found = _varied_targets(world)
    services.external_targets_fill(session=world.session, actor=organiser)
    town = ExternalScore.objects.get(unit=world.units[0])
    before = services.compute(world.session).inputs_hash

    # 7.7 → 7.8 (110.00 % → 111.43 %, under the 120 % cap): the score moves, the basis too.
    reports.report_correct(
        report=found["over"], value=D("7.8"), reason="统计口径更正", actor=organiser
    )
    services.external_targets_fill(session=world.session, actor=organiser)
    moved = ExternalScore.objects.get(unit=world.units[0])
    after_town = services.compute(world.session).inputs_hash

    assert moved.target != town.target
    assert moved.target_basis != town.target_basis
    assert after_town != before


def test_a_correction_that_leaves_the_score_changes_only_the_basis_and_hash(organiser):
    world = _session()
    found = _varied_targets(world)
    services.external_targets_fill(session=world.session, actor=organiser)
    finance = ExternalScore.objects.get(unit=world.units[2])
    before = services.compute(world.session).inputs_hash

    # 7 → 7.0001: the points round to the same cent, the value scored is another.
    reports.report_correct(
        report=found["revenue"], value=D("7.0001"), reason="核对后更正", actor=organiser
    )
    unchanged_hash = services.compute(world.session).inputs_hash  # not taken again yet
    services.external_targets_fill(session=world.session, actor=organiser)
    again = ExternalScore.objects.get(unit=world.units[2])

    assert unchanged_hash == before
    assert again.target == finance.target
    assert again.target_basis != finance.target_basis
    assert services.compute(world.session).inputs_hash != before


def test_published_after_fill_verifies_and_a_later_fill_shows_as_changed(organiser):
    world = _session()
    found = _varied_targets(world)
    services.external_targets_fill(session=world.session, actor=organiser)
    services.result_publish(session=world.session, actor=organiser)

    assert services.result_verify(session=world.session).ok

    reports.report_correct(
        report=found["over"], value=D("6"), reason="统计口径更正", actor=organiser
    )
    services.external_targets_fill(session=world.session, actor=organiser)
    stale = services.result_verify(session=world.session)
    services.result_correct(session=world.session, actor=organiser, reason="目标考核得分更正")

    assert (stale.ok, stale.stored_hash != stale.current_hash) == (False, True)
    assert services.result_verify(session=world.session).ok


def test_inputs_without_a_basis_hash_as_before():
    # The hash of these inputs as the engine wrote it before 目标考核 could come from targets.
    inputs = engine.Inputs(
        scheme=engine.Scheme(components={"review": D(70), "target": D(30)}),
        categories=[engine.Category(key="c1", name="区直部门", order=1)],
        units=[
            engine.Unit(key="1", name="财政局", category="c1"),
            engine.Unit(key="2", name="教育局", category="c1"),
        ],
        groups=[engine.Group(key="g1", name="县级领导", weight=D(100), min_sample=1)],
        ballots=[engine.Ballot(key="b1", group="g1", grades={"1": "good", "2": "average"})],
        external={
            "1": engine.ExternalScores(target=D("88.24"), bonus=D("1.5"), bonus_reasons=("表彰",)),
            "2": engine.ExternalScores(target=D("100.00")),
        },
    )
    with_basis = engine.Inputs(
        **{
            **inputs.__dict__,
            "external": {
                **inputs.external,
                "2": engine.ExternalScores(target=D("100.00"), target_basis="ab" * 32),
            },
        }
    )

    assert engine.inputs_hash(inputs) == (
        "057b524495cf2f705307508288230e7e326c8ee9c9400b6e49f38bbfff16bc39"
    )
    assert b"target_basis" not in engine.canonical_inputs(inputs)
    assert engine.inputs_hash(with_basis) != engine.inputs_hash(inputs)
    assert engine.load_inputs(engine.canonical_inputs(with_basis)).external["2"].target_basis == (
        "ab" * 32
    )
    assert engine.load_inputs(engine.canonical_inputs(inputs)).external["2"].target_basis == ""


def test_selectors_pass_the_basis_to_the_engine(organiser):
    world = _session()
    _varied_targets(world)
    services.external_targets_fill(session=world.session, actor=organiser)

    inputs = services.compute(world.session).inputs
    stored = dict(ExternalScore.objects.values_list("unit_id", "target_basis"))

    assert {int(k): e.target_basis for k, e in inputs.external.items()} == stored


def test_typed_score_replaces_the_taken_one_and_other_edits_keep_it(organiser):
    world = _session()
    _varied_targets(world)
    services.external_targets_fill(session=world.session, actor=organiser)
    town = world.units[0]
    taken = ExternalScore.objects.get(unit=town)

    services.external_score_save(
        session=world.session, unit=town, actor=organiser, target=taken.target, daily=D("85")
    )
    kept = ExternalScore.objects.get(unit=town)
    services.external_score_save(
        session=world.session, unit=town, actor=organiser, target=D("90"), daily=D("85")
    )
    typed = ExternalScore.objects.get(unit=town)

    assert (kept.target_source, kept.target_basis, kept.daily) == (
        "targets",
        taken.target_basis,
        D("85.00"),
    )
    assert (typed.target, typed.target_source, typed.target_basis) == (D("90.00"), "typed", "")


def test_fill_without_targets_of_the_year_leaves_everything(organiser):
    world = _session()
    ExternalScore.objects.create(session=world.session, unit=world.units[0], target=D("60"))

    summary = services.external_targets_fill(session=world.session, actor=organiser)

    assert (summary["filled"], len(summary["without_targets"])) == ([], 5)
    assert list(ExternalScore.objects.values_list("target", "target_source")) == [
        (D("60.00"), "typed")
    ]


# ----------------------------------------------------------------------------------- pages


def test_fill_page_shows_what_would_change_and_post_fills(organiser_client):
    world = _session()
    _varied_targets(world)

    page = organiser_client.get(url("scores_targets"))
    html = page.content.decode()
    response = organiser_client.post(url("scores_targets"), {"confirm": "True"})
    scores_page = organiser_client.get(url("scores")).content.decode()

    assert page.status_code == 200
    assert 'id="targets-fill-table"' in html
    assert ">56.15</a>" in html and "无目标" in html
    assert ExternalScore.objects.filter(target_source="targets").count() == 4
    assert (response.status_code, response["Location"]) == (302, url("scores"))
    town_code = world.units[0].org_unit.code
    link = reverse("targets:annual_unit", args=[world.session.district.code, 2026, town_code])
    assert f'href="{link}"' in scores_page
    assert 'id="scores-targets"' in scores_page


def test_fill_needs_the_confirmation_field(organiser_client):
    world = _session()
    _varied_targets(world)

    response = organiser_client.post(url("scores_targets"), {})

    assert response.status_code == 200
    assert ExternalScore.objects.count() == 0


def test_fill_page_is_for_organisers_only(observer_client):
    world = _session()
    _varied_targets(world)

    observer = [
        observer_client.get(url("scores_targets")).status_code,
        observer_client.post(url("scores_targets"), {"confirm": "True"}).status_code,
    ]
    scores_page = observer_client.get(url("scores")).content.decode()

    assert observer == [403, 403]
    assert ExternalScore.objects.count() == 0
    assert 'id="scores-targets"' not in scores_page
