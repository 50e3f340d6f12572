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


class CountingSink(Sink):
    """Counts SMTP sessions; refuses the recipients it is told to."""

    def __init__(self, refuse=()):
        super().__init__()
        self.sessions = 0
        self.refuse = set(refuse)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_emails_held_back_by_deliver_later_go_out_together_over_one_connection(app, db, make_user):
    from portal.notifications.services import deliver_later

    sink = CountingSink(refuse={"gone@example.cn"})
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    users = [make_user("applicant", email=f"{name}@example.cn") for name in ("one", "gone", "three")]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        with deliver_later():
            for user in users:  # three transactions, as in a batch of letters
                queue_email(user.email, "reset_password", locale="zh_CN", user=user, link="http://x", minutes=60)
                commit()
            pending = db.session.execute(select(OutboxMessage.status)).scalars().all()
            assert pending == ["pending"] * 3  # nothing sent before the block ends
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
        controller.stop()
    statuses = dict(db.session.execute(select(OutboxMessage.to_address, OutboxMessage.status)).all())
    assert statuses == {"one@example.cn": "sent", "gone@example.cn": "failed", "three@example.cn": "sent"}
    assert sink.sessions == 1  # one connection for the three messages
    assert sorted(addr for envelope in sink.messages for addr in envelope.rcpt_tos) == [
        "one@example.cn",
        "three@example.cn",
    ]
    refused = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.to_address == "gone@example.cn")
    ).scalar_one()
    assert "550" in refused.error
