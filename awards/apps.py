from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    """表彰: award programmes, their nominations from published results, 公示 and the
    decision (docs/awards.md)."""

    name = "awards"
    label = "awards"
    verbose_name = _("表彰")
    default_auto_field = "django.db.models.BigAutoField"
