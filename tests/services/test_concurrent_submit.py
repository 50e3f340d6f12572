"""Two tabs (or a double click, or a retry) submitting at the same moment produce one submission."""

import threading

from sqlalchemy import func, select

from tests.conftest import make_app, reset_schema, scratch_database
from tests.factories import call_of, fill_application, make_profile


def test_two_threads_submit_once(app):
    url, drop = scratch_database(app)
    application_app = make_app(DATABASE_URL=url)
    reset_schema(application_app)
    try:
        from portal.accounts.services import create_user
        from portal.applications import referees, services
        from portal.applications.models import Application
        from portal.audit.models import AuditEntry
        from portal.extensions import db
        from portal.programs.models import Unit
        from portal.seed import load_demo
        from tests.factories import pdf_bytes

        with application_app.app_context():
            load_demo()
            user = create_user("race@example.cn", "并发测试", "a-long-password", [("applicant", None)], actor="test")
            db.session.commit()
            make_profile(db, user)
            unit_id = db.session.execute(select(Unit.id).where(Unit.code == "CAS-AMSS")).scalar_one()
            application = services.start_application(call_of(db, "bairen"), user, unit_id)
            db.session.commit()
            fill_application(db, application)
            referee = referees.invite_referee(
                application, name="周", email="zhou@example.edu", institution="x", title="", locale="zh_CN"
            )
            db.session.commit()
            referees.upload_letter(referee, pdf_bytes(1), "l.pdf")
            db.session.commit()
            application_id, user_id = application.id, user.id

        barrier = threading.Barrier(2)
        outcomes, errors = [], []

        def submit():
            from portal.accounts.models import User

            with application_app.app_context():
                actor = db.session.get(User, user_id)
                barrier.wait()
                try:
                    outcomes.append(services.submit_application_with_retry(application_id, actor))
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(repr(exc))

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert sorted(o for o in outcomes) == [False, True]  # one real submission, one "already"
        with application_app.app_context():
            submits = db.session.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "application.submit", AuditEntry.object_id == str(application_id))
            ).scalar_one()
            row = db.session.get(Application, application_id)
            assert submits == 1 and row.submission_count == 1 and row.state == "submitted"
            db.session.remove()  # give its connection back first: dispose() closes only the pooled ones
            db.engine.dispose()
    finally:
        drop()
