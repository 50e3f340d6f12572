"""The outbox keeps every email; with MAIL_SERVER set it goes out over real SMTP."""
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from portal.database import commit
from portal.notifications.models import OutboxMessage
from portal.notifications.services import queue_email


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp_server():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, sink
    controller.stop()


def test_email_sent_through_a_real_smtp_server(app, db, make_user, smtp_server):
    controller, sink = smtp_server
    user = make_user("applicant", email="mail@example.cn", name="邮件测试")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        queue_email(user.email, "reset_password", locale="zh_CN", user=user, link="http://portal.test/x", minutes=60)
        commit()
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == user.email)).scalar_one()
    assert message.status == "sent" and message.sent_at is not None
    assert len(sink.messages) == 1
    envelope = sink.messages[0]
    assert envelope.rcpt_tos == ["mail@example.cn"]
    import email

    parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert str(parsed["Subject"]) == "重置密码 — 人才计划申报评审系统"
    assert "http://portal.test/x" in parsed.get_content()


def test_unreachable_smtp_server_marks_failed_and_keeps_message(app, db, make_user):
    user = make_user("applicant", email="down@example.cn")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    try:
        queue_email(user.email, "reset_password", locale="en", user=user, link="http://x", minutes=60)
        commit()
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == user.email)).scalar_one()
    assert message.status == "failed" and message.error and message.subject.startswith("Reset your password")


def test_without_mail_server_the_message_is_logged(db, make_user, caplog):
    user = make_user("applicant", email="log@example.cn")
    queue_email(user.email, "reset_password", locale="zh_CN", user=user, link="http://portal.test/y", minutes=60)
    commit()
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == user.email)).scalar_one()
    assert message.status == "logged"
    assert "http://portal.test/y" in caplog.text
