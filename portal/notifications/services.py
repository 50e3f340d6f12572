"""Queue emails in the outbox and deliver them after the commit (SMTP, or the log in development)."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template
from ..i18n import in_locale

from ..database import utcnow
from ..extensions import db
from .models import OutboxMessage

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


def dispatch_pending() -> None:
    """Deliver the messages queued by the transaction that was just committed."""
    ids = db.session.info.pop("outbox_ids", [])
    if not ids:
        return
    if current_app.config.get("REDIS_URL") and not current_app.config.get("TESTING"):
        from ..jobs import enqueue

        for message_id in ids:
            enqueue("portal.notifications.services.deliver", message_id)
        return
    for message_id in ids:
        deliver(message_id)


def deliver(message_id: int) -> str:
    """Send one stored message (SMTP when MAIL_SERVER is set, else the log); returns its status."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status in ("sent", "logged"):
        return message.status if message else "missing"
    cfg = current_app.config
    message.attempts += 1
    if not cfg.get("MAIL_SERVER"):
        log.warning("email (not sent: MAIL_SERVER unset) to=%s subject=%s\n%s", message.to_address, message.subject,
                    message.body_text)
        if cfg.get("PORTAL_ENV") == "development":
            print(f"\n----- email to {message.to_address} -----\nSubject: {message.subject}\n\n{message.body_text}"
                  "-----", flush=True)
        message.status = "logged"
        message.sent_at = utcnow()
        db.session.commit()
        return message.status
    try:
        _smtp_send(message, cfg)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("email to %s failed: %s", message.to_address, exc)
        message.status = "failed"
        message.error = str(exc)[:2000]
    else:
        message.status = "sent"
        message.sent_at = utcnow()
        message.error = ""
    db.session.commit()
    return message.status


def _smtp_send(message: OutboxMessage, cfg) -> None:
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="talent-portal")
    email.set_content(message.body_text)
    if cfg.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20)
    with smtp:
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)
