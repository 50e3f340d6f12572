"""Queue emails in the outbox and deliver them after the commit (SMTP, or the log in development)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template
from sqlalchemy import select

from .. import jobs
from ..database import on_commit, utcnow
from ..extensions import db
from ..i18n import in_locale
from .models import DELIVERED_STATUSES, OutboxMessage, OutboxStatus

log = logging.getLogger("portal.mail")


def queue_email(to: str, template: str, *, locale: str = "zh_CN", **context) -> OutboxMessage:
    """Render templates/emails/<template>.txt in the recipient's language and store it for delivery.

    The first line of the rendered text is the subject; the rest is the body.
    """
    with in_locale(locale):
        rendered = render_template(f"emails/{template}.txt", **context).strip("\n")
    subject, _, body = rendered.partition("\n")
    message = OutboxMessage(
        to_address=to, subject=subject.strip(), body_text=body.strip() + "\n", locale=locale, template=template
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault("outbox_ids", []).append(message.id)
    return message


def register_hooks() -> None:
    """Deliver each committed transaction's emails: `portal.database.commit` calls `dispatch_pending` after it."""
    on_commit(dispatch_pending)


def dispatch_pending() -> None:
    """Deliver the messages queued by the transaction that was just committed (held back inside
    :func:`deliver_later`): one background job for all of them with Redis, right away otherwise."""
    ids = db.session.info.pop("outbox_ids", [])
    held = db.session.info.get("outbox_held")
    if held is not None:
        held.extend(ids)
        return
    _dispatch(ids)


def _dispatch(ids: list[int]) -> None:
    if not ids:
        return
    if current_app.config.get("REDIS_URL") and not current_app.config.get("TESTING"):
        jobs.enqueue(deliver_many, list(ids))
        return
    deliver_many(ids)


@contextmanager
def deliver_later():
    """Hold back the emails committed inside the block and deliver them together when it ends.

    For work that commits many times in a row (a batch of letters): one delivery job instead of
    one per commit, and one SMTP connection for all the messages. Messages of a block that raises
    are still delivered: each was committed with the work it reports."""
    info = db.session.info
    if "outbox_held" in info:  # nested: the outer block delivers
        yield
        return
    info["outbox_held"] = []
    try:
        yield
    finally:
        _dispatch(info.pop("outbox_held", []))


@jobs.job("notifications.deliver_many")
def deliver_many(message_ids: list[int]) -> dict[int, str]:
    """Send the stored messages not yet sent, over one SMTP connection (or to the log when MAIL_SERVER
    is unset); returns each message's status. A message the server refuses is marked failed without
    stopping the others; if the server cannot be reached at all, every message is marked failed."""
    messages = (
        db.session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids)).order_by(OutboxMessage.id))
        .scalars()
        .all()
    )
    statuses = {m.id: m.status for m in messages}
    pending = [m for m in messages if m.status not in DELIVERED_STATUSES]
    if not pending:
        return statuses
    cfg = current_app.config
    for message in pending:
        message.attempts += 1
    if not cfg.get("MAIL_SERVER"):
        for message in pending:
            log.warning(
                "email (not sent: MAIL_SERVER unset) to=%s subject=%s\n%s",
                message.to_address,
                message.subject,
                message.body_text,
            )
            if cfg.get("PORTAL_ENV") == "development":
                print(
                    f"\n----- email to {message.to_address} -----\nSubject: {message.subject}\n\n"
                    f"{message.body_text}-----",
                    flush=True,
                )
            message.status = OutboxStatus.LOGGED.value
            message.sent_at = utcnow()
    else:
        try:
            with _smtp_connection(cfg) as smtp:
                for message in pending:
                    try:
                        smtp.send_message(_email(message, cfg))
                    except (
                        smtplib.SMTPRecipientsRefused,
                        smtplib.SMTPSenderRefused,
                        smtplib.SMTPDataError,
                    ) as exc:  # this message only; the connection stays usable
                        _failed(message, exc)
                    else:
                        message.status = OutboxStatus.SENT.value
                        message.sent_at = utcnow()
                        message.error = ""
        except (OSError, smtplib.SMTPException) as exc:
            for message in pending:
                if message.status != OutboxStatus.SENT:
                    _failed(message, exc)
    db.session.commit()
    return {m.id: m.status for m in messages}


def _failed(message: OutboxMessage, exc: Exception) -> None:
    log.error("email to %s failed: %s", message.to_address, exc)
    message.status = OutboxStatus.FAILED.value
    message.error = str(exc)[:2000]


def _email(message: OutboxMessage, cfg) -> EmailMessage:
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="talent-portal")
    email.set_content(message.body_text)
    return email


def _smtp_connection(cfg) -> smtplib.SMTP:
    """A connected (and, if configured, encrypted and logged-in) SMTP client; use it as a context manager."""
    if cfg.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20)
    try:
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp
