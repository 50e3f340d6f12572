"""The upload limit is configured once (MAX_UPLOAD_MB); the request limit and every message follow it."""

from portal.config import load_config


def test_request_limit_follows_max_upload_mb(monkeypatch):
    monkeypatch.setenv("MAX_UPLOAD_MB", "30")
    cfg = load_config({"SECRET_KEY": "k"})
    assert cfg["MAX_UPLOAD_MB"] == 30
    assert cfg["MAX_CONTENT_LENGTH"] > 30 * 1024 * 1024


def test_request_limit_follows_an_overridden_max_upload_mb():
    cfg = load_config({"SECRET_KEY": "k", "MAX_UPLOAD_MB": 5})
    assert 5 * 1024 * 1024 < cfg["MAX_CONTENT_LENGTH"] < 20 * 1024 * 1024


def test_an_explicit_request_limit_is_kept():
    assert load_config({"SECRET_KEY": "k", "MAX_CONTENT_LENGTH": 1234})["MAX_CONTENT_LENGTH"] == 1234


def test_upload_labels_show_the_configured_limit(app, monkeypatch):
    from portal.applications.forms import LetterForm, WorkForm

    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 30)
    with app.test_request_context("/?lang=en"):
        assert "30 MB" in str(WorkForm().file.label.text)
        assert "30 MB" in str(LetterForm().file.label.text)


def test_password_reset_link_carries_a_token_the_reset_page_accepts(make_user):
    from portal.accounts import services

    user = make_user("applicant")
    link = services.password_reset_link(user)
    assert link.startswith("http://portal.test/")
    assert services.user_for_reset_token(link.rsplit("/", 1)[1]) == user
