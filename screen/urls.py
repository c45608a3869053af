"""The projector's read-only pages under /screen/<token>/."""

from django.urls import path

from . import views

app_name = "screen"

urlpatterns = [
    path("<str:token>/", views.screen, name="screen"),
    path("<str:token>/state/", views.screen_state, name="state"),
]
