from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    """目标管理: the year's targets, broken down to the district's units (docs/targets.md)."""

    name = "targets"
    label = "targets"
    verbose_name = _("目标管理")
    default_auto_field = "django.db.models.BigAutoField"
