"""表彰: award programmes, their nominations, 公示 objections (docs/awards.md, "Stored").

Models hold data and database constraints only; every write goes through awards/services.py,
which checks the lifecycle and writes the audit log.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from org.models import District, OrgUnit
from scoring import engine
from scoring.models import ResultSnapshot
from sessions.models import ReviewSession


class Programme(models.Model):
    """奖项: one award of a district's year, its rules, its nominations and its decision."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("单位")
        PERSON = "person", _("个人")

    class Source(models.TextChoices):
        # docs/awards.md, "Who qualifies".
        BAND = "band", _("评议等次")
        RANK = "rank", _("评议排名")
        TARGET = "target", _("目标考核得分")
        NOMINATED = "nominated", _("单位推荐")

    class RankBy(models.TextChoices):
        TOTAL = "total", _("综合得分（总分）")
        REVIEW = "review", _("综合评议得分")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        NOMINATED = "nominated", _("已提名")
        PUBLICISED = "publicised", _("公示中")
        FINAL = "final", _("已定名单")
        DECIDED = "decided", _("已决定")

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="award_programmes"
    )
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    # The programme's own wording (综合目标管理优秀单位), never derived from band names.
    name = models.CharField(_("奖项名称"), max_length=100)
    kind = models.CharField(_("表彰对象"), max_length=16, choices=Kind.choices)
    source = models.CharField(_("评选依据"), max_length=16, choices=Source.choices)
    session = models.ForeignKey(
        ReviewSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award_programmes",
        verbose_name=_("评议会"),
    )
    rank_by = models.CharField(
        _("排名依据"), max_length=16, choices=RankBy.choices, default=RankBy.TOTAL
    )
    bands = models.JSONField(_("等次"), default=list, blank=True)  # scoring.engine BAND_* codes
    min_score = models.DecimalField(
        _("最低目标考核得分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    top_n = models.PositiveSmallIntegerField(_("每类前 N 名"), null=True, blank=True)
    # Quota per category: {category name: n}; quota_default for every category not named.
    # Neither: no cap.
    quota = models.JSONField(_("分类名额"), default=dict, blank=True)
    quota_default = models.PositiveSmallIntegerField(_("每类名额"), null=True, blank=True)
    per_unit_quota = models.PositiveSmallIntegerField(_("每单位推荐名额"), null=True, blank=True)
    exclude_vetoed = models.BooleanField(_("排除目标考核一票否决的单位"), default=True)
    exclude_noticed = models.BooleanField(_("排除有未销号警示单或诫勉谈话的单位"), default=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示结束"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("定名单时间"), null=True, blank=True)
    decision_number = models.CharField(_("决定文号"), max_length=60, blank=True)
    decision_date = models.DateField(_("决定日期"), null=True, blank=True)
    decision_issuer = models.CharField(_("发文机关"), max_length=100, blank=True)
    decision_signatory = models.CharField(_("签发人"), max_length=60, blank=True)
    decision_body = models.TextField(_("决定正文"), max_length=4000, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["district_id", "-year", "id"]
        verbose_name = _("奖项")
        verbose_name_plural = _("奖项")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "name"], name="award_programme_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(publicity_start__isnull=True)
                | Q(publicity_end__gte=models.F("publicity_start")),
                name="award_publicity_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    @property
    def is_person(self) -> bool:
        return self.kind == self.Kind.PERSON

    @property
    def band_labels(self) -> str:
        return "、".join(gettext(engine.BAND_LABELS[code]) for code in self.bands)


class Exclusion(models.Model):
    """A unit the office leaves out of a programme, with the reason (docs/awards.md,
    "Exclusions")."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="exclusions")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("排除理由"), max_length=500)

    class Meta:
        ordering = ["programme_id", "org_unit__code"]
        verbose_name = _("排除单位")
        verbose_name_plural = _("排除单位")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "org_unit"], name="award_exclusion_unique"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="award_exclusion_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.reason}"


class Nomination(models.Model):
    """One unit (or one person, with the unit nominating them) on a programme's list, and how
    it qualified, copied from the published result at computation time."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="nominations")
    # The unit awarded, or for 先进个人 the unit nominating the person.
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位")
    )
    person_name = models.CharField(_("姓名"), max_length=60, blank=True)
    post = models.CharField(_("职务"), max_length=100, blank=True)
    category = models.CharField(_("类别"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("序号"), default=0)
    # How it qualified: figures and a sentence, as they were when computed.
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    band = models.CharField(_("等次"), max_length=16, blank=True)  # scoring.engine BAND_*
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    basis = models.CharField(_("入选依据"), max_length=500, blank=True)
    snapshot = models.ForeignKey(
        ResultSnapshot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("结果快照"),
    )
    # The snapshot's inputs' SHA-256, or for a 目标考核 source targets.scores.basis of the unit.
    inputs_hash = models.CharField(_("依据数据 SHA-256"), max_length=64, blank=True)
    tie_at_quota = models.BooleanField(_("名额边界并列"), default=False)
    excluded = models.BooleanField(_("已排除"), default=False)
    excluded_reason = models.CharField(_("排除理由"), max_length=500, blank=True)
    withdrawn = models.BooleanField(_("已撤销"), default=False)
    withdrawn_reason = models.CharField(_("撤销理由"), max_length=1000, blank=True)
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["programme_id", "position", "id"]
        verbose_name = _("提名")
        verbose_name_plural = _("提名")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "org_unit", "person_name"], name="award_nomination_unique"
            ),
            models.CheckConstraint(
                condition=Q(excluded=False) | ~Q(excluded_reason=""),
                name="award_nomination_excluded_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn=False) | ~Q(withdrawn_reason=""),
                name="award_nomination_withdrawn_has_reason",
            ),
        ]

    def __str__(self) -> str:
        if self.person_name:
            return f"{self.person_name}（{self.org_unit}）"
        return str(self.org_unit)

    @property
    def band_label(self) -> str:
        """优秀, 良好…: the published band's name (the msgids of scoring's band labels)."""
        return gettext(engine.BAND_LABELS[self.band]) if self.band else ""

    @property
    def active(self) -> bool:
        """On the list: neither excluded nor withdrawn."""
        return not (self.excluded or self.withdrawn)


class Objection(models.Model):
    """公示期异议: an objection to one nomination received during 公示, and its outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待核查")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="objections")
    received_at = models.DateTimeField(_("收到时间"))
    summary = models.TextField(_("异议内容"), max_length=2000)
    outcome = models.CharField(
        _("核查结果"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    note = models.TextField(_("核查说明"), max_length=2000, blank=True)
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["nomination_id", "received_at", "id"]
        verbose_name = _("公示期异议")
        verbose_name_plural = _("公示期异议")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="pending") | ~Q(note=""), name="award_objection_decided_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nomination} {self.get_outcome_display()}"
