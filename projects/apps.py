from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    """重点项目: key projects with milestones and a status colour."""

    name = "projects"
    label = "projects"
    verbose_name = _("重点项目")
    default_auto_field = "django.db.models.BigAutoField"
