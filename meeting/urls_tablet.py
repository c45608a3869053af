"""A representative's tablet pages under /r/live/ (beside the rating form): ask, vote. The card
is the cookie the rating pages set (sessions/views/card.py); no code is in any path."""

from django.urls import path

from .views import tablet as views

app_name = "tablet"

urlpatterns = [
    path("live/", views.live, name="live"),
    path("live/ask/", views.ask, name="ask"),
    path("live/vote/", views.vote, name="vote"),
    path("live/vote/panel/", views.vote_panel, name="vote_panel"),
]
