from django.urls import path

from .views import rate

app_name = "rate"

urlpatterns = [
    path("", rate.entry, name="entry"),
    path("<str:code>/", rate.entry_code, name="entry_code"),
]
