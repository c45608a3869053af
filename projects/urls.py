"""重点项目 pages under /sessions/<slug>/projects/."""

from django.urls import path  # noqa: F401

app_name = "projects"

urlpatterns = []
