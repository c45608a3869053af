"""sessions/lifecycle.py: what each state of a session allows (docs/design.md §3), one
predicate at a time, read across the six states."""

import pytest

from sessions import lifecycle
from sessions.models import ReviewSession

Status = ReviewSession.Status
ORDER = (Status.DRAFT, Status.READY, Status.LIVE, Status.RATING, Status.CLOSED, Status.PUBLISHED)

# One line per predicate: "x" where it holds, in the order draft ready live rating closed
# published.
TABLE = {
    lifecycle.can_edit_configuration: "x.....",
    lifecycle.can_edit_scheme: "x.....",
    lifecycle.can_edit_details: "xxxxx.",
    lifecycle.can_edit_reports: "xxxx..",
    lifecycle.can_edit_agenda: "xxxx..",
    lifecycle.can_add_questions: "xxxx..",
    lifecycle.can_review_questions: "xxxx..",
    lifecycle.can_ask_from_tablet: ".xxx..",
    lifecycle.can_run_stage: "..xx..",
    lifecycle.can_show_screen: "..xxxx",
    lifecycle.is_before_meeting: "xx....",
    lifecycle.can_rehearse: ".x....",
    lifecycle.can_issue_credentials: "xxxx..",
    lifecycle.can_enter_paper_ballots: "...xx.",
    lifecycle.can_void_ballots: "...xx.",
    lifecycle.can_rate: "...x..",
    lifecycle.has_ended: "....xx",
    lifecycle.can_track_follow_ups: ".xxxxx",
    lifecycle.can_preview_result: "...xxx",
    lifecycle.can_publish: "....x.",
    lifecycle.is_published: ".....x",
}


@pytest.mark.parametrize("predicate", TABLE, ids=lambda p: p.__name__)
def test_lifecycle_predicate_holds_in_its_states(predicate):
    holds = "".join("x" if predicate(ReviewSession(status=s)) else "." for s in ORDER)

    assert holds == TABLE[predicate]


def test_lifecycle_every_predicate_and_rule_is_in_the_table():
    predicates = {
        name
        for name, value in vars(lifecycle).items()
        if callable(value) and name.startswith(("can_", "is_", "has_"))
    }

    assert (predicates, len(lifecycle.RULES)) == ({p.__name__ for p in TABLE}, len(TABLE))


def test_lifecycle_is_editable_is_the_configuration_rule():
    assert [ReviewSession(status=s).is_editable for s in ORDER] == [True] + [False] * 5


@pytest.mark.parametrize("status", ORDER)
def test_lifecycle_allows_gives_templates_every_rule(status):
    allows = ReviewSession(status=status).allows

    assert {rule: getattr(allows, rule) for rule in lifecycle.RULES} == {
        rule: status in states for rule, states in lifecycle.RULES.items()
    }
    with pytest.raises(AttributeError):
        allows.edit_everything  # noqa: B018
