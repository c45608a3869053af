"""表彰 is shown here, never changed: every change goes through awards/services.py, which
checks the lifecycle and writes the audit log (docs/awards.md, "Stored")."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import models


class ExclusionInline(ReadOnlyInline):
    model = models.Exclusion
    extra = 0


class NominationInline(ReadOnlyInline):
    model = models.Nomination
    extra = 0
    fields = [
        "position",
        "org_unit",
        "person_name",
        "post",
        "category",
        "rank",
        "score",
        "basis",
        "tie_at_quota",
        "excluded",
        "withdrawn",
    ]


@admin.register(models.Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["name", "district", "year", "kind", "source", "status", "decision_number"]
    list_filter = ["district", "year", "kind", "source", "status"]
    search_fields = ["name", "decision_number"]
    inlines = [ExclusionInline, NominationInline]


@admin.register(models.Nomination)
class NominationAdmin(ReadOnlyAdmin):
    list_display = [
        "programme",
        "org_unit",
        "person_name",
        "category",
        "rank",
        "score",
        "tie_at_quota",
        "excluded",
        "withdrawn",
    ]
    list_filter = ["programme__district", "programme__year", "excluded", "withdrawn"]
    search_fields = ["org_unit__name", "person_name"]


@admin.register(models.Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["nomination", "received_at", "outcome", "decided_at"]
    list_filter = ["outcome"]
