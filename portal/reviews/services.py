"""The program office's review verbs (SPEC §5.2, §5.5): the formal check and its recheck, completing the review, clearing an integrity flag."""

from __future__ import annotations

from flask_babel import gettext as _

from ..accounts.models import User
from ..applications import workflow
from ..applications.models import Application
from ..applications.services import apply_transition
from ..audit.services import record
from ..programs.access import can_manage
from .errors import ReviewError
from .evaluation.schemes import fix_scheme

A = workflow.Action


# ---------------------------------------------------------------- formal check (SPEC §5.2)


def formal_pass(application: Application, actor: User, comment: str) -> None:
    fix_scheme(application.call)
    apply_transition(application, A.FORMAL_PASS, actor, comment=comment)


def formal_fail(application: Application, actor: User, reasons: str) -> None:
    apply_transition(application, A.FORMAL_FAIL, actor, comment=reasons)


def decide_recheck(application: Application, actor: User, accept: bool, comment: str) -> None:
    if accept:
        fix_scheme(application.call)
    apply_transition(application, A.ACCEPT_RECHECK if accept else A.REJECT_RECHECK, actor, comment=comment)


def complete_review(application: Application, actor: User) -> None:
    apply_transition(application, A.COMPLETE_REVIEW, actor)


def clear_integrity_flag(application: Application, actor: User, reason: str) -> None:
    """Lift the integrity flag (it blocks approval) with a written reason."""
    if not can_manage(actor, application.call.program_id):
        raise ReviewError(_("Only the program office can clear an integrity flag."))
    if len(reason.strip()) < 5:
        raise ReviewError(_("Give the reason for clearing the flag."))
    application.integrity_flag = False
    application.integrity_cleared_reason = reason.strip()
    record("application.integrity_cleared", application, actor=actor, data={"reason": reason.strip()})
