"""projects/rules.py: the colour rule, pure (worked examples, boundaries, properties)."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.colours import Colour
from projects import rules
from projects.rules import MilestoneFacts, Thresholds

D = Decimal
AS_OF = datetime.date(2026, 7, 16)
DEFAULT = Thresholds(yellow_behind=D("10"), red_behind=D("30"))
PLAN = [
    MilestoneFacts(datetime.date(2026, 3, 31), D("20"), datetime.date(2026, 3, 28)),
    MilestoneFacts(datetime.date(2026, 6, 30), D("50"), datetime.date(2026, 6, 30)),
    MilestoneFacts(datetime.date(2026, 12, 31), D("100")),
]


def colour(actual, milestones=PLAN, *, stalled=False, as_of=AS_OF, thresholds=DEFAULT):
    return rules.colour_of(
        milestones=milestones,
        actual=D(actual),
        stalled=stalled,
        as_of=as_of,
        thresholds=thresholds,
    )


def test_rules_colours_are_the_meeting_colours():
    assert list(rules.COLOURS) == Colour.values


def test_rules_planned_at_takes_latest_milestone_due():
    assert rules.planned_at(PLAN, datetime.date(2026, 3, 30)) == D("0")
    assert rules.planned_at(PLAN, datetime.date(2026, 3, 31)) == D("20")
    assert rules.planned_at(PLAN, AS_OF) == D("50")
    assert rules.planned_at(PLAN, datetime.date(2027, 1, 1)) == D("100")


def test_rules_planned_at_same_date_takes_higher_progress():
    same_day = [
        MilestoneFacts(datetime.date(2026, 5, 1), D("30")),
        MilestoneFacts(datetime.date(2026, 5, 1), D("40")),
    ]
    assert rules.planned_at(same_day, AS_OF) == D("40")


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("50", "green"),  # on plan
        ("90", "green"),  # ahead
        ("40", "green"),  # exactly 10 behind: not "more than" 10
        ("39.99", "yellow"),
        ("20", "yellow"),  # exactly 30 behind: not "more than" 30
        ("19.99", "red"),
        ("0", "red"),
    ],
)
def test_rules_behind_thresholds_are_strict(actual, expected):
    assert colour(actual) == expected


def test_rules_stalled_is_red_even_ahead_of_plan():
    assert colour("100", stalled=True) == "red"


def test_rules_missed_milestone_is_blue():
    missed = [PLAN[0], MilestoneFacts(datetime.date(2026, 6, 30), D("50")), PLAN[2]]
    verdict = rules.verdict(
        milestones=missed, actual=D("50"), stalled=False, as_of=AS_OF, thresholds=DEFAULT
    )
    assert verdict == rules.Verdict(
        colour="blue", planned=D("50"), behind=D("0"), missed=1, stalled=False
    )


def test_rules_done_after_as_of_counts_as_missed_then():
    late = [MilestoneFacts(datetime.date(2026, 6, 30), D("50"), datetime.date(2026, 7, 20))]
    assert colour("50", late) == "blue"
    assert colour("50", late, as_of=datetime.date(2026, 7, 20)) == "green"


def test_rules_behind_beats_missed():
    missed = [MilestoneFacts(datetime.date(2026, 6, 30), D("50"))]
    assert colour("35", missed) == "yellow"
    assert colour("15", missed) == "red"


def test_rules_no_milestones_is_green_unless_stalled():
    assert colour("0", []) == "green"
    assert colour("0", [], stalled=True) == "red"


def test_rules_future_milestones_do_not_count():
    future = [MilestoneFacts(datetime.date(2026, 8, 1), D("90"))]
    assert colour("0", future) == "green"


def test_rules_equal_thresholds_never_yellow():
    same = Thresholds(yellow_behind=D("20"), red_behind=D("20"))
    assert [colour(a, thresholds=same) for a in ("30", "29", "10")] == ["green", "red", "red"]


# ---------------------------------------------------------------- properties

percent = st.decimals(min_value=0, max_value=100, places=2)
dates = st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2027, 12, 31))
milestone = st.builds(
    MilestoneFacts,
    planned_date=dates,
    planned_progress=percent,
    done_on=st.one_of(st.none(), dates),
)
thresholds = st.tuples(percent, percent).map(
    lambda pair: Thresholds(yellow_behind=min(pair), red_behind=max(pair))
)


@given(st.lists(milestone, max_size=6), percent, st.booleans(), dates, thresholds)
def test_rules_verdict_matches_its_definition(milestones, actual, stalled, as_of, limits):
    verdict = rules.verdict(
        milestones=milestones, actual=actual, stalled=stalled, as_of=as_of, thresholds=limits
    )
    due = [m for m in milestones if m.planned_date <= as_of]
    planned = max((m.planned_date, m.planned_progress) for m in due)[1] if due else D("0")
    missed = [m for m in due if m.done_on is None or m.done_on > as_of]
    behind = planned - actual
    assert verdict.planned == planned
    assert verdict.behind == behind
    assert verdict.missed == len(missed)
    if stalled or behind > limits.red_behind:
        assert verdict.colour == "red"
    elif behind > limits.yellow_behind:
        assert verdict.colour == "yellow"
    elif missed:
        assert verdict.colour == "blue"
    else:
        assert verdict.colour == "green"


@given(st.lists(milestone, max_size=6), percent, percent, dates, thresholds)
def test_rules_more_progress_never_worse(milestones, a, b, as_of, limits):
    """Severity (green < blue < yellow < red) never rises when actual progress rises."""
    severity = {c: i for i, c in enumerate(rules.COLOURS)}
    low, high = sorted((a, b))
    kwargs = {"milestones": milestones, "stalled": False, "as_of": as_of, "thresholds": limits}
    worse = rules.colour_of(actual=low, **kwargs)
    better = rules.colour_of(actual=high, **kwargs)
    assert severity[better] <= severity[worse]


@given(st.lists(milestone, max_size=6), percent, dates, thresholds)
def test_rules_stalled_always_red(milestones, actual, as_of, limits):
    assert (
        rules.colour_of(
            milestones=milestones, actual=actual, stalled=True, as_of=as_of, thresholds=limits
        )
        == "red"
    )


@given(st.lists(milestone, min_size=1, max_size=6), dates)
def test_rules_all_done_and_on_plan_is_green(milestones, as_of):
    done = [MilestoneFacts(m.planned_date, m.planned_progress, m.planned_date) for m in milestones]
    actual = rules.planned_at(done, as_of)
    assert (
        rules.colour_of(
            milestones=done, actual=actual, stalled=False, as_of=as_of, thresholds=DEFAULT
        )
        == "green"
    )
