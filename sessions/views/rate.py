"""The rater's side (no account): the code on a credential card is the only key, and it opens
only its own form. DESIGN.md section 6 (rater) and issue 3.

- ``/r/`` type a code; ``/r/<code>/`` the form (or the state of the code: not open, ended,
  revoked, already submitted with its receipt);
- ``/r/<code>/grade/`` saves one tap (htmx), answering the row's saved state;
- ``/r/<code>/submit/`` shows a summary to confirm, then submits once.
"""

from __future__ import annotations

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .. import rating
from ..credentials import CODE_LENGTH, normalise_code
from ..models import Credential, DraftGrade, Grade

# Wrong codes allowed per client address in a window before it must wait (guessing 40-bit
# codes is hopeless anyway; this keeps a script from trying).
ENTRY_ATTEMPTS = 30
ENTRY_WINDOW_SECONDS = 600


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("评议码"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=gettext_lazy("评议卡上的 8 位字母和数字，不区分大小写。"),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH or not code.isalnum():
            raise forms.ValidationError(_("评议码是 8 位字母和数字，请核对后重新输入。"))
        return code


class GradeForm(forms.Form):
    """One tap. Ids are only parsed here; rating.draft_grade_set checks they are on the form."""

    unit = forms.IntegerField(min_value=1)
    criterion = forms.IntegerField(min_value=1, required=False)
    grade = forms.ChoiceField(choices=Grade.choices)


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _too_many_attempts(request) -> bool:
    return cache.get(f"rate-entry:{_client(request)}", 0) >= ENTRY_ATTEMPTS


def _count_wrong_code(request) -> None:
    key = f"rate-entry:{_client(request)}"
    cache.add(key, 0, ENTRY_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ENTRY_WINDOW_SECONDS)


def _throttled(request):
    return render(request, "rate/throttled.html", status=429)


def _credential(request, code: str) -> Credential | None:
    """The credential for ``code``, or None (and the attempt counted) for a wrong code."""
    credential = (
        Credential.objects.select_related("session__scheme", "group", "holder_unit")
        .filter(code=normalise_code(code))
        .first()
    )
    if credential is None:
        _count_wrong_code(request)
    return credential


@require_http_methods(["GET", "POST"])
def entry(request):
    if _too_many_attempts(request):
        return _throttled(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("rate:entry_code", form.cleaned_data["code"])
    return render(
        request, "rate/entry_form.html", {"form": form}, status=422 if form.errors else 200
    )


def _form_context(credential: Credential) -> dict:
    units = rating.rateable_units(credential)
    criteria = rating.session_criteria(credential.session)
    drafts = rating.drafts_for(credential)
    sections: list[dict] = []
    for unit in units:
        if not sections or sections[-1]["category"] != unit.category:
            sections.append({"category": unit.category, "rows": []})
        sections[-1]["rows"].append(
            {
                "unit": unit,
                "cells": [
                    {
                        "criterion": criterion,
                        "grade": drafts.get(
                            rating.Cell(unit.pk, criterion.pk if criterion else None)
                        ),
                    }
                    for criterion in (criteria or [None])
                ],
            }
        )
    total = len(units) * max(len(criteria), 1)
    return {
        "credential": credential,
        "session": credential.session,
        "sections": sections,
        # Resolved once: lazy labels would be translated again for every one of 200 buttons.
        "grades": [(value, str(label)) for value, label in Grade.choices],
        "done": len(drafts),
        "total": total,
        "drafts": drafts,
    }


@never_cache
@require_http_methods(["GET"])
def entry_code(request, code):
    if _too_many_attempts(request):
        return _throttled(request)
    credential = _credential(request, code)
    state = rating.rating_state(credential)
    if state != "open":
        # A wrong code says so without revealing whether other codes exist.
        return render(
            request,
            "rate/entry.html",
            {"credential": credential if state != "unknown" else None, "state": state},
            status=404 if state == "unknown" else 200,
        )
    rating.credential_open(credential=credential)
    return render(request, "rate/form.html", _form_context(credential))


def _closed_answer(request, credential, message: str, status: int):
    if request.htmx:
        return render(request, "rate/form.html#row-error", {"message": message}, status=status)
    if status == 422 and rating.rating_state(credential) == "open":
        # A plain POST (no script) must show its error too, not land silently on the form.
        context = _form_context(credential) | {"error": message}
        return render(request, "rate/form.html", context, status=status)
    return redirect("rate:entry_code", credential.code if credential else "-")


@require_POST
def grade(request, code):
    """Save one tap; the answer is the row's saved mark plus the progress line (out of band)."""
    if _too_many_attempts(request):
        return _throttled(request)
    credential = _credential(request, code)
    if credential is None:
        return HttpResponse(_("评议码无效。"), status=404, content_type="text/plain; charset=utf-8")
    form = GradeForm(request.POST)
    if not form.is_valid():
        return _closed_answer(request, credential, _("无效的评价，请重新选择。"), 422)
    try:
        rating.draft_grade_set(
            credential=credential,
            unit_id=form.cleaned_data["unit"],
            criterion_id=form.cleaned_data["criterion"],
            grade=form.cleaned_data["grade"],
        )
    except rating.RatingClosed as exc:
        return _closed_answer(request, credential, " ".join(exc.messages), 409)
    except ValidationError as exc:
        return _closed_answer(request, credential, " ".join(exc.messages), 422)
    if not request.htmx:
        return redirect("rate:entry_code", credential.code)
    done = DraftGrade.objects.filter(credential=credential).count()
    total = len(rating.form_cells(credential))
    return render(
        request,
        "rate/form.html#saved",
        {"done": done, "total": total, "grade_label": Grade(form.cleaned_data["grade"]).label},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def submit(request, code):
    """GET: a summary to confirm. POST: submit once; a repeat lands on the same receipt."""
    if _too_many_attempts(request):
        return _throttled(request)
    credential = _credential(request, code)
    if rating.rating_state(credential) != "open":
        # Already submitted (a double tap, a retry, a second tablet) shows its receipt; any
        # other state explains itself on the entry page.
        return redirect("rate:entry_code", code)
    errors: list[str] = []
    if request.method == "POST":
        try:
            rating.ballot_submit(credential=credential)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            return redirect("rate:entry_code", credential.code)
    context = _form_context(credential)
    drafts = context["drafts"]
    counts = dict.fromkeys(Grade.values, 0)
    for value in drafts.values():
        counts[value] += 1
    context.update(
        counts=[(label, counts[value]) for value, label in Grade.choices],
        missing_units=[
            row["unit"]
            for section in context["sections"]
            for row in section["rows"]
            if any(cell["grade"] is None for cell in row["cells"])
        ],
        warnings=[
            message
            for _rule, _action, message in rating.ballot_rule_results(
                credential.session.scheme, list(drafts.values())
            )
        ],
        errors=errors,
    )
    return render(request, "rate/submit.html", context, status=422 if errors else 200)
