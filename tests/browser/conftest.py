"""Browser journeys: the real app served on loopback, driven by Debian's Chromium through Playwright."""

import os
import shutil
import socket
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app, reset_schema, scratch_database

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app(app):
    """A separate database (its data is committed for real) and a server thread on a free port."""
    url, drop = scratch_database(app)
    application = make_app(DATABASE_URL=url, PORTAL_BASE_URL="http://127.0.0.1")
    reset_schema(application)
    with application.app_context():
        from portal.seed import load_demo

        load_demo()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    application.config["PORTAL_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    application.base_url = f"http://127.0.0.1:{port}"
    yield application
    server.shutdown()
    with application.app_context():
        from portal.extensions import db

        db.engine.dispose()
    drop()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (make test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture()
def page(browser, live_app):
    context = browser.new_context(base_url=live_app.base_url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(8000)
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    yield page
    context.close()
