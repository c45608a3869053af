"""Every write to a review session goes through here (STYLE.md: services are keyword-only,
typed, atomic, and raise ValidationError with a message a person can act on)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from core.audit import audit
from core.uploads import attachment_check
from org import services as org_services
from org.models import District

from . import draws, lifecycle, presets
from .models import (
    Attachment,
    Ballot,
    Credential,
    Criterion,
    Draw,
    Participant,
    RaterGroup,
    Report,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)
from .presets import PRESETS, default_title
from .words import number

Status = ReviewSession.Status


def _require_draft(session: ReviewSession) -> None:
    if not session.is_editable:
        raise ValidationError(
            _(
                "评议会状态为“%(status)s”，单位、评议组、权重和计分办法已冻结。"
                "如需修改，请先退回草稿（仅在尚无评议票时可行）。"
            )
            % {"status": session.get_status_display()}
        )


# In an anonymous session a group's score on a unit is published only from this many votes
# up: with one or two, the score would show a single rater's grade (docs/anonymity.md,
# "minimum sample").
ANONYMOUS_MIN_SAMPLE = 3


def _anonymous_min_sample_message() -> str:
    return _(
        "匿名评议的最少有效票数不能少于 %(min)s：票数更少时，单位得分会暴露个别评议人的评价。"
    ) % {"min": ANONYMOUS_MIN_SAMPLE}


def lock_session(session: ReviewSession) -> ReviewSession:
    """Re-read the session under a row lock so that two staff cannot race a transition."""
    return ReviewSession.objects.select_for_update().get(pk=session.pk)


# ---------------------------------------------------------------- sessions


def _unique_slug(year: int, kind: str) -> str:
    base = f"{year}-{kind}"
    slug, n = base, 2
    while ReviewSession.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def session_date_problem(*, year: int, date: datetime.date | None) -> str | None:
    """A date that contradicts the year, or None. The review of year Y is held in year Y (the
    mid-year review; the annual one in December) or early in Y+1 (the annual review in January
    or February), so a date in any other year is a typing mistake in one of the two."""
    if date is None or not isinstance(year, int) or date.year in (year, year + 1):
        return None
    return _(
        "日期 %(date)s 与年度 %(year)s 不符：%(year)s 年度的评议会应在 %(year)s 年内或 "
        "%(next)s 年初召开。请检查年度或日期。"
    ) % {"date": date.isoformat(), "year": year, "next": year + 1}


def session_date_warning(*, kind: str, year: int, date: datetime.date | None) -> str | None:
    """A date that is possible but unusual for the kind of review, or None: a mid-year review
    of year Y is held in year Y, so a date in Y+1 more likely means the year is wrong."""
    if date is None or kind != ReviewSession.Kind.MIDYEAR or date.year != year + 1:
        return None
    return _(
        "年中评议会通常在当年召开，但日期 %(date)s 在 %(next)s 年，年度却是 %(year)s："
        "请确认年度是否应为 %(next)s。"
    ) % {"date": date.isoformat(), "year": year, "next": year + 1}


def _require_date_in_year(*, year: int, date: datetime.date | None) -> None:
    problem = session_date_problem(year=year, date=date)
    if problem:
        raise ValidationError(problem)


@transaction.atomic
def session_create(
    *,
    kind: str,
    year: int,
    title: str = "",
    date: datetime.date | None = None,
    venue: str = "",
    actor=None,
    with_preset: bool = True,
    slug: str = "",
    district: District | None = None,
) -> ReviewSession:
    """Create a draft session with the default scheme; pre-fill categories and groups from the
    template of its kind (DESIGN.md sections 1 and 4.5) unless ``with_preset`` is False."""
    if kind not in ReviewSession.Kind.values:
        raise ValidationError(_("未知的评议会类型“%(kind)s”。") % {"kind": kind})
    _require_date_in_year(year=year, date=date)
    preset = PRESETS[ReviewSession.Kind(kind)]
    session = ReviewSession(
        district=district or org_services.default_district(),
        slug=slug or _unique_slug(year, kind),
        title=(title or "").strip() or default_title(preset, year),
        kind=kind,
        year=year,
        date=date,
        venue=venue.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    session.full_clean()
    session.save()
    ScoringScheme.objects.create(session=session)
    if with_preset:
        for order, (name, side) in enumerate(preset.categories):
            UnitCategory.objects.create(session=session, name=name, side=side, order=order)
        for order, (name, weight, side) in enumerate(preset.groups):
            RaterGroup.objects.create(
                session=session,
                name=name,
                weight=weight,
                side=side,
                order=order,
                can_ask=presets.asks_by_default(name),
                is_leaders=presets.leads_by_default(name),
            )
    audit(
        session=session,
        actor=actor,
        action="session.create",
        message=_("创建评议会“%(title)s”") % {"title": session.title},
        kind=kind,
        year=year,
    )
    return session


@transaction.atomic
def session_update(
    *,
    session: ReviewSession,
    actor,
    title: str,
    year: int,
    date: datetime.date | None,
    venue: str,
) -> ReviewSession:
    session = lock_session(session)
    if not lifecycle.can_edit_details(session):
        raise ValidationError(_("结果已发布，评议会信息不能再修改。"))
    _require_date_in_year(year=year, date=date)
    before = {
        "title": session.title,
        "year": session.year,
        "date": session.date,
        "venue": session.venue,
    }
    session.title, session.year, session.date, session.venue = (
        title.strip(),
        year,
        date,
        venue.strip(),
    )
    session.full_clean()
    session.save()
    after = {
        "title": session.title,
        "year": session.year,
        "date": session.date,
        "venue": session.venue,
    }
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit(
            session=session,
            actor=actor,
            action="session.update",
            message=_("修改评议会信息：%(fields)s")
            % {
                "fields": "、".join(
                    str(ReviewSession._meta.get_field(k).verbose_name) for k in changed
                )
            },
            changes=changed,
        )
    return session


def transition_problems(session: ReviewSession, target: str) -> list[str]:
    """What stands in the way of moving ``session`` to ``target``; empty when it may move.
    Warnings that do not stop the move are ``transition_warnings``."""
    if target not in Status.values:
        return [_("未知状态“%(status)s”。") % {"status": target}]
    if target == session.status:
        return [_("评议会已经是“%(status)s”状态。") % {"status": session.get_status_display()}]
    if target not in lifecycle.TRANSITIONS[session.status]:
        allowed = "、".join(
            str(Status(s).label) for s in lifecycle.TRANSITIONS[session.status]
        ) or _("无")
        return [
            _("不能从“%(from)s”转到“%(to)s”；当前可转到：%(allowed)s。")
            % {
                "from": session.get_status_display(),
                "to": Status(target).label,
                "allowed": allowed,
            }
        ]
    problems: list[str] = []
    if session.status == Status.DRAFT and target == Status.READY:
        problems += readiness_problems(session)
    if target == Status.LIVE and not speaking_order_complete(session):
        # The agenda runs in speaking order; a session rated without a meeting (paper
        # ballots, pure 民主测评) never needs one, so only the meeting asks for it.
        problems.append(
            _(
                "召开现场会需要完整的发言顺序，但部分述职单位还没有：请先退回草稿，"
                "在“抽签”页抽签确定发言顺序（命令行：draw_order），再就绪并开始会议。"
            )
        )
    going_back = session.status == Status.READY and target == Status.DRAFT
    if going_back and Ballot.objects.filter(session=session).exists():
        problems.append(_("已有评议票，不能退回草稿。"))
    if going_back and session.in_rehearsal:
        problems.append(_("正在彩排：请先结束彩排并恢复，再退回草稿。"))
    if target == Status.PUBLISHED:
        problems.append(_("发布结果须在结果页计算并冻结结果快照后进行，不能直接改状态。"))
    return problems


def transition_warnings(session: ReviewSession, target: str) -> list[str]:
    """What the organiser should know before moving ``session`` to ``target`` but that does not
    stop the move; the browser shows it above the confirmation, ``set_status`` prints it."""
    if session.status == Status.DRAFT and target == Status.READY:
        return readiness_warnings(session)
    if session.status == Status.RATING and target == Status.CLOSED:
        from .ballot_box import unsubmitted_drafts  # it imports this module

        return [
            _(
                "评议组“%(group)s”：%(opened)s 个评议码已打开但未提交，其中 %(codes)s 个暂存了 "
                "%(grades)s 项评价；结束评议时这些暂存评价将被销毁，可在结束后改用纸质票录入。"
            )
            % {"group": row.group, "opened": row.opened, "codes": row.codes, "grades": row.grades}
            for row in unsubmitted_drafts(session)
        ]
    return []


def speaking_order_complete(session: ReviewSession) -> bool:
    """Every participant has a place 1..n (DESIGN.md section 3: the agenda of a live meeting)."""
    orders = sorted(p or 0 for p in session.participants.values_list("speaking_order", flat=True))
    return bool(orders) and orders == list(range(1, len(orders) + 1))


@dataclass(frozen=True)
class ReadinessLine:
    """One line of the draft → ready checklist: what is wrong or missing, and which page of the
    session fixes it (a URL name in the ``review`` namespace, taking the session's slug)."""

    message: str
    page: str


@dataclass(frozen=True)
class Readiness:
    """Blockers stop draft → ready; warnings are shown (and printed by ``set_status``) but the
    organiser may go on."""

    blockers: list[ReadinessLine]
    warnings: list[ReadinessLine]


def readiness_check(session: ReviewSession, *, with_warnings: bool = True) -> Readiness:
    """The draft → ready checklist (DESIGN.md section 3: from ready on the unit list, groups,
    weights and scheme are frozen, so whatever cannot be mended later is a blocker; what can
    still be done after, or is needed only for a live meeting, is a warning)."""
    blockers: list[ReadinessLine] = []
    warnings: list[ReadinessLine] = []
    participants = list(session.participants.select_related("unit"))
    if not participants:
        blockers.append(
            ReadinessLine(_("还没有述职单位：请添加固定参加的单位或进行随机抽选。"), "review:units")
        )
    groups = list(session.rater_groups.all())
    if not groups:
        blockers.append(ReadinessLine(_("还没有评议组。"), "review:groups"))
    elif sum((g.weight for g in groups), Decimal(0)) <= 0:
        blockers.append(ReadinessLine(_("评议组权重之和必须大于 0。"), "review:groups"))
    scheme = session.scheme
    low = [g.name for g in groups if g.min_sample < ANONYMOUS_MIN_SAMPLE]
    if scheme.anonymous and low:
        blockers.append(
            ReadinessLine(
                _("评议组“%(groups)s”：%(message)s")
                % {"groups": "、".join(low), "message": _anonymous_min_sample_message()},
                "review:groups",
            )
        )
    if scheme.component_weight_total != Decimal(100):
        blockers.append(
            ReadinessLine(
                _("计分构成的权重之和为 %(total)s%%，必须为 100%%。")
                % {"total": scheme.component_weight_total},
                "review:scheme",
            )
        )
    # A scheme that cannot rank (a tie-break on a group that does not exist, bands out of
    # order…): the same rules the scheme page applies, on the values stored. The component
    # total and the anonymous groups are reported above in the checklist's own words.
    stored = {field: getattr(scheme, field) for field in SCHEME_FIELDS}
    scheme_lines = scheme_problems(stored, has_leaders=any(g.is_leaders for g in groups))
    for field, messages in scheme_lines.items():
        if field in ("__all__", "anonymous"):
            continue
        blockers += [
            ReadinessLine(_("计分办法：%(message)s") % {"message": m}, "review:scheme")
            for m in messages
        ]
    if not with_warnings:
        return Readiness(blockers=blockers, warnings=warnings)

    date_warning = session_date_warning(kind=session.kind, year=session.year, date=session.date)
    if date_warning:
        warnings.append(ReadinessLine(date_warning, "review:session_edit"))

    orders = sorted(p.speaking_order or 0 for p in participants)
    if participants and orders != list(range(1, len(participants) + 1)):
        warnings.append(
            ReadinessLine(
                _(
                    "还没有发言顺序：召开现场会前须确定发言顺序，就绪后不能再抽签。"
                    "不开现场会（纸质票、纯民主测评）可以不抽。"
                ),
                "review:draws",
            )
        )
    participating = {p.unit.category_id for p in participants}
    empty = [c.name for c in session.categories.all() if c.pk not in participating]
    if empty and participants:
        warnings.append(
            ReadinessLine(
                _("单位类别“%(names)s”没有述职单位：这些类别不会出现在结果中，可删除或添加单位。")
                % {"names": "、".join(empty)},
                "review:units",
            )
        )
    codes = dict(
        session.credentials.filter(status=Credential.Status.ACTIVE)
        .values("group_id")
        .annotate(n=Count("id"))
        .values_list("group_id", "n")
    )
    if groups and not codes:
        warnings.append(
            ReadinessLine(
                _("还没有发放评议码：就绪后仍可在“评议码”页发放，评议开始前须发放。"),
                "review:credentials",
            )
        )
    elif groups:
        short = [
            _("%(name)s %(n)s 个（至少 %(min)s 个）")
            % {"name": g.name, "n": codes.get(g.pk, 0), "min": g.min_sample}
            for g in groups
            if codes.get(g.pk, 0) < g.min_sample
        ]
        if short:
            warnings.append(
                ReadinessLine(
                    _(
                        "评议码少于最少有效票数，这些评议组对任何单位都不会有有效得分："
                        "%(groups)s。就绪后仍可补发评议码。"
                    )
                    % {"groups": "；".join(short)},
                    "review:credentials",
                )
            )
    return Readiness(blockers=blockers, warnings=warnings)


def readiness_problems(session: ReviewSession) -> list[str]:
    """What stops draft → ready (the checklist's blockers, as messages)."""
    return [line.message for line in readiness_check(session, with_warnings=False).blockers]


def readiness_warnings(session: ReviewSession) -> list[str]:
    """What draft → ready warns about without stopping (the checklist's warnings)."""
    return [line.message for line in readiness_check(session).warnings]


@transaction.atomic
def session_transition(*, session: ReviewSession, target: str, actor) -> ReviewSession:
    """Move a session along its lifecycle; the browser and ``set_status`` both call this."""
    session = lock_session(session)
    problems = transition_problems(session, target)
    if problems:
        raise ValidationError(problems)
    before = session.status
    session.status = target
    session.save(update_fields=["status", "updated_at"])
    if target == Status.CLOSED:
        # Under the session lock every submission shares (sessions/rater_sql.py): no ballot is
        # in flight, and none can follow (docs/anonymity.md, "closing").
        from .ballot_box import seal  # it audits through this module

        seal(session=session, actor=actor)
    audit(
        session=session,
        actor=actor,
        action="session.status",
        message=_("状态：%(from)s → %(to)s")
        % {"from": Status(before).label, "to": Status(target).label},
        before=before,
        after=target,
    )
    return session


# ---------------------------------------------------------------- categories and units


def _clean_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("%(what)s名称不能为空。") % {"what": what})
    if len(name) > 100:
        raise ValidationError(_("%(what)s名称不能超过 100 个字符。") % {"what": what})
    return name


@transaction.atomic
def category_save(
    *,
    session: ReviewSession,
    actor,
    name: str,
    side: str = UnitCategory.Side.OTHER,
    category: UnitCategory | None = None,
) -> UnitCategory:
    _require_draft(session)
    name = _clean_name(name, _("类别"))
    clash = session.categories.filter(name=name)
    if category:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise ValidationError(_("类别“%(name)s”已存在。") % {"name": name})
    created = category is None
    if created:
        order = session.categories.count()
        category = UnitCategory(session=session, order=order)
    old = category.name
    category.name, category.side = name, side
    category.full_clean()
    category.save()
    audit(
        session=session,
        actor=actor,
        action="category.create" if created else "category.update",
        message=(_("新增单位类别“%(name)s”") if created else _("修改单位类别“%(old)s”为“%(name)s”"))
        % {"name": name, "old": old},
        side=side,
    )
    return category


@transaction.atomic
def category_delete(*, category: UnitCategory, actor) -> None:
    session = category.session
    _require_draft(session)
    if category.units.exists():
        raise ValidationError(
            _("类别“%(name)s”下还有 %(n)s 个单位，请先移走或删除这些单位。")
            % {"name": category.name, "n": category.units.count()}
        )
    category.delete()
    audit(
        session=session,
        actor=actor,
        action="category.delete",
        message=_("删除单位类别“%(name)s”") % {"name": category.name},
    )


@transaction.atomic
def unit_org_link(unit: Unit) -> None:
    """Point a new unit at its district's OrgUnit (same name and category), made if new."""
    unit.org_unit = org_services.org_unit_for(
        district_id=unit.session.district_id,
        name=unit.name,
        category=unit.category.name,
        kind=unit.category.side,
        year=unit.session.year,
    )


def unit_save(
    *,
    session: ReviewSession,
    actor,
    name: str,
    category: UnitCategory,
    unit: Unit | None = None,
    participates: bool | None = None,
) -> Unit:
    """Create or rename a unit. ``participates`` True adds it as a fixed participant."""
    _require_draft(session)
    name = _clean_name(name, _("单位"))
    if category.session_id != session.pk:
        raise ValidationError(_("所选类别不属于本评议会。"))
    clash = session.units.filter(name=name)
    if unit:
        clash = clash.exclude(pk=unit.pk)
    if clash.exists():
        raise ValidationError(_("单位“%(name)s”已存在。") % {"name": name})
    created = unit is None
    if created:
        unit = Unit(session=session)
    old = (unit.name, unit.category_id)
    unit.name, unit.category = name, category
    if created or old[1] != category.pk:
        unit_org_link(unit)  # another category is another unit's line of ranks
    elif old[0] != name:
        org_services.record_name(unit=unit.org_unit, name=name, year=session.year)
    unit.save()
    if created or old != (name, category.pk):
        audit(
            session=session,
            actor=actor,
            action="unit.create" if created else "unit.update",
            message=(
                _("新增单位“%(name)s”（%(cat)s）")
                if created
                else _("修改单位“%(name)s”（%(cat)s）")
            )
            % {"name": name, "cat": category.name},
        )
    if participates is True:
        participant_add(session=session, actor=actor, unit=unit)
    elif participates is False:
        participant = session.participants.filter(unit=unit).first()
        if participant:
            participant_remove(participant=participant, actor=actor)
    return unit


@transaction.atomic
def unit_delete(*, unit: Unit, actor) -> None:
    session = unit.session
    _require_draft(session)
    if unit.credentials.exists():
        raise ValidationError(
            _("单位“%(name)s”是部分评议码持有人的所在单位，请先修改或作废这些评议码。")
            % {"name": unit.name}
        )
    # The live meeting's records name the unit and must outlive any tidying of the list.
    if unit.questions.exists() or unit.follow_ups.exists():
        raise ValidationError(
            _("单位“%(name)s”已有现场问政问题或督办事项，不能删除。") % {"name": unit.name}
        )
    if unit.key_projects.exists():
        raise ValidationError(
            _("单位“%(name)s”是重点项目的责任单位，请先在重点项目工作簿中改为其他单位。")
            % {"name": unit.name}
        )
    name = unit.name
    was_participant = session.participants.filter(unit=unit).exists()
    unit.delete()
    if was_participant:
        speaking_order_invalidate(session)
    audit(
        session=session,
        actor=actor,
        action="unit.delete",
        message=_("删除单位“%(name)s”") % {"name": name},
    )


def speaking_order_invalidate(session: ReviewSession) -> None:
    """Any change to the participant list voids the speaking order: a new unit has no place and
    a removed one leaves a gap. The order must then be drawn again over everyone, and the old
    order draw is marked superseded so that no page shows it as current."""
    session.participants.update(speaking_order=None)
    session.draws.filter(kind=Draw.Kind.SPEAKING_ORDER, superseded=False).update(superseded=True)


@transaction.atomic
def participant_add(
    *, session: ReviewSession, actor, unit: Unit, how: str = Participant.How.FIXED, draw=None
) -> Participant:
    _require_draft(session)
    if unit.session_id != session.pk:
        raise ValidationError(_("该单位不属于本评议会。"))
    existing = session.participants.filter(unit=unit).first()
    if existing:
        return existing
    participant = Participant.objects.create(session=session, unit=unit, how=how, draw=draw)
    speaking_order_invalidate(session)
    if how == Participant.How.FIXED:
        audit(
            session=session,
            actor=actor,
            action="participant.add",
            message=_("“%(name)s”列为固定述职单位") % {"name": unit.name},
        )
    return participant


@transaction.atomic
def participant_remove(*, participant: Participant, actor) -> None:
    session = participant.session
    _require_draft(session)
    name = participant.unit.name
    participant.delete()
    speaking_order_invalidate(session)
    audit(
        session=session,
        actor=actor,
        action="participant.remove",
        message=_("“%(name)s”不再是述职单位") % {"name": name},
    )


# ---------------------------------------------------------------- rater groups


@transaction.atomic
def group_save(
    *,
    session: ReviewSession,
    actor,
    name: str,
    weight: Decimal,
    min_sample: int | None = None,
    side: str = UnitCategory.Side.OTHER,
    can_ask: bool | None = None,
    is_leaders: bool | None = None,
    group: RaterGroup | None = None,
) -> RaterGroup:
    _require_draft(session)
    name = _clean_name(name, _("评议组"))
    if weight is None or weight < 0:
        raise ValidationError(_("权重不能为负数。"))
    if min_sample is not None and min_sample < 1:
        raise ValidationError(_("最少有效票数至少为 1。"))
    effective = (
        min_sample
        if min_sample is not None
        else (group.min_sample if group else session.scheme.default_min_sample)
    )
    if session.scheme.anonymous and effective < ANONYMOUS_MIN_SAMPLE:
        raise ValidationError(_anonymous_min_sample_message())
    clash = session.rater_groups.filter(name=name)
    if group:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError(_("评议组“%(name)s”已存在。") % {"name": name})
    created = group is None
    if created:
        group = RaterGroup(
            session=session,
            order=session.rater_groups.count(),
            min_sample=session.scheme.default_min_sample,
        )
    before = {"name": group.name, "weight": group.weight, "min_sample": group.min_sample}
    group.name, group.weight, group.side = name, weight, side
    if can_ask is not None:
        group.can_ask = can_ask
    elif created:
        group.can_ask = presets.asks_by_default(name)
    if is_leaders is not None:
        group.is_leaders = is_leaders
    elif created:
        group.is_leaders = presets.leads_by_default(name)
    if min_sample is not None:
        group.min_sample = min_sample
    if group.is_leaders:
        # One leaders' group a session (a database constraint too): flagging this one moves
        # the flag from any other.
        session.rater_groups.exclude(pk=group.pk).filter(is_leaders=True).update(is_leaders=False)
    group.full_clean()
    group.save()
    audit(
        session=session,
        actor=actor,
        action="group.create" if created else "group.update",
        message=_("评议组“%(name)s”：权重 %(weight)s，最少有效票数 %(min)s")
        % {"name": name, "weight": group.weight, "min": group.min_sample},
        before=None if created else before,
    )
    return group


@transaction.atomic
def group_delete(*, group: RaterGroup, actor) -> None:
    session = group.session
    _require_draft(session)
    if group.credentials.exists():
        raise ValidationError(
            _("评议组“%(name)s”已发放 %(n)s 个评议码，不能删除。")
            % {"name": group.name, "n": group.credentials.count()}
        )
    name = group.name
    group.delete()
    audit(
        session=session,
        actor=actor,
        action="group.delete",
        message=_("删除评议组“%(name)s”") % {"name": name},
    )


# ---------------------------------------------------------------- draws


DRAWN_BY_MAX_LENGTH = 100


def _clean_drawn_by(drawn_by: str, *, required: bool) -> str:
    drawn_by = " ".join((drawn_by or "").split())
    if required and not drawn_by:
        raise ValidationError(
            _("请填写抽签人（如“城关镇党委书记 张三”）：抽选结果须记明由谁抽取。")
        )
    if len(drawn_by) > DRAWN_BY_MAX_LENGTH:
        raise ValidationError(_("抽签人不能超过 %(n)s 个字符。") % {"n": DRAWN_BY_MAX_LENGTH})
    return drawn_by


def _clean_seed(seed: str | None) -> str:
    seed = (seed or "").strip() or draws.new_seed()
    if len(seed) > 40:
        raise ValidationError(_("随机种子不能超过 40 个字符。"))
    return seed


@transaction.atomic
def draw_participants(
    *,
    session: ReviewSession,
    actor,
    drawn_by: str,
    pools: Iterable[tuple[Iterable[UnitCategory], int]] | None = None,
    categories: Iterable[UnitCategory] | None = None,
    count: int | None = None,
    seed: str | None = None,
) -> Draw:
    """Draw units at random from the units of some categories that are not already fixed
    participants, in one recorded draw. ``pools`` gives each pool (one or more categories) its own
    quota, as the towns drew 政府部门 4 + 统筹协调 4 + 党群 4; ``categories`` and ``count`` are
    the same for a single pool. A new draw in draft supersedes the previous one (both stay
    recorded); once the session is ready no draw can be redone (DESIGN.md section 3,
    docs/draws.md)."""
    session = lock_session(session)
    _require_draft(session)
    if pools is None:
        pools = [(categories or [], count or 0)] if categories else []
    pools = [(list(cats), quota) for cats, quota in pools]
    pools = [(cats, quota) for cats, quota in pools if cats]
    if not pools:
        raise ValidationError(_("请选择至少一个候选类别。"))
    all_categories = [c for cats, _quota in pools for c in cats]
    if any(c.session_id != session.pk for c in all_categories):
        raise ValidationError(_("所选类别不属于本评议会。"))
    if len({c.pk for c in all_categories}) != len(all_categories):
        raise ValidationError(_("同一类别不能出现在两个候选池中。"))
    drawn_by = _clean_drawn_by(drawn_by, required=True)
    seed = _clean_seed(seed)

    previous = list(session.draws.filter(kind=Draw.Kind.PARTICIPANTS, superseded=False))
    superseded_names: list[str] = []
    for old in previous:
        superseded_names += [p.unit.name for p in old.participants.select_related("unit")]
        old.participants.all().delete()
        old.superseded = True
        old.save(update_fields=["superseded"])

    fixed = set(
        session.participants.filter(how=Participant.How.FIXED).values_list("unit_id", flat=True)
    )
    units_by_category: dict[int, list[Unit]] = {c.pk: [] for c in all_categories}
    for unit in session.units.filter(category__in=all_categories).exclude(pk__in=fixed):
        units_by_category[unit.category_id].append(unit)
    # A pool is labelled by its categories' names; the algorithm reads pools in label order.
    labelled: dict[str, tuple[list[str], list[str], int]] = {}
    pool_units: dict[str, Unit] = {}
    for cats, quota in pools:
        names = sorted(c.name for c in cats)
        label = "、".join(names)
        units = [u for c in cats for u in units_by_category[c.pk]]
        if quota is None or quota < 1 or quota > len(units):
            raise ValidationError(
                _("“%(pool)s”的抽取数量必须在 1 到 %(n)s 之间（候选池中有 %(n)s 个单位）。")
                % {"pool": label, "n": len(units)}
                if len(pools) > 1
                else _("抽取数量必须在 1 到 %(n)s 之间（候选池中有 %(n)s 个单位）。")
                % {"n": len(units)}
            )
        labelled[label] = (names, [u.name for u in units], quota)
        pool_units.update({u.name: u for u in units})
    drawn = draws.draw_pools(
        {label: (unit_names, quota) for label, (_c, unit_names, quota) in labelled.items()}, seed
    )
    pool_records = [
        {
            "label": label,
            "categories": labelled[label][0],
            "pool": draws.canonical_pool(labelled[label][1]),
            "count": labelled[label][2],
            "result": drawn[label],
        }
        for label in sorted(labelled)
    ]
    result = [name for record in pool_records for name in record["result"]]
    draw = Draw.objects.create(
        session=session,
        kind=Draw.Kind.PARTICIPANTS,
        seed=seed,
        pool=draws.canonical_pool(pool_units),
        pool_categories=sorted(c.name for c in all_categories),
        count=len(result),
        result=result,
        pools=pool_records,
        algorithm=draws.ALGORITHM if len(pool_records) == 1 else draws.POOLS_ALGORITHM,
        drawn_by=drawn_by,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for name in result:
        Participant.objects.create(
            session=session, unit=pool_units[name], how=Participant.How.DRAWN, draw=draw
        )
    speaking_order_invalidate(session)
    if len(pool_records) == 1:
        message = _("%(who)s从%(cats)s中随机抽选 %(count)s 个单位，种子 %(seed)s：%(result)s") % {
            "who": drawn_by,
            "cats": pool_records[0]["label"],
            "count": len(result),
            "seed": seed,
            "result": "、".join(result),
        }
    else:
        message = _(
            "%(who)s分 %(n)s 个候选池随机抽选 %(count)s 个单位，种子 %(seed)s：%(pools)s"
        ) % {
            "who": drawn_by,
            "n": len(pool_records),
            "count": len(result),
            "seed": seed,
            "pools": "；".join(
                f"{r['label']} {r['count']}：{'、'.join(r['result'])}" for r in pool_records
            ),
        }
    audit(
        session=session,
        actor=actor,
        action="draw.participants",
        message=message,
        draw=draw.pk,
        drawn_by=drawn_by,
        pools=[{"label": r["label"], "count": r["count"]} for r in pool_records],
        superseded=[d.pk for d in previous],
        superseded_result=superseded_names,
    )
    return draw


@transaction.atomic
def draw_speaking_order(
    *, session: ReviewSession, actor, seed: str | None = None, drawn_by: str = ""
) -> Draw:
    session = lock_session(session)
    _require_draft(session)
    participants = {p.unit.name: p for p in session.participants.select_related("unit")}
    if not participants:
        raise ValidationError(_("还没有述职单位，无法抽签确定发言顺序。"))
    seed = _clean_seed(seed)
    drawn_by = _clean_drawn_by(drawn_by, required=False)
    previous = list(session.draws.filter(kind=Draw.Kind.SPEAKING_ORDER, superseded=False))
    session.draws.filter(pk__in=[d.pk for d in previous]).update(superseded=True)
    order = draws.shuffle_names(participants, seed)
    session.participants.update(speaking_order=None)
    for position, name in enumerate(order, start=1):
        participant = participants[name]
        participant.speaking_order = position
        participant.save(update_fields=["speaking_order"])
    draw = Draw.objects.create(
        session=session,
        kind=Draw.Kind.SPEAKING_ORDER,
        seed=seed,
        pool=draws.canonical_pool(participants),
        count=len(order),
        result=order,
        algorithm=draws.ALGORITHM,
        drawn_by=drawn_by,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit(
        session=session,
        actor=actor,
        action="draw.speaking_order",
        message=(
            _("%(who)s抽签确定发言顺序，种子 %(seed)s：%(result)s")
            % {"who": drawn_by, "seed": seed, "result": "、".join(order)}
            if drawn_by
            else _("抽签确定发言顺序，种子 %(seed)s：%(result)s")
            % {"seed": seed, "result": "、".join(order)}
        ),
        draw=draw.pk,
        superseded=[d.pk for d in previous],
    )
    return draw


def draw_reproduce(draw: Draw) -> list[str]:
    """Re-run a recorded draw from its stored pool(s) and seed. Draws recorded before pools
    existed have no ``pools`` and re-run as the single pool they were."""
    if draw.kind == Draw.Kind.SPEAKING_ORDER:
        return draws.shuffle_names(draw.pool, draw.seed)
    if draw.pools:
        drawn = draws.draw_pools(
            {p["label"]: (p["pool"], p["count"]) for p in draw.pools}, draw.seed
        )
        return [name for label in sorted(drawn) for name in drawn[label]]
    return draws.draw_names(draw.pool, draw.count, draw.seed)


# ---------------------------------------------------------------- reports and attachments

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


def _report_editable(session: ReviewSession) -> None:
    if not lifecycle.can_edit_reports(session):
        raise ValidationError(_("评议已结束，述职报告不能再修改。"))


@transaction.atomic
def report_save(*, participant: Participant, kind: str, text: str, actor) -> Report:
    session = participant.session
    _report_editable(session)
    if kind not in Report.Kind.values:
        raise ValidationError(_("未知的报告类型。"))
    report, _created = Report.objects.get_or_create(participant=participant, kind=kind)
    text = (text or "").replace("\r\n", "\n")
    if report.text != text:
        report.text = text
        report.save()
        audit(
            session=session,
            actor=actor,
            action="report.update",
            message=_("更新“%(unit)s”的%(kind)s报告（%(n)s 字）")
            % {"unit": participant.unit.name, "kind": report.get_kind_display(), "n": len(text)},
        )
    return report


@transaction.atomic
def attachment_add(*, participant: Participant, kind: str, upload, actor) -> Attachment:
    session = participant.session
    _report_editable(session)
    if kind not in Report.Kind.values:
        raise ValidationError(_("未知的报告类型。"))
    name, ext, content_type = attachment_check(upload, max_bytes=ATTACHMENT_MAX_BYTES)
    report, _created = Report.objects.get_or_create(participant=participant, kind=kind)
    attachment = Attachment(
        report=report,
        original_name=name[-255:],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
    except IntegrityError:
        attachment.file.delete(save=False)
        raise
    audit(
        session=session,
        actor=actor,
        action="attachment.add",
        message=_("为“%(unit)s”的%(kind)s报告上传附件“%(name)s”")
        % {"unit": participant.unit.name, "kind": report.get_kind_display(), "name": name},
        size=upload.size,
    )
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor) -> None:
    report = attachment.report
    session = report.participant.session
    _report_editable(session)
    if session.in_rehearsal:
        # The reset would bring the row back, but not the file deleted below
        # (docs/rehearsal.md).
        raise ValidationError(_("正在彩排：附件在彩排期间不能删除，请在结束彩排并恢复后删除。"))
    name = attachment.original_name
    stored = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))
    audit(
        session=session,
        actor=actor,
        action="attachment.delete",
        message=_("删除“%(unit)s”的附件“%(name)s”")
        % {"unit": report.participant.unit.name, "name": name},
    )


# ---------------------------------------------------------------- scoring scheme and criteria

# Every field of ScoringScheme a person sets, in the order the page shows them.
SCHEME_FIELDS = (
    "value_good",
    "value_fairly_good",
    "value_average",
    "value_poor",
    "anonymous",
    "cross_rating",
    "trimmed_mean",
    "trim_above",
    "default_min_sample",
    *ScoringScheme.COMPONENT_FIELDS,
    "apply_bonus",
    "tie_break_leaders",
    "tie_break_good_share",
    "band_excellent",
    "band_good",
    "band_average",
    "excellent_cap_enabled",
    "excellent_cap_percent",
    "max_good_percent",
    "max_good_action",
    "identical_grades_action",
    "value_satisfied",
    "value_basically_satisfied",
    "value_dissatisfied",
)
_SCHEME_BOOLEANS = {
    "anonymous",
    "cross_rating",
    "trimmed_mean",
    "apply_bonus",
    "tie_break_leaders",
    "tie_break_good_share",
    "excellent_cap_enabled",
}
_SCHEME_ACTIONS = {"max_good_action", "identical_grades_action"}
_LIMIT = Decimal("1000")
HUNDRED = Decimal("100")


class SchemeFrozen(ValidationError):
    """The scheme or a criterion was to change after the session left draft. Views answer it
    with 409 (the input may be fine; the moment is not), other ValidationErrors with 422."""


def require_scheme_editable(session: ReviewSession) -> None:
    """From ready on the scheme is frozen with the unit list, groups and weights (DESIGN.md
    section 3; lifecycle.can_edit_scheme); changing it means going back to draft, which is
    possible only while no ballot exists."""
    if not lifecycle.can_edit_scheme(session):
        raise SchemeFrozen(
            _(
                "计分办法已冻结：评议会已离开草稿状态。如需修改，请先退回草稿（尚无评议表时才可以）。"
            )
        )


def scheme_field_labels() -> dict[str, str]:
    """How messages and the audit log name each field (a bare “好” would be ambiguous)."""
    return {
        "value_good": _("“好”的分值"),
        "value_fairly_good": _("“较好”的分值"),
        "value_average": _("“一般”的分值"),
        "value_poor": _("“差”的分值"),
        "anonymous": _("匿名评议"),
        "cross_rating": _("交叉评议"),
        "trimmed_mean": _("去掉最高值和最低值"),
        "trim_above": _("去极值的票数门槛"),
        "default_min_sample": _("默认最少有效票数"),
        "weight_review": _("综合评议在总分中的权重"),
        "weight_target": _("目标考核在总分中的权重"),
        "weight_daily": _("日常考核在总分中的权重"),
        "weight_satisfaction": _("问政满意度在总分中的权重"),
        "weight_leader_comment": _("书面点评在总分中的权重"),
        "apply_bonus": _("计入加减分"),
        "tie_break_leaders": _("同分比较县级领导组得分"),
        "tie_break_good_share": _("同分比较“好”票占比"),
        "band_excellent": _("优秀分数线"),
        "band_good": _("良好分数线"),
        "band_average": _("一般分数线"),
        "excellent_cap_enabled": _("限制优秀比例"),
        "excellent_cap_percent": _("优秀比例上限"),
        "max_good_percent": _("“好”票比例上限"),
        "max_good_action": _("超过“好”票比例上限时"),
        "identical_grades_action": _("所有单位评价相同时"),
        "value_satisfied": _("“满意”的分值"),
        "value_basically_satisfied": _("“基本满意”的分值"),
        "value_dissatisfied": _("“不满意”的分值"),
    }


def scheme_value_text(field: str, value) -> str:
    """A stored value as the page and the audit log print it: 是/否, 40, 拒收并提示, 未设."""
    if value is None:
        return _("未设")
    if field in _SCHEME_BOOLEANS:
        return _("是") if value else _("否")
    if field in _SCHEME_ACTIONS:
        return str(ScoringScheme.RuleAction(value).label)
    if isinstance(value, Decimal):
        return number(value)
    return str(value)


def scheme_problems(
    values: dict, *, has_leaders: bool, low_sample_groups: Iterable[str] = ()
) -> dict[str, list[str]]:
    """What is wrong with a complete set of scheme ``values``, by field ("__all__" for rules
    across fields); empty when they may be saved. Each message names the field."""
    labels = scheme_field_labels()
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    def decimal_ok(field: str, low: Decimal, high: Decimal) -> bool:
        value = values[field]
        if not isinstance(value, Decimal | int) or isinstance(value, bool):
            add(field, _("%(field)s必须是数字。") % {"field": labels[field]})
            return False
        value = Decimal(value)
        if not value.is_finite() or not low <= value <= high:
            add(
                field,
                _("%(field)s必须在 %(low)s 到 %(high)s 之间，现在是 %(value)s。")
                % {
                    "field": labels[field],
                    "low": number(low),
                    "high": number(high),
                    "value": value if not value.is_finite() else number(value),
                },
            )
            return False
        if value != value.quantize(Decimal("0.01")):
            add(field, _("%(field)s最多保留两位小数。") % {"field": labels[field]})
            return False
        return True

    def integer_ok(field: str, low: int, high: int) -> bool:
        value = values[field]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            add(
                field,
                _("%(field)s必须是 %(low)s 到 %(high)s 之间的整数。")
                % {"field": labels[field], "low": low, "high": high},
            )
            return False
        return True

    def descending(fields: tuple[str, ...], ok: set[str], strict: bool) -> None:
        for higher, lower in zip(fields, fields[1:], strict=False):
            if higher not in ok or lower not in ok:
                continue
            if values[higher] < values[lower] or (strict and values[higher] == values[lower]):
                message = (
                    _("%(higher)s必须高于%(lower)s。")
                    if strict
                    else _("%(higher)s不能低于%(lower)s。")
                )
                add(higher, message % {"higher": labels[higher], "lower": labels[lower]})

    for field in _SCHEME_BOOLEANS:
        if not isinstance(values[field], bool):
            add(field, _("%(field)s只能是“是”或“否”。") % {"field": labels[field]})
    for field in _SCHEME_ACTIONS:
        if values[field] not in ScoringScheme.RuleAction.values:
            add(field, _("%(field)s的选项无效。") % {"field": labels[field]})

    # 4.1: the grades keep their order, or 好 would not be better than 较好.
    grades = ("value_good", "value_fairly_good", "value_average", "value_poor")
    ok = {f for f in grades if decimal_ok(f, Decimal(0), Decimal(100))}
    descending(grades, ok, strict=True)

    # 4.3: at least 3 votes, so that one is left after dropping the highest and the lowest.
    integer_ok("trim_above", 2, 1000)
    sample_ok = integer_ok("default_min_sample", 1, 1000)
    if values["anonymous"] is True:
        if sample_ok and values["default_min_sample"] < ANONYMOUS_MIN_SAMPLE:
            add("default_min_sample", _anonymous_min_sample_message())
        low_groups = list(low_sample_groups)
        if low_groups:
            add(
                "anonymous",
                _("评议组“%(groups)s”：%(message)s")
                % {"groups": "、".join(low_groups), "message": _anonymous_min_sample_message()},
            )

    # 4.6: the components' weights sum to 100 %.
    weights = [f for f in ScoringScheme.COMPONENT_FIELDS if decimal_ok(f, Decimal(0), HUNDRED)]
    if len(weights) == len(ScoringScheme.COMPONENT_FIELDS):
        total = sum((Decimal(values[f]) for f in weights), Decimal(0))
        if total != HUNDRED:
            add(
                "__all__",
                _("各组成部分权重之和必须为 100%%，现在是 %(total)s%%。")
                % {"total": number(total)},
            )

    # 4.7: the first tie-break needs the group it compares, flagged as such (never by name).
    if values["tie_break_leaders"] is True and not has_leaders:
        add(
            "tie_break_leaders",
            _("同分比较县级领导组得分需要一个标为“县级领导组”的评议组，本评议会还没有。"),
        )

    # 4.8: bands descend; a cap of 0 % would allow no 优秀 at all (switch the cap off instead).
    bands = ("band_excellent", "band_good", "band_average")
    ok = {f for f in bands if decimal_ok(f, Decimal(0), HUNDRED)}
    descending(bands, ok, strict=False)
    cap_ok = decimal_ok("excellent_cap_percent", Decimal(0), HUNDRED)
    if cap_ok and values["excellent_cap_enabled"] is True and values["excellent_cap_percent"] <= 0:
        add(
            "excellent_cap_percent",
            _("限制优秀比例时，优秀比例上限必须大于 0%；不限制请取消“限制优秀比例”。"),
        )

    # 4.9: a limit on 好 that is switched on needs a number.
    if values["max_good_percent"] is None:
        if values["max_good_action"] in ("reject", "flag"):
            add(
                "max_good_percent",
                _("启用“好”票比例上限时必须填写上限（%）；不限制请选“不启用”。"),
            )
    elif decimal_ok("max_good_percent", Decimal(0), HUNDRED) and values["max_good_percent"] <= 0:
        add("max_good_percent", _("“好”票比例上限必须大于 0%。"))

    # 4.11
    satisfaction = ("value_satisfied", "value_basically_satisfied", "value_dissatisfied")
    ok = {f for f in satisfaction if decimal_ok(f, Decimal(0), HUNDRED)}
    descending(satisfaction, ok, strict=False)
    return problems


@transaction.atomic
def scheme_update(*, session: ReviewSession, actor, **values) -> ScoringScheme:
    """Change any of ``SCHEME_FIELDS`` (the others keep their value). All or nothing: any
    problem raises ValidationError naming the fields and nothing is stored; a change writes one
    audit entry listing every field old → new."""
    unknown = set(values) - set(SCHEME_FIELDS)
    if unknown:
        raise TypeError(f"scheme_update() got unknown fields: {sorted(unknown)}")
    session = lock_session(session)
    require_scheme_editable(session)
    scheme = ScoringScheme.objects.select_for_update().get(session=session)
    before = {field: getattr(scheme, field) for field in SCHEME_FIELDS}
    after = {**before, **values}
    problems = scheme_problems(
        after,
        has_leaders=session.rater_groups.filter(is_leaders=True).exists(),
        low_sample_groups=session.rater_groups.filter(
            min_sample__lt=ANONYMOUS_MIN_SAMPLE
        ).values_list("name", flat=True),
    )
    if problems:
        raise ValidationError(problems)
    changed = [field for field in SCHEME_FIELDS if after[field] != before[field]]
    if not changed:
        return scheme
    for field in changed:
        setattr(scheme, field, after[field])
    scheme.full_clean()
    scheme.save(update_fields=changed)
    labels = scheme_field_labels()
    audit(
        session=session,
        actor=actor,
        action="scheme.update",
        message=_("修改计分办法：%(changes)s")
        % {
            "changes": _("；").join(
                _("%(field)s %(old)s → %(new)s")
                % {
                    "field": labels[field],
                    "old": scheme_value_text(field, before[field]),
                    "new": scheme_value_text(field, after[field]),
                }
                for field in changed
            )
        },
        changes={field: [before[field], after[field]] for field in changed},
    )
    return scheme


def _criterion_weight(weight, name: str) -> Decimal:
    if not isinstance(weight, Decimal | int) or isinstance(weight, bool):
        raise ValidationError(_("评议指标“%(name)s”的权重必须是数字。") % {"name": name})
    weight = Decimal(weight)
    if not weight.is_finite() or weight < 0:
        raise ValidationError(_("评议指标“%(name)s”的权重不能为负数。") % {"name": name})
    if weight > _LIMIT:
        raise ValidationError(_("评议指标“%(name)s”的权重不能超过 1000。") % {"name": name})
    if weight != weight.quantize(Decimal("0.01")):
        raise ValidationError(_("评议指标“%(name)s”的权重最多保留两位小数。") % {"name": name})
    return weight


def _require_positive_criterion(weights: list[Decimal]) -> None:
    # 4.3: a ballot's value is the weighted mean over the criteria; all zero has no mean.
    if weights and not any(w > 0 for w in weights):
        raise ValidationError(
            _("至少要有一个评议指标的权重大于 0：按权重加权平均，权重全为 0 无法计算。")
        )


@transaction.atomic
def criterion_save(
    *,
    session: ReviewSession,
    actor,
    name: str,
    weight: Decimal,
    order: int | None = None,
    criterion: Criterion | None = None,
) -> Criterion:
    """Add or change a criterion of per-criterion rating (DESIGN.md section 4.3). Weights need
    not sum to 100 (the mean is weighted), but one must be above 0. ``order`` None puts a new
    criterion last and keeps an existing one where it is."""
    session = lock_session(session)
    require_scheme_editable(session)
    name = _clean_name(name, _("评议指标"))
    weight = _criterion_weight(weight, name)
    if order is not None and (isinstance(order, bool) or not 0 <= order <= 32767):
        raise ValidationError(_("排序必须是 0 到 32767 之间的整数。"))
    if criterion is not None and criterion.session_id != session.pk:
        raise ValidationError(_("该评议指标不属于本评议会。"))
    others = session.criteria.all()
    if criterion is not None:
        others = others.exclude(pk=criterion.pk)
    if others.filter(name=name).exists():
        raise ValidationError(_("评议指标“%(name)s”已存在。") % {"name": name})
    _require_positive_criterion([*others.values_list("weight", flat=True), weight])
    created = criterion is None
    if created:
        last = session.criteria.order_by("-order").values_list("order", flat=True).first()
        criterion = Criterion(session=session, order=0 if last is None else last + 1)
    before = {"name": criterion.name, "weight": criterion.weight, "order": criterion.order}
    criterion.name, criterion.weight = name, weight
    if order is not None:
        criterion.order = order
    criterion.full_clean()
    criterion.save()
    after = {"name": criterion.name, "weight": criterion.weight, "order": criterion.order}
    if created:
        message = _("新增评议指标“%(name)s”：权重 %(weight)s，排序 %(order)s") % {
            "name": name,
            "weight": scheme_value_text("weight", weight),
            "order": criterion.order,
        }
    else:
        labels = {"name": _("名称"), "weight": _("权重"), "order": _("排序")}
        changed = [key for key in before if before[key] != after[key]]
        if not changed:
            return criterion
        message = _("修改评议指标“%(name)s”：%(changes)s") % {
            "name": before["name"],
            "changes": _("；").join(
                _("%(field)s %(old)s → %(new)s")
                % {
                    "field": labels[key],
                    "old": scheme_value_text(key, before[key]),
                    "new": scheme_value_text(key, after[key]),
                }
                for key in changed
            ),
        }
    audit(
        session=session,
        actor=actor,
        action="criterion.create" if created else "criterion.update",
        message=message,
        criterion=criterion.pk,
        before=None if created else before,
        after=after,
    )
    return criterion


@transaction.atomic
def criterion_delete(*, criterion: Criterion, actor) -> None:
    session = lock_session(criterion.session)
    require_scheme_editable(session)
    remaining = list(session.criteria.exclude(pk=criterion.pk).values_list("weight", flat=True))
    if remaining and not any(w > 0 for w in remaining):
        raise ValidationError(
            _(
                "删除“%(name)s”后，其余评议指标的权重都为 0：请先把其中一项的权重改为大于 0，"
                "或一并删除。"
            )
            % {"name": criterion.name}
        )
    name, weight = criterion.name, criterion.weight
    criterion.delete()
    audit(
        session=session,
        actor=actor,
        action="criterion.delete",
        message=_("删除评议指标“%(name)s”（权重 %(weight)s）")
        % {"name": name, "weight": scheme_value_text("weight", weight)},
    )
