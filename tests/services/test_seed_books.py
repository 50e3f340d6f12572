"""The demo seed produces the application books of its submitted applications, as a real submission does."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.applications.models import Application
from portal.extensions import db as _db
from portal.seed import load_demo
from portal.seed_applications import DEMO_APPLICANTS
from portal.storage import Document, document_path


@pytest.fixture()
def demo(app, db):
    """The demo data with its application books (the suite leaves them out elsewhere: DEMO_BOOKS)."""
    app.config["DEMO_BOOKS"] = True
    try:
        load_demo()
        yield db
    finally:
        app.config["DEMO_BOOKS"] = False


def _demo_applications() -> list[Application]:
    ids = [find_user(email).id for email, *_ in DEMO_APPLICANTS]
    return _db.session.execute(select(Application).where(Application.applicant_id.in_(ids))).scalars().all()


def test_every_demo_application_has_its_book(demo):
    applications = _demo_applications()
    assert len(applications) == len(DEMO_APPLICANTS)
    for application in applications:
        assert application.state == "submitted" and application.snapshot is not None
        book = application.book
        assert book is not None, application.id
        assert book.kind == f"book-{application.submission_count}" and book.application_id == application.id
        assert book.original_name == f"{application.snapshot['reference']}.pdf"
        pdf = document_path(book).read_bytes()
        assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == book.sha256


def test_seeding_twice_makes_no_second_book(demo):
    books = {a.id: a.book_document_id for a in _demo_applications()}
    documents = _db.session.execute(select(func.count()).select_from(Document)).scalar_one()
    load_demo()
    assert {a.id: a.book_document_id for a in _demo_applications()} == books
    assert _db.session.execute(select(func.count()).select_from(Document)).scalar_one() == documents


def test_seeding_again_makes_a_missing_book(demo):
    """Demo applications seeded before the seed made books get theirs on the next `flask seed demo`."""
    application = _demo_applications()[0]
    application.book_document_id = None
    _db.session.flush()
    load_demo()
    _db.session.refresh(application)
    assert application.book is not None and application.book.kind == f"book-{application.submission_count}"
