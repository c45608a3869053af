"""The year's targets and their breakdown to units (docs/targets.md, "Stored").

A Target belongs to a district and a year, not to a review session: it is set by the government
work report, reported on all year, and scored at the end of it. A TargetUnit is one line of the
breakdown (目标分解): a unit of the district that answers for the target, as 牵头 or 配合, with
its own goal and points where the breakdown gives it a share. How the result becomes points is
the rule's fields, read by ``targets.engine`` (the rule's meaning lives there, never in names).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.models import District, OrgUnit

from . import engine


class Target(models.Model):
    class Kind(models.TextChoices):
        QUANTITY = "quantity", _("定量指标")
        COUNT = "count", _("计数任务")
        MILESTONE = "milestone", _("节点任务")

    class Direction(models.TextChoices):
        AT_LEAST = engine.AT_LEAST, _("不低于")
        AT_MOST = engine.AT_MOST, _("不高于")

    class Method(models.TextChoices):
        RATIO = engine.RATIO, _("按完成率")
        STEPS = engine.STEPS, _("分档")
        PASS_FAIL = engine.PASS_FAIL, _("达标得分")

    class Period(models.TextChoices):
        MONTH = "month", _("按月")
        QUARTER = "quarter", _("按季")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="targets")
    year = models.PositiveSmallIntegerField(_("年度"))
    code = models.CharField(_("编号"), max_length=20)
    title = models.CharField(_("指标"), max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.QUANTITY)
    measure = models.CharField(_("计量单位"), max_length=20, blank=True)
    direction = models.CharField(
        _("方向"), max_length=16, choices=Direction.choices, default=Direction.AT_LEAST
    )
    baseline = models.DecimalField(
        _("基数"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    goal = models.DecimalField(_("确保目标"), max_digits=16, decimal_places=4)
    stretch = models.DecimalField(
        _("力争目标"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    points = models.DecimalField(_("分值"), max_digits=7, decimal_places=2)
    method = models.CharField(
        _("计分方法"), max_length=16, choices=Method.choices, default=Method.RATIO
    )
    floor = models.DecimalField(_("完成率下限"), max_digits=6, decimal_places=4, default=Decimal(0))
    cap = models.DecimalField(_("完成率上限"), max_digits=6, decimal_places=4, default=Decimal(1))
    # [[ratio reached, share earned], …] as decimal strings, thresholds increasing (分档).
    steps = models.JSONField(_("分档"), default=list, blank=True)
    bonus = models.DecimalField(_("力争加分"), max_digits=7, decimal_places=2, default=Decimal(0))
    veto = models.BooleanField(_("一票否决"), default=False)
    period = models.CharField(
        _("填报周期"), max_length=16, choices=Period.choices, default=Period.QUARTER
    )
    evidence_required = models.BooleanField(_("须附佐证材料"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["district_id", "year", "code"]
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "code"], name="target_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def rule(self) -> engine.Rule:
        return engine.Rule(
            method=self.method,
            floor=self.floor,
            cap=self.cap,
            steps=tuple((Decimal(str(t)), Decimal(str(s))) for t, s in self.steps),
            bonus=self.bonus,
            veto=self.veto,
        )

    def engine_target(self, *, points: Decimal | None = None, goal: Decimal | None = None):
        """The target as the engine scores it; ``points`` and ``goal`` a unit's own share."""
        return engine.Target(
            self.code,
            self.points if points is None else points,
            self.goal if goal is None else goal,
            self.direction,
            self.baseline,
            self.stretch,
            self.rule(),
        )

    def clean(self):
        try:
            self.engine_target()
        except (engine.RuleError, ArithmeticError, TypeError, ValueError) as error:
            raise ValidationError(str(error)) from error


class TargetUnit(models.Model):
    """目标分解: a unit that answers for a target."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        SUPPORT = "support", _("配合")

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="units")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="targets")
    role = models.CharField(_("责任"), max_length=16, choices=Role.choices, default=Role.LEAD)
    # The unit's own share where the breakdown divides the target; else the target's.
    goal = models.DecimalField(
        _("分解目标"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    points = models.DecimalField(_("分值"), max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["target_id", "role", "org_unit_id"]
        verbose_name = _("目标分解")
        verbose_name_plural = _("目标分解")
        constraints = [
            models.UniqueConstraint(fields=["target", "org_unit"], name="target_unit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.target} · {self.org_unit} ({self.get_role_display()})"

    def engine_target(self) -> engine.Target:
        """The target as this unit is assessed on it: its own goal and points where the
        breakdown gives them, the target's otherwise (docs/targets.md)."""
        return self.target.engine_target(points=self.points, goal=self.goal)

    def clean(self):
        if (
            self.org_unit_id
            and self.target_id
            and self.org_unit.district_id != self.target.district_id
        ):
            raise ValidationError(_("目标分解的单位须属于目标所在的区（县）。"))
        try:
            self.engine_target()
        except engine.RuleError as error:
            raise ValidationError(str(error)) from error
