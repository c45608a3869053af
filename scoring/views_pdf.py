"""导出 PDF（工作稿）: the result with a report card per unit, made off the request
(docs/results.md, "PDFs in the background"; core/render_jobs.py).

A POST to ``export_pdf`` starts the job, or finds the one made or under way for the same
document: a second click, another tab or another organiser gets that job, since the file is the
same for everyone who may see it. ``pdf_job`` shows its progress (polled every second),
``pdf_job_download`` sends the file.

Who: as for every other download of the result (views._export), and on each of the three views:
the session through ``_get_session_for_results`` (another district's is not found; before
publication, organisers only) and the organisers' 409 while there is nothing to preview. The job
is then looked up under that session. A preview's job stays the organisers' after publication:
its file is the preview.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import render_jobs
from core.models import RenderJob
from org.access import can_organise
from sessions.views.access import supervision_context

from . import document, tasks
from .views import _download_refusal, _get_session_for_results

# As long as the kept download was before the queue (docs/benchmarks.md): a repeated click in
# that time is sent the same file, and any change printed in it makes another.
KEEP = timedelta(hours=1)


@login_required
@require_POST
def export_pdf(request, slug):
    session = _get_session_for_results(request, slug)
    refusal = _download_refusal(request, session)
    if refusal:
        return refusal
    # Imported when a file is asked for: the PDF exporter loads WeasyPrint.
    from .exports import pdf

    doc = document.build(session)
    job = render_jobs.job_start(
        kind=tasks.KIND,
        object_id=session.pk,
        requested_by=request.user,
        inputs_key=pdf.download_key(pdf.render_html(doc, cards=True)),
        task=tasks.render_results_pdf,
        keep=KEEP,
        params={"preview": doc.preview},
    )
    return redirect("scoring:pdf_job", slug=session.slug, job_id=job.pk)


def _get_job_for_user(request, slug: str, job_id):
    """The session and its job, or the answer refusing them (404, 403, or the organisers'
    409 while the results are not to be downloaded)."""
    session = _get_session_for_results(request, slug)
    job = get_object_or_404(RenderJob, pk=job_id, kind=tasks.KIND, object_id=session.pk)
    if job.params.get("preview") and not can_organise(request.user, session.district_id):
        raise PermissionDenied(_("评议结果尚未发布：发布前只有组织者可以查看预览。"))
    return session, job, _download_refusal(request, session)


@login_required
@require_GET
def pdf_job(request, slug, job_id):
    session, job, refusal = _get_job_for_user(request, slug, job_id)
    if refusal:
        return refusal
    page = reverse("scoring:pdf_job", args=[session.slug, job.pk])
    context = supervision_context(
        request,
        session,
        job_title=_("评议结果 PDF（工作稿，含各单位成绩单）")
        + (_("（预览）") if job.params.get("preview") else ""),
        job_poll_url=page,
        job_download_url=reverse("scoring:pdf_job_download", args=[session.slug, job.pk]),
        job_retry_url=reverse("scoring:export_pdf", args=[session.slug]),
        job_retry_fields=[],
        job_back_url=reverse("scoring:results", args=[session.slug]),
        job_back_label=_("返回评议结果"),
    )
    return render_jobs.job_page(request, job, template="scoring/pdf_job.html", context=context)


@login_required
@require_GET
def pdf_job_download(request, slug, job_id):
    session, job, refusal = _get_job_for_user(request, slug, job_id)
    if refusal:
        return refusal
    response = render_jobs.job_download(job)
    if response is None:
        # Not made, failed or expired: its page says which and offers to make it again.
        return redirect("scoring:pdf_job", slug=session.slug, job_id=job.pk)
    return response
