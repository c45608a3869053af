"""评议码 (credentials): generation, revocation and reissue.

A code is 8 characters from a 32-letter alphabet without 0/O/1/I, i.e. 40 bits, drawn with
``secrets``; it is unique across all sessions because the entry page takes the code alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit

from . import lifecycle
from .models import Credential, RaterGroup, ReviewSession, Unit, UnitCategory

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_PER_CALL = 2000


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a rater types: ignore case, spaces and dashes."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -")


def _require_issuable(session: ReviewSession) -> None:
    if session.in_rehearsal:
        # A code issued now would be deleted by the reset (docs/rehearsal.md).
        raise ValidationError(_("正在彩排：彩排期间不能发放评议码，请在结束彩排并恢复后发放。"))
    if not lifecycle.can_issue_credentials(session):
        raise ValidationError(
            _("评议会状态为“%(status)s”，不能再发放评议码。")
            % {"status": session.get_status_display()}
        )


def _create_with_unique_code(**fields) -> Credential:
    # 40 bits make a clash vanishingly rare; retry rather than check-then-insert, which races.
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return Credential.objects.create(code=new_code(), **fields)
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free credential code after 10 attempts")


@transaction.atomic
def credentials_generate(
    *,
    session: ReviewSession,
    group: RaterGroup,
    actor,
    count: int | None = None,
    holder_names: Sequence[str] = (),
    holder_unit: Unit | None = None,
) -> list[Credential]:
    """Issue ``count`` anonymous credentials, or one per name in ``holder_names``, for ``group``.
    ``holder_unit`` (the raters' own unit) keeps them from rating it (docs/design.md §4.2)."""
    _require_issuable(session)
    if group.session_id != session.pk:
        raise ValidationError(_("所选评议组不属于本评议会。"))
    if holder_unit is not None and holder_unit.session_id != session.pk:
        raise ValidationError(_("所选单位不属于本评议会。"))
    names = [n.strip() for n in holder_names if n and n.strip()]
    if names and count not in (None, len(names)):
        raise ValidationError(_("填写了持有人名单时，数量须与名单人数一致。"))
    total = len(names) if names else (count or 0)
    if not 1 <= total <= MAX_PER_CALL:
        raise ValidationError(_("每次生成的数量须在 1 到 %(max)s 之间。") % {"max": MAX_PER_CALL})
    if any(len(n) > 100 for n in names):
        raise ValidationError(_("持有人姓名不能超过 100 个字符。"))
    issued = [
        _create_with_unique_code(
            session=session,
            group=group,
            holder_name=names[i] if names else "",
            holder_unit=holder_unit,
        )
        for i in range(total)
    ]
    audit(
        session=session,
        actor=actor,
        action="credential.generate",
        message=_("为评议组“%(group)s”生成 %(n)s 个评议码%(unit)s")
        % {
            "group": group.name,
            "n": total,
            "unit": (_("（所在单位：%(u)s）") % {"u": holder_unit.name}) if holder_unit else "",
        },
        group=group.pk,
        count=total,
    )
    return issued


MAX_PER_UNIT = 50


def per_unit_plan(
    *, session: ReviewSession, group: RaterGroup, category: UnitCategory, per_unit: int
) -> list[Unit]:
    """The units that would each get ``per_unit`` own-unit codes, or the reason why not. Shared
    by the confirmation page and the write, so what was confirmed is what is issued."""
    _require_issuable(session)
    if group.session_id != session.pk:
        raise ValidationError(_("所选评议组不属于本评议会。"))
    if category.session_id != session.pk:
        raise ValidationError(_("所选类别不属于本评议会。"))
    if not 1 <= per_unit <= MAX_PER_UNIT:
        raise ValidationError(_("每个单位的数量须在 1 到 %(max)s 之间。") % {"max": MAX_PER_UNIT})
    units = list(category.units.order_by("name", "pk"))
    if not units:
        raise ValidationError(
            _("类别“%(category)s”还没有单位，无法按单位生成评议码。") % {"category": category.name}
        )
    if len(units) * per_unit > MAX_PER_CALL:
        raise ValidationError(
            _("共需生成 %(n)s 个评议码，超过每次 %(max)s 个的上限，请减少每单位数量。")
            % {"n": len(units) * per_unit, "max": MAX_PER_CALL}
        )
    return units


@transaction.atomic
def credentials_generate_per_unit(
    *,
    session: ReviewSession,
    group: RaterGroup,
    category: UnitCategory,
    per_unit: int,
    actor,
) -> list[Credential]:
    """Issue ``per_unit`` codes for every unit of ``category``, each carrying its holder unit so
    that its rater cannot rate their own unit (docs/design.md §4.2): e.g. 3 codes for each
    镇(街道) in the group 镇(街道). All or nothing, one audit entry."""
    units = per_unit_plan(session=session, group=group, category=category, per_unit=per_unit)
    issued = [
        _create_with_unique_code(session=session, group=group, holder_name="", holder_unit=unit)
        for unit in units
        for _n in range(per_unit)
    ]
    audit(
        session=session,
        actor=actor,
        action="credential.generate_per_unit",
        message=_(
            "为评议组“%(group)s”按类别“%(category)s”的 %(units)s 个单位各生成 %(per)s 个本单位评议码，共 %(n)s 个"
        )
        % {
            "group": group.name,
            "category": category.name,
            "units": len(units),
            "per": per_unit,
            "n": len(issued),
        },
        group=group.pk,
        category=category.pk,
        per_unit=per_unit,
        units=[unit.pk for unit in units],
        count=len(issued),
    )
    return issued


# ---------------------------------------------------------------- revoke, reissue, print


def _require_not_ended(session: ReviewSession, credential: Credential | None = None) -> None:
    if session.in_rehearsal and credential is not None and not credential.rehearsal:
        raise ValidationError(_("正在彩排：正式评议码在彩排期间不能作废或补发。"))
    if lifecycle.has_ended(session):
        raise ValidationError(
            _("评议会状态为“%(status)s”，评议码不能再作废或补发。")
            % {"status": session.get_status_display()}
        )


def _lock_credential(credential: Credential) -> Credential:
    """Re-read under a row lock so that a revoke cannot race a ballot or a second reissue."""
    return (
        Credential.objects.select_for_update(of=("self",))
        .select_related("session", "group")
        .get(pk=credential.pk)
    )


def _require_unused(credential: Credential, doing: str) -> None:
    # A submitted ballot is counted in the results; its credential stays as it is.
    if credential.submitted_at is not None:
        raise ValidationError(
            _("评议码 #%(id)s 已提交评议表，不能%(doing)s。")
            % {"id": credential.pk, "doing": doing}
        )


def _label(credential: Credential) -> str:
    # Audit entries are read by observers, who must never see a code: name the id instead.
    return _("#%(id)s（评议组“%(group)s”）") % {"id": credential.pk, "group": credential.group.name}


def _revoke(credential: Credential) -> None:
    credential.status = Credential.Status.REVOKED
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["status", "revoked_at"])


@transaction.atomic
def credential_revoke(*, credential: Credential, actor) -> Credential:
    """Make a lost or wrongly issued code unusable. A code that has rated stays valid."""
    credential = _lock_credential(credential)
    _require_not_ended(credential.session, credential)
    if credential.status == Credential.Status.REVOKED:
        raise ValidationError(_("评议码 #%(id)s 已经作废。") % {"id": credential.pk})
    _require_unused(credential, _("作废"))
    _revoke(credential)
    audit(
        session=credential.session,
        actor=actor,
        action="credential.revoke",
        message=_("作废评议码 %(label)s") % {"label": _label(credential)},
        credential=credential.pk,
    )
    return credential


@transaction.atomic
def credential_reissue(*, credential: Credential, actor) -> Credential:
    """Replace a code (lost card, code seen by someone else): the old one is revoked if still
    active and a new one is issued for the same group, holder and holder unit."""
    old = _lock_credential(credential)
    _require_not_ended(old.session, old)
    _require_unused(old, _("补发"))
    successor = Credential.objects.filter(reissued_from=old).first()
    if successor is not None:
        raise ValidationError(
            _("评议码 #%(id)s 已补发过（新码 #%(new)s），请对新码操作。")
            % {"id": old.pk, "new": successor.pk}
        )
    was_active = old.status == Credential.Status.ACTIVE
    if was_active:
        _revoke(old)
    new = _create_with_unique_code(
        session=old.session,
        group=old.group,
        holder_name=old.holder_name,
        holder_unit_id=old.holder_unit_id,
        reissued_from=old,
        rehearsal=old.rehearsal,
    )
    audit(
        session=old.session,
        actor=actor,
        action="credential.reissue",
        message=_("补发评议码：%(old)s%(revoked)s，新码 #%(new)s")
        % {
            "old": _label(old),
            "revoked": _("作废") if was_active else _("（此前已作废）"),
            "new": new.pk,
        },
        credential=old.pk,
        new_credential=new.pk,
    )
    return new


@transaction.atomic
def credentials_printed(
    *, session: ReviewSession, actor, credentials: Sequence[Credential]
) -> None:
    """Record that cards were printed: who holds paper codes matters when one goes missing."""
    audit(
        session=session,
        actor=actor,
        action="credential.print",
        message=_("打印 %(n)s 张评议卡") % {"n": len(credentials)},
        credentials=[c.pk for c in credentials],
    )
