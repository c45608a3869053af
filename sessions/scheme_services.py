"""The 计分办法 (ScoringScheme) and its criteria: checked, changed while the session is a draft
(lifecycle.can_edit_scheme), and named in messages and the audit log (docs/design.md §4)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit

from . import lifecycle
from .guards import ANONYMOUS_MIN_SAMPLE, anonymous_min_sample_message, clean_name, lock_session
from .models import Criterion, ReviewSession, ScoringScheme
from .words import number

Status = ReviewSession.Status


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
    "bias_flag_action",
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
    """From ready on the scheme is frozen with the unit list, groups and weights (docs/design.md
    §3; lifecycle.can_edit_scheme); changing it means going back to draft, which is
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
        "bias_flag_action": _("评议偏差提示的处理"),
    }


def scheme_value_text(field: str, value) -> str:
    """A stored value as the page and the audit log print it: 是/否, 40, 拒收并提示, 未设."""
    if value is None:
        return _("未设")
    if field in _SCHEME_BOOLEANS:
        return _("是") if value else _("否")
    if field in _SCHEME_ACTIONS:
        return str(ScoringScheme.RuleAction(value).label)
    if field == "bias_flag_action":
        return str(ScoringScheme.BiasFlagAction(value).label)
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
    if values["bias_flag_action"] not in ScoringScheme.BiasFlagAction.values:
        add("bias_flag_action", _("%(field)s的选项无效。") % {"field": labels["bias_flag_action"]})

    # 4.1: the grades keep their order, or 好 would not be better than 较好.
    grades = ("value_good", "value_fairly_good", "value_average", "value_poor")
    ok = {f for f in grades if decimal_ok(f, Decimal(0), Decimal(100))}
    descending(grades, ok, strict=True)

    # 4.3: at least 3 votes, so that one is left after dropping the highest and the lowest.
    integer_ok("trim_above", 2, 1000)
    sample_ok = integer_ok("default_min_sample", 1, 1000)
    if values["anonymous"] is True:
        if sample_ok and values["default_min_sample"] < ANONYMOUS_MIN_SAMPLE:
            add("default_min_sample", anonymous_min_sample_message())
        low_groups = list(low_sample_groups)
        if low_groups:
            add(
                "anonymous",
                _("评议组“%(groups)s”：%(message)s")
                % {"groups": "、".join(low_groups), "message": anonymous_min_sample_message()},
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
    """Add or change a criterion of per-criterion rating (docs/design.md §4.3). Weights need
    not sum to 100 (the mean is weighted), but one must be above 0. ``order`` None puts a new
    criterion last and keeps an existing one where it is."""
    session = lock_session(session)
    require_scheme_editable(session)
    name = clean_name(name, _("评议指标"))
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
