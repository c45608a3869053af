from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    label = "org"
    verbose_name = _("区与单位")
    default_auto_field = "django.db.models.BigAutoField"
