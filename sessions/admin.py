from django.contrib import admin

from core.admin import ReadOnlyAdmin

from . import models


@admin.register(models.ReviewSession)
class ReviewSessionAdmin(ReadOnlyAdmin):
    list_display = ["title", "district", "kind", "year", "date", "status"]
    list_filter = ["district", "kind", "status", "year"]
    search_fields = ["title", "slug"]


# The audit log is evidence: nobody edits or deletes it, not even a superuser.
@admin.register(models.AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "session", "actor_label", "action", "message"]
    list_filter = ["action"]


for model in (
    models.UnitCategory,
    models.Unit,
    models.Participant,
    models.Report,
    models.RaterGroup,
    models.Draw,
    models.ScoringScheme,
    models.Criterion,
):
    admin.site.register(model, ReadOnlyAdmin)
