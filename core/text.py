"""A typed text field's checks, said alike wherever staff type prose (a 督办事项's progress, a
report's 进展情况, a reason): line breaks as \n, trimmed, required or not, a length limit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def clean_text(value: str, *, label: str, max_length: int, required: bool) -> str:
    """``value`` trimmed, with Windows line breaks as \\n; ValidationError naming ``label``
    when it is required and blank, or longer than ``max_length``."""
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise ValidationError(_("请填写%(label)s。") % {"label": label})
    if len(value) > max_length:
        raise ValidationError(
            _("%(label)s最多 %(max)s 个字，现在是 %(n)s 个。")
            % {"label": label, "max": max_length, "n": len(value)}
        )
    return value
