"""Results pages under /sessions/<slug>/ (included by huiji_review/urls.py beside the review
app's own pages)."""

from django.urls import path

from . import views, views_analysis, views_audit, views_pdf

app_name = "scoring"

urlpatterns = [
    # --- 评议结果 ---
    path("<slug:slug>/results/", views.results, name="results"),
    path("<slug:slug>/results/sensitivity/", views.sensitivity, name="sensitivity"),
    path("<slug:slug>/results/analysis/", views_analysis.analysis_panel, name="analysis"),
    path("<slug:slug>/results/verify/", views.verify, name="verify"),
    path("<slug:slug>/results/publish/", views.publish, name="publish"),
    path("<slug:slug>/results/correct/", views.correct, name="correct"),
    path("<slug:slug>/results/units/<int:unit_id>/", views.report_card, name="report_card"),
    path("<slug:slug>/results/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<slug:slug>/results/export.pdf", views_pdf.export_pdf, name="export_pdf"),
    path("<slug:slug>/results/export.pdf/<uuid:job_id>/", views_pdf.pdf_job, name="pdf_job"),
    path(
        "<slug:slug>/results/export.pdf/<uuid:job_id>/download/",
        views_pdf.pdf_job_download,
        name="pdf_job_download",
    ),
    path("<slug:slug>/results/audit-pack.zip", views_audit.audit_pack_download, name="audit_pack"),
    path("<slug:slug>/results/notice.pdf", views.export_official_pdf, name="export_official_pdf"),
    # --- 其他考核 ---
    path("<slug:slug>/scores/", views.scores, name="scores"),
    path("<slug:slug>/scores/import/", views.scores_import, name="scores_import"),
    path("<slug:slug>/scores/targets/", views.scores_targets, name="scores_targets"),
    path("<slug:slug>/scores/template.xlsx", views.scores_template, name="scores_template"),
    path("<slug:slug>/scores/<int:unit_id>/", views.score_row, name="score_row"),
    path("<slug:slug>/scores/<int:unit_id>/edit/", views.score_edit, name="score_edit"),
]
