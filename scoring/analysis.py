"""The rater-bias report and the robustness of every rank, for a session's result
(docs/results.md, "Rater bias" and "Robustness"): the database side of scoring/bias.py and
scoring/robustness.py, and what the pages and the 通报 say about them.

The permutation tests and the weight draws are seeded with the inputs' SHA-256, the hash a
published snapshot records: anyone holding the snapshot's inputs draws the same numbers again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from sessions.models import RaterGroup, ReviewSession, ScoringScheme, Unit, UnitCategory

from . import bias, robustness, services
from .services import Computed

SPREAD = robustness.DEFAULT_SPREAD
DRAWS = robustness.DEFAULT_DRAWS
NONE_SIDE = UnitCategory.Side.OTHER  # neither towns nor departments


def sides(session: ReviewSession) -> tuple[dict[str, str], dict[str, str]]:
    """The groups' and the units' sides (town, department), keyed as the engine's inputs are;
    "other" is no side."""
    groups = {
        str(pk): side
        for pk, side in RaterGroup.objects.filter(session=session).values_list("pk", "side")
        if side != NONE_SIDE
    }
    units = {
        str(pk): side
        for pk, side in Unit.objects.filter(session=session).values_list("pk", "category__side")
        if side != NONE_SIDE
    }
    return groups, units


@dataclass(frozen=True)
class Analysis:
    seed: str  # the inputs' SHA-256
    biases: list[bias.GroupBias]
    ranges: dict[str, robustness.RankRange]
    margins: dict[str, robustness.Margin]
    spread: Decimal
    draws: int
    flag_action: str  # ScoringScheme.BiasFlagAction

    @property
    def flagged(self) -> list[bias.GroupBias]:
        return [group for group in self.biases if group.flags]


def flag_action(session: ReviewSession) -> str:
    """What the scheme declared a bias flag does (ScoringScheme.BiasFlagAction)."""
    return (
        ScoringScheme.objects.filter(session=session)
        .values_list("bias_flag_action", flat=True)
        .first()
        or ScoringScheme.BiasFlagAction.NOTHING
    )


def analyse(session: ReviewSession, computed: Computed, *, action: str | None = None) -> Analysis:
    group_sides, unit_sides = sides(session)
    seed = computed.inputs_hash
    return Analysis(
        seed=seed,
        biases=bias.report(
            computed.inputs, group_sides=group_sides, unit_sides=unit_sides, seed=seed
        ),
        ranges={
            r.unit: r
            for r in robustness.rank_ranges(
                computed.inputs, computed.result, spread=SPREAD, draws=DRAWS, seed=seed
            )
        },
        margins={m.unit: m for m in robustness.band_margins(computed.inputs, computed.result)},
        spread=SPREAD,
        draws=DRAWS,
        flag_action=action or flag_action(session),
    )


# ---------------------------------------------------------------- in words


def side_name(side: str) -> str:
    return {"town": _("镇(街道)"), "department": _("部门")}.get(side, side)


def sentences(group: bias.GroupBias) -> dict[str, str]:
    """One sentence per figure, saying what it means."""
    found = {}
    if group.leniency is None:
        found["leniency"] = _("没有可与其他评议组比较的单位。")
    else:
        found["leniency"] = _(
            "在双方都评过的 %(n)s 个单位上，本组平均比其他评议组%(direction)s %(points).1f 分。"
        ) % {
            "n": group.leniency_units,
            "direction": _("高") if group.leniency >= 0 else _("低"),
            "points": abs(group.leniency),
        }
    found["straight"] = _(
        "%(n)s 张票（%(share).0f%%）对所评的所有单位给同一等次，其中 %(good)s 张全部为“好”。"
    ) % {"n": group.straight, "share": group.straight_share * 100, "good": group.all_good}
    own = group.own_side
    if own is None:
        found["own_side"] = _("本组不属于镇(街道)或部门一方，或双方单位太少，不作比较。")
    else:
        found["own_side"] = _(
            "对本方（%(side)s）%(own)s 个单位比对另一方 %(other)s 个单位平均%(direction)s %(points).1f 分"
            "（与不分方的评议组相比）；若并无偏向，出现这么大差别的概率 p %(p)s"
            "（置换检验 %(permutations)s 次）。"
        ) % {
            "side": side_name(own.side),
            "own": own.own_units,
            "other": own.other_units,
            "direction": _("多给") if own.difference >= 0 else _("少给"),
            "points": abs(own.difference),
            "p": _p_text(own.p_value),
            "permutations": bias.PERMUTATIONS,
        }
    if group.alpha is None:
        found["alpha"] = _("组内评价没有变化或不足以计算一致性。")
    else:
        found["alpha"] = _(
            "组内一致性 α = %(alpha).2f：%(meaning)s（1 为完全一致，0 相当于随机打分）。"
        ) % {"alpha": group.alpha, "meaning": _alpha_meaning(group.alpha)}
    return found


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"≈ {p:.3f}"


def _alpha_meaning(alpha: float) -> str:
    if alpha >= 0.8:
        return _("高度一致")
    if alpha >= 0.667:
        return _("较为一致")
    if alpha >= 0.4:
        return _("部分一致")
    if alpha >= 0:
        return _("一致性较低")
    return _("系统性分歧")


def flag_label(flag: str) -> str:
    return {
        "leniency": _("宽严度"),
        "straight": _("直线式打分"),
        "own_side": _("本方偏向"),
    }.get(flag, flag)


def notice_notes(session: ReviewSession, computed: Computed | None = None) -> list[str]:
    """What the 通报 says about the flags, when the scheme declared in advance that they are
    noted there (ScoringScheme.bias_flag_action); never anything that changes a score. The
    result is computed only then."""
    action = flag_action(session)
    if action != ScoringScheme.BiasFlagAction.NOTE:
        return []
    found = analyse(session, computed or services.compute(session), action=action)
    notes = []
    for group in found.flagged:
        said = sentences(group)
        notes.append(
            _(
                "评议偏差提示（%(group)s，%(flags)s）：%(text)s 按计分办法约定，仅作说明，不调整得分。"
            )
            % {
                "group": group.name,
                "flags": "、".join(flag_label(flag) for flag in group.flags),
                "text": " ".join(said[flag] for flag in group.flags),
            }
        )
    return notes
