"""A review session's lifecycle in one place (docs/design.md §3): its six states, the moves
between them, and what each state allows, as one table read by named predicates.

    draft → ready → live → rating → closed → published; live may be skipped;
    ready → draft only while no ballot exists (services.transition_problems).

Every rule that depends on the state asks a predicate here (``can_edit_scheme(session)``)
instead of comparing ``session.status``, so that a rule is changed in ``RULES`` and nowhere
else. The predicates take anything with a ``status``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    READY = "ready", _("已就绪")
    LIVE = "live", _("会议进行中")
    RATING = "rating", _("评议中")
    CLOSED = "closed", _("评议已结束")
    PUBLISHED = "published", _("结果已发布")


DRAFT, READY, LIVE, RATING, CLOSED, PUBLISHED = Status

TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (READY,),
    READY: (DRAFT, LIVE, RATING),
    LIVE: (RATING,),
    RATING: (CLOSED,),
    CLOSED: (PUBLISHED,),
    PUBLISHED: (),
}

# The states in which each rule holds.
RULES: dict[str, frozenset[str]] = {
    # Units, categories, groups, weights, draws and the 计分办法: from ready on they are frozen
    # together; changing them means going back to draft, possible only while no ballot exists.
    "edit_configuration": frozenset({DRAFT}),
    "edit_scheme": frozenset({DRAFT}),
    # The session's own name, date and venue: until the result is published.
    "edit_details": frozenset({DRAFT, READY, LIVE, RATING, CLOSED}),
    # 述职报告 and their attachments, the agenda: until rating ends.
    "edit_reports": frozenset({DRAFT, READY, LIVE, RATING}),
    "edit_agenda": frozenset({DRAFT, READY, LIVE, RATING}),
    # 现场问政: staff enter questions while the session is set up (letters, phone calls), the
    # moderator reviews them until the meeting ends; tablets ask from ready on (会前征集).
    "add_questions": frozenset({DRAFT, READY, LIVE, RATING}),
    "review_questions": frozenset({DRAFT, READY, LIVE, RATING}),
    "ask_from_tablet": frozenset({READY, LIVE, RATING}),
    # On stage: the timer, a question on the big screen, answers and satisfaction votes.
    "run_stage": frozenset({LIVE, RATING}),
    # The big screen shows something from the start of the meeting on.
    "show_screen": frozenset({LIVE, RATING, CLOSED, PUBLISHED}),
    # A question that comes in now was collected before the meeting (会前征集).
    "before_meeting": frozenset({DRAFT, READY}),
    "rehearse": frozenset({READY}),
    # Codes are issued until rating ends: afterwards no new rater may join. Once it has ended
    # the set of valid codes is part of the record the results rest on (``ended``).
    "issue_credentials": frozenset({DRAFT, READY, LIVE, RATING}),
    "rate": frozenset({RATING}),
    # Paper ballots are keyed in, and ballots voided, while rating runs or after it, before
    # the result is published.
    "enter_paper_ballots": frozenset({RATING, CLOSED}),
    "void_ballots": frozenset({RATING, CLOSED}),
    # Rating is over: ballots, reports, questions and the agenda are final.
    "ended": frozenset({CLOSED, PUBLISHED}),
    # 督办事项 are tracked once the session is more than a draft.
    "track_follow_ups": frozenset({READY, LIVE, RATING, CLOSED, PUBLISHED}),
    # A result may be computed (a preview until published) once rating has started.
    "preview_result": frozenset({RATING, CLOSED, PUBLISHED}),
    "publish": frozenset({CLOSED}),
    "published": frozenset({PUBLISHED}),
}


class Allowed:
    """What a session's state allows, for templates, which cannot call a predicate with an
    argument: ``{% if session.allows.edit_reports %}``, one attribute per rule of RULES."""

    def __init__(self, session) -> None:
        self._status = session.status

    def __getattr__(self, rule: str) -> bool:
        try:
            return self._status in RULES[rule]
        except KeyError:
            raise AttributeError(rule) from None


def _holds(rule: str, session) -> bool:
    return session.status in RULES[rule]


def can_edit_configuration(session) -> bool:
    return _holds("edit_configuration", session)


def can_edit_scheme(session) -> bool:
    return _holds("edit_scheme", session)


def can_edit_details(session) -> bool:
    return _holds("edit_details", session)


def can_edit_reports(session) -> bool:
    return _holds("edit_reports", session)


def can_edit_agenda(session) -> bool:
    return _holds("edit_agenda", session)


def can_add_questions(session) -> bool:
    return _holds("add_questions", session)


def can_review_questions(session) -> bool:
    return _holds("review_questions", session)


def can_ask_from_tablet(session) -> bool:
    return _holds("ask_from_tablet", session)


def can_run_stage(session) -> bool:
    return _holds("run_stage", session)


def can_show_screen(session) -> bool:
    return _holds("show_screen", session)


def is_before_meeting(session) -> bool:
    return _holds("before_meeting", session)


def can_rehearse(session) -> bool:
    return _holds("rehearse", session)


def can_issue_credentials(session) -> bool:
    return _holds("issue_credentials", session)


def can_enter_paper_ballots(session) -> bool:
    return _holds("enter_paper_ballots", session)


def can_void_ballots(session) -> bool:
    return _holds("void_ballots", session)


def can_rate(session) -> bool:
    return _holds("rate", session)


def has_ended(session) -> bool:
    return _holds("ended", session)


def can_track_follow_ups(session) -> bool:
    return _holds("track_follow_ups", session)


def can_preview_result(session) -> bool:
    return _holds("preview_result", session)


def can_publish(session) -> bool:
    return _holds("publish", session)


def is_published(session) -> bool:
    return _holds("published", session)
