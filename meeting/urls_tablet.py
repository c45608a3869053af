"""A representative's tablet pages under /r/<code>/ (beside the rating form): ask, vote."""

from django.urls import path  # noqa: F401

app_name = "tablet"

urlpatterns = []
