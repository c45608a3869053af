"""计分办法 page: every option of the session's ScoringScheme, its criteria, and the
scheme in plain words. Everyone with a staff role reads it; organisers change it while the
session is a draft (scheme_services.require_scheme_editable says why). A change refused because
the session has moved on is a 409; bad input is a 422 with the form and nothing stored."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import lifecycle, scheme_services, selectors
from ..forms import CriterionForm, SchemeForm
from ..models import ReviewSession
from ..words import scheme_in_words
from .access import confirm_delete, get_session_for_user, page_context


def _add_errors(form, exc: ValidationError) -> None:
    """A service's errors on the form: next to the field they name, the rest on top."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.message_dict.items():
        target = field if field in form.fields else None
        for message in errors:
            form.add_error(None if field == NON_FIELD_ERRORS else target, message)


def _error_summary(form) -> list[str]:
    """Every error of a refused form, each naming its field, for the top of the panel: the
    settings form is long, and a person who pressed 保存 at its foot must see why it failed."""
    labels = scheme_services.scheme_field_labels() if isinstance(form, SchemeForm) else {}
    lines = list(form.non_field_errors())
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS:
            continue
        label = str(labels.get(name) or form.fields[name].label)
        for message in errors:
            # The service's messages name their field already; Django's own ("输入一个数字。") not.
            lines.append(
                message
                if label in message
                else _("%(field)s：%(message)s") % {"field": label, "message": message}
            )
    return lines


def _scheme_form(session: ReviewSession) -> SchemeForm:
    return SchemeForm(initial=model_to_dict(session.scheme, fields=scheme_services.SCHEME_FIELDS))


def _sections(form: SchemeForm, scheme) -> list[dict]:
    """The form's fields, and the stored values as text for the read-only view, by section."""
    labels = scheme_services.scheme_field_labels()
    return [
        {
            "legend": legend,
            "help": help_text,
            "fields": [form[name] for name in names],
            "facts": [
                (labels[name], scheme_services.scheme_value_text(name, getattr(scheme, name)))
                for name in names
            ],
        }
        for legend, help_text, names in SchemeForm.SECTIONS
    ]


def _page(
    request,
    session: ReviewSession,
    *,
    form: SchemeForm | None = None,
    criterion_form: CriterionForm | None = None,
    refusal: str = "",
    saved: str = "",
    status: int = 200,
):
    groups = list(session.rater_groups.all())
    criteria = list(session.criteria.all())
    refused = [f for f in (form, criterion_form) if f is not None and f.errors]
    form = form or _scheme_form(session)
    context = page_context(
        request,
        session,
        scheme=session.scheme,
        words=scheme_in_words(session.scheme, groups, criteria),
        weight_lines=selectors.weight_lines(groups),
        criteria=criteria,
        editable=lifecycle.can_edit_scheme(session),
        form=form,
        sections=_sections(form, session.scheme),
        criterion_form=criterion_form or CriterionForm(auto_id="criterion-%s"),
        refusal=refusal,
        saved=saved,
        error_summary=[line for f in refused for line in _error_summary(f)],
    )
    template = "sessions/scheme.html"
    if request.htmx:
        template += "#scheme-panel"
    return render(request, template, context, status=status)


def _done(request, session: ReviewSession, message: str):
    if request.htmx:
        session.refresh_from_db()
        return _page(request, session, saved=message)
    messages.success(request, message)
    return redirect("review:scheme", session.slug)


@login_required
@require_http_methods(["GET", "POST"])
def scheme(request, slug):
    session = get_session_for_user(request, slug, organise=request.method == "POST")
    if request.method == "GET":
        return _page(request, session)
    form = SchemeForm(request.POST)
    try:
        # A frozen session refuses any change, however it was filled in: 409 before 422.
        scheme_services.require_scheme_editable(session)
        if form.is_valid():
            scheme_services.scheme_update(session=session, actor=request.user, **form.cleaned_data)
            return _done(request, session, _("已保存计分办法。"))
    except scheme_services.SchemeFrozen as exc:
        return _page(request, session, form=form, refusal=" ".join(exc.messages), status=409)
    except ValidationError as exc:
        _add_errors(form, exc)
    return _page(request, session, form=form, status=422)


@login_required
@require_GET
def scheme_words(request, slug):
    """The scheme in words alone, for the session overview to load into its card."""
    session = get_session_for_user(request, slug)
    if not request.htmx:
        return redirect("review:scheme", slug)
    words = scheme_in_words(
        session.scheme, list(session.rater_groups.all()), list(session.criteria.all())
    )
    return render(request, "sessions/scheme.html#scheme-words", {"words": words})


@login_required
@require_POST
def criterion_add(request, slug):
    session = get_session_for_user(request, slug, organise=True)
    form = CriterionForm(request.POST, auto_id="criterion-%s")
    try:
        scheme_services.require_scheme_editable(session)
        if form.is_valid():
            criterion = scheme_services.criterion_save(
                session=session, actor=request.user, **form.cleaned_data
            )
            return _done(
                request, session, _("已添加评议指标“%(name)s”。") % {"name": criterion.name}
            )
    except scheme_services.SchemeFrozen as exc:
        return _page(
            request, session, criterion_form=form, refusal=" ".join(exc.messages), status=409
        )
    except ValidationError as exc:
        _add_errors(form, exc)
    return _page(request, session, criterion_form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def criterion_edit(request, slug, criterion_id):
    session = get_session_for_user(request, slug, organise=True)
    criterion = get_object_or_404(session.criteria, pk=criterion_id)
    initial = {"name": criterion.name, "weight": criterion.weight, "order": criterion.order}
    form = CriterionForm(request.POST or None, initial=initial)
    refusal, status = "", 200
    if request.method == "POST":
        try:
            scheme_services.require_scheme_editable(session)
            if form.is_valid():
                scheme_services.criterion_save(
                    session=session, actor=request.user, criterion=criterion, **form.cleaned_data
                )
                messages.success(
                    request, _("已保存评议指标“%(name)s”。") % {"name": form.cleaned_data["name"]}
                )
                return redirect("review:scheme", slug)
        except scheme_services.SchemeFrozen as exc:
            refusal, status = " ".join(exc.messages), 409
        except ValidationError as exc:
            _add_errors(form, exc)
        status = status if refusal else 422
    elif not lifecycle.can_edit_scheme(session):
        refusal = _(
            "计分办法已冻结：评议会已离开草稿状态。如需修改，请先退回草稿（尚无评议表时才可以）。"
        )
    return render(
        request,
        "sessions/scheme_criterion_edit.html",
        page_context(request, session, form=form, criterion=criterion, refusal=refusal),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def criterion_delete(request, slug, criterion_id):
    session = get_session_for_user(request, slug, organise=True)
    criterion = get_object_or_404(session.criteria, pk=criterion_id)
    return confirm_delete(
        request,
        session,
        thing=criterion,
        what=_("评议指标"),
        back=reverse("review:scheme", args=[slug]),
        delete=lambda: scheme_services.criterion_delete(criterion=criterion, actor=request.user),
        done=_("已删除评议指标“%(name)s”。") % {"name": criterion.name},
    )
