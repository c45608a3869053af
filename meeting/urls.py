"""Staff pages of the live meeting under /sessions/<slug>/ (included by huiji_review/urls.py).
Each part of the meeting keeps its own URL list beside its views."""

from .urls_agenda import urlpatterns as agenda_urls
from .urls_followups import urlpatterns as follow_up_urls
from .urls_questions import urlpatterns as question_urls

app_name = "meeting"

urlpatterns = [*agenda_urls, *question_urls, *follow_up_urls]
