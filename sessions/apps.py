from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    # Django's own django.contrib.sessions owns the label "sessions" (DESIGN.md section 7).
    name = "sessions"
    label = "review"
    verbose_name = _("述职评议")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.roles import ensure_role_groups

        # Permissions exist only after post_migrate has created them, hence not a data migration.
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="review_role_groups")
