"""重点项目 (docs/design.md §1 and §2).

- KeyProject: one project of a session, with its owner unit (责任单位), category, actual
  progress, a 停滞 flag and a status colour, set by the rule (projects/rules.py) or by hand.
- Milestone (时间节点): a planned date with the progress planned by then, and when it was done.
- ProjectUpdate (进展): text, an optional new actual progress, photo and video links.
- ColourChange: every change of a project's colour, the first one (at import) included.
- ProjectRule: the thresholds of the colour rule, one row per session, created on first use.

Models hold data and constraints only; every write goes through projects/services.py.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.colours import Colour
from sessions.models import ReviewSession, Unit

ZERO, HUNDRED = Decimal("0"), Decimal("100")
# Photo and video links open in the staff's browser and on the big screen: web links only.
WEB_URL = URLValidator(schemes=["http", "https"])


class WebURLField(models.URLField):
    """A URLField that accepts http and https only (the stock one also takes ftp)."""

    default_validators = [WEB_URL]


def _percent_field(label, **kwargs):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
        **kwargs,
    )


class ProjectRule(models.Model):
    """The colour rule's thresholds (projects/rules.py), in percentage points of progress.

    ``as_of`` is the date the board's colours were last computed for (by an import or a
    recolour); a later update recolours its project as of the same date, so that every colour
    on the board is read at one date."""

    session = models.OneToOneField(
        ReviewSession, on_delete=models.CASCADE, related_name="project_rule"
    )
    yellow_behind = _percent_field(_("黄：落后超过（百分点）"), default=Decimal("10"))
    red_behind = _percent_field(_("红：落后超过（百分点）"), default=Decimal("30"))
    as_of = models.DateField(_("颜色计算日期"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("项目颜色规则")
        verbose_name_plural = _("项目颜色规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(yellow_behind__lte=models.F("red_behind")),
                name="project_rule_yellow_not_above_red",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} {self.yellow_behind}/{self.red_behind}"


class KeyProject(models.Model):
    """重点项目. ``stalled`` (停工/停滞) is a flag staff set (in the workbook or with an update),
    not derived from dates: a project is stalled when its owner says so, and it is red then."""

    class SetBy(models.TextChoices):
        RULE = "rule", _("按规则")
        MANUAL = "manual", _("手动")

    session = models.ForeignKey(
        ReviewSession, on_delete=models.CASCADE, related_name="key_projects"
    )
    # RESTRICT, not PROTECT: a unit owning projects cannot be deleted on its own, but deleting
    # the whole session (which cascades to both) still works.
    unit = models.ForeignKey(
        Unit, on_delete=models.RESTRICT, related_name="key_projects", verbose_name=_("责任单位")
    )
    code = models.CharField(_("项目编号"), max_length=40)
    name = models.CharField(_("项目名称"), max_length=200)
    category = models.CharField(_("项目类别"), max_length=50)
    actual_progress = _percent_field(_("实际进度(%)"), default=ZERO)
    stalled = models.BooleanField(_("停滞"), default=False)
    colour = models.CharField(_("颜色"), max_length=8, choices=Colour.choices)
    colour_set_by = models.CharField(
        _("颜色来源"), max_length=8, choices=SetBy.choices, default=SetBy.RULE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Moved by every write that changes what a slide shows (screen.signature reads it).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session", "code"]
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        constraints = [
            models.UniqueConstraint(fields=["session", "code"], name="key_project_code_unique"),
            models.CheckConstraint(
                condition=Q(actual_progress__gte=0, actual_progress__lte=100),
                name="key_project_progress_0_100",
            ),
        ]
        indexes = [models.Index(fields=["session", "colour"], name="key_project_session_colour")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_manual(self) -> bool:
        return self.colour_set_by == self.SetBy.MANUAL


class Milestone(models.Model):
    """时间节点: by ``planned_date`` the project should reach ``planned_progress``."""

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("节点"), max_length=100)
    planned_date = models.DateField(_("计划日期"))
    planned_progress = _percent_field(_("计划进度(%)"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        ordering = ["project", "planned_date", "order"]
        verbose_name = _("时间节点")
        verbose_name_plural = _("时间节点")
        constraints = [
            models.UniqueConstraint(fields=["project", "order"], name="milestone_order_unique"),
            models.CheckConstraint(
                condition=Q(planned_progress__gte=0, planned_progress__lte=100),
                name="milestone_progress_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.name}"


class ProjectUpdate(models.Model):
    """进展: what happened, with evidence links; ``progress`` and ``stalled`` are set when the
    update changed them (None: unchanged)."""

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("进展情况"), max_length=2000)
    progress = _percent_field(_("实际进度(%)"), null=True, blank=True)
    stalled = models.BooleanField(_("停滞"), null=True, blank=True)
    photo_url = WebURLField(_("照片链接"), max_length=500, blank=True)
    video_url = WebURLField(_("视频链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("项目进展")
        verbose_name_plural = _("项目进展")

    def __str__(self) -> str:
        return f"{self.project.code} {self.created_at:%Y-%m-%d}"


class ColourChange(models.Model):
    """One change of a project's colour. ``from_colour`` is blank for the first colour (the
    import); ``by_rule`` says whether the rule or a person chose ``to_colour``. Setting or
    clearing a manual colour is recorded even when the colour stays the same."""

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="colour_changes")
    from_colour = models.CharField(max_length=8, choices=Colour.choices, blank=True)
    to_colour = models.CharField(max_length=8, choices=Colour.choices)
    by_rule = models.BooleanField()
    reason = models.CharField(_("原因"), max_length=500)
    as_of = models.DateField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("颜色变更")
        verbose_name_plural = _("颜色变更")

    def __str__(self) -> str:
        return f"{self.project.code} {self.from_colour}→{self.to_colour}"
