"""评议码: list, generate, revoke, reissue and print as cards.

A code is a secret that lets its holder rate: only organisers see codes. Moderators and
observers see how many were issued, are active, revoked or used, per rater group.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import render_jobs
from core.models import RenderJob
from org.access import can_organise

from .. import cards, lifecycle, selectors, tasks
from .. import credentials as credential_services
from ..models import Credential, ReviewSession
from .access import form_error, get_session_for_user, page_context

# ---------------------------------------------------------------- forms
# Kept beside their only views: sessions/forms.py was outside this change (see the report).


class CredentialFilterForm(forms.Form):
    """``?group=<id>``: a group of this session; anything else is an error, not a 500."""

    group = forms.ModelChoiceField(
        label=gettext_lazy("评议组"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("全部评议组"),
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        # Its own ids: the generate form on the same page has a "group" field too.
        super().__init__(*args, auto_id="filter_%s", **kwargs)
        self.fields["group"].queryset = session.rater_groups.all()


class CredentialGenerateForm(forms.Form):
    group = forms.ModelChoiceField(label=gettext_lazy("评议组"), queryset=None)
    count = forms.IntegerField(
        label=gettext_lazy("数量"),
        min_value=1,
        max_value=credential_services.MAX_PER_CALL,
        required=False,
        help_text=gettext_lazy("不记名发放时填写。"),
    )
    holder_names = forms.CharField(
        label=gettext_lazy("持有人名单"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("可选：每行一个姓名，按名单每人一个评议码（此时不看数量）。"),
    )
    holder_unit = forms.ModelChoiceField(
        label=gettext_lazy("所在单位"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("可选：持有人所在单位，评议时不评本单位。"),
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = session.rater_groups.all()
        self.fields["holder_unit"].queryset = session.units.all()

    def clean(self):
        cleaned = super().clean()
        names = [line.strip() for line in cleaned.get("holder_names", "").splitlines()]
        cleaned["holder_names"] = [name for name in names if name]
        if cleaned["holder_names"]:
            # A list of names decides the number; a stray count must not block it.
            cleaned["count"] = None
            self.errors.pop("count", None)
        elif cleaned.get("count") is None and "count" not in self.errors:
            self.add_error("count", _("请填写数量，或填写持有人名单。"))
        return cleaned


class CredentialPerUnitForm(forms.Form):
    """N own-unit codes for every unit of a category, in one group (confirmed before issuing)."""

    group = forms.ModelChoiceField(label=gettext_lazy("评议组"), queryset=None)
    category = forms.ModelChoiceField(label=gettext_lazy("单位类别"), queryset=None)
    per_unit = forms.IntegerField(
        label=gettext_lazy("每个单位的数量"),
        min_value=1,
        max_value=credential_services.MAX_PER_UNIT,
        initial=3,
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, auto_id="per_unit_%s", **kwargs)
        self.fields["group"].queryset = session.rater_groups.all()
        self.fields["category"].queryset = session.categories.all()


class CardsForm(forms.Form):
    """``?group=<id>`` or ``?ids=1,2,3`` for the card PDF; neither means every printable code."""

    group = forms.ModelChoiceField(queryset=None, required=False)
    ids = forms.CharField(required=False, max_length=20000)

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = session.rater_groups.all()

    def clean_ids(self) -> list[int] | None:
        text = self.cleaned_data["ids"].strip()
        if not text:
            return None
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise forms.ValidationError(_("评议码编号须为以逗号分隔的数字。"))
        return sorted({int(part) for part in parts})


# ---------------------------------------------------------------- list and generate


def _list_context(request, session, *, group=None, form=None, filter_form=None, generated=0):
    organiser = can_organise(request.user, session.district_id)
    context = {
        "session": session,
        "can_organise": organiser,
        "counts": selectors.credential_counts(session, group),
        "group": group,
        "filter_form": filter_form or CredentialFilterForm(session=session),
        "issuable": lifecycle.can_issue_credentials(session) and not session.in_rehearsal,
        "changeable": not lifecycle.has_ended(session),
        "generated": generated,
    }
    if organiser:
        # Codes are secrets: they are read only for organisers, never handed to a template
        # that another role renders.
        context["credentials"] = selectors.credentials_for_list(session, group)
        context["form"] = form or CredentialGenerateForm(session=session)
        context["per_unit_form"] = CredentialPerUnitForm(session=session)
    return context


def _list_page(request, session, *, status=200, **kwargs):
    template = "sessions/credentials.html"
    if request.htmx:
        template += "#credentials-panel"
    return render(request, template, _list_context(request, session, **kwargs), status=status)


@login_required
@require_GET
def credential_list(request, slug):
    session = get_session_for_user(request, slug)
    filter_form = CredentialFilterForm(request.GET, session=session)
    group = filter_form.cleaned_data["group"] if filter_form.is_valid() else None
    return _list_page(
        request,
        session,
        group=group,
        filter_form=filter_form,
        status=200 if filter_form.is_valid() else 400,
    )


@login_required
@require_POST
def credential_generate(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = CredentialGenerateForm(request.POST, session=session)
    if form.is_valid():
        try:
            issued = credential_services.credentials_generate(
                session=session, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("已生成 %(n)s 个评议码。") % {"n": len(issued)})
                return redirect("review:credentials", slug)
            return _list_page(request, session, generated=len(issued))
    # base.html tells htmx to swap 422 answers, so the partial shows its errors in place.
    return _list_page(request, session, form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def credential_generate_per_unit(request, slug):
    """GET: how many codes for which units, to confirm; POST: issue them all or none."""
    session = get_session_for_user(request, slug, organise=True)
    form = CredentialPerUnitForm(
        request.POST if request.method == "POST" else request.GET, session=session
    )
    units = []
    if form.is_valid():
        try:
            if request.method == "POST":
                issued = credential_services.credentials_generate_per_unit(
                    session=session, actor=request.user, **form.cleaned_data
                )
                messages.success(
                    request,
                    _("已为“%(category)s”的每个单位各生成 %(per)s 个本单位评议码，共 %(n)s 个。")
                    % {
                        "category": form.cleaned_data["category"].name,
                        "per": form.cleaned_data["per_unit"],
                        "n": len(issued),
                    },
                )
                return redirect(
                    f"{reverse('review:credentials', args=[slug])}"
                    f"?group={form.cleaned_data['group'].pk}"
                )
            units = credential_services.per_unit_plan(session=session, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
    return render(
        request,
        "sessions/credential_per_unit_confirm.html",
        {
            "session": session,
            "can_organise": True,
            "form": form,
            "units": units,
            "total": len(units) * (form.cleaned_data.get("per_unit") or 0) if units else 0,
        },
        status=200 if units else 422,
    )


# ---------------------------------------------------------------- revoke and reissue


def _confirm(request, slug, credential_id, *, action: str):
    """GET: what will happen; POST: do it. ``action`` is "revoke" or "reissue"."""
    session = get_session_for_user(request, slug, organise=True)
    credential = get_object_or_404(
        Credential.objects.select_related("group", "holder_unit"),
        session=session,
        pk=credential_id,
    )
    error = None
    if request.method == "POST":
        try:
            if action == "revoke":
                credential_services.credential_revoke(credential=credential, actor=request.user)
                messages.success(request, _("评议码 %(code)s 已作废。") % {"code": credential.code})
            else:
                new = credential_services.credential_reissue(
                    credential=credential, actor=request.user
                )
                messages.success(
                    request,
                    _("已补发新评议码 %(new)s（原码 %(old)s 已作废），请打印新卡交给持有人。")
                    % {"new": new.code, "old": credential.code},
                )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect(
                f"{reverse('review:credentials', args=[slug])}?group={credential.group_id}"
            )
    return render(
        request,
        "sessions/credential_confirm.html",
        {
            "session": session,
            "can_organise": True,
            "credential": credential,
            "code": cards.display_code(credential.code),
            "action": action,
            "error": error,
        },
        status=409 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def credential_revoke(request, slug, credential_id):
    return _confirm(request, slug, credential_id, action="revoke")


@login_required
@require_http_methods(["GET", "POST"])
def credential_reissue(request, slug, credential_id):
    return _confirm(request, slug, credential_id, action="reissue")


# ---------------------------------------------------------------- cards PDF

# A print of up to this many cards (8 pages, about 0.8 s) is drawn in the request and sent at
# once, never stored; a larger one is made off the request (sessions/tasks.py), 320 cards
# taking about 4 s (docs/results.md, "PDFs in the background").
CARDS_IN_REQUEST = 64
# How long a file of secret codes waits for its one download (docs/anonymity.md, "Credential
# cards"): long enough to come back to the page, short enough that none lies about.
CARDS_KEEP = timedelta(minutes=15)


@login_required
@require_http_methods(["GET", "POST"])
def credential_cards(request, slug):
    """The cards of all active, unused credentials, of one group (group=) or of some (ids=).

    Up to CARDS_IN_REQUEST cards: the PDF at once, on GET (the links of the list) or POST (the
    buttons). More: a GET asks to confirm, changing nothing; a POST starts the job, or finds
    this organiser's job for the same cards, and opens its page."""
    session = get_session_for_user(request, slug, organise=True)
    back = reverse("review:credentials", args=[slug])
    form = CardsForm(request.POST if request.method == "POST" else request.GET, session=session)
    if not form.is_valid():
        messages.error(request, _("打印范围无效：评议组或评议码编号不属于本评议会。"))
        return redirect(back)
    ids = form.cleaned_data["ids"]
    printable = list(
        selectors.printable_credentials(session, group=form.cleaned_data["group"], ids=ids)
    )
    if ids is not None and len(printable) != len(ids):
        messages.error(
            request,
            _("所选的 %(n)s 个评议码中有 %(bad)s 个不存在、已作废或已使用，没有打印。")
            % {"n": len(ids), "bad": len(ids) - len(printable)},
        )
        return redirect(back)
    if not printable:
        messages.error(request, _("没有可打印的评议码（有效且尚未使用的）。"))
        return redirect(back)
    if len(printable) <= CARDS_IN_REQUEST:
        pdf = cards.render_cards(session=session, credentials=printable)
        credential_services.credentials_printed(
            session=session, actor=request.user, credentials=printable
        )
        return FileResponse(
            io.BytesIO(pdf),
            as_attachment=True,
            filename=f"评议码-{session.slug}.pdf",
            content_type="application/pdf",
        )
    selection = ",".join(str(credential.pk) for credential in printable)
    if request.method == "GET":
        return render(
            request,
            "sessions/credential_cards_confirm.html",
            page_context(request, session, count=len(printable), ids=selection, back=back),
        )
    job = render_jobs.job_start(
        kind=tasks.KIND,
        object_id=session.pk,
        requested_by=request.user,
        inputs_key=_cards_key(session, printable),
        task=tasks.render_credential_cards,
        keep=CARDS_KEEP,
        params={"ids": [credential.pk for credential in printable]},
        private=True,
        delete_after_download=True,
    )
    return redirect("review:credential_cards_job", slug=session.slug, job_id=job.pk)


def _cards_key(session: ReviewSession, printable: list[Credential]) -> str:
    """Everything the cards print but the codes (a card's code never changes: a reissue is a
    new card), so that a second click reuses the job and a changed name or group does not."""
    printed = [
        session.slug,
        session.title,
        settings.SITE_URL,
        get_language(),
        [
            [
                credential.pk,
                credential.group.name,
                credential.holder_name,
                credential.holder_unit.name if credential.holder_unit_id else "",
                credential.rehearsal,
            ]
            for credential in printable
        ],
    ]
    return hashlib.sha256(json.dumps(printed, ensure_ascii=False).encode()).hexdigest()


def _get_cards_job_for_user(request, slug, job_id) -> tuple[ReviewSession, RenderJob]:
    """The organisers' check of the cards PDF, then the job among this session's cards jobs
    that this organiser started: a file of codes goes to the one who asked for it only."""
    session = get_session_for_user(request, slug, organise=True)
    job = get_object_or_404(
        RenderJob, pk=job_id, kind=tasks.KIND, object_id=session.pk, requested_by=request.user
    )
    return session, job


@login_required
@require_GET
def credential_cards_job(request, slug, job_id):
    session, job = _get_cards_job_for_user(request, slug, job_id)
    context = page_context(
        request,
        session,
        job_title=_("评议卡 PDF（%(n)s 张）") % {"n": len(job.params.get("ids", []))},
        job_poll_url=reverse("review:credential_cards_job", args=[session.slug, job.pk]),
        job_download_url=reverse(
            "review:credential_cards_job_download", args=[session.slug, job.pk]
        ),
        job_retry_url=reverse("review:credential_cards", args=[session.slug]),
        job_retry_fields=[("ids", ",".join(map(str, job.params.get("ids", []))))],
        job_back_url=reverse("review:credentials", args=[session.slug]),
        job_back_label=_("返回评议码"),
        job_progress_unit=_("张"),
    )
    return render_jobs.job_page(
        request, job, template="sessions/credential_cards_job.html", context=context
    )


@login_required
@require_GET
def credential_cards_job_download(request, slug, job_id):
    """The file, once: it is deleted as it is sent (core.render_jobs.job_download), and the
    print is audited then, when the codes leave the server."""
    session, job = _get_cards_job_for_user(request, slug, job_id)
    response = render_jobs.job_download(job)
    if response is None:
        return redirect("review:credential_cards_job", slug=session.slug, job_id=job.pk)
    credential_services.credentials_printed(
        session=session,
        actor=request.user,
        credentials=list(session.credentials.filter(pk__in=job.params.get("printed", []))),
    )
    return response
