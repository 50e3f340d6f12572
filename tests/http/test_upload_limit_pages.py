"""The "file too large" page names the configured limit; the home page joins programs once."""

from sqlalchemy import event


def test_too_large_page_names_the_configured_limit(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 30)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    client.get("/lang/en")
    response = client.post("/account/login", data={"email": "a@example.cn", "password": "x" * 4096})
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "larger than 30 MB" in body and "20 MB" not in body


def test_home_page_loads_open_calls_with_one_join_to_programs(demo, client):
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    engine = demo.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    calls_query = [s for s in statements if "FROM calls" in s]
    assert calls_query and all(s.count("JOIN programs") == 1 for s in calls_query), calls_query
