"""Who may do what, per district (docs/design.md, "Users and roles").

A staff member's rights come from their Membership rows: a role in a district gives that role
there and nothing anywhere else. A superuser has every role in every district. Views never
test a global role: they fetch the object for the user (sessions.views.access), which hides
another district's objects (404), then ask these functions about that object's district.
"""

from __future__ import annotations

from .models import District, Membership, OrgUnit

Role = Membership.Role
ALL_ROLES = frozenset(Role.values)
# Roles that make a user district staff. A liaison (单位填报员) is not: they see their own
# unit's targets and reports and no session (docs/targets.md, "Reports").
STAFF_ROLES = ALL_ROLES - {Role.LIAISON}


def _roles(user) -> dict[int, frozenset[str]]:
    """District id -> the user's roles there, read once per user object (once per request)."""
    cached = getattr(user, "_district_roles", None)
    if cached is None:
        found: dict[int, set[str]] = {}
        if user.is_authenticated and user.is_active:
            for district_id, role in Membership.objects.filter(
                user=user, role__in=STAFF_ROLES
            ).values_list("district_id", "role"):
                found.setdefault(district_id, set()).add(role)
        cached = {district: frozenset(roles) for district, roles in found.items()}
        user._district_roles = cached
    return cached


def roles_in(user, district_id: int) -> frozenset[str]:
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    if user.is_superuser:
        return STAFF_ROLES
    return _roles(user).get(district_id, frozenset())


def visible_districts(user):
    """The districts whose sessions the user may see at all."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return District.objects.all()
    return District.objects.filter(pk__in=list(_roles(user)) if user.is_authenticated else [])


def districts_where(user, role: str):
    """The districts where the user has ``role`` (an organiser's choice of where to create)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return District.objects.all()
    ids = [d for d, roles in _roles(user).items() if role in roles]
    return District.objects.filter(pk__in=ids)


def is_staff_anywhere(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _roles(user)))


def organises_anywhere(user) -> bool:
    return bool(user.is_authenticated and user.is_active) and (
        user.is_superuser or any(Role.ORGANISER in r for r in _roles(user).values())
    )


def can_view(user, district_id: int) -> bool:
    return bool(roles_in(user, district_id))


def can_organise(user, district_id: int) -> bool:
    return Role.ORGANISER in roles_in(user, district_id)


def can_moderate(user, district_id: int) -> bool:
    """Moderators run the stage (agenda, timer, questions, big screen); organisers may too."""
    return bool({Role.MODERATOR, Role.ORGANISER} & roles_in(user, district_id))


def can_supervise(user, district_id: int) -> bool:
    """Organisers and observers (纪委/人大 supervision): ballots, participation, verification.
    Moderators run the stage and see none of it."""
    return bool({Role.ORGANISER, Role.OBSERVER} & roles_in(user, district_id))


def can_manage_targets(user, district_id: int) -> bool:
    """The supervising office (督查室) and organisers: import targets, accept or return reports,
    issue notices, draw spot checks (docs/targets.md, "Reports")."""
    return bool({Role.OFFICE, Role.ORGANISER} & roles_in(user, district_id))


def liaison_units(user):
    """The units the user reports for as a liaison (单位填报员), at most one per district."""
    if not (user.is_authenticated and user.is_active):
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(liaisons__user=user, liaisons__role=Role.LIAISON).select_related(
        "district"
    )
