from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


class CookieLocaleMiddleware:
    """简体中文 unless the user chose English with the language switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a tablet set to
    English would show an English form in a Chinese meeting hall; the product's default is
    Chinese, and English is an explicit choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            # Leave the thread as we found it: no English leaking into the next piece of work.
            translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


# The multipart framing around an upload (boundaries, part headers, the CSRF token and the other
# fields of the form) on top of the file itself.
UPLOAD_FRAMING_BYTES = 64 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_REFUSALS = {
    400: ("请求无效。", "Bad request."),
    411: (
        "请求必须注明长度（Content-Length），请重试。",
        "The request must state its length (Content-Length). Please try again.",
    ),
    413: (
        "提交的内容太大，已被拒绝。上传文件请缩小后重试。",
        "The request is too large and was refused. Please make the file smaller and try again.",
    ),
}


def _refusal(status: int) -> HttpResponse:
    # Bilingual and without a template: no language has been chosen yet this early, and the
    # answer must not cost more than the request it refuses.
    chinese, english = _REFUSALS[status]
    return HttpResponse(
        f'<!doctype html><html lang="zh-hans"><meta charset="utf-8">'
        f'<title>{status}</title><p>{chinese}</p><p lang="en">{english}</p></html>',
        status=status,
        content_type="text/html; charset=utf-8",
    )


class RequestBodyLimitMiddleware:
    """Refuse an oversize request body from its Content-Length alone, before anything reads it.

    Django checks DATA_UPLOAD_MAX_MEMORY_SIZE and the forms check UPLOAD_MAX_BYTES only while or
    after the body is read, so a large anonymous POST was spooled to disk first. Only the
    staff's pages under /sessions/ take uploads (workbooks, attachments, evidence); every other
    body (login, rater tablets, the big screen, admin) is small. The proxy in front keeps its
    own limit (docs/deployment.md, "Request size limits"); this one holds without it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH")
        if not declared:
            # A body of unknown length (chunked) could be of any size; a request with neither
            # header has no body at all (RFC 9112, section 6.3).
            if request.method in BODY_METHODS and request.META.get("HTTP_TRANSFER_ENCODING"):
                return _refusal(411)
            return self.get_response(request)
        try:
            length = int(declared)
        except ValueError:
            return _refusal(400)
        if length < 0:
            return _refusal(400)
        # Settings are read on every request, so that a limit changed at run time holds.
        limit = settings.REQUEST_BODY_MAX_BYTES
        if request.path_info.startswith("/sessions/"):
            limit = settings.UPLOAD_MAX_BYTES + UPLOAD_FRAMING_BYTES
        if length > limit:
            return _refusal(413)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Runs before CsrfViewMiddleware reads the form, with request.user already known: an
        # upload-sized body is for staff only. Anybody else gets what login_required would
        # answer (an expired session sees the login page), and the body stays unread.
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.REQUEST_BODY_MAX_BYTES and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return None
