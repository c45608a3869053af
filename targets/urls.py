"""目标管理 pages under /targets/<district code>/<year>/ (docs/targets.md, "Pages").

Each part of the app keeps its own URL list beside its views; this file only joins them.
"""

from django.urls import path

from .views import home, notices, reports, results

app_name = "targets"

urlpatterns = [
    path("", home.home, name="home"),
    *reports.urlpatterns,
    *notices.urlpatterns,
    *results.urlpatterns,
]
