"""Draws of a session (docs/draws.md): which units take part, and the speaking order."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit

from . import draws
from .guards import lock_session, require_draft
from .models import Draw, Participant, ReviewSession, Unit, UnitCategory
from .unit_services import speaking_order_invalidate

Status = ReviewSession.Status


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
    recorded); once the session is ready no draw can be redone (docs/design.md §3,
    docs/draws.md)."""
    session = lock_session(session)
    require_draft(session)
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
    require_draft(session)
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
