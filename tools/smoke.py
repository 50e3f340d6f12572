"""Smoke-check a running portal over HTTP: pages in both languages, a demo login, an admin page.

Usage: python tools/smoke.py http://127.0.0.1:5000
"""

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

DEMO_PASSWORD = "demo-password-2026"


def main(base: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    failures = []

    def get(path):
        with opener.open(base + path, timeout=20) as response:
            return response.status, response.read().decode("utf-8")

    def login(email):
        nonlocal opener
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = get("/account/login")[1]
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": DEMO_PASSWORD}).encode()
        with opener.open(base + "/account/login", data=data, timeout=20) as response:
            return response.read().decode("utf-8")

    def check(name, condition):
        print(("ok   " if condition else "FAIL ") + name)
        if not condition:
            failures.append(name)

    status, page = get("/healthz")
    check("health check answers", status == 200 and '"ok"' in page)
    status, page = get("/")
    check("home page in Chinese lists open calls", status == 200 and "正在申报的批次" in page and "百人计划" in page)
    status, page = get("/account/login")
    check("login page in Chinese", "登录" in page)
    check("a program office logs in", "黄敏" in login("youth.office@demo.talent.cn"))
    status, page = get("/office/programs/")
    check("it runs its own programs only", status == 200 and "青年英才开发计划" in page and "百人计划" not in page)
    check("demo sysadmin logs in", "刘洋" in login("admin@demo.talent.cn"))
    status, page = get("/admin/users")
    check("admin user list", status == 200 and "applicant@demo.talent.cn" in page)
    status, page = get("/lang/en?next=/admin/users")
    check("English interface", "Users and roles" in page)
    try:
        get("/no-such-page")
        check("404 page", False)
    except urllib.error.HTTPError as exc:
        check("404 page in English", exc.code == 404 and "Page not found" in exc.read().decode())
    print(f"{9 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:5000"))
