"""Stored files: every PDF the portal keeps (uploads, call guides, application books, letters) as a `Document` row and
a file under UPLOAD_FOLDER, named at random, hashed, checked by content when uploaded (SPEC §3.3).

Files follow the transaction: a file written for work that is rolled back is removed again, and a deleted document's
file is removed only once the deletion has committed (`files_written` / `files_to_delete` in the session's info,
honoured by portal.database.commit and rollback).
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import UTCDateTime, utcnow
from .errors import Refusal
from .extensions import db

PDF_MAGIC = b"%PDF-"


class Document(db.Model):
    """An uploaded or generated PDF, stored outside the web root under a random name."""

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # An applicant's upload or book belongs to the application (applications/models.py, resolved by name).
    application: Mapped[Application | None] = relationship(  # noqa: F821
        back_populates="documents", foreign_keys=[application_id]
    )


class DocumentError(Refusal):
    """An upload refused, with the reason to show the user (already translated)."""


@dataclass(frozen=True)
class PdfInfo:
    size: int
    sha256: str
    page_count: int


def inspect_pdf(data: bytes) -> PdfInfo:
    """Accept only a complete, readable, unencrypted PDF within the size limit."""
    limit_mb = current_app.config["MAX_UPLOAD_MB"]
    if not data:
        raise DocumentError(_("The file is empty."))
    if len(data) > limit_mb * 1024 * 1024:
        raise DocumentError(_("The file is larger than %(mb)s MB.", mb=limit_mb))
    # The header may follow a little junk (allowed by the PDF standard), but not a whole other file.
    if PDF_MAGIC not in data[:1024]:
        raise DocumentError(_("This file is not a PDF. Save or export the document as PDF and upload it again."))
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError(_("This PDF is incomplete (the upload may have been cut off). Upload it again."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentError(_("This PDF is password-protected or encrypted. Upload an unprotected copy."))
        pages = len(reader.pages)
        if pages:
            reader.pages[0].mediabox  # noqa: B018 - touching the first page proves the page tree can be read
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        raise DocumentError(
            _("This PDF is damaged and cannot be read. Export it again and upload the new copy.")
        ) from None
    if pages < 1:
        raise DocumentError(_("This PDF has no pages."))
    return PdfInfo(size=len(data), sha256=hashlib.sha256(data).hexdigest(), page_count=pages)


def storage_root() -> Path:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def document_path(document: Document) -> Path:
    name = document.stored_name
    return storage_root() / name[:2] / name


def save_document(
    data: bytes,
    *,
    kind: str,
    original_name: str,
    owner_id: int | None,
    application_id: int | None = None,
    checked: PdfInfo | None = None,
) -> Document:
    """Check and store a PDF; the row is flushed, the file is removed again if the transaction fails."""
    info = checked or inspect_pdf(data)
    stored_name = secrets.token_hex(20) + ".pdf"
    document = Document(
        kind=kind,
        original_name=clean_name(original_name),
        stored_name=stored_name,
        size_bytes=info.size,
        sha256=info.sha256,
        page_count=info.page_count,
        owner_id=owner_id,
        application_id=application_id,
    )
    path = document_path(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    db.session.add(document)
    db.session.info.setdefault("files_written", []).append(path)
    db.session.flush()
    return document


def delete_document(document: Document) -> None:
    """Remove the row now and the file once the transaction has committed."""
    db.session.info.setdefault("files_to_delete", []).append(document_path(document))
    db.session.delete(document)
    db.session.flush()


def read_document(document: Document) -> bytes:
    return document_path(document).read_bytes()


def clean_name(name: str) -> str:
    """The file name an upload is shown under: no directory, printable, at most 200 characters, ending in .pdf."""
    name = os.path.basename((name or "").replace("\\", "/")).strip() or "document.pdf"
    name = "".join(c for c in name if c.isprintable())[:200]
    return name if name.lower().endswith(".pdf") else name + ".pdf"
