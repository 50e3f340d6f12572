"""PDF uploads: checked by content, stored outside the web root under random names, hashed (SPEC §3.3)."""
from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ..errors import Refusal
from ..extensions import db
from .models import Document

PDF_MAGIC = b"%PDF-"


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
            reader.pages[0].mediabox  # touching the first page proves the page tree can be read
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        raise DocumentError(_("This PDF is damaged and cannot be read. Export it again and upload the new copy."))
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


def save_document(data: bytes, *, kind: str, original_name: str, owner_id: int | None,
                  application_id: int | None = None, checked: PdfInfo | None = None) -> Document:
    """Check and store a PDF; the row is flushed, the file is removed again if the transaction fails."""
    info = checked or inspect_pdf(data)
    stored_name = secrets.token_hex(20) + ".pdf"
    document = Document(kind=kind, original_name=_clean_name(original_name), stored_name=stored_name,
                        size_bytes=info.size, sha256=info.sha256, page_count=info.page_count, owner_id=owner_id,
                        application_id=application_id)
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


def _clean_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip() or "document.pdf"
    name = "".join(c for c in name if c.isprintable())[:200]
    return name if name.lower().endswith(".pdf") else name + ".pdf"
