"""The results PDF with a report card per unit, rendered off the request (docs/results.md,
"PDFs in the background"): about a second for 40 units and more for a larger session, too long
to keep a web worker waiting. scoring/views_pdf.py starts the job; a worker (or, with the
immediate backend, the request itself) runs this task.

The job's key is the digest of the HTML when the job was asked for (``pdf.download_key``: every
number, name, date and follow-up state printed), and the task reads the session afresh when it
runs, so a file is never older than what its key says.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from core.models import RenderJob
from core.render_jobs import Progress, Rendered, RenderFailed, run
from sessions import lifecycle
from sessions.models import ReviewSession

from . import document

KIND = "results-pdf"


@task()
def render_results_pdf(job_id: str) -> None:
    run(job_id, _render)


def _render(job: RenderJob, progress: Progress) -> Rendered:
    # Imported here, as in the views: WeasyPrint is loaded only where a PDF is made.
    from .exports import pdf

    session = ReviewSession.objects.filter(pk=job.object_id).first()
    if session is None:
        raise RenderFailed(_("评议会已不存在。"))
    if not lifecycle.can_preview_result(session):
        raise RenderFailed(
            _("评议会状态为“%(status)s”：开始评议后才能生成结果。")
            % {"status": session.get_status_display()}
        )
    doc = document.build(session)
    html = pdf.render_html(doc, cards=True)
    progress.stage(RenderJob.Stage.LAYOUT)
    pages = pdf.layout(html)
    progress.stage(RenderJob.Stage.WRITE)
    content = pages.write_pdf()
    name = _("评议结果") if not doc.preview else _("评议结果-预览")
    return Rendered(content=content, download_name=f"{name}-{session.slug}.pdf")
