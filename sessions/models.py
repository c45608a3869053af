"""The review session and everything configured for it (docs/design.md §2 and §3).

Models hold data and database constraints only; every write goes through a service
(sessions/services.py and the *_services.py modules beside it).
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import lifecycle

ZERO = Decimal("0")
HUNDRED = Decimal("100")


class ReviewSession(models.Model):
    class Kind(models.TextChoices):
        ANNUAL = "annual", _("年度综合考核（三述两评一问）")
        MIDYEAR = "midyear", _("年中述职讲评（述职+问政+评议）")
        CUSTOM = "custom", _("自定义")

    Status = lifecycle.Status  # and what each state allows: sessions/lifecycle.py

    # The tenant (docs/design.md, "District"): staff see a session only through a role in its
    # district. session_create puts a session made without naming one in the installation's
    # (org.services.default_district); no model default, which would query on every instance.
    district = models.ForeignKey(
        "org.District",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("区（县）"),
    )
    slug = models.SlugField(_("标识"), max_length=80, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.CUSTOM)
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    date = models.DateField(_("日期"), null=True, blank=True)
    venue = models.CharField(_("地点"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # 彩排 (docs/rehearsal.md): set while a rehearsal runs. Only this timestamp lives on the
    # session row, which every rater request reads; what the reset restores is kept apart, in
    # Rehearsal.
    rehearsal_started_at = models.DateTimeField(_("彩排开始时间"), null=True, blank=True)
    # The 通报 as an official document (GB/T 9704-2012, docs/results.md "通报 (official
    # format)"): its issuing body (red header), 文号, signatory, 抄送 and 印发 lines. A blank
    # one prints the district's name or a space to fill by hand.
    notice_issuer = models.CharField(_("发文机关"), max_length=100, blank=True)
    notice_number = models.CharField(_("发文字号"), max_length=60, blank=True)
    notice_signatory = models.CharField(_("落款（署名）"), max_length=100, blank=True)
    notice_copy_to = models.CharField(_("抄送"), max_length=300, blank=True)
    notice_printed_by = models.CharField(_("印发机关"), max_length=100, blank=True)

    class Meta:
        ordering = ["-year", "-date", "-id"]
        verbose_name = _("评议会")
        verbose_name_plural = _("评议会")
        permissions = [
            ("organise_session", _("组织评议会（配置、抽签、评议码、状态）")),
            ("moderate_session", _("主持会议（议程、问政）")),
            ("observe_session", _("监督查看（参与情况、审计日志、已发布结果）")),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("review:session_detail", args=[self.slug])

    @property
    def in_rehearsal(self) -> bool:
        return self.rehearsal_started_at is not None

    @property
    def allows(self) -> lifecycle.Allowed:
        """What the state allows, for templates (sessions/lifecycle.py)."""
        return lifecycle.Allowed(self)

    @property
    def is_editable(self) -> bool:
        """Units, categories, groups, weights, scheme and draws change only in draft (section 3)."""
        return lifecycle.can_edit_configuration(self)


class UnitCategory(models.Model):
    """单位类别; results are ranked within a category (section 4.7)."""

    class Side(models.TextChoices):
        # Used by the optional 交叉评议 rule (section 4.2): towns rate departments and vice versa.
        TOWN = "town", _("镇(街道)")
        DEPARTMENT = "department", _("部门")
        OTHER = "other", _("其他")

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("名称"), max_length=100)
    side = models.CharField(
        _("交叉评议归属"), max_length=16, choices=Side.choices, default=Side.OTHER
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("单位类别")
        verbose_name_plural = _("单位类别")
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="category_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A unit known to one session: the pool it draws from and the units that take part."""

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="units")
    category = models.ForeignKey(UnitCategory, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("名称"), max_length=100)
    # The unit as its district knows it across years: last year's rank is found through it
    # (docs/design.md, "OrgUnit"). Linked by name and category when the unit is made
    # (sessions.unit_services.unit_org_link).
    org_unit = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        related_name="session_units",
        verbose_name=_("单位（常设）"),
    )

    class Meta:
        ordering = ["category__order", "category_id", "name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="unit_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """述职单位: a unit taking part in one session."""

    class How(models.TextChoices):
        FIXED = "fixed", _("固定参加")
        DRAWN = "drawn", _("随机抽选")

    session = models.ForeignKey(
        ReviewSession, on_delete=models.CASCADE, related_name="participants"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="participations")
    how = models.CharField(_("参加方式"), max_length=8, choices=How.choices, default=How.FIXED)
    draw = models.ForeignKey(
        "Draw", null=True, blank=True, on_delete=models.SET_NULL, related_name="participants"
    )
    speaking_order = models.PositiveSmallIntegerField(_("发言顺序"), null=True, blank=True)

    class Meta:
        ordering = [models.F("speaking_order").asc(nulls_last=True), "unit__name"]
        verbose_name = _("述职单位")
        verbose_name_plural = _("述职单位")
        constraints = [
            models.UniqueConstraint(fields=["session", "unit"], name="participant_unit_unique"),
            models.UniqueConstraint(
                fields=["session", "speaking_order"],
                condition=Q(speaking_order__isnull=False),
                name="participant_speaking_order_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.unit.name


class Report(models.Model):
    """述职报告: one of the three reports (述职 / 述责 / 述廉) of one participant."""

    class Kind(models.TextChoices):
        WORK = "work", _("述职")
        RESPONSIBILITY = "responsibility", _("述责")
        INTEGRITY = "integrity", _("述廉")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("正文"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["participant", "kind"]
        verbose_name = _("述职报告")
        verbose_name_plural = _("述职报告")
        constraints = [
            models.UniqueConstraint(fields=["participant", "kind"], name="report_kind_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.get_kind_display()}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is random; the original name is kept in a field, never trusted as a path.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"reports/{instance.report.participant.session_id}/{uuid.uuid4().hex}.{suffix}"


class Attachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name


class RaterGroup(models.Model):
    """评议组 with its weight in the 综合评议 score (section 4.5)."""

    session = models.ForeignKey(
        ReviewSession, on_delete=models.CASCADE, related_name="rater_groups"
    )
    name = models.CharField(_("名称"), max_length=100)
    weight = models.DecimalField(
        _("权重"), max_digits=6, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    min_sample = models.PositiveSmallIntegerField(
        _("最少有效票数"), default=3, validators=[MinValueValidator(1)]
    )
    # 交叉评议 (section 4.2): which side this group's raters belong to.
    side = models.CharField(
        _("交叉评议归属"),
        max_length=16,
        choices=UnitCategory.Side.choices,
        default=UnitCategory.Side.OTHER,
    )
    # 现场问政: this group's credentials may ask questions and vote satisfaction
    # (两代表一委员 and the public panel, not the leaders and departments being reviewed).
    can_ask = models.BooleanField(_("可现场问政和满意度投票"), default=False)
    # The group the first tie-break compares (section 4.7), as data: never found by its name.
    is_leaders = models.BooleanField(_("县级领导组（同分比较）"), default=False)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("评议组")
        verbose_name_plural = _("评议组")
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="rater_group_name_unique"),
            models.UniqueConstraint(
                fields=["session"], condition=Q(is_leaders=True), name="one_leaders_group"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="rater_group_weight_gte_0"),
            models.CheckConstraint(
                condition=Q(min_sample__gte=1), name="rater_group_min_sample_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Credential(models.Model):
    """评议码: one person may rate once with it. The code is printed on a QR card."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("已作废")

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="credentials")
    group = models.ForeignKey(RaterGroup, on_delete=models.PROTECT, related_name="credentials")
    code = models.CharField(_("评议码"), max_length=16, unique=True)
    holder_name = models.CharField(_("持有人"), max_length=100, blank=True)
    holder_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credentials",
        verbose_name=_("所在单位"),
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    reissued_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reissued_as"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Set once, with the ballot, in one transaction (sessions/rating.py): the credential is used.
    submitted_at = models.DateTimeField(null=True, blank=True)
    receipt = models.CharField(_("回执码"), max_length=16, null=True, blank=True, unique=True)
    # A 彩排 code (docs/rehearsal.md): issued when a rehearsal starts, the only kind that rates,
    # asks or votes while it runs, and deleted with everything it touched by the reset.
    rehearsal = models.BooleanField(_("彩排评议码"), default=False)

    class Meta:
        ordering = ["group__order", "group_id", "id"]
        verbose_name = _("评议码")
        verbose_name_plural = _("评议码")

    def __str__(self) -> str:
        return self.code

    @property
    def rating_url(self) -> str:
        # The code goes after "#": browsers never send the fragment, so it reaches no access
        # log or Referer; the entry page's script posts it (docs/anonymity.md, "Logs").
        return f"{settings.SITE_URL}{reverse('rate:entry')}#{self.code}"


class Grade(models.TextChoices):
    """评价等次 (section 4.1). 弃权 is an answer on the form but not a vote in the score."""

    GOOD = "good", _("好")
    FAIRLY_GOOD = "fairly_good", _("较好")
    AVERAGE = "average", _("一般")
    POOR = "poor", _("差")
    ABSTAIN = "abstain", _("弃权")


class Ballot(models.Model):
    """评议表: one submitted form, from a tablet or keyed in from paper (纸质票).

    Anonymity: in an anonymous session nothing here points back at the credential, and
    so at a holder's name. The credential only records *that* it was used (its ``submitted_at``
    and ``receipt``), set in the same transaction that inserts the ballot under a row lock, so
    one credential gives at most one ballot. The primary key is random and there is no
    timestamp, so neither the id order nor the time can be matched against the credentials.
    In a named session (``ScoringScheme.anonymous`` off) ``credential`` is set and unique.
    """

    class Source(models.TextChoices):
        TABLET = "tablet", _("平板")
        PAPER = "paper", _("纸质票")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(ReviewSession, on_delete=models.PROTECT, related_name="ballots")
    group = models.ForeignKey(RaterGroup, on_delete=models.PROTECT, related_name="ballots")
    # The rater's own unit: never rated by this ballot (section 4.2).
    holder_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credential = models.OneToOneField(
        Credential, null=True, blank=True, on_delete=models.PROTECT, related_name="ballot"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.TABLET)
    paper_number = models.CharField(_("票号"), max_length=40, blank=True)
    # Ballot rules that flagged rather than rejected (section 4.9), e.g. ["max_good"].
    flags = models.JSONField(default=list, blank=True)
    void_reason = models.CharField(_("作废理由"), max_length=500, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("评议表")
        verbose_name_plural = _("评议表")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "paper_number"],
                condition=~Q(paper_number=""),
                name="ballot_paper_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.paper_number or str(self.pk)[:8]

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class BallotGrade(models.Model):
    """One grade on a submitted ballot: a unit, or a unit and criterion (section 4.3).

    Random ids, as for Ballot: increasing ids would give away the order in which ballots came
    in, and so, matched against Credential.submitted_at, who gave which grades."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="grades")
    # No index of their own on unit and criterion: every submission writes 40 of these rows,
    # and each index costs it (docs/benchmarks.md); nothing looks grades up by unit alone
    # (scoring reads them by ballot), so only deleting a unit would scan.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    criterion = models.ForeignKey(
        "Criterion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    grade = models.CharField(max_length=12, choices=Grade.choices)

    class Meta:
        verbose_name = _("评议表中的评价")
        verbose_name_plural = _("评议表中的评价")
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "unit"],
                condition=Q(criterion__isnull=True),
                name="ballot_grade_unit_unique",
            ),
            models.UniqueConstraint(
                fields=["ballot", "unit", "criterion"],
                condition=Q(criterion__isnull=False),
                name="ballot_grade_unit_criterion_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.criterion_id or '-'}={self.grade}"


class DraftGrade(models.Model):
    """A grade tapped but not yet submitted: saved on every tap so that a reload, a dropped
    connection or another tablet resumes where the rater left off. Deleted on submission."""

    # Drafts are read and deleted by credential; as for BallotGrade, no index of their own on
    # unit and criterion (one more write per tap for a lookup nothing makes).
    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="drafts")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_index=False)
    criterion = models.ForeignKey(
        "Criterion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    grade = models.CharField(max_length=12, choices=Grade.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("暂存评价")
        verbose_name_plural = _("暂存评价")
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "unit"],
                condition=Q(criterion__isnull=True),
                name="draft_grade_unit_unique",
            ),
            models.UniqueConstraint(
                fields=["credential", "unit", "criterion"],
                condition=Q(criterion__isnull=False),
                name="draft_grade_unit_criterion_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.criterion_id or '-'}={self.grade}"


class Criterion(models.Model):
    """A criterion of per-criterion rating (section 4.3), e.g. 工作实绩 50."""

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("名称"), max_length=100)
    weight = models.DecimalField(
        _("权重"), max_digits=6, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("评议指标")
        verbose_name_plural = _("评议指标")
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="criterion_name_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="criterion_weight_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name


def _percent_field(label, default):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
    )


def _score_field(label, default):
    return models.DecimalField(
        label,
        max_digits=6,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("1000"))],
    )


class ScoringScheme(models.Model):
    """计分办法: every rule of docs/design.md §4, stored per session, defaults as written there."""

    class RuleAction(models.TextChoices):
        OFF = "off", _("不启用")
        REJECT = "reject", _("拒收并提示")
        FLAG = "flag", _("接收并标记")

    session = models.OneToOneField(ReviewSession, on_delete=models.CASCADE, related_name="scheme")

    # 4.1 grade values
    value_good = _score_field(_("好"), "100")
    value_fairly_good = _score_field(_("较好"), "80")
    value_average = _score_field(_("一般"), "60")
    value_poor = _score_field(_("差"), "40")

    # 4.2 who may rate whom
    cross_rating = models.BooleanField(_("交叉评议（镇街只评部门，部门只评镇街）"), default=False)

    # 4.3 trimmed mean
    trimmed_mean = models.BooleanField(_("去掉一个最高值和一个最低值"), default=False)
    trim_above = models.PositiveSmallIntegerField(_("票数多于此值时去极值"), default=5)

    # 4.4 minimum sample: the default for new rater groups
    default_min_sample = models.PositiveSmallIntegerField(
        _("默认最少有效票数"), default=3, validators=[MinValueValidator(1)]
    )

    # 4.6 components (percent of the total; must sum to 100) and 加减分
    weight_review = _percent_field(_("综合评议"), "100")
    weight_target = _percent_field(_("目标考核"), "0")
    weight_daily = _percent_field(_("日常考核"), "0")
    weight_satisfaction = _percent_field(_("问政满意度"), "0")
    weight_leader_comment = _percent_field(_("书面点评"), "0")
    apply_bonus = models.BooleanField(_("计入加减分"), default=True)

    # 4.7 tie-breaks, in this order
    tie_break_leaders = models.BooleanField(_("同分时比较县级领导组得分"), default=False)
    tie_break_good_share = models.BooleanField(_("同分时比较“好”票占比"), default=False)

    # 4.8 bands and the cap on 优秀
    band_excellent = _score_field(_("优秀分数线"), "90")
    band_good = _score_field(_("良好分数线"), "80")
    band_average = _score_field(_("一般分数线"), "70")
    excellent_cap_enabled = models.BooleanField(_("限制优秀比例"), default=True)
    excellent_cap_percent = _percent_field(_("优秀比例上限（%）"), "30")

    # 4.9 ballot rules
    max_good_percent = models.DecimalField(
        _("单张票“好”的比例上限（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
    )
    max_good_action = models.CharField(
        _("超过上限时"), max_length=8, choices=RuleAction.choices, default=RuleAction.OFF
    )
    identical_grades_action = models.CharField(
        _("所有单位评价相同时"), max_length=8, choices=RuleAction.choices, default=RuleAction.OFF
    )

    # 4.11 问政满意度 as a score
    value_satisfied = _score_field(_("满意"), "100")
    value_basically_satisfied = _score_field(_("基本满意"), "70")
    value_dissatisfied = _score_field(_("不满意"), "30")

    # Anonymous mode: nothing stored links a ballot to a person's name.
    anonymous = models.BooleanField(_("匿名评议"), default=True)

    # The rater-bias report's flags never change a score (docs/design.md §4.14); the scheme
    # says in advance whether a flag is also noted in the 通报.
    class BiasFlagAction(models.TextChoices):
        NOTHING = "nothing", _("仅供参考，不作处理")
        NOTE = "note", _("在通报中注明")

    bias_flag_action = models.CharField(
        _("评议偏差提示的处理"),
        max_length=8,
        choices=BiasFlagAction.choices,
        default=BiasFlagAction.NOTHING,
    )

    class Meta:
        verbose_name = _("计分办法")
        verbose_name_plural = _("计分办法")
        constraints = [
            models.CheckConstraint(
                condition=Q(band_excellent__gte=models.F("band_good"))
                & Q(band_good__gte=models.F("band_average")),
                name="scheme_bands_descending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} 计分办法"

    COMPONENT_FIELDS = (
        "weight_review",
        "weight_target",
        "weight_daily",
        "weight_satisfaction",
        "weight_leader_comment",
    )

    @property
    def component_weight_total(self) -> Decimal:
        return sum((getattr(self, name) for name in self.COMPONENT_FIELDS), ZERO)


class Draw(models.Model):
    """随机抽选: a recorded random selection, reproducible from its seed (see sessions/draws.py)."""

    class Kind(models.TextChoices):
        PARTICIPANTS = "participants", _("抽选述职单位")
        SPEAKING_ORDER = "speaking_order", _("抽签确定发言顺序")

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="draws")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    seed = models.CharField(_("随机种子"), max_length=40)
    # Names, in the canonical order the algorithm reads them: enough to reproduce the draw even
    # if units are later renamed or removed.
    pool = models.JSONField(_("候选池"))
    pool_categories = models.JSONField(_("候选类别"), default=list)
    count = models.PositiveSmallIntegerField(_("抽取数量"))
    result = models.JSONField(_("结果"))
    # A participant draw over several pools, each with its own quota, in the order the algorithm
    # reads them: [{"label", "categories", "pool", "count", "result"}, …]. ``pool``, ``count`` and
    # ``result`` above then hold the union, the total and the concatenation. Empty for draws made
    # before pools existed, which reproduce as a single pool (sessions/draws.py).
    pools = models.JSONField(_("分池"), default=list, blank=True)
    algorithm = models.CharField(max_length=40)
    # 抽签人: who drew on stage, as the minutes name them ("城关镇党委书记 张三"); the account that
    # pressed the button is ``created_by``. Blank only on draws recorded before it was asked.
    drawn_by = models.CharField(_("抽签人"), max_length=100, blank=True)
    superseded = models.BooleanField(_("已被重新抽选取代"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("随机抽选")
        verbose_name_plural = _("随机抽选")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.seed}"


class AuditLog(models.Model):
    """Who did what, when (section 3): every transition and every change of configuration."""

    session = models.ForeignKey(
        ReviewSession, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too: the entry must still say who even if the account is deleted.
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=60, db_index=True)
    message = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class Rehearsal(models.Model):
    """The rehearsal under way (docs/rehearsal.md): who started it, and the session's rows as
    they were at the start, which the reset puts back exactly. Deleted by the reset."""

    session = models.OneToOneField(
        ReviewSession, on_delete=models.CASCADE, related_name="rehearsal"
    )
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_label = models.CharField(max_length=150)
    # The highest audit entry id at the start: entries above it were written in rehearsal.
    audit_mark = models.BigIntegerField(default=0)
    # Django's serialisation of the session row and of every row hanging off it.
    snapshot = models.JSONField()

    class Meta:
        verbose_name = _("彩排")
        verbose_name_plural = _("彩排")

    def __str__(self) -> str:
        return f"{self.session} 彩排 {self.started_at:%Y-%m-%d %H:%M}"


class SessionTemplate(models.Model):
    """A district's 年度 / 年中 / 自定义 template: the title a new session gets after its year
    and the categories and rater groups it starts with (docs/design.md, "District"). Made from
    the built-in presets (sessions/presets.py) the first time a district needs one; its
    organisers change it on the templates page."""

    district = models.ForeignKey(
        "org.District", on_delete=models.CASCADE, related_name="session_templates"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=ReviewSession.Kind.choices)
    title = models.CharField(_("名称"), max_length=200)
    # [{"name": "镇(街道)", "side": "town"}, …] in order.
    categories = models.JSONField(_("单位类别"), default=list)
    # [{"name": "县级领导", "weight": "40", "side": "other", "can_ask": false,
    #   "is_leaders": true}, …] in order.
    groups = models.JSONField(_("评议组"), default=list)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["district_id", "kind"]
        verbose_name = _("评议会模板")
        verbose_name_plural = _("评议会模板")
        constraints = [
            models.UniqueConstraint(fields=["district", "kind"], name="session_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.district} {self.get_kind_display()}"
