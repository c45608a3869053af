"""表彰 pages under /awards/ (docs/awards.md, "Pages")."""

from django.urls import path

from . import views

app_name = "awards"

PREFIX = "<slug:district>/<int:year>/"
PROGRAMME = PREFIX + "<int:pk>/"

urlpatterns = [
    path("", views.home, name="home"),
    path(PREFIX, views.programme_list, name="programmes"),
    path(PREFIX + "new/", views.programme_edit, name="programme_new"),
    path(PREFIX + "final/", views.final_list, name="final"),
    path(PREFIX + "decision/", views.decision, name="decision"),
    path(PROGRAMME, views.programme_detail, name="programme"),
    path(PROGRAMME + "edit/", views.programme_edit, name="programme_edit"),
    path(PROGRAMME + "compute/", views.compute, name="compute"),
    path(PROGRAMME + "persons/", views.person_add, name="person_add"),
    path(
        PROGRAMME + "nominations/<int:nomination>/withdraw/",
        views.nomination_withdraw,
        name="withdraw",
    ),
    path(PROGRAMME + "publicise/", views.publicise, name="publicise"),
    path(PROGRAMME + "publicity/", views.publicity, name="publicity"),
    path(PROGRAMME + "objections/", views.objections, name="objections"),
    path(
        PROGRAMME + "objections/<int:objection>/decide/",
        views.objection_decide,
        name="objection_decide",
    ),
    path(PROGRAMME + "finalise/", views.finalise, name="finalise"),
    path(PROGRAMME + "decision.pdf", views.decision_pdf, name="decision_pdf"),
]
