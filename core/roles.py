"""Staff roles (DESIGN.md section 6) as Django groups holding the session permissions.

Views check permissions, never group names, so a superuser or a custom group works as well.
"""

from django.contrib.auth.models import Group, Permission

ORGANISER = "组织者"
MODERATOR = "主持人"
OBSERVER = "观察员"

PERM_ORGANISE = "review.organise_session"
PERM_MODERATE = "review.moderate_session"
PERM_OBSERVE = "review.observe_session"
VIEW_PERMS = (PERM_ORGANISE, PERM_MODERATE, PERM_OBSERVE)

ROLE_PERMISSIONS = {
    ORGANISER: ["organise_session", "observe_session"],
    MODERATOR: ["moderate_session"],
    OBSERVER: ["observe_session"],
}


def ensure_role_groups(**kwargs) -> None:
    """Create the three role groups with their permissions (run after every migrate)."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="review", codename__in=codenames)
        if perms.count() == len(codenames):
            group.permissions.add(*perms)


def can_view(user) -> bool:
    return user.is_authenticated and any(user.has_perm(p) for p in VIEW_PERMS)


def can_organise(user) -> bool:
    return user.is_authenticated and user.has_perm(PERM_ORGANISE)


def can_moderate(user) -> bool:
    """Moderators run the stage (agenda, timer, questions, big screen); organisers may too."""
    return user.is_authenticated and (user.has_perm(PERM_MODERATE) or user.has_perm(PERM_ORGANISE))


def can_supervise(user) -> bool:
    """Organisers and observers (纪委/人大 supervision): ballots, participation, verification.
    Moderators run the stage and see none of it."""
    return can_organise(user) or (user.is_authenticated and user.has_perm(PERM_OBSERVE))
