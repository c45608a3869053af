from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreenConfig(AppConfig):
    """The projector's big screen: it shows the meeting (sessions, meeting), the projects'
    slideshow and the published ranking (scoring), so it sits above all of them
    (docs/architecture.md)."""

    name = "screen"
    verbose_name = _("大屏")
