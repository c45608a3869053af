"""What scoring stores: the inputs besides ballots, and the published results.

- ExternalScore: 目标考核 and 日常考核 scores and 加减分 (with its reason) per unit, imported from a
  workbook (scoring/imports.py) or keyed in.
- LeaderComment: 分管领导书面点评, with an optional score (the 书面点评 component).
- ResultSnapshot: a published result. It never changes: publishing writes number 1, a
  correction writes the next number with a written reason. It keeps a copy of the scheme, the
  SHA-256 of the canonical inputs (docs/design.md §4.12) and the rows, so that
  ``verify_result`` can recompute from the stored inputs and compare.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sessions.models import ReviewSession, Unit

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def _score_field(label):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
    )


class ExternalScore(models.Model):
    """其他考核得分 of one unit in one session (section 4.6): the components other than 综合评议
    that come from elsewhere, and 加减分.

    目标考核 is typed (keyed in or imported) or taken from the district's target management
    (docs/targets.md, "Into the review"); taken, it keeps ``target_basis``, the SHA-256 of what
    the annual score was computed from, which becomes part of the snapshot's inputs."""

    class TargetSource(models.TextChoices):
        TYPED = "typed", _("手工录入")
        TARGETS = "targets", _("目标管理")

    session = models.ForeignKey(
        ReviewSession, on_delete=models.CASCADE, related_name="external_scores"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="external_scores")
    target = _score_field(_("目标考核得分"))
    target_source = models.CharField(
        _("目标考核得分来源"),
        max_length=16,
        choices=TargetSource.choices,
        default=TargetSource.TYPED,
    )
    target_basis = models.CharField(_("目标考核计算依据 SHA-256"), max_length=64, blank=True)
    daily = _score_field(_("日常考核得分"))
    bonus = models.DecimalField(
        _("加减分"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(Decimal("-100")), MaxValueValidator(HUNDRED)],
    )
    bonus_reason = models.CharField(_("加减分理由"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("其他考核得分")
        verbose_name_plural = _("其他考核得分")
        constraints = [
            models.UniqueConstraint(fields=["session", "unit"], name="external_score_unit_unique"),
            # A bonus other than 0 must say why (it is printed in the report's footnotes).
            models.CheckConstraint(
                condition=Q(bonus=0) | ~Q(bonus_reason=""), name="external_score_bonus_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.target}/{self.daily}/{self.bonus}"


class LeaderComment(models.Model):
    """分管领导书面点评 of one unit, with an optional score (the 书面点评 component)."""

    session = models.ForeignKey(
        ReviewSession, on_delete=models.CASCADE, related_name="leader_comments"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="leader_comments")
    author = models.CharField(_("点评领导"), max_length=100)
    text = models.TextField(_("点评内容"), max_length=4000)
    score = _score_field(_("点评得分"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("分管领导书面点评")
        verbose_name_plural = _("分管领导书面点评")
        constraints = [
            models.UniqueConstraint(fields=["session", "unit"], name="leader_comment_unit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.author}"


class ResultSnapshot(models.Model):
    """A published result (评议结果). Never updated: a correction is a new snapshot."""

    session = models.ForeignKey(
        ReviewSession, on_delete=models.PROTECT, related_name="result_snapshots"
    )
    number = models.PositiveSmallIntegerField(_("版本"))
    reason = models.TextField(_("更正理由"), blank=True)
    scheme = models.JSONField(_("计分办法"))  # the engine's Scheme, and the rules in words
    inputs_hash = models.CharField(_("输入数据 SHA-256"), max_length=64)
    engine_version = models.CharField(max_length=40)
    result = models.JSONField(_("结果"))  # engine.Result.to_dict()
    labels = models.JSONField(default=dict)  # names of groups, components, as published
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["session", "-number"]
        verbose_name = _("结果快照")
        verbose_name_plural = _("结果快照")
        constraints = [
            # Publishing twice is impossible: each number once per session.
            models.UniqueConstraint(fields=["session", "number"], name="snapshot_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="snapshot_number_gte_1"),
            # Every correction (number 2 on) says why.
            models.CheckConstraint(
                condition=Q(number=1) | ~Q(reason=""), name="snapshot_correction_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} #{self.number}"
