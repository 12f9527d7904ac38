"""Evidence PDFs: upload into object storage, attach to the dossier, download to those allowed.

The object is written first and attached second; if the dossier refuses the attachment (not
editable, wrong person) the object is removed again, so nothing is ever left orphaned.
Downloads are inert whatever the file holds: the API serves them as attachments, the pages' preview
inline, and both under ``Content-Security-Policy: sandbox`` with ``nosniff`` (no script, no origin).
"""
import os
import unicodedata
from urllib.parse import quote

from werkzeug import Response

from shared.errors import NotFound, ValidationFailed
from shared.titles import MATERIAL_CATEGORIES

from ..exceptions import FileTooLarge
from ..pdfcheck import inspect_pdf

MULTIPART_OVERHEAD = 64 * 1024
# A sandboxed document runs no script and has no origin; nosniff keeps the browser from taking it for HTML.
INERT_DOWNLOAD_HEADERS = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
# An oversized upload is read and discarded up to this much so the browser receives our 413
# instead of a reset connection; beyond it the connection is simply closed.
DRAIN_LIMIT = 256 * 1024 * 1024
MATERIAL_FIELDS = ("material_id", "sha256", "pages", "size", "category", "filename", "year", "achievement_id")


def display_name(filename):
    """The file's own name for display only: no path, no control characters, bounded length."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:120] or "材料.pdf"


def refuse_oversized(request, limit, drain=False):
    """413 for a request body larger than an upload of *limit* bytes can be; with *drain* the body is
    read and discarded first, so the browser sees the answer."""
    if request.content_length and request.content_length > limit + MULTIPART_OVERHEAD:
        if drain:
            _discard_body(request)
        raise FileTooLarge(f"文件超过上限 {limit / 1024 / 1024:.1f} MB")


def _discard_body(request):
    stream, remaining = request.stream, min(request.content_length or 0, DRAIN_LIMIT)
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        remaining -= len(chunk)


def store_material(evidence, dossiers, actor, dossier_id, category, upload, limit, year="", achievement_id=""):
    """Check the upload (*category* code, *upload* a werkzeug FileStorage or None, the optional *year*
    it is for and *achievement_id* it proves, as the form's text), write it to the *evidence* store and
    attach it to the dossier; the stored material's public fields. Whether the year and achievement
    fit the dossier the dossier service judges (shared/contracts/dossier_schemas.py MaterialSchema)."""
    problems = {}
    if category not in MATERIAL_CATEGORIES:
        problems["category"] = ["请选择材料类别:" + "、".join(MATERIAL_CATEGORIES.values())]
    if upload is None:
        problems["file"] = ["请选择要上传的 PDF 文件"]
    year, achievement_id = (year or "").strip(), (achievement_id or "").strip() or None
    if year and not (year.isascii() and year.isdigit() and len(year) == 4):
        problems["year"] = ["年度应为四位数字,例如 2024;不针对某一年度的材料请留空"]
    if problems:
        raise ValidationFailed("上传信息不完整", fields=problems)
    data = upload.read(limit + 1)
    info = inspect_pdf(data, limit)
    material_id, key = evidence.new_material_key(dossier_id)
    evidence.put_pdf(key, data, info.sha256)
    material = {"material_id": material_id, "object_key": key, "sha256": info.sha256, "size": info.size,
                "pages": info.pages, "category": category, "filename": display_name(upload.filename),
                "year": int(year) if year else None, "achievement_id": achievement_id}
    try:
        dossiers.attach_material(actor.to_dict(), dossier_id, material)
    except Exception:
        evidence.remove(key)  # the dossier said no (or could not be reached): keep nothing
        raise
    return {name: material[name] for name in MATERIAL_FIELDS}


def material_of(dossier, material_id):
    """The dossier's material *material_id*, or 404."""
    material = next((m for m in dossier["materials"] if m["material_id"] == material_id), None)
    if material is None:
        raise NotFound("证明材料不存在")
    return material


def material_file(evidence, dossier, material_id, inline):
    """The stored PDF of a dossier the caller may see, inline (the pages' preview) or as an attachment,
    always sandboxed."""
    material = material_of(dossier, material_id)
    return pdf_response(evidence.read(material["object_key"]), material["filename"], inline)


def pdf_response(data, filename, inline):
    """Evidence bytes as a PDF answer, inline or as an attachment: never cached, inert whatever they hold."""
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename or '材料.pdf')}",
        "Cache-Control": "private, no-store",
        **INERT_DOWNLOAD_HEADERS,
    }
    return Response(data, mimetype="application/pdf", headers=headers)


def detach_material(dossiers, actor, dossier, material_id):
    """Remove a material from the applicant's own *dossier*; the updated dossier."""
    material_of(dossier, material_id)
    # The event history still names the object: evidence is kept for audit, never deleted here.
    return dossiers.detach_material(actor.to_dict(), dossier["id"], material_id)
