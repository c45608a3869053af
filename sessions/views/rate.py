"""The rater's side (no account). The form itself is the rating capability (issue 3); these
pages are where a credential card's QR code lands, or where its code is typed, and say whether
the code can be used now."""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from ..credentials import CODE_LENGTH, normalise_code
from ..models import Credential, ReviewSession


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("评议码"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_("评议卡上的 8 位字母和数字，不区分大小写。"),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH or not code.isalnum():
            raise forms.ValidationError(_("评议码是 8 位字母和数字，请核对后重新输入。"))
        return code


@require_http_methods(["GET", "POST"])
def entry(request):
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("rate:entry_code", form.cleaned_data["code"])
    return render(
        request, "rate/entry_form.html", {"form": form}, status=422 if form.errors else 200
    )


@require_GET
def entry_code(request, code):
    credential = (
        Credential.objects.select_related("session", "group")
        .filter(code=normalise_code(code))
        .first()
    )
    # A wrong code says so without revealing whether other codes exist.
    state = "unknown"
    if credential:
        if credential.status == Credential.Status.REVOKED:
            state = "revoked"
        elif credential.session.status in (
            ReviewSession.Status.CLOSED,
            ReviewSession.Status.PUBLISHED,
        ):
            # Not "not yet open": telling a rater to wait for the start after the end misleads.
            state = "ended"
        elif credential.session.status != ReviewSession.Status.RATING:
            state = "not_open"
        else:
            state = "open"
    return render(
        request,
        "rate/entry.html",
        {"credential": credential if state != "unknown" else None, "state": state},
        status=404 if state == "unknown" else 200,
    )
