"""Automatic assignment from the demo data: preview with a reasoned shortfall, commit, replace, random draw."""

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.applications.models import Application
from portal.audit.models import AuditEntry
from portal.database import commit
from portal.errors import Refusal
from portal.notifications.models import OutboxMessage
from portal.reviews import services
from portal.reviews.assignment import auto
from portal.reviews.evaluation import services as evaluations
from portal.reviews.models import Assignment
from portal.reviews.unit import services as unit_review
from portal.seed import load_demo


@pytest.fixture()
def call(db):
    """The demo 百人计划 call with its four demo applications endorsed and through the formal check."""
    load_demo()
    unit_admin, office = find_user("unit@demo.talent.cn"), find_user("program@demo.talent.cn")
    applications = db.session.execute(select(Application).where(Application.state == "submitted")).scalars().all()
    bairen = [a for a in applications if a.call.program.code == "bairen"]
    for application in bairen:
        unit_review.endorse(
            application,
            unit_admin,
            post="研究员",
            startup_funds="200 万元",
            space="100 平方米",
            opinion="同意",
            unit_scores={"performance": 80, "influence": 80},
        )
        services.formal_pass(application, office, "通过")
    commit()
    return bairen[0].call


def _by_name(preview):
    return {
        preview.applications[a].applicant.name: sorted(
            preview.experts[e].name for x, e, _f in preview.result.pairs if x == a
        )
        for a in preview.applications
    }


def test_preview_assigns_every_application_within_the_rules_and_explains_the_shortfall(db, call):
    preview = auto.preview(call)
    names = _by_name(preview)
    for applicant in ("李娜", "陈浩", "杨帆"):
        assert len(names[applicant]) == 3 and "吴志强" not in names[applicant]
    assert names["王磊"] == []  # computer science: the only expert works in the same institute tree
    shortfall = next(
        s for s in preview.result.shortfalls if preview.applications[s.application_id].applicant.name == "王磊"
    )
    assert "信息科学" in shortfall.reason_zh and "3" in shortfall.reason_zh
    assert max(preview.result.loads.values()) <= 10
    assert db.session.execute(select(Assignment)).first() is None  # a preview writes nothing


def test_commit_writes_all_in_one_go_invites_each_expert_once_and_audits(db, call):
    office = find_user("program@demo.talent.cn")
    preview = auto.preview(call)
    auto.commit_preview(call, mode="optimal", seed=None, k=None, fingerprint=preview.fingerprint, actor=office)
    commit()
    rows = db.session.execute(select(Assignment)).scalars().all()
    assert len(rows) == 9 and {r.method for r in rows} == {"auto"}
    experts = {r.expert_id for r in rows}
    mails = (
        db.session.execute(select(OutboxMessage.to_address).where(OutboxMessage.template == "expert_invitation"))
        .scalars()
        .all()
    )
    assert sorted(mails) == sorted({find_user_by_id(db, e).email for e in experts})
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "assignment.committed")).scalar_one()
    assert entry.data["pairs"] == 9 and entry.data["shortfalls"] == 1 and entry.data["mode"] == "optimal"
    # A second run finds nothing left to do for the staffed applications.
    assert set(auto.applications_to_assign(call)) == {
        a for a in preview.applications if preview.applications[a].applicant.name == "王磊"
    }


def find_user_by_id(db, user_id):
    from portal.accounts.models import User

    return db.session.get(User, user_id)


def test_commit_refuses_a_stale_preview(db, call):
    office = find_user("program@demo.talent.cn")
    preview = auto.preview(call)
    with pytest.raises(Refusal, match="预览|preview"):
        auto.commit_preview(call, mode="optimal", seed=None, k=None, fingerprint="0" * 64, actor=office)
    assert preview.result.pairs


def test_random_draw_is_reproducible_by_seed(db, call):
    first = auto.preview(call, mode="random", seed=20261121)
    again = auto.preview(call, mode="random", seed=20261121)
    assert first.result.pairs == again.result.pairs and first.fingerprint == again.fingerprint
    others = {auto.preview(call, mode="random", seed=s).fingerprint for s in range(1, 8)}
    assert len(others) > 1  # different seeds draw differently
    with pytest.raises(Refusal):
        auto.preview(call, mode="random", seed=None)


def test_replacing_a_decliner_touches_nothing_else(db, call):
    office = find_user("program@demo.talent.cn")
    preview = auto.preview(call)
    auto.commit_preview(call, mode="optimal", seed=None, k=None, fingerprint=preview.fingerprint, actor=office)
    commit()
    before = {(a.application_id, a.expert_id) for a in db.session.execute(select(Assignment)).scalars()}
    declined = db.session.execute(select(Assignment).order_by(Assignment.id)).scalars().first()
    evaluations.decline_assignment(declined, declined.expert, "出差，无法按时完成")
    replacement = auto.replace(declined, office)
    commit()
    after = {
        (a.application_id, a.expert_id)
        for a in db.session.execute(select(Assignment).where(Assignment.status != "declined")).scalars()
    }
    assert after - before == {(declined.application_id, replacement.expert_id)}
    assert before - after == {(declined.application_id, declined.expert_id)}
    assert replacement.expert_id != declined.expert_id and replacement.method == "replace"
