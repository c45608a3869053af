"""Agenda and timer (docs/design.md §1 and §6, moderator).

Writes only: every function is keyword-only, atomic, audited, and moves the big screen's
version on (``stage_touch``) in the same transaction, because the screen shows the agenda.

Rules decided here:

- **One item runs at a time.** Starting (or resuming) an item pauses the one that was running:
  pausing loses nothing (its spoken time is kept), so a moderator who started the wrong item can
  go back. ``agenda_next`` is the "speaker done" button: it finishes the current item and
  starts the next waiting one.
- **Next** is the first waiting item after the current one in agenda order, or, when none is
  left after it, the first waiting item before it (one skipped earlier).
- **Time** comes from the server's clock (``timezone.now()``) when the row is written, never
  from the client; an item stores what happened (``elapsed_seconds`` of earlier runs and
  ``started_at`` of the current run), so every screen computes the same remaining time.
- The timer runs while the session is live or rating (section 3); the agenda may be edited
  until rating ends; the big screen's mode may change from live on, also after the meeting.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.colours import Colour
from sessions import lifecycle
from sessions.guards import lock_session
from sessions.models import ReviewSession

from .models import SEGMENT_LIMIT_FIELDS, AgendaItem, Stage, new_screen_token
from .stage import stage_lock, stage_touch

Status = ReviewSession.Status
Segment = AgendaItem.Segment
State = AgendaItem.State

# 三述 of the annual review; the mid-year review (and a custom one) has 述职 only by default.
ALL_SEGMENTS = (Segment.WORK, Segment.RESPONSIBILITY, Segment.INTEGRITY)

MIN_LIMIT_SECONDS = 10
MAX_LIMIT_SECONDS = 2 * 60 * 60
EXTEND_STEPS = (30, 60)
# Extensions add up to at most this much per item: a typo cannot give a speaker an hour.
MAX_EXTRA_SECONDS = 30 * 60
MAX_TITLE_LENGTH = 100


def default_segments(session: ReviewSession) -> tuple[str, ...]:
    return ALL_SEGMENTS if session.kind == ReviewSession.Kind.ANNUAL else (Segment.WORK,)


def mm_ss(seconds: float) -> str:
    """A duration as the console and the screen show it: 5:00 → "05:00", 75 min → "75:00"."""
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


# ---------------------------------------------------------------- guards


def _locked(session: ReviewSession) -> ReviewSession:
    """The session re-read under its row lock, then the stage's: always in this order, so two
    moderators' clicks are applied one after the other."""
    session = lock_session(session)
    stage_lock(session)
    return session


def _require_timer(session: ReviewSession) -> None:
    if not lifecycle.can_run_stage(session):
        raise ValidationError(
            _("会议尚未开始：请先在概览页将评议会状态改为“会议进行中”。")
            if lifecycle.is_before_meeting(session)
            else _("评议已结束，计时器不能再使用。")
        )


def _require_editable(session: ReviewSession) -> None:
    if not lifecycle.can_edit_agenda(session):
        raise ValidationError(_("评议已结束，议程不能再修改。"))


def _limit_clean(limit_seconds: int) -> int:
    if not MIN_LIMIT_SECONDS <= limit_seconds <= MAX_LIMIT_SECONDS:
        raise ValidationError(
            _("限时须在 %(min)s 秒到 %(max)s 分钟之间。")
            % {"min": MIN_LIMIT_SECONDS, "max": MAX_LIMIT_SECONDS // 60}
        )
    return limit_seconds


def _title_clean(title: str, *, required: bool) -> str:
    title = title.strip()
    if required and not title:
        raise ValidationError(_("请填写议程标题。"))
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError(_("标题最多 %(n)s 个字。") % {"n": MAX_TITLE_LENGTH})
    return title


def _item(session: ReviewSession, item: AgendaItem) -> AgendaItem:
    """The item re-read inside the lock (its state may have changed since the page showed it)."""
    try:
        return AgendaItem.objects.select_related("participant__unit").get(
            pk=item.pk, session=session
        )
    except AgendaItem.DoesNotExist:
        raise ValidationError(_("该议程项目已被删除，请刷新页面。")) from None


# ---------------------------------------------------------------- the agenda


@transaction.atomic
def agenda_generate(
    *,
    session: ReviewSession,
    actor,
    segments: tuple[str, ...] | list[str] | None = None,
    limits: dict[str, int] | None = None,
    limit_seconds: int | None = None,
) -> list[AgendaItem]:
    """Replace the agenda with one item per participant per segment: each participant's
    segments one after the other (述职, 述责, 述廉), participants in speaking order, those
    without one after them by name (Participant's ordering). Refused once any item started.

    Each segment's item gets that segment's limit: ``limits`` (segment → seconds), or
    ``limit_seconds`` for every segment, or else the limits the session has (its template's,
    or the last ones given). The limits given are remembered for the next generation."""
    session = _locked(session)
    _require_editable(session)
    segments = tuple(segments or default_segments(session))
    if not segments or any(s not in ALL_SEGMENTS for s in segments):
        raise ValidationError(_("请选择述职、述责、述廉中的至少一项。"))
    segments = tuple(s for s in ALL_SEGMENTS if s in segments)
    stage = Stage.objects.get(session=session)
    if limits is None:
        limits = {
            s: limit_seconds if limit_seconds is not None else stage.segment_limit(s)
            for s in segments
        }
    chosen = {}
    for segment in segments:
        if limits.get(segment) is None:
            raise ValidationError(
                _("请填写%(segment)s的限时。") % {"segment": Segment(segment).label}
            )
        chosen[segment] = _limit_clean(limits[segment])
    if AgendaItem.objects.filter(session=session).exclude(state=State.WAITING).exists():
        raise ValidationError(
            _("已有议程项目开始计时，不能重新生成议程（以免清除会议记录）。请逐项添加或修改。")
        )
    participants = list(session.participants.select_related("unit"))
    if not participants:
        raise ValidationError(_("还没有述职单位：请先在“单位”页确定参加的单位。"))
    replaced = AgendaItem.objects.filter(session=session).count()
    stage_touch(
        session,
        current_item=None,
        **{SEGMENT_LIMIT_FIELDS[s]: seconds for s, seconds in chosen.items()},
    )
    AgendaItem.objects.filter(session=session).delete()
    items = AgendaItem.objects.bulk_create(
        AgendaItem(
            session=session,
            participant=participant,
            segment=segment,
            order=order,
            limit_seconds=chosen[segment],
        )
        for order, (participant, segment) in enumerate(
            ((p, s) for p in participants for s in segments), start=1
        )
    )
    audit(
        session=session,
        actor=actor,
        action="agenda.generate",
        message=_("生成议程：%(units)s 个单位，每个单位 %(limits)s")
        % {
            "units": len(participants),
            "limits": "、".join(
                _("%(segment)s限时 %(limit)s")
                % {"segment": Segment(s).label, "limit": mm_ss(seconds)}
                for s, seconds in chosen.items()
            ),
        },
        items=len(items),
        replaced=replaced,
        segments=list(segments),
        limits=chosen,
    )
    return items


@transaction.atomic
def agenda_item_add(*, session: ReviewSession, actor, title: str, limit_seconds: int) -> AgendaItem:
    """A free item (主持词, 领导讲话, 视频…) at the end of the agenda."""
    session = _locked(session)
    _require_editable(session)
    title = _title_clean(title, required=True)
    limit_seconds = _limit_clean(limit_seconds)
    last = AgendaItem.objects.filter(session=session).aggregate(m=Max("order"))["m"] or 0
    item = AgendaItem.objects.create(
        session=session,
        segment=Segment.OTHER,
        title=title,
        order=last + 1,
        limit_seconds=limit_seconds,
    )
    stage_touch(session)
    audit(
        session=session,
        actor=actor,
        action="agenda.add",
        message=_("添加议程：%(title)s（限时 %(limit)s）")
        % {"title": title, "limit": mm_ss(limit_seconds)},
        item=item.pk,
    )
    return item


@transaction.atomic
def agenda_item_update(*, item: AgendaItem, actor, title: str, limit_seconds: int) -> AgendaItem:
    """Title and limit; a finished item is history and stays as it was. A free item needs a
    title; a unit's item may have one (it then replaces "单位 环节" on the screen)."""
    session = _locked(item.session)
    _require_editable(session)
    item = _item(session, item)
    if item.state == State.DONE:
        raise ValidationError(_("该项目已结束，不能再修改。"))
    title = _title_clean(title, required=item.participant_id is None)
    limit_seconds = _limit_clean(limit_seconds)
    before = {"title": item.title, "limit_seconds": item.limit_seconds}
    item.title, item.limit_seconds = title, limit_seconds
    item.save(update_fields=["title", "limit_seconds"])
    stage_touch(session)
    audit(
        session=session,
        actor=actor,
        action="agenda.update",
        message=_("修改议程：%(label)s（限时 %(limit)s）")
        % {"label": item.label, "limit": mm_ss(limit_seconds)},
        item=item.pk,
        before=before,
        after={"title": title, "limit_seconds": limit_seconds},
    )
    return item


@transaction.atomic
def agenda_item_delete(*, item: AgendaItem, actor) -> None:
    """Only an item that has not started: what was said on stage stays on the record."""
    session = _locked(item.session)
    _require_editable(session)
    item = _item(session, item)
    if item.state != State.WAITING:
        raise ValidationError(_("只能删除尚未开始的议程项目。"))
    label, pk = item.label, item.pk
    item.delete()
    stage_touch(session)
    audit(
        session=session,
        actor=actor,
        action="agenda.delete",
        message=_("删除议程：%(label)s") % {"label": label},
        item=pk,
    )


@transaction.atomic
def agenda_item_move(*, item: AgendaItem, actor, up: bool) -> AgendaItem:
    """Swap the item with its neighbour above (``up``) or below; at either end, nothing to do."""
    session = _locked(item.session)
    _require_editable(session)
    item = _item(session, item)
    neighbours = AgendaItem.objects.filter(session=session)
    neighbour = (
        neighbours.filter(order__lt=item.order).order_by("-order").first()
        if up
        else neighbours.filter(order__gt=item.order).order_by("order").first()
    )
    if neighbour is None:
        raise ValidationError(_("已经是第一项。") if up else _("已经是最后一项。"))
    # (session, order) is unique: park the item on 0 (orders start at 1) while swapping.
    mine, theirs = item.order, neighbour.order
    AgendaItem.objects.filter(pk=item.pk).update(order=0)
    AgendaItem.objects.filter(pk=neighbour.pk).update(order=mine)
    AgendaItem.objects.filter(pk=item.pk).update(order=theirs)
    item.order = theirs
    stage_touch(session)
    audit(
        session=session,
        actor=actor,
        action="agenda.move",
        message=(_("议程上移：%(label)s") if up else _("议程下移：%(label)s"))
        % {"label": item.label},
        item=item.pk,
        order=[mine, theirs],
    )
    return item


# ---------------------------------------------------------------- the timer


def next_waiting(session: ReviewSession, current: AgendaItem | None) -> AgendaItem | None:
    """The item 下一位 starts: the first waiting one after ``current`` or, when none is left
    after it, the first waiting one before it. Also what the console and the screen announce."""
    waiting = AgendaItem.objects.filter(session=session, state=State.WAITING).select_related(
        "participant__unit"
    )
    if current is not None:
        after = waiting.filter(order__gt=current.order).order_by("order").first()
        if after is not None:
            return after
    return waiting.order_by("order").first()


def _pause_running(session: ReviewSession, now, *, except_pk: int | None = None) -> list[int]:
    """Stop the clock of whatever runs (at most one item, but be thorough)."""
    paused = []
    running = AgendaItem.objects.filter(session=session, state=State.RUNNING).exclude(pk=except_pk)
    for other in running:
        other.elapsed_seconds = round(other.elapsed_at(now))
        other.started_at = None
        other.state = State.PAUSED
        other.save(update_fields=["elapsed_seconds", "started_at", "state"])
        paused.append(other.pk)
    return paused


def _run(session: ReviewSession, item: AgendaItem, now) -> list[int]:
    paused = _pause_running(session, now, except_pk=item.pk)
    item.state, item.started_at = State.RUNNING, now
    item.save(update_fields=["state", "started_at"])
    stage_touch(session, current_item=item, mode=Stage.Mode.SPEAKER)
    return paused


def _timer_audit(session, actor, action: str, message: str, item: AgendaItem, **detail) -> None:
    """``message`` has a %(label)s placeholder for the item's label."""
    audit(
        session=session,
        actor=actor,
        action=f"agenda.{action}",
        message=message % {"label": item.label},
        item=item.pk,
        elapsed_seconds=round(item.elapsed_at(timezone.now())),
        limit_total=item.limit_total,
        **detail,
    )


@transaction.atomic
def item_start(*, item: AgendaItem, actor) -> AgendaItem:
    """Start a waiting item: it becomes the stage's current item and the screen shows the
    speaker. A running item is paused first (one runs at a time)."""
    session = _locked(item.session)
    _require_timer(session)
    item = _item(session, item)
    if item.state != State.WAITING:
        raise ValidationError(
            _("该项目已暂停，请点“继续”。")
            if item.state == State.PAUSED
            else _("该项目已在计时或已结束。")
        )
    paused = _run(session, item, timezone.now())
    _timer_audit(session, actor, "start", _("开始计时：%(label)s"), item, paused=paused)
    return item


@transaction.atomic
def item_pause(*, item: AgendaItem, actor) -> AgendaItem:
    session = _locked(item.session)
    _require_timer(session)
    item = _item(session, item)
    if item.state != State.RUNNING:
        raise ValidationError(_("该项目没有在计时，不能暂停。"))
    now = timezone.now()
    item.elapsed_seconds = round(item.elapsed_at(now))
    item.started_at, item.state = None, State.PAUSED
    item.save(update_fields=["elapsed_seconds", "started_at", "state"])
    stage_touch(session)
    _timer_audit(session, actor, "pause", _("暂停计时：%(label)s"), item)
    return item


@transaction.atomic
def item_resume(*, item: AgendaItem, actor) -> AgendaItem:
    session = _locked(item.session)
    _require_timer(session)
    item = _item(session, item)
    if item.state != State.PAUSED:
        raise ValidationError(_("该项目没有暂停，不能继续。"))
    paused = _run(session, item, timezone.now())
    _timer_audit(session, actor, "resume", _("继续计时：%(label)s"), item, paused=paused)
    return item


@transaction.atomic
def item_extend(*, item: AgendaItem, actor, seconds: int) -> AgendaItem:
    """延长 30 or 60 seconds, at most MAX_EXTRA_SECONDS in all for one item."""
    session = _locked(item.session)
    _require_timer(session)
    item = _item(session, item)
    if seconds not in EXTEND_STEPS:
        raise ValidationError(_("每次只能延长 30 秒或 1 分钟。"))
    if item.state == State.DONE:
        raise ValidationError(_("该项目已结束，不能再延长。"))
    if item.extra_seconds + seconds > MAX_EXTRA_SECONDS:
        raise ValidationError(
            _("延长时间已达上限（每项最多延长 %(n)s 分钟）。") % {"n": MAX_EXTRA_SECONDS // 60}
        )
    item.extra_seconds += seconds
    item.save(update_fields=["extra_seconds"])
    stage_touch(session)
    audit(
        session=session,
        actor=actor,
        action="agenda.extend",
        message=_("延长 %(s)s 秒：%(label)s") % {"s": seconds, "label": item.label},
        item=item.pk,
        seconds=seconds,
        extra_seconds=item.extra_seconds,
    )
    return item


def _finish(item: AgendaItem, now) -> None:
    item.elapsed_seconds = round(item.elapsed_at(now))
    item.started_at, item.state, item.finished_at = None, State.DONE, now
    item.save(update_fields=["elapsed_seconds", "started_at", "state", "finished_at"])


@transaction.atomic
def item_finish(*, item: AgendaItem, actor) -> AgendaItem:
    """结束: the item's time is final. It stays the stage's current item (the screen shows
    its final time) until the next one starts."""
    session = _locked(item.session)
    _require_timer(session)
    item = _item(session, item)
    if item.state not in (State.RUNNING, State.PAUSED):
        raise ValidationError(
            _("该项目尚未开始。") if item.state == State.WAITING else _("该项目已结束。")
        )
    _finish(item, timezone.now())
    stage_touch(session)
    _timer_audit(session, actor, "finish", _("结束计时：%(label)s"), item)
    return item


@transaction.atomic
def agenda_next(*, session: ReviewSession, actor) -> AgendaItem | None:
    """下一位: finish the current item (running or paused) and start the next waiting one.
    Returns the started item, or None when the agenda is through (the last one finished)."""
    session = _locked(session)
    _require_timer(session)
    stage = Stage.objects.get(session=session)
    current = (
        AgendaItem.objects.select_related("participant__unit")
        .filter(pk=stage.current_item_id)
        .first()
    )
    now = timezone.now()
    finished = None
    if current is not None and current.state in (State.RUNNING, State.PAUSED):
        _finish(current, now)
        finished = current
    following = next_waiting(session, current)
    if following is None and finished is None:
        raise ValidationError(_("议程中没有未开始的项目。"))
    if following is not None:
        _run(session, following, now)
    else:
        stage_touch(session)
    audit(
        session=session,
        actor=actor,
        action="agenda.next",
        message=_("下一位：%(next)s（结束 %(done)s）")
        % {
            "next": following.label if following else _("议程已全部结束"),
            "done": finished.label if finished else "—",
        },
        finished=finished.pk if finished else None,
        started=following.pk if following else None,
    )
    return following


# ---------------------------------------------------------------- the big screen's mode


@transaction.atomic
def screen_mode_set(*, session: ReviewSession, actor, mode: str, project_colour: str = "") -> Stage:
    """What the projector shows. 评议结果 only once a result is published (section 3)."""
    session = lock_session(session)
    if not lifecycle.can_show_screen(session):
        raise ValidationError(_("会议尚未开始：请先在概览页将评议会状态改为“会议进行中”。"))
    if mode not in Stage.Mode.values:
        raise ValidationError(_("未知的大屏显示内容。"))
    if project_colour and project_colour not in Colour.values:
        raise ValidationError(_("未知的项目颜色。"))
    if mode != Stage.Mode.PROJECTS:
        project_colour = ""
    # The scoring app sits above this one (docs/architecture.md): its snapshots are read
    # through their reverse relation to the session, not imported.
    if mode == Stage.Mode.RANKING and not session.result_snapshots.exists():
        raise ValidationError(_("评议结果尚未发布，大屏不能显示评议结果。"))
    stage_lock(session)
    stage = stage_touch(session, mode=mode, project_colour=project_colour)
    label = Stage.Mode(mode).label
    if project_colour:
        label = f"{label}（{Colour(project_colour).label}）"
    audit(
        session=session,
        actor=actor,
        action="screen.mode",
        message=_("大屏切换为：%(mode)s") % {"mode": label},
        mode=mode,
        project_colour=project_colour,
    )
    return stage


@transaction.atomic
def screen_token_renew(*, session: ReviewSession, actor) -> Stage:
    """A new link for the projector: the old one answers 404 from now on (a link passed
    around, or left open on a machine it should not be). The screen shows nothing private,
    but what it shows and when is the moderator's to decide."""
    session = lock_session(session)
    stage_lock(session)
    stage = stage_touch(session, screen_token=new_screen_token())
    audit(
        session=session,
        actor=actor,
        action="screen.token_renew",
        message=_("更换了大屏链接，旧链接已失效"),
    )
    return stage
