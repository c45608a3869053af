from django.urls import path

from .views import rate

app_name = "rate"

urlpatterns = [
    path("", rate.entry, name="entry"),
    path("<str:code>/", rate.entry_code, name="entry_code"),
    path("<str:code>/grade/", rate.grade, name="grade"),
    path("<str:code>/submit/", rate.submit, name="submit"),
]
