"""Take the README's screenshots from a fresh demo database: python tools/screenshots.py

Serves the app on a free loopback port with a temporary SQLite database, drives Debian's Chromium
through Playwright and writes PNG files into docs/screenshots/.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="portal-shots-"))
os.environ.update(PORTAL_INSTANCE_DIR=str(WORK), DATABASE_URL=f"sqlite:///{WORK / 'demo.db'}", SECRET_KEY="shots")

from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from portal import create_app  # noqa: E402
from portal.seed import DEMO_PASSWORD, load_demo  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    app = create_app({"PORTAL_ENV": "development"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_demo()
        from sqlalchemy import func, select

        from portal.applications.models import Application
        from portal.extensions import db
        from portal.programs.models import Program

        youth = db.session.execute(select(Program.id).where(Program.code == "youth_talent")).scalar_one()
        busiest = db.session.execute(
            select(Application.call_id).group_by(Application.call_id).order_by(func.count().desc()).limit(1)
        ).scalar()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )

        def shoot(email: str | None, path: str, name: str, locale_path: str | None = None):
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
            page = context.new_page()
            if email:
                page.goto("/account/login")
                page.fill("#email", email)
                page.fill("#password", DEMO_PASSWORD)
                page.click("main button[type=submit]")
            if locale_path:
                page.goto(locale_path)
            page.goto(path)
            page.screenshot(path=str(OUT / name), full_page=False)
            context.close()
            print("wrote", OUT / name)

        shoot(None, "/", "home.png")
        shoot(None, "/calls/5", "call-en.png", locale_path="/lang/en")
        shoot("applicant@demo.talent.cn", "/profile", "profile.png")
        shoot("unit@demo.talent.cn", "/unit/", "unit-review.png")
        shoot("program@demo.talent.cn", "/office/", "office.png")
        shoot("admin@demo.talent.cn", "/admin/users", "admin-users.png")
        shoot("program@demo.talent.cn", f"/office/calls/{busiest}/statistics", "statistics.png")
        shoot("youth.office@demo.talent.cn", f"/office/programs/{youth}/rules", "rules-editor.png")
        shoot("program@demo.talent.cn", f"/office/calls/{busiest}", "call-life.png")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
