"""A review session's own writes: creating and editing it, and moving it through its lifecycle
(docs/design.md §3; what each state allows is sessions/lifecycle.py), with the readiness
checklist that guards draft → ready. The other writes are split by concern: unit_services.py
(categories, units, participants, rater groups), draw_services.py, report_services.py and
scheme_services.py (the 计分办法 and criteria). STYLE.md: services are keyword-only, typed,
atomic, and raise ValidationError with a message a person can act on."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from core.audit import audit
from org import services as org_services
from org.models import District

from . import lifecycle, template_services
from .guards import ANONYMOUS_MIN_SAMPLE, anonymous_min_sample_message, lock_session
from .models import Ballot, Credential, RaterGroup, ReviewSession, ScoringScheme, UnitCategory
from .presets import year_prefixed
from .scheme_services import SCHEME_FIELDS, scheme_problems

Status = ReviewSession.Status


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
    """Create a draft session with the default scheme in ``district`` (the installation's when
    none is named); pre-fill categories and groups from the district's template of its kind
    (sessions/template_services.py; docs/design.md §1 and §4.5) unless ``with_preset`` is
    False."""
    if kind not in ReviewSession.Kind.values:
        raise ValidationError(_("未知的评议会类型“%(kind)s”。") % {"kind": kind})
    _require_date_in_year(year=year, date=date)
    district = district or org_services.default_district()
    template = template_services.template_for(district, kind)
    session = ReviewSession(
        district=district,
        slug=slug or _unique_slug(year, kind),
        title=(title or "").strip() or year_prefixed(template.title, year),
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
        for order, category in enumerate(template.categories):
            UnitCategory.objects.create(
                session=session, name=category["name"], side=category["side"], order=order
            )
        for order, group in enumerate(template.groups):
            RaterGroup.objects.create(
                session=session,
                name=group["name"],
                weight=Decimal(group["weight"]),
                side=group["side"],
                order=order,
                can_ask=group["can_ask"],
                is_leaders=group["is_leaders"],
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


# The 通报's letterhead in official-document format (docs/results.md, "通报 (official format)").
NOTICE_FIELDS = (
    "notice_issuer",
    "notice_number",
    "notice_signatory",
    "notice_copy_to",
    "notice_printed_by",
)


@transaction.atomic
def session_update(
    *,
    session: ReviewSession,
    actor,
    title: str,
    year: int,
    date: datetime.date | None,
    venue: str,
    notice_issuer: str | None = None,
    notice_number: str | None = None,
    notice_signatory: str | None = None,
    notice_copy_to: str | None = None,
    notice_printed_by: str | None = None,
) -> ReviewSession:
    """The session's details and the 通报's letterhead (NOTICE_FIELDS; one given as None stays
    as it is). The letterhead may change in every state, a published result's included: it
    prints the document, not the result (docs/results.md, "通报 (official format)"); the
    details are frozen once the result is published."""
    session = lock_session(session)
    notice = {
        "notice_issuer": notice_issuer,
        "notice_number": notice_number,
        "notice_signatory": notice_signatory,
        "notice_copy_to": notice_copy_to,
        "notice_printed_by": notice_printed_by,
    }
    after = {
        "title": title.strip(),
        "year": year,
        "date": date,
        "venue": venue.strip(),
        **{name: value.strip() for name, value in notice.items() if value is not None},
    }
    before = {name: getattr(session, name) for name in after}
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not lifecycle.can_edit_details(session) and set(changed) - set(NOTICE_FIELDS):
        raise ValidationError(_("结果已发布，评议会信息不能再修改。"))
    _require_date_in_year(year=year, date=date)
    for name, value in after.items():
        setattr(session, name, value)
    session.full_clean()
    session.save()
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
    """Every participant has a place 1..n (docs/design.md §3: the agenda of a live meeting)."""
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
    """The draft → ready checklist (docs/design.md §3: from ready on the unit list, groups,
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
                % {"groups": "、".join(low), "message": anonymous_min_sample_message()},
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
