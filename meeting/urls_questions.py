"""现场问政: the moderator's queue under /sessions/<slug>/questions/ (meeting/views/questions.py)."""

from django.urls import path

from .views import questions as views

urlpatterns = [
    path("<slug:slug>/questions/", views.question_list, name="questions"),
    path("<slug:slug>/questions/board/", views.board, name="questions_board"),
    path("<slug:slug>/questions/add/", views.question_add, name="question_add"),
    path("<slug:slug>/questions/rechecks/", views.recheck_list, name="rechecks"),
    path("<slug:slug>/questions/rechecks/add/", views.recheck_add, name="recheck_add"),
    path(
        "<slug:slug>/questions/<int:question_id>/approve/",
        views.question_approve,
        name="question_approve",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/edit/",
        views.question_edit,
        name="question_edit",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/reject/",
        views.question_reject,
        name="question_reject",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/merge/",
        views.question_merge,
        name="question_merge",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/move/", views.question_move, name="question_move"
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/screen/",
        views.question_screen,
        name="question_screen",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/answered/",
        views.question_answered,
        name="question_answered",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/vote/open/",
        views.vote_open,
        name="question_vote_open",
    ),
    path(
        "<slug:slug>/questions/<int:question_id>/vote/close/",
        views.vote_close,
        name="question_vote_close",
    ),
]
