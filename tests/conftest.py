"""Fixtures for service, HTTP and browser tests: one migrated database, a rollback per test.

TEST_DATABASE_URL selects the database (PostgreSQL in CI); the default is a SQLite file in a
temporary folder. The schema is built by the Alembic migrations, so every run also proves them.
"""

from __future__ import annotations

import contextvars
import os
import re
import tempfile
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="portal-tests-"))
os.environ.setdefault("PORTAL_INSTANCE_DIR", str(_TMP / "instance"))

# After the instance folder is set: the factories import the portal. Tests import PASSWORD from here.
from tests.factories import PASSWORD, UnitFactory, UserFactory, password_hash  # noqa: E402


def _database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"


def make_app(**overrides):
    from portal import create_app

    config = {
        "TESTING": True,
        "PORTAL_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "PORTAL_BASE_URL": "http://portal.test",
        "UPLOAD_FOLDER": str(_TMP / "uploads"),
        "MAIL_SERVER": "",
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Still argon2id, with cheap parameters so the suite does not spend minutes hashing.
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        # The demo data's application books are 5 PDFs each time it is loaded: only tests/services/test_seed_books.py
        # makes them.
        "DEMO_BOOKS": False,
    }
    config.update(overrides)
    os.environ["DATABASE_URL"] = config.pop("DATABASE_URL", _database_url())
    return create_app(config)


def reset_schema(app) -> None:
    """Empty the database and run every migration from scratch."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.engine.dispose()
            path = engine.url.database
            if path and os.path.exists(path):
                os.remove(path)
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def app():
    application = make_app()
    reset_schema(application)
    return application


@pytest.fixture()
def db(app):
    """A session whose work is rolled back after the test (requests join the same transaction)."""
    from portal.extensions import db as _db
    from portal.extensions import limiter

    limiter.reset()
    ctx = app.app_context()
    ctx.push()
    connection = _db.engine.connect()
    outer = connection.begin()
    original = _db.session
    # A plain SQLAlchemy session: Flask-SQLAlchemy's own one picks the engine and would ignore `bind`.
    from flask.globals import app_ctx
    from sqlalchemy.orm import scoped_session, sessionmaker

    _db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=lambda: id(app_ctx._get_current_object()),
    )
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session = original
        outer.rollback()
        connection.close()
        ctx.pop()


class PortalClient:
    """The Flask test client plus CSRF-aware form posts and logging in as someone."""

    def __init__(self, flask_client):
        self.c = flask_client

    def __getattr__(self, name):
        return getattr(self.c, name)

    # Each request runs in an empty contextvars context: Flask then gives it a fresh application
    # context (own `g`, own session) instead of reusing the test's, as a real server would. Responses are
    # buffered: the body is read and the response closed at once, as a server does, so that a served file is
    # closed even when the test looks only at the status (else: ResourceWarning, an error under filterwarnings).
    def open(self, *args, **kwargs):
        return contextvars.Context().run(self.c.open, *args, **{"buffered": True, **kwargs})

    def get(self, *args, **kwargs):
        return contextvars.Context().run(self.c.get, *args, **{"buffered": True, **kwargs})

    def post(self, *args, **kwargs):
        return contextvars.Context().run(self.c.post, *args, **{"buffered": True, **kwargs})

    def csrf_token(self) -> str:
        page = self.get("/").get_data(as_text=True)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    logged_in = False

    def post_form(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)  # in its own context, like every request

    def login(self, email, password):
        response = self.post_form("/account/login", {"email": email, "password": password})
        self.logged_in = response.status_code == 302
        return response

    def logout(self):
        response = self.post_form("/account/logout")
        self.logged_in = False
        return response


@pytest.fixture()
def client(app, db):
    return PortalClient(app.test_client())


@pytest.fixture()
def make_user(db):
    """Create a confirmed account with the given roles: make_user('expert', ('unit_admin', unit_id)).

    A program admin holds one program with ('program_admin', None, program_id); a bare 'program_admin' is an
    office-wide grant (every program)."""

    def factory(*roles, email=None, name="测试用户", password=PASSWORD, confirmed=True, locale="zh_CN"):
        named = {"email": email.strip().lower()} if email else {}
        user = UserFactory(
            **named,
            name=name,
            password_hash=password_hash(password),
            locale=locale,
            unconfirmed=not confirmed,
            roles=roles,
        )
        db.session.commit()
        return user

    return factory


@pytest.fixture()
def unit(db):
    """A school (T-CHILD) of a university (T-ROOT)."""
    child = UnitFactory(
        code="T-CHILD",
        name_zh="测试学院",
        name_en="Test School",
        parent=UnitFactory(code="T-ROOT", name_zh="测试大学", name_en="Test University"),
    )
    db.session.commit()
    return child


@pytest.fixture()
def login_as(client, make_user):
    """Log the test client in as a new person holding the roles."""

    def do(*roles, **kwargs):
        user = make_user(*roles, **kwargs)
        response = client.login(user.email, PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return do


def scratch_database(app):
    """A new, empty database of the test database's kind: (url, drop callback)."""
    import uuid

    from sqlalchemy import create_engine, text

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        return f"sqlite:///{_TMP / ('scratch-' + uuid.uuid4().hex + '.db')}", lambda: None
    name = "scratch_" + uuid.uuid4().hex[:12]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{url.rsplit('/', 1)[0]}/{name}", drop


@pytest.fixture()
def demo(db):
    """The demo data of `flask seed demo` (programs, calls, units, schemes, experts, demo applications)."""
    from portal.seed import load_demo

    load_demo()
    return db


@pytest.fixture()
def count_queries(db):
    """count_queries(fn) -> (number of SQL statements fn issued, fn's result): for constant-query tests."""
    from sqlalchemy import event

    def run(fn):
        statements = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        engine = db.session.get_bind().engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            result = fn()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        if os.environ.get("SHOW_QUERIES"):
            print(*statements, sep="\n---\n")
        return len(statements), result

    return run
