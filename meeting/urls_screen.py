"""The projector's read-only pages under /screen/<token>/."""

from django.urls import path  # noqa: F401

app_name = "screen"

urlpatterns = []
