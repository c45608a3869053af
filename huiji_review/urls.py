from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from huiji_review.views import readyz


# Uploaded files are never served from MEDIA_URL: report attachments go through a view that
# checks the user's role (sessions.views.sessions.attachment_download).
def healthz(request):
    # For load balancers and for the benchmark's ceiling figure: no database, no template.
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("readyz/", readyz, name="readyz"),  # the database and the cache answer
    path("", RedirectView.as_view(pattern_name="review:session_list", permanent=False)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("sessions/", include("sessions.urls")),
    path("sessions/", include("scoring.urls")),  # results and 其他考核 of a session
    path("sessions/", include("meeting.urls")),  # agenda, 现场问政, 督办事项
    path("sessions/", include("projects.urls")),  # 重点项目
    path("targets/", include("targets.urls")),  # 目标管理: the year around the review
    path("awards/", include("awards.urls")),  # 表彰: programmes, nominations, 公示, 决定
    path("r/", include("sessions.urls_rate")),
    path("r/", include("meeting.urls_tablet")),  # a representative asks and votes
    path("screen/", include("screen.urls")),  # the projector, by its token
]

# A database outage or a lock timeout answers 503 with Retry-After, anything else the 500 page;
# neither needs the database (docs/deployment.md, "Database outages and stuck locks").
handler500 = "huiji_review.views.server_error"
