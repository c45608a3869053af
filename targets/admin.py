"""Targets are shown here, never changed: they are scored and supervised, so every change will
go through the targets' services and the audit log (docs/targets.md, "Stored")."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import models


class TargetUnitInline(ReadOnlyInline):
    model = models.TargetUnit
    extra = 0


@admin.register(models.Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "district", "year", "goal", "measure", "points", "veto"]
    list_filter = ["district", "year", "kind", "method", "veto"]
    search_fields = ["code", "title"]
    inlines = [TargetUnitInline]
