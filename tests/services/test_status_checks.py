"""Every status column's CHECK constraint is generated from its enum, and the migrated database agrees with it."""

import re

import pytest
from sqlalchemy import String, inspect, text
from sqlalchemy.exc import IntegrityError

from portal.extensions import db as _db
from portal.notifications.models import OutboxMessage, OutboxStatus


def _enum_checks():
    return [
        (table, check)
        for table in _db.metadata.sorted_tables
        for check in table.constraints
        if check.info.get("enum") is not None
    ]


def test_every_status_column_has_a_check_generated_from_its_enum(app):
    checked = {(table.name, check.sqltext.text.split()[0]) for table, check in _enum_checks()}
    status_columns = {
        (table.name, column.name)
        for table in _db.metadata.sorted_tables
        for column in table.columns
        if column.name in ("status", "state")
    }
    assert status_columns <= checked
    for table, check in _enum_checks():
        column = table.columns[check.sqltext.text.split()[0]]
        values = [member.value for member in check.info["enum"]]
        assert isinstance(column.type, String) and max(map(len, values)) <= column.type.length, table.name
        assert check.name == f"ck_{table.name}_{column.name}_known"


def test_the_migrated_database_refuses_what_the_enum_does_not_know(app):
    """What `flask db upgrade` built (the test database) lists exactly the enum's values in each CHECK."""
    with app.app_context():
        inspector = inspect(_db.engine)
        for table, check in _enum_checks():
            found = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
            assert check.name in found, (table.name, check.name)
            assert set(re.findall(r"'([^']*)'", found[check.name])) == {m.value for m in check.info["enum"]}, table.name


def test_an_unknown_status_is_refused(db):
    db.session.add(OutboxMessage(to_address="a@example.cn", subject="s", body_text="b", status="lost"))
    with pytest.raises(IntegrityError, match="(?i)check|ck_outbox_status_known"):
        db.session.flush()
    db.session.rollback()
    db.session.add(OutboxMessage(to_address="a@example.cn", subject="s", body_text="b", status=OutboxStatus.SENT))
    db.session.flush()
    stored = db.session.execute(text("SELECT status FROM outbox WHERE to_address = 'a@example.cn'")).scalars()
    assert stored.all() == ["sent"]
