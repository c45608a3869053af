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
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from .. import rater_sql, rating
from ..credentials import CODE_LENGTH, normalise_code
from ..models import Credential, Grade

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


def too_many_attempts(request) -> bool:
    return cache.get(f"rate-entry:{_client(request)}", 0) >= ENTRY_ATTEMPTS


def count_wrong_code(request) -> None:
    key = f"rate-entry:{_client(request)}"
    cache.add(key, 0, ENTRY_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ENTRY_WINDOW_SECONDS)


def throttled(request):
    return render(request, "rate/throttled.html", status=429)


def _credential(request, code: str) -> Credential | None:
    """The credential for ``code``, or None (and the attempt counted) for a wrong code."""
    credential = rater_sql.credential_with_session(code=normalise_code(code))
    if credential is None:
        count_wrong_code(request)
    return credential


@require_http_methods(["GET", "POST"])
def entry(request):
    if too_many_attempts(request):
        return throttled(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("rate:entry_code", form.cleaned_data["code"])
    return render(
        request, "rate/entry_form.html", {"form": form}, status=422 if form.errors else 200
    )


# Rendered rows, reused: the rating form is the page every rater loads, and rendering 40
# units × 5 buttons through the template engine cost more than everything else in a ballot
# (docs/benchmarks.md). Each unit heading and each cell is rendered once per process for each
# of its six states (blank or one of the five grades) from the partials in rate/form.html and
# then only joined (a grade the form does not know would raise, not render). The key holds everything the markup depends on (language, ids, names), so
# a renamed unit simply renders anew; the grade URL is filled in per credential.
_ROW_CACHE: dict[tuple, str | tuple[str, ...]] = {}
_ROW_CACHE_LIMIT = 20_000
_URL_PLACEHOLDER = "\x00grade-url\x00"


def _cached(key: tuple, render):
    chunk = _ROW_CACHE.get(key)
    if chunk is None:
        if len(_ROW_CACHE) >= _ROW_CACHE_LIMIT:
            _ROW_CACHE.clear()
        chunk = _ROW_CACHE[key] = render()
    return chunk


def _grade_choices() -> list[tuple[str, str]]:
    # Resolved once per render: lazy labels would be translated again for every button.
    return [(value, str(label)) for value, label in Grade.choices]


GRADE_STATES = (None, *Grade.values)
_STATE_INDEX = {grade: index for index, grade in enumerate(GRADE_STATES)}


def _render_unit(unit: rating.FormUnit, criteria: tuple) -> tuple[str, tuple[tuple[str, ...]]]:
    """A unit's heading, and for each of its cells the markup in each of the six states."""
    head = render_to_string("rate/form.html#unit-head", {"unit": unit})
    context = {
        "unit": unit,
        "grades": _grade_choices(),
        "grade_url": mark_safe(_URL_PLACEHOLDER),  # noqa: S308  (a constant)
    }
    cells = tuple(
        tuple(
            render_to_string("rate/form.html#cell", context | {"criterion": c, "grade": grade})
            for grade in GRADE_STATES
        )
        for c in criteria
    )
    return head, cells


def _form_body(layout: rating.FormLayout, drafts: dict, grade_url: str) -> str:
    language = get_language()
    criteria = layout.criteria or (None,)
    criterion_ids = layout.criterion_ids
    parts: list[str] = []
    category = None
    for unit in layout.units:
        if unit.category_id != category:
            category = unit.category_id
            parts.append(
                _cached(
                    ("category", unit.category_name),
                    lambda name=unit.category_name: render_to_string(
                        "rate/form.html#category", {"name": name}
                    ),
                )
            )
        head, cells = _cached(
            (language, unit, criteria), lambda unit=unit: _render_unit(unit, criteria)
        )
        parts.append(head)
        for states, criterion_id in zip(cells, criterion_ids, strict=True):
            grade = drafts.get(rating.Cell(unit.pk, criterion_id))
            parts.append(states[_STATE_INDEX[grade]])
        parts.append("</div>")  # closes unit-head's <div class="rate-unit">
    return mark_safe("".join(parts).replace(_URL_PLACEHOLDER, grade_url))  # noqa: S308


def _progress_context(credential: Credential, layout: rating.FormLayout, drafts) -> dict:
    """The progress line and the in-page confirmation: counts per grade, what is missing."""
    counts = dict.fromkeys(Grade.values, 0)
    for value in drafts.values():
        counts[value] += 1
    total = len(layout.units) * max(len(layout.criteria), 1)
    done = sum(counts.values())
    return {
        "done": done,
        "total": total,
        "missing": total - done,
        "counts": [(label, counts[value]) for value, label in _grade_choices()],
        # The same address answers GET with the check page and POST with the submission.
        "submit_url": reverse("rate:submit", args=[credential.code]),
    }


def _form_context(credential: Credential, *, with_rows: bool = True) -> dict:
    layout = rating.form_layout(credential)
    drafts = rating.drafts_for(credential)
    rows = ""
    if with_rows and layout.units:
        rows = _form_body(layout, drafts, reverse("rate:grade", args=[credential.code]))
    return {
        "credential": credential,
        "session": credential.session,
        "layout": layout,
        "drafts": drafts,
        "form_body": rows,
    } | _progress_context(credential, layout, drafts)


@never_cache
@require_http_methods(["GET"])
def entry_code(request, code):
    if too_many_attempts(request):
        return throttled(request)
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


# The rater's endpoints are exempt from CSRF on purpose. CSRF defends requests that a browser
# authenticates by itself, with a cookie; here nothing is ambient: the code in the URL is the
# whole authority, and a page that knows it can submit with or without the rater's browser.
# Without the check, a tablet that blocks cookies, or holds a stale CSRF cookie, still rates.
@csrf_exempt
@require_POST
def grade(request, code):
    """Save one tap; the answer is the row's saved mark plus the progress line (out of band)."""
    if too_many_attempts(request):
        return throttled(request)
    credential = _credential(request, code)
    if credential is None:
        return HttpResponse(_("评议码无效。"), status=404, content_type="text/plain; charset=utf-8")
    form = GradeForm(request.POST)
    if not form.is_valid():
        return _closed_answer(request, credential, _("无效的评价，请重新选择。"), 422)
    try:
        tap = rating.draft_grade_set(
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
    context = _progress_context(credential, tap.layout, rating.drafts_for(credential))
    return render(
        request, "rate/form.html#saved", context | {"grade_label": Grade(tap.grade).label}
    )


@csrf_exempt  # see grade()
@never_cache
@require_http_methods(["GET", "POST"])
def submit(request, code):
    """GET: a summary to confirm. POST: submit once; a repeat lands on the same receipt."""
    if too_many_attempts(request):
        return throttled(request)
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
    context = _form_context(credential, with_rows=False)  # the check page lists, it has no rows
    drafts = context["drafts"]
    layout = context["layout"]
    context.update(
        missing_units=[
            unit
            for unit in layout.units
            if any(rating.Cell(unit.pk, pk) not in drafts for pk in layout.criterion_ids)
        ],
        warnings=[
            message
            for _rule, _action, message in rating.ballot_rule_results(
                credential.session.scheme, [drafts[cell] for cell in layout.cells if cell in drafts]
            )
        ],
        errors=errors,
    )
    return render(request, "rate/submit.html", context, status=422 if errors else 200)
