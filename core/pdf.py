"""What every PDF drawn from a template shares (docs/design.md §8): the shipped pre-subset
CJK font, named in the templates' @font-face by its file URI, and WeasyPrint's rendering with
the project's root as the base for relative URLs."""

from __future__ import annotations

from django.conf import settings
from weasyprint import HTML

FONT_FILE = settings.BASE_DIR / "static" / "fonts" / "NotoSansSC-subset.otf"
FONT_URL = FONT_FILE.as_uri()


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
