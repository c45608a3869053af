from django.contrib import admin

from . import models


@admin.register(models.ReviewSession)
class ReviewSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "year", "date", "status"]
    list_filter = ["kind", "status", "year"]
    search_fields = ["title", "slug"]


@admin.register(models.AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "session", "actor_label", "action", "message"]
    list_filter = ["action"]

    # The audit log is evidence: nobody edits or deletes it, not even a superuser.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


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
    admin.site.register(model)
