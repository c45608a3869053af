"""议程 and the moderator's console under /sessions/<slug>/ (namespace "meeting")."""

from django.urls import path

from .views import agenda as views

urlpatterns = [
    path("<slug:slug>/agenda/", views.agenda_page, name="agenda"),
    path("<slug:slug>/agenda/generate/", views.agenda_generate, name="agenda_generate"),
    path("<slug:slug>/agenda/add/", views.agenda_item_add, name="agenda_item_add"),
    path("<slug:slug>/agenda/<int:item_id>/edit/", views.agenda_item_edit, name="agenda_item_edit"),
    path(
        "<slug:slug>/agenda/<int:item_id>/delete/",
        views.agenda_item_delete,
        name="agenda_item_delete",
    ),
    path("<slug:slug>/agenda/<int:item_id>/move/", views.agenda_item_move, name="agenda_item_move"),
    path("<slug:slug>/console/", views.console, name="console"),
    path(
        "<slug:slug>/console/items/<int:item_id>/timer/",
        views.console_timer,
        name="console_timer",
    ),
    path("<slug:slug>/console/next/", views.console_next, name="console_next"),
    path("<slug:slug>/console/screen/", views.console_screen, name="console_screen"),
    path(
        "<slug:slug>/console/screen/renew/",
        views.console_screen_renew,
        name="console_screen_renew",
    ),
]
