"""The four status colours (docs/design.md §1) that 督办事项 (meeting) and 重点项目 (projects)
both use: one enum below both apps, so neither imports the other for it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Colour(models.TextChoices):
    """The four status colours of 督办事项 and 重点项目 (docs/design.md §1)."""

    GREEN = "green", _("绿")
    BLUE = "blue", _("蓝")
    YELLOW = "yellow", _("黄")
    RED = "red", _("红")
