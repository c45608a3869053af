"""Districts, their units and who works where are set up by a superuser here (they have no
lifecycle of their own; docs/design.md, "District")."""

from django.contrib import admin

from . import models


class OrgUnitNameInline(admin.TabularInline):
    model = models.OrgUnitName
    extra = 0


@admin.register(models.District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "supervision_office", "created_at"]
    search_fields = ["name", "code"]


@admin.register(models.OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district", "kind", "category", "active"]
    list_filter = ["district", "kind", "active"]
    search_fields = ["code", "name", "names__name"]
    inlines = [OrgUnitNameInline]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "district", "role", "created_at"]
    list_filter = ["district", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
