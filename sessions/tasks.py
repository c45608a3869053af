"""A large print of credential cards, rendered off the request (docs/results.md, "PDFs in the
background"): about 12 ms a card, so 320 cards take 4 s. sessions/views/credentials.py starts
the job for a print of more than CARDS_IN_REQUEST cards; a smaller one is drawn in the request
as before and never stored.

The file holds secret codes (docs/anonymity.md, "Credential cards"): its job is the asking
organiser's alone, and the file is deleted as soon as it has been downloaded once, or when its
short keep time is up.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from core.models import RenderJob
from core.render_jobs import Progress, Rendered, RenderFailed, run

from . import cards, selectors
from .models import ReviewSession

KIND = "credential-cards"


@task()
def render_credential_cards(job_id: str) -> None:
    run(job_id, _render)


def _render(job: RenderJob, progress: Progress) -> Rendered:
    session = ReviewSession.objects.filter(pk=job.object_id).first()
    if session is None:
        raise RenderFailed(_("评议会已不存在。"))
    # The cards still printable now: one revoked or used since the click is left out.
    printable = list(selectors.printable_credentials(session, ids=job.params["ids"]))
    if not printable:
        raise RenderFailed(_("所选的评议码都已作废或已使用，没有可打印的评议卡。"))
    # The download's audit entry names the cards that were printed (credentials_printed).
    RenderJob.objects.filter(pk=job.pk).update(
        params={**job.params, "printed": [credential.pk for credential in printable]}
    )
    progress.stage(RenderJob.Stage.LAYOUT, total=len(printable))

    def laid_out(done: int, total: int) -> None:
        progress.advance(done)
        if done == total:
            progress.stage(RenderJob.Stage.WRITE)

    content = cards.render_cards(session=session, credentials=printable, on_progress=laid_out)
    return Rendered(content=content, download_name=f"评议码-{session.slug}.pdf")
