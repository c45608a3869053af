"""The year's targets and their breakdown to units (docs/targets.md, "Stored").

A Target belongs to a district and a year, not to a review session: it is set by the government
work report, reported on all year, and scored at the end of it. A TargetUnit is one line of the
breakdown (目标分解): a unit of the district that answers for the target, as 牵头 or 配合, with
its own goal and points where the breakdown gives it a share. How the result becomes points is
the rule's fields, read by ``targets.engine`` (the rule's meaning lives there, never in names).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
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
    # The cumulative value planned by a month's end where the breakdown sets one ({"10": "60"}:
    # 60 by the end of October); between them the plan runs straight (docs/targets.md,
    # "The period's plan").
    plan = models.JSONField(_("进度计划"), default=dict, blank=True)
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
    # Kept by targets.line_state at every write that changes them (docs/targets.md, "Stored
    # scores"): the latest accepted report, and bit m set when the month-m report is waiting
    # for review or accepted (not overdue).
    latest_report = models.ForeignKey(
        "Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_months = models.PositiveIntegerField(default=0)

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


class TargetYear(models.Model):
    """A district's settings for one year of targets (docs/targets.md, "Reports" and
    "Colours"): when reports fall due and where a report turns yellow or red against the
    period's plan. Made with its defaults the first time the year is used."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="target_years")
    year = models.PositiveSmallIntegerField(_("年度"))
    # A period's report is due on this day of the month after the period ends (10 → 10 April
    # for the first quarter); a report arriving later is flagged late and stays so.
    due_day = models.PositiveSmallIntegerField(
        _("报送截止日"), default=10, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    # Completion against the period's plan: from 100% green, from ``yellow_from`` yellow,
    # below it red (docs/targets.md, "Colours").
    yellow_from = models.DecimalField(
        _("黄色下限（对计划完成率）"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.9"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )

    class Meta:
        ordering = ["district_id", "year"]
        verbose_name = _("目标年度设置")
        verbose_name_plural = _("目标年度设置")
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="target_year_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.district} {self.year}"


class Report(models.Model):
    """目标填报: a unit's value of one target at the end of one period (the cumulative value
    to date, in the target's measure). Submitted by the unit's liaison, accepted or returned
    by the supervising office; once accepted it changes only by a recorded correction
    (ReportEvent), never by an edit (docs/targets.md, "Reports")."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("已退回")
        ACCEPTED = "accepted", _("已审核")

    target_unit = models.ForeignKey(TargetUnit, on_delete=models.PROTECT, related_name="reports")
    # The period's last month: 3, 6, 9, 12 for a quarterly target, 1–12 for a monthly one.
    month = models.PositiveSmallIntegerField(
        _("期末月份"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    value = models.DecimalField(_("累计完成值"), max_digits=16, decimal_places=4)
    text = models.TextField(_("进展情况"), max_length=4000, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    late = models.BooleanField(_("逾期报送"), default=False)
    submitted_at = models.DateTimeField(_("报送时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_reason = models.TextField(_("退回理由"), max_length=2000, blank=True)
    # The colour against the period's plan (targets.scores.report_colour) while accepted,
    # blank otherwise; kept by targets.line_state (docs/targets.md, "Stored scores").
    colour = models.CharField(_("进度颜色"), max_length=8, blank=True)

    class Meta:
        ordering = ["target_unit_id", "month"]
        verbose_name = _("目标填报")
        verbose_name_plural = _("目标填报")
        constraints = [
            models.UniqueConstraint(fields=["target_unit", "month"], name="report_period_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="returned") | ~models.Q(return_reason=""),
                name="report_returned_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "month"], name="report_status_month")]

    def __str__(self) -> str:
        return f"{self.target_unit} {self.month}月"


class LineScore(models.Model):
    """One breakdown line scored at a quarter's end against the plan for that month, on the
    latest value accepted by then (docs/targets.md, "季评比"); December's is the annual score.
    Kept by targets.line_state in the transaction of every write that changes it; the live
    computation in targets.scores is the reference (docs/targets.md, "Stored scores")."""

    target_unit = models.ForeignKey(TargetUnit, on_delete=models.CASCADE, related_name="scores")
    month = models.PositiveSmallIntegerField(choices=[(m, m) for m in (3, 6, 9, 12)])
    points = models.DecimalField(max_digits=7, decimal_places=2)
    bonus = models.DecimalField(max_digits=7, decimal_places=2)
    # The points counted: the line's points at the plan, 0 when nothing is planned yet.
    possible = models.DecimalField(max_digits=7, decimal_places=2)
    # False when nothing is planned yet: the line is left out of the quarter.
    counted = models.BooleanField(default=True)
    vetoes = models.BooleanField(default=False)
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["target_unit_id", "month"]
        verbose_name = _("目标得分")
        verbose_name_plural = _("目标得分")
        constraints = [
            models.UniqueConstraint(fields=["target_unit", "month"], name="line_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.target_unit} {self.month}月"


def report_file_path(instance, filename):
    # A name of our own: the uploaded name is kept in ``name`` and never reaches the disk.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"targets/{instance.report.target_unit.target.year}/{uuid.uuid4().hex}.{ext}"


class ReportFile(models.Model):
    """佐证材料: a file attached to a report."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=report_file_path)
    name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["report_id", "id"]
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")

    def __str__(self) -> str:
        return self.name


class ReportEvent(models.Model):
    """One step in a report's life, kept for ever: what was submitted, returned (why),
    accepted, and every correction of an accepted value with its reason."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("报送")
        RETURN = "return", _("退回")
        ACCEPT = "accept", _("审核通过")
        CORRECT = "correct", _("更正")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    value = models.DecimalField(_("完成值"), max_digits=16, decimal_places=4)
    previous_value = models.DecimalField(
        _("原完成值"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    reason = models.TextField(_("理由"), max_length=2000, blank=True)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["report_id", "at", "id"]
        verbose_name = _("填报记录")
        verbose_name_plural = _("填报记录")

    def __str__(self) -> str:
        return f"{self.report} {self.get_action_display()}"


class Notice(models.Model):
    """督办单, 警示单, 诫勉谈话: a notice to a unit about one target, each printable, open until
    the office closes it; the escalation runs in that order (docs/targets.md, "Notices")."""

    class Kind(models.TextChoices):
        SUPERVISE = "supervise", _("督办单")
        WARNING = "warning", _("警示单")
        ADMONISH = "admonish", _("诫勉谈话")

    target_unit = models.ForeignKey(TargetUnit, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    # 文号: numbered per district, year and kind in issue order (督办〔2019〕3号).
    number = models.PositiveIntegerField(_("编号"))
    reason = models.TextField(_("事由"), max_length=2000)
    demand = models.TextField(_("整改要求"), max_length=2000)
    due_date = models.DateField(_("整改时限"))
    issued_at = models.DateTimeField(_("签发时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_note = models.TextField(_("销号说明"), max_length=2000, blank=True)
    # Denormalised from the target for the per-kind numbering and its uniqueness.
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))

    class Meta:
        ordering = ["district_id", "year", "kind", "number"]
        verbose_name = _("督办通知")
        verbose_name_plural = _("督办通知")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "kind", "number"], name="notice_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | ~models.Q(close_note=""),
                name="notice_closed_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year}-{self.number}"


class SpotCheck(models.Model):
    """随机抽查: a recorded random draw of accepted reports of one period to inspect, seeded so
    that anyone can repeat it (docs/targets.md, "Spot checks")."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("期末月份"))
    seed = models.CharField(_("随机种子"), max_length=64)
    pool = models.JSONField(_("抽取范围"))  # report ids in the order drawn from
    drawn = models.JSONField(_("抽中"))  # report ids
    drawn_at = models.DateTimeField(_("抽取时间"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["district_id", "year", "month", "id"]
        verbose_name = _("随机抽查")
        verbose_name_plural = _("随机抽查")

    def __str__(self) -> str:
        return f"{self.district} {self.year}-{self.month}"
