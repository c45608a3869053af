"""Writes for notices and spot checks (docs/targets.md, "Notices (督办单, 警示单, 诫勉谈话)" and
"Spot checks (随机抽查)"): keyword-only, atomic, audited.

A notice is numbered per district, year and kind in issue order under a lock on the district's
row, so two issued at once never share a number. The escalation runs 督办单 → 警示单 → 诫勉谈话
on one unit's target. A spot check draws accepted reports of one period with a recorded seed,
by the same plain algorithm as the session draws (sessions/draws.py), so anyone can repeat it.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit, stored_user
from org.models import District
from sessions import draws

from .models import Notice, Report, SpotCheck, TargetUnit

# The notice each kind escalates from (docs/targets.md, "Notices").
ESCALATES_FROM = {
    Notice.Kind.WARNING: Notice.Kind.SUPERVISE,
    Notice.Kind.ADMONISH: Notice.Kind.WARNING,
}
# 文号 prefixes: 督办〔2019〕第 3 号.
NUMBER_PREFIX = {
    Notice.Kind.SUPERVISE: "督办",
    Notice.Kind.WARNING: "警示",
    Notice.Kind.ADMONISH: "诫勉",
}
SEED_MAX = 64


def notice_reference(notice: Notice) -> str:
    """The 文号 as printed: 督办〔2019〕第 3 号."""
    return f"{NUMBER_PREFIX[notice.kind]}〔{notice.year}〕第 {notice.number} 号"


@transaction.atomic
def notice_issue(
    *,
    target_unit: TargetUnit,
    kind: str,
    reason: str,
    demand: str,
    due_date: date,
    actor,
    at: datetime | None = None,
) -> Notice:
    """Issue a notice of ``kind`` to the unit of ``target_unit`` about its target."""
    at = at or timezone.now()
    reason, demand = (reason or "").strip(), (demand or "").strip()
    errors = {}
    if kind not in Notice.Kind.values:
        errors["kind"] = _("没有这种督办通知。")
    if not reason:
        errors["reason"] = _("请填写事由。")
    if not demand:
        errors["demand"] = _("请填写整改要求。")
    if due_date is None:
        errors["due_date"] = _("请填写整改时限。")
    elif due_date < timezone.localdate(at):
        errors["due_date"] = _("整改时限不能早于签发日期。")
    if errors:
        raise ValidationError(errors)
    target = target_unit.target
    # The lock that serialises numbering: every issue in the district waits for it.
    district = District.objects.select_for_update().get(pk=target.district_id)
    before = ESCALATES_FROM.get(kind)
    if before and not Notice.objects.filter(target_unit=target_unit, kind=before).exists():
        raise ValidationError(
            _("对%(unit)s的“%(target)s”签发%(kind)s前，须先签发过%(before)s。")
            % {
                "unit": target_unit.org_unit.name,
                "target": target.title,
                "kind": Notice.Kind(kind).label,
                "before": Notice.Kind(before).label,
            }
        )
    last = Notice.objects.filter(district=district, year=target.year, kind=kind).aggregate(
        last=Max("number")
    )["last"]
    notice = Notice(
        target_unit=target_unit,
        kind=kind,
        number=(last or 0) + 1,
        reason=reason,
        demand=demand,
        due_date=due_date,
        issued_at=at,
        issued_by=stored_user(actor),
        district=district,
        year=target.year,
    )
    notice.full_clean(exclude=["issued_by"])  # None for a command or the demo
    notice.save()
    audit(
        session=None,
        actor=actor,
        action="targets.notice.issue",
        message=_("向%(unit)s签发%(kind)s %(number)s（%(code)s %(target)s），整改时限 %(due)s")
        % {
            "unit": target_unit.org_unit.name,
            "kind": notice.get_kind_display(),
            "number": notice_reference(notice),
            "code": target.code,
            "target": target.title,
            "due": due_date.isoformat(),
        },
        district=district.code,
        year=target.year,
        notice=notice.pk,
        kind=kind,
        number=notice.number,
        target=target.code,
        unit=target_unit.org_unit.code,
    )
    return notice


@transaction.atomic
def notice_close(*, notice: Notice, note: str, actor, at: datetime | None = None) -> Notice:
    """销号: the office closes a notice once the unit has put things right, saying how."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写销号说明。")})
    notice = (
        Notice.objects.select_for_update()
        .select_related("target_unit__target", "target_unit__org_unit", "district")
        .get(pk=notice.pk)
    )
    if notice.closed_at is not None:
        raise ValidationError(_("这份通知已于 %(at)s 销号。") % {"at": _local(notice.closed_at)})
    notice.closed_at = at or timezone.now()
    notice.closed_by = stored_user(actor)
    notice.close_note = note
    notice.full_clean(exclude=["issued_by", "closed_by"])
    notice.save(update_fields=["closed_at", "closed_by", "close_note"])
    audit(
        session=None,
        actor=actor,
        action="targets.notice.close",
        message=_("%(kind)s %(number)s（%(unit)s）销号：%(note)s")
        % {
            "kind": notice.get_kind_display(),
            "number": notice_reference(notice),
            "unit": notice.target_unit.org_unit.name,
            "note": note,
        },
        district=notice.district.code,
        year=notice.year,
        notice=notice.pk,
        kind=notice.kind,
        number=notice.number,
    )
    return notice


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# ------------------------------------------------------------------------ spot checks


def spot_check_recompute(*, pool: list[int], count: int, seed: str) -> list[int]:
    """The draw of ``count`` report ids from ``pool`` with ``seed``: ``random.Random(seed)
    .sample(sorted(pool), count)``, the algorithm of sessions/draws.py, so the same seed and
    pool always give the same reports in the same order."""
    return draws.draw_names(pool, count, seed)


def spot_check_reproduce(check: SpotCheck) -> list[int]:
    """Draw a recorded spot check again from its stored pool and seed."""
    return spot_check_recompute(pool=check.pool, count=len(check.drawn), seed=check.seed)


@transaction.atomic
def spot_check_draw(
    *,
    district: District,
    year: int,
    month: int,
    count: int,
    actor,
    seed: str | None = None,
    at: datetime | None = None,
) -> SpotCheck:
    """Draw ``count`` of the accepted reports of the period ending in ``month`` to inspect."""
    if not 1 <= month <= 12:
        raise ValidationError({"month": _("月份须在 1 到 12 之间。")})
    seed = (seed or "").strip() or secrets.token_hex(8)
    if len(seed) > SEED_MAX:
        raise ValidationError({"seed": _("随机种子不能超过 %(n)s 个字符。") % {"n": SEED_MAX}})
    pool = sorted(
        Report.objects.filter(
            target_unit__target__district=district,
            target_unit__target__year=year,
            month=month,
            status=Report.Status.ACCEPTED,
        ).values_list("pk", flat=True)
    )
    if not pool:
        raise ValidationError(
            _("%(year)s年%(month)s月这一期没有已审核的填报，无从抽查。")
            % {"year": year, "month": month}
        )
    if not 1 <= count <= len(pool):
        raise ValidationError(
            {
                "count": _("抽查数须在 1 到 %(n)s 之间（这一期有 %(n)s 份已审核的填报）。")
                % {"n": len(pool)}
            }
        )
    drawn = spot_check_recompute(pool=pool, count=count, seed=seed)
    check = SpotCheck.objects.create(
        district=district,
        year=year,
        month=month,
        seed=seed,
        pool=pool,
        drawn=drawn,
        drawn_at=at or timezone.now(),
        drawn_by=stored_user(actor),
    )
    audit(
        session=None,
        actor=actor,
        action="targets.spot_check.draw",
        message=_(
            "随机抽查%(year)s年%(month)s月填报：从 %(pool)s 份已审核填报中抽取 %(count)s 份，"
            "种子 %(seed)s"
        )
        % {"year": year, "month": month, "pool": len(pool), "count": count, "seed": seed},
        district=district.code,
        year=year,
        month=month,
        seed=seed,
        pool=pool,
        drawn=drawn,
        spot_check=check.pk,
    )
    return check
