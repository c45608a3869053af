"""督办事项 (meeting/views/followups.py), under /sessions/<slug>/."""

from django.urls import path

from .views import followups

urlpatterns = [
    path("<slug:slug>/follow-ups/", followups.follow_ups, name="follow_ups"),
    path("<slug:slug>/follow-ups/new/", followups.follow_up_create, name="follow_up_create"),
    path(
        "<slug:slug>/follow-ups/units/<int:unit_id>/",
        followups.follow_ups_unit,
        name="follow_ups_unit",
    ),
    path(
        "<slug:slug>/follow-ups/<int:follow_up_id>/",
        followups.follow_up_detail,
        name="follow_up_detail",
    ),
    path(
        "<slug:slug>/follow-ups/<int:follow_up_id>/edit/",
        followups.follow_up_edit,
        name="follow_up_edit",
    ),
    path(
        "<slug:slug>/follow-ups/updates/<int:update_id>/file/",
        followups.follow_up_file,
        name="follow_up_file",
    ),
]
