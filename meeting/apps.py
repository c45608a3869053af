from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingConfig(AppConfig):
    """The live meeting in the hall: agenda and timer, 现场问政 with satisfaction
    votes, 督办事项 and the big screen. Its own app because sessions/ is the configuration and
    the ballots; this is what happens on stage (docs/design.md §7)."""

    name = "meeting"
    verbose_name = _("会议现场")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The unit's ledger in targets asks for open commitments through org's signal
        # (docs/targets.md, "The ledger (台账)"); this app answers with its 督办事项.
        from org.ledger import open_commitments

        from .ledger import open_follow_ups

        open_commitments.connect(open_follow_ups, dispatch_uid="meeting.open_follow_ups")
