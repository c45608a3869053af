"""The live meeting of the mid-year demo (seed_demo): questions collected before the meeting,
the agenda, a queue in every state, one answer voted on and one vote still open on the big
screen, and the commitments that came out of it; and the annual session's commitments, which
come back at the mid-year meeting for a 回头看 (docs/meeting.md, "回头看").

Everything goes through the services the hall uses, so the demo holds only what the pages
themselves could have produced.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.colours import Colour
from sessions import services as session_services
from sessions.models import Credential, ReviewSession

from . import agenda, followups, questions
from .models import Question, Satisfaction

# (unit, question) asked from the public panel's tablets before the meeting (会前征集).
QUESTIONS_BEFORE = [
    ("迎宾路街道", "老旧小区加装电梯的试点方案什么时候公布？申请的居民需要准备哪些材料？"),
    ("大河路街道", "辖区内河道清淤整治已经拖了两年，今年汛期前能否完成？"),
    ("迎宾路街道", "迎宾路街道老旧小区电梯试点的时间表能否公开？"),
]
# (unit, question) asked from the floor once the meeting is live.
QUESTIONS_LIVE = [
    ("大河路街道", "农贸市场提升改造后摊位费上涨，商户负担加重，街道如何回应？"),
    ("迎宾路街道", "背街小巷改造进度偏慢，年底前能否全部完工？"),
    ("大河路街道", "请问街道办今年的招商引资情况？<b>请具体说明</b>"),
    ("迎宾路街道", "能否给我们单位多拨点经费？"),
]
# (unit, leader, leading group, commitment, days to its due date, colour, done) made at the
# annual session in January; they come back to the mid-year meeting for a 回头看.
ANNUAL_COMMITMENTS = [
    (
        "迎宾路街道",
        "区长",
        "城市更新领导小组",
        "年内完成 12 条背街小巷改造",
        20,
        Colour.GREEN,
        True,
    ),
    (
        "迎宾路街道",
        "区长",
        "城市更新领导小组",
        "老旧小区雨污分流改造 10 月底前完工",
        40,
        Colour.BLUE,
        False,
    ),
    (
        "大河路街道",
        "区委书记",
        "乡村振兴领导小组",
        "农贸市场提升改造并公开摊位收费标准",
        25,
        Colour.YELLOW,
        False,
    ),
    (
        "区住建局",
        "区长",
        "城市更新领导小组",
        "新增停车泊位 4,000 个，年底前全部投用",
        60,
        Colour.BLUE,
        False,
    ),
]
# Votes on the 回头看 of 迎宾路街道's commitments, over the public cards.
RECHECK_VOTES = (
    [Satisfaction.SATISFIED] * 7
    + [Satisfaction.BASICALLY_SATISFIED] * 5
    + [Satisfaction.DISSATISFIED] * 3
)
# Votes on the first answer: 满意, 基本满意, 不满意, in this order over the public cards.
CLOSED_VOTES = (
    [Satisfaction.SATISFIED] * 9
    + [Satisfaction.BASICALLY_SATISFIED] * 4
    + [Satisfaction.DISSATISFIED] * 2
)
OPEN_VOTES = (
    [Satisfaction.SATISFIED] * 5
    + [Satisfaction.BASICALLY_SATISFIED] * 3
    + [Satisfaction.DISSATISFIED] * 2
)


def load_demo_meeting(session: ReviewSession, actor) -> ReviewSession:
    """Run the demo's meeting on a ``ready`` session; returns it ``live``."""
    public = list(Credential.objects.filter(session=session, group__can_ask=True).order_by("id"))
    units = {u.name: u for u in session.units.all()}
    for index, (unit, text) in enumerate(QUESTIONS_BEFORE):
        questions.question_submit(credential=public[index], unit_id=units[unit].pk, text=text)

    session = session_services.session_transition(
        session=session, target=ReviewSession.Status.LIVE, actor=actor
    )
    agenda.agenda_generate(session=session, actor=actor, limit_seconds=300)
    asked = [
        questions.question_submit(credential=public[3 + index], unit_id=units[unit].pk, text=text)
        for index, (unit, text) in enumerate(QUESTIONS_LIVE)
    ]
    lift, river, duplicate = session.questions.filter(
        collected_before=True, kind=Question.Kind.QUESTION
    ).order_by("id")
    market, alleys, _investment, funds = asked

    for question in (lift, river, market, alleys):
        questions.question_approve(question=question, actor=actor)
    questions.question_merge(question=duplicate, into=lift, actor=actor)
    questions.question_reject(
        question=funds, actor=actor, reason="与本单位述职内容无关，会后转相关部门答复。"
    )

    questions.question_answered(
        question=lift,
        actor=actor,
        summary="试点方案已报区政府，8 月底前公布；申请材料清单同步在街道公众号发布。",
    )
    _hold_vote(lift, public, CLOSED_VOTES, actor)

    # 回头看: 迎宾路街道's commitments from the annual session, answered and voted on;
    # 大河路街道's put in the queue, not yet on screen.
    recheck = questions.recheck_add(session=session, actor=actor, unit=units["迎宾路街道"])
    questions.question_put_on_screen(question=recheck, actor=actor)
    questions.question_answered(
        question=recheck,
        actor=actor,
        summary="背街小巷 12 条已全部完工；雨污分流已完成 60%，10 月底前完工。",
    )
    _hold_vote(recheck, public, RECHECK_VOTES, actor)
    questions.recheck_add(session=session, actor=actor, unit=units["大河路街道"])

    questions.question_answered(
        question=market,
        actor=actor,
        summary="摊位费按成本核定，9 月起对困难商户减免三个月，并公开收费明细。",
    )
    # Left open, and so on the big screen: the tablets of the public cards can still vote.
    questions.vote_open(question=market, actor=actor)
    for credential, choice in zip(public, OPEN_VOTES, strict=False):
        questions.vote_cast(credential=credential, question_id=market.pk, choice=choice)

    today = timezone.localdate()
    followups.follow_up_from_question(
        question=lift,
        actor=actor,
        title="公布老旧小区加装电梯试点方案和申请材料清单",
        detail=lift.text,
        due_date=today + datetime.timedelta(days=30),
        colour=Colour.BLUE,
    )
    followups.follow_up_from_leader(
        session=session,
        actor=actor,
        unit=units["大河路街道"],
        asked_by="县委书记",
        leading_group="河长制工作领导小组",
        title="汛期前完成辖区内河道清淤整治",
        detail="现场提问：河道清淤整治两年未完成，原因是什么、何时完成？",
        due_date=today + datetime.timedelta(days=45),
        colour=Colour.YELLOW,
    )
    return session


def _hold_vote(question, cards, choices, actor) -> None:
    """Open the vote on ``question``, cast ``choices`` from ``cards`` in order, close it."""
    questions.vote_open(question=question, actor=actor)
    for credential, choice in zip(cards, choices, strict=False):
        questions.vote_cast(credential=credential, question_id=question.pk, choice=choice)
    questions.vote_close(question=question, actor=actor)


def load_demo_commitments(session: ReviewSession, actor) -> None:
    """The commitments leaders asked for at the annual session (领导现场提问), one of them
    already done; the mid-year meeting looks back on them, and the open ones are on the units'
    ledgers of the year (docs/targets.md, "The ledger (台账)")."""
    units = {u.name: u for u in session.units.all()}
    today = timezone.localdate()
    for unit, leader, group, title, days, colour, done in ANNUAL_COMMITMENTS:
        item = followups.follow_up_from_leader(
            session=session,
            actor=actor,
            unit=units[unit],
            asked_by=leader,
            leading_group=group,
            title=title,
            detail="",
            due_date=today + datetime.timedelta(days=days),
            colour=colour,
        )
        if done:
            followups.follow_up_update(
                follow_up=item, actor=actor, text="已全部完工并通过验收。", marks_done=True
            )
