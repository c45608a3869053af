from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    # Django's own django.contrib.sessions owns the label "sessions" (docs/design.md §7).
    name = "sessions"
    label = "review"
    verbose_name = _("述职评议")
    default_auto_field = "django.db.models.BigAutoField"
