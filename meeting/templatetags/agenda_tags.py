"""Template filters of the agenda, the console and the screen."""

from django import template

from ..agenda import mm_ss as _mm_ss

register = template.Library()


@register.filter
def mm_ss(seconds) -> str:
    """Seconds as mm:ss (300 → "05:00"); blank for a missing value."""
    if seconds in (None, ""):
        return ""
    return _mm_ss(int(seconds))
