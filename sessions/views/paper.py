"""纸质票录入 in the browser (docs/design.md §5): the same upload as
``import_ballots``, and a template workbook made for the session."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from org.access import can_organise

from .. import paper
from ..workbook import Problem, problems_of
from .access import get_session_for_user
from .imports import XLSX_TYPE, WorkbookUploadForm, _upload_form


@login_required
@require_http_methods(["GET", "POST"])
def paper_ballots(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = _upload_form(request)
    problems: list[Problem] = []
    report = None
    refusal = paper.paper_import_refusal(session)
    status = 200
    if refusal:
        # Checked before reading any upload; the service refuses too.
        problems = [Problem(refusal)]
        status = 409 if request.method == "POST" else 200
    elif request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                rows = paper.parse_ballot_workbook(form.cleaned_data["file"], session=session)
                report = paper.paper_ballots_import(
                    session=session, workbook_rows=rows, actor=request.user
                )
            except ValidationError as exc:
                problems = problems_of(exc)
            else:
                status = 200
                form = WorkbookUploadForm()  # empty, for the next batch
    template = "sessions/paper_ballots.html"
    if request.htmx:
        template += "#paper-panel"
    return render(
        request,
        template,
        {
            "session": session,
            "can_organise": can_organise(request.user, session.district_id),
            "form": form,
            "problems": problems,
            "refused": bool(refusal),
            "report": report,
        },
        status=status,
    )


@login_required
@require_GET
def paper_template(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    response = HttpResponse(paper.paper_template_bytes(session), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_("纸质票录入-%(slug)s.xlsx") % {"slug": session.slug}
    )
    return response
