from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingConfig(AppConfig):
    """The live meeting in the hall: agenda and timer, 现场问政 with satisfaction
    votes, 督办事项 and the big screen. Its own app because sessions/ is the configuration and
    the ballots; this is what happens on stage (docs/design.md §7)."""

    name = "meeting"
    verbose_name = _("会议现场")
    default_auto_field = "django.db.models.BigAutoField"
