"""commit_or_refuse: an accepted verb is committed with its emails; a refused one leaves nothing and says why."""

from types import SimpleNamespace

import pytest
from flask import get_flashed_messages
from sqlalchemy import select

from portal.applications.services import ApplicationError
from portal.database import rollback
from portal.letters.services import LetterError
from portal.notifications.models import OutboxMessage
from portal.notifications.services import queue_email
from portal.programs.models import Unit
from portal.views_support import commit_or_refuse
from tests.factories import UnitFactory


@pytest.fixture()
def request_context(app, db):
    with app.test_request_context("/"):
        yield


def _open_unit(db, code, *reasons, error=ApplicationError, written=None):
    """A verb: adds a unit, queues an email and may write a file, then refuses when given reasons."""
    UnitFactory(code=code, name_zh="临时单位", name_en="Temporary unit")
    queue_email(
        f"{code.lower()}@example.cn",
        "reset_password",
        locale="zh_CN",
        user=SimpleNamespace(name="临时"),
        link="http://portal.test/x",
        minutes=60,
    )
    if written is not None:
        written.write_bytes(b"%PDF-")
        db.session.info.setdefault("files_written", []).append(written)
    if reasons:
        raise error(*reasons)
    return code


def _unit(db, code):
    return db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


def _mail(db, code):
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.to_address == f"{code.lower()}@example.cn")
    ).scalar_one_or_none()


def test_accepted_verb_is_committed_and_its_email_sent(db, request_context, tmp_path):
    written = tmp_path / "kept.pdf"
    done = commit_or_refuse(_open_unit, db, "T-DONE", written=written)
    assert done and done.ok and done.result == "T-DONE"
    rollback()  # nothing left to undo: the unit, the email and the file stay
    assert _unit(db, "T-DONE") is not None and written.exists()
    assert _mail(db, "T-DONE").status == "logged"
    assert get_flashed_messages() == []


def test_refused_verb_leaves_nothing_and_flashes_every_reason(db, request_context, tmp_path):
    written = tmp_path / "dropped.pdf"
    refused = commit_or_refuse(_open_unit, db, "T-NO", "First reason.", "Second reason.", written=written)
    assert not refused and refused.result is None
    assert _unit(db, "T-NO") is None and _mail(db, "T-NO") is None and not written.exists()
    assert get_flashed_messages(with_categories=True) == [("danger", "First reason."), ("danger", "Second reason.")]


def test_every_feature_error_is_a_refusal(db, request_context):
    refused = commit_or_refuse(_open_unit, db, "T-LETTER", "This letter is already revoked.", error=LetterError)
    assert not refused and _unit(db, "T-LETTER") is None
    assert get_flashed_messages(with_categories=True) == [("danger", "This letter is already revoked.")]


def test_errors_that_are_not_refusals_pass_through(db, request_context):
    with pytest.raises(ValueError):
        commit_or_refuse(_open_unit, db, "T-VALUE", "Bad value.", error=ValueError)
    assert get_flashed_messages() == []
