from django.urls import path

from .views import credentials as credential_views
from .views import imports as import_views
from .views import monitor as monitor_views
from .views import paper as paper_views
from .views import rehearsal as rehearsal_views
from .views import scheme as scheme_views
from .views import sessions as views
from .views import templates as template_views

app_name = "review"

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("new/", views.session_create, name="session_create"),
    path("import/", import_views.session_import, name="session_import"),
    # Under new/ so that no session slug can shadow them.
    path("new/templates/", template_views.template_list, name="template_list"),
    path(
        "new/templates/<slug:district>/<str:kind>/",
        template_views.template_edit,
        name="template_edit",
    ),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("<slug:slug>/", views.session_detail, name="session_detail"),
    path("<slug:slug>/edit/", views.session_edit, name="session_edit"),
    path("<slug:slug>/status/<str:target>/", views.session_transition, name="session_transition"),
    path("<slug:slug>/audit/", views.audit_log, name="audit_log"),
    path("<slug:slug>/rehearsal/start/", rehearsal_views.rehearsal_start, name="rehearsal_start"),
    path("<slug:slug>/rehearsal/reset/", rehearsal_views.rehearsal_reset, name="rehearsal_reset"),
    path("<slug:slug>/units/", views.units, name="units"),
    path("<slug:slug>/units/add/", views.unit_add, name="unit_add"),
    path("<slug:slug>/units/participant/", views.participant_toggle, name="participant_toggle"),
    path("<slug:slug>/units/<int:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("<slug:slug>/units/<int:unit_id>/delete/", views.unit_delete, name="unit_delete"),
    path("<slug:slug>/categories/add/", views.category_add, name="category_add"),
    path(
        "<slug:slug>/categories/<int:category_id>/edit/", views.category_edit, name="category_edit"
    ),
    path(
        "<slug:slug>/categories/<int:category_id>/delete/",
        views.category_delete,
        name="category_delete",
    ),
    path("<slug:slug>/groups/", views.groups, name="groups"),
    path("<slug:slug>/groups/add/", views.group_add, name="group_add"),
    path("<slug:slug>/groups/<int:group_id>/edit/", views.group_edit, name="group_edit"),
    path("<slug:slug>/groups/<int:group_id>/delete/", views.group_delete, name="group_delete"),
    path("<slug:slug>/draws/", views.draw_page, name="draws"),
    path("<slug:slug>/draws/participants/", views.draw_participants, name="draw_participants"),
    path("<slug:slug>/draws/order/", views.draw_speaking_order, name="draw_speaking_order"),
    path("<slug:slug>/draws/<int:draw_id>/", views.draw_detail, name="draw_detail"),
    path(
        "<slug:slug>/participants/<int:participant_id>/",
        views.participant_reports,
        name="participant_reports",
    ),
    path(
        "<slug:slug>/participants/<int:participant_id>/attachments/",
        views.attachment_add,
        name="attachment_add",
    ),
    path(
        "<slug:slug>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "<slug:slug>/attachments/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    # --- workbook import (sessions/views/imports.py) ---
    path("<slug:slug>/import/", import_views.session_import_into, name="session_import_into"),
    # --- monitor (sessions/views/monitor.py) ---
    path("<slug:slug>/monitor/", monitor_views.monitor, name="monitor"),
    path("<slug:slug>/monitor/fragment/", monitor_views.monitor_fragment, name="monitor_fragment"),
    path(
        "<slug:slug>/monitor/blocks/<str:address>/lift/",
        monitor_views.wrong_code_unblock,
        name="wrong_code_unblock",
    ),
    path("<slug:slug>/ballots/", monitor_views.ballot_list, name="ballots"),
    path(
        "<slug:slug>/ballots/<uuid:ballot_id>/", monitor_views.ballot_detail, name="ballot_detail"
    ),
    # --- paper ballots (sessions/views/paper.py) ---
    path("<slug:slug>/paper/", paper_views.paper_ballots, name="paper_ballots"),
    path("<slug:slug>/paper/template.xlsx", paper_views.paper_template, name="paper_template"),
    # --- credentials (sessions/views/credentials.py) ---
    path("<slug:slug>/credentials/", credential_views.credential_list, name="credentials"),
    path(
        "<slug:slug>/credentials/generate/",
        credential_views.credential_generate,
        name="credential_generate",
    ),
    path(
        "<slug:slug>/credentials/per-unit/",
        credential_views.credential_generate_per_unit,
        name="credential_generate_per_unit",
    ),
    path(
        "<slug:slug>/credentials/cards.pdf",
        credential_views.credential_cards,
        name="credential_cards",
    ),
    path(
        "<slug:slug>/credentials/cards/<uuid:job_id>/",
        credential_views.credential_cards_job,
        name="credential_cards_job",
    ),
    path(
        "<slug:slug>/credentials/cards/<uuid:job_id>/download/",
        credential_views.credential_cards_job_download,
        name="credential_cards_job_download",
    ),
    path(
        "<slug:slug>/credentials/<int:credential_id>/revoke/",
        credential_views.credential_revoke,
        name="credential_revoke",
    ),
    path(
        "<slug:slug>/credentials/<int:credential_id>/reissue/",
        credential_views.credential_reissue,
        name="credential_reissue",
    ),
    # --- 计分办法 (sessions/views/scheme.py) ---
    path("<slug:slug>/scheme/", scheme_views.scheme, name="scheme"),
    path("<slug:slug>/scheme/words/", scheme_views.scheme_words, name="scheme_words"),
    path("<slug:slug>/scheme/criteria/add/", scheme_views.criterion_add, name="criterion_add"),
    path(
        "<slug:slug>/scheme/criteria/<int:criterion_id>/edit/",
        scheme_views.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "<slug:slug>/scheme/criteria/<int:criterion_id>/delete/",
        scheme_views.criterion_delete,
        name="criterion_delete",
    ),
]
