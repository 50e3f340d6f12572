"""Experts are reminded once before their due date and again while late, one email per expert (SPEC §8)."""

from datetime import date, timedelta

from sqlalchemy import select

from portal.database import commit, local_today, utcnow
from portal.notifications.models import OutboxMessage
from portal.reviews.evaluation import reminders
from tests.factories import AssignmentFactory, submitted_application

TODAY = date(2026, 11, 21)


def _assign(db, application, expert, due, status="invited"):
    assignment = AssignmentFactory(application=application, expert=expert, status=status, due_date=due)
    db.session.commit()
    return assignment


def _mails(db, to):
    return (
        db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id))
        .scalars()
        .all()
    )


def test_due_soon_once_overdue_then_every_week_one_email_per_expert(demo, db, make_user):
    expert = make_user("expert", name="钱七", email="qian@example.cn")
    other = make_user("expert", name="孙八", email="sun@example.cn", locale="en")
    a, b, c = (submitted_application(db, make_user, name=name, state="under_review") for name in ("甲", "乙", "丙"))
    soon_a = _assign(db, a, expert, TODAY + timedelta(days=2))
    soon_b = _assign(db, b, expert, TODAY + timedelta(days=3), status="accepted")
    _assign(db, c, expert, TODAY + timedelta(days=4))  # not yet: beyond the 3 days
    late = _assign(db, c, other, TODAY - timedelta(days=2))
    _assign(db, a, other, TODAY - timedelta(days=9), status="submitted")  # answered: never reminded

    sent = reminders.send(TODAY)
    commit()
    assert [(r.expert.email, r.kind, len(r.assignments)) for r in sent] == [
        ("qian@example.cn", "due_soon", 2),
        ("sun@example.cn", "overdue", 1),
    ]
    (mail,) = _mails(db, "qian@example.cn")
    assert mail.subject == f"评审提醒：{(TODAY + timedelta(days=2)).isoformat()} 前到期的评审（2 份）"
    assert f"申请 {a.id}" in mail.body_text and f"申请 {b.id}" in mail.body_text and "尚未答复邀请" in mail.body_text
    assert "甲" not in mail.body_text  # no applicant's name: blind review stays blind
    (late_mail,) = _mails(db, "sun@example.cn")
    assert late_mail.subject.startswith("Overdue evaluations (1)") and "days late: 2" in late_mail.body_text
    assert soon_a.reminded_due_soon_at and soon_b.reminded_due_soon_at and late.reminded_overdue_at

    assert reminders.send(TODAY) == []  # the next day's run (same day here): nothing new
    commit()
    late.reminded_overdue_at = utcnow() - timedelta(days=7)  # a week later
    db.session.commit()
    again = reminders.send(TODAY + timedelta(days=1))
    # The expert's third assignment is now within 3 days; the late one is reminded again a week on.
    assert [(r.expert.email, r.kind, [x.application_id for x in r.assignments]) for r in again] == [
        ("qian@example.cn", "due_soon", [c.id]),
        ("sun@example.cn", "overdue", [c.id]),
    ]


def test_the_command_lists_and_sends(app, demo, db, make_user):
    expert = make_user("expert", name="周九", email="zhou@example.cn")
    application = submitted_application(db, make_user, name="丁", state="under_review")
    _assign(db, application, expert, local_today() + timedelta(days=1))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert "would remind zhou@example.cn: 1 due soon" in dry.output and _mails(db, "zhou@example.cn") == []
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "reminded zhou@example.cn: 1 due soon" in result.output
    assert len(_mails(db, "zhou@example.cn")) == 1
    assert "No reminder is due today." in runner.invoke(args=["reminders", "send"]).output
