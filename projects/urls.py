"""重点项目 pages under /sessions/<slug>/projects/ (included beside the review app's pages)."""

from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("<slug:slug>/projects/", views.board, name="board"),
    path("<slug:slug>/projects/import/", views.project_import, name="import"),
    path("<slug:slug>/projects/projects.xlsx", views.project_template, name="template"),
    path("<slug:slug>/projects/recolour/", views.recolour, name="recolour"),
    path("<slug:slug>/projects/rule/", views.rule_settings, name="rule"),
    path("<slug:slug>/projects/slides/", views.slides, name="slides"),
    path("<slug:slug>/projects/<int:pk>/", views.detail, name="detail"),
    path("<slug:slug>/projects/<int:pk>/updates/", views.update_add, name="update_add"),
    path("<slug:slug>/projects/<int:pk>/colour/", views.colour, name="colour"),
    path(
        "<slug:slug>/projects/<int:pk>/milestones/<int:milestone_id>/",
        views.milestone_done,
        name="milestone_done",
    ),
]
