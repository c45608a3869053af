"""The admin class shared by the apps whose changes must go through their services."""

from django.contrib import admin


class ReadOnly:
    """View only: no add, change or delete, not even for a superuser.

    Every change to a session's or a target's data goes through the services, which check the
    lifecycle (docs/design.md §3) and write the audit log; the admin would bypass both (a
    published session moved back to rating, a frozen scheme edited). Used by the admin of every
    app whose models the lifecycle governs: sessions, scoring, meeting, projects and targets.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    pass
