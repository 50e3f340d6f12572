"""Program admins hold programs: granting and revoking them, who "the program office" of a program is, and the
verbs that act for every held program only (closing notices, the appeals list, an application's roles)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.audit.models import AuditEntry
from portal.programs.access import can_manage, managed, managed_program_ids, program_admins_for, runs_every_program_of
from portal.programs.models import Call, Program
from tests.factories import AssignmentFactory, program_of, submitted_application


def _granted(db) -> list[dict]:
    return [
        e.data
        for e in db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "user.role_granted").order_by(AuditEntry.id)
        ).scalars()
    ]


def test_grant_role_holds_programs_one_row_each(demo, make_user):
    db = demo
    bairen, qianren = program_of(db, "bairen"), program_of(db, "qianren_long")
    user = make_user("applicant")
    sysadmin = make_user("sysadmin")

    role = accounts.grant_role(user, "program_admin", None, sysadmin, program_id=bairen.id)
    assert role.program_id == bairen.id and user.program_ids == {bairen.id}
    assert can_manage(user, bairen) and not can_manage(user, qianren.id)
    with pytest.raises(accounts.AccountError) as refused:
        accounts.grant_role(user, "program_admin", None, sysadmin, program_id=bairen.id)
    assert refused.value.field == "program_id" and bairen.name_zh in refused.value.message

    accounts.grant_role(user, "program_admin", None, sysadmin, program_id=qianren.id)
    assert user.program_ids == {bairen.id, qianren.id}
    assert _granted(db)[-1] == {"role": "program_admin", "unit_id": None, "program_id": qianren.id}

    everything = accounts.grant_role(user, "program_admin", None, sysadmin)  # office-wide
    assert everything.program_id is None and user.program_ids is None and managed_program_ids(user) is None
    with pytest.raises(accounts.AccountError) as refused:
        accounts.grant_role(user, "program_admin", None, sysadmin)
    assert refused.value.field == "program_id"

    # Each program is its own row and is revoked on its own.
    accounts.revoke_role(user, everything.id, sysadmin)
    accounts.revoke_role(user, role.id, sysadmin)
    assert user.program_ids == {qianren.id}
    revoked = (
        db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.role_revoked").order_by(AuditEntry.id))
        .scalars()
        .all()
    )
    assert [e.data["program_id"] for e in revoked] == [None, bairen.id]


def test_a_program_only_for_a_program_admin_and_only_a_real_one(demo, make_user):
    db = demo
    user, sysadmin = make_user("applicant"), make_user("sysadmin")
    with pytest.raises(accounts.AccountError) as refused:
        accounts.grant_role(user, "expert", None, sysadmin, program_id=program_of(db, "bairen").id)
    assert refused.value.field == "program_id"
    with pytest.raises(accounts.AccountError) as refused:
        accounts.grant_role(user, "program_admin", None, sysadmin, program_id=999999)
    assert refused.value.field == "program_id"
    with pytest.raises(accounts.AccountError):  # other roles keep their duplicate check
        accounts.grant_role(user, "applicant", None, sysadmin)


def test_create_user_takes_pairs_and_program_triples(demo, make_user):
    db = demo
    bairen = program_of(db, "bairen")
    office = accounts.create_user(
        "office@example.cn",
        "办公室",
        "a-long-password",
        [("program_admin", None, bairen.id), ("expert", None)],
        actor="test",
    )
    assert office.program_ids == {bairen.id} and office.role_names == {"program_admin", "expert"}
    wide = accounts.create_user("wide@example.cn", "全局", "a-long-password", [("program_admin", None)], actor="test")
    assert wide.program_ids is None
    # The test fixture: a bare "program_admin" stays office-wide, a triple holds one program.
    assert make_user("program_admin").program_ids is None
    assert make_user(("program_admin", None, bairen.id)).program_ids == {bairen.id}


def test_managed_filters_rows_by_held_programs(demo, make_user):
    db = demo
    bairen = program_of(db, "bairen")
    holder = make_user(("program_admin", None, bairen.id))
    calls = db.session.execute(select(Call).where(managed(Call.program_id, holder))).scalars().all()
    assert calls and {c.program_id for c in calls} == {bairen.id}
    assert db.session.execute(select(Call).where(managed(Call.program_id, make_user("expert")))).first() is None
    everyone = db.session.execute(select(Call).where(managed(Call.program_id, make_user("program_admin")))).all()
    assert len(everyone) == len(db.session.execute(select(Call)).all())


def test_the_program_office_is_who_runs_the_program(demo, make_user):
    db = demo
    bairen, qianren = program_of(db, "bairen"), program_of(db, "qianren_long")
    own = make_user(("program_admin", None, bairen.id), email="own@example.cn")
    other = make_user(("program_admin", None, qianren.id), email="other@example.cn")
    wide = make_user("program_admin", email="wide@example.cn")
    gone = make_user(("program_admin", None, bairen.id), email="gone@example.cn")
    gone.active = False
    db.session.commit()
    office = {u.email for u in program_admins_for(bairen)}
    assert {own.email, wide.email} <= office and other.email not in office and gone.email not in office


def test_an_experts_decline_is_told_to_this_programs_office_only(demo, make_user):
    from portal.notifications.models import OutboxMessage
    from portal.reviews.evaluation import services as evaluations

    db = demo
    bairen, qianren = program_of(db, "bairen"), program_of(db, "qianren_long")
    own = make_user(("program_admin", None, bairen.id), email="own@example.cn")
    other = make_user(("program_admin", None, qianren.id), email="other@example.cn")
    application = submitted_application(db, make_user, state="under_review")
    expert = make_user("expert", email="busy-expert@example.cn")
    assignment = AssignmentFactory(application=application, expert=expert)
    db.session.commit()
    evaluations.decline_assignment(assignment, expert, "出差，无法按时完成")
    told = set(
        db.session.execute(
            select(OutboxMessage.to_address).where(OutboxMessage.template == "assignment_declined")
        ).scalars()
    )
    assert own.email in told and other.email not in told


def test_categories_scheme_needs_every_program_of_the_category(demo, make_user):
    db = demo
    youth, young_talent = program_of(db, "qianren_youth"), program_of(db, "youth_talent")
    assert youth.category == young_talent.category == "young"
    one = make_user(("program_admin", None, young_talent.id))
    both = make_user(("program_admin", None, young_talent.id), ("program_admin", None, youth.id))
    assert not runs_every_program_of(one, "young")
    assert runs_every_program_of(both, "young")
    assert runs_every_program_of(make_user("program_admin"), "young")
    assert runs_every_program_of(make_user(("program_admin", None, program_of(db, "bairen").id)), "top")
    assert not runs_every_program_of(make_user("expert"), "top")


def test_an_application_of_another_program_gives_no_office_role(demo, make_user):
    from portal.applications.access import actor_roles, can_view_application
    from portal.applications.models import Application

    db = demo
    application = (
        db.session.execute(select(Application).join(Call).join(Program).where(Program.code == "bairen"))
        .scalars()
        .first()
    )
    stranger = make_user(("program_admin", None, program_of(db, "qianren_long").id))
    owner = make_user(("program_admin", None, program_of(db, "bairen").id))
    assert "program_admin" not in actor_roles(stranger, application)
    assert not can_view_application(stranger, application)
    assert "program_admin" in actor_roles(owner, application) and can_view_application(owner, application)


def test_closing_due_notices_and_pending_appeals_for_held_programs_only(db, make_user):
    from portal.decisions import appeals, services
    from portal.decisions.models import Notice
    from tests.http.test_access_matrix import build_program_objects

    objects = build_program_objects(db)
    notice = db.session.get(Notice, objects["notice"])
    qianren = program_of(db, "qianren_long")
    later = notice.ends_at + timedelta(seconds=1)
    assert appeals.pending_appeals({qianren.id}) == []
    assert [a.id for a in appeals.pending_appeals({objects["program"]})] == [objects["appeal"]]
    assert objects["appeal"] in [a.id for a in appeals.pending_appeals()]

    assert services.close_due_notices(now=later, program_ids={qianren.id}) == []
    assert notice.status == "open"
    assert services.close_due_notices(now=later, program_ids=set()) == []
    [report] = services.close_due_notices(now=later, program_ids={objects["program"]})
    assert report.notice.id == notice.id and report.waiting  # its objection is still pending
