"""The 计分办法 of a session in plain words (docs/design.md §4), one sentence per rule.

The scheme page, the session overview and the exports all print these same sentences, so that
what a person reads is what the engine computes. ``scheme_in_words`` is a pure function: it
reads attributes of the objects it is given (model instances or anything with the same
attribute names) and never queries the database, so a caller can pass a snapshot's copy too.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

# The usual name of the group whose score breaks ties first (section 4.7), for the words only:
# the group itself is the one flagged RaterGroup.is_leaders.
LEADERS_GROUP_NAME = "县级领导"

CENT = Decimal("0.01")


def number(value: Decimal | int) -> str:
    """A number as people write it: 40 (not 40.00 or 4E+1), 33.5, 33.33 (at most 2 decimals,
    rounded half up)."""
    rounded = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    text = f"{rounded.normalize():f}"
    return "0" if text == "-0" else text


def component_labels() -> list[tuple[str, str]]:
    """(ScoringScheme field, label) of the components of the total, in table order (4.6)."""
    return [
        ("weight_review", _("综合评议")),
        ("weight_target", _("目标考核")),
        ("weight_daily", _("日常考核")),
        ("weight_satisfaction", _("问政满意度")),
        ("weight_leader_comment", _("书面点评")),
    ]


def scheme_in_words(scheme: Any, groups: Sequence[Any], criteria: Sequence[Any]) -> list[str]:
    """Every rule of ``scheme`` as a sentence, in the order section 4 applies them.

    ``scheme`` has the fields of ``ScoringScheme``; each of ``groups`` a ``name``, ``weight``
    and ``min_sample``; each of ``criteria`` a ``name`` and ``weight``, all in display order.
    """
    lines = [_grade_values(scheme)]
    if criteria:
        lines.append(_criteria(criteria))
    lines.append(_group_score(scheme))
    lines += _review_formula(groups)
    lines.append(_total(scheme))
    if scheme.weight_satisfaction > 0:
        lines.append(_satisfaction(scheme))
    lines.append(_ranking(scheme, groups))
    lines += _bands(scheme)
    lines.append(_ballot_rules(scheme))
    lines.append(_who_rates_whom(scheme))
    lines.append(_anonymity(scheme))
    if getattr(scheme, "bias_flag_action", "nothing") == "note":
        # Said only when chosen, so the words of every scheme before it read as they did.
        lines.append(_("评议偏差分析出现提示时在通报中注明，但不调整任何得分。"))
    return lines


# ---------------------------------------------------------------- 4.1 and 4.3: one ballot's value


def _grade_values(scheme) -> str:
    return _(
        "评价等次分值：好 %(good)s 分，较好 %(fairly_good)s 分，一般 %(average)s 分，"
        "差 %(poor)s 分；弃权和未评的不算有效票，不计入得分和票数。"
    ) % {
        "good": number(scheme.value_good),
        "fairly_good": number(scheme.value_fairly_good),
        "average": number(scheme.value_average),
        "poor": number(scheme.value_poor),
    }


def _criteria(criteria) -> str:
    weights = _("、").join(
        _("%(name)s %(weight)s") % {"name": c.name, "weight": number(c.weight)} for c in criteria
    )
    return _(
        "按评议指标评价：每张评议表对一个单位的分值是各指标分值的加权平均（权重：%(weights)s）；"
        "弃权的指标不计入，所有指标都弃权的不算有效票。"
    ) % {"weights": weights}


def _group_score(scheme) -> str:
    if scheme.trimmed_mean:
        return _(
            "评议组得分 = 该组对该单位有效票分值的平均数；有效票多于 %(k)s 票时，"
            "先去掉一个最高值和一个最低值再平均。"
        ) % {"k": scheme.trim_above}
    return _("评议组得分 = 该组对该单位全部有效票分值的平均数（不去掉最高值和最低值）。")


# ---------------------------------------------------------------- 4.4 and 4.5: 综合评议


def _review_formula(groups) -> list[str]:
    counted = [g for g in groups if g.weight > 0]
    unweighted = [g for g in groups if g.weight <= 0]
    lines = []
    if unweighted:
        lines.append(
            _("评议组%(names)s权重为 0，其评价不计入综合评议得分。")
            % {"names": _("、").join(_("“%(name)s”") % {"name": g.name} for g in unweighted)}
        )
    if not counted:
        return [_("还没有权重大于 0 的评议组，无法计算综合评议得分。"), *lines]
    total = sum((Decimal(g.weight) for g in counted), Decimal(0))
    terms = " + ".join(
        _("%(group)s × %(share)s%%")
        % {"group": g.name, "share": number(Decimal(g.weight) * 100 / total)}
        for g in counted
    )
    samples = {g.min_sample for g in counted}
    if len(samples) == 1:
        condition = _("某组有效票少于 %(m)s 票时不计，其余组按权重重新折算") % {"m": samples.pop()}
    else:
        condition = _(
            "某组有效票少于该组最少有效票数时不计，其余组按权重重新折算；最少有效票数：%(list)s"
        ) % {
            "list": _("、").join(
                _("%(group)s %(m)s 票") % {"group": g.name, "m": g.min_sample} for g in counted
            )
        }
    formula = _("综合评议得分 = %(terms)s（%(condition)s）") % {
        "terms": terms,
        "condition": condition,
    }
    return [formula, *lines]


# ---------------------------------------------------------------- 4.6: the total


def _total(scheme) -> str:
    parts = [
        (field, label, getattr(scheme, field))
        for field, label in component_labels()
        if getattr(scheme, field) > 0
    ]
    if [field for field, _label, _weight in parts] == ["weight_review"]:
        # Section 4.6: a session with only 综合评议 has total = 综合评议 score.
        formula = _("综合评议得分 × %(share)s%%") % {"share": number(scheme.weight_review)}
    else:
        formula = " + ".join(
            _("%(component)s × %(share)s%%") % {"component": label, "share": number(weight)}
            for _field, label, weight in parts
        )
    if scheme.apply_bonus:
        formula = _("%(formula)s + 加减分") % {"formula": formula}
    return _("总分 = %(formula)s") % {"formula": formula}


def _satisfaction(scheme) -> str:
    return _(
        "问政满意度得分：满意 %(satisfied)s 分，基本满意 %(basically)s 分，"
        "不满意 %(dissatisfied)s 分，取有效票的平均分。"
    ) % {
        "satisfied": number(scheme.value_satisfied),
        "basically": number(scheme.value_basically_satisfied),
        "dissatisfied": number(scheme.value_dissatisfied),
    }


# ---------------------------------------------------------------- 4.7 and 4.8: rank and band


def _ranking(scheme, groups) -> str:
    breakers = []
    if scheme.tie_break_leaders:
        # The group flagged is_leaders, by its own name; the scheme page allows the tie-break
        # only with one, so the fallback is for words written before a group is flagged.
        leaders = next((g.name for g in groups if getattr(g, "is_leaders", False)), None)
        breakers.append(_("%(group)s组得分") % {"group": leaders or LEADERS_GROUP_NAME})
    if scheme.tie_break_good_share:
        breakers.append(_("“好”票占比"))
    rounding = _("各组得分、各项得分和总分均四舍五入保留两位小数；在本类别内按总分从高到低排名")
    if not breakers:
        return _("%(rounding)s，总分相同的名次相同，后面的名次顺延（如 1、2、2、4）。") % {
            "rounding": rounding
        }
    if len(breakers) == 1:
        tie = _("总分相同时比较%(first)s") % {"first": breakers[0]}
    else:
        tie = _("总分相同时依次比较%(list)s") % {"list": _("、").join(breakers)}
    return _("%(rounding)s；%(tie)s，仍相同的名次相同，后面的名次顺延（如 1、2、2、4）。") % {
        "rounding": rounding,
        "tie": tie,
    }


def _bands(scheme) -> list[str]:
    thresholds = _(
        "等次分数线：优秀 %(excellent)s 分以上，良好 %(good)s 分以上，一般 %(average)s 分以上，"
        "低于 %(average)s 分为较差。"
    ) % {
        "excellent": number(scheme.band_excellent),
        "good": number(scheme.band_good),
        "average": number(scheme.band_average),
    }
    if not scheme.excellent_cap_enabled:
        return [thresholds, _("优秀不设比例限制。")]
    cap = _(
        "优秀：%(excellent)s 分以上且排名在本类别前 %(percent)s%% 以内（并列者同等对待）；"
        "%(excellent)s 分以上但超出比例的评为良好。"
    ) % {
        "excellent": number(scheme.band_excellent),
        "percent": number(scheme.excellent_cap_percent),
    }
    return [thresholds, cap]


# ---------------------------------------------------------------- 4.9, 4.2 and anonymity


def _ballot_rules(scheme) -> str:
    rules = []
    if scheme.max_good_action != "off" and scheme.max_good_percent is not None:
        if scheme.max_good_action == "reject":
            text = _("单张评议表中评为“好”的不得超过 %(percent)s%%，超过的不能提交，须修改后重交")
        else:
            text = _("单张评议表中评为“好”的超过 %(percent)s%% 时照常接收，但标记出来供组织者复核")
        rules.append(text % {"percent": number(scheme.max_good_percent)})
    if scheme.identical_grades_action == "reject":
        rules.append(_("所有单位评价都相同的评议表不能提交，须修改后重交"))
    elif scheme.identical_grades_action == "flag":
        rules.append(_("所有单位评价都相同的评议表照常接收，但标记出来供组织者复核"))
    if not rules:
        return _("评议表不限制“好”的比例，也不检查评价是否全部相同。")
    return _("%(rules)s。") % {"rules": _("；").join(rules)}


def _who_rates_whom(scheme) -> str:
    if scheme.cross_rating:
        return _(
            "评议人不评价本单位；实行交叉评议：镇(街道)方的评议组只评部门，"
            "部门方的评议组只评镇(街道)，其他评议组评全部述职单位。"
        )
    return _("评议人不评价本单位；不实行交叉评议，各评议组评价全部述职单位。")


def _anonymity(scheme) -> str:
    if scheme.anonymous:
        return _("匿名评议：评议表不记录评议码和持有人，无法追溯到个人。")
    return _("记名评议：评议表与评议码关联，组织者可以查到评议人。")
