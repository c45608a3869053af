"""Districts and persistent units, step 2 of 3: everything the database holds moves into one
district, nothing is lost or changed.

- The installation's district, by the settings HUIJI_DISTRICT_CODE / HUIJI_DISTRICT_NAME
  (huiji / 惠济区 by default), made if missing. Every session joins it.
- Every session's unit is linked to an OrgUnit: units of the same name in a category of the
  same name are one OrgUnit across sessions (docs/design.md, "OrgUnit"); its kind is the
  category's 交叉评议 side; codes U0001… in the order the units first appeared (oldest session
  first), and each name is kept with the first year it was used.
- The rater groups named 县级领导, which the tie-break used to find by that name, are flagged
  is_leaders: the scores, ranks and hashes they give are the same.
- Staff keep what they could do: a member of the 组织者 / 主持人 / 观察员 group, or a user
  holding one of those permissions directly, gets that role in the district.

Reversing drops nothing here: 0007's reversal removes the columns.
"""

from django.conf import settings
from django.db import migrations

LEADERS = "县级领导"
ROLES = {"组织者": "organiser", "主持人": "moderator", "观察员": "observer"}
PERMISSIONS = {
    "organise_session": "organiser",
    "moderate_session": "moderator",
    "observe_session": "observer",
}


def forward(apps, schema_editor):
    District = apps.get_model("org", "District")
    OrgUnit = apps.get_model("org", "OrgUnit")
    OrgUnitName = apps.get_model("org", "OrgUnitName")
    Membership = apps.get_model("org", "Membership")
    ReviewSession = apps.get_model("review", "ReviewSession")
    Unit = apps.get_model("review", "Unit")
    RaterGroup = apps.get_model("review", "RaterGroup")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))

    if not (ReviewSession.objects.exists() or User.objects.exists()):
        return  # a new database: the district is made on first use
    district, _created = District.objects.get_or_create(
        code=settings.HUIJI_DISTRICT_CODE, defaults={"name": settings.HUIJI_DISTRICT_NAME}
    )
    ReviewSession.objects.filter(district__isnull=True).update(district=district)

    # OrgUnits the district already has (a database that had them before) are used first.
    known = {(o.name, o.category): o for o in OrgUnit.objects.filter(district=district)}
    taken = set(OrgUnit.objects.filter(district=district).values_list("code", flat=True))
    number = 0
    units = Unit.objects.filter(org_unit__isnull=True).select_related("session", "category")
    for unit in units.order_by("session__year", "session_id", "id"):
        key = (unit.name, unit.category.name)
        org_unit = known.get(key)
        if org_unit is None:
            number += 1
            while f"U{number:04d}" in taken:
                number += 1
            org_unit = OrgUnit.objects.create(
                district=district,
                code=f"U{number:04d}",
                name=unit.name,
                kind=unit.category.side,
                category=unit.category.name,
            )
            OrgUnitName.objects.create(unit=org_unit, name=unit.name, since=unit.session.year)
            known[key] = org_unit
        unit.org_unit = org_unit
        unit.save(update_fields=["org_unit"])

    RaterGroup.objects.filter(name=LEADERS).update(is_leaders=True)

    for group in Group.objects.filter(name__in=ROLES):
        for user in group.user_set.all():
            Membership.objects.get_or_create(user=user, district=district, role=ROLES[group.name])
    for user in User.objects.filter(
        user_permissions__content_type__app_label="review",
        user_permissions__codename__in=PERMISSIONS,
    ).distinct():
        for codename in user.user_permissions.filter(
            content_type__app_label="review", codename__in=PERMISSIONS
        ).values_list("codename", flat=True):
            Membership.objects.get_or_create(
                user=user, district=district, role=PERMISSIONS[codename]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0007_districts_and_org_units"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
