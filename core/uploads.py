"""Checks of an uploaded evidence file before anything stores it: a report's attachment
(sessions) and a 督办事项's evidence (meeting) accept the same types, checked the same way."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Types staff attach to reports and to 督办事项: the extension and the file's first bytes
# must agree.
ATTACHMENT_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (b"PK\x03\x04",),
    ),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


def attachment_check(upload, *, max_bytes: int) -> tuple[str, str, str]:
    """An uploaded attachment's (name, extension, content type), or ValidationError: a type
    not in ATTACHMENT_TYPES, bigger than ``max_bytes``, or content that does not start as its
    extension says (a renamed file). Nothing is stored; every upload of evidence checks here."""
    name = (getattr(upload, "name", "") or "").strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ATTACHMENT_TYPES:
        raise ValidationError(
            _("不支持的附件类型“%(ext)s”；可上传：%(allowed)s。")
            % {"ext": ext or "?", "allowed": ", ".join(sorted(ATTACHMENT_TYPES))}
        )
    if upload.size > max_bytes:
        raise ValidationError(
            _("附件“%(name)s”大小为 %(size).1f MB，超过上限 %(max)s MB。")
            % {"name": name, "size": upload.size / 1024 / 1024, "max": max_bytes // 1024 // 1024}
        )
    content_type, magics = ATTACHMENT_TYPES[ext]
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(m) for m in magics):
        raise ValidationError(
            _("附件“%(name)s”的内容与扩展名 .%(ext)s 不符，可能已损坏或被改名。")
            % {"name": name, "ext": ext}
        )
    return name, ext, content_type
