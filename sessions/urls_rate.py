from django.urls import path

from .views import rate

app_name = "rate"

# No code in any of these paths: the card travels in a cookie (sessions/views/card.py).
urlpatterns = [
    path("", rate.entry, name="entry"),
    path("form/", rate.form, name="form"),
    path("grade/", rate.grade, name="grade"),
    path("submit/", rate.submit, name="submit"),
    path("leave/", rate.leave, name="leave"),
    path("sync/", rate.sync, name="sync"),
    # Served from /r/ so that its scope is /r/: the raters' and representatives' pages only.
    path("sw.js", rate.service_worker, name="service_worker"),
]
