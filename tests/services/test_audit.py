"""The audit log is append-only and any edit or deletion is found by `flask audit verify`."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.audit.services import record, verify_chain


def _entries(db, make_user):
    user = make_user("sysadmin")
    return [record("test.action", user, actor=user, data={"n": i, "备注": "测试"}) for i in range(4)]


def _drop_guard(db):
    """What an attacker with database access would do first: remove the append-only trigger."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
    else:
        db.session.execute(text("DROP TRIGGER audit_log_no_update"))
        db.session.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_chain_is_intact_and_cli_says_so(app, db, make_user):
    _entries(db, make_user)
    checked, broken = verify_chain()
    assert broken is None and checked >= 4
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output


def test_database_refuses_update_and_delete(db, make_user):
    entries = _entries(db, make_user)
    for statement in ("UPDATE audit_log SET action = 'x' WHERE id = :id", "DELETE FROM audit_log WHERE id = :id"):
        nested = db.session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": entries[1].id})
        nested.rollback()


def test_edited_row_is_reported(app, db, make_user):
    entries = _entries(db, make_user)
    _drop_guard(db)
    db.session.execute(text("UPDATE audit_log SET actor_label = 'someone-else' WHERE id = :id"), {"id": entries[2].id})
    db.session.expire_all()
    checked, broken = verify_chain()
    assert broken.entry_id == entries[2].id
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"entry {entries[2].id}" in result.output


def test_deleted_row_is_reported(db, make_user):
    entries = _entries(db, make_user)
    _drop_guard(db)
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entries[1].id})
    db.session.expire_all()
    checked, broken = verify_chain()
    assert broken.entry_id == entries[2].id
