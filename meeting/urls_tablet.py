"""A representative's tablet pages under /r/<code>/ (beside the rating form): ask, vote."""

from django.urls import path

from .views import tablet as views

app_name = "tablet"

urlpatterns = [
    path("<str:code>/live/", views.live, name="live"),
    path("<str:code>/live/ask/", views.ask, name="ask"),
    path("<str:code>/live/vote/", views.vote, name="vote"),
    path("<str:code>/live/vote/panel/", views.vote_panel, name="vote_panel"),
]
