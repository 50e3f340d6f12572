"""Every status has its label beside its enum, and templates never spell a stored status themselves."""

import re
from pathlib import Path

import pytest

from portal.applications.workflow import STATE_LABELS, State
from portal.decisions.models import (
    APPEAL_STATUS_LABELS,
    NOTICE_STATUS_LABELS,
    OBJECTION_STATUS_LABELS,
    AppealStatus,
    NoticeStatus,
    ObjectionStatus,
)
from portal.letters.models import LETTER_JOB_STATUS_LABELS, LETTER_STATUS_LABELS, LetterJobStatus, LetterStatus
from portal.programs.call_workflow import STATE_LABELS as CALL_STATE_LABELS
from portal.programs.call_workflow import CallState
from portal.reviews.assignment.lifecycle import EXPERT_STATUS_LABELS, STATUS_LABELS, AssignmentStatus

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    ("labels", "enum"),
    [
        (STATE_LABELS, State),
        (CALL_STATE_LABELS, CallState),
        (STATUS_LABELS, AssignmentStatus),
        (EXPERT_STATUS_LABELS, AssignmentStatus),
        (NOTICE_STATUS_LABELS, NoticeStatus),
        (OBJECTION_STATUS_LABELS, ObjectionStatus),
        (APPEAL_STATUS_LABELS, AppealStatus),
        (LETTER_STATUS_LABELS, LetterStatus),
        (LETTER_JOB_STATUS_LABELS, LetterJobStatus),
    ],
)
def test_every_member_has_a_label(labels, enum):
    assert set(labels) == set(enum)
    assert all(labels.values())
    # Templates index them with what the database hands back: a plain string finds the member's label.
    assert all(labels[member.value] is labels[member] for member in enum)


def test_templates_compare_statuses_with_the_enums_not_with_spelled_values():
    spelled = re.compile(r"\.(status|state)\s*(==|!=|in|not in)\s*[(\[]?\s*['\"]")
    found = [
        f"{path.relative_to(TEMPLATES)}:{n}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line)
    ]
    assert not found, found
