"""The audit pack's download (docs/results.md, "审计包 (audit pack)"): a published result with its
inputs, its verifier and a workbook of formulas, for anyone to recompute.

Who may download it: organisers and observers (纪委/人大) of the session's district, as for
核验 (verification), the pack's purpose. It holds every ballot's grades, which the results page
shows to those roles only (``can_see_ballots``), so moderators, who see the published ranking
on the big screen, do not get it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import audit_pack, selectors
from .views import _get_session_for_supervision

ZIP_TYPE = "application/zip"


@login_required
@require_GET
def audit_pack_download(request, slug):
    session = _get_session_for_supervision(request, slug)
    if selectors.current_snapshot(session) is None:
        return _conflict(_("评议结果尚未发布：发布之后才能下载审计包。"))
    try:
        pack = audit_pack.build(session)
    except ValidationError as exc:
        # The inputs changed after publication: the pack would not verify (audit_pack.build).
        return _conflict(" ".join(exc.messages))
    response = HttpResponse(pack.content, content_type=ZIP_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=pack.filename
    )
    return response


def _conflict(message: str) -> HttpResponse:
    return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
