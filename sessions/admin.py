from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, change or delete, not even for a superuser.

    Every change to a session's data goes through the services, which check the lifecycle
    (docs/design.md §3) and write the audit log; the admin would bypass both (a published
    session moved back to rating, a frozen scheme edited). Used by the admin of every app whose
    models the lifecycle governs: sessions, scoring, meeting and projects.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
