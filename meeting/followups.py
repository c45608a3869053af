"""督办事项: the writes (docs/design.md §1 and §2).

A commitment made on stage becomes a FollowUp: from an answered question (one per question), or
from a leader's on-the-spot question to a leading group. Staff then record its progress as
FollowUpUpdate rows with their evidence (text, a link, a file); every colour change and every
办结 / 重新打开 is such a row, so the history is the record.

Decisions (documented here because the pages and the tests rely on them):
- Commitments are tracked long after the meeting: they may be created and updated in every
  status of the session except draft (ready, live, rating, closed and published). They are not
  an input of the score, so a published result is not affected.
- A done item takes no further progress, but may be reopened (``reopen=True``) with a text
  saying why; the reopening is an update row like any other, and it is the only kind of update a
  done item accepts, so the history shows it unambiguously.
- Evidence files: the types report attachments accept (core.uploads.ATTACHMENT_TYPES; the
  extension and the file's first bytes must agree), at most 10 MB, stored under a random name
  (meeting.models.follow_up_evidence_path) and served only through a view that checks the role.
- Links: http and https only.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.colours import Colour
from core.text import clean_text
from core.uploads import ATTACHMENT_TYPES, attachment_check
from sessions import lifecycle
from sessions.models import ReviewSession, Unit

from .models import FollowUp, FollowUpUpdate, Question

FOLLOW_UP_FILE_MAX_BYTES = 10 * 1024 * 1024
FOLLOW_UP_FILE_TYPES = ATTACHMENT_TYPES
LINK_SCHEMES = ("http", "https")

_TITLE_MAX = FollowUp._meta.get_field("title").max_length
_DETAIL_MAX = FollowUp._meta.get_field("detail").max_length
_TEXT_MAX = FollowUpUpdate._meta.get_field("text").max_length
_LINK_MAX = FollowUpUpdate._meta.get_field("link").max_length
_NAME_MAX = FollowUp._meta.get_field("asked_by").max_length


# ---------------------------------------------------------------- checks


def _require_tracking(session: ReviewSession) -> None:
    if not lifecycle.can_track_follow_ups(session):
        raise ValidationError(_("评议会还是草稿：就绪后才能登记督办事项。"))


def _clean_colour(colour: str, *, blank: bool = False) -> str:
    if blank and colour == "":
        return ""
    if colour not in Colour.values:
        raise ValidationError(_("请选择状态颜色：绿、蓝、黄或红。"))
    return colour


def _clean_due_date(due_date) -> datetime.date:
    if not isinstance(due_date, datetime.date):
        raise ValidationError(_("请填写完成时限。"))
    if due_date < timezone.localdate():
        raise ValidationError(_("完成时限不能早于今天。"))
    return due_date


def clean_link(link: str) -> str:
    """A link given as evidence: http or https only (never javascript: or data:)."""
    link = (link or "").strip()
    if not link:
        return ""
    if len(link) > _LINK_MAX:
        raise ValidationError(_("链接最多 %(max)s 个字符。") % {"max": _LINK_MAX})
    try:
        URLValidator(schemes=LINK_SCHEMES)(link)
    except ValidationError:
        raise ValidationError(_("链接必须是以 http:// 或 https:// 开头的网址。")) from None
    return link


def clean_evidence_file(upload) -> tuple[str, str]:
    """Check an evidence file before anything is stored: (original name, its extension). The
    same types and checks as a report's attachments, with the follow-up's own size limit."""
    name, ext, _content_type = attachment_check(upload, max_bytes=FOLLOW_UP_FILE_MAX_BYTES)
    return name[-255:], ext


def evidence_content_type(update: FollowUpUpdate) -> str:
    """The type a stored evidence file is served with (from its checked extension)."""
    ext = update.file.name.rsplit(".", 1)[-1].lower() if "." in update.file.name else ""
    return FOLLOW_UP_FILE_TYPES.get(ext, ("application/octet-stream",))[0]


def _create(*, session: ReviewSession, actor, **fields) -> FollowUp:
    follow_up = FollowUp(
        session=session, created_by=actor if getattr(actor, "pk", None) else None, **fields
    )
    follow_up.full_clean()
    follow_up.save()
    audit(
        session=session,
        actor=actor,
        action="follow_up.create",
        message=_("登记督办事项“%(title)s”（责任单位：%(unit)s，完成时限 %(due)s）")
        % {
            "title": follow_up.title,
            "unit": follow_up.unit.name,
            "due": follow_up.due_date.isoformat(),
        },
        follow_up=follow_up.pk,
        source=follow_up.source,
        colour=follow_up.colour,
    )
    return follow_up


# ---------------------------------------------------------------- create


@transaction.atomic
def follow_up_from_question(
    *,
    question: Question,
    actor,
    title: str,
    detail: str,
    due_date: datetime.date,
    colour: str,
) -> FollowUp:
    """An answered question becomes a 督办事项 of the questioned unit, once."""
    # The question's row lock makes two staff converting it at once queue up; the second is
    # then refused below (the one-to-one column would refuse it as well).
    question = (
        Question.objects.select_for_update().select_related("session", "unit").get(pk=question.pk)
    )
    _require_tracking(question.session)
    if question.status != Question.Status.ANSWERED:
        raise ValidationError(_("只有已答复的问题才能转为督办事项。"))
    if FollowUp.objects.filter(question=question).exists():
        raise ValidationError(_("该问题已转为督办事项。"))
    fields = {
        "title": clean_text(title, label=_("事项"), max_length=_TITLE_MAX, required=True),
        "detail": clean_text(detail, label=_("具体内容"), max_length=_DETAIL_MAX, required=False),
        "due_date": _clean_due_date(due_date),
        "colour": _clean_colour(colour),
    }
    try:
        with transaction.atomic():
            return _create(
                session=question.session,
                actor=actor,
                unit=question.unit,
                source=FollowUp.Source.QUESTION,
                question=question,
                **fields,
            )
    except IntegrityError:
        raise ValidationError(_("该问题已转为督办事项。")) from None


@transaction.atomic
def follow_up_from_leader(
    *,
    session: ReviewSession,
    actor,
    unit: Unit,
    asked_by: str,
    leading_group: str,
    title: str,
    detail: str,
    due_date: datetime.date,
    colour: str,
) -> FollowUp:
    """A leader's on-the-spot question to a leading group, with the unit responsible."""
    _require_tracking(session)
    if unit.session_id != session.pk:
        raise ValidationError(_("这个单位不属于本评议会。"))
    return _create(
        session=session,
        actor=actor,
        unit=unit,
        source=FollowUp.Source.LEADER,
        asked_by=clean_text(asked_by, label=_("提问领导"), max_length=_NAME_MAX, required=True),
        leading_group=clean_text(
            leading_group, label=_("领导小组"), max_length=_NAME_MAX, required=False
        ),
        title=clean_text(title, label=_("事项"), max_length=_TITLE_MAX, required=True),
        detail=clean_text(detail, label=_("具体内容"), max_length=_DETAIL_MAX, required=False),
        due_date=_clean_due_date(due_date),
        colour=_clean_colour(colour),
    )


# ---------------------------------------------------------------- correct an entry


@transaction.atomic
def follow_up_edit(
    *,
    follow_up: FollowUp,
    actor,
    title: str,
    detail: str,
    due_date: datetime.date,
    unit: Unit | None = None,
    asked_by: str | None = None,
    leading_group: str | None = None,
) -> FollowUp:
    """Correct what was registered: the item, its details and due date and, for a leader's
    question, the unit, the leader and the leading group. The unit of a question's item is
    the questioned unit and stays. A changed due date cannot lie in the past; an unchanged
    one may (an overdue item keeps its record). The colour changes only with progress, so
    that its history stays in the updates. The audit entry keeps the old values."""
    follow_up = (
        FollowUp.objects.select_for_update().select_related("session", "unit").get(pk=follow_up.pk)
    )
    session = follow_up.session
    _require_tracking(session)
    changes = {
        "title": clean_text(title, label=_("事项"), max_length=_TITLE_MAX, required=True),
        "detail": clean_text(detail, label=_("具体内容"), max_length=_DETAIL_MAX, required=False),
        "due_date": due_date if due_date == follow_up.due_date else _clean_due_date(due_date),
    }
    if follow_up.source == FollowUp.Source.LEADER:
        if unit is not None:
            if unit.session_id != session.pk:
                raise ValidationError(_("这个单位不属于本评议会。"))
            changes["unit"] = unit
        if asked_by is not None:
            changes["asked_by"] = clean_text(
                asked_by, label=_("提问领导"), max_length=_NAME_MAX, required=True
            )
        if leading_group is not None:
            changes["leading_group"] = clean_text(
                leading_group, label=_("领导小组"), max_length=_NAME_MAX, required=False
            )
    elif unit is not None and unit.pk != follow_up.unit_id:
        raise ValidationError(_("由问政问题转来的督办事项，责任单位就是被问单位，不能修改。"))
    changed = {
        name: (getattr(follow_up, name), value)
        for name, value in changes.items()
        if getattr(follow_up, name) != value
    }
    if not changed:
        return follow_up
    for name, (_old, value) in changed.items():
        setattr(follow_up, name, value)
    follow_up.full_clean()
    follow_up.save(update_fields=list(changed))
    audit(
        session=session,
        actor=actor,
        action="follow_up.edit",
        message=_("修改督办事项“%(title)s”：%(fields)s")
        % {
            "title": follow_up.title,
            "fields": "、".join(
                str(FollowUp._meta.get_field(name).verbose_name) for name in changed
            ),
        },
        follow_up=follow_up.pk,
        before={name: str(old) for name, (old, _new) in changed.items()},
    )
    return follow_up


# ---------------------------------------------------------------- progress


@transaction.atomic
def follow_up_update(
    *,
    follow_up: FollowUp,
    actor,
    text: str,
    link: str = "",
    file=None,
    colour: str = "",
    marks_done: bool = False,
    reopen: bool = False,
) -> FollowUpUpdate:
    """Record progress with its evidence. ``colour`` is the new status colour ("" keeps it; the
    current colour again counts as unchanged). ``marks_done`` closes the item (办结);
    ``reopen`` opens a done item again, and is the only update a done item takes."""
    follow_up = (
        FollowUp.objects.select_for_update().select_related("session", "unit").get(pk=follow_up.pk)
    )
    _require_tracking(follow_up.session)
    text = clean_text(text, label=_("进展情况"), max_length=_TEXT_MAX, required=True)
    link = clean_link(link)
    colour = _clean_colour(colour, blank=True)
    if marks_done and reopen:
        raise ValidationError(_("不能同时标记办结和重新打开。"))
    done = follow_up.done_at is not None
    if done and not reopen:
        raise ValidationError(
            _("该事项已办结，不能再登记进展；如需继续督办，请选择“重新打开”并写明原因。")
        )
    if reopen and not done:
        raise ValidationError(_("该事项尚未办结，无需重新打开。"))
    original_name, _ext = clean_evidence_file(file) if file else ("", "")
    if colour == follow_up.colour:
        colour = ""

    update = FollowUpUpdate(
        follow_up=follow_up,
        text=text,
        link=link,
        original_name=original_name,
        colour=colour,
        marks_done=marks_done,
        created_by=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or "",
    )
    if file:
        update.file.save(original_name, file, save=False)
    try:
        update.save()
        _apply(follow_up, update=update, reopen=reopen, actor=actor)
    except Exception:
        # Nothing is kept of a refused update: not its row, and not its stored file.
        if file:
            update.file.delete(save=False)
        raise
    return update


def _apply(follow_up: FollowUp, *, update: FollowUpUpdate, reopen: bool, actor) -> None:
    """Carry an update's colour and 办结 / 重新打开 over to its item, and audit it."""
    changed = []
    if update.colour:
        follow_up.colour = update.colour
        changed.append("colour")
    if update.marks_done:
        follow_up.done_at = timezone.now()
        changed.append("done_at")
    if reopen:
        follow_up.done_at = None
        changed.append("done_at")
    if changed:
        follow_up.save(update_fields=changed)
    if reopen:
        message = _("重新打开督办事项“%(title)s”")
    elif update.marks_done:
        message = _("督办事项“%(title)s”办结")
    else:
        message = _("登记督办事项“%(title)s”的进展")
    audit(
        session=follow_up.session,
        actor=actor,
        action="follow_up.reopen" if reopen else "follow_up.update",
        message=message % {"title": follow_up.title},
        follow_up=follow_up.pk,
        update=update.pk,
        colour=update.colour,
        marks_done=update.marks_done,
        file=update.original_name,
        link=update.link,
    )
