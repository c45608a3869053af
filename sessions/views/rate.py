"""The rater's side (no account): the code on a credential card is the only key, and it opens
only its own form. docs/design.md §6 (rater).

The code never appears in a URL (docs/anonymity.md, "Logs"): the card's QR code carries
``/r/#CODE``, whose fragment no browser sends; the entry page posts the code, and the answer
keeps it in a signed cookie (sessions/views/card.py) that every page below reads.

- ``/r/`` type a code (or the QR's fragment is posted by static/js/rate-entry.js);
- ``/r/form/`` the form, or the state of the card: not open, ended, revoked, already submitted
  with its receipt;
- ``/r/grade/`` saves one tap (htmx), answering the row's saved state;
- ``/r/submit/`` shows a summary to confirm (GET), then submits once (POST);
- ``/r/leave/`` forgets the card on this device (tablets are passed between raters).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import throttle

from .. import rater_sql, rating
from ..credentials import CODE_LENGTH, normalise_code
from ..models import Credential, Grade
from . import card
from .card import see_other, with_card


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


# ---------------------------------------------------------------- entry: /r/


def _csrf_refusal(request):
    """Django's CSRF check, run here rather than by the middleware so that a browser which
    refuses cookies hears that plainly instead of "CSRF verification failed": without cookies
    neither the CSRF token's cookie nor the card could be kept."""
    refusal = CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {})
    if refusal is not None and settings.CSRF_COOKIE_NAME not in request.COOKIES:
        return render(request, "rate/no_cookies.html", status=403)
    return refusal


def _entry_page(request, form: CodeForm, *, status: int = 200, unknown: bool = False):
    # A card already on this device can be continued or given up here. The page must not
    # redirect to it: the QR's fragment (a new card) is only read by the script on this page.
    try:
        holding = card.card_credential(request) is not None
    except card.NoCard:
        holding = False
    # Without a card, nothing a former card kept on this device is of use (docs/tablets.md).
    context = {"form": form, "unknown": unknown, "holding": holding, "forget_device": not holding}
    return render(request, "rate/entry_form.html", context, status=status)


@csrf_exempt  # checked by _csrf_refusal, which explains a browser that refuses cookies
@sensitive_post_parameters("code")  # never in Django's error reports
@never_cache
@require_http_methods(["GET", "POST"])
def entry(request):
    """GET: the code form. POST: look the code up; a valid one becomes this device's card.

    The wrong-code throttle (core/throttle.py) only ever answers a code that does not
    exist: a valid code is never refused because of what others typed from the same address
    (a venue NAT puts a whole hall behind one)."""
    if request.method == "GET":
        return _entry_page(request, CodeForm())
    refusal = _csrf_refusal(request)
    if refusal is not None:
        return refusal
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _entry_page(request, form, status=422)
    credential = rater_sql.credential_with_session(code=form.cleaned_data["code"])
    if credential is None:
        if throttle.record_wrong_code(request) or throttle.wrong_code_blocked(request):
            return throttle.throttled(request)
        # The same answer for every wrong code: it reveals nothing about which codes exist.
        return _entry_page(request, CodeForm(), status=404, unknown=True)
    response = see_other("rate:form")
    card.card_set(response, credential)
    return response


@require_POST
def leave(request):
    """换一张评议卡: forget the card on this device, so the next rater starts afresh."""
    response = see_other("rate:entry")
    card.card_clear(response)
    messages.info(request, _("已退出这张评议卡。下一位评议人请扫描自己的评议卡。"))
    return response


# ---------------------------------------------------------------- the form: /r/form/

# Rendered rows, reused: the rating form is the page every rater loads, and rendering 40
# units × 5 buttons through the template engine cost more than everything else in a ballot
# (docs/benchmarks.md). Each unit heading and each cell is rendered once per process for each
# of its six states (blank or one of the five grades) from the partials in rate/form.html and
# then only joined (a grade the form does not know would raise, not render). The key holds
# everything the markup depends on (language, ids, names), so a renamed unit simply renders
# anew; the CSRF token of the cells' plain (no-script) POST is filled in per request.
_ROW_CACHE: dict[tuple, str | tuple[str, ...]] = {}
_ROW_CACHE_LIMIT = 20_000
_CSRF_PLACEHOLDER = "\x00csrf-token\x00"


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
        "grade_url": reverse("rate:grade"),
        "token": mark_safe(_CSRF_PLACEHOLDER),  # noqa: S308  (a constant)
    }
    cells = tuple(
        tuple(
            render_to_string("rate/form.html#cell", context | {"criterion": c, "grade": grade})
            for grade in GRADE_STATES
        )
        for c in criteria
    )
    return head, cells


def _form_body(layout: rating.FormLayout, drafts: dict, token: str) -> str:
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
    # One token for every cell: the page compresses as if it were written once.
    return mark_safe("".join(parts).replace(_CSRF_PLACEHOLDER, token))  # noqa: S308


def _progress_context(layout: rating.FormLayout, drafts) -> dict:
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
        "counts": [(value, label, counts[value]) for value, label in _grade_choices()],
    }


def _form_context(request, credential: Credential, *, with_rows: bool = True) -> dict:
    layout = rating.form_layout(credential)
    drafts = rating.drafts_for(credential)
    rows = ""
    if with_rows and layout.units:
        rows = _form_body(layout, drafts, get_token(request))
    return {
        "credential": credential,
        "session": credential.session,
        "layout": layout,
        "drafts": drafts,
        "form_body": rows,
    } | _progress_context(layout, drafts)


def _receipt_text(receipt: str) -> str:
    """A receipt as the rater reads it: two groups of four."""
    return f"{receipt[:4]} {receipt[4:]}"


def _state_page(request, credential: Credential, state: str):
    """Why this card shows no form: not open, ended, revoked, or submitted (its receipt).
    Once a card has submitted, been revoked or seen rating end, nothing of its form may stay
    on the device (docs/anonymity.md, "On the tablet")."""
    context = {
        "credential": credential,
        "state": state,
        "forget_device": state in {"submitted", "revoked", "ended"},
        "receipt": _receipt_text(credential.receipt) if state == "submitted" else "",
    }
    return render(request, "rate/entry.html", context)


@never_cache
@require_GET
@with_card
def form(request, credential):
    state = rating.rating_state(credential)
    if state != "open":
        return _state_page(request, credential, state)
    rating.credential_open(credential=credential)
    context = _form_context(request, credential) | {"device_key": card.device_key(credential)}
    return card.keep_offline(render(request, "rate/form.html", context))


# ---------------------------------------------------------------- one tap: /r/grade/


def _closed_answer(request, credential, message: str, status: int):
    if request.htmx:
        return render(request, "rate/form.html#row-error", {"message": message}, status=status)
    if status == 422 and rating.rating_state(credential) == "open":
        # A plain POST (no script) must show its error too, not land silently on the form.
        context = _form_context(request, credential) | {"error": message}
        return render(request, "rate/form.html", context, status=status)
    return see_other("rate:form")


@require_POST
@with_card
def grade(request, credential):
    """Save one tap; the answer is the row's saved mark plus the progress line (out of band)."""
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
        return see_other("rate:form")
    context = _progress_context(tap.layout, rating.drafts_for(credential))
    return render(
        request, "rate/form.html#saved", context | {"grade_label": Grade(tap.grade).label}
    )


# ---------------------------------------------------------------- submit: /r/submit/


@never_cache
@require_http_methods(["GET", "POST"])
@with_card
def submit(request, credential):
    """GET: a summary to confirm. POST: submit once; a repeat lands on the same receipt.

    Every successful or repeated submission answers 303 to /r/form/, which shows the receipt:
    the confirm button's script (static/js/app.js) retries a POST that failed on the network
    or with a 5xx, and ballot_submit answers a retry with the receipt it already gave."""
    if rating.rating_state(credential) != "open":
        # Already submitted (a double tap, a retry, a second tablet) shows its receipt; any
        # other state explains itself on the form's page.
        return see_other("rate:form")
    errors: list[str] = []
    if request.method == "POST":
        try:
            rating.ballot_submit(credential=credential)
        except rating.RatingClosed:
            # The close (or a revocation) overtook this submission while it waited for the
            # session's lock: the form's page says so plainly (评议已经结束), as for any later
            # visit, instead of a 422 the tablet's script would show as a server error.
            return see_other("rate:form")
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            return see_other("rate:form")
    # The check page lists, it has no rows.
    context = _form_context(request, credential, with_rows=False)
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
    response = render(request, "rate/submit.html", context, status=422 if errors else 200)
    if request.htmx:
        # The check page replaces the form's <main>: it takes its own address, or its links
        # to /r/form/#unit-… would only scroll the page they are on.
        response["HX-Push-Url"] = reverse("rate:submit")
    return response


# ---------------------------------------------------------------- offline: /r/sync/, /r/sw.js


def _parse_taps(values: list[str]) -> list[tuple[rating.Cell, str]]:
    """``unit:criterion:grade`` (criterion empty for a unit graded as a whole); ValueError on
    anything else."""
    taps = []
    for value in values:
        unit, criterion, grade = value.split(":")
        cell = rating.Cell(int(unit), int(criterion) if criterion else None)
        taps.append((cell, grade))
    return taps


def _receipt_json(receipt: str) -> JsonResponse:
    return JsonResponse({"state": "submitted", "receipt": _receipt_text(receipt)})


def _closed_json(credential: Credential) -> JsonResponse:
    """Why taps and a queued submission can no longer land (ended, revoked, rehearsing)."""
    credential = rater_sql.credential_with_session(pk=credential.pk)
    state = rating.rating_state(credential)
    if state == "submitted":
        return _receipt_json(credential.receipt)
    return JsonResponse({"state": state, "message": rating.state_message(state)}, status=409)


@require_POST
@with_card
def sync(request, credential):
    """What a tablet kept while offline: its taps, in the order made, and a queued 确认提交
    (docs/tablets.md, "Offline"). The taps are saved all or none; then, if asked, the ballot
    is submitted exactly as by ``submit``: a second sync of the same queue, or a sync after
    the submission already landed, answers with the receipt already given."""
    if request.POST.get("form") != card.device_key(credential):
        # Kept for a card this device no longer holds: it must not land on this one.
        message = _("本机暂存的评价属于另一张评议卡，没有上传，已从本机删除。")
        return JsonResponse({"state": "other_card", "message": message}, status=409)
    if credential.submitted_at is not None and credential.receipt:
        return _receipt_json(credential.receipt)
    try:
        taps = _parse_taps(request.POST.getlist("tap"))
    except ValueError:
        return JsonResponse(
            {"state": "invalid", "message": _("无效的评价，请重新选择。")}, status=422
        )
    try:
        if taps:
            layout = rating.drafts_apply(credential=credential, taps=taps)
        else:
            rating.require_open(credential)
            layout = rating.form_layout(credential)
    except rating.RatingClosed:
        return _closed_json(credential)
    except ValidationError as exc:
        return JsonResponse({"state": "invalid", "message": " ".join(exc.messages)}, status=422)
    if request.POST.get("submit") == "1":
        try:
            submission = rating.ballot_submit(credential=credential)
        except rating.RatingClosed:
            return _closed_json(credential)
        except ValidationError as exc:
            progress = _progress_context(layout, rating.drafts_for(credential))
            answer = {"state": "open", "errors": exc.messages, "saved": len(taps)}
            return JsonResponse(answer | _progress_json(progress), status=422)
        return _receipt_json(submission.receipt)
    progress = _progress_context(layout, rating.drafts_for(credential))
    return JsonResponse({"state": "open", "saved": len(taps)} | _progress_json(progress))


def _progress_json(progress: dict) -> dict:
    return {"done": progress["done"], "total": progress["total"]}


# What the service worker keeps so that a form opened once still loads without a network.
OFFLINE_ASSETS = (
    "css/app.css",
    "css/tablet.css",
    "js/htmx.min.js",
    "js/app.js",
    "js/offline.js",
    "js/tablet.js",
    "favicon.svg",
)
_WORKER_VERSION: dict[str, str] = {}


def _worker_version(urls: list[str]) -> str:
    """Changes whenever an asset or the worker's own template changes: a new version makes
    tablets fetch the assets again (hashed names in production, contents in development)."""
    key = "\n".join(urls)
    version = _WORKER_VERSION.get(key)
    if version is None:
        digest = hashlib.blake2b(key.encode(), digest_size=8)
        for name in OFFLINE_ASSETS:
            path = finders.find(name)
            if path:
                digest.update(Path(path).read_bytes())
        template = Path(settings.BASE_DIR, "templates", "rate", "sw.js")
        digest.update(template.read_bytes())
        version = _WORKER_VERSION[key] = digest.hexdigest()
    return version


@never_cache
@require_GET
def service_worker(request):
    """The tablets' service worker, scoped to /r/ (docs/tablets.md, "Offline")."""
    urls = [static(name) for name in OFFLINE_ASSETS]
    context = {
        "assets": urls,
        "version": _worker_version(urls),
        "static_prefix": settings.STATIC_URL,
        "pages": [reverse("rate:form"), reverse("tablet:live")],
        "forget_pages": [reverse("rate:entry")],
        "offline_title": _("网络已断开"),
        "offline_text": _(
            "这台设备上没有保存这个页面。请在网络恢复后刷新；已保存在服务器上的评价不会丢失。"
        ),
    }
    return render(request, "rate/sw.js", context, content_type="text/javascript; charset=utf-8")
