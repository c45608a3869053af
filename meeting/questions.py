"""现场问政 (docs/design.md §2 and §6): questions from representatives'
tablets or entered by staff, the moderator's queue, the question on the big screen, the
answer, and the satisfaction vote on it (满意 / 基本满意 / 不满意, section 4.11).

Services (writes) are keyword-only and atomic and raise ValidationError with a message a
person can act on; nothing is stored when they refuse. A state change locks the question row
(and, where the queue order or "one open vote per session" is at stake, the session row).
Every staff action is written to the audit log. What a representative does from a tablet is
not: a question keeps its asker on its own row, and a vote must not be traceable beyond the
one-vote-per-credential rule.

Nothing here trusts an id from the browser: units are looked up among the session's
participants and questions among the session's (or the credential's session's) questions.

Reads for the queue page and the tablet page are at the end of this module.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit
from sessions import lifecycle
from sessions.guards import lock_session
from sessions.models import Credential, Participant, ReviewSession, Unit

from .models import FollowUp, Question, Satisfaction, SatisfactionVote, Stage
from .rechecks import earlier_commitments
from .selectors import NO_VOTES, Tally, tallies
from .stage import stage_touch

Status = ReviewSession.Status
QStatus = Question.Status
Vote = Question.Vote

TEXT_MAX_LENGTH = 500
SUMMARY_MAX_LENGTH = 1000
REASON_MAX_LENGTH = 200
ASKER_MAX_LENGTH = 100
# A representative may have this many questions waiting for review at once: enough for a
# real panel, and a stuck or playful tablet cannot flood the moderator's queue.
MAX_PENDING_PER_CREDENTIAL = 5


MOVE_UP = "up"
MOVE_DOWN = "down"


# ---------------------------------------------------------------- guards


def _require_session_status(session: ReviewSession, allowed, *, before: str, after: str) -> None:
    """``allowed`` a predicate of sessions/lifecycle.py (when questions may come in, be reviewed,
    go on stage); refused with ``before`` or, once rating has ended, ``after``."""
    if allowed(session):
        return
    if lifecycle.has_ended(session):
        raise ValidationError(after)
    raise ValidationError(before)


def _require_review_open(session: ReviewSession) -> None:
    _require_session_status(
        session,
        lifecycle.can_review_questions,
        before=_("现场问政尚未开放。"),
        after=_("现场问政已结束，问题不能再修改。"),
    )


def _require_on_stage(session: ReviewSession) -> None:
    _require_session_status(
        session,
        lifecycle.can_run_stage,
        before=_("会议开始后（会议进行中或评议中）才能上大屏、记录答复和满意度投票。"),
        after=_("现场问政已结束。"),
    )


def _lock_question(question: Question) -> Question:
    """Re-read the question (with its session and unit) under a row lock."""
    return (
        Question.objects.select_for_update(of=("self",))
        .select_related("session", "unit")
        .get(pk=question.pk)
    )


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("请填写问题。"))
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationError(
            _("问题不能超过 %(max)d 个字（现在 %(n)d 个字）。")
            % {"max": TEXT_MAX_LENGTH, "n": len(text)}
        )
    return text


def _participant_unit(session: ReviewSession, unit_id) -> Unit:
    """A unit of this session that takes part in it; anything else (another session's unit,
    a unit only in the draw pool, a made-up id) is refused the same way."""
    participant = (
        Participant.objects.filter(session=session, unit_id=unit_id).select_related("unit").first()
        if isinstance(unit_id, int)
        else None
    )
    if participant is None:
        raise ValidationError(_("请选择一个述职单位。"))
    return participant.unit


def _on_screen(question: Question) -> bool:
    return Stage.objects.filter(
        session_id=question.session_id, question_on_screen=question
    ).exists()


def _touch_if_on_screen(question: Question) -> None:
    """The big screen shows this question: move its version so the screen's poll sees it."""
    if _on_screen(question):
        stage_touch(question.session)


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _audit(question: Question, actor, action: str, message: str, **detail) -> None:
    audit(
        session=question.session,
        actor=actor,
        action=action,
        message=message,
        question=question.pk,
        **detail,
    )


# ---------------------------------------------------------------- asking


def asker_label(credential: Credential) -> str:
    """Who asked, as the queue and the big screen show it: the group, and the holder's name
    where the card carries one. Never the code: it is the representative's key."""
    name = credential.group.name
    if credential.holder_name:
        name = f"{name} · {credential.holder_name}"
    return name[:ASKER_MAX_LENGTH]


def rehearsal_problem(credential: Credential) -> str | None:
    """A real code while a rehearsal runs (docs/rehearsal.md): refused, since whatever it did
    would be deleted by the reset."""
    if credential.session.rehearsal_started_at is not None and not credential.rehearsal:
        return _("正在彩排，评议尚未开始。")
    return None


def ask_problem(credential: Credential) -> str | None:
    """Why this credential may not ask (or vote) at all, or None."""
    if problem := rehearsal_problem(credential):
        return problem
    if credential.status == Credential.Status.REVOKED:
        return _("这张评议卡已被作废，请向会务人员领取新卡。")
    if not credential.group.can_ask:
        return _("此评议码不能提问。")
    return None


def vote_problem(credential: Credential) -> str | None:
    """Why this credential may not vote satisfaction at all, or None."""
    if problem := rehearsal_problem(credential):
        return problem
    if credential.status == Credential.Status.REVOKED:
        return _("这张评议卡已被作废，请向会务人员领取新卡。")
    if not credential.group.can_ask:
        return _("此评议码不能参加满意度投票。")
    return None


@transaction.atomic
def question_submit(*, credential: Credential, unit_id, text: str) -> Question:
    """A representative's question from the tablet. Before the meeting (ready) it is marked
    会前征集; it waits for the moderator's review either way."""
    # The credential's row lock makes the pending count below exact under double taps.
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("session", "group")
        .get(pk=credential.pk)
    )
    if problem := ask_problem(credential):
        raise ValidationError(problem)
    session = credential.session
    _require_session_status(
        session,
        lifecycle.can_ask_from_tablet,
        before=_("现场问政尚未开放。"),
        after=_("现场问政已结束。"),
    )
    unit = _participant_unit(session, unit_id)
    text = _clean_text(text)
    # A tablet resends a question whose answer it never got (the Wi-Fi dropped after the
    # server kept it, docs/tablets.md "Offline"): the same words to the same unit, still
    # waiting for review, are the same question, kept once.
    resent = Question.objects.filter(
        credential=credential, unit=unit, original_text=text, status=QStatus.SUBMITTED
    ).first()
    if resent is not None:
        return resent
    pending = Question.objects.filter(credential=credential, status=QStatus.SUBMITTED).count()
    if pending >= MAX_PENDING_PER_CREDENTIAL:
        raise ValidationError(
            _("您已有 %(n)d 个问题等待审核，请等主持人审核后再提问。") % {"n": pending}
        )
    return Question.objects.create(
        session=session,
        unit=unit,
        credential=credential,
        asker=asker_label(credential),
        text=text,
        original_text=text,
        collected_before=lifecycle.is_before_meeting(session),
    )


def _adding_to(session: ReviewSession, unit: Unit, *, after: str) -> tuple:
    """The session, locked, while staff may add to its queue, and ``unit`` as one of its
    participants; ``after`` says why not once 现场问政 is over."""
    session = lock_session(session)
    _require_session_status(
        session, lifecycle.can_add_questions, before=_("现场问政尚未开放。"), after=after
    )
    return session, _participant_unit(session, getattr(unit, "pk", None))


@transaction.atomic
def question_add(*, session: ReviewSession, actor, unit: Unit, text: str, asker: str) -> Question:
    """A question staff enter (collected before the meeting by letter or phone, or from the
    floor). It waits in the queue like any other."""
    session, unit = _adding_to(session, unit, after=_("现场问政已结束，不能再添加问题。"))
    text = _clean_text(text)
    asker = (asker or "").strip()
    if len(asker) > ASKER_MAX_LENGTH:
        raise ValidationError(_("提问人不能超过 %(max)d 个字。") % {"max": ASKER_MAX_LENGTH})
    question = Question.objects.create(
        session=session,
        unit=unit,
        asker=asker,
        text=text,
        original_text=text,
        collected_before=lifecycle.is_before_meeting(session),
    )
    _audit(
        question,
        actor,
        "question.add",
        _("录入对“%(unit)s”的问题：%(text)s") % {"unit": unit.name, "text": _short(text)},
    )
    return question


@transaction.atomic
def recheck_add(*, session: ReviewSession, actor, unit: Unit) -> Question:
    """回头看 (docs/meeting.md, "回头看"): the unit's commitments from earlier reviews join the
    queue, approved, as one item the hall votes on once the unit has answered. One per unit
    and session (a rejected one may be put again); the commitments are fixed when it is put."""
    session, unit = _adding_to(session, unit, after=_("现场问政已结束，不能再添加回头看。"))
    if (
        Question.objects.filter(session=session, unit=unit, kind=Question.Kind.RECHECK)
        .exclude(status__in=(QStatus.REJECTED, QStatus.MERGED))
        .exists()
    ):
        raise ValidationError(_("“%(unit)s”的回头看已经加入队列。") % {"unit": unit.name})
    items = earlier_commitments(session, unit=unit).get(unit.pk, [])
    if not items:
        raise ValidationError(
            _("“%(unit)s”在以前的评议会上没有需要回头看的督办事项。") % {"unit": unit.name}
        )
    done = sum(1 for item in items if item.done_at is not None)
    text = _(
        "回头看：%(unit)s在以前评议会上承诺的 %(n)d 项督办事项（已办结 %(done)d 项，"
        "未办结 %(open)d 项），您对落实情况是否满意？"
    ) % {"unit": unit.name, "n": len(items), "done": done, "open": len(items) - done}
    question = Question.objects.create(
        session=session,
        unit=unit,
        kind=Question.Kind.RECHECK,
        asker=_("回头看"),
        text=text,
        original_text=text,
        status=QStatus.APPROVED,
        queue_order=_next_queue_order(session),
        collected_before=lifecycle.is_before_meeting(session),
        reviewed_at=timezone.now(),
        reviewed_by=actor if getattr(actor, "pk", None) else None,
    )
    question.recheck_items.set(items)
    _audit(
        question,
        actor,
        "question.recheck",
        _("把“%(unit)s”的 %(n)d 项督办事项加入回头看") % {"unit": unit.name, "n": len(items)},
        follow_ups=[item.pk for item in items],
    )
    return question


# ---------------------------------------------------------------- review


def _next_queue_order(session: ReviewSession) -> int:
    top = Question.objects.filter(session=session).aggregate(top=Max("queue_order"))["top"]
    return (top or 0) + 1


def _mark_reviewed(question: Question, actor) -> None:
    question.reviewed_at = timezone.now()
    question.reviewed_by = actor if getattr(actor, "pk", None) else None


@transaction.atomic
def question_approve(*, question: Question, actor) -> Question:
    """待审核 → 已通过, at the end of the queue."""
    lock_session(question.session)  # the queue order is per session
    question = _lock_question(question)
    _require_review_open(question.session)
    if question.status != QStatus.SUBMITTED:
        raise ValidationError(
            _("只有待审核的问题可以通过（当前状态：%(status)s）。")
            % {"status": question.get_status_display()}
        )
    question.status = QStatus.APPROVED
    question.queue_order = _next_queue_order(question.session)
    _mark_reviewed(question, actor)
    question.save(update_fields=["status", "queue_order", "reviewed_at", "reviewed_by"])
    _audit(
        question,
        actor,
        "question.approve",
        _("通过对“%(unit)s”的问题：%(text)s")
        % {"unit": question.unit.name, "text": _short(question.text)},
    )
    return question


def _take_off_screen(question: Question) -> None:
    if _on_screen(question):
        stage_touch(question.session, question_on_screen=None)


@transaction.atomic
def question_reject(*, question: Question, actor, reason: str) -> Question:
    """待审核 or 已通过 → 未采纳, with a reason the representative sees on the tablet."""
    question = _lock_question(question)
    _require_review_open(question.session)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写未采纳的理由。"))
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(_("理由不能超过 %(max)d 个字。") % {"max": REASON_MAX_LENGTH})
    if question.status not in (QStatus.SUBMITTED, QStatus.APPROVED):
        raise ValidationError(
            _("只有待审核或已通过的问题可以不采纳（当前状态：%(status)s）。")
            % {"status": question.get_status_display()}
        )
    question.status = QStatus.REJECTED
    question.reject_reason = reason
    _mark_reviewed(question, actor)
    question.save(update_fields=["status", "reject_reason", "reviewed_at", "reviewed_by"])
    _take_off_screen(question)
    _audit(
        question,
        actor,
        "question.reject",
        _("未采纳对“%(unit)s”的问题：%(text)s（理由：%(reason)s）")
        % {"unit": question.unit.name, "text": _short(question.text), "reason": reason},
    )
    return question


@transaction.atomic
def question_edit(*, question: Question, actor, text: str) -> Question:
    """The moderator's wording of a waiting or approved question (a typo, a name, markup typed
    on a tablet), before it first goes on the big screen: from then on the hall has read it.
    The asker's words stay in ``original_text`` (原文) and the audit log keeps both."""
    question = _lock_question(question)
    _require_review_open(question.session)
    if question.status not in (QStatus.SUBMITTED, QStatus.APPROVED):
        raise ValidationError(
            _("只有待审核或已通过的问题可以修改措辞（当前状态：%(status)s）。")
            % {"status": question.get_status_display()}
        )
    if question.shown_at is not None or _on_screen(question):
        raise ValidationError(_("问题已在大屏上显示过，不能再修改措辞。"))
    text = _clean_text(text)
    if text == question.text:
        raise ValidationError(_("措辞没有变化。"))
    before = question.text
    # Rows from before 原文 was kept on every question keep their first words here too.
    question.original_text = question.original_text or before
    question.text = text
    question.save(update_fields=["text", "original_text"])
    _audit(
        question,
        actor,
        "question.edit",
        _("修改对“%(unit)s”的问题措辞：“%(before)s” → “%(after)s”")
        % {"unit": question.unit.name, "before": _short(before), "after": _short(text)},
        before=before,
        after=text,
        original=question.original_text,
    )
    return question


@transaction.atomic
def question_merge(*, question: Question, into: Question, actor) -> Question:
    """A duplicate (待审核 or 已通过) joins ``into``: the same session and unit, and not itself
    rejected or merged. Questions already merged into the duplicate follow it, so a main
    question lists every asker and no chain is left."""
    if into.pk == question.pk:
        raise ValidationError(_("不能把问题合并到它自己。"))
    # Both rows, always in id order, so two merges the other way round cannot deadlock.
    locked = {
        q.pk: q
        for q in Question.objects.select_for_update(of=("self",))
        .select_related("session", "unit")
        .filter(pk__in=[question.pk, into.pk])
        .order_by("pk")
    }
    question, into = locked[question.pk], locked.get(into.pk)
    if into is None or into.session_id != question.session_id:
        raise ValidationError(_("只能合并到本次评议会的问题。"))
    _require_review_open(question.session)
    if into.unit_id != question.unit_id:
        raise ValidationError(_("只能合并到问同一单位的问题。"))
    if Question.Kind.RECHECK in (question.kind, into.kind):
        raise ValidationError(_("回头看不能与问题合并。"))
    if question.status not in (QStatus.SUBMITTED, QStatus.APPROVED):
        raise ValidationError(
            _("只有待审核或已通过的问题可以合并（当前状态：%(status)s）。")
            % {"status": question.get_status_display()}
        )
    if into.status in (QStatus.REJECTED, QStatus.MERGED):
        raise ValidationError(
            _("不能合并到%(status)s的问题。") % {"status": into.get_status_display()}
        )
    question.status = QStatus.MERGED
    question.merged_into = into
    _mark_reviewed(question, actor)
    question.save(update_fields=["status", "merged_into", "reviewed_at", "reviewed_by"])
    Question.objects.filter(merged_into=question).update(merged_into=into)
    _take_off_screen(question)
    # The main question's list of askers is on the big screen when it is shown there.
    _touch_if_on_screen(into)
    _audit(
        question,
        actor,
        "question.merge",
        _("把对“%(unit)s”的问题“%(text)s”合并到“%(into)s”")
        % {"unit": question.unit.name, "text": _short(question.text), "into": _short(into.text)},
        into=into.pk,
    )
    return question


@transaction.atomic
def question_move(*, question: Question, actor, direction: str) -> Question:
    """Move an approved question one place up or down the queue. The queue is numbered anew
    (1, 2, 3 …) so equal or missing numbers from earlier cannot make a move do nothing."""
    if direction not in (MOVE_UP, MOVE_DOWN):
        raise ValidationError(_("无效的移动方向。"))
    session = lock_session(question.session)
    question = _lock_question(question)
    _require_review_open(session)
    if question.status != QStatus.APPROVED:
        raise ValidationError(_("只有已通过、等待答复的问题可以调整顺序。"))
    queue = list(
        Question.objects.filter(session=session, status=QStatus.APPROVED).order_by(
            "queue_order", "created_at", "id"
        )
    )
    index = next(i for i, q in enumerate(queue) if q.pk == question.pk)
    other = index - 1 if direction == MOVE_UP else index + 1
    if 0 <= other < len(queue):
        queue[index], queue[other] = queue[other], queue[index]
    for position, item in enumerate(queue, start=1):
        item.queue_order = position
    Question.objects.bulk_update(queue, ["queue_order"])
    question.queue_order = next(q.queue_order for q in queue if q.pk == question.pk)
    _audit(
        question,
        actor,
        "question.move",
        (_("问题“%(text)s”上移") if direction == MOVE_UP else _("问题“%(text)s”下移"))
        % {"text": _short(question.text)},
        position=question.queue_order,
    )
    return question


# ---------------------------------------------------------------- on stage


def _mark_shown(question: Question) -> None:
    """The first time the hall sees the question fixes its wording (``question_edit``)."""
    if question.shown_at is None:
        question.shown_at = timezone.now()
        question.save(update_fields=["shown_at"])


@transaction.atomic
def question_put_on_screen(*, question: Question, actor) -> Question:
    """Show an approved (or answered) question on the big screen, in 现场问政 mode."""
    question = _lock_question(question)
    _require_on_stage(question.session)
    if question.status not in (QStatus.APPROVED, QStatus.ANSWERED):
        raise ValidationError(_("只有已通过或已答复的问题可以上大屏。"))
    _mark_shown(question)
    stage_touch(question.session, question_on_screen=question, mode=Stage.Mode.QUESTION)
    _audit(
        question,
        actor,
        "question.screen",
        _("大屏显示对“%(unit)s”的问题：%(text)s")
        % {"unit": question.unit.name, "text": _short(question.text)},
    )
    return question


@transaction.atomic
def question_answered(*, question: Question, actor, summary: str) -> Question:
    """已通过 → 已答复, with a short summary of the answer; on an answered question this
    corrects the summary."""
    question = _lock_question(question)
    _require_on_stage(question.session)
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX_LENGTH:
        raise ValidationError(
            _("答复摘要不能超过 %(max)d 个字（现在 %(n)d 个字）。")
            % {"max": SUMMARY_MAX_LENGTH, "n": len(summary)}
        )
    if question.status not in (QStatus.APPROVED, QStatus.ANSWERED):
        raise ValidationError(_("只有已通过的问题可以记录答复。"))
    correcting = question.status == QStatus.ANSWERED
    question.status = QStatus.ANSWERED
    question.answer_summary = summary
    if not correcting:
        question.answered_at = timezone.now()
    question.save(update_fields=["status", "answer_summary", "answered_at"])
    _touch_if_on_screen(question)
    _audit(
        question,
        actor,
        "question.answer_edit" if correcting else "question.answered",
        (_("修改“%(unit)s”的答复摘要：%(text)s") if correcting else _("“%(unit)s”已答复：%(text)s"))
        % {"unit": question.unit.name, "text": _short(question.text)},
    )
    return question


@transaction.atomic
def vote_open(*, question: Question, actor) -> Question:
    """Open the satisfaction vote on an answered question and show it on the big screen with
    its tally. One vote is open per session at a time: opening this one closes the one still
    open (the hall votes on the answer it has just heard; a forgotten 结束投票 must not stop
    the next vote). A closed vote is not opened again: its result has been announced."""
    session = lock_session(question.session)  # one open vote per session
    question = _lock_question(question)
    _require_on_stage(session)
    if question.status != QStatus.ANSWERED:
        raise ValidationError(_("问题答复后才能开启满意度投票。"))
    if question.vote == Vote.OPEN:
        raise ValidationError(_("这个问题的满意度投票已经开启。"))
    if question.vote == Vote.CLOSED:
        raise ValidationError(_("这个问题的满意度投票已经结束，不能重新开启。"))
    now = timezone.now()
    for previous in Question.objects.select_for_update(of=("self",)).filter(
        session=session, vote=Vote.OPEN
    ):
        previous.vote, previous.vote_closed_at = Vote.CLOSED, now
        previous.save(update_fields=["vote", "vote_closed_at"])
        _audit(
            previous,
            actor,
            "question.vote_close",
            _("结束对“%(text)s”的满意度投票（开启下一个投票时自动结束）")
            % {"text": _short(previous.text)},
        )
    question.vote, question.vote_opened_at = Vote.OPEN, now
    question.save(update_fields=["vote", "vote_opened_at"])
    _mark_shown(question)
    stage_touch(session, question_on_screen=question, mode=Stage.Mode.QUESTION)
    _audit(
        question,
        actor,
        "question.vote_open",
        _("开启对“%(unit)s”答复的满意度投票：%(text)s")
        % {"unit": question.unit.name, "text": _short(question.text)},
    )
    return question


def vote_switch_prompt(open_vote: Question | None, question: Question) -> str:
    """What 开启满意度投票 asks when it would close another question's open vote; "" when
    nothing else is open (opening then closes nothing)."""
    if open_vote is None or open_vote.pk == question.pk:
        return ""
    return _(
        "打开新表决会关闭正在进行的表决“%(text)s”。确定开启对“%(unit)s”答复的满意度投票吗？"
    ) % {
        "text": _short(open_vote.text),
        "unit": question.unit.name,
    }


def open_vote_of(session: ReviewSession) -> Question | None:
    return Question.objects.filter(session=session, vote=Vote.OPEN).order_by("-pk").first()


@transaction.atomic
def vote_close(*, question: Question, actor) -> Question:
    question = _lock_question(question)
    if question.vote != Vote.OPEN:
        raise ValidationError(_("这个问题没有正在进行的满意度投票。"))
    question.vote, question.vote_closed_at = Vote.CLOSED, timezone.now()
    question.save(update_fields=["vote", "vote_closed_at"])
    _touch_if_on_screen(question)
    _audit(
        question,
        actor,
        "question.vote_close",
        _("结束对“%(unit)s”答复的满意度投票：%(text)s")
        % {"unit": question.unit.name, "text": _short(question.text)},
    )
    return question


ALREADY_VOTED = gettext_noop("您已对该问题投过票，不能重复投票。")


@transaction.atomic
def vote_cast(*, credential: Credential, question_id, choice: str) -> SatisfactionVote:
    """One representative's satisfaction with the answer on the open vote: once per
    credential per question. The database's unique constraint decides a double tap from two
    tablets at once; the loser gets the same answer as a repeat."""
    credential = Credential.objects.select_related("session", "group").get(pk=credential.pk)
    if problem := vote_problem(credential):
        raise ValidationError(problem)
    question = (
        Question.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(session_id=credential.session_id, pk=question_id)
        .first()
        if isinstance(question_id, int)
        else None
    )
    if question is None:
        raise ValidationError(_("没有找到这个问题。"))
    _require_on_stage(question.session)
    if question.vote != Vote.OPEN:
        raise ValidationError(_("这个问题的满意度投票没有开启或已经结束。"))
    if choice not in Satisfaction.values:
        raise ValidationError(_("请选择满意、基本满意或不满意。"))
    try:
        with transaction.atomic():  # a savepoint: the refusal leaves the transaction usable
            vote = SatisfactionVote.objects.create(
                question=question, credential=credential, choice=choice
            )
    except IntegrityError:
        raise ValidationError(_(ALREADY_VOTED)) from None
    _touch_if_on_screen(question)
    return vote


# ---------------------------------------------------------------- reads


@dataclass
class QueueItem:
    """A question as the moderator's queue shows it, with the askers merged into it and,
    once answered, its tally."""

    question: Question
    merged: list[Question] = field(default_factory=list)
    tally: Tally = NO_VOTES
    target: Question | None = None  # what a merged question was merged into
    # The questions this one may be merged into (same unit; not rejected or merged).
    merge_options: list[Question] = field(default_factory=list)
    # The 督办事项 an answered question became: one per question, so the queue links to it
    # instead of offering the conversion again.
    follow_up: FollowUp | None = None
    # What 开启满意度投票 asks first when another question's vote is open ("" otherwise).
    vote_prompt: str = ""


@dataclass
class Queue:
    pending: list[QueueItem]
    approved: list[QueueItem]
    answered: list[QueueItem]
    rejected: list[QueueItem]
    merged: list[QueueItem]
    on_screen_id: int | None

    @property
    def closed(self) -> list[QueueItem]:
        return self.rejected + self.merged

    @property
    def open_vote(self) -> QueueItem | None:
        return next((i for i in self.answered if i.question.vote == Vote.OPEN), None)


def _follow_up_of(question: Question) -> FollowUp | None:
    try:
        return question.follow_up  # read with the question (select_related)
    except FollowUp.DoesNotExist:
        return None


def queue(session: ReviewSession) -> Queue:
    """Every question of the session, by column. Three queries whatever the number."""
    questions = list(
        Question.objects.filter(session=session)
        .select_related("unit", "follow_up")
        .order_by("queue_order", "created_at", "id")
    )
    answered_ids = [q.pk for q in questions if q.status == QStatus.ANSWERED]
    counts = tallies(answered_ids)
    by_id = {q.pk: q for q in questions}
    merged_into: dict[int, list[Question]] = defaultdict(list)
    for q in questions:
        if q.merged_into_id is not None:
            merged_into[q.merged_into_id].append(q)
    open_statuses = (QStatus.SUBMITTED, QStatus.APPROVED, QStatus.ANSWERED)
    targets: dict[int, list[Question]] = defaultdict(list)
    for q in questions:
        if q.status in open_statuses and q.kind == Question.Kind.QUESTION:
            targets[q.unit_id].append(q)
    columns: dict[str, list[QueueItem]] = defaultdict(list)
    for q in questions:
        item = QueueItem(
            q, merged_into.get(q.pk, []), counts.get(q.pk, NO_VOTES), by_id.get(q.merged_into_id)
        )
        item.follow_up = _follow_up_of(q)
        if q.status in (QStatus.SUBMITTED, QStatus.APPROVED) and q.kind == Question.Kind.QUESTION:
            item.merge_options = [t for t in targets[q.unit_id] if t.pk != q.pk]
        columns[q.status].append(item)
    # Waiting questions in the order they arrived; approved ones in the queue's order.
    pending = sorted(
        columns[QStatus.SUBMITTED], key=lambda i: (i.question.created_at, i.question.pk)
    )
    on_screen_id = (
        Stage.objects.filter(session=session).values_list("question_on_screen", flat=True).first()
    )
    open_vote = next((q for q in questions if q.vote == Vote.OPEN), None)
    for item in columns[QStatus.ANSWERED]:
        if item.question.vote == Vote.NONE:
            item.vote_prompt = vote_switch_prompt(open_vote, item.question)
    return Queue(
        pending=pending,
        approved=columns[QStatus.APPROVED],
        answered=sorted(
            columns[QStatus.ANSWERED], key=lambda i: (i.question.answered_at, i.question.pk)
        ),
        rejected=columns[QStatus.REJECTED],
        merged=columns[QStatus.MERGED],
        on_screen_id=on_screen_id,
    )


def queue_key(session: ReviewSession) -> tuple:
    """Everything the queue board shows that can change without a page load, in two small
    queries: each question's state, and the votes cast (the live tally)."""
    states = list(
        Question.objects.filter(session=session)
        .order_by("pk")
        .values_list(
            "pk",
            "status",
            "vote",
            "queue_order",
            "merged_into_id",
            "answer_summary",
            "text",
            # Converted to a 督办事项: the board then links to it instead of offering it.
            "follow_up__id",
        )
    )
    votes = SatisfactionVote.objects.filter(question__session=session).aggregate(
        n=Count("pk"), last=Max("pk")
    )
    on_screen = Stage.objects.filter(session=session).values_list("question_on_screen", flat=True)
    return (session.status, states, votes["n"], votes["last"], list(on_screen))


def credential_questions(credential: Credential) -> list[Question]:
    """The representative's own questions, newest first (我的提问)."""
    return list(
        Question.objects.filter(credential=credential)
        .select_related("unit", "merged_into")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class OpenVote:
    """The vote a tablet shows: the question and, if this credential has voted, its choice."""

    question: Question
    choice: str | None

    @property
    def choice_label(self) -> str:
        return Satisfaction(self.choice).label if self.choice else ""


def open_vote_for(credential: Credential) -> OpenVote | None:
    """The session's open satisfaction vote as this credential sees it, or None. Two queries."""
    question = (
        Question.objects.filter(session_id=credential.session_id, vote=Vote.OPEN)
        .select_related("unit")
        .order_by("-vote_opened_at", "-pk")
        .first()
    )
    if question is None:
        return None
    choice = (
        SatisfactionVote.objects.filter(question=question, credential=credential)
        .values_list("choice", flat=True)
        .first()
    )
    return OpenVote(question=question, choice=choice)


def panel_signature(credential: Credential) -> list[tuple]:
    """Everything a representative's vote panel shows, as plain rows: the session's open vote
    with this credential's choice, and the credential's own questions. One written-out
    statement: every tablet in the hall polls it every 3 s, and the ORM took several times
    longer to build its queries than the database to answer them (bench/bench_screen.py)."""
    quote = connection.ops.quote_name
    question = quote(Question._meta.db_table)
    vote = quote(SatisfactionVote._meta.db_table)
    unit = quote(Unit._meta.db_table)
    sql = (
        f"SELECT q.id, q.text, q.status, q.reject_reason, q.answer_summary, q.vote,"  # noqa: S608
        f" q.merged_into_id, q.vote_opened_at, u.name,"
        f" (SELECT v.choice FROM {vote} v WHERE v.question_id = q.id AND v.credential_id = %s)"
        f" FROM {question} q JOIN {unit} u ON u.id = q.unit_id"
        f" WHERE q.credential_id = %s OR (q.session_id = %s AND q.vote = %s)"
        f" ORDER BY q.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [credential.pk, credential.pk, credential.session_id, Vote.OPEN])
        return cursor.fetchall()


def participant_units(session: ReviewSession) -> list[Unit]:
    """The units a question may be put to, in speaking order."""
    return [p.unit for p in Participant.objects.filter(session=session).select_related("unit")]
