"""Districts, the units that persist across years, and who works in which district
(docs/design.md, "District" and "OrgUnit").

A district (区) is the tenant: one installation may serve a city's districts, and nobody sees
another district's sessions unless given a role there (a Membership). An OrgUnit is a unit as
the district knows it year after year — a stable code, its names over time, whether it is a
town or a department — and every session's Unit points at one, so last year's rank is found
through the OrgUnit, never by matching names.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    # How the district's own documents name its offices (docs/targets.md, "Notices"; docs/awards.md,
    # "公示"): blank, the generic wording ("<district>督查室", "区委组织部、区委督查室").
    supervision_office = models.CharField(
        _("督查室全称"),
        max_length=100,
        blank=True,
        help_text=_("督办单、警示单、诫勉谈话的落款和报送对象，如“中共郑州市惠济区委督查室”。"),
    )
    objection_office = models.CharField(
        _("公示异议受理单位"),
        max_length=200,
        blank=True,
        help_text=_("表彰公示中受理异议的单位，如“区委组织部、区委督查室（电话 …）”。"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("区（县）")
        verbose_name_plural = _("区（县）")

    def __str__(self) -> str:
        return self.name

    @property
    def supervision_office_name(self) -> str:
        return self.supervision_office or _("%(district)s督查室") % {"district": self.name}

    @property
    def objection_office_name(self) -> str:
        return self.objection_office or _("区委组织部、区委督查室")


class OrgUnit(models.Model):
    """单位（常设）: one unit of a district across sessions and years."""

    class Kind(models.TextChoices):
        # The same three sides as a session's categories and rater groups (交叉评议).
        TOWN = "town", _("镇(街道)")
        DEPARTMENT = "department", _("部门")
        OTHER = "other", _("其他")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(_("单位代码"), max_length=40)
    name = models.CharField(_("现名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    # The category the unit is usually ranked in; a session may place it elsewhere.
    category = models.CharField(_("常用类别"), max_length=100, blank=True)
    active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["district_id", "code"]
        verbose_name = _("单位（常设）")
        verbose_name_plural = _("单位（常设）")
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="org_unit_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class OrgUnitName(models.Model):
    """A name the unit has gone by, and the first year a session used it (name history)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(_("名称"), max_length=100)
    since = models.PositiveSmallIntegerField(_("启用年度"), null=True, blank=True)

    class Meta:
        ordering = ["unit_id", "since", "id"]
        verbose_name = _("单位曾用名")
        verbose_name_plural = _("单位曾用名")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="org_unit_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff member's role in one district: what they may see and do there, and nowhere else."""

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("组织者")
        MODERATOR = "moderator", _("主持人")
        OBSERVER = "observer", _("观察员")
        # 督查室: the supervising office of the year's targets (docs/targets.md, "Reports").
        OFFICE = "office", _("督查室")
        # 单位填报员: reports one unit's progress on its targets and sees nothing else; not a
        # staff role (it opens no session), so it names its unit.
        LIAISON = "liaison", _("单位填报员")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="liaisons",
        verbose_name=_("所属单位"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["district_id", "role", "user_id"]
        verbose_name = _("区内角色")
        verbose_name_plural = _("区内角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "district", "role"], name="membership_unique"),
            # A liaison reports for exactly one unit; no other role is bound to a unit.
            models.CheckConstraint(
                condition=models.Q(role="liaison", org_unit__isnull=False)
                | (~models.Q(role="liaison") & models.Q(org_unit__isnull=True)),
                name="membership_liaison_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} @ {self.district}"

    def clean(self):
        if self.org_unit_id and self.org_unit.district_id != self.district_id:
            raise ValidationError(_("填报员所属单位须属于同一区（县）。"))
