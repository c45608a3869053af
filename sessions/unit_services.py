"""Writes to a session's units, categories, participants and rater groups (draft only,
docs/design.md §3)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from org import services as org_services

from . import presets
from .guards import ANONYMOUS_MIN_SAMPLE, anonymous_min_sample_message, clean_name, require_draft
from .models import Draw, Participant, RaterGroup, ReviewSession, Unit, UnitCategory

Status = ReviewSession.Status


# ---------------------------------------------------------------- categories and units


@transaction.atomic
def category_save(
    *,
    session: ReviewSession,
    actor,
    name: str,
    side: str = UnitCategory.Side.OTHER,
    category: UnitCategory | None = None,
) -> UnitCategory:
    require_draft(session)
    name = clean_name(name, _("类别"))
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
    require_draft(session)
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


def org_unit_of(*, session: ReviewSession, name: str, category: UnitCategory):
    """The district's OrgUnit that a unit of ``session`` named ``name`` in ``category`` is (same
    name and category), made if new."""
    return org_services.org_unit_for(
        district_id=session.district_id,
        name=name,
        category=category.name,
        kind=category.side,
        year=session.year,
    )


def unit_org_link(unit: Unit) -> None:
    """Point a new unit at its district's OrgUnit."""
    unit.org_unit = org_unit_of(session=unit.session, name=unit.name, category=unit.category)


@transaction.atomic
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
    require_draft(session)
    name = clean_name(name, _("单位"))
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
    require_draft(session)
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
    require_draft(session)
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
    require_draft(session)
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
    require_draft(session)
    name = clean_name(name, _("评议组"))
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
        raise ValidationError(anonymous_min_sample_message())
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
    require_draft(session)
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
